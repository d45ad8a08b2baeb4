//! The Tendermint state machine (Algorithm 1 of "The latest gossip on BFT consensus", Buchman,
//! Kwon, Milosevic 2018), pure: [`Machine::apply`] takes one [`Input`] and returns the
//! [`Output`]s the host must perform.
//!
//! Structure (after Malachite): `apply` first *records* the input (a proposal, a vote, a
//! validity answer) in the per-height stores, checking signatures and membership; then it
//! derives, one at a time, the paper's `upon` conditions that have become true ([`Event`]) and
//! feeds each to [`Machine::transition`], a single `match` over `(step, event)` whose arms cite
//! the paper's lines. A rule that must fire "for the first time" only is remembered per round.
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
use super::rounds::in_window;
use super::types::{Evidence, Height, Proposal, Round, SignedProposal, SignedVote, Vote, VoteKind};
use super::votes::{AddOutcome, VoteKeeper};
use crate::block::BlockId;

/// Where the machine is within a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Waiting for the round's proposal.
    Propose,
    /// Prevoted; waiting for +2/3 prevotes.
    Prevote,
    /// Precommitted; waiting for +2/3 precommits.
    Precommit,
    /// Decided this height; waiting for [`Input::NewHeight`].
    Commit,
}

/// The three timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimeoutKind {
    /// No proposal in time (L57).
    Propose,
    /// +2/3 prevotes but no +2/3 for one value in time (L61).
    Prevote,
    /// +2/3 precommits but no decision in time (L65).
    Precommit,
}

/// What the host tells the machine. A closed set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Start deciding `height` (above the current one) with `committee`, from round 0 (L10,
    /// and L52–L54 after a decision).
    NewHeight {
        /// The height to decide.
        height: Height,
        /// Its epoch's committee.
        committee: Committee,
    },
    /// Rejoin `height` after a restart, from what was persisted before this validator last
    /// signed a vote there ([`Machine::resume_point`]): the machine starts round
    /// `resume.round + 1` with its lock and valid value restored, so it never signs a second,
    /// different vote for a (height, round, kind) it signed before, and honours its lock.
    Resume {
        /// The persisted point (its height is the height to decide).
        resume: ResumePoint,
        /// The height's committee.
        committee: Committee,
    },
    /// A signed proposal received from the network (its value is the block id; the host
    /// holds the block).
    Proposal(SignedProposal),
    /// A signed vote received from the network.
    Vote(SignedVote),
    /// Many signed votes, verified in one batch. Votes that fail a check are skipped.
    Votes(Vec<SignedVote>),
    /// The propose timeout of `(height, round)` expired (L57).
    TimeoutPropose {
        /// Its height.
        height: Height,
        /// Its round.
        round: Round,
    },
    /// The prevote timeout of `(height, round)` expired (L61).
    TimeoutPrevote {
        /// Its height.
        height: Height,
        /// Its round.
        round: Round,
    },
    /// The precommit timeout of `(height, round)` expired (L65).
    TimeoutPrecommit {
        /// Its height.
        height: Height,
        /// Its round.
        round: Round,
    },
    /// The host's answer to [`Output::ValidateBlock`]: whether the block `value` is valid
    /// (`valid(v)` of the paper: it applies by the state transition on top of its parent).
    BlockValidity {
        /// The block.
        value: BlockId,
        /// Whether it is valid.
        valid: bool,
    },
    /// The host's answer to [`Output::RequestBlock`]: it built block `value` for
    /// `(height, round)` (`getValue()`, L18).
    ProposeValue {
        /// The height asked for.
        height: Height,
        /// The round asked for.
        round: Round,
        /// The block built.
        value: BlockId,
    },
}

