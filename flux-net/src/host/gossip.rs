//! Gossip into the host: each message decoded, checked before anything of it is kept, and
//! judged ([`Verdict`]) so that the network relays only what is valid.
//!
//! - A proposal's block is held only if the proposal is signed by the proposer of its
//!   `(height, round)` (see [`super::held`]); anyone else's costs the sender.
//! - A proposal or vote of the current height is held for re-broadcast only once its
//!   signature is verified (the proposal here, the vote by the consensus machine), so a stalled
//!   node never re-publishes a forgery as its own.

use flux_chain::block::Block;
use flux_chain::consensus::{Height, Input, SignedProposal, SignedVote, Step};
use flux_chain::store::Store;

use super::held::HELD_ROUNDS;
use super::{FUTURE_WINDOW, Host, HostError};
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

/// A [`Network`] that notes whether the host penalised the sender of the message at hand.
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
        self.gossip(peer, bytes, true, now_ms, net).map(|_| ())
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
        self.gossip(peer, bytes, false, now_ms, net)
    }

    fn gossip<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        bytes: &[u8],
        txs_here: bool,
        now_ms: u64,
        net: &mut N,
    ) -> Result<Verdict, HostError> {
        let Ok(message) = Message::from_bytes(bytes) else {
            self.refusals.undecodable += 1;
            net.penalize(peer, Offence::Undecodable);
            return Ok(Verdict::Reject);
        };
        if let Message::Txs(txs) = message {
            return match txs_here {
                true => self.receive_txs(peer, txs, net),
                false => Ok(Verdict::Ignore),
            };
        }
        let rejected = self.refusals.rejected;
        let mut judged = Judged {
            net,
            peer,
            penalized: false,
        };
        match message {
            Message::Proposal { proposal, block } => {
                self.on_proposal(peer, proposal, block, bytes, now_ms, &mut judged)?
            }
            Message::Vote(v) => self.on_vote(peer, v, bytes, now_ms, &mut judged)?,
            Message::Txs(_) => {}
            Message::Attest(Attest::Request(request)) => {
                self.on_attest_request(peer, request, now_ms, &mut judged)?
            }
            Message::Attest(Attest::Hosting { node, seed_height }) => {
                self.on_hosting_request(node, seed_height, now_ms, &mut judged)?
            }
            Message::Attest(Attest::Signed {
                kind,
                subject,
                seed_height,
                attestation,
            }) => self.on_attested(kind, subject, seed_height, attestation, &mut judged)?,
            Message::Swap(message) => self.on_swap(peer, message, &mut judged)?,
        }
        Ok(if judged.penalized {
            Verdict::Reject
        } else if self.refusals.rejected > rejected {
            Verdict::Ignore
        } else {
            Verdict::Accept
        })
    }

    /// The height being decided and its round, unless it is decided already.
    fn deciding(&self) -> Option<(Height, flux_chain::consensus::Round)> {
        self.machine
            .as_ref()
            .filter(|m| m.step() != Step::Commit)
            .map(|m| (m.height(), m.round()))
    }

    fn on_vote<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        vote: SignedVote,
        bytes: &[u8],
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        self.feed(Input::Vote(vote), Some(peer), now_ms, net)?;
        // Held for re-broadcast only if the machine holds this very vote of the height it is
        // still deciding: its signature was verified.
        let v = vote.vote;
        if self.deciding().map(|(h, _)| h) == Some(v.height)
            && let Some(keeper) = self.machine.as_ref().and_then(|m| m.votes())
            && keeper
                .signatures_for(v.round, v.kind, v.value)
                .contains(&(v.validator, vote.signature))
        {
            self.held.insert(v.round, bytes.to_vec());
        }
        Ok(())
    }

    fn on_proposal<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        proposal: SignedProposal,
        block: Block,
        bytes: &[u8],
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let p = proposal.proposal;
        if block.id().ok() != Some(p.value) {
            self.refusals.rejected += 1;
            net.penalize(peer, Offence::Invalid);
            return Ok(());
        }
        let h = block.header.height;
        let next = self.read()?.height() + 1;
        if h != p.height || h < next || h > next + FUTURE_WINDOW {
            // Another height's block, or one too old or too far ahead to hold.
            self.refusals.rejected += 1;
            return Ok(());
        }
        // Rounds far ahead of ours are heard when we get there (they would only crowd out
        // the blocks of the rounds being decided).
        let round_now = match self.machine.as_ref() {
            Some(m) if m.height() == h => m.round(),
            _ => 0,
        };
        if p.round > round_now.saturating_add(HELD_ROUNDS) {
            self.refusals.rejected += 1;
            return Ok(());
        }
        // The block is held before the machine sees the proposal, so check the proposer and
        // its signature first: only the proposer of the round gets a block into memory.
        let (expected, key, chain_id) = {
            let chain = self.read()?;
            let committee = chain.committee(h)?;
            let epoch_length = chain.state().params().consensus.epoch_length;
            let expected = committee.proposer(h, p.round, epoch_length);
            let key = committee.get(&expected).map(|m| m.key);
            (expected, key, chain.state().params().chain_id)
        };
        let Some(key) = key.filter(|_| p.proposer == expected) else {
            // Not the proposer of the round: a fault at the height being decided; later
            // heights' committees may not be known here yet.
            self.refusals.rejected += 1;
            if h == next {
                net.penalize(peer, Offence::Invalid);
            }
            return Ok(());
        };
        if proposal.verify(&key, chain_id).is_err() {
            self.refusals.rejected += 1;
            net.penalize(peer, Offence::Invalid);
            return Ok(());
        }
        let keep = self.pinned_blocks();
        if !self
            .blocks
            .insert((h, p.round), p.value, block, bytes.len(), &keep)
        {
            // The round has its blocks (a third one from an equivocating proposer), or the
            // cache is full of rounds as recent.
            self.refusals.rejected += 1;
            return Ok(());
        }
        if self.deciding().map(|(h, _)| h) == Some(h) {
            self.held.insert(p.round, bytes.to_vec());
        }
        self.feed(Input::Proposal(proposal), Some(peer), now_ms, net)
    }

    /// The blocks the machine is locked on or would re-propose: never evicted.
    pub(super) fn pinned_blocks(&self) -> Vec<flux_chain::block::BlockId> {
        self.machine
            .as_ref()
            .map(|m| {
                [m.locked(), m.valid()]
                    .into_iter()
                    .flatten()
                    .map(|(_, id)| id)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether a member of `height`'s committee (as far as this chain knows it) signed a
    /// proposal or vote: `None` if the signer is not a member.
    pub(super) fn signed_by_committee(
        &self,
        input: &Input,
        height: Height,
    ) -> Result<Option<bool>, HostError> {
        let chain = self.read()?;
        let committee = chain.committee(height)?;
        let chain_id = chain.state().params().chain_id;
        Ok(match input {
            Input::Vote(v) => committee
                .get(&v.vote.validator)
                .map(|m| v.verify(&m.key, chain_id).is_ok()),
            Input::Proposal(p) => committee
                .get(&p.proposal.proposer)
                .map(|m| p.verify(&m.key, chain_id).is_ok()),
            _ => Some(true),
        })
    }

    /// A proposal or vote for a later `height`: `true` if a member of that height's committee
    /// (as far as this chain knows it) signed it, which also counts toward
    /// [`Host::network_height`]. A bad signature costs the sender; a signer outside the
    /// committee is ignored without a penalty (at an epoch's turn an honest peer may already
    /// follow a committee this node has not drawn yet).
    pub(super) fn verify_ahead<N: Network<Peer = P>>(
        &mut self,
        input: &Input,
        height: Height,
        from: Option<P>,
        net: &mut N,
    ) -> Result<bool, HostError> {
        match self.signed_by_committee(input, height)? {
            Some(true) => {
                self.seen_height = self.seen_height.max(height);
                Ok(true)
            }
            Some(false) => {
                self.refusals.rejected += 1;
                if let Some(peer) = from {
                    net.penalize(peer, Offence::Invalid);
                }
                Ok(false)
            }
            None => {
                self.refusals.rejected += 1;
                Ok(false)
            }
        }
    }
}
