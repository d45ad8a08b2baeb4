//! [`P2pConfig`]: the node's network identity, addresses and limits.

use std::time::Duration;

use flux_core::ChainId;
use libp2p::Multiaddr;
use libp2p::identity::Keypair;

use super::error::P2pError;

/// Default bound of one gossip payload and of one sync frame: the chain's one figure,
/// [`flux_core::params::MAX_GOSSIP_MESSAGE_BYTES`] (4 MiB), which the block byte cap is checked
/// against.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = flux_core::params::MAX_GOSSIP_MESSAGE_BYTES as usize;

/// The smallest accepted `max_message_bytes`: the protocol's gossip limit
/// ([`flux_core::params::MAX_GOSSIP_MESSAGE_BYTES`]). Every valid chain's block byte cap is at
/// most [`flux_core::params::MAX_BLOCK_BYTES_LIMIT`], that limit less the envelope a proposal or
/// sync item puts around a block, and governance may raise the cap up to it at any height; so a
/// node below this figure would, sooner or later, never receive a block at the cap and stall
/// (issue 19 point 3). The figure is derived in one place, not per chain.
pub const MIN_MAX_MESSAGE_BYTES: usize = flux_core::params::MAX_GOSSIP_MESSAGE_BYTES as usize;

/// The largest accepted `max_message_bytes`: twice the protocol's gossip limit. A node gains
/// nothing above the limit (it decodes no message longer than
/// [`crate::message::MAX_MESSAGE_BYTES`], and peers refuse sync frames over their own limit), and
/// one peer's frame may make it buffer this much per open stream.
pub const MAX_MAX_MESSAGE_BYTES: usize = 2 * MIN_MAX_MESSAGE_BYTES;

// The codec writes frame lengths as u32.
const _: () = assert!(MAX_MAX_MESSAGE_BYTES as u64 <= u32::MAX as u64);
const _: () = assert!(
    DEFAULT_MAX_MESSAGE_BYTES >= MIN_MAX_MESSAGE_BYTES
        && DEFAULT_MAX_MESSAGE_BYTES <= MAX_MAX_MESSAGE_BYTES
);

/// Configuration of the peer-to-peer layer. Build it with [`P2pConfig::new`] and adjust fields.
///
/// ```
/// use flux_core::ChainId;
/// use flux_net::p2p::P2pConfig;
/// use libp2p::identity::Keypair;
///
/// let mut config = P2pConfig::new(Keypair::generate_ed25519(), ChainId::DEVNET);
/// config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse()?];
/// assert_eq!(config.max_peers, 50);
/// # Ok::<(), libp2p::multiaddr::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct P2pConfig {
    /// The node's network identity (ed25519). Its [`libp2p::PeerId`] is what other nodes see.
    pub keypair: Keypair,
    /// Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/26656`; port 0 picks a free port (see
    /// [`super::P2pHandle::listen_addrs`]). Empty: the node only dials out.
    pub listen: Vec<Multiaddr>,
    /// Peers dialled at start and re-dialled with backoff whenever no connection to them is
    /// open. An address may end in `/p2p/<peer id>`; without it the peer is learned on connect.
    pub bootstrap: Vec<Multiaddr>,
    /// The chain: topic and protocol names include it, so two chains never exchange messages.
    pub chain_id: ChainId,
    /// Largest gossip payload (as given to `publish`) and largest sync frame, in bytes.
    ///
    /// Must lie in [`MIN_MAX_MESSAGE_BYTES`]`..=`[`MAX_MAX_MESSAGE_BYTES`]; [`super::spawn`]
    /// refuses anything else with [`P2pError::MessageLimit`]. The floor is the protocol's
    /// gossip limit, which every chain's block byte cap (now or after a governance change) is
    /// derived from: a node configured below it would silently never receive the largest
    /// blocks and stall. Leave it at [`DEFAULT_MAX_MESSAGE_BYTES`] (the floor) unless a test
    /// plays a peer that sends more.
    pub max_message_bytes: usize,
    /// Established connections in total, inbound and outbound.
    pub max_peers: u32,
    /// Established connections to one peer.
    pub max_connections_per_peer: u32,
    /// Penalty total at which a peer is banned (see [`super::Offence`]).
    pub ban_score: i32,
    /// How long a ban lasts; the peer's penalty total restarts at zero afterwards.
    pub ban_duration: Duration,
    /// One penalty point is forgiven per this interval, so rare faults of an honest peer never
    /// add up to a ban.
    pub penalty_decay: Duration,
    /// At most this many blocks asked for by one [`super::P2pHandle::request_sync`].
    pub sync_batch: u32,
    /// How long an outbound sync request may wait for its response.
    pub sync_timeout: Duration,
    /// Unanswered sync requests one peer may have open with us; more are refused and count as
    /// [`super::Offence::Spam`].
    pub max_inbound_sync_per_peer: usize,
    /// First delay before re-dialling a lost bootstrap peer; doubles per failure.
    pub redial_initial: Duration,
    /// Longest delay between two dials of one bootstrap peer.
    pub redial_max: Duration,
    /// Capacity of the event channel returned by [`super::spawn`].
    pub event_capacity: usize,
    /// Capacity of the command queue behind [`super::P2pHandle`].
    pub command_capacity: usize,
}

