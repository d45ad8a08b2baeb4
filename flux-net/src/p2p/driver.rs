//! The swarm task: one loop that owns the swarm and turns commands and swarm events into
//! libp2p calls and [`NetEvent`]s.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use libp2p::core::transport::ListenerId;
use libp2p::gossipsub::TopicHash;
use libp2p::request_response::{OutboundRequestId, ResponseChannel};
use libp2p::swarm::{DialError, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, identify};
use tokio::sync::{mpsc, oneshot, watch};

use super::behaviour::{FluxBehaviour, FluxBehaviourEvent};
use super::bootstrap::Bootstrap;
use super::codec::SyncResponse;
use super::error::P2pError;
use super::handle::{Command, Counters, Shared};
use super::scoring::{GossipScoreWatch, Scoreboard, Verdict};
use super::{NetEvent, Offence, Topic};

/// How often bans are expired, bootstrap dials retried and gossipsub scores read.
const TICK: Duration = Duration::from_millis(200);

/// An answer the host is preparing: resolves when it sends or drops its [`super::SyncReply`].
type PendingReply = BoxFuture<
    'static,
    (
        PeerId,
        Result<Vec<Vec<u8>>, oneshot::error::RecvError>,
        ResponseChannel<SyncResponse>,
    ),
>;

/// The swarm task's state.
pub(crate) struct Driver {
    pub(crate) swarm: Swarm<FluxBehaviour>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) events: mpsc::Sender<NetEvent>,
    /// Events that must not be lost, waiting for room in the channel (bounded by
    /// `event_capacity`; past that they are dropped and counted).
    pub(crate) backlog: VecDeque<NetEvent>,
    pub(crate) backlog_cap: usize,
    pub(crate) connected_tx: watch::Sender<Vec<PeerId>>,
    pub(crate) listen_tx: watch::Sender<Vec<Multiaddr>>,
    pub(crate) stopped_tx: watch::Sender<bool>,
    pub(crate) topics: [(Topic, TopicHash); 2],
    pub(crate) sequence: u64,
    pub(crate) scores: Scoreboard,
    pub(crate) gossip_watch: GossipScoreWatch,
    /// Peers with an open connection that subscribed to our consensus topic.
    pub(crate) ready: BTreeSet<PeerId>,
    pub(crate) rotation: usize,
    pub(crate) outbound_sync: HashMap<OutboundRequestId, (PeerId, u64)>,
    pub(crate) inbound_sync: HashMap<PeerId, usize>,
    pub(crate) replies: FuturesUnordered<PendingReply>,
    pub(crate) bootstrap: Bootstrap,
    pub(crate) pending_listeners: HashSet<ListenerId>,
    pub(crate) listen_failure: Option<std::io::Error>,
    pub(crate) identify_version: String,
    pub(crate) max_message_bytes: usize,
    pub(crate) sync_batch: u32,
    pub(crate) max_inbound_sync_per_peer: usize,
}

