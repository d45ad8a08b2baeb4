//! Properties of workload placement: capacity, one instance per node, geolocation and
//! targeting, order independence, healing moves only what it must, accurate reasons.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use flux_core::tier::{Gpu, Hardware};
use flux_core::{ChainParams, Hash, Tier};
use flux_nodes::app::Demand;
use flux_nodes::node::{GeoRule, NodeId, geo_allows};
use flux_nodes::placement::{
    Placement, PlacementNode, Resource, UnplacedReason, Workload, host_of, synthetic,
};
use proptest::prelude::*;

const GEOS: [&str; 6] = ["EU_DE", "EU_DE_Bavaria", "EU_FR", "NA_US", "NA_CA", "AS_JP"];
const RULES: [&str; 6] = [
    "acEU",
    "a!cEU_DE",
    "acNA_US",
    "acEU_DE_Bavaria",
    "a!cNA",
    "acAS",
];

fn params() -> ChainParams {
    ChainParams::mainnet()
}

fn node(i: u32, tier: Tier, geo: usize, net: u32, gpu: u32) -> PlacementNode {
    let p = params();
    let mut hw: Hardware = tier.minimum(&p);
    hw.gpu = Gpu {
        count: gpu,
        memory_gb: if gpu > 0 { 24 } else { 0 },
    };
    PlacementNode::new(
        NodeId(Hash::digest(&i.to_le_bytes())),
        tier,
        GEOS[geo].parse().unwrap(),
        &format!("10.{net}.{}.{}:16127", i / 250, i % 250),
        &hw,
        &p,
    )
}

fn arb_nodes() -> impl Strategy<Value = Vec<PlacementNode>> {
    prop::collection::vec((0usize..3, 0usize..GEOS.len(), 0u32..6, 0u32..3), 1..40).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (t, g, n, gpu))| node(i as u32, Tier::ALL[t], g, n, gpu / 2))
            .collect()
    })
}

fn arb_workloads() -> impl Strategy<Value = Vec<Workload>> {
    prop::collection::vec(
        (
            1u32..8,
            1u32..80,
            1u64..40,
            1u64..300,
            0u32..2,
            prop::option::of(0usize..RULES.len()),
            prop::option::of(prop::collection::vec(0u32..40, 1..4)),
        ),
        0..25,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (inst, cpu, ram, hdd, gpu, rule, targets))| {
                let demand = Demand {
                    cpu_tenths: cpu,
                    ram_mb: ram * 500,
                    hdd_gb: hdd,
                    gpu,
                    gpu_memory_gb: u64::from(gpu) * 16,
                };
                let geo: Vec<GeoRule> = rule
                    .map(|r| RULES[r].parse().unwrap())
                    .into_iter()
                    .collect();
                let targets = targets
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| format!("10.{}.0.{t}", t % 6))
                    .collect();
                Workload::new(format!("app{i}"), inst, demand, geo, targets, &params())
            })
            .collect()
    })
}

