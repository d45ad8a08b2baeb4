//! A small network through the real state transition keeps its invariants, one seed gives the
//! same report bytes twice, and the consensus mode slashes an equivocator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use super::consensus::simulate_consensus;
use super::genesis::profiles;
use super::scenario::BASELINE;
use super::{Scenario, simulate};

/// A light scenario for debug builds: few apps, some churn, short periods.
fn light() -> Scenario {
    Scenario::from_toml(
        r#"
        name = "light"
        report_interval = 250
        full_check_interval = 50
        [apps]
        initial = 60
        per_1000_blocks = 40
        max_per_block = 10
        expire_min = 500
        expire_max = 1500
        [churn]
        stop_permille_per_period = 20
        join_permille_per_period = 20
        keep_alive_every = 560
        [hosting]
        reports = true
        "#,
    )
    .unwrap()
}

#[test]
fn five_hundred_nodes_keep_their_invariants_for_five_thousand_blocks() {
    let report = simulate(500, 5_000, light(), 7, |_| {}).unwrap();
    assert_eq!(report.blocks, 5_000);
    assert_eq!(report.periods.len(), 20);
    let t = &report.totals;
    // Nodes kept alive past expire_after (640) and churn happened: some expired, some joined.
    assert!(t.nodes.confirmed > 400, "{:?}", t.nodes);
    assert!(t.nodes.expired > 0, "{:?}", t.nodes);
    assert!(t.nodes.confirmed + t.nodes.expired > 500, "{:?}", t.nodes);
    // Emission went where the split says, and the supply grew by exactly what was minted.
    assert_eq!(t.supply, report.genesis_supply + t.emission);
    assert!(t.tier_rewards.iter().all(|r| *r > 0));
    assert!(t.apps > 0 && t.placed_instances > 0 && t.hosting > 0);
    // Hosting reports earned work units: the pool paid them at the epoch's end.
    assert!(t.pool_paid > 0, "{t:?}");
    assert_eq!(t.dropped_txs, 0, "{t:?}");
}

#[test]
fn one_seed_gives_byte_identical_reports() {
    let bytes = |seed| {
        serde_json::to_vec_pretty(&simulate(120, 400, light(), seed, |_| {}).unwrap()).unwrap()
    };
    let first = bytes(11);
    assert_eq!(first, bytes(11));
    assert_ne!(bytes(12), first, "another seed, another run");
}

#[test]
fn a_country_outage_expires_its_nodes_and_their_instances_are_replaced() {
    let mut scenario = light();
    scenario.churn.stop_permille_per_period = 0;
    scenario.churn.join_permille_per_period = 0;
    scenario.outages = Scenario::from_toml("[[outages]]\nat = 100\nplace = \"EU_DE\"")
        .unwrap()
        .outages;
    let report = simulate(300, 800, scenario, 3, |_| {}).unwrap();
    let t = &report.totals;
    // Germany holds about a quarter of the synthetic nodes: all of them expired by block 641.
    assert!(t.expirations > 40, "{t:?}");
    assert_eq!(t.nodes.expired, t.expirations);
    assert_eq!(t.nodes.confirmed + t.nodes.expired, 300);
    // The chain re-placed their instances in the block they expired: none was left over.
    assert_eq!(t.max_unplaced_instances, 0, "{t:?}");
    assert!(t.placed_instances > 0);
    assert!(t.displaced_instances > 0, "{t:?}");
    assert!(!report.healing.is_empty());
    assert!(
        report
            .healing
            .iter()
            .all(|r| r.healed_in_blocks == Some(0) && r.unplaced_after == 0),
        "{:?}",
        report.healing
    );
    assert_eq!(t.max_healing_blocks, 0);
}

