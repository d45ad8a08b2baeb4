//! The rules of the governance transactions and the tally at the end of a voting period.

use flux_core::{Address, ChainParams};
use flux_nodes::lifecycle::NodeStatus;

use super::{Ctx, Event};
use crate::error::{BlockError, TxError};
use crate::gov::{
    Action, Choice, Proposal, ProposalStatus, Snapshot, VoteStanding, snapshot_root, voting_open,
};
use crate::state::dev_fund_address;
use crate::tx::{GovPropose, GovVote};

pub use crate::state::areas::GovChanges;

/// Longest upgrade name, bytes.
pub const MAX_UPGRADE_NAME: usize = 64;

/// Why a proposal's action is refused ([`check_action`]). In a block, each becomes the
/// transaction's [`TxError`] (`BadAction` with a fixed reason, or `Param`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// The parameter value is outside its bounds or leaves the parameters inconsistent.
    #[error(transparent)]
    Param(#[from] flux_core::error::ParamsError),
    /// A grant of nothing.
    #[error("a grant of zero")]
    ZeroGrant,
    /// An upgrade at or before the block that would carry the proposal.
    #[error("height {height} is not after the next block ({next})")]
    PastUpgrade {
        /// The upgrade's height.
        height: u64,
        /// The height of the block carrying the proposal.
        next: u64,
    },
    /// An upgrade name that is empty or longer than [`MAX_UPGRADE_NAME`] bytes.
    #[error("the name must have 1 to 64 bytes")]
    UpgradeName {
        /// The name's length, bytes.
        len: usize,
    },
}

impl From<ActionError> for TxError {
    fn from(e: ActionError) -> TxError {
        match e {
            ActionError::Param(e) => TxError::Param(e),
            ActionError::ZeroGrant => TxError::BadAction("a grant of zero"),
            ActionError::PastUpgrade { .. } => TxError::BadAction("an upgrade for a past height"),
            ActionError::UpgradeName { .. } => {
                TxError::BadAction("an upgrade name of 1 to 64 bytes")
            }
        }
    }
}

/// An upgrade's name: 1 to [`MAX_UPGRADE_NAME`] bytes.
///
/// ```
/// use flux_chain::transition::gov::check_upgrade_name;
/// assert!(check_upgrade_name("v2").is_ok());
/// assert!(check_upgrade_name("").is_err());
/// assert!(check_upgrade_name(&"x".repeat(65)).is_err());
/// ```
pub fn check_upgrade_name(name: &str) -> Result<(), ActionError> {
    if name.is_empty() || name.len() > MAX_UPGRADE_NAME {
        return Err(ActionError::UpgradeName { len: name.len() });
    }
    Ok(())
}

/// The chain's rule for a proposal's action in the block at `height`: a parameter change
/// within bounds and consistent with `params`, a grant of more than zero, an upgrade after
/// `height` with a name of 1 to [`MAX_UPGRADE_NAME`] bytes.
///
/// ```
/// use flux_chain::gov::Action;
/// use flux_chain::transition::gov::{ActionError, check_action};
/// use flux_core::ChainParams;
///
/// let params = ChainParams::devnet();
/// let upgrade = |height| Action::Upgrade { name: "v2".into(), height };
/// assert!(check_action(&upgrade(11), 10, &params).is_ok());
/// assert_eq!(
///     check_action(&upgrade(10), 10, &params),
///     Err(ActionError::PastUpgrade { height: 10, next: 10 })
/// );
/// ```
pub fn check_action(action: &Action, height: u64, params: &ChainParams) -> Result<(), ActionError> {
    match action {
        Action::ParamChange { param, value } => Ok(param.check(params, *value)?),
        Action::Grant { amount, .. } if amount.is_zero() => Err(ActionError::ZeroGrant),
        Action::Upgrade { height: at, .. } if *at <= height => Err(ActionError::PastUpgrade {
            height: *at,
            next: height,
        }),
        Action::Upgrade { name, .. } => check_upgrade_name(name),
        Action::Grant { .. } => Ok(()),
    }
}

/// `GovPropose`: takes the deposit, snapshots the confirmed nodes' weights, opens the vote.
pub(crate) fn propose(
    ctx: &mut Ctx<'_>,
    proposer: Address,
    g: &GovPropose,
) -> Result<Vec<Event>, TxError> {
    let params = ctx.state.params();
    check_action(&g.action, ctx.height, params)?;
    let deposit = params.governance.proposal_deposit;
    let mut account = ctx.overlay.get(&proposer);
    account.balance = account
        .balance
        .checked_sub(deposit)
        .map_err(|_| TxError::NoDeposit {
            deposit,
            available: account.balance,
        })?;
    ctx.overlay.set(proposer, account);
    // The snapshot: confirmed nodes as of the start of this proposal's block.
    let mut snapshot = Snapshot::new();
    let mut total: u64 = 0;
    for (id, (tier, _)) in ctx.state.registry().payout().queued() {
        let Some(entry) = ctx.state.registry().get(id) else {
            continue;
        };
        let weight = tier.vote_weight(params)?;
        total = total.saturating_add(weight);
        snapshot.insert(*id, (entry.owner, weight));
    }
    let id = ctx.gov.next_id();
    let proposal = Proposal {
        id,
        proposer,
        title: g.title.clone(),
        text_hash: g.text_hash,
        action: g.action.clone(),
        deposit,
        start: ctx.height,
        end: ctx.height.saturating_add(params.governance.voting_period),
        snapshot_root: snapshot_root(&snapshot)?,
        total_weight: total,
        yes: 0,
        no: 0,
        abstain: 0,
        status: ProposalStatus::Voting,
    };
    ctx.gov.proposals.insert(id, proposal);
    ctx.gov.snapshots.insert(id, snapshot);
    ctx.gov_changes.proposals.insert(id);
    ctx.gov_changes.snapshots_added.push(id);
    Ok(vec![Event::Proposed { id }])
}

