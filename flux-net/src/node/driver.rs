//! The host's thread, in the actor style: a mailbox ([`HostMail`], a channel every other part
//! of the node sends to), an IO loop ([`Driver::run`]) that takes mail, timers and ticks in
//! order and feeds them to the [`Host`] (whose components hold the state and decide), and the
//! [`Network`] it acts on (libp2p + timers).
//! Each gossip message's verdict goes back to the network, which relays only what the host
//! accepted. The forwarding task in front of it sends transaction batches to the verifier
//! thread first ([`super::verifier`]) and answers sync requests off both.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use flux_chain::consensus::{Height, Input};
use flux_chain::store::RedbStore;
use flux_chain::tx::Transaction;
use libp2p::PeerId;
use tokio::sync::mpsc;

use super::NodeError;
use super::verifier::TxVerifier;
use crate::host::txs::{SharedRefusedTxs, VerifiedTxs};
use crate::host::{Host, HostConfig, SharedChain, SharedMempool, Verdict, serve_sync_shared};
use crate::metrics::Metrics;
use crate::network::{Committed, Network, Offence, Topic};
use crate::p2p::{GossipId, NetEvent, P2pHandle, SyncReply, Validation};

/// The host thread's mailbox: everything it receives, in the order it came.
#[allow(clippy::large_enum_variant)] // one at a time through a channel
#[derive(Debug)]
pub(crate) enum HostMail {
    /// Gossip from a peer.
    Gossip(PeerId, Vec<u8>, GossipId),
    /// A transaction batch from a peer, its signatures checked.
    Txs(PeerId, VerifiedTxs, GossipId),
    /// A peer's answer to a sync request.
    Synced(PeerId, Vec<Vec<u8>>),
    /// A transaction the API accepted.
    Tx(Transaction),
    /// Stop.
    Shutdown,
}

/// How long accepted transactions wait to be gossiped together.
const TX_FLUSH: Duration = Duration::from_millis(20);

/// The [`Network`] of a real node.
struct P2pNet<'a> {
    p2p: &'a P2pHandle,
    timers: &'a mut BinaryHeap<Reverse<(Instant, u64)>>,
    inputs: &'a mut BTreeMap<u64, Input>,
    seq: &'a mut u64,
    metrics: &'a Metrics,
}

