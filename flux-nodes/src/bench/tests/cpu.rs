//! Tests of the CPU workload: honest proofs verify, forgeries are caught, nothing panics.

use flux_core::{Hash, codec};
use proptest::prelude::*;

use crate::bench::BenchError;
use crate::bench::cpu::{self, CpuChallenge, CpuProof, MAX_CHECKPOINTS, MAX_THREADS, Segment};

fn small(seed: u8, threads: u32, segments: u64, interval: u64) -> CpuChallenge {
    CpuChallenge::new(
        Hash::digest(&[seed]),
        threads,
        segments * interval,
        interval,
    )
    .unwrap()
}

#[test]
fn honest_proof_verifies_and_is_deterministic() {
    let c = small(1, 3, 5, 100);
    let p = cpu::solve(&c).unwrap();
    assert_eq!(p.checkpoints.len(), 3);
    assert!(p.checkpoints.iter().all(|t| t.len() == 5));
    assert_eq!(p, cpu::solve(&c).unwrap());
    for samples in [0, 1, 4, 15, 1_000] {
        cpu::verify(&c, &p, samples, &Hash::digest(b"s")).unwrap();
    }
    // The last checkpoint is the whole chain, computed sequentially.
    assert_eq!(p.checkpoints[2][4], cpu::chain(c.start(2), 500));
    // Threads and seeds give distinct chains.
    assert_ne!(c.start(0), c.start(1));
    assert_ne!(small(2, 3, 5, 100).start(0), c.start(0));
}

#[test]
fn challenge_and_proof_round_trip_the_codec() {
    let c = small(3, 2, 2, 10);
    let p = cpu::solve(&c).unwrap();
    assert_eq!(
        codec::decode::<CpuChallenge>(&codec::encode(&c).unwrap()).unwrap(),
        c
    );
    assert_eq!(
        codec::decode::<CpuProof>(&codec::encode(&p).unwrap()).unwrap(),
        p
    );
}

#[test]
fn absurd_challenges_are_rejected_before_any_work() {
    let seed = Hash::ZERO;
    let bad = [
        (0, 10, 10),
        (MAX_THREADS + 1, 10, 10),
        (u32::MAX, u64::MAX, 1),
        (1, 0, 10),
        (1, 10, 0),
        (1, 15, 10),
        (1, MAX_CHECKPOINTS + 1, 1),
        (MAX_THREADS, 1 << 40, 1 << 40),
        (2, u64::MAX, 1 << 63),
    ];
    for (threads, steps, interval) in bad {
        let c = CpuChallenge {
            seed,
            threads,
            steps_per_thread: steps,
            checkpoint_interval: interval,
        };
        assert!(c.check().is_err(), "{c:?}");
        assert!(cpu::solve(&c).is_err(), "{c:?}");
        assert!(cpu::verify(&c, &CpuProof::default(), 1, &seed).is_err());
    }
}

#[test]
fn wrong_shapes_are_rejected() {
    let c = small(4, 2, 3, 10);
    let p = cpu::solve(&c).unwrap();
    let mut fewer = p.clone();
    fewer.checkpoints.pop();
    assert!(matches!(
        cpu::verify(&c, &fewer, 6, &Hash::ZERO),
        Err(BenchError::ProofThreads {
            expected: 2,
            found: 1
        })
    ));
    let mut short = p.clone();
    short.checkpoints[1].pop();
    assert!(matches!(
        cpu::verify(&c, &short, 6, &Hash::ZERO),
        Err(BenchError::ProofCheckpoints {
            thread: 1,
            expected: 3,
            found: 2
        })
    ));
    let mut long = p;
    long.checkpoints[0].push(Hash::ZERO);
    assert!(matches!(
        cpu::verify(&c, &long, 0, &Hash::ZERO),
        Err(BenchError::ProofCheckpoints { thread: 0, .. })
    ));
}

