//! Compute jobs on chain: submission checks, assignment, commit/reveal rules, majority, strikes,
//! reassignment and refund, the useful-work pool's epoch payout, a 10-node simulation with a
//! cheater, and a property test that random job traffic keeps conservation and the cap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::{address, bring_up_nodes, genesis, keys, next, sign};
use flux_chain::chain::Chain;
use flux_chain::error::{BlockError, TxError};
use flux_chain::store::{MemStore, Store};
use flux_chain::transition::work::JobEvent;
use flux_chain::transition::{Event, Receipts, RewardShare, build_block, build_block_from};
use flux_chain::tx::{JobSubmit, Transaction, TxKind, WorkCommit, WorkReveal};
use flux_chain::work::{JobError, JobId, Phase, commitment};
use flux_core::crypto::SecretKey;
use flux_core::{Amount, Hash};
use flux_nodes::node::NodeId;
use flux_nodes::work::{JobSpec, Outcome, WorkError, compile_wat};
use proptest::prelude::*;

use common::ECHO;

const FUEL: u64 = 1_000_000;

struct Net {
    chain: Chain<MemStore>,
    owners: Vec<SecretKey>,
    operators: Vec<SecretKey>,
    /// Submits jobs; owns no node.
    citizen: SecretKey,
}

fn net(n: usize) -> Net {
    let ks = keys(2 * n + 1);
    let g = genesis(&ks, 100_000);
    let mut chain = Chain::open_or_create(MemStore::new(), &g).unwrap();
    let owners = ks[..n].to_vec();
    let operators = ks[n..2 * n].to_vec();
    bring_up_nodes(&mut chain, &owners, &operators);
    Net {
        chain,
        owners,
        operators,
        citizen: ks[2 * n].clone(),
    }
}

impl Net {
    fn node(&self, i: usize) -> NodeId {
        NodeId::of(&self.operators[i].public_key())
    }

    fn index(&self, node: &NodeId) -> usize {
        (0..self.operators.len())
            .find(|i| self.node(*i) == *node)
            .unwrap()
    }

    fn submit_tx(&self, from: &SecretKey, input: &[u8], fee: Amount) -> Transaction {
        let kind = TxKind::JobSubmit(JobSubmit {
            module: compile_wat(ECHO).unwrap(),
            input: input.to_vec(),
            fuel: FUEL,
            fee,
        });
        sign(from, self.chain.state(), kind)
    }

    fn submit(&mut self, input: &[u8], fee: Amount) -> JobId {
        let tx = self.submit_tx(&self.citizen.clone(), input, fee);
        let id = tx.id().unwrap();
        next(&mut self.chain, vec![tx]);
        id
    }

    fn assigned(&self, job: &JobId) -> Vec<usize> {
        let entry = &self.chain.state().work().jobs[job];
        entry.assigned.iter().map(|n| self.index(n)).collect()
    }

    fn phase(&self, job: &JobId) -> Phase {
        self.chain.state().work().jobs[job].phase
    }

    fn commit_tx(&self, i: usize, job: JobId, outcome: &Outcome) -> Transaction {
        let node = self.node(i);
        let c = commitment(&job, &node, &outcome.result_hash(), &salt(i));
        let kind = TxKind::WorkCommit(WorkCommit {
            job,
            node,
            commitment: c,
        });
        sign(&self.operators[i], self.chain.state(), kind)
    }

    fn reveal_tx(&self, i: usize, job: JobId, outcome: &Outcome, salt: [u8; 32]) -> Transaction {
        let kind = TxKind::WorkReveal(WorkReveal {
            job,
            node: self.node(i),
            outcome: outcome.clone(),
            salt,
        });
        sign(&self.operators[i], self.chain.state(), kind)
    }

    fn tx_error(&self, tx: Transaction) -> TxError {
        let time = self.chain.state().tip().timestamp_ms + 1_000;
        let proposer = &self.owners[0];
        match build_block(self.chain.state(), proposer, time, vec![], vec![tx]) {
            Err(BlockError::Tx { source, .. }) => source,
            other => panic!("expected a transaction error, got {other:?}"),
        }
    }

    fn step(&mut self, txs: Vec<Transaction>) -> Receipts {
        next(&mut self.chain, txs)
    }
}

fn salt(i: usize) -> [u8; 32] {
    [i as u8 + 1; 32]
}

fn honest(input: &[u8]) -> Outcome {
    JobSpec {
        module: compile_wat(ECHO).unwrap(),
        input: input.to_vec(),
        fuel: FUEL,
    }
    .run()
    .unwrap()
}

