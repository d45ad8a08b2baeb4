//! [`P2pHandle`], the host's side of the swarm task, and [`SyncReply`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use libp2p::{Multiaddr, PeerId};
use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::codec::fit_response;
use super::{GossipId, Offence, Topic, Validation};

/// What a handle asks of the swarm task.
#[derive(Debug)]
pub(crate) enum Command {
    Publish {
        topic: Topic,
        data: Vec<u8>,
    },
    RequestSync {
        peer: Option<PeerId>,
        from_height: u64,
    },
    Penalize {
        peer: PeerId,
        offence: Offence,
    },
    Validate {
        id: GossipId,
        verdict: Validation,
    },
    View(oneshot::Sender<P2pView>),
}

/// Who gossipsub sees on one topic ([`P2pView`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicPeers {
    /// Connected peers subscribed to the topic, sorted: a publish floods to all of them.
    pub subscribed: Vec<PeerId>,
    /// The peers of this node's mesh for the topic, sorted: a received message this node
    /// accepted is forwarded to them.
    pub mesh: Vec<PeerId>,
}

/// What the swarm task knows now about its peers ([`P2pHandle::view`]): for diagnostics, and
/// for tests that must wait until gossip can flow rather than sleep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct P2pView {
    /// The consensus topic.
    pub consensus: TopicPeers,
    /// The transactions topic.
    pub txs: TopicPeers,
    /// Peers banned now, sorted.
    pub banned: Vec<PeerId>,
}

impl P2pView {
    /// The peers of `topic`.
    pub fn topic(&self, topic: Topic) -> &TopicPeers {
        match topic {
            Topic::Consensus => &self.consensus,
            Topic::Txs => &self.txs,
        }
    }
}

/// Counters of the layer since it started (for metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct P2pStats {
    /// Payloads handed to gossipsub.
    pub published: u64,
    /// Payloads not published: command queue full, over `max_message_bytes`, or no peer.
    pub dropped_publishes: u64,
    /// Other commands (sync requests, penalties) dropped because the queue was full.
    pub dropped_commands: u64,
    /// Gossip payloads received and delivered to the event channel.
    pub gossip_received: u64,
    /// Gossip payloads dropped because the host did not keep up with the event channel.
    pub dropped_gossip_events: u64,
    /// Other events dropped because the host fell more than a channel's worth behind.
    pub dropped_events: u64,
    /// Inbound sync requests refused (per-peer limit or host backlog).
    pub refused_sync_requests: u64,
    /// Bans imposed.
    pub bans: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) published: AtomicU64,
    pub(crate) dropped_publishes: AtomicU64,
    pub(crate) dropped_commands: AtomicU64,
    pub(crate) gossip_received: AtomicU64,
    pub(crate) dropped_gossip_events: AtomicU64,
    pub(crate) dropped_events: AtomicU64,
    pub(crate) refused_sync_requests: AtomicU64,
    pub(crate) bans: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> P2pStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        P2pStats {
            published: get(&self.published),
            dropped_publishes: get(&self.dropped_publishes),
            dropped_commands: get(&self.dropped_commands),
            gossip_received: get(&self.gossip_received),
            dropped_gossip_events: get(&self.dropped_gossip_events),
            dropped_events: get(&self.dropped_events),
            refused_sync_requests: get(&self.refused_sync_requests),
            bans: get(&self.bans),
        }
    }
}

/// State shared by the handles and the swarm task.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) local_peer_id: PeerId,
    pub(crate) max_message_bytes: usize,
    pub(crate) peers: AtomicUsize,
    pub(crate) counters: Counters,
    pub(crate) shutdown: Notify,
    pub(crate) connected: watch::Receiver<Vec<PeerId>>,
    pub(crate) listen_addrs: watch::Receiver<Vec<Multiaddr>>,
    pub(crate) stopped: watch::Receiver<bool>,
}

/// The host's handle on a running network: cheap to clone, `Send + Sync`. The swarm task
/// stops on [`P2pHandle::shutdown`] or once every handle is dropped.
///
/// Every method returns at once: commands go through a bounded queue, and when it is full the
/// command is dropped and counted in [`P2pStats`] rather than blocking the host.
#[derive(Clone, Debug)]
pub struct P2pHandle {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) shared: Arc<Shared>,
}

impl P2pHandle {
    fn send(&self, command: Command) -> bool {
        self.commands.try_send(command).is_ok()
    }

