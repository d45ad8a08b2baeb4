//! The [`Network`] trait: what the consensus [`Host`](crate::host::Host) needs from the world
//! around it. The node implements it over libp2p and tokio ([`crate::node`]); the simulator
//! over virtual time and simulated links ([`crate::sim`]). The host and its components are the
//! same code in both, so what the simulator tests is what the node runs; each component acts on
//! the world only through this trait.

use std::fmt;

use flux_chain::consensus::{Height, Input};

/// The gossip topics (the p2p layer's too: [`crate::p2p::Topic`] is this type, with its
/// name in topic strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    /// Consensus messages: proposals (with their blocks) and votes
    /// (`/flux/<chain_id>/consensus/1`).
    Consensus,
    /// Batches of transactions for the mempool (`/flux/<chain_id>/txs/1`).
    Txs,
}

/// Something a peer did wrong: what the host penalises a peer for, and what the p2p layer
/// finds itself. The network decides what a penalty costs ([`crate::p2p`]'s
/// `Offence::weight`; the simulator reads the same weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Offence {
    /// Bytes that do not decode (a gossip envelope, a sync frame, or a message the host could
    /// not parse). Could be a version skew.
    Undecodable,
    /// Well-formed but wrong data (a bad signature, a vote from outside the committee, a
    /// block that is not the proposal's or fails validation, a certificate that does not
    /// verify).
    Invalid,
    /// Gossip this node refused by its state's rules, or repeated after a refusal (e.g.
    /// transactions the mempool refused): cheap for the sender to make, so it costs a little
    /// (as [`Offence::Spam`]).
    Refused,
    /// Data over a size limit, which a compliant peer never sends (found by the p2p layer).
    Oversized,
    /// Too much of something allowed: unsolicited or excess requests, floods (found by the
    /// p2p layer).
    Spam,
}

/// The world of a [`Host`](crate::host::Host): the network and the clock's timers.
pub trait Network {
    /// How peers are named.
    type Peer: Copy + Ord + fmt::Debug;
    /// Gossips `bytes` (an encoded [`Message`](crate::message::Message)) to every peer.
    fn publish(&mut self, topic: Topic, bytes: Vec<u8>);
    /// Asks `peer` (or any peer, `None`) for decided blocks from `from_height` on; the answer
    /// comes back through [`Host::on_sync_response`](crate::host::Host::on_sync_response).
    fn request_sync(&mut self, peer: Option<Self::Peer>, from_height: Height);
    /// Scores `peer` down for sending bad data.
    fn penalize(&mut self, peer: Self::Peer, offence: Offence);
    /// Delivers `input` to [`Host::on_timer`](crate::host::Host::on_timer) after `after_ms`.
    fn set_timer(&mut self, after_ms: u64, input: Input);
    /// A block was committed (for metrics and invariant checks); does nothing by default.
    fn committed(&mut self, _commit: &Committed) {}
}

/// What [`Network::committed`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The height.
    pub height: Height,
    /// The block.
    pub block: flux_chain::block::BlockId,
    /// The state root after it.
    pub state_root: flux_core::Hash,
    /// Transactions in it.
    pub txs: usize,
    /// The block's timestamp, ms.
    pub timestamp_ms: u64,
    /// Whether it came through block sync (rather than this validator's consensus).
    pub synced: bool,
}
