//! Compute jobs on chain over many blocks: the useful-work pool's epoch payout, a 10-node
//! simulation with a cheater, a property test that random job traffic keeps conservation and
//! the cap, and a reopen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::{address, bring_up_nodes, genesis, keys, next, sign};
use flux_chain::chain::Chain;
use flux_chain::error::{BlockError, TxError};
use flux_chain::store::{MemStore, Store};
use flux_chain::transition::work::JobEvent;
use flux_chain::transition::{BuildMode, Event, Receipts, RewardShare, build_block, propose_block};
use flux_chain::tx::{JobSubmit, Transaction, TxKind, WorkCommit, WorkReveal};
use flux_chain::work::{JobId, Phase, commitment};
use flux_core::Amount;
use flux_core::crypto::SecretKey;
use flux_nodes::node::NodeId;
use flux_nodes::work::{JobSpec, Outcome, compile_wat};
use proptest::prelude::*;

use common::ECHO;

include!("work/harness.rs");

/// One block: `extra` plus, for each open job, the commitment or reveal each assigned node
/// owes (the cheater's outcome is wrong). Returns the job events and whether a job was open.
fn drive_step(
    n: &mut Net,
    jobs: &[(JobId, Outcome, Outcome)],
    cheater: Option<usize>,
    mut txs: Vec<Transaction>,
) -> (Vec<JobEvent>, bool) {
    let mut nonces: BTreeMap<usize, u64> = BTreeMap::new();
    let mut open = false;
    for (job, good, bad) in jobs {
        let Some(entry) = n.chain.state().work().jobs.get(job).cloned() else {
            continue;
        };
        if !entry.phase.is_open() {
            continue;
        }
        open = true;
        for node in &entry.assigned {
            let i = n.index(node);
            let out = if Some(i) == cheater { bad } else { good }.clone();
            let kind = match entry.phase {
                Phase::Commit { .. } if !entry.commitments.contains_key(node) => {
                    TxKind::WorkCommit(WorkCommit {
                        job: *job,
                        node: *node,
                        commitment: commitment(job, node, &out.result_hash(), &salt(i)),
                    })
                }
                Phase::Reveal { .. }
                    if entry.commitments.contains_key(node)
                        && !entry.reveals.contains_key(node) =>
                {
                    TxKind::WorkReveal(WorkReveal {
                        job: *job,
                        node: *node,
                        outcome: out,
                        salt: salt(i),
                    })
                }
                _ => continue,
            };
            let base = n.chain.state().account(&address(&n.operators[i])).nonce;
            let nonce = nonces.entry(i).or_insert(base);
            let chain_id = n.chain.state().params().chain_id;
            txs.push(
                Transaction::sign(&n.operators[i], chain_id, *nonce, Amount::ZERO, kind).unwrap(),
            );
            *nonce += 1;
        }
    }
    let events = job_events(&n.step(txs));
    let s = n.chain.state();
    assert!(s.ledger().supply <= s.params().supply.max_supply);
    (events, open)
}

/// Drives the jobs until every one is closed.
fn drive(n: &mut Net, jobs: &[(JobId, Vec<u8>)], cheater: Option<usize>) -> Vec<JobEvent> {
    let jobs = with_outcomes(jobs);
    let mut events = Vec::new();
    for _ in 0..200 {
        let (e, open) = drive_step(n, &jobs, cheater, vec![]);
        events.extend(e);
        if !open {
            break;
        }
    }
    events
}

fn with_outcomes(jobs: &[(JobId, Vec<u8>)]) -> Vec<(JobId, Outcome, Outcome)> {
    jobs.iter()
        .map(|(id, input)| (*id, honest(input), wrong(input)))
        .collect()
}

