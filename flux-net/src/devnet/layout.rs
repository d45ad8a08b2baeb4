//! The devnet on disk: keys, genesis, and one directory with a `fluxd.toml` per validator (see
//! the module docs of [`super`] for the files).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use flux_chain::devnet::ValidatorKeys;
use flux_chain::genesis::Genesis;
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount, ChainId, Network};

use super::{Addresses, DevnetError, io};
use crate::api::keyfile;
use crate::hosting::HostingConfig;
use crate::node::{ConfigFile, DataDir, VALIDATOR_KEY_FILE};

/// FLUX in the faucet account.
pub const FAUCET_FLUX: u64 = 10_000_000;

/// Most validators of a devnet.
pub const MAX_VALIDATORS: usize = 100;

/// A devnet on disk.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Its directory.
    pub dir: PathBuf,
    /// Number of validators.
    pub validators: usize,
    /// API port of validator 0; 0: every port chosen by the OS.
    pub api_port: u16,
    /// Hosting: `None` off (no `[hosting]` section); `Some(g)`: validator `i` hosts apps,
    /// its gateway on `127.0.0.1:(g + i)` (`g` 0: chosen by the OS).
    pub gateway_port: Option<u16>,
}

/// The domain suffix of the devnet's gateways.
pub const DOMAIN_SUFFIX: &str = "app.localhost";

/// Milliseconds between two reconcile passes on a devnet node.
pub const RECONCILE_INTERVAL_MS: u64 = 500;