fn wrong(input: &[u8]) -> Outcome {
    let mut o = honest(input);
    o.output.push(0xff);
    o
}

fn job_events(r: &Receipts) -> Vec<JobEvent> {
    let in_txs = r
        .txs
        .iter()
        .flat_map(|t| &t.events)
        .filter_map(|e| match e {
            Event::Job(j) => Some(j.clone()),
            _ => None,
        });
    in_txs.chain(r.work.iter().cloned()).collect()
}

fn flux(n: u64) -> Amount {
    Amount::from_flux(n).unwrap()
}

#[test]
fn submission_rejects_floats_and_foreign_imports_with_clear_errors() {
    let n = net(3);
    let params = n.chain.state().params().clone();
    let float = r#"(module (memory (export "memory") 1)
        (func (export "run") (drop (f32.add (f32.const 1) (f32.const 2)))))"#;
    let clock = r#"(module (import "env" "clock" (func (result i64)))
        (memory (export "memory") 1) (func (export "run")))"#;
    for (wat, what) in [(float, "float"), (clock, "import")] {
        let tx = sign(
            &n.citizen,
            n.chain.state(),
            TxKind::JobSubmit(JobSubmit {
                module: compile_wat(wat).unwrap(),
                input: vec![],
                fuel: FUEL,
                fee: flux(1),
            }),
        );
        let err = tx.check(&params).unwrap_err();
        match (&err, what) {
            (TxError::Job(JobError::BadModule(WorkError::Float { .. })), "float") => {}
            (TxError::Job(JobError::BadModule(WorkError::BadImport { module, .. })), "import") => {
                assert_eq!(module, "env")
            }
            _ => panic!("{what}: unexpected {err:?}"),
        }
        assert!(err.to_string().starts_with("job module rejected"), "{err}");
        // The same rule holds inside a block.
        assert_eq!(n.tx_error(tx), err);
    }
    let with = |fuel, fee| {
        sign(
            &n.citizen,
            n.chain.state(),
            TxKind::JobSubmit(JobSubmit {
                module: compile_wat(ECHO).unwrap(),
                input: vec![],
                fuel,
                fee,
            }),
        )
    };
    assert!(matches!(
        with(0, flux(1)).check(&params),
        Err(TxError::Job(JobError::BadFuel { .. }))
    ));
    assert!(matches!(
        with(FUEL, Amount::from_base_units(1)).check(&params),
        Err(TxError::Job(JobError::FeeTooLow { .. }))
    ));
    let big = TxKind::JobSubmit(JobSubmit {
        module: vec![0; params.work.max_module_bytes as usize + 1],
        input: vec![],
        fuel: FUEL,
        fee: flux(1),
    });
    assert!(matches!(
        sign(&n.citizen, n.chain.state(), big).check(&params),
        Err(TxError::Job(JobError::ModuleTooLarge { .. }))
    ));
}

#[test]
fn assignment_is_deterministic_weighted_and_skips_the_submitters_nodes() {
    let mut n = net(6);
    let owner0 = n.owners[0].clone();
    let mut seen = std::collections::BTreeSet::new();
    for round in 0..8u8 {
        let tx = n.submit_tx(&owner0, &[round], flux(1));
        let id = tx.id().unwrap();
        // The same block applied twice assigns the same nodes.
        let time = n.chain.state().tip().timestamp_ms + 1_000;
        let block = build_block(n.chain.state(), &n.owners[1], time, vec![], vec![tx]).unwrap();
        let (a, _) = flux_chain::transition::apply_block(n.chain.state(), &block).unwrap();
        let (b, _) = flux_chain::transition::apply_block(n.chain.state(), &block).unwrap();
        assert_eq!(
            a.areas.work.work.jobs[&id].assigned,
            b.areas.work.work.jobs[&id].assigned
        );
        n.chain.apply(&block).unwrap();
        let assigned = n.assigned(&id);
        assert_eq!(assigned.len(), 3);
        assert!(!assigned.contains(&0), "the submitter's own node was drawn");
        let mut distinct = assigned.clone();
        distinct.dedup();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 3);
        seen.extend(assigned);
    }
    assert!(seen.len() >= 4, "draws vary with the job: {seen:?}");
}