    /// Gossips `data` on `topic`. Peers receive exactly these bytes in
    /// [`super::NetEvent::Gossip`], once per call: publishing the same bytes again (for
    /// example when a consensus height stalls) is delivered again. Data over
    /// `max_message_bytes`, a full queue or a network without peers drop the publish
    /// (counted in [`P2pStats::dropped_publishes`]).
    pub fn publish(&self, topic: Topic, data: Vec<u8>) {
        let counters = &self.shared.counters;
        if data.len() > self.shared.max_message_bytes {
            tracing::debug!(
                len = data.len(),
                ?topic,
                "publish over max_message_bytes dropped"
            );
            Counters::bump(&counters.dropped_publishes);
        } else if !self.send(Command::Publish { topic, data }) {
            Counters::bump(&counters.dropped_publishes);
        }
    }

    /// Asks for decided blocks from `from_height` on (at most `sync_batch` of them). `None`
    /// lets the layer pick a connected peer, rotating between calls; so does a `Some` peer
    /// that is not connected. The answer arrives as [`super::NetEvent::SyncResponse`], or
    /// [`super::NetEvent::SyncFailed`] if no peer is connected, the request timed out or the
    /// response was malformed.
    pub fn request_sync(&self, peer: Option<PeerId>, from_height: u64) {
        if !self.send(Command::RequestSync { peer, from_height }) {
            Counters::bump(&self.shared.counters.dropped_commands);
        }
    }

    /// Charges `peer` for data the host found undecodable or invalid (see [`Offence`] for the
    /// weights). At `ban_score` the peer is disconnected and refused for `ban_duration`.
    pub fn penalize(&self, peer: PeerId, offence: Offence) {
        if !self.send(Command::Penalize { peer, offence }) {
            Counters::bump(&self.shared.counters.dropped_commands);
        }
    }

    /// Reports what the host found a received gossip message to be: accepted messages are
    /// forwarded to other peers, rejected ones cost the peers that delivered them (in
    /// gossipsub's score, charged as penalties), ignored ones are dropped. A message never
    /// reported is not forwarded and leaves gossipsub's cache after a few seconds.
    pub fn validate(&self, id: GossipId, verdict: Validation) {
        if !self.send(Command::Validate { id, verdict }) {
            Counters::bump(&self.shared.counters.dropped_commands);
        }
    }

    /// Connected peers now: those whose connection is up and who subscribed to this chain's
    /// consensus topic (a [`super::NetEvent::PeerConnected`] was sent for each).
    pub fn peers(&self) -> usize {
        self.shared.peers.load(Ordering::Relaxed)
    }

    /// The connected peers now, sorted.
    pub fn connected_peers(&self) -> Vec<PeerId> {
        self.shared.connected.borrow().clone()
    }

    /// This node's peer id (derived from the configured keypair).
    pub fn local_peer_id(&self) -> PeerId {
        self.shared.local_peer_id
    }

    /// The addresses actually bound (port 0 resolved); available as soon as
    /// [`super::spawn`] returns. Append `/p2p/<local_peer_id>` for a bootstrap address.
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.shared.listen_addrs.borrow().clone()
    }

    /// What the swarm task knows now about its peers: who subscribed to each topic, this
    /// node's mesh, the banned peers. Waits for room in the command queue and for the task's
    /// answer (one turn of its loop); an empty view once the task has stopped.
    pub async fn view(&self) -> P2pView {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::View(reply)).await.is_err() {
            return P2pView::default();
        }
        answer.await.unwrap_or_default()
    }

    /// Counters since start.
    pub fn stats(&self) -> P2pStats {
        self.shared.counters.snapshot()
    }

    /// Whether the swarm task has stopped.
    pub fn is_stopped(&self) -> bool {
        *self.shared.stopped.borrow()
    }

    /// Stops the swarm task (closing every connection and listener) and waits until it has
    /// exited. Other clones of the handle then do nothing.
    pub async fn shutdown(self) {
        self.shared.shutdown.notify_one();
        let mut stopped = self.shared.stopped.clone();
        // An error means the task is gone, which is what we wait for.
        let _ = stopped.wait_for(|s| *s).await;
    }
}

/// The answer slot of one inbound [`super::NetEvent::SyncRequest`].
///
/// Dropping it without [`SyncReply::send`] refuses the request (the peer sees no response).
#[derive(Debug)]
pub struct SyncReply {
    pub(crate) tx: oneshot::Sender<Vec<Vec<u8>>>,
    pub(crate) max_items: u32,
    pub(crate) max_bytes: usize,
}

impl SyncReply {
    /// The most items the peer asked for.
    pub fn max_items(&self) -> u32 {
        self.max_items
    }

    /// The most bytes a response frame may hold (`max_message_bytes`).
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Answers with `items`, consecutive encoded blocks from the requested height. Only the
    /// longest prefix that fits `max_items` and `max_bytes` is sent; the rest is left out
    /// (the peer asks again from where the answer stopped).
    pub fn send(self, items: Vec<Vec<u8>>) {
        let items = fit_response(items, self.max_items, self.max_bytes);
        // An error means the layer stopped or the request timed out; nothing to answer.
        let _ = self.tx.send(items);
    }
}
