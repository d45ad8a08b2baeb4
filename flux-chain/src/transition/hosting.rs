//! `HostingReport`: a hosting node's liveness report, attested by peers, credits the resources
//! of the app instances it runs as work units (SPEC "Useful work", hosting).
//!
//! The verifiers are the benchmark verifiers the seed block selects for the node
//! ([`flux_nodes::registry::Registry::verifiers`]); a quorum of them
//! ([`flux_nodes::attestation::quorum`]) must sign the [`HostingStatement`]. A report may come
//! `hosting_interval` blocks after the node's last one (or its first confirm), and credits
//! `hosting_units_per_block(what it runs now) × blocks since then`, at most `hosting_window`
//! blocks: a node that does not report in time loses the rest.

use flux_core::crypto::{Domain, PublicKey};
use flux_nodes::attestation::check_quorum;
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeId;

use super::work::{JobEvent, credit_units};
use super::{Ctx, Event};
use crate::error::TxError;
use crate::tx::HostingReport;
use crate::work::{HostingStatement, JobError, hosting_units_per_block};

/// Applies a hosting report signed by `sender`. See the module docs.
pub(crate) fn report(
    ctx: &mut Ctx<'_>,
    sender: &PublicKey,
    r: &HostingReport,
) -> Result<Vec<Event>, TxError> {
    let node = r.node;
    if NodeId::of(sender) != node {
        return Err(JobError::NotOperator(node).into());
    }
    let confirmed_at = match ctx.registry.get(&node) {
        Some(e) if e.status == NodeStatus::Confirmed => e.confirmed_at,
        _ => return Err(JobError::NotConfirmed(node).into()),
    };
    let params = ctx.state.params();
    let max_age = params.nodes.bench_seed_max_age;
    let seed = match ctx.state.recent_block(r.seed_height) {
        Some(b) if r.seed_height < ctx.height && ctx.height - r.seed_height <= max_age => b.0,
        _ => {
            return Err(JobError::StaleSeed {
                seed_height: r.seed_height,
                height: ctx.height,
                max_age,
            }
            .into());
        }
    };
    let last = ctx
        .work
        .hosted
        .get(&node)
        .copied()
        .unwrap_or_else(|| confirmed_at.unwrap_or(0));
    let next = last.saturating_add(params.work.hosting_interval);
    if r.seed_height < next {
        return Err(JobError::ReportTooEarly { node, last, next }.into());
    }

    // A quorum of the selected verifiers signed what the node claims (signatures: assumed
    // valid under `Verification::AssumeValid`).
    if ctx.verification == super::Verification::Full {
        let statement = HostingStatement {
            node,
            seed_height: r.seed_height,
            seed,
        };
        let bytes = flux_core::codec::encode(&statement)?;
        let selected = ctx.registry.verifiers(&seed, &node, params);
        let operator_of = |v: &NodeId| ctx.registry.get(v).map(|e| e.operator);
        check_quorum(
            &r.attestations,
            Domain::WORK,
            &bytes,
            &selected,
            operator_of,
            params,
        )
        .map_err(JobError::from)?;
    }

    let per_block = ctx
        .placement
        .used_on(&node)
        .map(|d| hosting_units_per_block(&d))
        .unwrap_or(0);
    if per_block == 0 {
        return Err(JobError::NothingHosted(node).into());
    }
    let blocks = (r.seed_height - last).min(params.work.hosting_window);
    let units = per_block.saturating_mul(blocks);
    credit_units(ctx, node, units);
    ctx.work.hosted.insert(node, r.seed_height);
    ctx.work_changes.hosted.insert(node);
    Ok(vec![Event::Job(JobEvent::Hosted {
        node,
        blocks,
        units,
    })])
}
