//! Placement benchmarks: from scratch at the live network's size (100k instances) and far
//! beyond (1M), and healing after one node fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use flux_core::{ChainParams, Hash};
use flux_nodes::placement::{Placement, PlacementNode, Workload, synthetic};

const NODES: u32 = 13_500;

fn realistic(instances: u64) -> (Vec<PlacementNode>, Vec<Workload>) {
    let p = ChainParams::mainnet();
    let seed = Hash::digest(b"bench");
    let nodes = synthetic::nodes(NODES, 1, seed, &p).unwrap();
    // Grow the app list until it asks for `instances` instances.
    let mut apps = synthetic::apps(instances as u32 / 4, &nodes, seed, &p).unwrap();
    let mut total: u64 = apps.iter().map(|a| u64::from(a.instances)).sum();
    while total > instances {
        total -= u64::from(apps.pop().unwrap().instances);
    }
    let top = synthetic::tiny_apps(instances - total, Hash::digest(b"top"), &p);
    apps.extend(top);
    (nodes, apps)
}

fn scale() -> (Vec<PlacementNode>, Vec<Workload>) {
    let p = ChainParams::mainnet();
    let seed = Hash::digest(b"bench");
    // Twice the tier minima so 1M instances of 0.1 CPU fit (about 60% of the CPU).
    let nodes = synthetic::nodes(NODES, 2, seed, &p).unwrap();
    let apps = synthetic::tiny_apps(1_000_000, seed, &p);
    (nodes, apps)
}

fn report(name: &str, nodes: &[PlacementNode], apps: &[Workload]) {
    let start = std::time::Instant::now();
    let placed = Placement::build(Hash::digest(b"seed"), nodes.to_vec(), apps.to_vec()).unwrap();
    let missing: u32 = placed.unplaced().iter().map(|u| u.missing).sum();
    eprintln!(
        "{name}: {} instances placed, {missing} unplaced, {:?} (one run)",
        placed.placed_instances(),
        start.elapsed()
    );
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("placement");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));

    let (nodes, apps) = realistic(100_000);
    report("13500_nodes_100000_instances", &nodes, &apps);
    group.bench_function("scratch/13500_nodes_100000_instances", |b| {
        b.iter_batched(
            || (nodes.clone(), apps.clone()),
            |(n, a)| black_box(Placement::build(Hash::digest(b"seed"), n, a).unwrap()),
            BatchSize::LargeInput,
        );
    });

    let placed = Placement::build(Hash::digest(b"seed"), nodes.clone(), apps.clone()).unwrap();
    let mut victims = nodes.iter().map(|n| n.id).cycle();
    group.bench_function("heal/one_node", |b| {
        b.iter_batched(
            || (placed.clone(), victims.next().unwrap()),
            |(mut p, v)| black_box(p.remove_nodes(&[v]).unwrap()),
            BatchSize::SmallInput,
        );
    });

    let (nodes, apps) = scale();
    report("13500_nodes_1000000_instances", &nodes, &apps);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.bench_function("scratch/13500_nodes_1000000_instances", |b| {
        b.iter_batched(
            || (nodes.clone(), apps.clone()),
            |(n, a)| black_box(Placement::build(Hash::digest(b"seed"), n, a).unwrap()),
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