impl Input {
    /// The input a timer of `kind` set for `(height, round)` feeds back when it fires (what a
    /// host does with [`Output::ScheduleTimeout`]).
    ///
    /// ```
    /// use flux_chain::consensus::{Input, TimeoutKind};
    ///
    /// assert_eq!(
    ///     Input::timeout(TimeoutKind::Prevote, 7, 2),
    ///     Input::TimeoutPrevote { height: 7, round: 2 }
    /// );
    /// ```
    pub fn timeout(kind: TimeoutKind, height: Height, round: Round) -> Input {
        match kind {
            TimeoutKind::Propose => Input::TimeoutPropose { height, round },
            TimeoutKind::Prevote => Input::TimeoutPrevote { height, round },
            TimeoutKind::Precommit => Input::TimeoutPrecommit { height, round },
        }
    }
}

/// What the machine asks the host to do. A closed set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Gossip this (signed) proposal, with its block, to the committee.
    BroadcastProposal(SignedProposal),
    /// Gossip this (signed) vote to the committee.
    BroadcastVote(SignedVote),
    /// Deliver the matching timeout input after `duration_ms`.
    ScheduleTimeout {
        /// Which timeout.
        kind: TimeoutKind,
        /// Its height.
        height: Height,
        /// Its round.
        round: Round,
        /// `timeout_<kind>_ms + round × timeout_delta_ms`.
        duration_ms: u64,
    },
    /// Build a block for `(height, round)` and answer with [`Input::ProposeValue`].
    RequestBlock {
        /// The height.
        height: Height,
        /// The round.
        round: Round,
    },
    /// Check block `value` (proposed at `(height, round)`) and answer with
    /// [`Input::BlockValidity`].
    ValidateBlock {
        /// The height.
        height: Height,
        /// The round it was proposed in.
        round: Round,
        /// The block.
        value: BlockId,
    },
    /// `value` is final at `height`; `commit` proves it.
    Decide {
        /// The height.
        height: Height,
        /// The block.
        value: BlockId,
        /// The precommits that committed it.
        commit: CommitCertificate,
    },
    /// A validator equivocated (two votes, or as proposer two proposals, for one slot); the
    /// host submits the evidence on chain.
    Evidence(Evidence),
}

/// What a validator persists before it signs a vote, to resume safely after a crash (see
/// [`Input::Resume`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResumePoint {
    /// The height voted at.
    pub height: Height,
    /// The highest round voted in.
    pub round: Round,
    /// `(lockedRound, lockedValue)`.
    pub locked: Option<(Round, BlockId)>,
    /// `(validRound, validValue)`.
    pub valid: Option<(Round, BlockId)>,
}

/// The paper's `upon` conditions, derived from the stores after each input, and the start of a
/// round. Fed to [`Machine::transition`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `StartRound(round)` (L11).
    StartRound(Round),
    /// `getValue()` returned `value` (L18).
    ProposeValue(BlockId),
    /// `⟨PROPOSAL, h, round, v, −1⟩` from the proposer, `valid(v)` known (L22).
    Proposal {
        /// `id(v)`.
        value: BlockId,
        /// `valid(v)`.
        valid: bool,
    },
    /// `⟨PROPOSAL, h, round, v, vr⟩` with `vr < round` and `2f + 1 ⟨PREVOTE, h, vr, id(v)⟩`
    /// (L28).
    ProposalAndPolkaPrevious {
        /// `id(v)`.
        value: BlockId,
        /// `valid(v)`.
        valid: bool,
        /// `vr`.
        pol_round: Round,
    },
    /// `2f + 1 ⟨PREVOTE, h, round, ∗⟩` (L34).
    PolkaAny,
    /// `⟨PROPOSAL, h, round, v, ∗⟩`, `valid(v)` and `2f + 1 ⟨PREVOTE, h, round, id(v)⟩` (L36).
    ProposalAndPolkaCurrent(BlockId),
    /// `2f + 1 ⟨PREVOTE, h, round, nil⟩` (L44).
    PolkaNil,
    /// `2f + 1 ⟨PRECOMMIT, h, round, ∗⟩` (L47).
    PrecommitAny,
    /// `⟨PROPOSAL, h, r, v, ∗⟩`, `valid(v)` and `2f + 1 ⟨PRECOMMIT, h, r, id(v)⟩` (L49).
    ProposalAndPrecommitValue {
        /// `r`.
        round: Round,
        /// `id(v)`.
        value: BlockId,
    },
    /// `f + 1 ⟨∗, h, round, ∗, ∗⟩` with `round > round_p` (L55).
    SkipRound(Round),
    /// `OnTimeoutPropose(h, round_p)` (L57).
    TimeoutPropose,
    /// `OnTimeoutPrevote(h, round_p)` (L61).
    TimeoutPrevote,
    /// `OnTimeoutPrecommit(h, round_p)` (L65).
    TimeoutPrecommit,
}

