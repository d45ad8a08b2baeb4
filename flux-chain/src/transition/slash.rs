//! The rule of the `Evidence` transaction: two conflicting votes signed by one validator slash
//! `slash_fraction` of its collateral (10% on mainnet), once per consensus height. Anyone may
//! report. The slashed amount is burned, and the entry records the height, so the same
//! equivocation cannot be punished twice; an exiting node stays slashable until its collateral
//! is released. (The consensus driver leaves a node slashed in the current epoch out of the
//! committee.)

use super::{Ctx, Event};
use crate::consensus::Evidence;
use crate::error::TxError;

pub(crate) fn apply(ctx: &mut Ctx<'_>, evidence: &Evidence) -> Result<Vec<Event>, TxError> {
    let node = evidence.validator();
    let entry = ctx
        .registry
        .get(&node)
        .ok_or(flux_nodes::error::NodeError::UnknownNode { id: node })?;
    evidence.verify(&entry.operator, ctx.state.params().chain_id)?;
    let fraction = ctx.state.params().consensus.slash_fraction;
    let amount = ctx
        .registry
        .slash(&node, evidence.first.vote.height, fraction)?;
    ctx.burned = ctx.burned.checked_add(amount)?;
    ctx.touched.insert(node);
    Ok(vec![Event::Slashed { node, amount }])
}
