//! An API over an in-memory devnet chain with a block-producing thread, key files, and a
//! helper that runs `flux --json`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use flux_chain::chain::Chain;
use flux_chain::genesis::Genesis;
use flux_chain::mempool::{Mempool, MempoolConfig};
use flux_chain::store::MemStore;
use flux_chain::transition::{BuildMode, BuiltBlock, propose_block};
use flux_chain::tx::TxId;
use flux_core::crypto::SecretKey;
use flux_core::{Address, Network};
use flux_net::api::{ChainBackend, serve};
use flux_net::metrics::Metrics;
use serde_json::Value;

/// An API over an in-memory devnet chain; a thread applies a block from the mempool every
/// 20 ms (or the interval given) until dropped.
pub struct Node {
    pub url: String,
    /// Transactions the block producer left out, with the chain's reason (they stay pending).
    pub dropped: Arc<Mutex<BTreeMap<TxId, String>>>,
    /// While set, the producer makes blocks only for pending transactions: heights (and the
    /// windows counted in them, like a vote's) do not pass while a test is busy.
    hold: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    producer: Option<std::thread::JoinHandle<()>>,
    _rt: tokio::runtime::Runtime,
}

impl Node {
    pub fn start() -> Node {
        Node::with_genesis(&Genesis::devnet_example(), Duration::from_millis(20))
    }

    /// A node over `genesis`, producing a block every `interval`.
    pub fn with_genesis(genesis: &Genesis, interval: Duration) -> Node {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let chain = Arc::new(RwLock::new(
            Chain::open_or_create(MemStore::new(), genesis).unwrap(),
        ));
        let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
        let backend =
            ChainBackend::standalone(chain.clone(), pool.clone(), Arc::new(Metrics::new()))
                .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        rt.spawn(serve(listener, Arc::new(backend), std::future::pending()));
        let stop = Arc::new(AtomicBool::new(false));
        let running = stop.clone();
        let hold = Arc::new(AtomicBool::new(false));
        let holding = hold.clone();
        let dropped = Arc::new(Mutex::new(BTreeMap::new()));
        let refused = dropped.clone();
        let producer = std::thread::spawn(move || {
            let proposer = key(1);
            while !running.load(Ordering::Relaxed) {
                // The chain's block time (a real-time rate, not a wait for something): kept.
                std::thread::sleep(interval);
                let mut chain = chain.write().unwrap();
                let mut pool = pool.lock().unwrap();
                let txs = pool.select(chain.state(), 5_000);
                if txs.is_empty() && holding.load(Ordering::Relaxed) {
                    continue;
                }
                let time = chain.state().tip().timestamp_ms + 1_000;
                let BuiltBlock {
                    block,
                    dropped: left_out,
                    ..
                } = propose_block(
                    chain.state(),
                    &proposer,
                    time,
                    vec![],
                    txs,
                    BuildMode::CHECKED,
                )
                .unwrap();
                refused
                    .lock()
                    .unwrap()
                    .extend(left_out.into_iter().map(|(id, e)| (id, e.to_string())));
                chain.apply(&block).unwrap();
                pool.prune(chain.state());
            }
        });
        Node {
            url,
            dropped,
            hold,
            stop,
            producer: Some(producer),
            _rt: rt,
        }
    }
}

impl Node {
    /// From now on, blocks only for pending transactions (`true`), or one every interval again.
    pub fn hold_empty_blocks(&self, hold: bool) {
        self.hold.store(hold, Ordering::Relaxed);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(p) = self.producer.take() {
            let _ = p.join();
        }
    }
}

/// Key `[i; 32]`, from the test kit.
pub use flux_chain::testkit::keys::key;

pub fn key_file(dir: &Path, i: u8) -> PathBuf {
    let path = dir.join(format!("key{i}.json"));
    flux_net::api::keyfile::write(&path, &key(i), true).unwrap();
    path
}

/// Runs `flux --json ARGS`; the exit code and the printed JSON.
pub fn flux(args: &[&str]) -> (i32, Value) {
    let mut out = Vec::new();
    let code = flux_cli::run(
        ["flux", "--json"].into_iter().chain(args.iter().copied()),
        &mut out,
    );
    let json = if out.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&out).unwrap()
    };
    (code, json)
}

/// Runs the `flux` binary with `args`: the exit code, standard output and standard error (for
/// the messages of refusals, which go to standard error).
pub fn flux_bin(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn bech32(key: &SecretKey) -> String {
    Address::from_public_key(&key.public_key()).to_bech32(Network::Devnet)
}

/// A `flux_net::node::Node` validating alone (keys derived from `seed`) in `dir`, its API on a
/// free port, key `funded` holding 1,000 FLUX (the kit's `start_validator`, genesis dated now);
/// the node and its API's URL.
#[allow(dead_code)] // not every test binary starts a real node
pub fn start_validator(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    seed: u64,
    funded: u8,
) -> (flux_net::node::Node, String) {
    let amount = flux_core::Amount::from_flux(1_000).unwrap();
    let (node, _client) = rt
        .block_on(flux_net::testkit::node::start_validator(
            dir,
            seed,
            &key(funded),
            amount,
        ))
        .unwrap();
    let url = format!("http://{}", node.api_addr().unwrap());
    (node, url)
}

/// A two-thread runtime for the tests that start a real node.
#[allow(dead_code)] // not every test binary starts a real node
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