/// Rules that fire once per round ("for the first time").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Once {
    L34,
    L36,
    L47,
}

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

/// Most events one input may trigger (a guard against a logic error looping; each event
/// changes the state so that it is not enabled again, so real runs stay far below).
const MAX_EVENTS_PER_INPUT: usize = 1_024;

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
                out.extend(self.transition(Event::StartRound(0)));
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
                out.extend(self.transition(Event::StartRound(resume.round.saturating_add(1))));
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
                    out.extend(self.transition(Event::TimeoutPropose));
                }
            }
            Input::TimeoutPrevote { height, round } => {
                if self.is_current(height, round) {
                    out.extend(self.transition(Event::TimeoutPrevote));
                }
            }
            Input::TimeoutPrecommit { height, round } => {
                if self.is_current(height, round) {
                    out.extend(self.transition(Event::TimeoutPrecommit));
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
                    out.extend(self.transition(Event::ProposeValue(value)));
                }
            }
        }
        for _ in 0..MAX_EVENTS_PER_INPUT {
            let Some(event) = self.next_event() else {
                break;
            };
            out.extend(self.transition(event));
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

    fn record_proposal(&mut self, sp: SignedProposal) -> Result<Vec<Output>, ConsensusError> {
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
    fn round_proposals(&self, round: Round) -> impl Iterator<Item = &SignedProposal> + '_ {
        let top = BlockId(flux_core::Hash::from_bytes([0xff; 32]));
        self.proposals
            .range((round, BlockId::default())..=(round, top))
            .map(|(_, sp)| sp)
    }

    /// The proposals of `round` with their values' validity, if known.
    fn proposals_of(&self, round: Round) -> Vec<(Proposal, Option<bool>)> {
        self.round_proposals(round)
            .map(|sp| {
                let p = sp.proposal;
                (p, self.validity.get(&p.value).copied())
            })
            .collect()
    }

    /// The first enabled `upon` condition, in priority order (decision first).
    fn next_event(&self) -> Option<Event> {
        let keeper = self.votes.as_ref()?;
        if self.step == Step::Commit {
            return None;
        }
        let r = self.round;
        // L49 (any round r).
        for ((round, _), sp) in &self.proposals {
            let v = sp.proposal.value;
            if self.validity.get(&v) == Some(&true)
                && keeper.has_quorum_for(*round, VoteKind::Precommit, Some(v))
            {
                return Some(Event::ProposalAndPrecommitValue {
                    round: *round,
                    value: v,
                });
            }
        }
        // L55.
        if let Some(round) = keeper.skip_round(r) {
            return Some(Event::SkipRound(round));
        }
        let current = self.proposals_of(r);
        if self.step == Step::Propose {
            for (p, valid) in &current {
                let Some(valid) = *valid else { continue };
                match p.pol_round {
                    // L22.
                    None => {
                        return Some(Event::Proposal {
                            value: p.value,
                            valid,
                        });
                    }
                    // L28.
                    Some(vr)
                        if vr < r
                            && keeper.has_quorum_for(vr, VoteKind::Prevote, Some(p.value)) =>
                    {
                        return Some(Event::ProposalAndPolkaPrevious {
                            value: p.value,
                            valid,
                            pol_round: vr,
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        // L34.
        if self.step == Step::Prevote
            && !self.fired.contains(&(r, Once::L34))
            && keeper.has_quorum_any(r, VoteKind::Prevote)
        {
            return Some(Event::PolkaAny);
        }
        // L36.
        if matches!(self.step, Step::Prevote | Step::Precommit)
            && !self.fired.contains(&(r, Once::L36))
            && let Some((p, _)) = current.iter().find(|(p, valid)| {
                *valid == Some(true) && keeper.has_quorum_for(r, VoteKind::Prevote, Some(p.value))
            })
        {
            return Some(Event::ProposalAndPolkaCurrent(p.value));
        }
        // L44.
        if self.step == Step::Prevote && keeper.has_quorum_for(r, VoteKind::Prevote, None) {
            return Some(Event::PolkaNil);
        }
        // L47.
        if !self.fired.contains(&(r, Once::L47)) && keeper.has_quorum_any(r, VoteKind::Precommit) {
            return Some(Event::PrecommitAny);
        }
        None
    }

    /// Signs, counts and broadcasts this validator's vote (nothing if it can not vote).
    fn vote(&mut self, kind: VoteKind, value: Option<BlockId>) -> Vec<Output> {
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
    fn propose(&mut self, value: BlockId, pol_round: Option<Round>) -> Vec<Output> {
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
    fn start_round(&mut self, round: Round) -> Vec<Output> {
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

    /// The state machine proper: one `match` over `(step, event)`; every arm cites the lines
    /// of Algorithm 1 it implements. Events not enabled in the current step do nothing.
    pub fn transition(&mut self, event: Event) -> Vec<Output> {
        use Step::{Commit, Precommit, Prevote, Propose};
        let r = self.round;
        match (self.step, event) {
            // L11–L21: StartRound (from NewHeight, L10/L54).
            (_, Event::StartRound(round)) => self.start_round(round),
            // L18–L19: the host built our block; it is valid by construction.
            (Propose, Event::ProposeValue(value)) => {
                self.validity.insert(value, true);
                self.propose(value, None)
            }
            // L22–L27: proposal without a proof of lock.
            (Propose, Event::Proposal { value, valid }) => {
                let free = self.locked.is_none_or(|(_, lv)| lv == value); // L23
                let prevote = (valid && free).then_some(value);
                self.step = Prevote; // L27
                self.vote(VoteKind::Prevote, prevote) // L24 / L26
            }
            // L28–L33: proposal re-proposing a value with a polka in round vr < round.
            (
                Propose,
                Event::ProposalAndPolkaPrevious {
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
            (Prevote, Event::PolkaAny) => {
                self.fired.insert((r, Once::L34));
                vec![self.timeout(TimeoutKind::Prevote)]
            }
            // L36–L43: proposal and a polka for it in this round, first time.
            (Prevote | Precommit, Event::ProposalAndPolkaCurrent(value)) => {
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
            (Prevote, Event::PolkaNil) => {
                self.step = Precommit;
                self.vote(VoteKind::Precommit, None)
            }
            // L47–L48: +2/3 precommits for anything, first time: precommit timeout.
            (Propose | Prevote | Precommit, Event::PrecommitAny) => {
                self.fired.insert((r, Once::L47));
                vec![self.timeout(TimeoutKind::Precommit)]
            }
            // L49–L54: proposal and +2/3 precommits for it in some round: decide.
            (Propose | Prevote | Precommit, Event::ProposalAndPrecommitValue { round, value }) => {
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
            (Propose | Prevote | Precommit, Event::SkipRound(round)) if round > r => {
                self.start_round(round)
            }
            // L57–L60: no proposal in time: prevote nil.
            (Propose, Event::TimeoutPropose) => {
                self.step = Prevote;
                self.vote(VoteKind::Prevote, None)
            }
            // L61–L64: no polka for one value in time: precommit nil.
            (Prevote, Event::TimeoutPrevote) => {
                self.step = Precommit;
                self.vote(VoteKind::Precommit, None)
            }
            // L65–L67: no decision in time: next round.
            (Propose | Prevote | Precommit, Event::TimeoutPrecommit) => {
                self.start_round(r.saturating_add(1))
            }
            // Anything else is not enabled in this step (or the height is decided).
            (_, _) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
