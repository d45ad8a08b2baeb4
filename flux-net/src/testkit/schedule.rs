//! Seeded fault schedules: one seed names a whole adverse run of the simulated network (its
//! links, partitions, crashes and restarts, and byzantine members with their attacks), so a
//! sweep over thousands of seeds covers combinations no one would write by hand, and a
//! failing seed replays exactly.
//!
//! A schedule stays within what BFT promises to survive: at any time at most `f = (n - 1) / 3`
//! members are byzantine or crashed together; partitions come on top (they stall the network
//! and heal). Every fault heals within [`HEAL_BY_MS`], and the schedule's
//! [`Config::target_heights`] asks for a few heights more than that time is worth, so a run
//! that reaches its target has also made progress after every heal.
//!
//! ```
//! use flux_net::sim::{Setup, Sim};
//! use flux_net::testkit::schedule::fault_schedule;
//!
//! let setup = Setup::new(4)?;
//! let config = fault_schedule(7, &setup);
//! let target = config.target_heights.unwrap_or(0);
//! let report = Sim::new(&setup, config)?.run()?;
//! assert!(report.min_honest_heights >= target);
//! # Ok::<(), flux_net::sim::SimError>(())
//! ```

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::sim::{Config, Crash, Fault, Link, Partition, Setup, Strategies, Strategy};

/// Every partition heals and every crashed member restarts by this simulated time, ms.
pub const HEAL_BY_MS: u64 = 3_000;

/// Heights a schedule's run must decide beyond [`HEAL_BY_MS`]'s worth (one a second).
pub const HEIGHTS_AFTER_HEAL: u64 = 2;

/// The attacks a schedule draws from: every [`Strategy`] but
/// [`OversizedBlocks`](Strategy::OversizedBlocks), whose 4.6 MiB of transactions cost every
/// host seconds of encoding in a debug build (it has its own tests).
pub fn sweep_strategies() -> Strategies {
    Strategies::of(
        &Strategy::ALL
            .into_iter()
            .filter(|s| *s != Strategy::OversizedBlocks)
            .collect::<Vec<_>>(),
    )
}

/// The fault schedule of `seed` for `setup`'s validators. See the module docs.
///
/// Drawn from the seed: links (latency, jitter, up to 15% loss and 10% duplicates); `b ≤ f`
/// byzantine members, each silent, sending garbage, equivocating at an early height, or (most
/// often) running a random non-empty set of [`sweep_strategies`]; up to `f - b` honest members
/// crashing in the first seconds and restarting (or, one time in four, not: then the others
/// must go on without them); one time in three, a partition into two random groups. The run
/// ends at its target height or after a simulated minute beyond the heal.
pub fn fault_schedule(seed: u64, setup: &Setup) -> Config {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draw = |n: u64| rng.next_u64() % n.max(1);
    let n = setup.len();
    let f = (n - 1) / 3;
    let mut config = Config::new(seed);
    config.link = Link {
        latency_ms: 5 + draw(45),
        jitter_ms: draw(120),
        loss_ppm: draw(4) as u32 * 50_000,
        duplicate_ppm: draw(3) as u32 * 50_000,
    };
    let mut free: Vec<usize> = (0..n).collect();
    let mut pick = |draw: &mut dyn FnMut(u64) -> u64| {
        let k = draw(free.len() as u64) as usize;
        free.remove(k.min(free.len().saturating_sub(1)))
    };
    let byzantine = draw(f as u64 + 1) as usize;
    for _ in 0..byzantine {
        let v = pick(&mut draw);
        let start = setup.start_height();
        let fault = match draw(8) {
            0 => Fault::Silent,
            1 => Fault::Garbage,
            2 => Fault::Equivocating {
                height: start + 1 + draw(3),
            },
            _ => loop {
                let bits = draw(1 << Strategy::ALL.len()) as u16;
                let s = Strategies::from_bits(bits & sweep_strategies().bits());
                if !s.is_empty() {
                    break Fault::Byzantine(s);
                }
            },
        };
        config.faults.push((v, fault));
    }
    let crashes = draw((f - byzantine) as u64 + 1) as usize;
    for _ in 0..crashes {
        let validator = pick(&mut draw);
        let at_ms = draw(HEAL_BY_MS / 2);
        let restart_ms = (draw(4) != 0).then(|| at_ms + 500 + draw(HEAL_BY_MS - at_ms - 500));
        config.crashes.push(Crash {
            validator,
            at_ms,
            restart_ms,
        });
    }
    if draw(3) == 0 {
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            order.swap(i, draw(i as u64 + 1) as usize);
        }
        let cut = 1 + draw(n as u64 - 1) as usize;
        let from_ms = draw(HEAL_BY_MS * 2 / 3);
        config.partitions.push(Partition {
            groups: vec![order[..cut].to_vec(), order[cut..].to_vec()],
            from_ms,
            heal_ms: from_ms + 500 + draw(HEAL_BY_MS - from_ms - 500),
        });
    }
    config.target_heights = Some(HEAL_BY_MS / 1_000 + HEIGHTS_AFTER_HEAL);
    config.duration_ms = HEAL_BY_MS + 60_000;
    config
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn schedules_stay_within_f_and_heal() {
        let setup = Setup::new(7).unwrap();
        for seed in 0..500 {
            let c = fault_schedule(seed, &setup);
            assert_eq!(c, fault_schedule(seed, &setup), "deterministic");
            assert!(c.faults.len() + c.crashes.len() <= 2, "seed {seed}: {c:?}");
            assert!(c.partitions.iter().all(|p| p.heal_ms <= HEAL_BY_MS));
            assert!(
                c.crashes
                    .iter()
                    .all(|k| k.restart_ms.is_none_or(|r| r <= HEAL_BY_MS))
            );
            for (_, f) in &c.faults {
                if let Fault::Byzantine(s) = f {
                    assert!(!s.is_empty() && !s.contains(Strategy::OversizedBlocks));
                }
            }
        }
    }
}
