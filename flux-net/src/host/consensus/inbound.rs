//! Proposals and votes from peers, checked before anything of them is kept:
//!
//! - A proposal's block is held only if the proposal is signed by the proposer of its
//!   `(height, round)` (see [`super::held`]); anyone else's costs the sender.
//! - A proposal or vote of the current height is held for re-broadcast only once its
//!   signature is verified (the proposal here, the vote by the consensus machine), so a stalled
//!   node never re-publishes a forgery as its own.

use flux_chain::block::Block;
use flux_chain::consensus::{Height, Input, SignedProposal, SignedVote};
use flux_chain::store::Store;

use super::ConsensusDriver;
use super::held::HELD_ROUNDS;
use crate::host::shared::CommitFollower;
use crate::host::{FUTURE_WINDOW, HostError};
use crate::network::{Network, Offence};

/// How a gossiped message arrived: from whom, as which bytes (held for re-broadcast as they
/// came), and when.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arrival<'a, P> {
    pub(crate) peer: P,
    pub(crate) bytes: &'a [u8],
    pub(crate) now_ms: u64,
}

impl<S: Store, P: Copy + Ord + std::fmt::Debug> ConsensusDriver<S, P> {
    /// A gossiped vote.
    pub(crate) fn on_vote<N: Network<Peer = P>, F: CommitFollower<P>>(
        &mut self,
        vote: SignedVote,
        arrival: Arrival<'_, P>,
        net: &mut N,
        followers: &mut F,
    ) -> Result<(), HostError> {
        let Arrival {
            peer,
            bytes,
            now_ms,
        } = arrival;
        self.feed(Input::Vote(vote), Some(peer), now_ms, net, followers)?;
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

    /// A gossiped proposal, with its block.
    pub(crate) fn on_proposal<N: Network<Peer = P>, F: CommitFollower<P>>(
        &mut self,
        proposal: SignedProposal,
        block: Block,
        arrival: Arrival<'_, P>,
        net: &mut N,
        followers: &mut F,
    ) -> Result<(), HostError> {
        let Arrival {
            peer,
            bytes,
            now_ms,
        } = arrival;
        let p = proposal.proposal;
        if block.id().ok() != Some(p.value) {
            self.refusals.rejected += 1;
            net.penalize(peer, Offence::Invalid);
            return Ok(());
        }
        let h = block.header.height;
        let next = self.ledger.read()?.height() + 1;
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
            let chain = self.ledger.read()?;
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
        self.feed(
            Input::Proposal(proposal),
            Some(peer),
            now_ms,
            net,
            followers,
        )
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
        let chain = self.ledger.read()?;
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
    /// [`crate::host::Host::network_height`]. A bad signature costs the sender; a signer outside the
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
