//! A node's configuration read from its files: `fluxd.toml` ([`ConfigFile`]), the genesis and
//! the validator key it names, into a [`NodeConfig`] (what `fluxd` starts the node with).

use std::path::{Path, PathBuf};

use flux_chain::genesis::Genesis;
use flux_chain::mempool::MempoolConfig;

use super::{ConfigFile, DataDir, NodeConfig, NodeError};

impl NodeConfig {
    /// Reads the config file at `config` (default: [`DataDir::config_file`] of `data_dir`), the
    /// genesis and the validator key it names (paths relative to `data_dir`), and checks that
    /// the genesis is of the config's network. The mempool takes its defaults.
    ///
    /// ```
    /// use flux_net::node::{NodeConfig, NodeError};
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("fluxd.toml"), "network = \"devnet\"\n")?;
    /// // The config names genesis.json, which is not there.
    /// let missing = NodeConfig::load(dir.path(), None).unwrap_err();
    /// assert!(matches!(missing, NodeError::Io { .. }), "{missing}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(data_dir: &Path, config: Option<&Path>) -> Result<NodeConfig, NodeError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| NodeError::Io { path, source }
        };
        let config_path: PathBuf = config
            .map(Path::to_path_buf)
            .unwrap_or_else(|| DataDir::new(data_dir).config_file());
        let text = std::fs::read_to_string(&config_path).map_err(io(&config_path))?;
        let file = ConfigFile::from_toml(&text)?;
        let genesis_path = ConfigFile::resolve(data_dir, &file.genesis);
        let genesis_text = std::fs::read_to_string(&genesis_path).map_err(io(&genesis_path))?;
        let genesis = Genesis::from_json(&genesis_text)
            .map_err(|e| NodeError::Config(format!("{}: {e}", genesis_path.display())))?;
        if genesis.network != file.network {
            return Err(NodeError::Config(format!(
                "the config says {:?} but the genesis is a {:?} genesis",
                file.network, genesis.network
            )));
        }
        let validator_key = match &file.validator_key {
            Some(p) => {
                let path = ConfigFile::resolve(data_dir, p);
                Some(
                    crate::api::keyfile::read(&path)
                        .map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))?,
                )
            }
            None => None,
        };
        let (listen, bootstrap) = file.addresses()?;
        Ok(NodeConfig {
            data_dir: data_dir.to_path_buf(),
            genesis,
            listen,
            bootstrap,
            api: file.api,
            validator_key,
            mempool: MempoolConfig::default(),
            hosting: file.hosting.clone(),
        })
    }
}
