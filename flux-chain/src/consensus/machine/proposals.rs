//! Recording proposals: the checks a proposal passes before the machine stores it (height,
//! round window, proposer, signature, at most [`MAX_PROPOSALS_PER_ROUND`]), a second value from
//! the proposer as evidence, and the request to validate a value not yet judged.

use super::{MAX_PROPOSALS_PER_ROUND, Machine, Output};
use crate::block::BlockId;
use crate::consensus::error::ConsensusError;
use crate::consensus::rounds::in_window;
use crate::consensus::types::{Evidence, Proposal, Round, SignedProposal};

impl Machine {
    pub(super) fn record_proposal(
        &mut self,
        sp: SignedProposal,
    ) -> Result<Vec<Output>, ConsensusError> {
        let p = sp.proposal;
        self.check_height(p.height)?;
        // Only rounds in the window are stored (rounds.rs); L55 needs votes, not proposals.
        if !in_window(p.round, self.round) {
            return Err(ConsensusError::RoundBeyondWindow {
                round: p.round,
                current: self.round,
            });
        }
        if let Some(vr) = p.pol_round
            && vr >= p.round
        {
            return Err(ConsensusError::BadPolRound {
                round: p.round,
                pol_round: vr,
            });
        }
        let expected = self.proposer(p.round).ok_or(ConsensusError::NotStarted)?;
        if p.proposer != expected {
            return Err(ConsensusError::NotProposer {
                round: p.round,
                expected,
                found: p.proposer,
            });
        }
        let key = self
            .keeper()?
            .committee()
            .get(&expected)
            .map(|m| m.key)
            .ok_or(ConsensusError::NotMember {
                validator: expected,
            })?;
        if self.proposals.contains_key(&(p.round, p.value))
            || self.round_proposals(p.round).count() >= MAX_PROPOSALS_PER_ROUND
        {
            return Ok(Vec::new());
        }
        sp.verify(&key, self.chain_id)?;
        // A second value from the proposer for this round is a double proposal (evidence.rs).
        let double = self
            .round_proposals(p.round)
            .next()
            .and_then(|first| Evidence::from_proposals(*first, sp));
        self.proposals.insert((p.round, p.value), sp);
        let mut out: Vec<Output> = double.map(Output::Evidence).into_iter().collect();
        if !self.validity.contains_key(&p.value) && self.requested.insert(p.value) {
            out.push(Output::ValidateBlock {
                height: p.height,
                round: p.round,
                value: p.value,
            });
        }
        Ok(out)
    }

    /// The proposals of `round` (more than one only from an equivocating proposer).
    pub(super) fn round_proposals(
        &self,
        round: Round,
    ) -> impl Iterator<Item = &SignedProposal> + '_ {
        let top = BlockId(flux_core::Hash::from_bytes([0xff; 32]));
        self.proposals
            .range((round, BlockId::default())..=(round, top))
            .map(|(_, sp)| sp)
    }

    /// The proposals of `round` with their values' validity, if known.
    pub(super) fn proposals_of(&self, round: Round) -> Vec<(Proposal, Option<bool>)> {
        self.round_proposals(round)
            .map(|sp| {
                let p = sp.proposal;
                (p, self.validity.get(&p.value).copied())
            })
            .collect()
    }
}