#[test]
fn epoch_payout_is_pro_rata_with_floor_and_the_remainder_carried() {
    let mut n = net(5);
    // Jobs of different sizes: different fuel, so different units per node.
    let inputs: Vec<Vec<u8>> = vec![vec![1; 10], vec![2; 3000], vec![3; 777]];
    let mut jobs = Vec::new();
    for input in &inputs {
        jobs.push((n.submit(input, flux(1)), input.clone()));
    }
    drive(&mut n, &jobs, None);
    let epoch_length = n.chain.state().params().consensus.epoch_length;
    assert!(
        n.chain.height() < epoch_length,
        "the jobs ran within epoch 0"
    );
    let units = n.chain.state().work().units_of(0);
    assert!(!units.is_empty());
    while n.chain.height() < epoch_length - 1 {
        n.step(vec![]);
    }
    let pool_before = n.chain.state().ledger().work_pool;
    let r = n.step(vec![]);
    assert_eq!(n.chain.height(), epoch_length);
    let accrued = r
        .rewards
        .iter()
        .find(|w| w.share == RewardShare::WorkPool)
        .unwrap()
        .amount;
    let pool = pool_before.checked_add(accrued).unwrap().base_units() as u128;
    let total: u128 = units.iter().map(|(_, u)| *u as u128).sum();
    let mut paid_sum = 0u128;
    let paid: Vec<(NodeId, u64, Amount)> = r
        .work
        .iter()
        .filter_map(|e| match e {
            JobEvent::PoolPaid {
                epoch: 0,
                node,
                units,
                amount,
                ..
            } => Some((*node, *units, *amount)),
            _ => None,
        })
        .collect();
    assert_eq!(paid.len(), units.len());
    for ((node, u), (pnode, punits, amount)) in units.iter().zip(&paid) {
        assert_eq!((node, u), (pnode, punits));
        let expected = pool * (*u as u128) / total;
        assert_eq!(amount.base_units() as u128, expected);
        paid_sum += expected;
    }
    assert_eq!(
        n.chain.state().ledger().work_pool.base_units() as u128,
        pool - paid_sum,
        "the rounding remainder stays in the pool"
    );
    assert!(n.chain.state().work().units_of(0).is_empty());
    // An epoch without work pays nothing: the pool only grows.
    let mut pool = n.chain.state().ledger().work_pool;
    while n.chain.height() < 2 * epoch_length {
        let r = n.step(vec![]);
        assert!(
            !r.work
                .iter()
                .any(|e| matches!(e, JobEvent::PoolPaid { .. }))
        );
        assert!(n.chain.state().ledger().work_pool > pool);
        pool = n.chain.state().ledger().work_pool;
    }
}

#[test]
fn ten_nodes_hundred_jobs_one_cheater() {
    let mut n = net(10);
    let cheater = 3;
    let cheater_owner = address(&n.owners[cheater]);
    let mut jobs = Vec::new();
    let mut events = Vec::new();
    for batch in 0..10u8 {
        let mut txs = Vec::new();
        let base = n.chain.state().account(&address(&n.citizen)).nonce;
        for k in 0..10u8 {
            let input = vec![batch.wrapping_mul(31).wrapping_add(k); 16 + 16 * k as usize];
            let kind = TxKind::JobSubmit(JobSubmit {
                module: compile_wat(ECHO).unwrap(),
                input: input.clone(),
                fuel: FUEL,
                fee: flux(1),
            });
            let tx = Transaction::sign(
                &n.citizen,
                n.chain.state().params().chain_id,
                base + k as u64,
                Amount::ZERO,
                kind,
            )
            .unwrap();
            jobs.push((tx.id().unwrap(), input));
            txs.push(tx);
        }
        // Nodes answer the earlier jobs in the same blocks as new ones arrive.
        let (e, _) = drive_step(
            &mut n,
            &with_outcomes(&jobs[..jobs.len() - 10]),
            Some(cheater),
            txs,
        );
        events.extend(e);
    }
    events.extend(drive(&mut n, &jobs, Some(cheater)));
    let work = n.chain.state().work().clone();
    let mut units: BTreeMap<NodeId, u64> = BTreeMap::new();
    let mut cheater_jobs = 0;
    for (job, input) in &jobs {
        let entry = &work.jobs[job];
        assert_eq!(entry.phase, Phase::Accepted, "job {job}");
        let accepted = entry.accepted.as_ref().unwrap();
        let out = honest(input);
        assert_eq!(accepted.result_hash, out.result_hash());
        assert!(!accepted.agreeing.contains(&n.node(cheater)));
        for node in &accepted.agreeing {
            *units.entry(*node).or_default() += out.fuel_used;
        }
        if entry.assigned.contains(&n.node(cheater)) {
            cheater_jobs += 1;
        }
    }
    assert!(cheater_jobs > 0, "the cheater was never drawn");
    assert_eq!(work.strikes_of(&n.node(cheater)), cheater_jobs);
    assert_eq!(work.strikes.len(), 1, "only the cheater has strikes");
    for e in &events {
        if let JobEvent::FeePaid { owner, .. } = e {
            assert_ne!(*owner, cheater_owner, "the cheater was paid a fee");
        }
    }
    // The epoch's units are exactly the accepted fuel, and the pool pays them exactly.
    assert_eq!(
        work.units_of(0).into_iter().collect::<BTreeMap<_, _>>(),
        units
    );
    let epoch_length = n.chain.state().params().consensus.epoch_length;
    while n.chain.height() < epoch_length - 1 {
        n.step(vec![]);
    }
    let pool_before = n.chain.state().ledger().work_pool;
    let r = n.step(vec![]);
    let accrued = r
        .rewards
        .iter()
        .find(|w| w.share == RewardShare::WorkPool)
        .unwrap()
        .amount;
    let pool = pool_before.checked_add(accrued).unwrap().base_units() as u128;
    let total: u128 = units.values().map(|u| *u as u128).sum();
    let mut count = 0;
    for e in &r.work {
        if let JobEvent::PoolPaid {
            node,
            owner,
            units: u,
            amount,
            ..
        } = e
        {
            assert_ne!(*owner, cheater_owner);
            assert_eq!(Some(u), units.get(node));
            assert_eq!(amount.base_units() as u128, pool * (*u as u128) / total);
            count += 1;
        }
    }
    assert_eq!(count, units.len());
}

