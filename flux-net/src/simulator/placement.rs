//! A what-if of the placement alone (`flux placement simulate`): place a synthetic network's
//! apps, fail some seed-chosen nodes, and report times, utilisation per tier and what could not
//! be placed. The network and the placement are [`flux_nodes::placement`]'s.
//!
//! ```
//! use flux_net::simulator::placement::{PlacementOptions, simulate_placement};
//!
//! let opts = PlacementOptions { nodes: 50, apps: 20, seed: "doc".into(), fail_nodes: 3 };
//! let report = simulate_placement(&opts)?;
//! assert_eq!(report.failed_nodes, 3);
//! assert!(report.instances_placed <= report.instances_requested);
//! # Ok::<(), flux_nodes::placement::PlacementError>(())
//! ```

use std::collections::BTreeMap;
use std::time::Instant;

use flux_core::{ChainParams, Hash, Tier};
use flux_nodes::placement::{Placement, PlacementError, UnplacedReason, synthetic};
use serde::Serialize;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct PlacementOptions {
    /// Nodes in the synthetic network.
    pub nodes: u32,
    /// Apps to place.
    pub apps: u32,
    /// Seed text (hashed): the same seed gives the same network, apps and placement.
    pub seed: String,
    /// Nodes to fail after placing.
    pub fail_nodes: u32,
}

/// One tier's use after placing.
#[derive(Debug, Serialize)]
pub struct TierRow {
    /// The tier.
    pub tier: Tier,
    /// Its nodes.
    pub nodes: u64,
    /// Instances placed on them.
    pub instances: u64,
    /// CPU used, per mille of capacity.
    pub cpu_permille: u64,
    /// RAM used, per mille of capacity.
    pub ram_permille: u64,
    /// SSD used, per mille of capacity.
    pub hdd_permille: u64,
}

/// Instances left unplaced for one reason.
#[derive(Debug, Serialize)]
pub struct ReasonRow {
    /// The reason.
    pub reason: UnplacedReason,
    /// The reason in words.
    pub text: String,
    /// Apps missing instances for it.
    pub apps: u64,
    /// Instances placed on them.
    pub instances: u64,
}

/// What [`simulate_placement`] found.
#[derive(Debug, Serialize)]
pub struct PlacementReport {
    /// The seed text.
    pub seed: String,
    /// Nodes in the network.
    pub nodes: u32,
    /// Apps placed.
    pub apps: u32,
    /// Instances the apps ask for.
    pub instances_requested: u64,
    /// Instances placed.
    pub instances_placed: u64,
    /// How long placing took, microseconds (wall clock).
    pub place_us: u64,
    /// Use per tier.
    pub utilisation: Vec<TierRow>,
    /// Instances left without a node.
    pub unplaced_instances: u64,
    /// Why, by reason.
    pub unplaced: Vec<ReasonRow>,
    /// Nodes failed.
    pub failed_nodes: u32,
    /// Instances moved off them.
    pub moved_instances: u64,
    /// Of those, instances placed on another node.
    pub replaced_instances: u64,
    /// How long healing took, microseconds (wall clock).
    pub heal_us: u64,
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Builds the synthetic network, places the apps, fails `fail_nodes` seed-chosen nodes and
/// reports what happened and how long placing and healing took (wall clock, this machine).
pub fn simulate_placement(opts: &PlacementOptions) -> Result<PlacementReport, PlacementError> {
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

    Ok(PlacementReport {
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
    })
}
