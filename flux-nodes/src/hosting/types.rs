//! The data hosting shares with the runtime and the gateway: the label scheme, what one
//! container needs ([`ContainerSpec`]), what a runtime reports ([`Observed`],
//! [`ObservedNetwork`]) and what the reconcile loop does ([`Action`]).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Label with the app name, on every container and network the project creates.
pub const LABEL_APP: &str = "io.flux.app";
/// Label with the component name, on every container the project creates.
pub const LABEL_COMPONENT: &str = "io.flux.component";
/// Label with the instance index (decimal), on every container the project creates.
pub const LABEL_INSTANCE: &str = "io.flux.instance";
/// Label with the hosting node's id (hex), on every container and network the project creates.
pub const LABEL_NODE: &str = "io.flux.node";
/// Label with the hash (hex) of the app spec a container was created from.
pub const LABEL_SPEC: &str = "io.flux.spec";
/// Label with the hash (hex) of the whole [`ContainerSpec`] but this label: a container whose
/// value differs from the desired one (new spec, or the node's host address changed) is
/// replaced.
pub const LABEL_CONTAINER: &str = "io.flux.container";

/// One published TCP port: `host_ip:host_port` on the host to `container_port` in the
/// container.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PortMap {
    /// Host address the port is published on (the node's configured host address).
    pub host_ip: IpAddr,
    /// Public port (the spec's `ports[i]`).
    pub host_port: u16,
    /// Port inside the container (the spec's `containerPorts[i]`).
    pub container_port: u16,
}

/// The one bind mount a container may have: its component's data folder.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Mount {
    /// `<data-dir>/apps/<app>/<component>` on the host (the runtime creates it), see
    /// [`HostConfig::component_data`](super::HostConfig::component_data).
    pub host_path: PathBuf,
    /// Absolute path inside the container (the spec's `containerData`, sync prefix removed).
    pub container_path: String,
}

/// Everything needed to create one container: pure data, deterministic from
/// (spec, node, host config).
///
/// A runtime creates it with exactly these settings and nothing more: not privileged, no host
/// network / PID / IPC namespace, no devices, no added capabilities, no mounts other than
/// [`ContainerSpec::mount`], attached only to [`ContainerSpec::network`], restart policy `no`
/// (the reconcile loop restarts with back-off), and every label of [`ContainerSpec::labels`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContainerSpec {
    /// `flux<component>_<app>`, with `_<node tag>` when several nodes share one engine.
    pub name: String,
    /// Image reference (the component's `repotag`).
    pub image: String,
    /// [`LABEL_APP`], [`LABEL_COMPONENT`], [`LABEL_INSTANCE`], [`LABEL_NODE`], [`LABEL_SPEC`],
    /// [`LABEL_CONTAINER`].
    pub labels: BTreeMap<String, String>,
    /// The app's network, `fluxDockerNetwork_<app>` (with `_<node tag>`).
    pub network: String,
    /// Network alias: the component name, so the app's components reach each other by it.
    pub alias: String,
    /// Environment, `KEY=value` (the spec's `environmentParameters`).
    pub env: Vec<String>,
    /// Command and arguments (the spec's `commands`); empty: the image's default.
    pub cmd: Vec<String>,
    /// Published ports.
    pub ports: Vec<PortMap>,
    /// CPU limit in billionths of a core (Docker `NanoCpus`).
    pub nano_cpus: u64,
    /// Memory limit in bytes (Docker `Memory`).
    pub memory_bytes: u64,
    /// The component's data folder, when the spec has `containerData`.
    pub mount: Option<Mount>,
}

impl ContainerSpec {
    /// The value of `key` in [`ContainerSpec::labels`], if set.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

/// A container's state as the runtime reports it (Docker's `State.Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObservedState {
    /// Created, never started.
    Created,
    /// Running.
    Running,
    /// Paused (the project never pauses; the plan replaces it).
    Paused,
    /// Being restarted by the engine.
    Restarting,
    /// Being removed by the engine.
    Removing,
    /// Stopped, with its exit code.
    Exited {
        /// Exit code.
        code: i64,
    },
    /// Dead (the engine failed to stop or remove it).
    Dead,
}

/// What a runtime reports about one container.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Observed {
    /// Container name (without Docker's leading `/`).
    pub name: String,
    /// All the container's labels.
    pub labels: BTreeMap<String, String>,
    /// Its state.
    pub state: ObservedState,
    /// When it last started, on the runtime's clock (informational, never planned on).
    pub started_at_ms: Option<u64>,
    /// Image reference it was created from.
    pub image: String,
    /// Its address on each network it is attached to, by network name, where the runtime
    /// gives one (empty otherwise). A node's gateway reaches its own instances at their
    /// address on the app's network, without the port proxy in front of a published port.
    pub addresses: BTreeMap<String, IpAddr>,
}

impl Observed {
    /// The value of `key` in [`Observed::labels`], if set.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

/// What a runtime reports about one network (the plan removes an app's network, and then its
/// data, once no container of the app is left).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObservedNetwork {
    /// Network name.
    pub name: String,
    /// All the network's labels.
    pub labels: BTreeMap<String, String>,
}

/// One step of the reconcile plan. Each is idempotent: applying it twice is applying it once,
/// so a crash mid-plan is repaired by the next pass.
// `Create` is much larger than the other variants; a plan is a short list that is consumed
// once, and keeping `ContainerSpec` unboxed keeps the shape the runtime and loop match on.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Create the network if missing, with these labels.
    EnsureNetwork {
        /// Network name.
        name: String,
        /// Labels ([`LABEL_APP`], [`LABEL_NODE`]).
        labels: BTreeMap<String, String>,
    },
    /// Make the image present: use a local one, else pull it.
    EnsureImage {
        /// Image reference.
        image: String,
    },
    /// Create the container and start it (its network and image are ensured before).
    Create(ContainerSpec),
    /// Start a stopped container again (the loop decides the back-off).
    Start {
        /// Container name.
        name: String,
    },
    /// Stop and remove a container (only ever one with the project's labels for this node).
    Remove {
        /// Container name.
        name: String,
    },
    /// Remove a network the project created for an app that left this node.
    RemoveNetwork {
        /// Network name.
        name: String,
    },
    /// Delete an app's data folder
    /// ([`HostConfig::app_data`](super::HostConfig::app_data)): the app left this node.
    RemoveData {
        /// The folder.
        path: PathBuf,
    },
}
