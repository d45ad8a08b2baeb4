//! The cost of verifying a block's work results: applying a block of `WorkReveal`s (each
//! checked against its commitment, its outcome hashed, the jobs judged at the block's end)
//! against raw batch verification of the same transactions' signatures:
//! `cargo bench -p flux-chain --bench work`.
//!
//! 10 confirmed nodes, 100 jobs of an echo module with 1 KiB of input, each assigned to 3
//! nodes that committed: the measured block carries the 300 reveals (1 KiB of output each)
//! and accepts all 100 jobs. The run prints the time per reveal and the ratio.

#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use flux_chain::block::Block;
use flux_chain::chain::Chain;
use flux_chain::state::State;
use flux_chain::store::MemStore;
use flux_chain::transition::{apply_block, build_block};
use flux_chain::tx::{JobSubmit, Transaction, TxKind, WorkCommit, WorkReveal};
use flux_chain::work::commitment;
use flux_core::crypto::{BatchItem, Domain, SecretKey, verify_batch};
use flux_core::{Address, Amount, ChainId, codec};
use flux_nodes::node::NodeId;
use flux_nodes::work::{compile_wat, execute, validate};

const JOBS: usize = 100;
const NODES: usize = 10;
const FUEL: u64 = 1_000_000;
use common::ECHO;

/// Signs `kind`s from one key with consecutive nonces from the state's.
struct Nonces(BTreeMap<Address, u64>);

impl Nonces {
    fn sign(&mut self, key: &SecretKey, state: &State, kind: TxKind) -> Transaction {
        let a = Address::from_public_key(&key.public_key());
        let n = self.0.entry(a).or_insert_with(|| state.account(&a).nonce);
        let tx = Transaction::sign(key, ChainId::DEVNET, *n, Amount::ZERO, kind).unwrap();
        *n += 1;
        tx
    }
}

fn fixture() -> (State, Block) {
    let ks = common::keys(2 * NODES + 1);
    let g = common::genesis(&ks, 100_000);
    let mut chain = Chain::open_or_create(MemStore::new(), &g).unwrap();
    let operators = ks[NODES..2 * NODES].to_vec();
    common::bring_up_nodes(&mut chain, &ks[..NODES], &operators);
    let citizen = &ks[2 * NODES];
    let module = compile_wat(ECHO).unwrap();
    let input = vec![7u8; 1024];

    let mut nonces = Nonces(BTreeMap::new());
    let submits: Vec<Transaction> = (0..JOBS)
        .map(|i| {
            let mut job_input = input.clone();
            job_input[0] = i as u8; // distinct jobs (ids), same work
            let kind = TxKind::JobSubmit(JobSubmit {
                module: module.clone(),
                input: job_input,
                fuel: FUEL,
                fee: Amount::ONE_FLUX,
            });
            nonces.sign(citizen, chain.state(), kind)
        })
        .collect();
    common::next(&mut chain, submits);

    let operator_of = |n: &NodeId| {
        operators
            .iter()
            .find(|k| NodeId::of(&k.public_key()) == *n)
            .unwrap()
            .clone()
    };
    let outcomes: BTreeMap<_, _> = chain
        .state()
        .work()
        .jobs
        .iter()
        .map(|(id, job)| {
            let submit = chain.tx(&job.tx).unwrap().unwrap().0;
            let TxKind::JobSubmit(s) = submit.kind else {
                unreachable!()
            };
            let o = execute(&validate(&s.module).unwrap(), &s.input, s.fuel).unwrap();
            (*id, (job.assigned.clone(), o))
        })
        .collect();
    assert_eq!(outcomes.len(), JOBS);
    let salt = [9u8; 32];
    let mut nonces = Nonces(BTreeMap::new());
    let commits: Vec<Transaction> = outcomes
        .iter()
        .flat_map(|(job, (nodes, o))| nodes.iter().map(move |n| (*job, *n, o.clone())))
        .map(|(job, node, o)| {
            let kind = TxKind::WorkCommit(WorkCommit {
                job,
                node,
                commitment: commitment(&job, &node, &o.result_hash(), &salt),
            });
            nonces.sign(&operator_of(&node), chain.state(), kind)
        })
        .collect();
    common::next(&mut chain, commits);

    let mut nonces = Nonces(BTreeMap::new());
    let reveals: Vec<Transaction> = outcomes
        .iter()
        .flat_map(|(job, (nodes, o))| nodes.iter().map(move |n| (*job, *n, o.clone())))
        .map(|(job, node, o)| {
            let kind = TxKind::WorkReveal(WorkReveal {
                job,
                node,
                outcome: o,
                salt,
            });
            nonces.sign(&operator_of(&node), chain.state(), kind)
        })
        .collect();
    assert_eq!(reveals.len(), 3 * JOBS);
    let state = chain.state().clone();
    let time = state.tip().timestamp_ms + 1_000;
    let block = build_block(&state, &ks[0], time, vec![], reveals).unwrap();
    (state, block)
}

fn verify_signatures(block: &Block) {
    let payloads: Vec<Vec<u8>> = block
        .txs
        .iter()
        .map(|tx| {
            let bytes = codec::encode(tx).unwrap();
            tx.payload_of_bytes(&bytes).unwrap().to_vec()
        })
        .collect();
    let items: Vec<BatchItem<'_>> = block
        .txs
        .iter()
        .zip(&payloads)
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

fn bench(c: &mut Criterion) {
    let (state, block) = fixture();
    let (_, receipts) = apply_block(&state, &block).unwrap();
    assert!(receipts.work.len() >= JOBS, "every job accepted");
    let mut group = c.benchmark_group("work");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("apply 300 reveals (100 jobs)", |b| {
        b.iter(|| apply_block(&state, &block).unwrap())
    });
    group.bench_function("batch-verify 300 signatures", |b| {
        b.iter(|| verify_signatures(&block))
    });
    group.finish();

    let time = |f: &dyn Fn()| {
        let runs = 20;
        let start = Instant::now();
        for _ in 0..runs {
            f();
        }
        start.elapsed() / runs
    };
    let apply = time(&|| {
        apply_block(&state, &block).unwrap();
    });
    let verify = time(&|| verify_signatures(&block));
    println!(
        "work results: apply {:?} per block of {} reveals ({:?} per reveal), signatures alone {:?}: {:.2}x",
        apply,
        block.txs.len(),
        apply / block.txs.len() as u32,
        verify,
        apply.as_secs_f64() / verify.as_secs_f64()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