impl Layout {
    /// Validator `i`'s directory.
    pub fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.join(format!("node{i}"))
    }

    /// Validator `i`'s own loopback address, `127.0.0.(i + 1)`: its API listens there, its
    /// registered endpoint names it and its apps publish their ports there, as on separate
    /// hosts (Linux routes all of 127.0.0.0/8 to the loopback interface).
    pub fn host_ip(i: usize) -> Ipv4Addr {
        Ipv4Addr::new(127, 0, 0, u8::try_from(i + 1).unwrap_or(u8::MAX))
    }

    /// Validator `i`'s API URL. With OS-chosen ports, the one its running `fluxd` wrote
    /// (port 0 if it does not run).
    pub fn api_url(&self, i: usize) -> String {
        if self.api_port == 0 {
            let api = Addresses::read(&self.node_dir(i)).and_then(|a| a.api);
            return format!(
                "http://{}",
                api.unwrap_or_else(|| (Layout::host_ip(i), 0).into())
            );
        }
        format!(
            "http://{}:{}",
            Layout::host_ip(i),
            usize::from(self.api_port) + i
        )
    }

    /// Validator `i`'s gateway address, when the devnet hosts apps: from its running `fluxd`
    /// with an OS-chosen port, else `127.0.0.1:(gateway_port + i)`.
    pub fn gateway_addr(&self, i: usize) -> Option<SocketAddr> {
        let base = self.gateway_port?;
        if base == 0 {
            return Addresses::read(&self.node_dir(i)).and_then(|a| a.gateway);
        }
        let port = u16::try_from(usize::from(base) + i).ok()?;
        Some((Ipv4Addr::LOCALHOST, port).into())
    }

    /// Turns hosting on (`Some(g)`: node `i`'s gateway on `g + i`, 0: OS-chosen) or off
    /// (`None`), rewriting every validator's `fluxd.toml`.
    pub fn set_hosting(&mut self, gateway_port: Option<u16>) -> Result<(), DevnetError> {
        self.gateway_port = gateway_port;
        for i in 0..self.validators {
            self.write_config(i)?;
        }
        Ok(())
    }

    /// The node ids of the devnet's validators (from its genesis), in id order: the
    /// `io.flux.node` label of the containers they run.
    pub fn node_ids(&self) -> Result<Vec<flux_nodes::NodeId>, DevnetError> {
        let path = self.dir.join("genesis.json");
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let state = Genesis::from_json(&text)?.state()?;
        Ok(state.registry().iter().map(|n| n.id).collect())
    }

    /// The `[hosting]` section of validator `i`, when hosting is on.
    fn hosting_config(&self, i: usize) -> Option<HostingConfig> {
        let base = self.gateway_port?;
        let gateway = if base == 0 {
            0
        } else {
            u16::try_from(usize::from(base) + i).ok()?
        };
        Some(HostingConfig {
            enabled: true,
            docker: None,
            gateway: Some((Ipv4Addr::LOCALHOST, gateway).into()),
            publish_ip: IpAddr::V4(Layout::host_ip(i)),
            domain_suffix: DOMAIN_SUFFIX.to_owned(),
            data_path: None,
            node_tag: Some(format!("n{i}")),
            reconcile_interval_ms: RECONCILE_INTERVAL_MS,
        })
    }

    /// The faucet key file.
    pub fn faucet(&self) -> PathBuf {
        self.dir.join("keys").join("faucet.key")
    }

    /// The key file of the owner of validator `i`'s FluxNode.
    pub fn owner_key(&self, i: usize) -> PathBuf {
        self.dir.join("keys").join(format!("owner-{i}.key"))
    }

    /// Whether `dir` already holds a devnet.
    pub fn exists(dir: &Path) -> bool {
        dir.join("genesis.json").is_file()
    }

    /// Opens the devnet in `dir` (its validators as they are, their configs rewritten for
    /// `api_port`), or creates one with `validators` fresh validators (1 to
    /// [`MAX_VALIDATORS`]), a funded faucet and a genesis dated now.
    pub fn create_or_open(
        dir: &Path,
        validators: usize,
        api_port: u16,
    ) -> Result<Layout, DevnetError> {
        Layout::create_or_open_with(dir, validators, api_port, &BTreeMap::new())
    }

    /// [`Layout::create_or_open`] whose new genesis starts the governable parameters `params`
    /// at other values than the devnet preset's ([`Genesis::params`]), e.g. nodes that expire
    /// after 40 blocks for a test of re-placement. An existing devnet keeps its genesis.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use flux_net::devnet::Layout;
    /// let dir = tempfile::tempdir()?;
    /// let params = BTreeMap::from([
    ///     ("nodes.min_confirm_interval".to_owned(), 20),
    ///     ("nodes.expire_after".to_owned(), 40),
    /// ]);
    /// let layout = Layout::create_or_open_with(dir.path(), 4, 0, &params)?;
    /// let text = std::fs::read_to_string(layout.dir.join("genesis.json"))?;
    /// assert!(text.contains("\"nodes.expire_after\": 40"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_or_open_with(
        dir: &Path,
        validators: usize,
        api_port: u16,
        params: &BTreeMap<String, u64>,
    ) -> Result<Layout, DevnetError> {
        if Layout::exists(dir) {
            let mut n = 0;
            while DataDir::new(dir.join(format!("node{n}")))
                .config_file()
                .is_file()
            {
                n += 1;
            }
            let layout = Layout {
                dir: dir.to_path_buf(),
                validators: n,
                api_port,
                gateway_port: None,
            };
            // Ports may change between runs; the rest stays.
            for i in 0..n {
                layout.write_config(i)?;
            }
            return Ok(layout);
        }
        if validators == 0 || validators > MAX_VALIDATORS {
            return Err(DevnetError::Validators(validators));
        }
        let layout = Layout {
            dir: dir.to_path_buf(),
            validators,
            api_port,
            gateway_port: None,
        };
        let keys_dir = dir.join("keys");
        std::fs::create_dir_all(&keys_dir).map_err(io(&keys_dir))?;
        let mut rng = rand_core::OsRng;
        let keys: Vec<ValidatorKeys> = (0..validators)
            .map(|_| ValidatorKeys {
                owner: SecretKey::generate(Scheme::Ed25519, &mut rng),
                operator: SecretKey::generate(Scheme::Ed25519, &mut rng),
            })
            .collect();
        let faucet = SecretKey::generate(Scheme::Ed25519, &mut rng);
        let funded = [(
            Address::from_public_key(&faucet.public_key()),
            Amount::from_flux(FAUCET_FLUX)?,
        )];
        // A devnet's genesis is dated when it is made (block times follow it).
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut genesis =
            Genesis::with_validators(Network::Devnet, ChainId::DEVNET, now, &keys, &funded)?;
        genesis.params = params.clone();
        // Each validator registers its own loopback address (where its apps publish, so that
        // other nodes' gateways reach them) with its API port (so `flux app status` reaches
        // it; with OS-chosen ports, the default port stands in).
        for (i, node) in genesis.nodes.iter_mut().enumerate() {
            let port = match self_api(api_port, i) {
                Some(p) => p,
                None => 16_127 + u16::try_from(i).unwrap_or(0),
            };
            node.endpoint = format!("{}:{port}", Layout::host_ip(i));
        }
        genesis.state()?;
        let text = genesis.to_json()?;
        let path = dir.join("genesis.json.tmp");
        keyfile::write(&layout.faucet(), &faucet, true)?;
        for (i, k) in keys.iter().enumerate() {
            keyfile::write(&layout.owner_key(i), &k.owner, true)?;
            let node = layout.node_dir(i);
            std::fs::create_dir_all(&node).map_err(io(&node))?;
            keyfile::write(&DataDir::new(&node).validator_key(), &k.operator, true)?;
            layout.write_config(i)?;
        }
        // The genesis last: its presence marks a complete devnet.
        std::fs::write(&path, text).map_err(io(&path))?;
        std::fs::rename(&path, dir.join("genesis.json")).map_err(io(&path))?;
        Ok(layout)
    }

    fn p2p_port(&self, i: usize) -> usize {
        usize::from(self.api_port) + 1000 + i
    }

    /// Writes validator `i`'s `fluxd.toml`. With OS-chosen ports it bootstraps from the
    /// validators that run now (their addresses files).
    pub(super) fn write_config(&self, i: usize) -> Result<(), DevnetError> {
        let others = (0..self.validators).filter(|&j| j != i);
        let (listen, bootstrap, api) = if self.api_port == 0 {
            let bootstrap = others
                .filter_map(|j| Addresses::read(&self.node_dir(j)))
                .flat_map(|a| a.p2p)
                .collect();
            ("/ip4/127.0.0.1/tcp/0".to_owned(), bootstrap, 0usize)
        } else {
            let bootstrap = others
                .map(|j| format!("/ip4/127.0.0.1/tcp/{}", self.p2p_port(j)))
                .collect();
            let api = usize::from(self.api_port) + i;
            let listen = format!("/ip4/127.0.0.1/tcp/{}", self.p2p_port(i));
            (listen, bootstrap, api)
        };
        let config = ConfigFile {
            network: Network::Devnet,
            genesis: PathBuf::from("../genesis.json"),
            listen: vec![listen],
            bootstrap,
            api: format!("{}:{api}", Layout::host_ip(i)).parse().ok(),
            validator_key: Some(PathBuf::from(VALIDATOR_KEY_FILE)),
            hosting: self.hosting_config(i),
        };
        let path = DataDir::new(self.node_dir(i)).config_file();
        std::fs::write(&path, config.to_toml()?).map_err(io(&path))
    }
}

/// Validator `i`'s fixed API port (`None` with OS-chosen ports or past the last port).
fn self_api(api_port: u16, i: usize) -> Option<u16> {
    if api_port == 0 {
        return None;
    }
    u16::try_from(usize::from(api_port) + i).ok()
}
