//! The peer-to-peer layer: libp2p under the node's consensus host.
//!
//! The host is sans-IO and sees only opaque message bytes and a [`PeerId`]. [`spawn`] starts a
//! swarm task and returns a [`P2pHandle`] (publish, sync requests, penalties) and a bounded
//! channel of [`NetEvent`]s (gossip, sync requests and responses, peers coming and going).
//!
//! # Transport and behaviours
//! TCP + Noise (authenticated with the node's ed25519 [`P2pConfig::keypair`]) + Yamux, and:
//! - **connection gates**: a block list (bans) and connection limits (`max_peers` established
//!   connections in total, `max_connections_per_peer`, and a bound on handshakes in progress);
//! - **gossipsub** for the two [`Topic`]s, `/flux/<chain_id>/consensus/1` and
//!   `/flux/<chain_id>/txs/1`. Messages are signed by their author (strict validation): a
//!   forged or altered message dies at the first hop, penalties for content go to the author
//!   rather than to the honest peer that relayed it, and a banned author's messages are
//!   refused even through relays. Consensus payloads carry their own signatures too; this
//!   signature is about who to blame. Message id = hash of author, topic and data; publishes
//!   are flooded to every subscribed peer and the heartbeat is 250 ms, so with a
//!   committee-sized network (2 to 100 peers) every publish reaches every peer in one hop.
//!   A received message is forwarded only after the host judged it
//!   ([`P2pHandle::validate`] with the [`GossipId`] of its [`NetEvent::Gossip`]): accepted
//!   ones are forwarded, rejected ones are dropped and cost the peers that delivered them,
//!   ignored ones are dropped; one never judged is dropped from the cache after a few seconds;
//! - **request-response** for block sync on `/flux/<chain_id>/sync/1` (see [`codec`]);
//! - **identify**, whose protocol version `/flux/<chain_id>/<PROTOCOL_VERSION>` lets a node
//!   drop peers of another chain at once. Topic and protocol names include the chain id, so
//!   chains never mix even without it.
//!
//! # Envelope
//! Gossipsub drops a message whose id it has seen recently, but the host re-publishes
//! identical bytes when a consensus height stalls. Every publish is therefore wrapped in an
//! envelope `[version 1][sequence u64 LE][payload]` with a fresh sequence number (starting
//! from the clock, so restarts do not repeat ids); receivers strip it, and
//! [`NetEvent::Gossip`] carries exactly the bytes given to [`P2pHandle::publish`].
//!
//! # Sync protocol
//! A request is `(from_height, max_items)`; the response is a list of opaque items (encoded
//! decided blocks, in height order). Frames are length-prefixed and every length read from
//! the wire is checked against `max_message_bytes` before anything is read or reserved. The
//! host answers through [`SyncReply::send`], which keeps the longest prefix of items that
//! fits, so an answer is never over the limit. A peer may have
//! [`P2pConfig::max_inbound_sync_per_peer`] requests open with us.
//!
//! # Scoring and bans
//! Each peer has a penalty total: [`P2pHandle::penalize`] adds an [`Offence`]'s weight; the
//! layer itself charges undecodable envelopes and sync frames, oversized data, excess sync
//! requests, and messages gossipsub rejected in its own validation (read from its score).
//! Totals decay by one point per `penalty_decay`. At `ban_score` the peer is banned: its
//! connections are closed, new ones refused, its gossip dropped, for `ban_duration`. Bans are
//! logged at `info` (`peer banned`), reported as [`NetEvent::PeerBanned`] and counted in
//! [`P2pStats`]; penalties are logged at `debug`.
//!
//! # Back-pressure
//! The event channel holds `event_capacity` events. When it is full, gossip events are dropped
//! and counted (consensus re-publishes what matters, and a slow host must not stall the
//! swarm). All other events (sync, peers, bans, listen addresses) wait in a backlog of the same
//! size that drains as the host reads; only past that are they dropped, counted and logged.
//!
//! ```
//! use flux_core::ChainId;
//! use flux_net::p2p::{self, NetEvent, P2pConfig, Topic};
//! use libp2p::identity::Keypair;
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut a = P2pConfig::new(Keypair::generate_ed25519(), ChainId::DEVNET);
//! a.listen = vec!["/ip4/127.0.0.1/tcp/0".parse()?];
//! let (node_a, mut events_a) = p2p::spawn(a).await?;
//!
//! let mut b = P2pConfig::new(Keypair::generate_ed25519(), ChainId::DEVNET);
//! b.bootstrap = node_a.listen_addrs();
//! let (node_b, mut events_b) = p2p::spawn(b).await?;
//!
//! // Wait until a sees b connected (subscribed to the consensus topic), then a's publish
//! // reaches b as the same bytes.
//! while !matches!(events_a.recv().await, Some(NetEvent::PeerConnected(_))) {}
//! node_a.publish(Topic::Consensus, b"vote".to_vec());
//! loop {
//!     if let Some(NetEvent::Gossip { data, .. }) = events_b.recv().await {
//!         assert_eq!(data, b"vote");
//!         break;
//!     }
//! }
//! node_b.shutdown().await;
//! node_a.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use futures::stream::FuturesUnordered;
use libp2p::{Multiaddr, PeerId};
use tokio::sync::{Notify, mpsc, watch};

