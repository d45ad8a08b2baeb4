//! What can go wrong talking to a container runtime: one variant per cause the reconcile loop
//! treats differently (a pull failure is reported as the instance's `failed` state with the
//! registry's reason, a taken port is the operator's problem, an unreachable engine pauses
//! hosting, a container without the project's labels is never touched).

use std::net::IpAddr;

use thiserror::Error;

/// An error of a [`super::Runtime`] operation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuntimeError {
    /// No engine answers at the endpoint (socket missing, connection refused, timeout).
    #[error("no container engine reachable at {endpoint}: {reason}")]
    Unreachable {
        /// The endpoint tried (`unix:///var/run/docker.sock`, `tcp://host:port`).
        endpoint: String,
        /// What the transport said.
        reason: String,
    },
    /// The endpoint is not one the runtime can use.
    #[error("bad container engine endpoint {endpoint:?}: {reason}")]
    BadEndpoint {
        /// The endpoint as configured.
        endpoint: String,
        /// Why it is refused.
        reason: String,
    },
    /// Pulling an image failed; `reason` is the registry's (or the engine's) own message.
    #[error("pulling image {image} failed: {reason}")]
    PullFailed {
        /// The image reference.
        image: String,
        /// The registry's reason, as the engine reported it.
        reason: String,
    },
    /// A container was to be created from an image that is not present locally.
    #[error("image {image} is not present (ensure or pull it first)")]
    ImageMissing {
        /// The image reference.
        image: String,
    },
    /// A container was to be attached to a network that does not exist.
    #[error("network {network} does not exist (ensure it first)")]
    NetworkMissing {
        /// The network name.
        network: String,
    },
    /// Starting a container failed because a host port it publishes is already taken.
    #[error("container {container}: a published host port is already taken: {reason}")]
    PortTaken {
        /// The container that could not start (it stays created).
        container: String,
        /// The host address and port, when known.
        port: Option<(IpAddr, u16)>,
        /// The engine's message.
        reason: String,
    },
    /// A container with this name already exists.
    #[error("a container named {name} already exists")]
    NameInUse {
        /// The container name.
        name: String,
    },
    /// No container with this name exists.
    #[error("no container named {name}")]
    NotFound {
        /// The container name.
        name: String,
    },
    /// The container or network does not carry the project's label
    /// ([`flux_nodes::hosting::LABEL_APP`]): the runtime never touches it.
    #[error("refusing to touch {kind} {name}: it does not carry the label io.flux.app")]
    NotOurs {
        /// `"container"` or `"network"`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// A container spec the runtime refuses before it reaches the engine.
    #[error("refusing the spec of container {name:?}: {reason}")]
    InvalidSpec {
        /// The container name.
        name: String,
        /// The rule it breaks.
        reason: String,
    },
    /// The data folder of a container could not be created.
    #[error("creating the data folder {path}: {reason}")]
    DataFolder {
        /// The folder.
        path: String,
        /// The filesystem's error.
        reason: String,
    },
    /// A local image could not be built.
    #[error("building image {image}: {reason}")]
    ImageBuild {
        /// The tag asked for.
        image: String,
        /// What failed.
        reason: String,
    },
    /// The engine answered an operation with an error not listed above.
    #[error("the engine refused {operation} (HTTP {status}): {message}")]
    Engine {
        /// The operation (`"create container"`, `"start container"`, ...).
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The engine's message.
        message: String,
    },
    /// The conversation with the engine broke (bad reply, stream cut).
    #[error("talking to the engine during {operation}: {reason}")]
    Transport {
        /// The operation.
        operation: &'static str,
        /// What broke.
        reason: String,
    },
}

impl RuntimeError {
    /// Whether retrying the same call later may succeed without anything else changing
    /// (an unreachable engine, a broken conversation); the rest need a change first.
    ///
    /// ```
    /// use flux_net::runtime::RuntimeError;
    ///
    /// let down = RuntimeError::Unreachable { endpoint: "unix:///x".into(), reason: "gone".into() };
    /// assert!(down.is_transient());
    /// assert!(!RuntimeError::NameInUse { name: "a".into() }.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::Transport { .. })
    }
}
