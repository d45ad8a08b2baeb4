//! xDAO governance on chain: proposals, node-weighted votes, tallies, and what passes.
//!
//! A proposal (deposit 500 FLUX on mainnet) names a title, the hash of its text and one
//! [`Action`]: change a governable parameter within the bounds fixed in code, grant from the
//! development fund, or signal an upgrade at a height. When it is made, the chain snapshots the
//! confirmed nodes and their vote weights (1 per 1,000 FLUX of collateral, in units of 100 FLUX),
//! so weight cannot be moved around during the vote. Each snapshotted node that is still
//! confirmed votes once, by its owner, yes, no or abstain; votes are final. At the end of the
//! voting period the chain tallies: turnout (all cast weight) must be strictly above the
//! minimum share of the snapshot's weight, and yes must outweigh no. A passing action executes
//! in that block and takes effect from the next; the deposit returns to the proposer if turnout
//! was reached and goes to the development fund otherwise.

use flux_core::params::GovernableParam;
use flux_core::{Address, Amount, Hash, codec};
use flux_nodes::node::NodeId;
use imbl::OrdMap;
use serde::{Deserialize, Serialize};

use crate::error::TxError;

/// Longest proposal title, bytes.
pub const MAX_TITLE_LEN: usize = 128;

/// A proposal title's rule: 1 to [`MAX_TITLE_LEN`] bytes ([`TxError::BadTitle`] otherwise).
///
/// ```
/// use flux_chain::gov::check_title;
/// assert!(check_title("raise the cpu price").is_ok());
/// assert!(check_title("").is_err());
/// assert!(check_title(&"x".repeat(129)).is_err());
/// ```
pub fn check_title(title: &str) -> Result<(), TxError> {
    let (len, max) = (title.len(), MAX_TITLE_LEN);
    if (1..=max).contains(&len) {
        return Ok(());
    }
    Err(TxError::BadTitle { len, max })
}

/// What a proposal does if it passes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Set a governable parameter.
    ParamChange {
        /// The parameter.
        param: GovernableParam,
        /// Its new value (within the bounds fixed in code).
        value: u64,
    },
    /// Pay from the development fund.
    Grant {
        /// The recipient.
        to: Address,
        /// How much.
        amount: Amount,
    },
    /// Signal an upgrade (recorded; nodes act on it at `height`).
    Upgrade {
        /// The upgrade's name.
        name: String,
        /// The height it is for.
        height: u64,
    },
}

/// A vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Choice {
    /// For.
    Yes,
    /// Against.
    No,
    /// Counted for turnout only.
    Abstain,
}

/// Where a proposal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProposalStatus {
    /// Open for votes.
    Voting,
    /// Passed and executed.
    Passed,
    /// Turnout reached, but no did not lose to yes.
    Rejected,
    /// Turnout not reached.
    NoQuorum,
    /// Passed, but the action could not execute (e.g. a grant above the fund's balance).
    Failed,
}

/// A proposal and its running tally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Its number.
    pub id: u64,
    /// Who made it (and gets the deposit back if turnout is reached).
    pub proposer: Address,
    /// Title.
    pub title: String,
    /// Hash of the full text (published elsewhere).
    pub text_hash: Hash,
    /// What it does.
    pub action: Action,
    /// Deposit held.
    pub deposit: Amount,
    /// Height it was made (the weight snapshot's height).
    pub start: u64,
    /// Height at which it is tallied.
    pub end: u64,
    /// Hash of the weight snapshot (committed to by the state root).
    pub snapshot_root: Hash,
    /// Total weight in the snapshot.
    pub total_weight: u64,
    /// Weight voting yes.
    pub yes: u64,
    /// Weight voting no.
    pub no: u64,
    /// Weight abstaining.
    pub abstain: u64,
    /// Status.
    pub status: ProposalStatus,
}

/// The weights a proposal counts: node → (owner at the snapshot, weight).
pub type Snapshot = OrdMap<NodeId, (Address, u64)>;

/// The hash of a snapshot, in node order.
pub fn snapshot_root(snapshot: &Snapshot) -> Result<Hash, flux_core::error::CodecError> {
    let rows: Vec<(NodeId, Address, u64)> =
        snapshot.iter().map(|(n, (o, w))| (*n, *o, *w)).collect();
    Ok(Hash::tagged("flux/gov/snapshot/v1", &codec::encode(&rows)?))
}

