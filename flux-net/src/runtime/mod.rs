//! Container runtimes: the [`Runtime`] trait the hosting loop drives, its Docker Engine backend
//! ([`DockerRuntime`], through bollard) and its deterministic in-memory twin ([`TwinRuntime`],
//! for unit tests and the simulated network), plus local image building ([`image`]) and the
//! sample app every test and the devnet host ([`sample`]).
//!
//! The runtime only ever sees [`ContainerSpec`]s, which flux-nodes' pure hosting plan computes;
//! it reports [`Observed`] containers back. It finds the project's containers and networks by the
//! label [`LABEL_APP`] and refuses to stop, remove or start anything without it.
//!
//! # What an app container can reach
//! A container is created with exactly its spec's settings: not privileged, Docker's default
//! capabilities (none added), no devices, no host network, PID or IPC namespace, restart policy
//! `no` (the loop restarts with back-off), one bind mount (its own data folder), attached only to
//! its app's bridge network, where the app's other components answer by component name. From
//! there it reaches the internet and, through the bridge's gateway, whatever the host serves on
//! its non-loopback addresses (`0.0.0.0` or a host address alike). A port the node binds to
//! `127.0.0.1` is out of an app's reach (the container has its own loopback); to keep the node's
//! API or p2p port on a public address away from apps, the operator adds a firewall rule for the
//! app bridges (Docker's `DOCKER-USER` chain). Published ports listen on the node's configured
//! host address only.
//!
//! ```
//! use std::collections::BTreeMap;
//! use flux_net::runtime::{Runtime, TwinRuntime};
//! use flux_nodes::hosting::{ContainerSpec, LABEL_APP, ObservedState};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), flux_net::runtime::RuntimeError> {
//! let twin = TwinRuntime::new();
//! let labels = BTreeMap::from([(LABEL_APP.to_string(), "web".to_string())]);
//! twin.ensure_network("fluxDockerNetwork_web", &labels).await?;
//! twin.pull("sample:1").await?;
//! let spec = ContainerSpec {
//!     name: "fluxfront_web".into(),
//!     image: "sample:1".into(),
//!     labels,
//!     network: "fluxDockerNetwork_web".into(),
//!     alias: "front".into(),
//!     env: vec![],
//!     cmd: vec![],
//!     ports: vec![],
//!     nano_cpus: 500_000_000,
//!     memory_bytes: 256 << 20,
//!     mount: None,
//! };
//! twin.create(&spec).await?;
//! let seen = twin.inspect("fluxfront_web").await?.expect("just created");
//! assert_eq!(seen.state, ObservedState::Running);
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures::stream::BoxStream;

pub use flux_nodes::hosting::{
    Capacity, ContainerSpec, LABEL_APP, LABEL_NODE, Observed, ObservedNetwork, ObservedState,
};

mod docker;
mod error;
pub mod image;
pub mod sample;
mod twin;

pub use docker::{DockerEndpoint, DockerRuntime};
pub use error::RuntimeError;
pub use twin::TwinRuntime;

/// Most log lines [`Runtime::logs`] returns, whatever is asked.
pub const MAX_LOG_TAIL: u32 = 10_000;

/// The engine's identity, from [`Runtime::version`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineVersion {
    /// The engine's version (`20.10.24+dfsg1`, or `twin`).
    pub version: String,
    /// The API version the engine speaks (`1.41`).
    pub api_version: String,
    /// The API version this client settled on with it.
    pub negotiated_api: String,
}

/// Which output a log line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogStream {
    /// The container's standard output.
    Stdout,
    /// The container's standard error.
    Stderr,
}

/// One chunk of a container's output (normally one line, with its newline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// stdout or stderr.
    pub stream: LogStream,
    /// The text (invalid UTF-8 replaced).
    pub text: String,
}

/// What happened to a container carrying the project's labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// It started.
    Started,
    /// Its main process ended, with this exit code.
    Died {
        /// The exit code.
        code: i64,
    },
}

/// A container event from [`Runtime::events`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeEvent {
    /// The container name.
    pub name: String,
    /// Its `io.flux.*` labels.
    pub labels: BTreeMap<String, String>,
    /// What happened.
    pub kind: EventKind,
}

