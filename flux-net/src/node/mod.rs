//! [`Node`]: the embeddable node service. It composes the chain in redb, the mempool, the
//! consensus [`Host`](crate::host::Host) (which runs on a thread of its own: its work is CPU
//! bound and synchronous), the libp2p network ([`crate::p2p`]), the HTTP API
//! ([`crate::api`]) and the metrics.
//!
//! ```no_run
//! use flux_chain::genesis::Genesis;
//! use flux_chain::mempool::MempoolConfig;
//! use flux_net::node::{Node, NodeConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let (genesis, keys) = Genesis::devnet_with_nodes(1, 1)?;
//! let node = Node::start(NodeConfig {
//!     data_dir: "./node".into(),
//!     genesis,
//!     listen: vec!["/ip4/127.0.0.1/tcp/0".parse()?],
//!     bootstrap: vec![],
//!     api: Some("127.0.0.1:18080".parse()?),
//!     validator_key: Some(keys[0].operator.clone()),
//!     mempool: MempoolConfig::default(),
//!     hosting: None,
//! })
//! .await?;
//! node.shutdown().await?;
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use flux_chain::chain::Chain;
use flux_chain::mempool::Mempool;
use flux_chain::store::RedbStore;
use flux_chain::tx::Transaction;
use flux_core::crypto::{Scheme, SecretKey};
use flux_nodes::NodeId;
use libp2p::identity::Keypair;
use thiserror::Error;
use tokio::sync::oneshot;

mod config;
mod data_dir;
mod driver;
mod load;
mod secret_file;
mod verifier;
pub mod worker;

pub use config::{ConfigFile, NodeConfig};
pub use data_dir::{
    ADDRESSES_FILE, CHAIN_DB_FILE, CONFIG_FILE, DataDir, NETWORK_KEY_FILE, OBSERVED_BURNS,
    SWAP_KEY_FILE, VALIDATOR_KEY_FILE,
};
pub use secret_file::write_secret_file;

use crate::api::{self, ChainBackend};
use crate::host::swaps::{FileWitness, SharedSwaps};
use crate::host::{HostConfig, SharedChain};
use crate::hosting::Hosting;
use crate::metrics::Metrics;
use crate::p2p::{self, P2pConfig, P2pHandle};
use driver::{Driver, HostMail};

/// Why a node could not start or stopped badly.
#[derive(Debug, Error)]
pub enum NodeError {
    /// The configuration is wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The chain could not be opened.
    #[error(transparent)]
    Chain(Box<flux_chain::error::ChainError>),
    /// The network failed.
    #[error(transparent)]
    P2p(Box<crate::p2p::P2pError>),
    /// The API failed.
    #[error(transparent)]
    Api(Box<crate::api::ApiError>),
    /// The consensus host failed (the node stopped to avoid diverging).
    #[error(transparent)]
    Host(Box<crate::host::HostError>),
    /// Hosting could not start (its gateway could not listen).
    #[error(transparent)]
    Hosting(Box<crate::hosting::HostingStartError>),
    /// A lock was poisoned.
    #[error("a shared lock was poisoned")]
    Poisoned,
}

macro_rules! boxed_from {
    ($($variant:ident: $ty:ty),*) => {$(
        impl From<$ty> for NodeError {
            fn from(e: $ty) -> NodeError {
                NodeError::$variant(Box::new(e))
            }
        }
    )*};
}

boxed_from!(
    Chain: flux_chain::error::ChainError,
    P2p: crate::p2p::P2pError,
    Api: crate::api::ApiError,
    Host: crate::host::HostError,
    Hosting: crate::hosting::HostingStartError
);

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> NodeError + '_ {
    move |source| NodeError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn swap_key(data_dir: &Path) -> Result<SecretKey, NodeError> {
    let path = DataDir::new(data_dir).swap_key();
    if let Some(bytes) = read_secret(&path)? {
        return SecretKey::from_bytes(Scheme::Secp256k1, &bytes)
            .map_err(|e| NodeError::Config(format!("{}: {e}", path.display())));
    }
    let key = SecretKey::generate(Scheme::Secp256k1, &mut rand_core::OsRng);
    write_secret_file(&path, key.to_bytes().as_slice()).map_err(io_err(&path))?;
    Ok(key)
}

fn network_keypair(data_dir: &Path) -> Result<Keypair, NodeError> {
    let path = DataDir::new(data_dir).network_key();
    if let Some(bytes) = read_secret(&path)? {
        return Keypair::from_protobuf_encoding(&bytes)
            .map_err(|e| NodeError::Config(format!("{}: {e}", path.display())));
    }
    let keypair = Keypair::generate_ed25519();
    let bytes = keypair
        .to_protobuf_encoding()
        .map_err(|e| NodeError::Config(e.to_string()))?;
    write_secret_file(&path, &bytes).map_err(io_err(&path))?;
    Ok(keypair)
}

