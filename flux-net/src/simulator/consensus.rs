//! `flux sim` without `--fast`: the real consensus of a small committee over flux-net's
//! deterministic simulated network ([`crate::sim`]), reported in the same format.
//!
//! Every validator runs the node's host (proposals, votes, certificates, sync, evidence) over
//! its own chain; virtual time, one seeded RNG. The network is flux-net's devnet setup: the
//! first `validators` genesis nodes (Cumulus, equal weights, at most the committee size), 1 s
//! blocks. The scenario's equivocations become validators that sign conflicting votes at
//! that height (the other validators' blocks carry the evidence, and the chain slashes them);
//! at most a third of the committee may equivocate. Other activity (apps, churn, jobs, outages)
//! needs `--fast`. The report's periods come from the first honest validator's chain: flows
//! from each block's receipts, the supply from the flows, and the stock figures (nodes,
//! placement, apps) for the last period only, from the final state.

use crate::sim::{Config, Fault, Setup, Sim};
use flux_core::Hash;

use super::error::SimulatorError;
use super::report::{ConsensusRun, Period, Report};
use super::scenario::Scenario;

/// Most validators of a consensus run: the devnet committee size.
pub fn max_validators() -> u32 {
    flux_core::ChainParams::devnet().consensus.committee_size
}

/// Runs `blocks` heights of consensus among `validators` nodes (at most [`max_validators`])
/// under `scenario`'s equivocations, with `seed`.
pub fn simulate_consensus(
    validators: u32,
    blocks: u64,
    scenario: &Scenario,
    seed: u64,
) -> Result<Report, SimulatorError> {
    let net_err = |e: crate::sim::SimError| SimulatorError::Consensus(e.to_string());
    let setup = Setup::new(validators as usize).map_err(net_err)?;
    let n = setup.len();
    let mut config = Config::new(seed);
    config.target_heights = Some(blocks);
    let block_ms = flux_core::ChainParams::devnet().block_time_ms.max(1);
    config.duration_ms = blocks
        .saturating_mul(block_ms)
        .saturating_mul(4)
        .saturating_add(60_000);
    // Equivocators: validators 1, 2, ... (validator 0 stays honest and is read), fewer than a
    // third of the committee.
    let most = (n.saturating_sub(1)) / 3;
    let mut next = 1;
    for e in &scenario.equivocations {
        for _ in 0..e.nodes {
            if config.faults.len() >= most || next >= n {
                break;
            }
            config
                .faults
                .push((next, Fault::Equivocating { height: e.at }));
            next += 1;
        }
    }
    let mut sim = Sim::new(&setup, config).map_err(net_err)?;
    let run = sim.run().map_err(net_err)?;
    let chain = sim
        .chain(0)
        .ok_or_else(|| SimulatorError::Consensus("validator 0 is not running".into()))?;
    let state = chain.state();
    let genesis_supply = chain
        .genesis()
        .total()
        .map_err(|e| SimulatorError::Consensus(e.to_string()))?
        .base_units();
    let mut report = Report {
        scenario: scenario.name.clone(),
        seed,
        genesis_nodes: validators,
        genesis_supply,
        max_supply: state.params().supply.max_supply.base_units(),
        preset: "devnet (flux-net's consensus simulation: equal-weight Cumulus validators, \
                 1 s blocks)"
            .into(),
        ..Report::default()
    };
    let mut period = Period::default();
    let mut supply = genesis_supply;
    let height = chain.height();
    for h in 1..=height {
        let err = |e: flux_chain::error::ChainError| SimulatorError::Consensus(e.to_string());
        let (Some(block), Some(receipts)) = (
            chain.block_by_height(h).map_err(err)?,
            chain.receipts(h).map_err(err)?,
        ) else {
            return Err(SimulatorError::Consensus(format!("block {h} is missing")));
        };
        let before = (period.emission, period.slashed);
        period.add_block(&receipts, block.txs.len(), 0);
        for r in &receipts.txs {
            for e in &r.events {
                if let flux_chain::transition::Event::Slashed { amount, .. } = e {
                    period.slashes += 1;
                    period.slashed += amount.base_units();
                }
            }
        }
        supply = supply + (period.emission - before.0) - (period.slashed - before.1);
        if h.is_multiple_of(scenario.report_interval) && h < height {
            period.end_height = h;
            period.supply = supply;
            report.totals.accumulate(&period);
            report.periods.push(std::mem::take(&mut period));
        }
    }
    period.close(state);
    report.totals.accumulate(&period);
    report.periods.push(period);
    let flows = std::mem::take(&mut report.totals);
    let mut totals = Period::default();
    totals.close(state);
    totals.accumulate(&flows);
    report.totals = totals;
    report.blocks = height;
    report.state_root = hex(&state.state_root());
    if report.totals.supply != supply {
        return Err(SimulatorError::Consensus(format!(
            "the supply {} differs from genesis plus emission less slashes {supply}",
            report.totals.supply
        )));
    }
    report.consensus = Some(ConsensusRun {
        validators: n as u64,
        equivocators: next as u64 - 1,
        elapsed_ms: run.elapsed_ms,
        min_honest_heights: run.min_honest_heights,
        delivered: run.delivered,
        dropped: run.dropped,
        rejected: run.rejected,
        digest: hex(&run.digest),
    });
    Ok(report)
}

fn hex(h: &Hash) -> String {
    h.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}
