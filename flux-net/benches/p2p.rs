//! Gossip over real sockets: the time from a publish until every other node of a 4-node mesh
//! on 127.0.0.1 has it (`p2p/flood_publish/4`). Publishes are flooded to every subscribed
//! peer, so this is one hop (sign, send, verify, deliver), never a gossipsub heartbeat.
//! `cargo bench -p flux-net --bench p2p`.

#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use flux_core::ChainId;
use flux_net::p2p::{self, NetEvent, P2pConfig, P2pHandle, Topic, Validation};
use flux_net::testkit::wait::wait_until_async;
use libp2p::identity::Keypair;
use tokio::sync::mpsc;

const NODES: usize = 4;

struct Node {
    handle: P2pHandle,
    events: mpsc::Receiver<NetEvent>,
}

/// `n` nodes on 127.0.0.1, node `i` dialling every node before it; returns once each sees
/// every other subscribed to the consensus topic.
async fn mesh(n: usize) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    for _ in 0..n {
        let mut config = P2pConfig::new(Keypair::generate_ed25519(), ChainId::DEVNET);
        config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
        config.redial_initial = Duration::from_millis(100);
        config.bootstrap = nodes
            .iter()
            .map(|node| {
                let addr = node.handle.listen_addrs()[0].clone();
                addr.with_p2p(node.handle.local_peer_id()).unwrap()
            })
            .collect();
        let (handle, events) = p2p::spawn(config).await.unwrap();
        nodes.push(Node { handle, events });
    }
    for node in &nodes {
        wait_until_async("a full mesh", async || {
            node.handle.view().await.consensus.subscribed.len() == n - 1
        })
        .await
        .unwrap();
    }
    nodes
}

/// The next gossip event of `node` (judged `Ignore`: received, not forwarded).
async fn next_gossip(node: &mut Node) {
    loop {
        match node.events.recv().await.unwrap() {
            NetEvent::Gossip { id, .. } => {
                node.handle.validate(id, Validation::Ignore);
                return;
            }
            _ => continue,
        }
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut nodes = rt.block_on(mesh(NODES));
    let payload = vec![0x5a; 500];
    let mut group = c.benchmark_group("p2p");
    group.sample_size(20);
    group.bench_function(BenchmarkId::new("flood_publish", NODES), |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let started = Instant::now();
                for i in 0..iters {
                    let from = i as usize % NODES;
                    nodes[from]
                        .handle
                        .publish(Topic::Consensus, payload.clone());
                    for (to, node) in nodes.iter_mut().enumerate() {
                        if to != from {
                            next_gossip(node).await;
                        }
                    }
                }
                started.elapsed()
            })
        })
    });
    group.finish();
    rt.block_on(async {
        for node in nodes {
            node.handle.shutdown().await;
        }
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
