//! Requests per second of the node API over 64 keep-alive connections: `api/status/64` and
//! `api/account/64` (an iteration is one request on each connection, every connection sending
//! its requests one after the other; criterion reports requests per second as elements per
//! second). The API serves an in-memory
//! devnet chain on 127.0.0.1 from a 2-thread runtime; the client runs on a third thread.
//! `cargo bench -p flux-net --bench api`.

#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flux_chain::chain::Chain;
use flux_chain::genesis::Genesis;
use flux_chain::mempool::{Mempool, MempoolConfig};
use flux_chain::store::MemStore;
use flux_chain::testkit::keys::{address, key};
use flux_chain::transition::{BuildMode, BuiltBlock, propose_block};
use flux_core::{ChainId, Network};
use flux_net::api::{ChainBackend, serve};
use flux_net::metrics::Metrics;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CONNECTIONS: usize = 64;

/// The API over a devnet chain where key 1 made one transfer; its address and the server's
/// runtime (serving until dropped).
fn serve_devnet() -> (SocketAddr, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut chain = Chain::open_or_create(MemStore::new(), &Genesis::devnet_example()).unwrap();
    let transfer =
        flux_chain::testkit::ops::transfer(&key(1), ChainId::DEVNET, 0, 100, address(&key(2)), 1)
            .unwrap();
    let time = chain.state().tip().timestamp_ms + 1_000;
    let mode = BuildMode::CHECKED;
    let BuiltBlock { block, dropped, .. } =
        propose_block(chain.state(), &key(1), time, vec![], vec![transfer], mode).unwrap();
    assert!(dropped.is_empty(), "{dropped:?}");
    chain.apply(&block).unwrap();
    let backend = ChainBackend::standalone(
        Arc::new(RwLock::new(chain)),
        Arc::new(Mutex::new(Mempool::new(MempoolConfig::default()))),
        Arc::new(Metrics::new()),
    )
    .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(serve(listener, Arc::new(backend), std::future::pending()));
    (addr, rt)
}

/// Sends `request` on `stream` and reads one `200` answer: the head, then Content-Length bytes.
async fn round_trip(stream: &mut TcpStream, request: &[u8], buf: &mut [u8]) {
    stream.write_all(request).await.unwrap();
    let mut have = 0;
    let (head_end, length) = loop {
        let n = stream.read(&mut buf[have..]).await.unwrap();
        assert!(n > 0, "connection closed");
        have += n;
        if let Some(at) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..at])
                .unwrap()
                .to_ascii_lowercase();
            assert!(head.starts_with("http/1.1 200"), "{head}");
            let length: usize = head
                .split("\r\n")
                .find_map(|l| l.strip_prefix("content-length:"))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            break (at + 4, length);
        }
    };
    while have < head_end + length {
        have += stream.read(&mut buf[have..]).await.unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let (addr, _server) = serve_devnet();
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut connections: Vec<(TcpStream, Vec<u8>)> = client.block_on(async {
        let mut all = Vec::new();
        for _ in 0..CONNECTIONS {
            let stream = TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            all.push((stream, vec![0u8; 64 * 1024]));
        }
        all
    });
    let account = format!(
        "/v1/accounts/{}",
        address(&key(1)).to_bech32(Network::Devnet)
    );
    let mut group = c.benchmark_group("api");
    group.throughput(Throughput::Elements(CONNECTIONS as u64));
    group.measurement_time(Duration::from_secs(5));
    for (name, target) in [("status", "/v1/status"), ("account", account.as_str())] {
        let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes();
        group.bench_function(BenchmarkId::new(name, CONNECTIONS), |b| {
            b.iter_custom(|iters| {
                client.block_on(async {
                    let started = Instant::now();
                    futures::future::join_all(connections.iter_mut().map(|(stream, buf)| async {
                        for _ in 0..iters {
                            round_trip(stream, &request, buf).await;
                        }
                    }))
                    .await;
                    started.elapsed()
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