#[test]
fn fabricated_proof_fails() {
    let c = small(5, 2, 8, 50);
    let fake = CpuProof {
        checkpoints: (0..2u8)
            .map(|t| (0..8u8).map(|k| Hash::digest(&[t, k])).collect())
            .collect(),
    };
    assert!(matches!(
        cpu::verify(&c, &fake, 1, &Hash::ZERO),
        Err(BenchError::SegmentMismatch { .. })
    ));
    // Doing half of each chain and copying the last checkpoint forward skips half the work.
    let honest = cpu::solve(&c).unwrap();
    let mut lazy = honest.clone();
    for chain in &mut lazy.checkpoints {
        let mid = chain[3];
        for x in &mut chain[4..] {
            *x = mid;
        }
    }
    assert!(cpu::verify(&c, &lazy, 16, &Hash::ZERO).is_err());
}

#[test]
fn sampling_is_distinct_sorted_bounded_and_bound_to_the_proof() {
    let c = small(6, 4, 25, 10);
    let p = cpu::solve(&c).unwrap();
    let s = cpu::sample_segments(&c, &p, 30, &Hash::ZERO).unwrap();
    assert_eq!(s.len(), 30);
    assert!(s.windows(2).all(|w| w[0] < w[1]));
    assert!(s.iter().all(|g| g.thread < 4 && g.index < 25));
    let all = cpu::sample_segments(&c, &p, 1_000, &Hash::ZERO).unwrap();
    assert_eq!(all.len(), 100);
    // Another verifier seed, or any change to the proof, draws other segments.
    assert_ne!(
        s,
        cpu::sample_segments(&c, &p, 30, &Hash::digest(b"x")).unwrap()
    );
    let mut q = p.clone();
    q.checkpoints[3][24] = Hash::ZERO;
    assert_ne!(s, cpu::sample_segments(&c, &q, 30, &Hash::ZERO).unwrap());
}

#[test]
fn score_is_integer_and_monotonic() {
    let c = small(7, 2, 10, 1_000);
    assert_eq!(cpu::cpu_score(&c, 1_000), 20_000);
    assert_eq!(cpu::cpu_score(&c, 0), cpu::cpu_score(&c, 1));
    assert_eq!(cpu::cpu_score(&c, 3), 6_666_666);
    let mut last = u64::MAX;
    for ms in [1, 2, 3, 10, 999, 1_000, 1_001, u64::MAX] {
        let s = cpu::cpu_score(&c, ms);
        assert!(s <= last);
        last = s;
    }
    let huge = CpuChallenge {
        seed: Hash::ZERO,
        threads: u32::MAX,
        steps_per_thread: u64::MAX,
        checkpoint_interval: 1,
    };
    assert_eq!(cpu::cpu_score(&huge, 1), u64::MAX);
}

