//! The useful-work routes over a `ChainBackend<MemStore>`: a Mandelbrot job submitted, its
//! three assigned nodes played by the test (commit, then reveal the engine's outcome), listed
//! newest first with its phase, shown with its assignees, commitments and reveals, its
//! accepted output served as bytes equal to a local run, and the work units of the epoch
//! before and after the pool pays them. Also the JSON refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "api/support.rs"]
#[allow(dead_code)]
mod support;

use flux_chain::genesis::Genesis;
use flux_chain::testkit::GenesisBuilder;
use flux_chain::tx::{JobSubmit, Transaction, TxId, TxKind, WorkCommit, WorkReveal};
use flux_chain::work::commitment;
use flux_core::crypto::SecretKey;
use flux_core::{Amount, ChainId, Tier};
use flux_nodes::NodeId;
use flux_nodes::work::jobs::{MANDELBROT_WAT, mandelbrot_input};
use flux_nodes::work::{Outcome, compile_wat, execute, validate};
use support::{Env, address, key};

/// Keys 1..=5 hold 1,000,000 FLUX; key 2 owns Cumulus nodes with operator keys 20, 21, 22 and
/// 23 (the submitter, key 1, owns none, so any three may be drawn).
fn genesis() -> Genesis {
    let funded: Vec<SecretKey> = (1..=5).map(key).collect();
    (20..=23)
        .fold(
            GenesisBuilder::new().accounts(&funded, Amount::from_flux(1_000_000).unwrap()),
            |b, operator| {
                let endpoint = format!("127.0.0.1:{}", 16_200 + u16::from(operator));
                b.node_at(&key(2), &key(operator), Tier::Cumulus, &endpoint, "EU_DE")
            },
        )
        .build()
        .unwrap()
}

/// Signed at the sender's next nonce; work transactions (sent by operator keys, which hold
/// nothing) carry no fee, like the node's worker sends them.
fn signed(env: &Env, key: &SecretKey, kind: TxKind) -> Transaction {
    let fee = match kind {
        TxKind::WorkCommit(_) | TxKind::WorkReveal(_) => Amount::ZERO,
        _ => Amount::from_base_units(1_000),
    };
    let account = env
        .block_on(env.client.account(&format!("{:x}", address(key))))
        .unwrap();
    Transaction::sign(key, ChainId::DEVNET, account.pending_nonce, fee, kind).unwrap()
}

fn send(env: &Env, key: &SecretKey, kind: TxKind) -> TxId {
    let tx = signed(env, key, kind);
    env.block_on(env.client.submit(&tx)).unwrap()
}

fn operator(node: &NodeId) -> SecretKey {
    (20..=23)
        .map(key)
        .find(|k| NodeId::of(&k.public_key()) == *node)
        .unwrap()
}

/// Submits a 32x24 Mandelbrot job from key 1; its id and the outcome a local run gives.
fn submit(env: &Env) -> (TxId, Outcome) {
    let module = compile_wat(MANDELBROT_WAT).unwrap();
    let input = mandelbrot_input(32, 24, 32);
    let fuel = 50_000_000;
    let outcome = execute(&validate(&module).unwrap(), &input, fuel).unwrap();
    let id = send(
        env,
        &key(1),
        TxKind::JobSubmit(JobSubmit {
            module,
            input,
            fuel,
            fee: Amount::from_flux(1).unwrap(),
        }),
    );
    env.commit_pool();
    (id, outcome)
}

