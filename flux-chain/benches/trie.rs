//! Benchmarks of the state trie: block-sized batch updates into a 1,000,000-key state, a full
//! build, proofs, and the two ways of hashing a branch.
//!
//! `cargo bench -p flux-chain --bench trie`. Everything runs on one thread. The figure to watch
//! is `trie/update/20000_into_1000000`: the trie work of a block of 10,000 transfers (each
//! touches a sender and a receiver), target well under 40 ms.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // bench code: fail loudly
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::sync::LazyLock;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use flux_chain::trie::{NODE_TAG, Trie};
use flux_core::Hash;
use flux_core::hash::Tag;

const STATE: u32 = 1_000_000;

static KEY: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/bench/key/v1"));
static VALUE: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/bench/value/v1"));

fn key(n: u32) -> Hash {
    KEY.hash(&n.to_le_bytes())
}

fn value(n: u64) -> Hash {
    VALUE.hash(&n.to_le_bytes())
}

/// A deterministic xorshift stream.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed | 1;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

fn state() -> Trie {
    Trie::new().update((0..STATE).map(|n| (key(n), Some(value(u64::from(n))))))
}

/// `count` changes shaped like a block: 95% new values of existing accounts picked at random,
/// 5% new accounts.
fn block_changes(count: usize, seed: u64) -> Vec<(Hash, Option<Hash>)> {
    let mut next = rng(seed);
    (0..count)
        .map(|i| {
            let r = next();
            let k = if i % 20 == 0 {
                key(STATE + (r % u64::from(u32::MAX - STATE)) as u32)
            } else {
                key((r % u64::from(STATE)) as u32)
            };
            (k, Some(value(r)))
        })
        .collect()
}

fn updates(c: &mut Criterion) {
    let base = state();
    let mut group = c.benchmark_group("trie");
    group.sample_size(30);
    for count in [20_000usize, 2_000] {
        let changes = block_changes(count, count as u64);
        group.bench_function(format!("update/{count}_into_{STATE}"), |b| {
            b.iter_batched(
                || changes.clone(),
                |changes| base.update(changes),
                // Each output is dropped before the next run, so the allocator recycles memory
                // as it does on a chain that keeps one version per block.
                BatchSize::PerIteration,
            )
        });
        // The same, also paying for freeing the new version's own nodes (a chain frees one
        // version's replaced nodes per block).
        group.bench_function(format!("update_and_drop/{count}_into_{STATE}"), |b| {
            b.iter_batched(
                || changes.clone(),
                |changes| drop(black_box(base.update(changes))),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn build(c: &mut Criterion) {
    let entries: Vec<_> = (0..STATE)
        .map(|n| (key(n), Some(value(u64::from(n)))))
        .collect();
    let mut group = c.benchmark_group("trie");
    group.sample_size(10);
    group.bench_function(format!("build/{STATE}"), |b| {
        b.iter_batched(
            || entries.clone(),
            |entries| Trie::new().update(entries),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn proofs(c: &mut Criterion) {
    let base = state();
    let root = base.root();
    let mut next = rng(99);
    let keys: Vec<_> = (0..1024)
        .map(|_| key((next() % u64::from(STATE)) as u32))
        .collect();
    let proofs: Vec<_> = keys.iter().map(|k| base.prove(k)).collect();
    let values: Vec<_> = keys.iter().map(|k| base.get(k).unwrap()).collect();
    let mut group = c.benchmark_group("trie");
    let mut i = 0;
    group.bench_function(format!("prove/{STATE}"), |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            base.prove(black_box(&keys[i]))
        })
    });
    group.bench_function(format!("verify/{STATE}"), |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            proofs[i].verify(&root, &keys[i], Some(&values[i])).unwrap()
        })
    });
    let absent = key(STATE + 7);
    let absence = base.prove(&absent);
    group.bench_function(format!("verify_absent/{STATE}"), |b| {
        b.iter(|| absence.verify(&root, black_box(&absent), None).unwrap())
    });
    group.bench_function(format!("get/{STATE}"), |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            base.get(black_box(&keys[i]))
        })
    });
    group.finish();
}

/// A branch hash fed piece by piece to an incremental hasher versus one stack buffer hashed
/// in one shot (what the trie does): same digest.
fn branch_hash(c: &mut Criterion) {
    let tag = Tag::new(NODE_TAG);
    let (l, r) = (value(1), value(2));
    let mut group = c.benchmark_group("trie");
    group.bench_function("hash/branch_incremental", |b| {
        b.iter(|| {
            let mut h = tag.hasher();
            h.update(&17u16.to_le_bytes())
                .update(black_box(&l).as_bytes())
                .update(r.as_bytes());
            h.finalize()
        })
    });
    group.bench_function("hash/branch_oneshot", |b| {
        b.iter(|| {
            let mut buf = [0u8; 66];
            buf[..2].copy_from_slice(&17u16.to_le_bytes());
            buf[2..34].copy_from_slice(black_box(&l).as_bytes());
            buf[34..].copy_from_slice(r.as_bytes());
            tag.hash(&buf)
        })
    });
    group.finish();
}

criterion_group!(benches, branch_hash, proofs, updates, build);
criterion_main!(benches);