mod behaviour;
mod bootstrap;
pub mod codec;
mod config;
mod driver;
mod envelope;
mod error;
mod gossip;
mod handle;
mod scoring;
mod sync;
#[cfg(test)]
mod tests;
mod validation;

pub use codec::{SyncRequest, SyncResponse, decode_sync_frame};
pub use config::{
    DEFAULT_MAX_MESSAGE_BYTES, MAX_MAX_MESSAGE_BYTES, MIN_MAX_MESSAGE_BYTES, P2pConfig,
};
pub use envelope::ENVELOPE_OVERHEAD;
pub use error::{CodecError, P2pError};
pub use handle::{P2pHandle, P2pStats, P2pView, SyncReply, TopicPeers};
pub use scoring::Offence;
pub use validation::{GossipId, Validation};

use driver::Driver;
use handle::{Counters, Shared};
use scoring::{GossipScoreWatch, Scoreboard};

/// How long [`spawn`] waits for its listeners to report their addresses.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);

pub use crate::network::Topic;

impl Topic {
    /// The topic's name segment: `consensus` or `txs`.
    pub const fn name(self) -> &'static str {
        match self {
            Topic::Consensus => "consensus",
            Topic::Txs => "txs",
        }
    }
}

/// What the network tells the host.
#[derive(Debug)]
pub enum NetEvent {
    /// A gossip message. `peer` is its author (verified by the gossipsub signature), who may
    /// have reached us through a relay; `data` is exactly what the author published.
    Gossip {
        /// The author.
        peer: PeerId,
        /// The topic it was published on.
        topic: Topic,
        /// The payload.
        data: Vec<u8>,
        /// Names the message for [`P2pHandle::validate`]: it is forwarded to other peers only
        /// once accepted.
        id: GossipId,
    },
    /// A peer asks for decided blocks from `from_height` on; answer with `reply.send(items)`.
    SyncRequest {
        /// The asking peer.
        peer: PeerId,
        /// The first height wanted.
        from_height: u64,
        /// Where the answer goes (dropping it refuses the request).
        reply: SyncReply,
    },
    /// The answer to [`P2pHandle::request_sync`]: opaque items, each one encoded decided block,
    /// from `from_height` on (possibly empty). Undecodable items are the host's to penalize.
    SyncResponse {
        /// The peer that answered.
        peer: PeerId,
        /// The height the request started at.
        from_height: u64,
        /// The items, in height order.
        items: Vec<Vec<u8>>,
    },
    /// A [`P2pHandle::request_sync`] got no answer: no peer connected (`peer` is `None`), the
    /// request timed out, the connection closed or the response was malformed. Ask again.
    SyncFailed {
        /// The peer asked, if any.
        peer: Option<PeerId>,
        /// The height the request started at.
        from_height: u64,
    },
    /// A peer is connected and subscribed to this chain's consensus topic.
    PeerConnected(PeerId),
    /// The last connection to a connected peer closed.
    PeerDisconnected(PeerId),
    /// A peer reached the ban score and is disconnected and refused for `duration`.
    PeerBanned {
        /// The peer.
        peer: PeerId,
        /// How long the ban lasts.
        duration: Duration,
    },
    /// A listener is bound to this address.
    Listening(Multiaddr),
}

