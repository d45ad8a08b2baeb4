//! The rule of the `Evidence` transaction: two conflicting messages signed by one validator
//! (two votes for one (height, round, kind), or two proposals of different values for one
//! (height, round); see [`crate::consensus::evidence`]) slash `slash_fraction` of its collateral
//! (10% on mainnet), once per consensus height. Anyone may report. The slashed amount is
//! burned, and the entry records the height, so the same offence cannot be punished twice.
//!
//! Checks: both signatures verify under the offender's registered operator key (so the
//! offender is a registered node; which role it had at that height does not matter, an honest
//! node signs neither pair in any role), and the offence is at most
//! `consensus.evidence_max_age` blocks old and not in the future. An exiting node keeps its
//! entry, and its bonded collateral, for `nodes.unbonding_period` blocks, which
//! `ChainParams::validate` requires to be at least `epoch_length + evidence_max_age`: a node
//! leaves the committee at the height after its exit (`Chain::committee`), so every offence it
//! can commit as a member is slashable while its collateral is still bonded. (The consensus
//! driver also leaves a node slashed in the current epoch out of the committee.)

use super::{Ctx, Event};
use crate::consensus::Evidence;
use crate::error::TxError;

pub(crate) fn apply(ctx: &mut Ctx<'_>, evidence: &Evidence) -> Result<Vec<Event>, TxError> {
    let node = evidence.validator();
    let offence = evidence.height();
    let max_age = ctx.state.params().consensus.evidence_max_age;
    evidence.check_age(ctx.height, max_age)?;
    let entry = ctx
        .registry
        .get(&node)
        .ok_or(flux_nodes::error::NodeError::UnknownNode { id: node })?;
    evidence.verify(&entry.operator, ctx.state.params().chain_id)?;
    let fraction = ctx.state.params().consensus.slash_fraction;
    let amount = ctx.registry.slash(&node, offence, fraction)?;
    ctx.burned = ctx.burned.checked_add(amount)?;
    ctx.touched.insert(node);
    Ok(vec![Event::Slashed { node, amount }])
}
