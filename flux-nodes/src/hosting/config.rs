//! [`HostConfig`]: what the node itself brings to hosting (who it is, where it publishes, where
//! app data lives).

use std::net::IpAddr;
use std::path::PathBuf;

use flux_core::Tier;

use super::error::{HostingError, snippet};
use crate::node::NodeId;

/// The node-side inputs of hosting, from the node's registration and its `[hosting]` config.
///
/// ```
/// use flux_nodes::hosting::HostConfig;
/// use flux_nodes::{NodeId, Tier};
///
/// let config = HostConfig::new(NodeId::default(), Tier::Cumulus, "127.0.0.2".parse()?, "/var/lib/flux");
/// assert_eq!(config.network_name("myapp"), "fluxDockerNetwork_myapp");
/// let tagged = config.with_tag("n1");
/// assert_eq!(tagged.container_name("web", "myapp"), "fluxweb_myapp_n1");
/// assert_eq!(tagged.component_data("myapp", "web"), std::path::Path::new("/var/lib/flux/apps/myapp_n1/web"));
/// assert!(tagged.check().is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostConfig {
    /// This node.
    pub node: NodeId,
    /// Its tier (tiered components take this tier's CPU and memory).
    pub tier: Tier,
    /// Host address published ports bind to.
    pub host_ip: IpAddr,
    /// The node's data directory; app data lives under `<data_dir>/apps/`.
    pub data_dir: PathBuf,
    /// Suffix for container and network names when several nodes share one Docker Engine
    /// (devnet, tests): 1–32 ASCII letters, digits or `-`.
    pub tag: Option<String>,
    /// Public ports apps may not publish: the node's own API, p2p and gateway ports.
    pub reserved_ports: Vec<u16>,
}

impl HostConfig {
    /// A config without tag or reserved ports.
    pub fn new(node: NodeId, tier: Tier, host_ip: IpAddr, data_dir: impl Into<PathBuf>) -> Self {
        HostConfig {
            node,
            tier,
            host_ip,
            data_dir: data_dir.into(),
            tag: None,
            reserved_ports: Vec::new(),
        }
    }

    /// The same config with a node tag.
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The same config with these reserved ports.
    pub fn with_reserved_ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.reserved_ports = ports.into_iter().collect();
        self
    }

    /// Checks the tag and the data directory.
    ///
    /// # Errors
    /// [`HostingError::BadNodeTag`], [`HostingError::BadDataDir`].
    pub fn check(&self) -> Result<(), HostingError> {
        if let Some(tag) = &self.tag {
            let ok = (1..=32).contains(&tag.len())
                && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return Err(HostingError::BadNodeTag {
                    found: snippet(tag),
                });
            }
        }
        if !self.data_dir.is_absolute() || self.data_dir.to_str().is_none() {
            return Err(HostingError::BadDataDir {
                found: self.data_dir.to_string_lossy().into_owned(),
            });
        }
        Ok(())
    }

    /// The node id as the [`LABEL_NODE`](super::LABEL_NODE) value (hex).
    pub fn node_label(&self) -> String {
        self.node.to_string()
    }

    /// `flux<component>_<app>`, with `_<tag>` when the node has one.
    pub fn container_name(&self, component: &str, app: &str) -> String {
        self.tagged(format!("flux{component}_{app}"))
    }

    /// `fluxDockerNetwork_<app>`, with `_<tag>` when the node has one.
    pub fn network_name(&self, app: &str) -> String {
        self.tagged(format!("fluxDockerNetwork_{app}"))
    }

    /// `<data_dir>/apps/<app>` (`<app>_<tag>` with a tag, so nodes that share a data
    /// directory as well as an engine never share or delete each other's data): everything of
    /// the app on this node.
    pub fn app_data(&self, app: &str) -> PathBuf {
        self.data_dir.join("apps").join(self.tagged(app.to_owned()))
    }

    /// `<data_dir>/apps/<app>/<component>`: the component's data folder.
    pub fn component_data(&self, app: &str, component: &str) -> PathBuf {
        self.app_data(app).join(component)
    }

    fn tagged(&self, mut name: String) -> String {
        if let Some(tag) = &self.tag {
            name.push('_');
            name.push_str(tag);
        }
        name
    }
}