#[test]
fn a_job_its_nodes_its_output_and_the_work_units() {
    let env = Env::new(&genesis());
    let (id, outcome) = submit(&env);

    // Nobody committed yet: the job is open, in its commit phase, without output.
    let job = env.block_on(env.client.job(&id)).unwrap().unwrap();
    assert_eq!((job.phase.as_str(), job.submitted_at), ("commit", Some(1)));
    assert_eq!(job.phase_until, Some(1 + 5), "devnet: 5 commit blocks");
    assert_eq!(job.assigned.len(), 3);
    assert!(job.committed.is_empty() && job.reveals.is_empty() && job.accepted.is_none());
    let pending = env.raw("GET", &format!("/v1/jobs/{id}/output"), b"");
    assert_eq!(
        (pending.status, pending.code()),
        (404, "not_found".to_owned())
    );
    assert!(
        String::from_utf8_lossy(&pending.body).contains("no accepted result (phase commit)"),
        "{:?}",
        String::from_utf8_lossy(&pending.body)
    );
    assert_eq!(env.block_on(env.client.job_output(&id)).unwrap(), None);

    // The three assigned nodes commit in one block, which ends the commit phase...
    let salt = [7u8; 32];
    for node in &job.assigned {
        let kind = TxKind::WorkCommit(WorkCommit {
            job: id,
            node: *node,
            commitment: commitment(&id, node, &outcome.result_hash(), &salt),
        });
        send(&env, &operator(node), kind);
    }
    env.commit_pool();
    let job = env.block_on(env.client.job(&id)).unwrap().unwrap();
    assert_eq!(job.phase, "reveal");
    assert_eq!(job.committed.len(), 3);
    // ...and reveal in the next, which accepts the result.
    for node in &job.assigned {
        let kind = TxKind::WorkReveal(WorkReveal {
            job: id,
            node: *node,
            outcome: outcome.clone(),
            salt,
        });
        send(&env, &operator(node), kind);
    }
    env.commit_pool();

    let job = env.block_on(env.client.job(&id)).unwrap().unwrap();
    assert_eq!((job.phase.as_str(), job.phase_until), ("accepted", None));
    assert_eq!(job.reveals.len(), 3);
    assert!(job.reveals_identical());
    let accepted = job.accepted.clone().unwrap();
    assert_eq!(accepted.result_hash, outcome.result_hash());
    assert_eq!(accepted.fuel_used, outcome.fuel_used);
    assert_eq!(accepted.status.as_deref(), Some("completed"));
    assert_eq!(accepted.output_len, Some(outcome.output.len() as u64));
    let mut agreeing = job.assigned.clone();
    agreeing.sort();
    assert_eq!(accepted.agreeing, agreeing);

    // The output, as bytes.
    let raw = env.raw("GET", &format!("/v1/jobs/{id}/output"), b"");
    assert_eq!(raw.status, 200);
    assert_eq!(raw.content_type, "application/octet-stream");
    assert_eq!(raw.body, outcome.output);
    assert_eq!(
        env.block_on(env.client.job_output(&id)).unwrap(),
        Some(outcome.output.clone())
    );

    // A second job is listed first.
    let (second, _) = submit(&env);
    let list = env.block_on(env.client.jobs(10)).unwrap();
    assert_eq!((list.total, list.open), (2, 1));
    let listed: Vec<_> = list.jobs.iter().map(|j| (j.id, j.phase.as_str())).collect();
    assert_eq!(listed, vec![(second, "commit"), (id, "accepted")]);
    assert_eq!(list.jobs[1].fuel_used, Some(outcome.fuel_used));
    assert_eq!(env.block_on(env.client.jobs(1)).unwrap().jobs.len(), 1);

    // Work units: each agreeing node earned the fuel used, unpaid until the epoch's end.
    let units = env.block_on(env.client.work_units(None)).unwrap();
    assert_eq!(
        (units.epoch, units.paid, units.payout_height),
        (0, false, 120)
    );
    assert_eq!(units.nodes.len(), 3);
    assert!(
        units
            .nodes
            .iter()
            .all(|n| n.units == outcome.fuel_used && n.paid.is_none())
    );
    assert_eq!(units.total_units, 3 * outcome.fuel_used);
    while env.chain.read().unwrap().height() < 120 {
        env.commit_pool();
    }
    let paid = env.block_on(env.client.work_units(Some(0))).unwrap();
    assert_eq!((paid.epoch, paid.current_epoch, paid.paid), (0, 1, true));
    assert_eq!(paid.total_units, 3 * outcome.fuel_used);
    let shares: Vec<_> = paid.nodes.iter().map(|n| n.paid.unwrap()).collect();
    assert!(shares[0] > Amount::ZERO && shares.iter().all(|s| *s == shares[0]));
    let now = env.block_on(env.client.work_units(None)).unwrap();
    assert_eq!((now.epoch, now.paid, now.nodes.len()), (1, false, 0));
}

#[test]
fn job_routes_refuse_bad_input_with_json() {
    let env = Env::new(&genesis());
    let unknown = "00".repeat(32);
    for (target, status, code) in [
        (format!("/v1/jobs/{unknown}"), 404, "not_found"),
        (format!("/v1/jobs/{unknown}/output"), 404, "not_found"),
        ("/v1/jobs/xyz".to_owned(), 400, "bad_job_id"),
        ("/v1/jobs/xyz/output".to_owned(), 400, "bad_job_id"),
        ("/v1/jobs?limit=0".to_owned(), 400, "bad_limit"),
        ("/v1/jobs?limit=501".to_owned(), 400, "bad_limit"),
        ("/v1/jobs?limit=ten".to_owned(), 400, "bad_limit"),
        ("/v1/work/units?epoch=-1".to_owned(), 400, "bad_epoch"),
    ] {
        let raw = env.raw("GET", &target, b"");
        assert_eq!(
            (raw.status, raw.code()),
            (status, code.to_owned()),
            "{target}"
        );
    }
    let empty = env.raw("GET", "/v1/jobs", b"").json();
    assert_eq!(
        (
            empty["total"].as_u64(),
            empty["jobs"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
    let future = env.block_on(env.client.work_units(Some(99))).unwrap();
    assert!(!future.paid && future.nodes.is_empty());
}
