//! What goes in and out of the [`Machine`](super::Machine): the closed [`Input`] and
//! [`Output`] sets, the [`Step`]s of a round and its [`TimeoutKind`]s, the [`ResumePoint`] a
//! validator keeps across a crash, and the paper's `upon` conditions ([`Trigger`]) that
//! [`Machine::transition`](super::Machine::transition) matches on.

use crate::block::BlockId;
use crate::consensus::certificate::CommitCertificate;
use crate::consensus::committee::Committee;
use crate::consensus::types::{Evidence, Height, Round, SignedProposal, SignedVote};

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
    /// signed a vote there ([`Machine::resume_point`](super::Machine::resume_point)): the
    /// machine starts round `resume.round + 1` with its lock and valid value restored, so it
    /// never signs a second, different vote for a (height, round, kind) it signed before, and
    /// honours its lock.
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

/// What triggers a transition: the paper's `upon` conditions (derived from the stores after
/// each input), the start of a round, a built block and the timeouts. Fed to
/// [`Machine::transition`](super::Machine::transition).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
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
pub(super) enum Once {
    L34,
    L36,
    L47,
}