/// Every invariant of a placement state.
fn check_invariants(p: &Placement, nodes: &[PlacementNode]) {
    let mut used: BTreeMap<NodeId, (u64, u64, u64, u64)> = BTreeMap::new();
    for (app, on) in p.assignments() {
        let w = p.workload(app).unwrap();
        let mut distinct = on.to_vec();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), on.len(), "{app}: two instances on one node");
        assert!(on.len() as u32 <= w.instances);
        for id in on {
            let n = p.node(id).expect("placed on a known node");
            assert!(
                w.geo.is_empty() || geo_allows(&w.geo, &n.geolocation),
                "{app} geo"
            );
            assert!(
                w.targets.is_empty() || w.targets.iter().any(|t| host_of(t) == n.host),
                "{app} targets"
            );
            if w.demand.gpu > 0 {
                assert!(n.capacity.gpu_memory_gb >= w.demand.gpu_memory_gb);
            }
            let u = used.entry(*id).or_default();
            u.0 += u64::from(w.demand.cpu_tenths);
            u.1 += w.demand.ram_mb;
            u.2 += w.demand.hdd_gb;
            u.3 += u64::from(w.demand.gpu);
        }
    }
    for n in nodes.iter().filter(|n| p.node(&n.id).is_some()) {
        let u = used.get(&n.id).copied().unwrap_or_default();
        let c = &n.capacity;
        assert!(u.0 <= u64::from(c.cpu_tenths), "cpu over capacity");
        assert!(u.1 <= c.ram_mb, "ram over capacity");
        assert!(u.2 <= c.hdd_gb, "hdd over capacity");
        assert!(u.3 <= u64::from(c.gpu), "gpu over capacity");
        let d = p.used_on(&n.id).unwrap();
        assert_eq!(
            (
                u64::from(d.cpu_tenths),
                d.ram_mb,
                d.hdd_gb,
                u64::from(d.gpu)
            ),
            u
        );
    }
    for u in p.unplaced() {
        let w = p.workload(&u.app).unwrap();
        assert_eq!(
            u.missing as usize,
            w.instances as usize - p.where_is(&u.app).len()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn invariants_hold_and_build_is_order_independent(
        nodes in arb_nodes(),
        workloads in arb_workloads(),
        seed in any::<u64>(),
        shuffle in any::<u64>(),
    ) {
        let seed = Hash::digest(&seed.to_le_bytes());
        let a = Placement::build(seed, nodes.clone(), workloads.clone()).unwrap();
        check_invariants(&a, &nodes);
        let mut rng = synthetic::Rng::new(Hash::digest(&shuffle.to_le_bytes()), "shuffle");
        let (mut n2, mut w2) = (nodes.clone(), workloads.clone());
        for i in (1..n2.len()).rev() { n2.swap(i, rng.below(i as u64 + 1) as usize); }
        for i in (1..w2.len()).rev() { w2.swap(i, rng.below(i as u64 + 1) as usize); }
        let b = Placement::build(seed, n2, w2).unwrap();
        let left: Vec<_> = a.assignments().map(|(x, y)| (x.to_owned(), y.to_vec())).collect();
        let right: Vec<_> = b.assignments().map(|(x, y)| (x.to_owned(), y.to_vec())).collect();
        prop_assert_eq!(left, right);
        prop_assert_eq!(a.unplaced(), b.unplaced());
    }

    #[test]
    fn failing_nodes_moves_only_their_instances(
        nodes in arb_nodes(),
        workloads in arb_workloads(),
        fail in prop::collection::vec(any::<prop::sample::Index>(), 1..5),
    ) {
        let mut p = Placement::build(Hash::digest(b"heal"), nodes.clone(), workloads).unwrap();
        let mut failed: Vec<NodeId> = fail.iter().map(|i| nodes[i.index(nodes.len())].id).collect();
        failed.sort();
        failed.dedup();
        let before: BTreeMap<String, Vec<(u32, NodeId)>> =
            p.assignments().map(|(a, _)| (a.to_owned(), p.instances_of(a))).collect();
        let moves = p.remove_nodes(&failed).unwrap();
        check_invariants(&p, &nodes);
        for (app, old) in &before {
            let now = p.instances_of(app);
            for (label, node) in old {
                let moved = moves.iter().find(|m| &m.app == app && m.instance == *label);
                if failed.contains(node) {
                    let m = moved.expect("an instance of a failed node is reported");
                    prop_assert_eq!(m.from, *node);
                    prop_assert_eq!(now.iter().find(|(l, _)| l == label).map(|x| x.1), m.to);
                } else {
                    prop_assert!(moved.is_none());
                    prop_assert!(now.contains(&(*label, *node)), "{} {} moved", app, label);
                }
            }
        }
        for id in &failed {
            prop_assert!(p.on_node(id).is_empty());
        }
    }

    #[test]
    fn incremental_operations_keep_invariants(
        nodes in arb_nodes(),
        workloads in arb_workloads(),
        extra in arb_nodes(),
    ) {
        let mut p = Placement::new(Hash::digest(b"inc"));
        let half = nodes.len() / 2;
        for n in &nodes[..half] { p.add_node(n.clone()).unwrap(); }
        for w in &workloads { p.add_app(w.clone()).unwrap(); }
        check_invariants(&p, &nodes);
        for n in &nodes[half..] { p.add_node(n.clone()).unwrap(); }
        p.retry_unplaced();
        check_invariants(&p, &nodes);
        for w in workloads.iter().step_by(2) {
            let mut w2 = w.clone();
            w2.instances = w.instances / 2 + 1;
            w2.demand.ram_mb /= 2;
            p.update_app(w2).unwrap();
        }
        check_invariants(&p, &nodes);
        for w in workloads.iter().step_by(3) { p.remove_app(&w.app).unwrap(); }
        check_invariants(&p, &nodes);
        let _ = extra;
    }
}

#[test]
fn reasons_name_the_failed_constraint() {
    let p = params();
    let nodes: Vec<PlacementNode> = (0..10)
        .map(|i| node(i, Tier::ALL[i as usize % 3], i as usize % 4, i, 0))
        .collect();
    let d = |cpu, ram, hdd| Demand {
        cpu_tenths: cpu,
        ram_mb: ram,
        hdd_gb: hdd,
        ..Demand::ZERO
    };
    let apps = vec![
        Workload::new("ram", 3, d(5, 200_000, 1), vec![], vec![], &p),
        Workload::new("cpu", 3, d(900, 100, 1), vec![], vec![], &p),
        Workload::new(
            "gpu",
            1,
            Demand {
                gpu: 1,
                gpu_memory_gb: 8,
                ..d(5, 100, 1)
            },
            vec![],
            vec![],
            &p,
        ),
        Workload::new(
            "geo",
            3,
            d(5, 100, 1),
            vec!["acOC".parse().unwrap()],
            vec![],
            &p,
        ),
        Workload::new(
            "targets",
            3,
            d(5, 100, 1),
            vec![],
            vec!["192.0.2.1".into()],
            &p,
        ),
        Workload::new("crowd", 20, d(1, 100, 1), vec![], vec![], &p),
        Workload::new("fine", 3, d(5, 100, 1), vec![], vec![], &p),
    ];
    let placement = Placement::build(Hash::ZERO, nodes, apps).unwrap();
    let reasons: BTreeMap<String, (u32, UnplacedReason)> = placement
        .unplaced()
        .into_iter()
        .map(|u| (u.app, (u.missing, u.reason)))
        .collect();
    let ram = UnplacedReason::NoCapacity {
        resource: Resource::Ram,
    };
    assert_eq!(reasons["ram"], (3, ram));
    assert_eq!(
        reasons["cpu"],
        (
            3,
            UnplacedReason::NoCapacity {
                resource: Resource::Cpu
            }
        )
    );
    assert_eq!(
        reasons["gpu"],
        (
            1,
            UnplacedReason::NoCapacity {
                resource: Resource::Gpu
            }
        )
    );
    assert_eq!(reasons["geo"], (3, UnplacedReason::Geolocation));
    assert_eq!(reasons["targets"], (3, UnplacedReason::TargetsUnavailable));
    assert_eq!(reasons["crowd"], (10, UnplacedReason::AllCandidatesHostApp));
    assert!(!reasons.contains_key("fine"));
}

#[test]
fn tier_preference_and_spread() {
    let p = params();
    // Two Cumulus in one network, two in others, and a Stratus.
    let nodes = vec![
        node(0, Tier::Cumulus, 0, 1, 0),
        node(1, Tier::Cumulus, 0, 1, 0),
        node(2, Tier::Cumulus, 2, 2, 0),
        node(3, Tier::Cumulus, 3, 3, 0),
        node(4, Tier::Stratus, 3, 4, 0),
    ];
    let small = Demand {
        cpu_tenths: 5,
        ram_mb: 500,
        hdd_gb: 5,
        ..Demand::ZERO
    };
    let w = Workload::new("web", 3, small, vec![], vec![], &p);
    assert_eq!(w.tier, Tier::Cumulus);
    let placed = Placement::build(Hash::ZERO, nodes.clone(), [w]).unwrap();
    let on = placed.where_is("web");
    let nets: std::collections::BTreeSet<u64> = on
        .iter()
        .map(|id| placed.node(id).unwrap().network)
        .collect();
    assert_eq!(nets.len(), 3, "three networks used");
    assert!(
        on.iter()
            .all(|id| placed.node(id).unwrap().tier == Tier::Cumulus)
    );
    // A fourth instance must share a network (still Cumulus); a fifth goes to the Stratus.
    let w5 = Workload::new("web", 5, small, vec![], vec![], &p);
    let placed = Placement::build(Hash::ZERO, nodes, [w5]).unwrap();
    let tiers: Vec<Tier> = placed
        .where_is("web")
        .iter()
        .map(|id| placed.node(id).unwrap().tier)
        .collect();
    assert_eq!(tiers.iter().filter(|t| **t == Tier::Stratus).count(), 1);
}

#[test]
fn synthetic_network_places_and_heals() {
    let p = params();
    let seed = Hash::digest(b"synthetic");
    let nodes = synthetic::nodes(2_000, 1, seed, &p).unwrap();
    let apps = synthetic::apps(2_000, &nodes, seed, &p).unwrap();
    let mut placement = Placement::build(seed, nodes.clone(), apps).unwrap();
    check_invariants(&placement, &nodes);
    assert!(placement.placed_instances() > 10_000);
    let victim = nodes[7].id;
    let hosted = placement.on_node(&victim).len();
    let moves = placement.remove_nodes(&[victim]).unwrap();
    assert_eq!(moves.len(), hosted);
    check_invariants(&placement, &nodes);
}
