//! The network recipes of `TESTING.md`, as tests (the code blocks there are copied from here).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;

use flux_net::message::Message;
use flux_net::testkit::codec_checks::round_trips;
use flux_net::testkit::invariants::heights_within;
use flux_net::testkit::proptest::prelude::*;
use flux_net::testkit::strategies::arb;
use flux_net::testkit::{NetworkFixture, NetworkFixtureError};

// Recipe 3: a partition scenario on the simulated network.
/// Four validators split 2 | 2 from 2 s to 8 s: neither side has the 2/3 it needs, so no
/// height is decided while the partition lasts; after the heal they catch up together.
#[test]
fn recipe_n4_partition_2_2_stalls_then_heals() {
    let stalled_at = Cell::new(None::<u64>);
    let fixture = NetworkFixture::new(4)
        .unwrap()
        .seed_from_env(11) // FLUX_TESTKIT_SEED=<seed> replays a failure
        .partition(vec![vec![0, 1], vec![2, 3]], 2_000, 8_000)
        .duration_ms(20_000)
        // Your own invariant, checked after every step of the run.
        .invariant("the two sides stay within a height", |sim, n| {
            heights_within(sim, &(0..n).collect::<Vec<_>>(), 1)
        });
    let report = fixture
        .run_with(|sim| {
            // Between 2.5 s (what was in flight has landed) and the heal, nothing is decided.
            if !(2_500..8_000).contains(&sim.now()) {
                return Ok(());
            }
            let height = sim.chain(0).map_or(0, |c| c.height());
            match stalled_at.get() {
                None => stalled_at.set(Some(height)),
                Some(h) if h != height => return Err(format!("height {height} decided")),
                Some(_) => {}
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    // After the heal: about a height per second again, every validator together.
    assert!(report.min_honest_heights >= 12, "{report:?}");
    assert!(
        report
            .heights
            .iter()
            .all(|&h| h >= report.min_honest_heights)
    );
}

// Recipe 5 (network): a seed names a run. The same seed gives the same final state, and a
// broken invariant names the seed to replay with `FLUX_TESTKIT_SEED`.
#[test]
fn recipe_a_seed_replays_a_run_and_failures_name_it() {
    let run = |seed| {
        NetworkFixture::new(4)
            .unwrap()
            .seed(seed)
            .crash(3, 1_500, Some(4_000)) // crash and recovery of validator 3
            .until_heights(6)
            .run()
            .unwrap()
    };
    assert_eq!(run(21).digest, run(21).digest);

    let err = NetworkFixture::new(4)
        .unwrap()
        .seed(99)
        .invariant("never past height 2", |sim, _| match sim.chain(0) {
            Some(c) if c.height() > 2 => Err(format!("height {}", c.height())),
            _ => Ok(()),
        })
        .run()
        .unwrap_err();
    assert!(matches!(
        err,
        NetworkFixtureError::Invariant { seed: 99, .. }
    ));
    assert!(
        err.to_string()
            .starts_with("seed 99: invariant `never past height 2`")
    );
}

// Arbitrary gossip: whatever a byzantine peer could send round-trips canonically.
proptest! {
    #[test]
    fn arbitrary_messages_round_trip(m in arb::<Message>()) {
        round_trips(&m)?;
    }
}