#[test]
fn cheating_workers_are_outvoted_and_struck_and_equivocators_slashed() {
    let mut scenario = light();
    scenario.churn.stop_permille_per_period = 0;
    scenario.jobs.per_1000_blocks = 100;
    scenario.jobs.cheaters = 30;
    scenario.equivocations = Scenario::from_toml("[[equivocations]]\nat = 300\nnodes = 2")
        .unwrap()
        .equivocations;
    let report = simulate(300, 1_500, scenario, 5, |_| {}).unwrap();
    let t = &report.totals;
    assert!(t.jobs_submitted >= 140, "{t:?}");
    assert!(t.jobs_accepted > 100, "{t:?}");
    assert!(t.strikes_cheaters > 0, "{t:?}");
    assert_eq!(t.strikes_honest, 0, "{t:?}");
    assert!(t.job_fees_paid > 0 && t.job_fuel > 0, "{t:?}");
    assert_eq!(t.slashes, 2, "{t:?}");
    // Slashed collateral was burned: the supply is genesis + emission - slashed.
    assert_eq!(t.supply, report.genesis_supply + t.emission - t.slashed);
}

#[test]
fn the_shipped_scenarios_parse_and_the_baseline_is_the_default() {
    assert_eq!(Scenario::from_toml(BASELINE).unwrap(), Scenario::baseline());
    for f in ["baseline", "country-outage", "cheating-workers", "growth"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/simulator/scenarios")
            .join(format!("{f}.toml"));
        let s = Scenario::load(&path).unwrap();
        assert_eq!(s.name, f);
    }
}

#[test]
fn without_fast_the_real_consensus_runs_and_slashes_an_equivocator() {
    let mut scenario = light();
    scenario.report_interval = 10;
    scenario.equivocations = Scenario::from_toml("[[equivocations]]\nat = 10\nnodes = 1")
        .unwrap()
        .equivocations;
    let run = |seed| simulate_consensus(4, 30, &scenario, seed).unwrap();
    let report = run(3);
    assert_eq!(report.blocks, 30);
    let c = report.consensus.as_ref().unwrap();
    assert_eq!((c.validators, c.equivocators), (4, 1));
    assert!(c.min_honest_heights >= 30);
    let t = &report.totals;
    assert_eq!(t.slashes, 1, "{t:?}");
    assert_eq!(t.supply, report.genesis_supply + t.emission - t.slashed);
    // One seed, one run.
    assert_eq!(
        serde_json::to_vec(&run(3)).unwrap(),
        serde_json::to_vec(&report).unwrap()
    );
}

#[test]
fn a_growing_network_places_on_its_new_nodes() {
    let mut scenario = light();
    scenario.churn.stop_permille_per_period = 0;
    scenario.churn.join_permille_per_period = 100;
    let report = simulate(200, 2_000, scenario, 9, |_| {}).unwrap();
    let t = &report.totals;
    // 20 join per 250-block period, 8 periods: the network grows by 160 (the last few may
    // still be confirming).
    assert!(t.nodes.confirmed >= 350, "{:?}", t.nodes);
    assert_eq!(t.nodes.expired, 0);
    assert!(t.placed_instances > 0 && t.unplaced_instances == 0, "{t:?}");
}

#[test]
fn a_network_outage_expires_exactly_that_networks_nodes() {
    let mut scenario = light();
    scenario.churn.stop_permille_per_period = 0;
    scenario.churn.join_permille_per_period = 0;
    // The /16 with the most of the 300 genesis nodes (the profiles the simulation builds).
    let params = flux_core::ChainParams::for_network(flux_core::Network::Testnet);
    let all = profiles(600, scenario.tier_shares, 4, &params).unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for p in &all[..300] {
        let net: Vec<&str> = p.endpoint.split('.').take(2).collect();
        *counts.entry(net.join(".")).or_insert(0u64) += 1;
    }
    let (net, n) = counts.into_iter().max_by_key(|(_, n)| *n).unwrap();
    assert!(n > 1);
    scenario.outages = Scenario::from_toml(&format!("[[outages]]\nat = 50\nnetwork = \"{net}\""))
        .unwrap()
        .outages;
    let report = simulate(300, 800, scenario, 4, |_| {}).unwrap();
    assert_eq!(report.totals.nodes.expired, n, "{:?}", report.totals.nodes);
    assert_eq!(report.totals.max_unplaced_instances, 0);
}
