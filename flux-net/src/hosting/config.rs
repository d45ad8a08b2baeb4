//! [`HostingConfig`]: the `[hosting]` section of `fluxd.toml`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where and how a node hosts apps: the `[hosting]` section of `fluxd.toml`.
///
/// ```toml
/// [hosting]
/// enabled = true
/// docker = "unix:///var/run/docker.sock"   # leave out: DOCKER_HOST, else the default socket
/// gateway = "0.0.0.0:80"                   # the HTTP gateway (`None`: no gateway)
/// publish_ip = "203.0.113.7"               # app ports are published on this address only
/// domain_suffix = "app.example.org"        # <app>.<suffix> and <component>.<app>.<suffix>
/// data_path = "apps-data"                  # relative to the data directory; default: the data directory
/// node_tag = "n1"                          # only where several nodes share one Docker Engine
/// ```
///
/// ```
/// use flux_net::hosting::HostingConfig;
///
/// let config: HostingConfig = toml::from_str("gateway = \"127.0.0.1:20080\"")?;
/// assert!(config.enabled);
/// assert_eq!(config.domain_suffix, "app.localhost");
/// assert_eq!(config.publish_ip.to_string(), "127.0.0.1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostingConfig {
    /// Host the apps placed on this node (default `true`). Off: the node validates and routes
    /// through its gateway but runs no container.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The Docker Engine: `unix:///path`, a socket path, or `tcp://host:port`. `None`:
    /// `DOCKER_HOST`, else the platform's default socket.
    #[serde(default)]
    pub docker: Option<String>,
    /// Where the HTTP gateway listens (`None`: no gateway).
    #[serde(default)]
    pub gateway: Option<SocketAddr>,
    /// The host address app ports are published on (default `127.0.0.1`; a public node sets
    /// its public address).
    #[serde(default = "loopback")]
    pub publish_ip: IpAddr,
    /// The gateway's domain suffix (default `app.localhost`).
    #[serde(default = "default_suffix")]
    pub domain_suffix: String,
    /// Where app data lives (`<data_path>/apps/<app>/<component>/`); relative paths are
    /// relative to the data directory (default: the data directory).
    #[serde(default)]
    pub data_path: Option<PathBuf>,
    /// A tag added to container and network names where several nodes share one Docker
    /// Engine (the devnet, tests).
    #[serde(default)]
    pub node_tag: Option<String>,
    /// Milliseconds between two reconcile passes when no block arrives (default 2,000).
    #[serde(default = "default_interval")]
    pub reconcile_interval_ms: u64,
}

fn yes() -> bool {
    true
}

fn loopback() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

fn default_suffix() -> String {
    "app.localhost".to_owned()
}

fn default_interval() -> u64 {
    2_000
}

impl Default for HostingConfig {
    fn default() -> Self {
        HostingConfig {
            enabled: true,
            docker: None,
            gateway: None,
            publish_ip: loopback(),
            domain_suffix: default_suffix(),
            data_path: None,
            node_tag: None,
            reconcile_interval_ms: default_interval(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_an_empty_section_and_unknown_keys_are_refused() {
        let c: HostingConfig = toml::from_str("").unwrap();
        assert_eq!(c, HostingConfig::default());
        let text = toml::to_string(&c).unwrap();
        assert_eq!(toml::from_str::<HostingConfig>(&text).unwrap(), c);
        assert!(toml::from_str::<HostingConfig>("gatway = \"127.0.0.1:1\"").is_err());
        let off: HostingConfig = toml::from_str("enabled = false").unwrap();
        assert!(!off.enabled);
    }
}
