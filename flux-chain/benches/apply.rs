//! Applying blocks of transfers, from decoding to committed state root, against raw batch
//! verification of the same signatures: `cargo bench -p flux-chain --bench apply`.
//!
//! The chain state holds 100,000 accounts besides the senders. Each transfer comes from a
//! distinct sender and pays a new account, so a block of n transfers changes 2n + 2 accounts.
//! After criterion's figures the run prints txs/s and the ratios (target: at most 1.5x the
//! signature verification in memory, 2.5x with redb).

#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use flux_chain::block::Block;
use flux_chain::genesis::{Allocation, Genesis};
use flux_chain::state::State;
use flux_chain::store::{RedbStore, Store};
use flux_chain::transition::{apply_block, build_block};
use flux_chain::tx::{Transaction, Transfer, TxKind};
use flux_core::crypto::{BatchItem, Domain, Scheme, SecretKey, verify_batch};
use flux_core::{Address, Amount, ChainId, Network, codec};

const BYSTANDERS: u64 = 100_000;

struct Fixture {
    state: State,
    block_bytes: Vec<u8>,
    block: Block,
}

fn fixture(n: usize) -> Fixture {
    let keys: Vec<SecretKey> = (0..n as u64)
        .map(|i| {
            let mut seed = [0x33u8; 32];
            seed[..8].copy_from_slice(&(i + 1).to_le_bytes());
            SecretKey::from_bytes(Scheme::Ed25519, &seed).unwrap()
        })
        .collect();
    let mut allocations: Vec<Allocation> = keys
        .iter()
        .map(|k| Allocation {
            address: Address::from_public_key(&k.public_key()).to_bech32(Network::Devnet),
            amount: Amount::from_flux(100).unwrap(),
        })
        .collect();
    allocations.extend((0..BYSTANDERS).map(|i| {
        let mut a = [0u8; 20];
        a[..8].copy_from_slice(&i.to_le_bytes());
        a[19] = 0xbb;
        Allocation {
            address: Address::from_bytes(a).to_bech32(Network::Devnet),
            amount: Amount::ONE_FLUX,
        }
    }));
    let genesis = Genesis {
        network: Network::Devnet,
        chain_id: ChainId::DEVNET,
        timestamp_ms: 1,
        allocations,
        nodes: Vec::new(),
        params: Default::default(),
    };
    let state = genesis.state().unwrap();
    let txs: Vec<Transaction> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mut to = [0u8; 20];
            to[..8].copy_from_slice(&(i as u64).to_le_bytes());
            to[19] = 0xcc;
            let kind = TxKind::Transfer(Transfer {
                to: Address::from_bytes(to),
                amount: Amount::from_base_units(1_000 + i as u64),
            });
            Transaction::sign(k, ChainId::DEVNET, 0, Amount::from_base_units(500), kind).unwrap()
        })
        .collect();
    let block = build_block(&state, &keys[0], 1_000, vec![], txs).unwrap();
    let block_bytes = codec::encode(&block).unwrap();
    Fixture {
        state,
        block_bytes,
        block,
    }
}

/// Raw batch verification of the block's signatures (payloads prepared outside the timing).
fn verify_signatures(block: &Block, payloads: &[Vec<u8>]) {
    let items: Vec<BatchItem<'_>> = block
        .txs
        .iter()
        .zip(payloads)
        .map(|(tx, p)| BatchItem {
            domain: Domain::TRANSACTION,
            chain_id: tx.chain_id,
            message: p,
            public_key: &tx.sender,
            signature: &tx.signature,
        })
        .collect();
    verify_batch(&items).unwrap();
}

fn apply_in_memory(state: &mut State, bytes: &[u8]) {
    let block: Block = codec::decode(bytes).unwrap();
    let (diff, _) = apply_block(state, &block).unwrap();
    state.commit(diff);
}

fn apply_with_redb(state: &mut State, store: &mut RedbStore, bytes: &[u8]) {
    let block: Block = codec::decode(bytes).unwrap();
    let (diff, receipts) = apply_block(state, &block).unwrap();
    store.commit_block(&block, &receipts, &diff).unwrap();
    state.commit(diff);
}

fn bench(c: &mut Criterion) {
    let mut summary = Vec::new();
    for n in [1_000usize, 10_000] {
        let f = fixture(n);
        let payloads: Vec<Vec<u8>> = f
            .block
            .txs
            .iter()
            .map(|t| t.signing_payload().unwrap())
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let genesis_state = f.state.clone();
        let mut store = RedbStore::open(dir.path().join("bench.redb")).unwrap();
        store
            .init(&Genesis::devnet_example(), &genesis_state)
            .unwrap();

        let mut g = c.benchmark_group("chain");
        g.sample_size(10)
            .measurement_time(Duration::from_secs(if n > 1_000 { 20 } else { 5 }));
        g.bench_function(format!("verify_batch/{n}"), |b| {
            b.iter(|| verify_signatures(&f.block, &payloads))
        });
        g.bench_function(format!("apply/memory/{n}"), |b| {
            b.iter_batched(
                || f.state.clone(),
                |mut s| {
                    apply_in_memory(&mut s, &f.block_bytes);
                    s // dropped by criterion outside the timing
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function(format!("apply/redb/{n}"), |b| {
            b.iter_batched(
                || f.state.clone(),
                |mut s| {
                    apply_with_redb(&mut s, &mut store, &f.block_bytes);
                    s
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();

        // The same three, timed back to back in this process for the ratios.
        let time = |run: &mut dyn FnMut()| {
            let mut best = Duration::MAX;
            for _ in 0..5 {
                let start = Instant::now();
                run();
                best = best.min(start.elapsed());
            }
            best
        };
        let sigs = time(&mut || verify_signatures(&f.block, &payloads));
        // Fresh states, dropped after the timing: only the block's own work is measured.
        let mut states: Vec<State> = (0..10).map(|_| f.state.clone()).collect();
        let mut next = states.iter_mut();
        let mem = time(&mut || apply_in_memory(next.next().unwrap(), &f.block_bytes));
        let disk = time(&mut || apply_with_redb(next.next().unwrap(), &mut store, &f.block_bytes));
        drop(states);
        summary.push((n, sigs, mem, disk));
    }
    for (n, sigs, mem, disk) in summary {
        let rate = |d: Duration| n as f64 / d.as_secs_f64();
        println!(
            "block of {n} transfers: signatures {:.1} ms; memory {:.1} ms ({:.0} tx/s, {:.2}x signatures); \
             redb {:.1} ms ({:.0} tx/s, {:.2}x signatures)",
            sigs.as_secs_f64() * 1e3,
            mem.as_secs_f64() * 1e3,
            rate(mem),
            mem.as_secs_f64() / sigs.as_secs_f64(),
            disk.as_secs_f64() * 1e3,
            rate(disk),
            disk.as_secs_f64() / sigs.as_secs_f64(),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