/// The secret in `path`, `None` if there is no such file (any other read error is an error:
/// a key that cannot be read is never replaced by a new one). A file an older version left
/// readable by others is restricted to its owner.
fn read_secret(path: &Path) -> Result<Option<Vec<u8>>, NodeError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            secret_file::restrict(path).map_err(io_err(path))?;
            Ok(Some(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// The API task and the sender that stops it.
type ApiTask = (
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), api::ApiError>>,
);

/// A running node. See the module docs.
pub struct Node {
    chain: SharedChain<RedbStore>,
    metrics: Arc<Metrics>,
    p2p: P2pHandle,
    api_addr: Option<SocketAddr>,
    events: std::sync::mpsc::Sender<HostMail>,
    host_thread: Option<std::thread::JoinHandle<Result<(), NodeError>>>,
    api_task: Option<ApiTask>,
    forward_task: tokio::task::JoinHandle<()>,
    verifier_thread: Option<std::thread::JoinHandle<()>>,
    node_id: Option<NodeId>,
    stop_worker: Arc<std::sync::atomic::AtomicBool>,
    worker_thread: Option<std::thread::JoinHandle<()>>,
    swaps: SharedSwaps,
    hosting: Option<Hosting>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("api_addr", &self.api_addr)
            .field("node_id", &self.node_id)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Opens (or creates) the chain in `config.data_dir`, starts the network, the consensus
    /// host and the API. Must run inside a multi-threaded tokio runtime.
    pub async fn start(config: NodeConfig) -> Result<Node, NodeError> {
        std::fs::create_dir_all(&config.data_dir).map_err(io_err(&config.data_dir))?;
        let data_dir = DataDir::new(&config.data_dir);
        let store =
            RedbStore::open(data_dir.chain_db()).map_err(flux_chain::error::ChainError::from)?;
        let chain = Chain::open_or_create(store, &config.genesis)?;
        let params = chain.state().params().clone();
        let metrics = Arc::new(Metrics::new());
        metrics.set_height(chain.height());
        metrics.set_network_height(chain.height());
        let chain: SharedChain<RedbStore> = Arc::new(RwLock::new(chain));
        let mempool = Arc::new(Mutex::new(Mempool::new(config.mempool)));

        let mut p2p_config = P2pConfig::new(network_keypair(data_dir.root())?, params.chain_id);
        p2p_config.listen = config.listen.clone();
        p2p_config.bootstrap = config.bootstrap.clone();
        let (p2p, net_events) = p2p::spawn(p2p_config).await?;

        let (events, rx) = std::sync::mpsc::channel::<HostMail>();
        let node_id = config
            .validator_key
            .as_ref()
            .map(|k| NodeId::of(&k.public_key()));
        let mut host_config = HostConfig::new(config.validator_key.clone());
        let sync_batch = host_config.sync_batch;
        if config.validator_key.is_some() {
            host_config.swap_key = Some(swap_key(data_dir.root())?);
            host_config.witness = Some(Arc::new(FileWitness::new(data_dir.observed_burns())));
        }
        let swap_public = host_config.swap_key.as_ref().map(|k| k.public_key());
        let driver = Driver::new(
            host_config,
            chain.clone(),
            mempool.clone(),
            metrics.clone(),
            p2p.clone(),
            rx,
            params.consensus.timeout_propose_ms,
        )?;
        let swaps = driver.swaps();
        let (tx_verifier, verifier) = verifier::verifier(
            chain.clone(),
            mempool.clone(),
            driver.refused_txs(),
            events.clone(),
            p2p.clone(),
        );
        let host_thread = std::thread::Builder::new()
            .name("flux-host".into())
            .spawn(move || driver.run())
            .map_err(io_err(Path::new("flux-host thread")))?;
        let verifier_thread = std::thread::Builder::new()
            .name("flux-tx-verifier".into())
            .spawn(move || verifier.run())
            .map_err(io_err(Path::new("flux-tx-verifier thread")))?;
        let forward_task = tokio::spawn(driver::forward(
            net_events,
            events.clone(),
            chain.clone(),
            tx_verifier,
            sync_batch,
        ));
        let stop_worker = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let worker_thread = match &config.validator_key {
            Some(key) => {
                let mut worker = worker::Worker::new(
                    chain.clone(),
                    mempool.clone(),
                    key.clone(),
                    events.clone(),
                    stop_worker.clone(),
                );
                if let Some(k) = swap_public {
                    worker = worker.with_swap_key(k);
                }
                Some(
                    std::thread::Builder::new()
                        .name("flux-worker".into())
                        .spawn(move || worker.run())
                        .map_err(io_err(Path::new("flux-worker thread")))?,
                )
            }
            None => None,
        };

        let hosting = match config.hosting.clone() {
            Some(h) => Some(
                Hosting::start(h, config.data_dir.clone(), node_id, chain.clone(), None).await?,
            ),
            None => None,
        };
        if let Some(gateway) = hosting.as_ref().and_then(Hosting::gateway_metrics) {
            metrics.attach_gateway(gateway);
        }

        let mut api_addr = None;
        let mut api_task = None;
        if let Some(addr) = config.api {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(io_err(Path::new(&addr.to_string())))?;
            api_addr = Some(listener.local_addr().map_err(io_err(Path::new("api")))?);
            let sender = Mutex::new(events.clone());
            let on_accepted: api::OnAccepted = Arc::new(move |tx: &Transaction| {
                if let Ok(s) = sender.lock() {
                    let _ = s.send(HostMail::Tx(tx.clone()));
                }
            });
            let mut backend = ChainBackend::new(
                chain.clone(),
                mempool.clone(),
                metrics.clone(),
                node_id,
                on_accepted,
            )?
            .with_swaps(swaps.clone());
            if let (Some(h), Some(c)) = (&hosting, &config.hosting) {
                let suffix = c.gateway.map(|_| c.domain_suffix.clone());
                backend =
                    backend.with_hosting(Arc::new(api::hosting::HostingHandle::of(h, suffix)));
            }
            let backend = Arc::new(backend);
            let (stop, stopped) = oneshot::channel::<()>();
            let task = tokio::spawn(api::serve(listener, backend, async move {
                let _ = stopped.await;
            }));
            api_task = Some((stop, task));
        }
        Ok(Node {
            chain,
            metrics,
            p2p,
            api_addr,
            events,
            host_thread: Some(host_thread),
            api_task,
            forward_task,
            verifier_thread: Some(verifier_thread),
            node_id,
            stop_worker,
            worker_thread,
            swaps,
            hosting,
        })
    }

    /// The hosting service (the reconcile loop and the gateway), when configured.
    pub fn hosting(&self) -> Option<&Hosting> {
        self.hosting.as_ref()
    }

    /// The shared chain (read it; the node writes it).
    pub fn chain(&self) -> &SharedChain<RedbStore> {
        &self.chain
    }

    /// The node's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The network handle.
    pub fn p2p(&self) -> &P2pHandle {
        &self.p2p
    }

    /// The address other nodes bootstrap from: the first listen address (with the port the OS
    /// chose) and this node's peer id (`/ip4/.../tcp/.../p2p/...`); `None` before it listens.
    pub fn p2p_address(&self) -> Option<libp2p::Multiaddr> {
        let first = self.p2p.listen_addrs().into_iter().next()?;
        first.with_p2p(self.p2p.local_peer_id()).ok()
    }

    /// Where the API listens (with the actual port).
    pub fn api_addr(&self) -> Option<SocketAddr> {
        self.api_addr
    }

    /// The swap attestations this node collects (see [`crate::host::swaps`]).
    pub fn swaps(&self) -> SharedSwaps {
        self.swaps.clone()
    }

    /// This node's FluxNode id, if it is a validator.
    pub fn node_id(&self) -> Option<NodeId> {
        self.node_id
    }

    /// Whether the consensus host is still running (it stops on a fatal error).
    pub fn is_running(&self) -> bool {
        self.host_thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Stops cleanly: the API stops accepting and finishes its requests, the host finishes
    /// the block it is writing and stops, the network closes, and the database is closed.
    pub async fn shutdown(mut self) -> Result<(), NodeError> {
        if let Some(hosting) = self.hosting.take() {
            hosting.shutdown().await;
        }
        if let Some((stop, task)) = self.api_task.take() {
            let _ = stop.send(());
            if let Ok(r) = task.await {
                r?;
            }
        }
        let _ = self.events.send(HostMail::Shutdown);
        let result = match self.host_thread.take() {
            Some(t) => tokio::task::spawn_blocking(move || t.join())
                .await
                .map_err(|_| NodeError::Poisoned)?
                .map_err(|_| NodeError::Poisoned)?,
            None => Ok(()),
        };
        self.stop_worker
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.worker_thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        self.forward_task.abort();
        // The forwarding task holds the verifier's queue: once it is gone, the verifier
        // (which holds the chain) stops.
        let _ = (&mut self.forward_task).await;
        if let Some(t) = self.verifier_thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        self.p2p.clone().shutdown().await;
        result
    }
}
