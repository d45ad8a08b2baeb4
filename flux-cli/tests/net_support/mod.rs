//! An API over an in-memory devnet chain with a block-producing thread, key files, and a
//! helper that runs `flux --json`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use flux_chain::chain::Chain;
use flux_chain::genesis::Genesis;
use flux_chain::mempool::{Mempool, MempoolConfig};
use flux_chain::store::MemStore;
use flux_chain::transition::build_block_from;
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Network};
use flux_net::api::{ChainBackend, serve};
use flux_net::metrics::Metrics;
use serde_json::Value;

/// An API over an in-memory devnet chain; a thread applies a block from the mempool every
/// 20 ms until dropped.
pub struct Node {
    pub url: String,
    stop: Arc<AtomicBool>,
    producer: Option<std::thread::JoinHandle<()>>,
    _rt: tokio::runtime::Runtime,
}

impl Node {
    pub fn start() -> Node {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let chain = Arc::new(RwLock::new(
            Chain::open_or_create(MemStore::new(), &Genesis::devnet_example()).unwrap(),
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
        let producer = std::thread::spawn(move || {
            let proposer = key(1).public_key();
            while !running.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
                let mut chain = chain.write().unwrap();
                let mut pool = pool.lock().unwrap();
                let txs = pool.select(chain.state(), 5_000);
                let time = chain.state().tip().timestamp_ms + 1_000;
                let (block, _) =
                    build_block_from(chain.state(), proposer, time, vec![], txs).unwrap();
                chain.apply(&block).unwrap();
                pool.prune(chain.state());
            }
        });
        Node {
            url,
            stop,
            producer: Some(producer),
            _rt: rt,
        }
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

pub fn key(i: u8) -> SecretKey {
    SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).unwrap()
}

pub fn key_file(dir: &Path, i: u8) -> PathBuf {
    let path = dir.join(format!("key{i}.json"));
    flux_cli::keyfile::write(&path, &key(i), true).unwrap();
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

pub fn bech32(key: &SecretKey) -> String {
    Address::from_public_key(&key.public_key()).to_bech32(Network::Devnet)
}
