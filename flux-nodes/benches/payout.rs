//! Payout queues at the scale of the live network: 13,500 confirmed nodes, 10,000 blocks, each
//! block firing its deadlines and paying the head of each tier, with 1% churn (135 exits and
//! 135 new nodes started and confirmed) every 100 blocks.
//!
//! `cargo bench -p flux-nodes --bench payout`. Attestation signatures are not part of this
//! figure (the preset's verifier count is set to 0 here); they cost five Ed25519 verifications
//! per confirm, measured in flux-core's benches. Keep-alives are switched off by a long expiry
//! for the same reason. The run prints the per-block cost (target: under 50 µs).

#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use flux_core::crypto::{PublicKey, Scheme, SecretKey};
use flux_core::{Address, ChainParams, Hash, Tier};
use flux_nodes::attestation::BenchmarkEvidence;
use flux_nodes::node::NodeId;
use flux_nodes::registry::{NodeOffer, Registry};

const NODES: usize = 13_500;
const BLOCKS: u64 = 10_000;
const CHURN: usize = 135;

fn params() -> ChainParams {
    let mut p = ChainParams::mainnet();
    p.nodes.bench_verifiers = 0;
    p.nodes.expire_after = 10 * BLOCKS;
    p.nodes.min_confirm_interval = 1;
    p
}

fn operators(n: usize) -> Vec<PublicKey> {
    (0..n as u64)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&i.to_le_bytes());
            SecretKey::from_bytes(Scheme::Ed25519, &seed)
                .unwrap()
                .public_key()
        })
        .collect()
}

/// Live Flux's mix: about 60% Cumulus, 25% Nimbus, 15% Stratus.
fn tier(i: usize) -> Tier {
    match i % 20 {
        0..=11 => Tier::Cumulus,
        12..=16 => Tier::Nimbus,
        _ => Tier::Stratus,
    }
}

fn join(r: &mut Registry, op: PublicKey, i: usize, height: u64, p: &ChainParams) {
    let t = tier(i);
    let req = NodeOffer {
        operator: op,
        tier: t,
        collateral: t.collateral(p),
        endpoint: format!("10.{}.{}.1:16127", i / 250 % 250, i % 250),
        geolocation: "EU_DE".parse().unwrap(),
        declared: t.minimum(p),
    };
    r.start(Address::from_bytes([(i % 251) as u8; 20]), req, height, p)
        .unwrap();
    let ev = BenchmarkEvidence {
        seed_height: height - 1,
        hardware: t.minimum(p),
        cpu_score: 1,
        attestations: vec![],
    };
    let id = NodeId::of(&op);
    r.confirm(&id, &op, &ev, Some(Hash::ZERO), height, p)
        .unwrap();
}

/// Runs the 10,000 blocks on `r`; returns how many payouts were made.
fn run(mut r: Registry, fresh: &[PublicKey], p: &ChainParams) -> (Registry, u64) {
    let mut paid = 0;
    let mut next = 0;
    for h in 2..2 + BLOCKS {
        r.on_block(h, p).unwrap();
        if h % 100 == 0 {
            let leaving: Vec<(NodeId, Address)> = r
                .payout()
                .iter(Tier::ALL[(h / 100 % 3) as usize])
                .take(CHURN)
                .map(|(_, id)| (*id, r.get(id).unwrap().owner))
                .collect();
            for (id, owner) in leaving {
                r.exit(&id, &owner, h, p).unwrap();
            }
            for _ in 0..CHURN {
                join(&mut r, fresh[next], NODES + next, h, p);
                next += 1;
            }
        }
        for t in Tier::ALL {
            paid += u64::from(r.pay(t, h).is_some());
        }
    }
    (r, paid)
}

fn bench(c: &mut Criterion) {
    let p = params();
    let ops = operators(NODES + CHURN * (BLOCKS as usize / 100));
    let mut base = Registry::new();
    for (i, op) in ops[..NODES].iter().enumerate() {
        join(&mut base, *op, i, 1, &p);
    }
    let fresh = &ops[NODES..];
    let mut g = c.benchmark_group("nodes");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("payout/13500_nodes/10000_blocks", |b| {
        b.iter_batched(
            || base.clone(),
            |r| run(r, fresh, &p),
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let start = Instant::now();
    let (end, paid) = run(base.clone(), fresh, &p);
    let elapsed = start.elapsed();
    println!(
        "payout queues: {NODES} nodes, {BLOCKS} blocks, {CHURN} exits + {CHURN} joins per 100 blocks: \
         {:.1} µs per block ({paid} payouts, {} entries at the end)",
        elapsed.as_secs_f64() * 1e6 / BLOCKS as f64,
        end.len()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
