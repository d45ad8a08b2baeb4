//! Compute jobs on chain: submission checks, assignment, commit/reveal rules, majority, strikes,
//! reassignment and refund (the 10-node simulation, the epoch payout and the property test are
//! in `work_sim.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::{address, bring_up_nodes, genesis, keys, next, sign};
use flux_chain::chain::Chain;
use flux_chain::error::{BlockError, TxError};
use flux_chain::store::MemStore;
use flux_chain::transition::work::JobEvent;
use flux_chain::transition::{Event, Receipts, build_block};
use flux_chain::tx::{JobSubmit, Transaction, TxKind, WorkCommit, WorkReveal};
use flux_chain::work::{JobError, JobId, Phase, commitment};
use flux_core::crypto::SecretKey;
use flux_core::{Amount, Hash};
use flux_nodes::node::NodeId;
use flux_nodes::work::{JobSpec, Outcome, WorkError, compile_wat};

use common::ECHO;

include!("work/harness.rs");

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
