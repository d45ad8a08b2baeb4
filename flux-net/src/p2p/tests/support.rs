//! Test nodes on 127.0.0.1 and waiting for events with a deadline.

use std::time::Duration;

use flux_core::ChainId;
use libp2p::identity::Keypair;
use libp2p::{Multiaddr, PeerId};
use tokio::sync::mpsc;

use crate::p2p::{self, NetEvent, P2pConfig, P2pHandle, Topic};
use crate::testkit::wait::wait_until_async;

/// How long an awaited event may take: the kit's failure bound, never a speed check.
pub const WAIT: Duration = crate::testkit::wait::DEADLINE;

/// A config listening on 127.0.0.1 (free port) with quick re-dials.
pub fn config(keypair: Keypair) -> P2pConfig {
    let mut config = P2pConfig::new(keypair, ChainId::DEVNET);
    config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    config.redial_initial = Duration::from_millis(100);
    config.redial_max = Duration::from_millis(500);
    config
}

pub struct TestNode {
    pub handle: P2pHandle,
    pub events: mpsc::Receiver<NetEvent>,
}

impl TestNode {
    pub async fn start(config: P2pConfig) -> TestNode {
        let (handle, events) = p2p::spawn(config).await.unwrap();
        TestNode { handle, events }
    }

    pub fn id(&self) -> PeerId {
        self.handle.local_peer_id()
    }

    /// The node's first listen address with its `/p2p/<id>` suffix.
    pub fn addr(&self) -> Multiaddr {
        let addr = self.handle.listen_addrs()[0].clone();
        addr.with_p2p(self.id()).unwrap()
    }

    /// The next event for which `pick` returns `Some`, skipping others; panics after `WAIT`.
    pub async fn next<T>(&mut self, what: &str, mut pick: impl FnMut(NetEvent) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .expect("event channel closed");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    }

    /// Waits until the node counts `n` connected peers.
    pub async fn wait_peers(&self, n: usize) {
        wait_until_async(&format!("{n} peers"), async || self.handle.peers() == n)
            .await
            .unwrap_or_else(|e| panic!("{e}: have {}", self.handle.peers()));
    }

    /// Waits until gossipsub sees each of `peers` subscribed to both topics, so a publish
    /// from this node reaches them.
    pub async fn wait_subscribed(&self, peers: &[PeerId]) {
        wait_until_async("subscriptions to both topics", async || {
            let view = self.handle.view().await;
            [Topic::Consensus, Topic::Txs]
                .iter()
                .all(|t| peers.iter().all(|p| view.topic(*t).subscribed.contains(p)))
        })
        .await
        .unwrap_or_else(|e| panic!("{e}: {:?}", self.id()));
    }

    /// Waits until `peer` is in this node's mesh for `topic`, so this node forwards what it
    /// accepted on that topic to `peer`.
    pub async fn wait_in_mesh(&self, topic: Topic, peer: PeerId) {
        wait_until_async(&format!("{peer} in the {topic:?} mesh"), async || {
            self.handle.view().await.topic(topic).mesh.contains(&peer)
        })
        .await
        .unwrap();
    }

    /// The next gossip payload received (with its author and topic).
    pub async fn next_gossip(&mut self) -> (PeerId, p2p::Topic, Vec<u8>) {
        self.next("gossip", |e| match e {
            NetEvent::Gossip {
                peer, topic, data, ..
            } => Some((peer, topic, data)),
            _ => None,
        })
        .await
    }
}

/// Starts `n` nodes; node `i` bootstraps to every node before it, so all are connected.
pub async fn mesh(n: usize, adjust: impl Fn(&mut P2pConfig)) -> Vec<TestNode> {
    let mut nodes: Vec<TestNode> = Vec::new();
    for _ in 0..n {
        let mut config = config(Keypair::generate_ed25519());
        config.bootstrap = nodes.iter().map(TestNode::addr).collect();
        adjust(&mut config);
        nodes.push(TestNode::start(config).await);
    }
    let ids: Vec<PeerId> = nodes.iter().map(TestNode::id).collect();
    for node in &nodes {
        node.wait_peers(n - 1).await;
        let others: Vec<PeerId> = ids.iter().copied().filter(|p| *p != node.id()).collect();
        node.wait_subscribed(&others).await;
    }
    nodes
}

/// Deterministic filler bytes.
pub fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}
