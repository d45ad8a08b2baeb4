//! The rules of the node transactions: they call the registry (flux-nodes) and move the
//! collateral between the owner's balance and the bond.

use std::sync::Arc;

use flux_core::Address;
use flux_core::crypto::PublicKey;
use flux_core::params::Ratio;
use flux_nodes::attestation::BenchmarkEvidence;
use flux_nodes::registry::RegistryEvent;

use super::{Ctx, Event, Verification};
use crate::error::TxError;
use crate::tx::{NodeConfirm, NodeExit, NodeStart, NodeUpdateEndpoint};

fn record(ctx: &mut Ctx<'_>, event: RegistryEvent) -> Vec<Event> {
    ctx.touched.insert(event.node());
    vec![Event::Node(event)]
}

/// `NodeStart`: registers the node and bonds the collateral from the owner (the sender). A
/// restart of the owner's expired node keeps the collateral already bonded.
pub(crate) fn start(
    ctx: &mut Ctx<'_>,
    owner: Address,
    s: &NodeStart,
) -> Result<Vec<Event>, TxError> {
    let params = ctx.state.params();
    let event = ctx.registry.start(owner, s.clone(), ctx.height, params)?;
    if let RegistryEvent::Started { collateral, .. } = event {
        let mut account = ctx.overlay.get(&owner);
        account.balance = account.balance.checked_sub(collateral)?;
        ctx.overlay.set(owner, account);
    }
    Ok(record(ctx, event))
}

/// `NodeConfirm`: the operator confirms with peer attestations seeded by a recent block.
pub(crate) fn confirm(
    ctx: &mut Ctx<'_>,
    sender: &PublicKey,
    c: &NodeConfirm,
) -> Result<Vec<Event>, TxError> {
    let seed = ctx.state.recent_block(c.evidence.seed_height).map(|b| b.0);
    if ctx.verification == Verification::AssumeValid {
        // The attestations are signatures: assumed valid, so their quorum is too (and no
        // verifiers need drawing).
        let params = match &ctx.assumed_params {
            Some(p) => Arc::clone(p),
            None => {
                let mut p = ctx.state.params().clone();
                p.nodes.bench_quorum = Ratio::new(0, 1);
                p.nodes.bench_verifiers = 0;
                let p = Arc::new(p);
                ctx.assumed_params = Some(Arc::clone(&p));
                p
            }
        };
        let evidence = BenchmarkEvidence {
            attestations: Vec::new(),
            ..c.evidence.clone()
        };
        let event = ctx
            .registry
            .confirm(&c.node, sender, &evidence, seed, ctx.height, &params)?;
        return Ok(record(ctx, event));
    }
    let event = ctx.registry.confirm(
        &c.node,
        sender,
        &c.evidence,
        seed,
        ctx.height,
        ctx.state.params(),
    )?;
    Ok(record(ctx, event))
}

/// `NodeUpdateEndpoint`: the operator moves the node.
pub(crate) fn update_endpoint(
    ctx: &mut Ctx<'_>,
    sender: &PublicKey,
    u: &NodeUpdateEndpoint,
) -> Result<Vec<Event>, TxError> {
    let event = ctx.registry.update_endpoint(
        &u.node,
        sender,
        u.endpoint.clone(),
        ctx.height,
        ctx.state.params(),
    )?;
    Ok(record(ctx, event))
}

/// `NodeExit`: the owner starts unbonding.
pub(crate) fn exit(ctx: &mut Ctx<'_>, owner: Address, x: &NodeExit) -> Result<Vec<Event>, TxError> {
    let event = ctx
        .registry
        .exit(&x.node, &owner, ctx.height, ctx.state.params())?;
    Ok(record(ctx, event))
}
