//! Scenarios of the deterministic simulator, named by topology and fault: `n4f1` is four
//! validators of equal weight, one of them faulty. Each reads as a specification.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use flux_net::sim::{Config, Crash, Fault, Link, Partition, Report, Setup, Sim};

fn setup(n: usize) -> &'static Setup {
    static S4: OnceLock<Setup> = OnceLock::new();
    static S7: OnceLock<Setup> = OnceLock::new();
    let cell = match n {
        4 => &S4,
        7 => &S7,
        _ => panic!("no setup for n = {n}"),
    };
    cell.get_or_init(|| Setup::new(n).unwrap())
}

fn run(n: usize, config: Config) -> (Sim, Report) {
    let seed = config.seed;
    let mut sim = Sim::new(setup(n), config).unwrap();
    let report = sim.run().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    (sim, report)
}

#[test]
fn n4f0_all_decide() {
    let mut config = Config::new(1);
    config.duration_ms = 60_000;
    let (_, report) = run(4, config);
    assert!(
        report
            .heights
            .iter()
            .all(|&h| h == report.heights[0] || h + 1 >= report.heights[0])
    );
    // Reliable 20–30 ms links and no faults: a height is decided within a few link delays,
    // and the next one starts one block time (devnet: 1 s) after its block, as on a real node
    // (Tendermint's timeout_commit). So about one height per second, never faster.
    report.check_liveness(55, 0).unwrap();
    assert!(report.heights.iter().all(|&h| h <= 61), "{report:?}");
    assert_eq!(report.undecodable, 0);
    println!("{report:?}");
}

#[test]
fn n4f1_equivocating_validator_is_slashed_once() {
    let mut config = Config::new(2);
    config.faults = vec![(
        3,
        Fault::Equivocating {
            height: setup(4).start_height() + 2,
        },
    )];
    config.duration_ms = 20_000;
    let (sim, report) = run(4, config);
    report.check_liveness(30, 0).unwrap();
    let offender = setup(4).node_id(3).unwrap();
    let h = setup(4).start_height() + 2;
    for i in 0..3 {
        let entry = sim
            .chain(i)
            .unwrap()
            .state()
            .registry()
            .get(&offender)
            .unwrap()
            .clone();
        assert_eq!(
            entry.slashed,
            vec![h],
            "validator {i} sees the offender slashed once"
        );
        // ...and has dropped it from its committee.
        let committee = sim.committee(i).unwrap().unwrap();
        assert!(
            committee.get(&offender).is_none(),
            "validator {i} still counts the offender"
        );
        assert_eq!(committee.len(), 3);
    }
}

#[test]
fn n4f1_silent_validator() {
    let mut config = Config::new(3);
    config.faults = vec![(0, Fault::Silent)];
    config.duration_ms = 60_000;
    let (_, report) = run(4, config);
    assert_eq!(report.heights[0], 0);
    // Rounds where the silent validator proposes time out; the others still decide.
    report.check_liveness(30, 0).unwrap();
}

#[test]
fn n7f0_crash_restart() {
    let mut config = Config::new(4);
    config.crashes = vec![
        Crash {
            validator: 1,
            at_ms: 2_000,
            restart_ms: Some(10_000),
        },
        Crash {
            validator: 5,
            at_ms: 3_000,
            restart_ms: Some(12_000),
        },
    ];
    config.duration_ms = 30_000;
    let (_, report) = run(7, config);
    // The restarted validators caught up: everyone decides after the restarts.
    report.check_liveness(30, 12_000).unwrap();
    let max = *report.heights.iter().max().unwrap();
    assert!(
        report.heights.iter().all(|&h| h + 3 >= max),
        "{:?}",
        report.heights
    );
}

#[test]
fn n7f2_partition_heals() {
    let mut config = Config::new(5);
    // 4 | 3: neither side has a quorum (5 of 7) until the heal at 10 s.
    config.partitions = vec![Partition {
        groups: vec![vec![0, 1, 2, 3], vec![4, 5, 6]],
        from_ms: 1_000,
        heal_ms: 10_000,
    }];
    config.faults = vec![
        (6, Fault::Silent),
        (
            5,
            Fault::Equivocating {
                height: setup(7).start_height() + 1,
            },
        ),
    ];
    config.link = Link::lossy();
    config.duration_ms = 40_000;
    let mut sim = Sim::new(setup(7), config).unwrap();
    let run_until = |sim: &mut Sim, t: u64| {
        while sim.now() < t && sim.step().unwrap_or_else(|e| panic!("{e}")) {}
        sim.report().heights
    };
    // Messages sent before the cut are delivered within 200 ms; after that, no side decides.
    let cut = run_until(&mut sim, 1_500);
    let before_heal = run_until(&mut sim, 9_900);
    assert_eq!(
        cut, before_heal,
        "no quorum on either side of the partition"
    );
    let report = sim.run().unwrap();
    report.check_liveness(20, 10_000).unwrap();
    assert!(
        report.min_honest_heights >= before_heal[0] + 5,
        "{report:?}"
    );
}

#[test]
fn n4_garbage_sender_is_banned() {
    let mut config = Config::new(6);
    config.faults = vec![(2, Fault::Garbage)];
    config.tick_ms = 50;
    config.duration_ms = 20_000;
    let (sim, report) = run(4, config);
    // Five undecodable messages (20 points each, the node's weights) reach the ban score of
    // 100: every honest validator bans the sender and hears nothing more from it.
    for h in [0, 1, 3] {
        assert!(sim.banned(h, 2), "{report:?}");
        assert_eq!(sim.penalties(h, 2), 100);
    }
    assert_eq!(report.undecodable, 15, "{report:?}");
    assert_eq!(report.bans.len(), 3);
    report.check_liveness(30, 0).unwrap();
}

#[test]
fn same_seed_same_digest() {
    let config = || {
        let mut c = Config::new(42);
        c.link = Link::lossy();
        c.faults = vec![(
            1,
            Fault::Equivocating {
                height: setup(4).start_height() + 1,
            },
        )];
        c.duration_ms = 10_000;
        c
    };
    let (_, a) = run(4, config());
    let (_, b) = run(4, config());
    assert_eq!(a, b);
    let mut other = config();
    other.seed = 43;
    let (_, c) = run(4, other);
    println!(
        "digest {} (seed 42, twice), {} (seed 43)",
        a.digest, c.digest
    );
}

// The sweep over thousands of seeded fault schedules (links, partitions, crashes, restarts,
// byzantine members and their attacks) is in `tests/byzantine.rs`.

#[test]
fn n4_validators_keep_themselves_alive() {
    // Genesis validators are confirmed at height 0 and would expire after `expire_after`
    // (devnet: 640) blocks; each confirms again, attested by its peers, from
    // `min_confirm_interval` (500) on.
    let params = setup(4).genesis().params();
    let mut config = Config::new(11);
    config.target_heights = Some(params.nodes.expire_after + 20);
    config.duration_ms = 30 * 60_000;
    let (sim, report) = run(4, config);
    assert!(report.min_honest_heights > params.nodes.expire_after);
    let chain = sim.chain(0).unwrap();
    for i in 0..4 {
        let id = setup(4).node_id(i).unwrap();
        let entry = chain.state().registry().get(&id).cloned().unwrap();
        assert_eq!(
            entry.status,
            flux_nodes::lifecycle::NodeStatus::Confirmed,
            "node {i}: {entry:?}"
        );
        let last = entry.last_confirm.unwrap();
        assert!(
            last >= params.nodes.min_confirm_interval && last <= params.nodes.expire_after,
            "node {i} kept alive at {last}"
        );
    }
}
