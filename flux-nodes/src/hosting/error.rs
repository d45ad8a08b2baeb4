//! [`HostingError`]: why an app spec (or the node's hosting config) cannot become containers.
//!
//! One variant per rule. A spec refused here never reaches a container runtime.

use thiserror::Error;

/// Why an app could not be turned into containers on this node.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HostingError {
    /// The placement puts an instance of an app on this node whose spec is not known.
    #[error("no spec known for app {app}")]
    UnknownApp {
        /// The app.
        app: String,
    },
    /// The app name is not 1–63 ASCII letters and digits (it becomes part of Docker names).
    #[error("app name {found:?} is not 1-63 ASCII letters and digits")]
    BadAppName {
        /// The name (truncated).
        found: String,
    },
    /// A component name is not 1–63 ASCII letters and digits.
    #[error("component name {found:?} of app {app} is not 1-63 ASCII letters and digits")]
    BadComponentName {
        /// The app.
        app: String,
        /// The name (truncated).
        found: String,
    },
    /// Two components share a name (their containers would share one).
    #[error("app {app} has two components named {component}")]
    DuplicateComponent {
        /// The app.
        app: String,
        /// The name.
        component: String,
    },
    /// The app has no component to run (an encrypted enterprise app is never decrypted here).
    #[error("app {app} has no component this node can run")]
    NoComponents {
        /// The app.
        app: String,
    },
    /// An encrypted enterprise app: this node cannot decrypt it.
    #[error("app {app} is an encrypted enterprise app, which this node cannot run")]
    EncryptedEnterprise {
        /// The app.
        app: String,
    },
    /// `repoauth` is set: private registries are not supported yet.
    #[error(
        "component {component} of app {app} uses repoauth: private registries are not supported"
    )]
    RepoAuthUnsupported {
        /// The app.
        app: String,
        /// The component.
        component: String,
    },
    /// `secrets` is set: enterprise secrets are not supported yet.
    #[error("component {component} of app {app} has secrets, which are not supported")]
    SecretsUnsupported {
        /// The app.
        app: String,
        /// The component.
        component: String,
    },
    /// GPUs need devices passed into the container, which hosting never does (yet).
    #[error("component {component} of app {app} asks for {gpu} GPU(s): GPUs are not supported")]
    GpuUnsupported {
        /// The app.
        app: String,
        /// The component.
        component: String,
        /// GPUs asked for.
        gpu: u32,
    },
    /// `repotag` is not a plain image reference (`[registry/]name[:tag][@sha256:digest]`).
    #[error("component {component} of app {app}: {found:?} is not an image reference")]
    BadImage {
        /// The app.
        app: String,
        /// The component.
        component: String,
        /// The repotag (truncated).
        found: String,
    },
    /// `ports` and `containerPorts` differ in length.
    #[error(
        "component {component} of app {app}: {ports} ports but {container_ports} containerPorts"
    )]
    PortsMismatch {
        /// The app.
        app: String,
        /// The component.
        component: String,
        /// Length of `ports`.
        ports: usize,
        /// Length of `containerPorts`.
        container_ports: usize,
    },
    /// A port (public or container) is 0.
    #[error("component {component} of app {app}: port 0 in {field}")]
    PortZero {
        /// The app.
        app: String,
        /// The component.
        component: String,
        /// `ports` or `containerPorts`.
        field: &'static str,
    },
    /// Two components (or one twice) publish the same public port.
    #[error("app {app} publishes port {port} twice")]
    DuplicatePort {
        /// The app.
        app: String,
        /// The port.
        port: u16,
    },
    /// A public port the node keeps for itself (API, p2p, gateway): publishing it would capture
    /// the node's own traffic.
    #[error("component {component} of app {app}: port {port} is reserved by this node")]
    ReservedPort {
        /// The app.
        app: String,
        /// The component.
        component: String,
        /// The port.
        port: u16,
    },
    /// `containerData` is not an absolute, plain path inside the container (no `..`, `.`, `:`,
    /// `,`, `|`, control characters, system folders, the Docker socket, component references).
    #[error("component {component} of app {app}: containerData {found:?} refused: {why}")]
    BadContainerData {
        /// The app.
        app: String,
        /// The component.
        component: String,
        /// The value (truncated).
        found: String,
        /// The rule it broke.
        why: &'static str,
    },
    /// An environment entry or command argument holds a NUL byte (the engine API cannot carry it).
    #[error("component {component} of app {app}: {field}[{index}] contains a NUL byte")]
    NulByte {
        /// The app.
        app: String,
        /// The component.
        component: String,
        /// `environmentParameters` or `commands`.
        field: &'static str,
        /// Entry index.
        index: usize,
    },
    /// CPU or memory would be 0 (Docker reads 0 as unlimited) or below Docker's minimum, or the
    /// limit overflows.
    #[error("component {component} of app {app}: {resource} {found} gives no valid limit")]
    BadLimit {
        /// The app.
        app: String,
        /// The component.
        component: String,
        /// `cpu` (tenths of a core) or `ram` (MB).
        resource: &'static str,
        /// The value on this node's tier.
        found: u64,
    },
    /// The node tag is not 1–32 ASCII letters, digits or `-`.
    #[error("node tag {found:?} is not 1-32 ASCII letters, digits or '-'")]
    BadNodeTag {
        /// The tag (truncated).
        found: String,
    },
    /// The data directory is not an absolute UTF-8 path.
    #[error("hosting data directory {found:?} must be an absolute UTF-8 path")]
    BadDataDir {
        /// The path, lossily.
        found: String,
    },
    /// The spec or container could not be encoded for hashing (never for a spec read by this
    /// crate's readers).
    #[error("could not encode for hashing: {0}")]
    Encode(String),
}

/// At most 64 characters of `s`, for error messages.
pub(crate) fn snippet(s: &str) -> String {
    s.chars().take(64).collect()
}