fn challenge() -> impl Strategy<Value = CpuChallenge> {
    (any::<[u8; 32]>(), 1u32..4, 1u64..6, 1u64..40).prop_map(|(s, t, k, i)| CpuChallenge {
        seed: Hash::from_bytes(s),
        threads: t,
        steps_per_thread: k * i,
        checkpoint_interval: i,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_honest_verifies(c in challenge(), samples in 0u32..20, seed in any::<[u8; 32]>()) {
        let p = cpu::solve(&c).unwrap();
        prop_assert!(cpu::verify(&c, &p, samples, &Hash::from_bytes(seed)).is_ok());
    }

    /// One changed checkpoint breaks exactly the segment ending there (and the one starting
    /// there, if any): caught whenever either is sampled or is a first segment, always when all
    /// are.
    #[test]
    fn prop_changed_checkpoint_is_caught_when_sampled(
        c in challenge(), pick in any::<(u32, u64)>(), flip in 0usize..32,
        samples in 1u32..8, seed in any::<[u8; 32]>(),
    ) {
        let mut p = cpu::solve(&c).unwrap();
        let thread = pick.0 % c.threads;
        let index = pick.1 % c.segments_per_thread();
        let mut bytes = p.checkpoints[thread as usize][index as usize].to_bytes();
        bytes[flip] ^= 1;
        p.checkpoints[thread as usize][index as usize] = Hash::from_bytes(bytes);
        let seed = Hash::from_bytes(seed);
        let drawn = cpu::sample_segments(&c, &p, samples, &seed).unwrap();
        let broken = [Segment { thread, index }, Segment { thread, index: index + 1 }];
        // Every thread's first segment is checked besides the drawn ones.
        let hit = drawn.iter().any(|s| broken.contains(s)) || broken.iter().any(|s| s.index == 0);
        prop_assert_eq!(cpu::verify(&c, &p, samples, &seed).is_err(), hit);
        let everything = c.threads.saturating_mul(c.segments_per_thread() as u32);
        let is_mismatch = matches!(
            cpu::verify(&c, &p, everything, &seed),
            Err(BenchError::SegmentMismatch { .. })
        );
        prop_assert!(is_mismatch);
    }

    /// Arbitrary challenges and proofs never panic; verification of junk fails or is trivially
    /// small.
    #[test]
    fn prop_random_input_never_panics(
        seed in any::<[u8; 32]>(), threads in any::<u32>(), steps in any::<u64>(),
        interval in any::<u64>(), rows in proptest::collection::vec(0usize..6, 0..5),
        samples in any::<u32>(),
    ) {
        let c = CpuChallenge {
            seed: Hash::from_bytes(seed), threads, steps_per_thread: steps,
            checkpoint_interval: interval,
        };
        let p = CpuProof {
            checkpoints: rows.iter().map(|n| vec![Hash::from_bytes(seed); *n]).collect(),
        };
        // A valid challenge may still be large; only verify (cheap: it samples) when it is small.
        if c.check().is_err() || interval <= 1 << 16 {
            let _ = cpu::verify(&c, &p, samples, &Hash::ZERO);
        }
        let _ = cpu::cpu_score(&c, steps);
    }

    /// Mutated encodings of a valid proof decode to something that verifies only if unchanged.
    #[test]
    fn prop_mutated_bytes_never_panic(c in challenge(), at in any::<usize>(), x in any::<u8>()) {
        let p = cpu::solve(&c).unwrap();
        let mut bytes = codec::encode(&p).unwrap();
        let i = at % bytes.len();
        bytes[i] ^= x | 1;
        if let Ok(q) = codec::decode::<CpuProof>(&bytes) {
            let all = u32::MAX;
            prop_assert!(cpu::verify(&c, &q, all, &Hash::ZERO).is_err() || q == p);
        }
    }

    #[test]
    fn prop_score_monotonic(c in challenge(), a in any::<u64>(), b in any::<u64>()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(cpu::cpu_score(&c, lo) >= cpu::cpu_score(&c, hi));
        let mut more = c;
        more.steps_per_thread = c.steps_per_thread.saturating_mul(2);
        prop_assert!(cpu::cpu_score(&more, lo) >= cpu::cpu_score(&c, lo));
    }
}

#[test]
fn a_proof_computed_for_another_seed_never_passes() {
    // Many segments and few samples: before the first segments were always checked, an
    // answer precomputed for another seed passed almost always (only its first segments are
    // wrong). Now every sample seed catches it.
    let old = small(1, 3, 64, 50);
    let new = small(2, 3, 64, 50);
    let reused = cpu::solve(&old).unwrap();
    for s in 0..32u8 {
        let sample_seed = Hash::digest(&[s]);
        assert!(matches!(
            cpu::verify(&new, &reused, 2, &sample_seed),
            Err(BenchError::SegmentMismatch { segment: 0, .. })
        ));
    }
    cpu::verify(&new, &cpu::solve(&new).unwrap(), 2, &Hash::digest(b"x")).unwrap();
}