impl P2pConfig {
    /// A configuration with the defaults: no listen or bootstrap address, 4 MiB messages, 50
    /// peers, 2 connections per peer, ban at 100 points for 10 minutes.
    pub fn new(keypair: Keypair, chain_id: ChainId) -> Self {
        P2pConfig {
            keypair,
            listen: Vec::new(),
            bootstrap: Vec::new(),
            chain_id,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_peers: 50,
            max_connections_per_peer: 2,
            ban_score: 100,
            ban_duration: Duration::from_secs(600),
            penalty_decay: Duration::from_secs(10),
            sync_batch: 256,
            sync_timeout: Duration::from_secs(20),
            max_inbound_sync_per_peer: 4,
            redial_initial: Duration::from_millis(500),
            redial_max: Duration::from_secs(10),
            event_capacity: 4096,
            command_capacity: 4096,
        }
    }

    /// Checks the limits; [`super::spawn`] calls it first.
    ///
    /// # Errors
    /// [`P2pError::MessageLimit`] if `max_message_bytes` is below the protocol's gossip limit
    /// or above [`MAX_MAX_MESSAGE_BYTES`]; [`P2pError::InvalidConfig`] naming the first other
    /// field out of range.
    pub fn validate(&self) -> Result<(), P2pError> {
        let invalid =
            |field: &'static str, rule: &'static str| Err(P2pError::InvalidConfig { field, rule });
        if !(MIN_MAX_MESSAGE_BYTES..=MAX_MAX_MESSAGE_BYTES).contains(&self.max_message_bytes) {
            return Err(P2pError::MessageLimit {
                configured: self.max_message_bytes,
                min: MIN_MAX_MESSAGE_BYTES,
                max: MAX_MAX_MESSAGE_BYTES,
            });
        }
        if self.max_peers == 0 {
            return invalid("max_peers", "at least 1");
        }
        if self.max_connections_per_peer == 0 {
            return invalid("max_connections_per_peer", "at least 1");
        }
        if self.ban_score <= 0 {
            return invalid("ban_score", "positive");
        }
        if self.penalty_decay.is_zero() {
            return invalid("penalty_decay", "non-zero");
        }
        if self.sync_batch == 0 {
            return invalid("sync_batch", "at least 1");
        }
        if self.sync_timeout.is_zero() {
            return invalid("sync_timeout", "non-zero");
        }
        if self.redial_initial.is_zero() || self.redial_max < self.redial_initial {
            return invalid("redial_initial", "non-zero and at most redial_max");
        }
        if self.event_capacity == 0 || self.command_capacity == 0 {
            return invalid("event_capacity", "event and command capacities at least 1");
        }
        Ok(())
    }

    /// Gossipsub topic name of `topic` on this chain: `/flux/<chain_id>/<name>/1`.
    pub fn topic_name(&self, topic: super::Topic) -> String {
        format!("/flux/{}/{}/1", self.chain_id, topic.name())
    }

    /// Block-sync protocol name on this chain: `/flux/<chain_id>/sync/1`.
    pub fn sync_protocol(&self) -> String {
        format!("/flux/{}/sync/1", self.chain_id)
    }

    /// Identify protocol version on this chain; a peer announcing another one is disconnected.
    pub fn identify_version(&self) -> String {
        format!("/flux/{}/{}", self.chain_id, crate::PROTOCOL_VERSION)
    }
}
