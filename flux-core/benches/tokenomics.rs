//! Benchmarks of the emission schedule.
//!
//! `cargo bench -p flux-core --bench tokenomics`. `tokenomics/cumulative_emission/1e9` must stay
//! under 10 µs: it walks the schedule's periods (184 on mainnet), not the heights.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use flux_core::ChainParams;
use flux_core::tokenomics::{cumulative_emission, split, subsidy, supply_at};

fn tokenomics(c: &mut Criterion) {
    let p = ChainParams::mainnet();
    let mut g = c.benchmark_group("tokenomics");
    g.bench_function("cumulative_emission/1e9", |b| {
        b.iter(|| cumulative_emission(black_box(1_000_000_000), black_box(&p)))
    });
    g.bench_function("cumulative_emission/1e7", |b| {
        b.iter(|| cumulative_emission(black_box(10_000_000), black_box(&p)))
    });
    g.bench_function("subsidy/1e9", |b| {
        b.iter(|| subsidy(black_box(1_000_000_000), black_box(&p)))
    });
    g.bench_function("supply_at/1e9", |b| {
        b.iter(|| {
            supply_at(
                black_box(1_000_000_000),
                black_box(p.supply.initial_subsidy),
                &p,
            )
        })
    });
    g.bench_function("split/14", |b| {
        b.iter(|| split(black_box(p.supply.initial_subsidy), black_box(&p)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, tokenomics);
criterion_main!(benches);
