//! A node API over an in-memory chain on 127.0.0.1:0, its own runtime, and a raw HTTP/1.1
//! helper that can send anything (bad methods, bodies, paths).

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use flux_chain::block::Block;
use flux_chain::chain::Chain;
use flux_chain::genesis::Genesis;
use flux_chain::mempool::{Mempool, MempoolConfig};
use flux_chain::store::MemStore;
use flux_chain::transition::{BuildMode, BuiltBlock, propose_block};
use flux_chain::tx::{Transaction, TxId};
use flux_core::Address;
use flux_core::crypto::SecretKey;
use flux_net::api::client::Client;
use flux_net::api::{ChainBackend, OnAccepted, serve};
use flux_net::metrics::Metrics;

/// Keys `[i; 32]` (i = 1..=4 are funded by `Genesis::devnet_example()`) and their addresses,
/// from the test kit.
pub use flux_chain::testkit::keys::{address, key};

/// A devnet transfer of `amount` base units with a fee of 100.
pub fn transfer(key: &SecretKey, nonce: u64, to: Address, amount: u64) -> Transaction {
    flux_chain::testkit::ops::transfer(key, flux_core::ChainId::DEVNET, nonce, 100, to, amount)
        .unwrap()
}

pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub chain: Arc<RwLock<Chain<MemStore>>>,
    pub pool: Arc<Mutex<Mempool>>,
    pub metrics: Arc<Metrics>,
    pub gossiped: Arc<Mutex<Vec<Transaction>>>,
    pub addr: SocketAddr,
    pub client: Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Env {
    pub fn new(genesis: &Genesis) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let chain = Arc::new(RwLock::new(
            Chain::open_or_create(MemStore::new(), genesis).unwrap(),
        ));
        let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
        let metrics = Arc::new(Metrics::new());
        let gossiped = Arc::new(Mutex::new(Vec::new()));
        let seen = gossiped.clone();
        let hook: OnAccepted =
            Arc::new(move |tx: &Transaction| seen.lock().unwrap().push(tx.clone()));
        let backend =
            ChainBackend::new(chain.clone(), pool.clone(), metrics.clone(), None, hook).unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        rt.spawn(serve(listener, Arc::new(backend), async move {
            let _ = stopped.await;
        }));
        let client = Client::new(&format!("http://{addr}")).unwrap();
        Env {
            rt,
            chain,
            pool,
            metrics,
            gossiped,
            addr,
            client,
            stop: Some(stop),
        }
    }

    pub fn devnet() -> Env {
        Env::new(&Genesis::devnet_example())
    }

    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Builds the next block from the mempool (as a proposer would), applies it, prunes the pool.
    pub fn commit_pool(&self) -> Block {
        let mut chain = self.chain.write().unwrap();
        let mut pool = self.pool.lock().unwrap();
        let candidates = pool.select(chain.state(), 10_000);
        let time = chain.state().tip().timestamp_ms + 1_000;
        let mode = BuildMode::CHECKED;
        let BuiltBlock { block, dropped, .. } =
            propose_block(chain.state(), &key(1), time, vec![], candidates, mode).unwrap();
        assert!(dropped.is_empty(), "{dropped:?}");
        chain.apply(&block).unwrap();
        pool.prune(chain.state());
        self.metrics
            .record_block(block.header.height, block.txs.len() as u64, 120);
        block
    }

    /// One request with `Connection: close`, written byte for byte.
    pub fn raw(&self, method: &str, target: &str, body: &[u8]) -> Raw {
        raw_request(self.addr, method, target, &[], body)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// An answer read off the wire.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Raw {
    /// The body as JSON (fails the test if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        assert!(
            self.content_type.starts_with("application/json"),
            "status {} content type {:?} body {:?}",
            self.status,
            self.content_type,
            String::from_utf8_lossy(&self.body)
        );
        serde_json::from_slice(&self.body).unwrap()
    }

    /// The error code of a JSON error answer (fails the test otherwise).
    pub fn code(&self) -> String {
        let v = self.json();
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{v}");
        v["error"]["code"].as_str().unwrap().to_owned()
    }
}

pub fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Raw {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (e.g. 413) and close before reading a large body: write it from
    // another thread and ignore a reset.
    let mut writer = stream.try_clone().unwrap();
    let body = body.to_vec();
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(&body);
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let _ = sending.join();
    parse(&answer)
}

fn parse(answer: &[u8]) -> Raw {
    let text_end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(answer)));
    let head = String::from_utf8_lossy(&answer[..text_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut content_type = String::new();
    let mut chunked = false;
    for line in lines {
        let (k, v) = line.split_once(':').unwrap();
        match k.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = v.trim().to_owned(),
            "transfer-encoding" => chunked = v.trim().eq_ignore_ascii_case("chunked"),
            _ => {}
        }
    }
    let rest = &answer[text_end + 4..];
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Raw {
        status,
        content_type,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// The hex of a transaction's canonical bytes, as `POST /v1/txs` wants it.
pub fn tx_body(tx: &Transaction) -> Vec<u8> {
    let hex = flux_core::hex::encode(&flux_core::codec::encode(tx).unwrap());
    format!("{{\"tx\":\"{hex}\"}}").into_bytes()
}

pub fn id(tx: &Transaction) -> TxId {
    tx.id().unwrap()
}
