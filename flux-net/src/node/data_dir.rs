//! [`DataDir`]: where a node keeps its files, named once for the node, `fluxd`, `flux devnet`
//! and the commands that read a data directory.

use std::path::{Path, PathBuf};

/// The chain database (redb) in a data directory.
pub const CHAIN_DB_FILE: &str = "chain.redb";

/// The file in a node's data directory that holds its libp2p identity (protobuf-encoded
/// keypair), made on first start with mode 0600 ([`super::write_secret_file`]).
pub const NETWORK_KEY_FILE: &str = "network.key";

/// The file in a validator's data directory that holds its secp256k1 swap key (32 bytes),
/// made on first start like [`NETWORK_KEY_FILE`].
pub const SWAP_KEY_FILE: &str = "swap.key";

/// The file in a validator's data directory its swap witness reads: the burns on other
/// chains the operator's watcher has seen final (a JSON array of burn statements).
pub const OBSERVED_BURNS: &str = "observed-burns.json";

/// `fluxd`'s configuration file in a data directory (when `--config` does not name another).
pub const CONFIG_FILE: &str = "fluxd.toml";

/// The operator key file `flux devnet` writes into each validator's data directory.
pub const VALIDATOR_KEY_FILE: &str = "validator.key";

/// Where a running `fluxd` writes the addresses it listens on (the ports the OS chose when its
/// config asks for port 0).
pub const ADDRESSES_FILE: &str = "fluxd.addrs";

/// A node's data directory and the paths of the files in it.
///
/// ```
/// use std::path::Path;
/// use flux_net::node::DataDir;
///
/// let dir = DataDir::new("/var/lib/fluxd");
/// assert_eq!(dir.chain_db(), Path::new("/var/lib/fluxd/chain.redb"));
/// assert_eq!(dir.network_key(), Path::new("/var/lib/fluxd/network.key"));
/// assert_eq!(dir.config_file(), Path::new("/var/lib/fluxd/fluxd.toml"));
/// // Paths in the config file are relative to the data directory unless absolute.
/// assert_eq!(dir.resolve(Path::new("genesis.json")), Path::new("/var/lib/fluxd/genesis.json"));
/// assert_eq!(dir.resolve(Path::new("/etc/g.json")), Path::new("/etc/g.json"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The chain database ([`CHAIN_DB_FILE`]).
    pub fn chain_db(&self) -> PathBuf {
        self.root.join(CHAIN_DB_FILE)
    }

    /// The libp2p identity ([`NETWORK_KEY_FILE`]).
    pub fn network_key(&self) -> PathBuf {
        self.root.join(NETWORK_KEY_FILE)
    }

    /// The validator's swap key ([`SWAP_KEY_FILE`]).
    pub fn swap_key(&self) -> PathBuf {
        self.root.join(SWAP_KEY_FILE)
    }

    /// The burns the operator's watcher has seen final ([`OBSERVED_BURNS`]).
    pub fn observed_burns(&self) -> PathBuf {
        self.root.join(OBSERVED_BURNS)
    }

    /// `fluxd`'s default configuration file ([`CONFIG_FILE`]).
    pub fn config_file(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// The operator key file `flux devnet` writes ([`VALIDATOR_KEY_FILE`]).
    pub fn validator_key(&self) -> PathBuf {
        self.root.join(VALIDATOR_KEY_FILE)
    }

    /// The addresses a running `fluxd` listens on ([`ADDRESSES_FILE`]).
    pub fn addresses(&self) -> PathBuf {
        self.root.join(ADDRESSES_FILE)
    }

    /// `path` as the configuration file means it: relative to the data directory unless it
    /// is absolute.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }
}
