//! The node's configuration: [`NodeConfig`] for integrators, [`ConfigFile`] for `fluxd.toml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use flux_chain::genesis::Genesis;
use flux_chain::mempool::MempoolConfig;
use flux_core::Network;
use flux_core::crypto::SecretKey;
use libp2p::Multiaddr;
use serde::{Deserialize, Serialize};

use super::{DataDir, NodeError};
use crate::hosting::HostingConfig;

/// Everything a [`Node`](super::Node) needs.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Where the chain database (`chain.redb`) and the network key (`network.key`) live (see
    /// [`DataDir`]).
    pub data_dir: PathBuf,
    /// The chain's genesis (checked against the stored chain, if any).
    pub genesis: Genesis,
    /// Peer-to-peer listen addresses.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial and keep dialling.
    pub bootstrap: Vec<Multiaddr>,
    /// Where the HTTP API listens (`None`: no API).
    pub api: Option<SocketAddr>,
    /// The operator key of this node's FluxNode (`None`: a follower that never votes).
    pub validator_key: Option<SecretKey>,
    /// Mempool limits.
    pub mempool: MempoolConfig,
    /// Hosting and the gateway (`None`: this node runs no container and serves no gateway).
    pub hosting: Option<HostingConfig>,
}

impl NodeConfig {
    /// A node on this machine only: peer-to-peer and the API on `127.0.0.1`, ports chosen by
    /// the OS ([`super::Node::api_addr`] and the p2p handle's listen addresses say which), no
    /// bootstrap peers, default mempool limits. Set `bootstrap` to join others.
    ///
    /// ```
    /// use flux_chain::genesis::Genesis;
    /// use flux_net::node::NodeConfig;
    ///
    /// let (genesis, keys) = Genesis::devnet_with_nodes(1, 1)?;
    /// let config = NodeConfig::local("./node", genesis, Some(keys[0].operator.clone()));
    /// assert_eq!(config.api, Some("127.0.0.1:0".parse()?));
    /// assert!(config.bootstrap.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn local(
        data_dir: impl Into<PathBuf>,
        genesis: Genesis,
        validator_key: Option<SecretKey>,
    ) -> NodeConfig {
        let any_port = Multiaddr::empty()
            .with(libp2p::multiaddr::Protocol::Ip4(
                std::net::Ipv4Addr::LOCALHOST,
            ))
            .with(libp2p::multiaddr::Protocol::Tcp(0));
        NodeConfig {
            data_dir: data_dir.into(),
            genesis,
            listen: vec![any_port],
            bootstrap: Vec::new(),
            api: Some(SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0))),
            validator_key,
            mempool: MempoolConfig::default(),
            hosting: None,
        }
    }
}

/// `fluxd.toml`: relative paths are relative to the data directory.
///
/// ```toml
/// network = "devnet"                       # preset; must match the genesis
/// genesis = "genesis.json"
/// listen = ["/ip4/127.0.0.1/tcp/26656"]
/// bootstrap = ["/ip4/127.0.0.1/tcp/26657"]
/// api = "127.0.0.1:18080"
/// validator_key = "validator.key"          # a `flux keys new` file; leave out to follow only
///
/// [hosting]                                # leave out: no hosting, no gateway
/// gateway = "0.0.0.0:80"                   # see HostingConfig for every key
/// publish_ip = "203.0.113.7"
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The network preset.
    pub network: Network,
    /// The genesis file.
    #[serde(default = "default_genesis")]
    pub genesis: PathBuf,
    /// Listen addresses (multiaddrs).
    #[serde(default)]
    pub listen: Vec<String>,
    /// Bootstrap peers (multiaddrs).
    #[serde(default)]
    pub bootstrap: Vec<String>,
    /// API address.
    #[serde(default)]
    pub api: Option<SocketAddr>,
    /// The validator key file.
    #[serde(default)]
    pub validator_key: Option<PathBuf>,
    /// The `[hosting]` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosting: Option<HostingConfig>,
}

fn default_genesis() -> PathBuf {
    PathBuf::from("genesis.json")
}

impl ConfigFile {
    /// Parses `fluxd.toml` text.
    pub fn from_toml(text: &str) -> Result<ConfigFile, NodeError> {
        toml::from_str(text).map_err(|e| NodeError::Config(e.to_string()))
    }

    /// The TOML text.
    pub fn to_toml(&self) -> Result<String, NodeError> {
        toml::to_string(self).map_err(|e| NodeError::Config(e.to_string()))
    }

    /// A path of the file, resolved against `data_dir` ([`DataDir::resolve`]).
    pub fn resolve(data_dir: &Path, path: &Path) -> PathBuf {
        DataDir::new(data_dir).resolve(path)
    }

    /// The listen and bootstrap addresses, parsed.
    pub fn addresses(&self) -> Result<(Vec<Multiaddr>, Vec<Multiaddr>), NodeError> {
        let parse = |list: &[String]| -> Result<Vec<Multiaddr>, NodeError> {
            list.iter()
                .map(|a| {
                    a.parse()
                        .map_err(|e| NodeError::Config(format!("address {a}: {e}")))
                })
                .collect()
        };
        Ok((parse(&self.listen)?, parse(&self.bootstrap)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_round_trips_and_refuses_unknown_keys() {
        let text = r#"
network = "devnet"
listen = ["/ip4/127.0.0.1/tcp/26656"]
bootstrap = ["/ip4/127.0.0.1/tcp/26657"]
api = "127.0.0.1:18080"
validator_key = "validator.key"

[hosting]
gateway = "127.0.0.1:20080"
node_tag = "n0"
"#;
        let c = ConfigFile::from_toml(text).unwrap();
        assert_eq!(c.genesis, PathBuf::from("genesis.json"));
        assert_eq!(c.addresses().unwrap().1.len(), 1);
        let hosting = c.hosting.clone().unwrap();
        assert_eq!(hosting.gateway, Some("127.0.0.1:20080".parse().unwrap()));
        assert_eq!(hosting.node_tag.as_deref(), Some("n0"));
        assert_eq!(ConfigFile::from_toml(&c.to_toml().unwrap()).unwrap(), c);
        assert!(ConfigFile::from_toml("network = \"devnet\"\nlisten_typo = []").is_err());
        let bad = ConfigFile::from_toml("network = \"devnet\"\nlisten = [\"nope\"]").unwrap();
        assert!(bad.addresses().is_err());
    }
}