impl Driver {
    /// Runs the swarm until `listeners` reported their bound addresses.
    pub(crate) async fn wait_listening(&mut self, timeout: Duration) -> Result<(), P2pError> {
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        while !self.pending_listeners.is_empty() {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                _ = &mut deadline => return Err(P2pError::ListenTimeout(timeout)),
            }
            if let Some(error) = self.listen_failure.take() {
                return Err(P2pError::ListenerFailed(error));
            }
        }
        Ok(())
    }

    /// The task's main loop; returns when shutdown is asked or every handle is gone.
    pub(crate) async fn run(mut self) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let shared = Arc::clone(&self.shared);
        // A second sender, so a pending `reserve` does not borrow `self`.
        let events = self.events.clone();
        loop {
            tokio::select! {
                _ = shared.shutdown.notified() => break,
                command = self.commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                permit = events.reserve(), if !self.backlog.is_empty() => {
                    match (permit, self.backlog.pop_front()) {
                        (Ok(permit), Some(event)) => permit.send(event),
                        // The host dropped its receiver: nobody will read events.
                        _ => self.backlog.clear(),
                    }
                }
                Some((peer, items, channel)) = self.replies.next(), if !self.replies.is_empty() => {
                    self.on_reply(peer, items, channel);
                }
                _ = tick.tick() => self.on_tick(),
            }
        }
        tracing::debug!(peer = %self.shared.local_peer_id, "p2p swarm task stopped");
        self.shared.peers.store(0, Ordering::Relaxed);
        self.connected_tx.send_replace(Vec::new());
        let Driver {
            swarm, stopped_tx, ..
        } = self;
        // Close listeners and connections before reporting the stop, so a restart can bind
        // the same port as soon as `shutdown` returns.
        drop(swarm);
        stopped_tx.send_replace(true);
    }

    /// Sends an event that must not be lost silently: straight into the channel, else into
    /// the backlog; past the backlog's bound it is dropped and counted.
    pub(crate) fn emit(&mut self, event: NetEvent) {
        let event = if self.backlog.is_empty() {
            match self.events.try_send(event) {
                Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => return,
                Err(mpsc::error::TrySendError::Full(event)) => event,
            }
        } else {
            event
        };
        if self.backlog.len() < self.backlog_cap {
            self.backlog.push_back(event);
        } else {
            tracing::warn!("p2p event backlog full; host is not reading events");
            Counters::bump(&self.shared.counters.dropped_events);
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { topic, data } => self.publish(topic, &data),
            Command::RequestSync { peer, from_height } => self.request_sync(peer, from_height),
            Command::Penalize { peer, offence } => {
                self.penalize(peer, offence.weight(), offence_name(offence))
            }
            Command::Validate { id, verdict } => self.validated(&id, verdict),
            Command::View(reply) => {
                // An error means the asker stopped waiting.
                let _ = reply.send(self.view());
            }
        }
    }

    fn request_sync(&mut self, peer: Option<PeerId>, from_height: u64) {
        let target = match peer {
            Some(p) if self.ready.contains(&p) => Some(p),
            _ if self.ready.is_empty() => None,
            _ => {
                self.rotation = self.rotation.wrapping_add(1);
                self.ready
                    .iter()
                    .nth(self.rotation % self.ready.len())
                    .copied()
            }
        };
        let Some(target) = target else {
            tracing::debug!(from_height, "sync request with no connected peer");
            self.emit(NetEvent::SyncFailed {
                peer: None,
                from_height,
            });
            return;
        };
        let request = super::codec::SyncRequest {
            from_height,
            max_items: self.sync_batch,
        };
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&target, Ok(request));
        self.outbound_sync.insert(id, (target, from_height));
    }

    /// Charges `points` to `peer` and performs a ban if the total reached the ban score.
    pub(crate) fn penalize(&mut self, peer: PeerId, points: i32, reason: &'static str) {
        match self.scores.penalize(peer, points, Instant::now()) {
            Verdict::Recorded(total) => {
                tracing::debug!(%peer, reason, points, total, "peer penalized")
            }
            Verdict::AlreadyBanned => {}
            Verdict::Ban { total, until } => {
                let duration = until.saturating_duration_since(Instant::now());
                tracing::info!(%peer, reason, total, ban_secs = duration.as_secs(), "peer banned");
                Counters::bump(&self.shared.counters.bans);
                let behaviour = self.swarm.behaviour_mut();
                // Blocking closes every connection to the peer and refuses new ones.
                behaviour.blocks.block_peer(peer);
                behaviour.gossipsub.blacklist_peer(&peer);
                self.emit(NetEvent::PeerBanned { peer, duration });
            }
        }
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        for peer in self.scores.expire(now) {
            tracing::info!(%peer, "peer ban lifted");
            let behaviour = self.swarm.behaviour_mut();
            behaviour.blocks.unblock_peer(peer);
            behaviour.gossipsub.remove_blacklisted_peer(&peer);
        }
        let scored: Vec<(PeerId, f64)> = self
            .swarm
            .connected_peers()
            .filter_map(|p| {
                self.swarm
                    .behaviour()
                    .gossipsub
                    .peer_score(p)
                    .map(|s| (*p, s))
            })
            .collect();
        for (peer, score) in scored {
            let points = self.gossip_watch.observe(peer, score);
            if points > 0 {
                self.penalize(peer, points, "gossipsub validation");
            }
        }
        let swarm = &self.swarm;
        let dials = self.bootstrap.due(now, |p| swarm.is_connected(p));
        for opts in dials {
            let id = opts.connection_id();
            if let Err(error) = self.swarm.dial(opts) {
                let to_self = matches!(error, DialError::LocalPeerId { .. });
                if let Some(addr) = self.bootstrap.on_dial_failed(id, to_self, now) {
                    tracing::debug!(%addr, %error, "bootstrap dial not started");
                }
            }
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<FluxBehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(FluxBehaviourEvent::Gossipsub(event)) => self.on_gossip(event),
            SwarmEvent::Behaviour(FluxBehaviourEvent::Sync(event)) => self.on_sync(event),
            SwarmEvent::Behaviour(FluxBehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) if info.protocol_version != self.identify_version => {
                tracing::debug!(
                    peer = %peer_id,
                    theirs = %info.protocol_version,
                    "peer of another chain or version; disconnecting"
                );
                // An error only means the peer is already gone.
                let _ = self.swarm.disconnect_peer_id(peer_id);
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } => {
                tracing::debug!(peer = %peer_id, addr = %endpoint.get_remote_address(), "connection established");
                self.bootstrap.on_connected(connection_id, peer_id);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                cause,
                ..
            } => {
                tracing::debug!(peer = %peer_id, ?cause, "last connection closed");
                self.bootstrap.on_disconnected(peer_id, Instant::now());
                self.gossip_watch.forget(&peer_id);
                if self.ready.remove(&peer_id) {
                    self.update_connected();
                    self.emit(NetEvent::PeerDisconnected(peer_id));
                }
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                peer_id,
                error,
            } => {
                let to_self = matches!(error, DialError::LocalPeerId { .. });
                if let Some(addr) =
                    self.bootstrap
                        .on_dial_failed(connection_id, to_self, Instant::now())
                {
                    tracing::debug!(%addr, ?peer_id, %error, "bootstrap dial failed");
                }
            }
            SwarmEvent::IncomingConnectionError {
                send_back_addr,
                error,
                ..
            } => {
                tracing::debug!(from = %send_back_addr, %error, "incoming connection failed");
            }
            SwarmEvent::NewListenAddr {
                listener_id,
                address,
            } => {
                tracing::debug!(%address, "listening");
                self.pending_listeners.remove(&listener_id);
                self.listen_tx
                    .send_modify(|addrs| addrs.push(address.clone()));
                self.emit(NetEvent::Listening(address));
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_tx
                    .send_modify(|addrs| addrs.retain(|a| *a != address));
            }
            SwarmEvent::ListenerError { listener_id, error }
            | SwarmEvent::ListenerClosed {
                listener_id,
                reason: Err(error),
                ..
            } => {
                tracing::warn!(%error, "listener failed");
                if self.pending_listeners.remove(&listener_id) {
                    self.listen_failure = Some(error);
                }
            }
            _ => {}
        }
    }
}

/// The name of an offence in logs.
pub(crate) fn offence_name(offence: Offence) -> &'static str {
    match offence {
        Offence::Undecodable => "host: undecodable",
        Offence::Invalid => "host: invalid",
        Offence::Oversized => "host: oversized",
        // A refused gossip costs what spam does, and was logged as spam.
        Offence::Spam | Offence::Refused => "host: spam",
    }
}
