//! `flux placement simulate`: place a synthetic network's apps, fail some nodes, and report
//! times, utilisation and what could not be placed. The network and the placement come from
//! `flux_nodes::placement`; this command only times, parses and prints.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use flux_core::{ChainParams, Hash, Tier};
use flux_nodes::placement::{Placement, UnplacedReason, synthetic};
use serde::Serialize;

use crate::error::CliError;
use crate::output::Output;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimulateOptions {
    /// Nodes in the synthetic network.
    pub nodes: u32,
    /// Apps to place.
    pub apps: u32,
    /// Seed text (hashed): the same seed gives the same network, apps and placement.
    pub seed: String,
    /// Nodes to fail after placing.
    pub fail_nodes: u32,
}

#[derive(Debug, Serialize)]
struct TierRow {
    tier: Tier,
    nodes: u64,
    instances: u64,
    cpu_permille: u64,
    ram_permille: u64,
    hdd_permille: u64,
}

#[derive(Debug, Serialize)]
struct ReasonRow {
    reason: UnplacedReason,
    text: String,
    apps: u64,
    instances: u64,
}

#[derive(Debug, Serialize)]
struct Report {
    seed: String,
    nodes: u32,
    apps: u32,
    instances_requested: u64,
    instances_placed: u64,
    place_us: u64,
    utilisation: Vec<TierRow>,
    unplaced_instances: u64,
    unplaced: Vec<ReasonRow>,
    failed_nodes: u32,
    moved_instances: u64,
    replaced_instances: u64,
    heal_us: u64,
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Builds the synthetic network, places the apps, fails `fail_nodes` seed-chosen nodes and
/// prints the report.
pub fn simulate<W: Write>(out: &mut Output<W>, opts: &SimulateOptions) -> Result<(), CliError> {
    let params = ChainParams::mainnet();
    let seed = Hash::tagged("flux/cli/placement-simulate/v1", opts.seed.as_bytes());
    let nodes = synthetic::nodes(opts.nodes, 1, seed, &params)?;
    let apps = synthetic::apps(opts.apps, &nodes, seed, &params)?;
    let requested: u64 = apps.iter().map(|a| u64::from(a.instances)).sum();
    let ids: Vec<_> = nodes.iter().map(|n| n.id).collect();

    let start = Instant::now();
    let mut placement = Placement::build(seed, nodes, apps)?;
    let place_us = micros(start);

    let utilisation: Vec<TierRow> = placement
        .utilisation()
        .iter()
        .map(|u| TierRow {
            tier: u.tier,
            nodes: u.nodes,
            instances: u.instances,
            cpu_permille: u.cpu_permille(),
            ram_permille: u.ram_permille(),
            hdd_permille: u.hdd_permille(),
        })
        .collect();
    let mut by_reason: BTreeMap<UnplacedReason, (u64, u64)> = BTreeMap::new();
    for u in placement.unplaced() {
        let e = by_reason.entry(u.reason).or_default();
        e.0 += 1;
        e.1 += u64::from(u.missing);
    }
    let unplaced: Vec<ReasonRow> = by_reason
        .into_iter()
        .map(|(reason, (apps, instances))| ReasonRow {
            text: reason.to_string(),
            reason,
            apps,
            instances,
        })
        .collect();
    let placed = placement.placed_instances();

    // Seed-chosen distinct nodes to fail.
    let mut rng = synthetic::Rng::new(seed, "flux/cli/placement-simulate/fail/v1");
    let mut pool = ids;
    let k = (opts.fail_nodes as usize).min(pool.len());
    for i in 0..k {
        let j = i + rng.below((pool.len() - i) as u64) as usize;
        pool.swap(i, j);
    }
    pool.truncate(k);
    let start = Instant::now();
    let moves = placement.remove_nodes(&pool)?;
    let heal_us = micros(start);
    let replaced = moves.iter().filter(|m| m.to.is_some()).count() as u64;

    let report = Report {
        seed: opts.seed.clone(),
        nodes: opts.nodes,
        apps: opts.apps,
        instances_requested: requested,
        instances_placed: placed,
        place_us,
        unplaced_instances: requested.saturating_sub(placed),
        utilisation,
        unplaced,
        failed_nodes: u32::try_from(k).unwrap_or(u32::MAX),
        moved_instances: moves.len() as u64,
        replaced_instances: replaced,
        heal_us,
    };
    out.emit(&report, &text(&report))
}

fn text(r: &Report) -> String {
    let mut s = format!(
        "{} nodes, {} apps, {} instances requested (seed {:?})\n\
         placed {} instances in {} ms\n\nutilisation per tier:\n",
        r.nodes,
        r.apps,
        r.instances_requested,
        r.seed,
        r.instances_placed,
        r.place_us / 1000,
    );
    s.push_str(&format!(
        "  {:<8} {:>6} {:>10} {:>7} {:>7} {:>7}\n",
        "tier", "nodes", "instances", "cpu", "ram", "ssd"
    ));
    for t in &r.utilisation {
        s.push_str(&format!(
            "  {:<8} {:>6} {:>10} {:>7} {:>7} {:>7}\n",
            t.tier.name(),
            t.nodes,
            t.instances,
            percent(t.cpu_permille),
            percent(t.ram_permille),
            percent(t.hdd_permille),
        ));
    }
    s.push_str(&format!("\nunplaced: {} instances\n", r.unplaced_instances));
    for u in &r.unplaced {
        s.push_str(&format!(
            "  {:>7} instances of {:>5} apps: {}\n",
            u.instances, u.apps, u.text
        ));
    }
    s.push_str(&format!(
        "\nfailed {} nodes: {} instances moved ({} re-placed) in {}.{:03} ms\n",
        r.failed_nodes,
        r.moved_instances,
        r.replaced_instances,
        r.heal_us / 1000,
        r.heal_us % 1000,
    ));
    s
}

fn percent(permille: u64) -> String {
    format!("{}.{}%", permille / 10, permille % 10)
}