#[test]
fn no_eligible_node_refunds_at_once() {
    let mut n = net(1);
    let owner = n.owners[0].clone();
    let before = n.chain.state().account(&address(&owner)).balance;
    let tx = n.submit_tx(&owner, b"x", flux(2));
    let id = tx.id().unwrap();
    let r = n.step(vec![tx]);
    assert_eq!(n.phase(&id), Phase::Refunded);
    assert!(job_events(&r).contains(&JobEvent::Refunded { job: id }));
    // Only tier rewards moved the owner's balance.
    let tier: Amount = Amount::checked_sum(r.rewards.iter().filter_map(|w| match w.payee {
        flux_chain::transition::Payee::Account(a) if a == address(&owner) => Some(w.amount),
        _ => None,
    }))
    .unwrap();
    assert_eq!(
        n.chain.state().account(&address(&owner)).balance,
        before.checked_add(tier).unwrap()
    );
}

#[test]
fn commit_and_reveal_follow_their_phases() {
    let mut n = net(5);
    let input = b"hello";
    let job = n.submit(input, flux(3));
    let a = n.assigned(&job);
    let out = honest(input);
    let outsider = (0..5).find(|i| !a.contains(i)).unwrap();
    // Reveal before the reveal phase.
    let early = n.reveal_tx(a[0], job, &out, salt(a[0]));
    assert_eq!(
        n.tx_error(early),
        TxError::Job(JobError::NotRevealPhase(job))
    );
    // A node that is not assigned, and a key that is not the operator's.
    let node = n.node(outsider);
    assert_eq!(
        n.tx_error(n.commit_tx(outsider, job, &out)),
        TxError::Job(JobError::NotAssigned { job, node })
    );
    let by_owner = sign(
        &n.owners[a[0]],
        n.chain.state(),
        TxKind::WorkCommit(WorkCommit {
            job,
            node: n.node(a[0]),
            commitment: Hash::ZERO,
        }),
    );
    assert_eq!(
        n.tx_error(by_owner),
        TxError::Job(JobError::NotOperator(n.node(a[0])))
    );
    // Commit once.
    let c0 = n.commit_tx(a[0], job, &out);
    n.step(vec![c0]);
    let node0 = n.node(a[0]);
    assert_eq!(
        n.tx_error(n.commit_tx(a[0], job, &out)),
        TxError::Job(JobError::AlreadyCommitted { job, node: node0 })
    );
    let c1 = n.commit_tx(a[1], job, &out);
    n.step(vec![c1]);
    // a[2] stays silent: the commit phase runs to its deadline, then reveals open.
    while matches!(n.phase(&job), Phase::Commit { .. }) {
        assert_eq!(
            n.tx_error(n.reveal_tx(a[0], job, &out, salt(a[0]))),
            TxError::Job(JobError::NotRevealPhase(job))
        );
        n.step(vec![]);
    }
    assert!(matches!(n.phase(&job), Phase::Reveal { .. }));
    let node2 = n.node(a[2]);
    assert_eq!(
        n.tx_error(n.commit_tx(a[2], job, &out)),
        TxError::Job(JobError::NotCommitPhase(job))
    );
    assert_eq!(
        n.tx_error(n.reveal_tx(a[2], job, &out, salt(a[2]))),
        TxError::Job(JobError::NotCommitted { job, node: node2 })
    );
    // A wrong salt, or an outcome other than the committed one, does not open the commitment.
    assert_eq!(
        n.tx_error(n.reveal_tx(a[0], job, &out, [0xee; 32])),
        TxError::Job(JobError::CommitmentMismatch { job, node: node0 })
    );
    assert_eq!(
        n.tx_error(n.reveal_tx(a[0], job, &wrong(input), salt(a[0]))),
        TxError::Job(JobError::CommitmentMismatch { job, node: node0 })
    );
    let r0 = n.reveal_tx(a[0], job, &out, salt(a[0]));
    n.step(vec![r0]);
    assert_eq!(
        n.tx_error(n.reveal_tx(a[0], job, &out, salt(a[0]))),
        TxError::Job(JobError::AlreadyRevealed { job, node: node0 })
    );
    let r1 = n.reveal_tx(a[1], job, &out, salt(a[1]));
    let receipts = n.step(vec![r1]);
    // Both committers revealed: judged in that block. 2 of 3 is a majority.
    assert_eq!(n.phase(&job), Phase::Accepted);
    let accepted = n.chain.state().work().jobs[&job].accepted.clone().unwrap();
    assert_eq!(accepted.result_hash, out.result_hash());
    assert_eq!(accepted.fuel_used, out.fuel_used);
    assert!(job_events(&receipts).contains(&JobEvent::Strike {
        job,
        node: node2,
        strikes: 1
    }));
    assert_eq!(n.chain.state().work().strikes_of(&node2), 1);
    assert_eq!(n.chain.state().work().strikes_of(&node0), 0);
}

