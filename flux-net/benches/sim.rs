//! Simulated throughput of the whole committee: heights decided per wall-clock second by the
//! deterministic simulator (every vote signed, sent as bytes, decoded and verified; every
//! block built, validated and applied by every validator), for n = 4, 16 and 100.

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use flux_net::sim::{Config, Setup, Sim};

fn heights(setup: &Setup, seed: u64, target: u64) -> u64 {
    let mut config = Config::new(seed);
    config.target_heights = Some(target);
    config.duration_ms = 600_000;
    let run = match Sim::new(setup, config) {
        Ok(mut sim) => sim.run(),
        Err(e) => Err(e),
    };
    match run {
        Ok(report) => report.min_honest_heights,
        Err(e) => {
            eprintln!("seed {seed}: {e}");
            0
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(10);
    for (n, target) in [(4usize, 20u64), (16, 10), (100, 2)] {
        let started = Instant::now();
        let setup = match Setup::new(n) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("n = {n}: setup failed: {e}");
                continue;
            }
        };
        let setup_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let decided = heights(&setup, 1, target);
        let secs = started.elapsed().as_secs_f64();
        println!(
            "sim n = {n}: {decided} heights in {secs:.3} s wall = {:.1} heights per wall-second (setup {setup_s:.2} s)",
            decided as f64 / secs
        );
        group.bench_function(format!("n{n}_{target}_heights"), |b| {
            b.iter(|| heights(&setup, 1, target))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
