//! How fast the test kit draws valid blocks (fuzzing and property tests call it per case):
//! `cargo bench -p flux-chain --bench testkit --features testkit`.
//!
//! `testkit/valid_block_on/100`: one block of 100 valid transfers from 32 funded keys, on a
//! fixture chain advanced 10 blocks, built by the chain's own block builder (so it includes
//! signing 100 transactions and computing the state root). After criterion's figure the run
//! prints blocks (values) per second, and the same for `arb::<Block>`-style arbitrary blocks.

#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use flux_chain::block::Block;
use flux_chain::testkit::arbitrary::{Arbitrary, Unstructured};
use flux_chain::testkit::keys::seeded_keys;
use flux_chain::testkit::{Gen, GenesisBuilder, valid_block_on};
use flux_core::Amount;

const TXS: usize = 100;

fn bench(c: &mut Criterion) {
    let keys = seeded_keys(32);
    let mut fx = GenesisBuilder::new()
        .accounts(&keys, Amount::from_flux(10_000).unwrap())
        .fixture()
        .unwrap();
    fx.advance(10, 1).unwrap();
    let state = fx.state().clone();

    let mut group = c.benchmark_group("testkit");
    group.sample_size(20);
    let mut seed = 0u64;
    group.bench_function(format!("valid_block_on/{TXS}"), |b| {
        b.iter(|| {
            seed += 1;
            let block = valid_block_on(&state, &keys, TXS, &mut Gen::new(seed)).unwrap();
            assert_eq!(block.txs.len(), TXS);
            block
        })
    });
    group.finish();

    // A plain figure for the report: values per second over two seconds.
    let per_second = |f: &mut dyn FnMut(u64)| {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < Duration::from_secs(2) {
            f(n);
            n += 1;
        }
        n as f64 / start.elapsed().as_secs_f64()
    };
    let valid = per_second(&mut |seed| {
        valid_block_on(&state, &keys, TXS, &mut Gen::new(seed)).unwrap();
    });
    println!(
        "testkit/valid_block_on/{TXS}: {valid:.0} blocks/s ({:.0} valid txs/s)",
        valid * TXS as f64
    );
    let bytes: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let arbitrary = per_second(&mut |seed| {
        let start = (seed as usize * 97) % (bytes.len() - 4096);
        let _ = Block::arbitrary(&mut Unstructured::new(&bytes[start..start + 4096]));
    });
    println!("testkit/arbitrary_block: {arbitrary:.0} blocks/s");
}

criterion_group!(benches, bench);
criterion_main!(benches);