/// The stream [`Runtime::events`] returns; it ends (after an `Err`, when it broke) when the
/// engine goes away: subscribe again after the next successful [`Runtime::ping`].
pub type EventStream = BoxStream<'static, Result<RuntimeEvent, RuntimeError>>;

/// A container runtime as the hosting loop sees it. Every method is idempotent where its name
/// says "ensure" or "remove"; none touches a container or network without [`LABEL_APP`].
///
/// Implementations: [`DockerRuntime`] (the Docker Engine), [`TwinRuntime`] (in memory).
#[async_trait]
pub trait Runtime: Send + Sync {
    /// Checks the engine answers.
    ///
    /// # Errors
    /// [`RuntimeError::Unreachable`] when it does not.
    async fn ping(&self) -> Result<(), RuntimeError>;

    /// The engine's version and the API version in use.
    ///
    /// # Errors
    /// [`RuntimeError::Unreachable`], [`RuntimeError::Transport`].
    async fn version(&self) -> Result<EngineVersion, RuntimeError>;

    /// What the engine's host offers containers: its CPUs and memory (Docker's `NCPU` and
    /// `MemTotal`). The reconcile loop creates no container beyond it
    /// ([`flux_nodes::hosting::over_capacity`]).
    ///
    /// # Errors
    /// [`RuntimeError::Unreachable`], [`RuntimeError::Transport`].
    async fn capacity(&self) -> Result<Capacity, RuntimeError>;

    /// Every container carrying [`LABEL_APP`] (running or not), sorted by name; with `node`,
    /// only those whose [`LABEL_NODE`] is `node`.
    ///
    /// # Errors
    /// [`RuntimeError::Unreachable`], [`RuntimeError::Transport`], [`RuntimeError::Engine`].
    async fn list(&self, node: Option<&str>) -> Result<Vec<Observed>, RuntimeError>;

    /// Every network carrying [`LABEL_APP`], sorted by name; with `node`, only those whose
    /// [`LABEL_NODE`] is `node`.
    ///
    /// # Errors
    /// As [`Runtime::list`].
    async fn list_networks(&self, node: Option<&str>)
    -> Result<Vec<ObservedNetwork>, RuntimeError>;

