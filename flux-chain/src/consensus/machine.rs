//! The Tendermint state machine (Algorithm 1 of "The latest gossip on BFT consensus", Buchman,
//! Kwon, Milosevic 2018), pure: [`Machine::apply`] takes one [`Input`] and returns the
//! [`Output`]s the host must perform.
//!
//! Structure (after Malachite): `apply` first *records* the input (a proposal, a vote, a
//! validity answer) in the per-height stores, checking signatures and membership; then it
//! derives, one at a time, the paper's `upon` conditions that have become true ([`Trigger`]) and
//! feeds each to [`Machine::transition`], a single `match` over `(step, trigger)` whose arms cite
//! the paper's lines. A rule that must fire "for the first time" only is remembered per round.
//!
//! Files: this one holds the state, [`Machine::apply`] and [`Machine::transition`]; `io` the
//! input, output and trigger enums; `proposals` the recording of proposals; `upon` the derivation
//! of the next enabled condition; `actions` starting a round and signing this validator's own
//! proposals and votes.
//!
//! Signing: the machine holds this validator's [`SecretKey`] (if it has one; without a key, or
//! when not in the committee, it only follows and decides) and returns votes and proposals
//! already signed. Its own votes are counted directly: the host does not need to loop its own
//! broadcasts back (doing so is harmless, they are duplicates).
//!
//! Deviations from the paper, all local to the host interface:
//! - `getValue()` (L18) is asynchronous: the machine outputs [`Output::RequestBlock`] and waits
//!   for [`Input::ProposeValue`]. `valid(v)` likewise: [`Output::ValidateBlock`], then
//!   [`Input::BlockValidity`]. Rules that need `valid(v)` wait for the answer.
//! - The proposer also schedules the propose timeout (L21), so a host that never builds a block
//!   can not stall the round; when the proposal is made the timeout is a no-op.
//! - L52–L54 (next height) are the host's: after [`Output::Decide`] the machine is in
//!   [`Step::Commit`] and waits for [`Input::NewHeight`] with the next height's committee.
//!
//! Weights: every threshold is the committee's ([`Committee::is_quorum`]: strictly more than
//! `commit_threshold` of the total weight; [`Committee::is_one_honest`] for `f + 1`).

use std::collections::{BTreeMap, BTreeSet};

use flux_core::crypto::SecretKey;
use flux_core::params::ConsensusParams;
use flux_core::{ChainId, ChainParams};
use flux_nodes::NodeId;

use super::certificate::CommitCertificate;
use super::committee::Committee;
use super::error::ConsensusError;
use super::types::{Height, Round, SignedProposal, VoteKind};
use super::votes::{AddOutcome, VoteKeeper};
use crate::block::BlockId;

mod actions;
mod io;
mod proposals;
mod upon;

use io::Once;
pub use io::{Input, Output, ResumePoint, Step, TimeoutKind, Trigger};

/// One validator's consensus state. See the module docs.
#[derive(Clone, Debug)]
pub struct Machine {
    params: ConsensusParams,
    chain_id: ChainId,
    key: Option<SecretKey>,
    id: Option<NodeId>,
    height: Height,
    round: Round,
    step: Step,
    locked: Option<(Round, BlockId)>,
    valid: Option<(Round, BlockId)>,
    decided: Option<BlockId>,
    votes: Option<VoteKeeper>,
    proposals: BTreeMap<(Round, BlockId), SignedProposal>,
    validity: BTreeMap<BlockId, bool>,
    requested: BTreeSet<BlockId>,
    fired: BTreeSet<(Round, Once)>,
}

/// Most triggers one input may fire (a guard against a logic error looping; each trigger
/// changes the state so that it is not enabled again, so real runs stay far below).
const MAX_TRIGGERS_PER_INPUT: usize = 1_024;

/// Most distinct proposals kept per round. Only an equivocating proposer signs more than one;
/// keeping two lets a validator that first received the "wrong" one still follow a quorum for
/// the other (the paper's gossip delivers both); more would let it fill memory.
pub const MAX_PROPOSALS_PER_ROUND: usize = 2;

impl Machine {
    /// A machine for chain `params`, signing with `key` (`None`: a non-voting follower).
    /// It does nothing until [`Input::NewHeight`].
    pub fn new(params: &ChainParams, key: Option<SecretKey>) -> Machine {
        let id = key.as_ref().map(|k| NodeId::of(&k.public_key()));
        Machine {
            params: params.consensus.clone(),
            chain_id: params.chain_id,
            key,
            id,
            height: 0,
            round: 0,
            step: Step::Propose,
            locked: None,
            valid: None,
            decided: None,
            votes: None,
            proposals: BTreeMap::new(),
            validity: BTreeMap::new(),
            requested: BTreeSet::new(),
            fired: BTreeSet::new(),
        }
    }

    /// This validator's id, if it has a key.
    pub fn id(&self) -> Option<NodeId> {
        self.id
    }

    /// The height being decided (0 before the first `NewHeight`).
    pub fn height(&self) -> Height {
        self.height
    }

    /// The current round.
    pub fn round(&self) -> Round {
        self.round
    }

