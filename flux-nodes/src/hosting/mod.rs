//! Hosting, the pure part: from app specs and the placement to the containers this node runs,
//! and from those and what the runtime reports to the actions that make it so.
//!
//! Nothing here does IO or reads a clock. The runtime (Docker Engine through bollard, and a
//! deterministic twin), the reconcile loop and the gateway live in flux-net and use these types.
//!
//! # From a FluxOS v8 spec to containers
//! One container per component ([`containers_for`]), as FluxOS does: named
//! `flux<component>_<app>` (plus `_<tag>` when several nodes share one Docker Engine), labelled
//! [`LABEL_APP`], [`LABEL_COMPONENT`], [`LABEL_INSTANCE`], [`LABEL_NODE`], [`LABEL_SPEC`] and
//! [`LABEL_CONTAINER`], attached to one network per app (`fluxDockerNetwork_<app>`) where its
//! components reach each other by component name; `ports[i]` published on the node's host
//! address to `containerPorts[i]`; `environmentParameters` as env, `commands` as the command;
//! CPU and memory limits from the component's demand on the node's tier; `containerData`
//! mounted from `<data-dir>/apps/<app>/<component>/` (`<app>_<tag>` with a node tag). FluxOS's sync prefixes on `containerData`
//! (`s:`, `g:`, `r:`, see [`SYNC_PREFIXES`]) are stripped: the folder is local to the node and
//! is not synchronised between instances (not supported yet); component references
//! (`0:/path`) and several mounts (`|`) are refused. `repoauth` (private registries), `secrets`
//! and GPUs are refused with a typed [`HostingError`].
//!
//! # What an app can reach on the host
//! An app container is an ordinary unprivileged container: never privileged, never in the
//! host's network, PID or IPC namespace, no devices, Docker's default capabilities and no
//! additions, restart policy `no` (the loop restarts it with [`Backoff`]), and exactly one bind
//! mount, its own component's data folder (whose host path is built from validated names only,
//! so it cannot leave `<data-dir>/apps/`). Validation ([`check_spec`]) refuses every spec field
//! that could smuggle anything else: names that are not plain letters and digits, image
//! references outside Docker's grammar, container paths that are relative, contain `..`, `:`
//! or `,`, point at the Docker socket or at `/proc`, `/sys`, `/dev`, `/run`; port 0, a public
//! port published twice or one the node reserves for itself (publishing it would divert the
//! node's own traffic into the app).
//!
//! What the app can reach over the network: the other components of the same app (by name), the
//! internet through Docker's NAT, and any address the host routes for its network. That
//! includes the host's own addresses: **the node's API and p2p ports are reachable from app
//! containers if the operator binds them on an address the app network can route to** (any
//! host interface, including the Docker bridge gateway, but typically not `127.0.0.1`, which is
//! the container's own loopback). Operators who do not want apps to reach them bind them on
//! loopback or firewall the app networks. Containers of other apps are on other networks.
//!
//! # Reconcile
//! [`desired`] gives this node's containers from the placement at a committed height;
//! [`plan`] compares them with what the runtime reports and returns idempotent [`Action`]s
//! (create, replace on a new spec keeping data, restart exited ones, remove what is no longer
//! assigned and then its data and network, adopt what matches). Containers without this node's
//! labels are never touched. [`over_capacity`] names the containers a plan would create beyond
//! what the runtime's host offers ([`Capacity`]): they are not created, their instance fails
//! with why.
//!
//! # Gateway
//! [`routes`] gives the host-name table: `<app>.<suffix>`, `<component>.<app>.<suffix>` and
//! each component's `domains[]`.
//!
//! ```
//! use flux_nodes::hosting::{containers_for, plan, Action, HostConfig};
//! # use flux_nodes::{NodeId, Tier};
//! # let json = r#"{"version":8,"name":"web","description":"","owner":"o","compose":[{"name":"site",
//! #   "description":"","repotag":"nginx:1","ports":[31000],"containerPorts":[80],"domains":[],
//! #   "environmentParameters":[],"commands":[],"containerData":"/data","cpu":0.5,"ram":500,"hdd":5}],
//! #   "instances":3,"expire":5000}"#;
//! let spec = flux_nodes::app::AppSpec::from_json_lenient(json.as_bytes(), &flux_core::ChainParams::devnet().apps)?;
//! let config = HostConfig::new(NodeId::default(), Tier::Cumulus, "127.0.0.1".parse()?, "/srv/flux");
//! let want = containers_for(&spec, 0, &config)?;
//! let actions = plan(&want, &[], &[], &config);
//! assert!(matches!(&actions[..], [Action::EnsureNetwork { .. }, Action::EnsureImage { .. }, Action::Create(_)]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backoff;
mod capacity;
mod config;
mod container;
mod desired;
mod error;
mod plan;
mod routes;
#[cfg(test)]
mod tests;
mod types;
mod validate;

pub use backoff::Backoff;
pub use capacity::{Capacity, over_capacity};
pub use config::HostConfig;
pub use container::{MIN_MEMORY_MB, containers_for, spec_hash};
pub use desired::{Desired, Refused, desired};
pub use error::HostingError;
pub use plan::plan;
pub use routes::{Route, Routes, Skip, Skipped, routes};
pub use types::{
    Action, ContainerSpec, LABEL_APP, LABEL_COMPONENT, LABEL_CONTAINER, LABEL_INSTANCE, LABEL_NODE,
    LABEL_SPEC, Mount, Observed, ObservedNetwork, ObservedState, PortMap,
};
pub use validate::{SYNC_PREFIXES, check_spec};
