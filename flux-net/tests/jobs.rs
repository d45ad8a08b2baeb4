//! A node runs the compute jobs the chain assigns to it: a Mandelbrot render submitted through
//! the API is executed by the node's worker, committed, revealed and accepted on chain, and the
//! accepted image is byte for byte the one a local run of the engine produces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flux_chain::testkit::GenesisBuilder;
use flux_chain::testkit::keys::key;
use flux_chain::tx::{JobSubmit, TxKind};
use flux_chain::work::Phase;
use flux_core::Amount;
use flux_core::crypto::SecretKey;
use flux_net::api::client::Client;
use flux_net::node::{Node, NodeConfig};
use flux_net::testkit::wait::wait_for_async;
use flux_nodes::work::jobs::{MANDELBROT_WAT, Ppm, mandelbrot_input};
use flux_nodes::work::{compile_wat, execute, validate};

/// A node validating alone in `dir` (keys from `seed`), `funded` holding 1,000 FLUX, like the
/// kit's `start_validator` but with a genesis dated now. A job's phases last 5 blocks, which
/// the worker needs about a second each in a debug build to meet; a block's time may run at
/// most `max_block_drift_ms` ahead of its parent's, so on a genesis dated in the past (the
/// kit's, 2026-01-01) the node makes blocks back to back until its block times catch up with
/// the clock, and the phases end before the worker has run the job.
async fn start_validator_now(dir: &Path, seed: u64, funded: &SecretKey) -> (Node, Client) {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let builder = GenesisBuilder::new()
        .timestamp_ms(u64::try_from(now_ms).unwrap())
        .validators(1, seed)
        .unwrap()
        .account(funded, Amount::from_flux(1_000).unwrap());
    let operator = builder.node_keys()[0].operator.clone();
    let config = NodeConfig::local(dir, builder.build().unwrap(), Some(operator));
    let node = Node::start(config).await.unwrap();
    let client = Client::new(&format!("http://{}", node.api_addr().unwrap())).unwrap();
    (node, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_runs_its_assigned_job_and_the_chain_accepts_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let client_key = key(42);
    let (node, client) = start_validator_now(dir.path(), 21, &client_key).await;

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