    /// The current step.
    pub fn step(&self) -> Step {
        self.step
    }

    /// `(lockedRound, lockedValue)`, if locked.
    pub fn locked(&self) -> Option<(Round, BlockId)> {
        self.locked
    }

    /// `(validRound, validValue)`, if any.
    pub fn valid(&self) -> Option<(Round, BlockId)> {
        self.valid
    }

    /// The value decided at the current height, if any.
    pub fn decided(&self) -> Option<BlockId> {
        self.decided
    }

    /// The current height's votes.
    pub fn votes(&self) -> Option<&VoteKeeper> {
        self.votes.as_ref()
    }

    fn keeper(&self) -> Result<&VoteKeeper, ConsensusError> {
        self.votes.as_ref().ok_or(ConsensusError::NotStarted)
    }

    fn check_height(&self, height: Height) -> Result<(), ConsensusError> {
        self.keeper()?;
        if height == self.height {
            Ok(())
        } else {
            Err(ConsensusError::WrongHeight {
                expected: self.height,
                found: height,
            })
        }
    }

    /// The proposer of `round` at the current height (`O(1)` once the committee's rotation is
    /// built, see [`Committee::proposer_at`]).
    fn proposer(&self, round: Round) -> Option<NodeId> {
        let committee = self.votes.as_ref()?.committee();
        Some(committee.proposer(self.height, round, self.params.epoch_length))
    }

    fn timeout(&self, kind: TimeoutKind) -> Output {
        let base = match kind {
            TimeoutKind::Propose => self.params.timeout_propose_ms,
            TimeoutKind::Prevote => self.params.timeout_prevote_ms,
            TimeoutKind::Precommit => self.params.timeout_precommit_ms,
        };
        Output::ScheduleTimeout {
            kind,
            height: self.height,
            round: self.round,
            duration_ms: base.saturating_add(
                self.params
                    .timeout_delta_ms
                    .saturating_mul(u64::from(self.round)),
            ),
        }
    }

    /// Processes one input. `Err` means the input was rejected and changed nothing (e.g. a
    /// message of another height, which a host buffers if it is for a later one).
    pub fn apply(&mut self, input: Input) -> Result<Vec<Output>, ConsensusError> {
        let mut out = Vec::new();
        match input {
            Input::NewHeight { height, committee } => {
                if self.votes.is_some() && height <= self.height {
                    return Err(ConsensusError::WrongHeight {
                        expected: self.height.saturating_add(1),
                        found: height,
                    });
                }
                self.reset(height, committee);
                // L10: upon start do StartRound(0).
                out.extend(self.transition(Trigger::StartRound(0)));
            }
            Input::Resume { resume, committee } => {
                if self.votes.is_some() && resume.height < self.height {
                    return Err(ConsensusError::WrongHeight {
                        expected: self.height,
                        found: resume.height,
                    });
                }
                self.reset(resume.height, committee);
                self.locked = resume.locked;
                self.valid = resume.valid;
                out.extend(self.transition(Trigger::StartRound(resume.round.saturating_add(1))));
            }
            Input::Proposal(sp) => out.extend(self.record_proposal(sp)?),
            Input::Vote(sv) => {
                self.check_height(sv.vote.height)?;
                let outcome = self
                    .votes
                    .as_mut()
                    .ok_or(ConsensusError::NotStarted)?
                    .add(sv)?;
                if let AddOutcome::Equivocation(e) = outcome {
                    out.push(Output::Evidence(*e));
                }
            }
            Input::Votes(votes) => {
                let keeper = self.votes.as_mut().ok_or(ConsensusError::NotStarted)?;
                for outcome in keeper.add_batch(&votes) {
                    if let Ok(AddOutcome::Equivocation(e)) = outcome {
                        out.push(Output::Evidence(*e));
                    }
                }
            }
            Input::TimeoutPropose { height, round } => {
                if self.is_current(height, round) {
                    out.extend(self.transition(Trigger::TimeoutPropose));
                }
            }
            Input::TimeoutPrevote { height, round } => {
                if self.is_current(height, round) {
                    out.extend(self.transition(Trigger::TimeoutPrevote));
                }
            }
            Input::TimeoutPrecommit { height, round } => {
                if self.is_current(height, round) {
                    out.extend(self.transition(Trigger::TimeoutPrecommit));
                }
            }
            Input::BlockValidity { value, valid } => {
                self.keeper()?;
                self.validity.insert(value, valid);
            }
            Input::ProposeValue {
                height,
                round,
                value,
            } => {
                let mine = self.id.is_some() && self.proposer(round) == self.id;
                if self.is_current(height, round)
                    && mine
                    && self.valid.is_none()
                    && self.round_proposals(round).next().is_none()
                {
                    out.extend(self.transition(Trigger::ProposeValue(value)));
                }
            }
        }
        for _ in 0..MAX_TRIGGERS_PER_INPUT {
            let Some(trigger) = self.next_trigger() else {
                break;
            };
            out.extend(self.transition(trigger));
        }
        Ok(out)
    }