    /// Creates the bridge network `name` with `labels` unless it exists.
    ///
    /// # Errors
    /// [`RuntimeError::InvalidSpec`] when `labels` lacks [`LABEL_APP`];
    /// [`RuntimeError::NotOurs`] when a network of that name exists without it.
    async fn ensure_network(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<(), RuntimeError>;

    /// Removes the network `name` if it exists (no-op otherwise).
    ///
    /// # Errors
    /// [`RuntimeError::NotOurs`] when it lacks [`LABEL_APP`]; [`RuntimeError::Engine`] while a
    /// container still uses it.
    async fn remove_network(&self, name: &str) -> Result<(), RuntimeError>;

    /// Whether the image is present locally.
    ///
    /// # Errors
    /// [`RuntimeError::Unreachable`], [`RuntimeError::Transport`].
    async fn image_present(&self, image: &str) -> Result<bool, RuntimeError>;

    /// Pulls the image (`:latest` when the reference names no tag or digest).
    ///
    /// # Errors
    /// [`RuntimeError::PullFailed`] with the registry's reason.
    async fn pull(&self, image: &str) -> Result<(), RuntimeError>;

    /// Creates the container of `spec` (creating its data folder) and starts it.
    ///
    /// # Errors
    /// [`RuntimeError::InvalidSpec`] (see [`check_spec`]), [`RuntimeError::NameInUse`],
    /// [`RuntimeError::ImageMissing`], [`RuntimeError::NetworkMissing`],
    /// [`RuntimeError::DataFolder`]; [`RuntimeError::PortTaken`] when it was created but could
    /// not start (it stays, created: [`Runtime::start`] it later or remove it).
    async fn create(&self, spec: &ContainerSpec) -> Result<(), RuntimeError>;

    /// Starts an existing container of the project again (a no-op when it runs).
    ///
    /// # Errors
    /// [`RuntimeError::NotFound`], [`RuntimeError::NotOurs`], [`RuntimeError::PortTaken`].
    async fn start(&self, name: &str) -> Result<(), RuntimeError>;

    /// Stops (gracefully, then by force) and removes the container if it exists (no-op
    /// otherwise). Its data folder stays.
    ///
    /// # Errors
    /// [`RuntimeError::NotOurs`] when it lacks [`LABEL_APP`].
    async fn remove(&self, name: &str) -> Result<(), RuntimeError>;

    /// The container `name` (`None` when it does not exist), whatever its labels.
    ///
    /// # Errors
    /// [`RuntimeError::Unreachable`], [`RuntimeError::Transport`].
    async fn inspect(&self, name: &str) -> Result<Option<Observed>, RuntimeError>;

    /// The last `tail` lines (at most [`MAX_LOG_TAIL`]) of the container's stdout and stderr.
    ///
    /// # Errors
    /// [`RuntimeError::NotFound`], [`RuntimeError::NotOurs`].
    async fn logs(&self, name: &str, tail: u32) -> Result<Vec<LogLine>, RuntimeError>;

    /// Start and die events of the project's containers from now on.
    ///
    /// # Errors
    /// [`RuntimeError::Unreachable`].
    async fn events(&self) -> Result<EventStream, RuntimeError>;
}

/// The rules every runtime applies to a [`ContainerSpec`] before anything reaches the engine:
/// a Docker-valid name, an image, the [`LABEL_APP`] label (so the project finds the container
/// again), a network and alias, and a data mount with absolute paths free of `:` and `,` (they
/// would change the meaning of the bind).
///
/// ```
/// use flux_net::runtime::check_spec;
/// use flux_nodes::hosting::ContainerSpec;
///
/// let spec = ContainerSpec {
///     name: "fluxweb_app".into(), image: "app:1".into(), labels: Default::default(),
///     network: "n".into(), alias: "web".into(), env: vec![], cmd: vec![], ports: vec![],
///     nano_cpus: 0, memory_bytes: 0, mount: None,
/// };
/// assert!(check_spec(&spec).is_err()); // no io.flux.app label
/// ```
///
/// # Errors
/// [`RuntimeError::InvalidSpec`] naming the broken rule.
pub fn check_spec(spec: &ContainerSpec) -> Result<(), RuntimeError> {
    let refuse = |reason: &str| {
        Err(RuntimeError::InvalidSpec {
            name: spec.name.clone(),
            reason: reason.to_string(),
        })
    };
    if !valid_name(&spec.name) {
        return refuse("the name must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    }
    if !valid_name(&spec.network) {
        return refuse("the network name must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
    }
    if spec.image.is_empty() || spec.image.chars().any(char::is_whitespace) {
        return refuse("the image reference is empty or has whitespace");
    }
    if spec.alias.is_empty() || spec.alias.chars().any(char::is_whitespace) {
        return refuse("the network alias is empty or has whitespace");
    }
    if spec.label(LABEL_APP).is_none_or(str::is_empty) {
        return refuse("the labels lack io.flux.app");
    }
    if spec
        .env
        .iter()
        .any(|e| e.split_once('=').is_none_or(|(k, _)| k.is_empty()))
    {
        return refuse("an environment entry is not KEY=value");
    }
    if let Some(mount) = &spec.mount {
        let host = mount.host_path.to_string_lossy();
        let bad = |p: &str| !p.starts_with('/') || p.contains([':', ',']) || p.contains('\0');
        if bad(&host) || bad(&mount.container_path) {
            return refuse("the data mount paths must be absolute, without ':' or ','");
        }
    }
    if i64::try_from(spec.nano_cpus).is_err() || i64::try_from(spec.memory_bytes).is_err() {
        return refuse("the CPU or memory limit is out of range");
    }
    Ok(())
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Whether a set of labels marks the project's object.
fn is_ours(labels: &BTreeMap<String, String>) -> bool {
    labels.contains_key(LABEL_APP)
}

/// `reference` with `:latest` added when it names neither a tag nor a digest (an untagged pull
/// would fetch every tag).
///
/// ```
/// use flux_net::runtime::with_default_tag;
/// assert_eq!(with_default_tag("nginx"), "nginx:latest");
/// assert_eq!(with_default_tag("localhost:5000/app"), "localhost:5000/app:latest");
/// assert_eq!(with_default_tag("app:1.2"), "app:1.2");
/// assert_eq!(with_default_tag("app@sha256:ab"), "app@sha256:ab");
/// ```
pub fn with_default_tag(reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    if last.contains(':') || reference.contains('@') {
        reference.to_string()
    } else {
        format!("{reference}:latest")
    }
}
