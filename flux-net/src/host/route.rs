//! Gossip into the host: each message decoded once, handed to the component whose protocol it
//! is, and judged ([`Verdict`]) so that the network relays only what is valid.

use flux_chain::consensus::{Height, Input};
use flux_chain::store::Store;

use super::consensus::Arrival;
use super::{Host, HostError};
use crate::message::{Attest, Message};
use crate::network::{Committed, Network, Offence, Topic};

/// What the host found a gossip message to be: whether the network should relay it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Valid and useful: relay it.
    Accept,
    /// Invalid wherever it goes (undecodable, a bad signature): drop it; its deliverers are
    /// charged.
    Reject,
    /// Not useful here, or not for this node to judge (old, a duplicate, refused by this
    /// node's state, signed by a member this node does not know yet): drop it, no charge.
    Ignore,
}

/// A [`Network`] that notes whether a component penalised the sender of the message at hand.
struct Judged<'a, N: Network> {
    net: &'a mut N,
    peer: N::Peer,
    penalized: bool,
}

impl<N: Network> Network for Judged<'_, N> {
    type Peer = N::Peer;

    fn publish(&mut self, topic: Topic, bytes: Vec<u8>) {
        self.net.publish(topic, bytes);
    }

    fn request_sync(&mut self, peer: Option<N::Peer>, from_height: Height) {
        self.net.request_sync(peer, from_height);
    }

    fn penalize(&mut self, peer: N::Peer, offence: Offence) {
        self.penalized |= peer == self.peer && offence != Offence::Refused;
        self.net.penalize(peer, offence);
    }

    fn set_timer(&mut self, after_ms: u64, input: Input) {
        self.net.set_timer(after_ms, input);
    }

    fn committed(&mut self, commit: &Committed) {
        self.net.committed(commit);
    }
}

impl<S: Store, P: Copy + Ord + std::fmt::Debug> Host<S, P> {
    /// Gossip bytes from `peer`. Transactions are checked here, signatures included (the
    /// simulator's path; a node uses [`Host::on_gossip_judged`]).
    pub fn on_gossip<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        bytes: &[u8],
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        self.route(peer, bytes, true, now_ms, net).map(|_| ())
    }

    /// Gossip bytes from `peer`, judged: whether the network should relay them. A batch of
    /// transactions is not checked here (it is [`Verdict::Ignore`]d): a node checks their
    /// signatures on its verifier thread and hands them to [`Host::on_verified_txs`].
    pub fn on_gossip_judged<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        bytes: &[u8],
        now_ms: u64,
        net: &mut N,
    ) -> Result<Verdict, HostError> {
        self.route(peer, bytes, false, now_ms, net)
    }

    fn route<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        bytes: &[u8],
        txs_here: bool,
        now_ms: u64,
        net: &mut N,
    ) -> Result<Verdict, HostError> {
        let Ok(message) = Message::from_bytes(bytes) else {
            self.undecodable += 1;
            net.penalize(peer, Offence::Undecodable);
            return Ok(Verdict::Reject);
        };
        if let Message::Txs(txs) = message {
            return match txs_here {
                true => self.txs.receive(peer, txs, net),
                false => Ok(Verdict::Ignore),
            };
        }
        let rejected = self.refusals().rejected;
        let arrival = Arrival {
            peer,
            bytes,
            now_ms,
        };
        let mut judged = Judged {
            net,
            peer,
            penalized: false,
        };
        match message {
            Message::Proposal { proposal, block } => {
                let (consensus, mut followers) = self.consensus_and_followers();
                consensus.on_proposal(proposal, block, arrival, &mut judged, &mut followers)?
            }
            Message::Vote(v) => {
                let (consensus, mut followers) = self.consensus_and_followers();
                consensus.on_vote(v, arrival, &mut judged, &mut followers)?
            }
            Message::Txs(_) => {}
            Message::Attest(Attest::Request(request)) => {
                self.liveness
                    .on_request(peer, request, now_ms, &mut judged)?
            }
            Message::Attest(Attest::Hosting { node, seed_height }) => self
                .liveness
                .on_hosting_request(node, seed_height, now_ms, &mut judged)?,
            Message::Attest(Attest::Signed {
                kind,
                subject,
                seed_height,
                attestation,
            }) => self
                .liveness
                .on_signed(kind, subject, seed_height, attestation, &mut judged)?,
            Message::Swap(message) => self.swaps.on_message(peer, message, &mut judged)?,
        }
        Ok(if judged.penalized {
            Verdict::Reject
        } else if self.refusals().rejected > rejected {
            Verdict::Ignore
        } else {
            Verdict::Accept
        })
    }
}
