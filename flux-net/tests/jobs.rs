//! A node runs the compute jobs the chain assigns to it: a Mandelbrot render submitted through
//! the API is executed by the node's worker, committed, revealed and accepted on chain, and the
//! accepted image is byte for byte the one a local run of the engine produces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use flux_chain::testkit::keys::key;
use flux_chain::tx::{JobSubmit, TxKind};
use flux_chain::work::Phase;
use flux_core::Amount;
use flux_net::testkit::node::start_validator;
use flux_net::testkit::wait::wait_for_async;
use flux_nodes::work::jobs::{MANDELBROT_WAT, Ppm, mandelbrot_input};
use flux_nodes::work::{compile_wat, execute, validate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_runs_its_assigned_job_and_the_chain_accepts_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let client_key = key(42);
    let (node, client) = start_validator(
        dir.path(),
        21,
        &client_key,
        Amount::from_flux(1_000).unwrap(),
    )
    .await
    .unwrap();

    let module = compile_wat(MANDELBROT_WAT).unwrap();
    let input = mandelbrot_input(64, 48, 200);
    let fuel = 200_000_000;
    let expected = execute(&validate(&module).unwrap(), &input, fuel).unwrap();
    let sent = client
        .sign_and_submit(
            &client_key,
            "0.001".parse().unwrap(),
            TxKind::JobSubmit(JobSubmit {
                module,
                input,
                fuel,
                fee: Amount::from_flux(1).unwrap(),
            }),
        )
        .await
        .unwrap();
    client
        .wait_finalized(&sent.id, Duration::from_secs(30))
        .await
        .unwrap();

    // The worker commits, then reveals; with one assigned node its result is the majority.
    let job = || {
        let chain = node.chain().read().unwrap();
        chain.state().work().jobs.get(&sent.id).cloned().unwrap()
    };
    let accepted = wait_for_async("the job's acceptance", async || {
        let job = job();
        (job.phase == Phase::Accepted).then(|| job.accepted.unwrap())
    })
    .await
    .unwrap_or_else(|e| panic!("{e}: {:?}", job()));
    assert_eq!(accepted.agreeing, vec![node.node_id().unwrap()]);
    assert_eq!(accepted.fuel_used, expected.fuel_used);
    assert_eq!(accepted.result_hash, expected.result_hash());
    let reveal = node
        .chain()
        .read()
        .unwrap()
        .tx(&accepted.output_tx)
        .unwrap()
        .unwrap()
        .0;
    let TxKind::WorkReveal(reveal) = reveal.kind else {
        panic!("the output transaction is a {:?}", reveal.kind);
    };
    assert_eq!(reveal.outcome, expected);
    let image = Ppm::parse(&reveal.outcome.output).unwrap();
    assert_eq!((image.width, image.height), (64, 48));
    node.shutdown().await.unwrap();
}
