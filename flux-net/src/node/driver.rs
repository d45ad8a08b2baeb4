//! The host's thread: one loop that takes network events, API transactions and timers in
//! order and feeds them to the [`Host`], and the [`Network`] it acts on (libp2p + timers).

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
use crate::host::{Host, HostConfig, SharedChain, SharedMempool, serve_sync_from};
use crate::metrics::Metrics;
use crate::network::{Committed, Network, Offence, Topic};
use crate::p2p::{NetEvent, P2pHandle};

/// What the host thread receives.
#[allow(clippy::large_enum_variant)] // one at a time through a channel
#[derive(Debug)]
pub(crate) enum Event {
    /// Gossip from a peer.
    Gossip(PeerId, Vec<u8>),
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
        self.p2p.publish(topic.into(), bytes);
    }

    fn request_sync(&mut self, peer: Option<PeerId>, from_height: Height) {
        self.p2p.request_sync(peer, from_height);
    }

    fn penalize(&mut self, peer: PeerId, offence: Offence) {
        self.p2p.penalize(peer, offence.into());
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
    rx: Receiver<Event>,
    tick: Duration,
}

impl Driver {
    /// The host's swap attestations.
    pub(crate) fn swaps(&self) -> crate::host::swaps::SharedSwaps {
        self.host.swaps()
    }

    pub(crate) fn new(
        config: HostConfig,
        chain: SharedChain<RedbStore>,
        mempool: SharedMempool,
        metrics: Arc<Metrics>,
        p2p: P2pHandle,
        rx: Receiver<Event>,
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
                Ok(Event::Gossip(peer, bytes)) => {
                    self.host.on_gossip(peer, &bytes, now_ms(), &mut net!())?
                }
                Ok(Event::Synced(peer, items)) => {
                    self.host
                        .on_sync_response(peer, items, now_ms(), &mut net!())?
                }
                Ok(Event::Tx(tx)) => {
                    self.host.gossip_tx(tx);
                    flush_at.get_or_insert_with(|| Instant::now() + TX_FLUSH);
                }
                Ok(Event::Shutdown) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
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

/// Moves network events to the host thread; answers sync requests from the chain directly.
pub(crate) async fn forward(
    mut events: mpsc::Receiver<NetEvent>,
    to_host: Sender<Event>,
    chain: SharedChain<RedbStore>,
) {
    while let Some(event) = events.recv().await {
        let sent = match event {
            NetEvent::Gossip { peer, data, .. } => to_host.send(Event::Gossip(peer, data)),
            NetEvent::SyncResponse { peer, items, .. } => to_host.send(Event::Synced(peer, items)),
            NetEvent::SyncRequest {
                from_height, reply, ..
            } => {
                let items = match chain.read() {
                    Ok(c) => serve_sync_from(&c, from_height, u64::from(reply.max_items())),
                    Err(_) => Vec::new(),
                };
                reply.send(items);
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