#[derive(Clone, Debug)]
enum Op {
    Submit {
        fee: u64,
        len: usize,
    },
    Commit {
        job: usize,
        node: usize,
        honest: bool,
    },
    Reveal {
        job: usize,
        node: usize,
        honest: bool,
        good_salt: bool,
    },
    Empty,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u64..300, 0usize..64).prop_map(|(fee, len)| Op::Submit { fee, len }),
        (0usize..8, 0usize..4, any::<bool>()).prop_map(|(job, node, honest)| Op::Commit {
            job,
            node,
            honest
        }),
        (0usize..8, 0usize..4, any::<bool>(), any::<bool>()).prop_map(
            |(job, node, honest, good_salt)| Op::Reveal {
                job,
                node,
                honest,
                good_salt
            }
        ),
        Just(Op::Empty),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Random job traffic (invalid transactions included, dropped by the block builder) keeps
    /// every FLUX accounted for and the supply under the cap, block after block.
    #[test]
    fn random_job_traffic_keeps_conservation_and_the_cap(ops in prop::collection::vec(op(), 1..40)) {
        let mut n = net(4);
        let mut jobs: Vec<(JobId, Vec<u8>)> = Vec::new();
        for op in ops {
            let tx = match op {
                Op::Submit { fee, len } => {
                    let input = vec![len as u8; len];
                    let tx = n.submit_tx(&n.citizen.clone(), &input, Amount::from_base_units(fee * 1_000_000));
                    jobs.push((tx.id().unwrap(), input));
                    Some(tx)
                }
                Op::Commit { job, node, honest: h } if !jobs.is_empty() => {
                    let (id, input) = &jobs[job % jobs.len()];
                    let out = if h { honest(input) } else { wrong(input) };
                    Some(n.commit_tx(node, *id, &out))
                }
                Op::Reveal { job, node, honest: h, good_salt } if !jobs.is_empty() => {
                    let (id, input) = &jobs[job % jobs.len()];
                    let out = if h { honest(input) } else { wrong(input) };
                    let s = if good_salt { salt(node) } else { [0; 32] };
                    Some(n.reveal_tx(node, *id, &out, s))
                }
                _ => None,
            };
            let time = n.chain.state().tip().timestamp_ms + 1_000;
            let block = propose_block(
                n.chain.state(),
                &n.owners[0],
                time,
                vec![],
                tx.into_iter().collect(), BuildMode::CHECKED)
            .unwrap().block;
            n.chain.apply(&block).unwrap();
            let s = n.chain.state();
            prop_assert_eq!(s.total_held().unwrap(), s.ledger().supply);
            prop_assert!(s.ledger().supply <= s.params().supply.max_supply);
            prop_assert_eq!(
                s.work().escrow().unwrap(),
                Amount::checked_sum(
                    s.work().jobs.values().filter(|j| j.phase.is_open()).map(|j| j.fee)
                ).unwrap()
            );
        }
    }
}

#[test]
fn jobs_units_and_strikes_survive_a_reopen() {
    let mut n = net(4);
    let input = b"persist";
    let done = n.submit(input, flux(1));
    let a = n.assigned(&done);
    drive(&mut n, &[(done, input.to_vec())], Some(a[2]));
    // A second job left half-way: committed, not revealed.
    let open = n.submit(b"open", flux(2));
    let c = n.commit_tx(n.assigned(&open)[0], open, &honest(b"open"));
    n.step(vec![c]);
    let state = n.chain.state();
    assert!(!state.work().units.is_empty() && !state.work().strikes.is_empty());
    assert!(state.work().open.contains(&open));
    // Memory store.
    let (_, loaded) = n.chain.store().load().unwrap().unwrap();
    assert_eq!(loaded.work(), state.work());
    assert_eq!(loaded.state_root(), state.state_root());
    // redb: replay the same blocks, reopen the file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let g = genesis(&keys(9), 100_000);
    let mut disk =
        Chain::open_or_create(flux_chain::store::RedbStore::open(&path).unwrap(), &g).unwrap();
    for h in 1..=n.chain.height() {
        disk.apply(&n.chain.store().block(h).unwrap().unwrap())
            .unwrap();
    }
    drop(disk);
    let disk =
        Chain::open_or_create(flux_chain::store::RedbStore::open(&path).unwrap(), &g).unwrap();
    assert_eq!(disk.state().work(), state.work());
    assert_eq!(disk.state().state_root(), state.state_root());
}