/// Starts the network: binds the listen addresses (waiting until each reported its address),
/// subscribes to both topics, and spawns the swarm task on the current tokio runtime, which
/// dials the bootstrap peers at once. Must be called within a tokio runtime.
///
/// # Errors
/// [`P2pError`]: an invalid config, a Noise or gossipsub setup failure, or an address that
/// cannot be bound.
pub async fn spawn(config: P2pConfig) -> Result<(P2pHandle, mpsc::Receiver<NetEvent>), P2pError> {
    config.validate()?;
    let mut swarm = behaviour::build_swarm(&config)?;
    let topics = Driver::topic_hashes(&config);
    for topic in [Topic::Consensus, Topic::Txs] {
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&libp2p::gossipsub::IdentTopic::new(
                config.topic_name(topic),
            ))?;
    }
    let mut pending_listeners = HashSet::new();
    for addr in &config.listen {
        let id = swarm
            .listen_on(addr.clone())
            .map_err(|source| P2pError::Listen {
                addr: addr.clone(),
                source,
            })?;
        pending_listeners.insert(id);
    }

    let local_peer_id = *swarm.local_peer_id();
    let (commands_tx, commands) = mpsc::channel(config.command_capacity);
    let (events, events_rx) = mpsc::channel(config.event_capacity);
    let (connected_tx, connected) = watch::channel(Vec::new());
    let (listen_tx, listen_addrs) = watch::channel(Vec::new());
    let (stopped_tx, stopped) = watch::channel(false);
    let shared = Arc::new(Shared {
        local_peer_id,
        max_message_bytes: config.max_message_bytes,
        peers: AtomicUsize::new(0),
        counters: Counters::default(),
        shutdown: Notify::new(),
        connected,
        listen_addrs,
        stopped,
    });
    let now = Instant::now();
    let mut driver = Driver {
        swarm,
        shared: Arc::clone(&shared),
        commands,
        events,
        backlog: VecDeque::new(),
        backlog_cap: config.event_capacity,
        connected_tx,
        listen_tx,
        stopped_tx,
        topics,
        sequence: envelope::initial_sequence(),
        scores: Scoreboard::new(config.ban_score, config.ban_duration, config.penalty_decay),
        gossip_watch: GossipScoreWatch::default(),
        ready: BTreeSet::new(),
        rotation: 0,
        outbound_sync: HashMap::new(),
        inbound_sync: HashMap::new(),
        replies: FuturesUnordered::new(),
        bootstrap: bootstrap::Bootstrap::new(
            &config.bootstrap,
            local_peer_id,
            config.redial_initial,
            config.redial_max,
            now,
        ),
        pending_listeners,
        listen_failure: None,
        identify_version: config.identify_version(),
        max_message_bytes: config.max_message_bytes,
        sync_batch: config.sync_batch,
        max_inbound_sync_per_peer: config.max_inbound_sync_per_peer,
    };
    driver.wait_listening(LISTEN_TIMEOUT).await?;
    tracing::info!(peer = %local_peer_id, addrs = ?shared.listen_addrs.borrow().clone(), "p2p started");
    tokio::spawn(driver.run());
    Ok((
        P2pHandle {
            commands: commands_tx,
            shared,
        },
        events_rx,
    ))
}
