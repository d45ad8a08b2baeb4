//! What the machine does on its own: start a round (L11–L21), and sign, count and broadcast its
//! own proposals and votes (nothing when it has no key).

use super::{Machine, Output, Step, TimeoutKind};
use crate::block::BlockId;
use crate::consensus::types::{Proposal, Round, Vote, VoteKind};
use crate::consensus::votes::AddOutcome;

impl Machine {
    /// Signs, counts and broadcasts this validator's vote (nothing if it can not vote).
    pub(super) fn vote(&mut self, kind: VoteKind, value: Option<BlockId>) -> Vec<Output> {
        let (Some(key), Some(validator)) = (self.key.as_ref(), self.id) else {
            return Vec::new();
        };
        let vote = Vote {
            height: self.height,
            round: self.round,
            kind,
            value,
            validator,
        };
        let Ok(signed) = vote.sign(key, self.chain_id) else {
            return Vec::new();
        };
        let Some(keeper) = self.votes.as_mut() else {
            return Vec::new();
        };
        match keeper.add_own(signed) {
            Ok(AddOutcome::Added) => vec![Output::BroadcastVote(signed)],
            _ => Vec::new(),
        }
    }

    /// Signs, stores and broadcasts this validator's proposal (L19).
    pub(super) fn propose(&mut self, value: BlockId, pol_round: Option<Round>) -> Vec<Output> {
        let (Some(key), Some(proposer)) = (self.key.as_ref(), self.id) else {
            return Vec::new();
        };
        let proposal = Proposal {
            height: self.height,
            round: self.round,
            value,
            pol_round,
            proposer,
        };
        let Ok(signed) = proposal.sign(key, self.chain_id) else {
            return Vec::new();
        };
        self.proposals.entry((self.round, value)).or_insert(signed);
        vec![Output::BroadcastProposal(signed)]
    }

    /// `StartRound(round)` (L11–L21).
    pub(super) fn start_round(&mut self, round: Round) -> Vec<Output> {
        // L12–L13.
        self.round = round;
        self.step = Step::Propose;
        if let Some(keeper) = self.votes.as_mut() {
            keeper.advance(round);
        }
        let mut out = Vec::new();
        // L14.
        if self.id.is_some() && self.proposer(round) == self.id {
            match self.valid {
                // L15–L16, L19.
                Some((vr, v)) => out.extend(self.propose(v, Some(vr))),
                // L18: getValue() is the host's.
                None => out.push(Output::RequestBlock {
                    height: self.height,
                    round,
                }),
            }
        }
        // L21 (for the proposer too, see the module docs).
        out.push(self.timeout(TimeoutKind::Propose));
        out
    }
}