    /// Forgets the previous height and starts `height` with `committee` (before StartRound).
    fn reset(&mut self, height: Height, committee: Committee) {
        self.height = height;
        self.round = 0;
        self.step = Step::Propose;
        self.locked = None;
        self.valid = None;
        self.decided = None;
        self.votes = Some(VoteKeeper::new(height, committee, self.chain_id));
        self.proposals.clear();
        self.validity.clear();
        self.requested.clear();
        self.fired.clear();
    }

    /// What to persist before broadcasting a vote this machine signed at the current height
    /// and round, so that [`Input::Resume`] can rejoin safely after a crash.
    pub fn resume_point(&self) -> ResumePoint {
        ResumePoint {
            height: self.height,
            round: self.round,
            locked: self.locked,
            valid: self.valid,
        }
    }

    fn is_current(&self, height: Height, round: Round) -> bool {
        self.votes.is_some() && height == self.height && round == self.round
    }

    /// The state machine proper: one `match` over `(step, trigger)`; every arm cites the lines
    /// of Algorithm 1 it implements. Triggers not enabled in the current step do nothing.
    pub fn transition(&mut self, trigger: Trigger) -> Vec<Output> {
        use Step::{Commit, Precommit, Prevote, Propose};
        let r = self.round;
        match (self.step, trigger) {
            // L11–L21: StartRound (from NewHeight, L10/L54).
            (_, Trigger::StartRound(round)) => self.start_round(round),
            // L18–L19: the host built our block; it is valid by construction.
            (Propose, Trigger::ProposeValue(value)) => {
                self.validity.insert(value, true);
                self.propose(value, None)
            }
            // L22–L27: proposal without a proof of lock.
            (Propose, Trigger::Proposal { value, valid }) => {
                let free = self.locked.is_none_or(|(_, lv)| lv == value); // L23
                let prevote = (valid && free).then_some(value);
                self.step = Prevote; // L27
                self.vote(VoteKind::Prevote, prevote) // L24 / L26
            }
            // L28–L33: proposal re-proposing a value with a polka in round vr < round.
            (
                Propose,
                Trigger::ProposalAndPolkaPrevious {
                    value,
                    valid,
                    pol_round,
                },
            ) => {
                let free = self
                    .locked
                    .is_none_or(|(lr, lv)| lr <= pol_round || lv == value); // L29
                let prevote = (valid && free).then_some(value);
                self.step = Prevote; // L33
                self.vote(VoteKind::Prevote, prevote) // L30 / L32
            }
            // L34–L35: +2/3 prevotes for anything, first time: prevote timeout.
            (Prevote, Trigger::PolkaAny) => {
                self.fired.insert((r, Once::L34));
                vec![self.timeout(TimeoutKind::Prevote)]
            }
            // L36–L43: proposal and a polka for it in this round, first time.
            (Prevote | Precommit, Trigger::ProposalAndPolkaCurrent(value)) => {
                self.fired.insert((r, Once::L36));
                let mut out = Vec::new();
                if self.step == Prevote {
                    // L37–L41.
                    self.locked = Some((r, value));
                    out.extend(self.vote(VoteKind::Precommit, Some(value)));
                    self.step = Precommit;
                }
                // L42–L43.
                self.valid = Some((r, value));
                out
            }
            // L44–L46: polka for nil.
            (Prevote, Trigger::PolkaNil) => {
                self.step = Precommit;
                self.vote(VoteKind::Precommit, None)
            }
            // L47–L48: +2/3 precommits for anything, first time: precommit timeout.
            (Propose | Prevote | Precommit, Trigger::PrecommitAny) => {
                self.fired.insert((r, Once::L47));
                vec![self.timeout(TimeoutKind::Precommit)]
            }
            // L49–L54: proposal and +2/3 precommits for it in some round: decide.
            (
                Propose | Prevote | Precommit,
                Trigger::ProposalAndPrecommitValue { round, value },
            ) => {
                let precommits = self
                    .votes
                    .as_ref()
                    .map(|k| k.signatures_for(round, VoteKind::Precommit, Some(value)))
                    .unwrap_or_default();
                self.decided = Some(value); // L51
                self.step = Commit; // L52–L54 are the host's (NewHeight).
                vec![Output::Decide {
                    height: self.height,
                    value,
                    commit: CommitCertificate {
                        height: self.height,
                        round,
                        value,
                        precommits,
                    },
                }]
            }
            // L55–L56: f + 1 weight already in a higher round: join it.
            (Propose | Prevote | Precommit, Trigger::SkipRound(round)) if round > r => {
                self.start_round(round)
            }
            // L57–L60: no proposal in time: prevote nil.
            (Propose, Trigger::TimeoutPropose) => {
                self.step = Prevote;
                self.vote(VoteKind::Prevote, None)
            }
            // L61–L64: no polka for one value in time: precommit nil.
            (Prevote, Trigger::TimeoutPrevote) => {
                self.step = Precommit;
                self.vote(VoteKind::Precommit, None)
            }
            // L65–L67: no decision in time: next round.
            (Propose | Prevote | Precommit, Trigger::TimeoutPrecommit) => {
                self.start_round(r.saturating_add(1))
            }
            // Anything else is not enabled in this step (or the height is decided).
            (_, _) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
