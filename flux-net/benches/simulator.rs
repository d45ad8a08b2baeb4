//! `flux sim --fast` throughput: blocks per second of a 13,500-node network (the issue-12
//! target is a year, 1,051,200 blocks, in 10 minutes: 1,752 blocks/s; the first cut ran about
//! 8 blocks/s). The network is built and run past the first keep-alive window (every node then
//! confirms every 560 blocks, ~24 confirms a block) before the measurement.
//!
//! `cargo bench -p flux-net --bench simulator` (`FLUX_SIM_BENCH_NODES` sets another node count).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // bench code
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flux_net::simulator::{Scenario, Simulation, scenario};

/// Blocks per second of the first cut, for comparison.
const FIRST_CUT_BLOCKS_PER_S: f64 = 8.0;

fn nodes() -> u32 {
    std::env::var("FLUX_SIM_BENCH_NODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(13_500)
}

fn step(c: &mut Criterion) {
    let nodes = nodes();
    let scenario = Scenario::from_toml(scenario::BASELINE).unwrap();
    let mut sim = Simulation::new(nodes, scenario, 1).unwrap();
    for _ in 0..700 {
        sim.step().unwrap();
    }
    // One plain measurement, printed against the first cut.
    let blocks = 2_000;
    let started = Instant::now();
    for _ in 0..blocks {
        sim.step().unwrap();
    }
    let rate = f64::from(blocks) / started.elapsed().as_secs_f64();
    println!(
        "sim/step/{nodes}: {rate:.0} blocks/s ({:.0}x the first cut's {FIRST_CUT_BLOCKS_PER_S}; \
         a year of 1,051,200 blocks in {:.1} min)",
        rate / FIRST_CUT_BLOCKS_PER_S,
        1_051_200.0 / rate / 60.0
    );
    let mut group = c.benchmark_group("sim");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(format!("step/{nodes}"), |b| {
        b.iter(|| sim.step().unwrap());
    });
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