/// `GovVote`: one final vote per snapshotted, still-confirmed node, by its owner.
pub(crate) fn vote(ctx: &mut Ctx<'_>, sender: Address, v: &GovVote) -> Result<Vec<Event>, TxError> {
    let mut proposal = ctx
        .gov
        .proposals
        .get(&v.proposal)
        .cloned()
        .ok_or(TxError::UnknownProposal(v.proposal))?;
    if !voting_open(proposal.status, proposal.end, ctx.height) {
        return Err(TxError::VotingClosed(v.proposal));
    }
    let standing = VoteStanding {
        entry: ctx
            .gov
            .snapshots
            .get(&v.proposal)
            .and_then(|s| s.get(&v.node))
            .copied(),
        confirmed: ctx
            .registry
            .get(&v.node)
            .is_some_and(|e| e.status == NodeStatus::Confirmed),
        voted: ctx.gov.votes.contains_key(&(v.proposal, v.node)),
    };
    let weight = standing.check(v.proposal, v.node, sender)?;
    match v.choice {
        Choice::Yes => proposal.yes = proposal.yes.saturating_add(weight),
        Choice::No => proposal.no = proposal.no.saturating_add(weight),
        Choice::Abstain => proposal.abstain = proposal.abstain.saturating_add(weight),
    }
    ctx.gov.votes.insert((v.proposal, v.node), v.choice);
    ctx.gov.proposals.insert(v.proposal, proposal);
    ctx.gov_changes.proposals.insert(v.proposal);
    ctx.gov_changes.votes.push(((v.proposal, v.node), v.choice));
    Ok(vec![])
}

/// The outcome of a tally, given the cast weights (exposed for boundary tests).
pub fn outcome(p: &Proposal, params: &ChainParams) -> ProposalStatus {
    let cast = p.yes.saturating_add(p.no).saturating_add(p.abstain);
    if !params
        .governance
        .min_turnout
        .exceeded_by(cast, p.total_weight)
    {
        ProposalStatus::NoQuorum
    } else if p.yes > p.no {
        ProposalStatus::Passed
    } else {
        ProposalStatus::Rejected
    }
}

/// End of block: tallies the proposals whose voting ends here and executes what passed.
/// Parameter changes apply to `next_params` (in force from the next block).
pub(crate) fn settle(
    ctx: &mut Ctx<'_>,
    next_params: &mut Option<ChainParams>,
) -> Result<(), BlockError> {
    let ending: Vec<Proposal> = ctx
        .gov
        .proposals
        .values()
        .filter(|p| p.status == ProposalStatus::Voting && p.end == ctx.height)
        .cloned()
        .collect();
    for mut p in ending {
        let mut status = outcome(&p, ctx.state.params());
        let back_to = if status == ProposalStatus::NoQuorum {
            dev_fund_address()
        } else {
            p.proposer
        };
        ctx.overlay.credit(back_to, p.deposit)?;
        if status == ProposalStatus::Passed && !execute(ctx, &p.action, next_params)? {
            status = ProposalStatus::Failed;
        }
        p.status = status;
        ctx.gov.snapshots.remove(&p.id);
        ctx.gov_changes.snapshots_removed.push(p.id);
        ctx.gov_changes.proposals.insert(p.id);
        ctx.gov.proposals.insert(p.id, p);
    }
    Ok(())
}

/// Executes a passed action; false if it cannot (the proposal is then `Failed`).
fn execute(
    ctx: &mut Ctx<'_>,
    action: &Action,
    next_params: &mut Option<ChainParams>,
) -> Result<bool, BlockError> {
    match action {
        Action::ParamChange { param, value } => {
            let params = next_params.get_or_insert_with(|| ctx.state.params().clone());
            if param.set(params, *value).is_err() {
                return Ok(false);
            }
            ctx.gov.param_changes.insert((*param, ctx.height), *value);
            ctx.gov_changes.params.push(((*param, ctx.height), *value));
            Ok(true)
        }
        Action::Grant { to, amount } => {
            let fund = dev_fund_address();
            let mut account = ctx.overlay.get(&fund);
            let Ok(left) = account.balance.checked_sub(*amount) else {
                return Ok(false);
            };
            account.balance = left;
            ctx.overlay.set(fund, account);
            ctx.overlay.credit(*to, *amount)?;
            Ok(true)
        }
        Action::Upgrade { name, height } => {
            ctx.gov.upgrades.insert(name.clone(), *height);
            ctx.gov_changes.upgrades.push((name.clone(), *height));
            Ok(true)
        }
    }
}