#[test]
fn a_cheater_among_three_earns_nothing_and_a_strike() {
    let mut n = net(4);
    let input = b"render me";
    let fee = Amount::from_base_units(100_000_001);
    let job = n.submit(input, fee);
    let a = n.assigned(&job);
    let (cheater, good) = (a[2], [a[0], a[1]]);
    let out = honest(input);
    let bad = wrong(input);
    let commits = vec![
        n.commit_tx(good[0], job, &out),
        n.commit_tx(good[1], job, &out),
        n.commit_tx(cheater, job, &bad),
    ];
    n.step(commits);
    assert!(matches!(n.phase(&job), Phase::Reveal { .. }));
    let citizen_before = n.chain.state().account(&address(&n.citizen)).balance;
    let reveals = vec![
        n.reveal_tx(good[0], job, &out, salt(good[0])),
        n.reveal_tx(cheater, job, &bad, salt(cheater)),
        n.reveal_tx(good[1], job, &out, salt(good[1])),
    ];
    let r = n.step(reveals);
    let events = job_events(&r);
    let accepted = n.chain.state().work().jobs[&job].accepted.clone().unwrap();
    assert_eq!(accepted.result_hash, out.result_hash());
    assert!(!accepted.agreeing.contains(&n.node(cheater)));
    // Each honest node's owner gets floor(fee / 2); the 1 base unit left returns.
    let paid: BTreeMap<NodeId, Amount> = events
        .iter()
        .filter_map(|e| match e {
            JobEvent::FeePaid { node, amount, .. } => Some((*node, *amount)),
            _ => None,
        })
        .collect();
    assert_eq!(paid.len(), 2);
    assert!(
        paid.values()
            .all(|a| *a == Amount::from_base_units(50_000_000))
    );
    assert!(!paid.contains_key(&n.node(cheater)));
    assert_eq!(
        n.chain.state().account(&address(&n.citizen)).balance,
        citizen_before
            .checked_add(Amount::from_base_units(1))
            .unwrap()
    );
    assert_eq!(n.chain.state().work().strikes_of(&n.node(cheater)), 1);
    // Units: the fuel used, for the honest nodes only.
    let units: BTreeMap<NodeId, u64> = n.chain.state().work().units_of(0).into_iter().collect();
    assert_eq!(units.get(&n.node(good[0])), Some(&out.fuel_used));
    assert_eq!(units.get(&n.node(cheater)), None);
}

#[test]
fn no_majority_is_reassigned_once_then_refunded() {
    let mut n = net(7);
    let input = b"split";
    let fee = flux(5);
    let before = n.chain.state().account(&address(&n.citizen)).balance;
    let job = n.submit(input, fee);
    let first = n.assigned(&job);
    // Three different answers.
    let outs: Vec<Outcome> = (0..3)
        .map(|k| {
            let mut o = honest(input);
            o.output.push(k as u8);
            o
        })
        .collect();
    let commits = (0..3)
        .map(|k| n.commit_tx(first[k], job, &outs[k]))
        .collect();
    n.step(commits);
    let reveals = (0..3)
        .map(|k| n.reveal_tx(first[k], job, &outs[k], salt(first[k])))
        .collect();
    let r = n.step(reveals);
    let entry = n.chain.state().work().jobs[&job].clone();
    assert_eq!(entry.attempt, 2);
    assert!(matches!(entry.phase, Phase::Commit { .. }));
    let second = n.assigned(&job);
    assert_eq!(second.len(), 3);
    assert!(
        second.iter().all(|i| !first.contains(i)),
        "{first:?} {second:?}"
    );
    assert!(
        job_events(&r)
            .iter()
            .any(|e| matches!(e, JobEvent::Assigned { attempt: 2, .. }))
    );
    // Nobody answers the second time: refunded in full, the silent nodes struck.
    let mut refunded = false;
    for _ in 0..20 {
        let r = n.step(vec![]);
        if job_events(&r).contains(&JobEvent::Refunded { job }) {
            refunded = true;
            break;
        }
    }
    assert!(refunded);
    assert_eq!(n.phase(&job), Phase::Refunded);
    assert_eq!(
        n.chain.state().account(&address(&n.citizen)).balance,
        before
    );
    for i in second {
        assert_eq!(n.chain.state().work().strikes_of(&n.node(i)), 1);
    }
    assert!(n.chain.state().work().escrow().unwrap().is_zero());
}

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
            let (block, _) = build_block_from(
                n.chain.state(),
                &n.owners[0],
                time,
                vec![],
                tx.into_iter().collect(),
            )
            .unwrap();
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
