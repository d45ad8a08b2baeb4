//! Benchmarks of the core primitives: signatures (single and batch), hashing, codec.
//!
//! `cargo bench -p flux-core --bench core`. The batch-verification figure to compare is
//! `ed25519/verify_batch/64` divided by 64 against `ed25519/verify/single`; the run prints that
//! ratio at the end.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flux_core::crypto::{BatchItem, Domain, PublicKey, Scheme, SecretKey, Signature, verify_batch};
use flux_core::params::ChainId;
use flux_core::{Address, Amount, Hash, codec};
use serde::{Deserialize, Serialize};
use std::hint::black_box;

const CHAIN: ChainId = ChainId::DEVNET;

struct Signed {
    pk: PublicKey,
    sig: Signature,
    msg: Vec<u8>,
}

fn signed(scheme: Scheme, n: usize) -> Vec<Signed> {
    (0..n)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            let sk = SecretKey::from_bytes(scheme, &seed).unwrap();
            let msg = vec![i as u8; 180];
            Signed {
                pk: sk.public_key(),
                sig: sk.sign(Domain::TRANSACTION, CHAIN, &msg),
                msg,
            }
        })
        .collect()
}

fn items(set: &[Signed]) -> Vec<BatchItem<'_>> {
    set.iter()
        .map(|s| BatchItem {
            domain: Domain::TRANSACTION,
            chain_id: CHAIN,
            message: &s.msg,
            public_key: &s.pk,
            signature: &s.sig,
        })
        .collect()
}

fn signatures(c: &mut Criterion) {
    for scheme in [Scheme::Ed25519, Scheme::Secp256k1] {
        let mut g = c.benchmark_group(scheme.name());
        let sk = SecretKey::from_bytes(scheme, &[3u8; 32]).unwrap();
        let msg = [1u8; 180];
        g.bench_function("sign/180B", |b| {
            b.iter(|| sk.sign(Domain::TRANSACTION, CHAIN, black_box(&msg)))
        });
        let one = signed(scheme, 1);
        g.bench_function("verify/single", |b| {
            b.iter(|| {
                one[0]
                    .pk
                    .verify(
                        Domain::TRANSACTION,
                        CHAIN,
                        black_box(&one[0].msg),
                        &one[0].sig,
                    )
                    .unwrap()
            })
        });
        g.finish();
    }
    let mut g = c.benchmark_group("ed25519");
    for n in [64usize, 1024] {
        let set = signed(Scheme::Ed25519, n);
        let batch = items(&set);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("verify_batch", n), &batch, |b, batch| {
            b.iter(|| verify_batch(black_box(batch)).unwrap())
        });
    }
    g.finish();
}

fn hashing(c: &mut Criterion) {
    let mut g = c.benchmark_group("blake3");
    for (name, len) in [("256B", 256usize), ("1MiB", 1 << 20)] {
        let data = vec![0xabu8; len];
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(name, |b| {
            b.iter(|| Hash::tagged("flux/bench/v1", black_box(&data)))
        });
    }
    g.finish();
}

/// Shaped like a transfer transaction: about 250 bytes encoded.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct TxLike {
    chain_id: ChainId,
    sender: PublicKey,
    nonce: u64,
    fee: Amount,
    to: Address,
    amount: Amount,
    memo: Vec<u8>,
    signature: Signature,
}

fn codec_bench(c: &mut Criterion) {
    let s = &signed(Scheme::Ed25519, 1)[0];
    let tx = TxLike {
        chain_id: CHAIN,
        sender: s.pk,
        nonce: 42,
        fee: Amount::from_base_units(1_000),
        to: Address::from_public_key(&s.pk),
        amount: Amount::from_base_units(12_345_678),
        memo: vec![9; 86],
        signature: s.sig,
    };
    let len = codec::encode(&tx).unwrap().len();
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Bytes(len as u64));
    g.bench_function(format!("encode_decode/{len}B"), |b| {
        b.iter(|| {
            let bytes = codec::encode(black_box(&tx)).unwrap();
            codec::decode::<TxLike>(&bytes).unwrap()
        })
    });
    g.finish();
}

/// Prints the per-signature cost of a 64-signature batch against single verification, measured
/// here in the same process (criterion's own figures are in its report above).
fn batch_ratio(_: &mut Criterion) {
    let set = signed(Scheme::Ed25519, 64);
    let batch = items(&set);
    let budget = Duration::from_secs(2);
    let per_sig = |f: &dyn Fn()| {
        let (start, mut runs) = (Instant::now(), 0u32);
        while start.elapsed() < budget {
            f();
            runs += 1;
        }
        start.elapsed() / runs
    };
    let single = per_sig(&|| {
        for s in &set {
            s.pk.verify(Domain::TRANSACTION, CHAIN, &s.msg, &s.sig)
                .unwrap();
        }
    }) / 64;
    let batched = per_sig(&|| verify_batch(&batch).unwrap()) / 64;
    println!(
        "ed25519 per signature: single {:.1} µs, batch of 64 {:.1} µs, ratio {:.2}",
        single.as_nanos() as f64 / 1e3,
        batched.as_nanos() as f64 / 1e3,
        batched.as_nanos() as f64 / single.as_nanos() as f64
    );
}

criterion_group!(benches, signatures, hashing, codec_bench, batch_ratio);
criterion_main!(benches);
