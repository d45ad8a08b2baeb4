//! Gossip validation: a received message is forwarded to other peers only once the host has
//! judged it ([`P2pHandle::validate`](super::P2pHandle::validate)), so a relay never passes on
//! what it would refuse itself, and gossipsub charges the peers that delivered a rejected
//! message (its "invalid message deliveries" score, read back as penalty points).

use libp2p::PeerId;
use libp2p::gossipsub::{MessageAcceptance, MessageId};

/// Names one received gossip message for its [`Validation`] (from [`super::NetEvent::Gossip`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GossipId {
    pub(crate) message: MessageId,
    /// The peer that delivered it (the author or a relay).
    pub(crate) source: PeerId,
}

impl GossipId {
    /// The peer that delivered the message to us: its author or a relay.
    pub fn source(&self) -> PeerId {
        self.source
    }
}

/// What the host found a gossip message to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Validation {
    /// Valid and useful: forward it.
    Accept,
    /// Invalid everywhere (a bad signature, undecodable bytes): drop it and charge the peers
    /// that delivered it.
    Reject,
    /// Not useful or not judged here (old, duplicate, refused by this node's state): drop it
    /// without a charge.
    Ignore,
}

impl From<Validation> for MessageAcceptance {
    fn from(v: Validation) -> Self {
        match v {
            Validation::Accept => MessageAcceptance::Accept,
            Validation::Reject => MessageAcceptance::Reject,
            Validation::Ignore => MessageAcceptance::Ignore,
        }
    }
}
