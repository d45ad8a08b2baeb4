//! A local devnet on loopback: the layout on disk (keys, genesis, one directory and
//! `fluxd.toml` per validator) and the `fluxd` processes that run it.
//!
//! ```text
//! DIR/genesis.json
//! DIR/keys/owner-<i>.key      owner of validator i's FluxNode (its collateral and rewards)
//! DIR/keys/faucet.key         a funded account for transfers and load tests
//! DIR/node<i>/fluxd.toml      p2p on 127.0.0.1:(api_port + 1000 + i), API on api_port + i
//! DIR/node<i>/validator.key   validator i's operator key
//! DIR/node<i>/fluxd.log       its log
//! DIR/node<i>/fluxd.addrs     the addresses it listens on, while it runs
//! ```
//!
//! With `api_port` 0 the OS chooses every port (no collisions with anything else running,
//! as tests need): [`Layout::spawn`] then points a validator's bootstrap list at the others
//! that run, and returns once the new one wrote its addresses ([`crate::fluxd::Addresses`]),
//! which [`Layout::api_url`] reads.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flux_chain::devnet::ValidatorKeys;
use flux_chain::genesis::Genesis;
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount, ChainId, Network};
use flux_net::node::{ConfigFile, DataDir, VALIDATOR_KEY_FILE};

use crate::error::CliError;
use crate::fluxd::Addresses;
use crate::keyfile;

/// FLUX in the faucet account.
pub const FAUCET_FLUX: u64 = 10_000_000;

/// How long [`Layout::spawn`] waits for a `fluxd` on OS-chosen ports to say where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A devnet on disk.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Its directory.
    pub dir: PathBuf,
    /// Number of validators.
    pub validators: usize,
    /// API port of validator 0; 0: every port chosen by the OS.
    pub api_port: u16,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |e| CliError::Devnet(format!("{}: {e}", path.display()))
}

impl Layout {
    /// Validator `i`'s directory.
    pub fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.join(format!("node{i}"))
    }

    /// Validator `i`'s API URL. With OS-chosen ports, the one its running `fluxd` wrote
    /// (port 0 if it does not run).
    pub fn api_url(&self, i: usize) -> String {
        if self.api_port == 0 {
            let api = Addresses::read(&self.node_dir(i)).and_then(|a| a.api);
            return format!(
                "http://{}",
                api.unwrap_or_else(|| ([127, 0, 0, 1], 0).into())
            );
        }
        format!("http://127.0.0.1:{}", usize::from(self.api_port) + i)
    }

    /// The faucet key file.
    pub fn faucet(&self) -> PathBuf {
        self.dir.join("keys").join("faucet.key")
    }

    /// Whether `dir` already holds a devnet.
    pub fn exists(dir: &Path) -> bool {
        dir.join("genesis.json").is_file()
    }

    /// Opens the devnet in `dir`, or creates one with `validators` fresh validators.
    pub fn create_or_open(
        dir: &Path,
        validators: usize,
        api_port: u16,
    ) -> Result<Layout, CliError> {
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
            };
            // Ports may change between runs; the rest stays.
            for i in 0..n {
                layout.write_config(i)?;
            }
            return Ok(layout);
        }
        if validators == 0 || validators > 100 {
            return Err(CliError::Devnet(
                "--validators must be between 1 and 100".into(),
            ));
        }
        let layout = Layout {
            dir: dir.to_path_buf(),
            validators,
            api_port,
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
            Amount::from_flux(FAUCET_FLUX).map_err(|e| CliError::Devnet(e.to_string()))?,
        )];
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let genesis =
            Genesis::with_validators(Network::Devnet, ChainId::DEVNET, now, &keys, &funded)
                .map_err(|e| CliError::Devnet(e.to_string()))?;
        let text = genesis
            .to_json()
            .map_err(|e| CliError::Devnet(e.to_string()))?;
        let path = dir.join("genesis.json.tmp");
        keyfile::write(&layout.faucet(), &faucet, true)?;
        for (i, k) in keys.iter().enumerate() {
            keyfile::write(&keys_dir.join(format!("owner-{i}.key")), &k.owner, true)?;
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
    fn write_config(&self, i: usize) -> Result<(), CliError> {
        let others = (0..self.validators).filter(|&j| j != i);
        let (listen, bootstrap, api) = if self.api_port == 0 {
            let bootstrap = others
                .filter_map(|j| Addresses::read(&self.node_dir(j)))
                .flat_map(|a| a.p2p)
                .collect();
            ("/ip4/127.0.0.1/tcp/0".to_owned(), bootstrap, 0)
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
            api: format!("127.0.0.1:{api}").parse().ok(),
            validator_key: Some(PathBuf::from(VALIDATOR_KEY_FILE)),
        };
        let path = DataDir::new(self.node_dir(i)).config_file();
        let text = config
            .to_toml()
            .map_err(|e| CliError::Devnet(e.to_string()))?;
        std::fs::write(&path, text).map_err(io(&path))
    }

    /// Starts validator `i`'s `fluxd` (the binary at `fluxd`), logging to its `fluxd.log`.
    /// With OS-chosen ports, first points its bootstrap list at the validators that run, and
    /// returns once it wrote the addresses it listens on.
    pub fn spawn(&self, i: usize, fluxd: &Path) -> Result<Child, CliError> {
        let dir = self.node_dir(i);
        // Whatever a killed run left names ports that may be gone.
        let addresses = DataDir::new(&dir).addresses();
        match std::fs::remove_file(&addresses) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&addresses)(e)),
            _ => {}
        }
        if self.api_port == 0 {
            self.write_config(i)?;
        }
        let log_path = dir.join("fluxd.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io(&log_path))?;
        let err = log.try_clone().map_err(io(&log_path))?;
        let mut child = Command::new(fluxd)
            .arg("--data-dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(io(fluxd))?;
        if self.api_port == 0 {
            let started = Instant::now();
            while Addresses::read(&dir).is_none() {
                let exited = child.try_wait().map_err(io(fluxd))?;
                if let Some(status) = exited {
                    return Err(CliError::Devnet(format!(
                        "node{i}'s fluxd exited with {status} (see {})",
                        log_path.display()
                    )));
                }
                if started.elapsed() > START_TIMEOUT {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(CliError::Devnet(format!(
                        "node{i}'s fluxd did not start listening in {START_TIMEOUT:?}"
                    )));
                }
                // Another process's file: nothing to wait on but the file itself.
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(child)
    }
}

/// Asks a child process to stop cleanly (SIGTERM).
pub fn terminate(child: &Child) -> Result<(), CliError> {
    let pid = rustix::process::Pid::from_raw(child.id() as i32)
        .ok_or_else(|| CliError::Devnet(format!("bad pid {}", child.id())))?;
    rustix::process::kill_process(pid, rustix::process::Signal::TERM)
        .map_err(|e| CliError::Devnet(format!("kill {}: {e}", child.id())))
}

/// The `fluxd` binary next to the running executable, or on the PATH.
pub fn fluxd_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("fluxd")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("fluxd"))
}