impl Network for P2pNet<'_> {
    type Peer = PeerId;

    fn publish(&mut self, topic: Topic, bytes: Vec<u8>) {
        self.p2p.publish(topic, bytes);
    }

    fn request_sync(&mut self, peer: Option<PeerId>, from_height: Height) {
        self.p2p.request_sync(peer, from_height);
    }

    fn penalize(&mut self, peer: PeerId, offence: Offence) {
        self.p2p.penalize(peer, offence);
    }

    fn set_timer(&mut self, after_ms: u64, input: Input) {
        *self.seq += 1;
        let at = Instant::now() + Duration::from_millis(after_ms);
        self.timers.push(Reverse((at, *self.seq)));
        self.inputs.insert(*self.seq, input);
    }

    fn committed(&mut self, c: &Committed) {
        let finality = now_ms().saturating_sub(c.timestamp_ms);
        self.metrics.record_block(c.height, c.txs as u64, finality);
        if c.synced {
            tracing::debug!(height = c.height, txs = c.txs, block = %c.block, "synced");
        } else {
            tracing::info!(height = c.height, txs = c.txs, block = %c.block, "finalised");
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(crate) struct Driver {
    host: Host<RedbStore, PeerId>,
    mempool: SharedMempool,
    metrics: Arc<Metrics>,
    p2p: P2pHandle,
    rx: Receiver<HostMail>,
    tick: Duration,
}

impl Driver {
    /// The host's swap attestations.
    pub(crate) fn swaps(&self) -> crate::host::swaps::SharedSwaps {
        self.host.swaps()
    }

    /// The host's refused transaction ids (shared with the verifier thread).
    pub(crate) fn refused_txs(&self) -> SharedRefusedTxs {
        self.host.refused_txs()
    }

    fn judged(&self, id: GossipId, verdict: Verdict) {
        let validation = match verdict {
            Verdict::Accept => Validation::Accept,
            Verdict::Reject => Validation::Reject,
            Verdict::Ignore => Validation::Ignore,
        };
        self.p2p.validate(id, validation);
    }

    pub(crate) fn new(
        config: HostConfig,
        chain: SharedChain<RedbStore>,
        mempool: SharedMempool,
        metrics: Arc<Metrics>,
        p2p: P2pHandle,
        rx: Receiver<HostMail>,
        tick_ms: u64,
    ) -> Result<Driver, NodeError> {
        Ok(Driver {
            host: Host::new(config, chain, mempool.clone())?,
            mempool,
            metrics,
            p2p,
            rx,
            tick: Duration::from_millis(tick_ms.max(100)),
        })
    }

    /// The loop; returns when told to stop or on a fatal host error.
    pub(crate) fn run(mut self) -> Result<(), NodeError> {
        let mut timers = BinaryHeap::new();
        let mut inputs = BTreeMap::new();
        let mut seq = 0u64;
        let mut next_tick = Instant::now() + self.tick;
        let mut flush_at: Option<Instant> = None;
        macro_rules! net {
            () => {
                P2pNet {
                    p2p: &self.p2p,
                    timers: &mut timers,
                    inputs: &mut inputs,
                    seq: &mut seq,
                    metrics: &self.metrics,
                }
            };
        }
        self.host.start(now_ms(), &mut net!())?;
        loop {
            let mut deadline = next_tick;
            if let Some(Reverse((at, _))) = timers.peek() {
                deadline = deadline.min(*at);
            }
            if let Some(at) = flush_at {
                deadline = deadline.min(at);
            }
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(wait) {
                Ok(HostMail::Gossip(peer, bytes, id)) => {
                    let verdict =
                        self.host
                            .on_gossip_judged(peer, &bytes, now_ms(), &mut net!())?;
                    self.judged(id, verdict);
                }
                Ok(HostMail::Txs(peer, batch, id)) => {
                    let verdict = self.host.on_verified_txs(peer, batch, &mut net!())?;
                    self.judged(id, verdict);
                }
                Ok(HostMail::Synced(peer, items)) => {
                    self.host
                        .on_sync_response(peer, items, now_ms(), &mut net!())?
                }
                Ok(HostMail::Tx(tx)) => {
                    self.host.gossip_tx(tx);
                    flush_at.get_or_insert_with(|| Instant::now() + TX_FLUSH);
                }
                Ok(HostMail::Shutdown) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                Err(RecvTimeoutError::Timeout) => {}
            }
            let now = Instant::now();
            while let Some(Reverse((at, id))) = timers.peek().copied() {
                if at > now {
                    break;
                }
                timers.pop();
                if let Some(input) = inputs.remove(&id) {
                    self.host.on_timer(input, now_ms(), &mut net!())?;
                }
            }
            if flush_at.is_some_and(|at| at <= now) {
                flush_at = None;
                self.host.flush(&mut net!())?;
            }
            if next_tick <= now {
                next_tick = now + self.tick;
                self.host.on_tick(&mut net!())?;
                self.metrics.set_peers(self.p2p.peers() as u64);
                let stats = self.p2p.stats();
                self.metrics.set_p2p(
                    stats.bans,
                    stats.dropped_publishes,
                    stats.dropped_gossip_events,
                );
                if let Ok(pool) = self.mempool.lock() {
                    self.metrics.set_mempool(pool.len() as u64);
                }
                let network_height = self.host.network_height()?;
                let height = self.host.chain().read().map(|c| c.height()).unwrap_or(0);
                self.metrics.set_network_height(network_height);
                self.metrics
                    .set_syncing(self.host.machine().is_none() || network_height > height + 1);
                if let Some(m) = self.host.machine() {
                    self.metrics.set_round(u64::from(m.round()));
                }
            }
        }
    }
}

/// Moves network events on: consensus gossip to the host thread, transaction batches to the
/// verifier thread (which passes them on checked). Answers sync requests from the chain
/// directly, on the blocking pool: at most `sync_batch` blocks (whatever the peer asked for),
/// within the frame's bytes, the chain locked per block read only.
pub(crate) async fn forward(
    mut events: mpsc::Receiver<NetEvent>,
    to_host: Sender<HostMail>,
    chain: SharedChain<RedbStore>,
    verifier: TxVerifier,
    sync_batch: u64,
) {
    while let Some(event) = events.recv().await {
        let sent = match event {
            NetEvent::Gossip {
                peer,
                topic: crate::p2p::Topic::Txs,
                data,
                id,
            } => {
                verifier.submit(peer, data, id);
                Ok(())
            }
            NetEvent::Gossip { peer, data, id, .. } => {
                to_host.send(HostMail::Gossip(peer, data, id))
            }
            NetEvent::SyncResponse { peer, items, .. } => {
                to_host.send(HostMail::Synced(peer, items))
            }
            NetEvent::SyncRequest {
                from_height, reply, ..
            } => {
                let chain = chain.clone();
                tokio::task::spawn_blocking(move || {
                    answer_sync(&chain, from_height, reply, sync_batch)
                });
                Ok(())
            }
            other => {
                tracing::debug!(event = ?other, "network");
                Ok(())
            }
        };
        if sent.is_err() {
            return;
        }
    }
}

/// Answers a peer's sync request from `from_height`: at most `sync_batch` blocks whatever it
/// asked for, within the frame's bytes (see [`serve_sync_shared`]). Blocking (reads the store).
pub(crate) fn answer_sync(
    chain: &SharedChain<RedbStore>,
    from_height: Height,
    reply: SyncReply,
    sync_batch: u64,
) {
    let max = u64::from(reply.max_items());
    let items = serve_sync_shared(chain, from_height, max, sync_batch, reply.max_bytes());
    reply.send(items);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::{Mutex, RwLock};

    use flux_chain::chain::Chain;
    use flux_chain::genesis::Genesis;
    use flux_chain::mempool::{Mempool, MempoolConfig};
    use tokio::sync::oneshot;

    use super::*;
    use crate::host::Recorder;

    /// A chain of `n` blocks decided by a lone validator, in redb under `dir`.
    fn decided_chain(dir: &std::path::Path, n: u64) -> SharedChain<RedbStore> {
        let (genesis, keys) = Genesis::devnet_with_nodes(1, 3).unwrap();
        let store = RedbStore::open(crate::node::DataDir::new(dir).chain_db()).unwrap();
        let chain = Arc::new(RwLock::new(Chain::open_or_create(store, &genesis).unwrap()));
        let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
        let config = HostConfig::new(Some(keys[0].operator.clone()));
        let mut host: Host<RedbStore, u8> = Host::new(config, chain.clone(), pool).unwrap();
        let mut net = Recorder::default();
        let mut now = genesis.timestamp_ms + 1_000;
        host.start(now, &mut net).unwrap();
        while chain.read().unwrap().height() < n {
            for (after, input) in std::mem::take(&mut net.timers) {
                now += after;
                host.on_timer(input, now, &mut net).unwrap();
            }
        }
        chain
    }

    /// Replays issue 19 point 7 (sync amplification): a peer asks for far more blocks than
    /// the node serves in one answer. The node answers at most its own batch.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sync_request_for_everything_gets_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let batch = HostConfig::new(None).sync_batch;
        let chain = decided_chain(dir.path(), batch + 8);
        let (tx, answer) = oneshot::channel();
        let reply = SyncReply {
            tx,
            max_items: u32::MAX,
            max_bytes: crate::p2p::DEFAULT_MAX_MESSAGE_BYTES,
        };
        let shared = chain.clone();
        tokio::task::spawn_blocking(move || answer_sync(&shared, 1, reply, batch));
        let items = answer.await.unwrap();
        assert!(!items.is_empty());
        assert!(
            items.len() as u64 <= batch,
            "{} blocks served for one request (batch {batch})",
            items.len()
        );
        // Encoding stops at the byte budget, not after everything was encoded.
        let budget: usize = items[..3].iter().map(Vec::len).sum();
        let served = serve_sync_shared(&chain, 1, 1_000, 1_000, budget);
        assert_eq!(served, items[..3].to_vec());
    }
}
