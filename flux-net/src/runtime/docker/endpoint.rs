//! [`DockerEndpoint`]: where the engine listens, from the config or `DOCKER_HOST`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::RuntimeError;

/// The engine's socket when neither the config nor `DOCKER_HOST` names one.
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Where the Docker Engine listens.
///
/// ```
/// use flux_net::runtime::DockerEndpoint;
///
/// let unix: DockerEndpoint = "unix:///var/run/docker.sock".parse()?;
/// assert_eq!(unix, DockerEndpoint::Unix("/var/run/docker.sock".into()));
/// assert_eq!("/run/docker.sock".parse::<DockerEndpoint>()?, DockerEndpoint::Unix("/run/docker.sock".into()));
/// let tcp: DockerEndpoint = "tcp://10.0.0.2:2375".parse()?;
/// assert_eq!(tcp.to_string(), "tcp://10.0.0.2:2375");
/// assert!("ssh://host".parse::<DockerEndpoint>().is_err());
/// # Ok::<(), flux_net::runtime::RuntimeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DockerEndpoint {
    /// A unix socket path.
    Unix(PathBuf),
    /// `host:port` over plain HTTP.
    Tcp(String),
}

impl DockerEndpoint {
    /// The endpoint named by `DOCKER_HOST`, else the default socket.
    ///
    /// # Errors
    /// [`RuntimeError::BadEndpoint`] when `DOCKER_HOST` is set to something unusable.
    pub fn from_env() -> Result<Self, RuntimeError> {
        match std::env::var("DOCKER_HOST") {
            Ok(host) if !host.trim().is_empty() => host.trim().parse(),
            _ => Ok(Self::Unix(DEFAULT_SOCKET.into())),
        }
    }
}

impl FromStr for DockerEndpoint {
    type Err = RuntimeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| RuntimeError::BadEndpoint {
            endpoint: text.to_string(),
            reason: reason.to_string(),
        };
        if let Some(path) = text.strip_prefix("unix://") {
            if path.starts_with('/') {
                return Ok(Self::Unix(path.into()));
            }
            return Err(bad("a unix socket path must be absolute"));
        }
        if text.starts_with('/') {
            return Ok(Self::Unix(text.into()));
        }
        let rest = text
            .strip_prefix("tcp://")
            .or_else(|| text.strip_prefix("http://"));
        match rest {
            Some(address) if !address.is_empty() && !address.contains('/') => {
                Ok(Self::Tcp(address.to_string()))
            }
            Some(_) => Err(bad("expected tcp://host:port")),
            None => Err(bad(
                "expected unix:///path, /path or tcp://host:port (no TLS, no SSH)",
            )),
        }
    }
}

impl fmt::Display for DockerEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix://{}", path.display()),
            Self::Tcp(address) => write!(f, "tcp://{address}"),
        }
    }
}
