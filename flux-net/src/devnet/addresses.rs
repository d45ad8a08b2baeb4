//! `fluxd.addrs`: what a started `fluxd` listens on, written into its data directory
//! ([`DataDir::addresses`]) so that the devnet and tests find the ports the OS chose.

use std::net::SocketAddr;
use std::path::Path;

use crate::node::{DataDir, Node, NodeError};

/// What a started `fluxd` listens on (TOML in [`DataDir::addresses`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Addresses {
    /// The API's address, if the node serves one.
    pub api: Option<SocketAddr>,
    /// The peer-to-peer listen addresses, each with the node's `/p2p/<peer id>`: what other
    /// nodes put in their `bootstrap`.
    pub p2p: Vec<String>,
    /// The hosting gateway's address, if the node runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<SocketAddr>,
}

impl Addresses {
    /// The addresses `node` listens on.
    pub fn of(node: &Node) -> Addresses {
        let peer = node.p2p().local_peer_id();
        Addresses {
            api: node.api_addr(),
            p2p: node
                .p2p()
                .listen_addrs()
                .into_iter()
                .filter_map(|a| a.with_p2p(peer).ok())
                .map(|a| a.to_string())
                .collect(),
            gateway: node.hosting().and_then(|h| h.gateway_addr()),
        }
    }

    /// The addresses the `fluxd` of `data_dir` wrote, if it has (a file it cannot parse is
    /// being replaced, and reads as none).
    pub fn read(data_dir: &Path) -> Option<Addresses> {
        let text = std::fs::read_to_string(DataDir::new(data_dir).addresses()).ok()?;
        toml::from_str(&text).ok()
    }

    /// Writes them to `data_dir`'s [`DataDir::addresses`] at once (a temporary file renamed),
    /// so a reader never sees half of it.
    pub fn write(&self, data_dir: &Path) -> Result<(), NodeError> {
        let path = DataDir::new(data_dir).addresses();
        let tmp = path.with_extension("addrs.tmp");
        let text = toml::to_string(self).map_err(|e| NodeError::Config(e.to_string()))?;
        let io = |source| NodeError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_addresses_read_back_and_a_missing_file_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Addresses::read(dir.path()), None);
        let a = Addresses {
            api: Some(([127, 0, 0, 1], 8080).into()),
            p2p: vec!["/ip4/127.0.0.1/tcp/4001".into()],
            gateway: Some(([127, 0, 0, 1], 20080).into()),
        };
        a.write(dir.path()).unwrap();
        assert_eq!(Addresses::read(dir.path()), Some(a));
    }
}