/// Whether a proposal with `status` that ends at `end` still takes votes in a block at
/// `height` (votes count up to and including the block at `end`).
///
/// ```
/// use flux_chain::gov::{ProposalStatus, voting_open};
///
/// assert!(voting_open(ProposalStatus::Voting, 10, 10));
/// assert!(!voting_open(ProposalStatus::Voting, 10, 11));
/// assert!(!voting_open(ProposalStatus::Passed, 10, 5));
/// ```
pub fn voting_open(status: ProposalStatus, end: u64, height: u64) -> bool {
    status == ProposalStatus::Voting && height <= end
}

/// What the chain knows of one node when it judges a vote for it on an open proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteStanding {
    /// The node's (owner, weight) in the proposal's snapshot; `None` if it is not in it.
    pub entry: Option<(Address, u64)>,
    /// Whether the node is confirmed now.
    pub confirmed: bool,
    /// Whether the node has already voted on the proposal.
    pub voted: bool,
}

impl VoteStanding {
    /// The rule for a vote by `sender` for `node` on the (open, see [`voting_open`]) proposal
    /// `proposal`: the node is in the snapshot, `sender` was its owner there, it is still
    /// confirmed and has not voted (votes are final). Returns the weight the vote adds, or
    /// the first rule it breaks, in that order.
    ///
    /// ```
    /// use flux_chain::error::TxError;
    /// use flux_chain::gov::VoteStanding;
    /// use flux_core::Address;
    /// use flux_nodes::node::NodeId;
    ///
    /// let (owner, node) = (Address::from_bytes([1; 20]), NodeId::default());
    /// let standing = VoteStanding { entry: Some((owner, 3)), confirmed: true, voted: false };
    /// assert_eq!(standing.check(7, node, owner), Ok(3));
    /// let voted = VoteStanding { voted: true, ..standing };
    /// assert!(matches!(voted.check(7, node, owner), Err(TxError::AlreadyVoted { .. })));
    /// let other = Address::from_bytes([2; 20]);
    /// assert_eq!(standing.check(7, node, other), Err(TxError::NotNodeOwner(node)));
    /// ```
    pub fn check(&self, proposal: u64, node: NodeId, sender: Address) -> Result<u64, TxError> {
        let (owner, weight) = self
            .entry
            .ok_or(TxError::NotInSnapshot { proposal, node })?;
        if owner != sender {
            return Err(TxError::NotNodeOwner(node));
        }
        if !self.confirmed {
            return Err(TxError::NodeNotConfirmed(node));
        }
        if self.voted {
            return Err(TxError::AlreadyVoted { proposal, node });
        }
        Ok(weight)
    }
}

/// Everything governance keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Governance {
    /// Proposals by number.
    pub proposals: OrdMap<u64, Proposal>,
    /// Each open proposal's weight snapshot.
    pub snapshots: OrdMap<u64, Snapshot>,
    /// Votes cast.
    pub votes: OrdMap<(u64, NodeId), Choice>,
    /// Parameter changes: (parameter, height it was executed) → value. Each takes effect from
    /// the next height.
    pub param_changes: OrdMap<(GovernableParam, u64), u64>,
    /// Upgrades signalled: name → height.
    pub upgrades: OrdMap<String, u64>,
}

impl Governance {
    /// The number the next proposal gets.
    pub fn next_id(&self) -> u64 {
        self.proposals.keys().next_back().map_or(1, |id| id + 1)
    }

    /// Deposits held by open proposals (part of the supply).
    pub fn deposits(&self) -> Result<Amount, flux_core::error::AmountError> {
        Amount::checked_sum(
            self.proposals
                .values()
                .filter(|p| p.status == ProposalStatus::Voting)
                .map(|p| p.deposit),
        )
    }

    /// The value `param` held at `height`: the last change executed before `height`, else
    /// `initial`.
    pub fn param_at(&self, param: GovernableParam, height: u64, initial: u64) -> u64 {
        self.param_changes
            .range((param, 0)..(param, height))
            .next_back()
            .map_or(initial, |(_, v)| *v)
    }
}
