//! The CPU benchmark workload: solving a challenge against verifying it by spot checks.
//!
//! `bench/cpu/solve/2x1M` and `bench/cpu/verify/2x1M-16` time the two sides of a 2 thread ×
//! 1,000,000 step challenge with a checkpoint every 10,000 steps (200 segments) and 16 samples;
//! the run ends by printing the verify/solve ratio in wall time. The verifier recomputes
//! 16 × 10,000 = 160,000 steps on one thread, the solver 2 × 1,000,000 on two: expected about
//! 16% of the solver's wall time and 8% of its CPU time.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // benchmark harness

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use flux_core::Hash;
use flux_nodes::bench::cpu::{self, CpuChallenge};

const SAMPLES: u32 = 16;

fn challenge() -> CpuChallenge {
    CpuChallenge::new(Hash::digest(b"bench"), 2, 1_000_000, 10_000).unwrap()
}

fn bench_cpu(c: &mut Criterion) {
    let challenge = challenge();
    let proof = cpu::solve(&challenge).unwrap();
    let seed = Hash::digest(b"verifier");
    let mut group = c.benchmark_group("bench/cpu");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(6));
    group.bench_function("solve/2x1M", |b| {
        b.iter(|| cpu::solve(black_box(&challenge)).unwrap())
    });
    group.bench_function("verify/2x1M-16", |b| {
        b.iter(|| cpu::verify(black_box(&challenge), black_box(&proof), SAMPLES, &seed).unwrap())
    });
    group.finish();

    // A direct ratio, measured the same way for both sides (median of 5 runs each).
    let median = |f: &dyn Fn()| {
        let mut t: Vec<Duration> = (0..5)
            .map(|_| {
                let s = Instant::now();
                f();
                s.elapsed()
            })
            .collect();
        t.sort();
        t[2]
    };
    let solve = median(&|| {
        black_box(cpu::solve(&challenge).unwrap());
    });
    let verify = median(&|| cpu::verify(&challenge, &proof, SAMPLES, &seed).unwrap());
    println!(
        "bench/cpu: solve {solve:?}, verify {verify:?}, verify/solve = {:.4} (1/{:.0}); \
         CPU score at solve time: {} hash steps/s",
        verify.as_secs_f64() / solve.as_secs_f64(),
        solve.as_secs_f64() / verify.as_secs_f64(),
        cpu::cpu_score(&challenge, u64::try_from(solve.as_millis()).unwrap()),
    );
}

criterion_group!(benches, bench_cpu);
criterion_main!(benches);
