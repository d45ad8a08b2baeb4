//! Issue 21 "the Docker Engine stopped and restarted while `fluxd` runs": a validator hosts an
//! app through an [`EngineRelay`] in front of the real Docker Engine; the relay stops (the
//! node's engine is away: its connections cut, new ones refused) and the app's container is
//! killed meanwhile, as an engine restart stops containers. The node keeps finalising blocks and
//! answering its API; when the engine is back, hosting resumes by itself: the container is
//! started again and the gateway serves it.
//!
//! Skipped with a notice without a Docker Engine, a failure under `FLUX_REQUIRE_DOCKER=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use flux_chain::testkit::keys::key;
use flux_chain::tx::{AppRegister, TxKind};
use flux_core::Amount;
use flux_net::hosting::InstanceState;
use flux_net::runtime::{ObservedState, Runtime, image};
use flux_net::testkit::docker::{DockerCleanup, docker_or_skip};
use flux_net::testkit::hosting::{free_port, get, price, sample_spec, test_hosting};
use flux_net::testkit::node::start_validator_with;
use flux_net::testkit::relay::EngineRelay;
use flux_net::testkit::wait::wait_for_async;

const SAMPLE: &str = env!("CARGO_BIN_EXE_flux-sample-app");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_validates_through_an_engine_outage_and_hosting_resumes_by_itself() {
    let test = "hosting_engine_outage";
    let Some(docker) = docker_or_skip(test).await else {
        return;
    };
    let pid = std::process::id();
    let mut cleanup = DockerCleanup::new(test);
    let image = format!("flux-sample-app:engine{pid}");
    image::import_binary(&docker, SAMPLE.as_ref(), &image, &[])
        .await
        .unwrap();
    cleanup.image(&image);

    let dir = tempfile::tempdir().unwrap();
    let mut relay = EngineRelay::start(&dir.path().join("engine.sock"))
        .await
        .unwrap();
    std::fs::create_dir_all(dir.path().join("node")).unwrap();
    let owner = key(79);
    let tag = format!("e{pid}");
    let (node, client) = start_validator_with(
        &dir.path().join("node"),
        32,
        &owner,
        Amount::from_flux(100_000).unwrap(),
        |config| {
            config.hosting = Some(test_hosting(&tag, Some(relay.endpoint())));
        },
    )
    .await
    .unwrap();
    let hosting = node.hosting().expect("hosting configured");
    assert!(hosting.off_reason().is_none(), "{:?}", hosting.off_reason());
    cleanup.node(&node.node_id().unwrap().to_string());
    let gateway = hosting.gateway_addr().unwrap();
    let name = format!("outage{}", pid % 100_000);
    let host = format!("{name}.app.localhost");

    let port = free_port().unwrap();
    let spec = sample_spec(&name, &image, port, "still here", 3);
    let kind = TxKind::AppRegister(AppRegister {
        price: price(&node, &spec).unwrap(),
        spec,
    });
    let sent = client
        .sign_and_submit(&owner, "0.001".parse().unwrap(), kind)
        .await
        .unwrap();
    client
        .wait_finalized(&sent.id, Duration::from_secs(60))
        .await
        .unwrap();
    let row = wait_for_async("the app serving", async || {
        hosting
            .status()
            .snapshot()
            .into_iter()
            .find(|r| r.app == name && r.state == InstanceState::Serving)
    })
    .await
    .unwrap();

    // The engine goes away from the node; an engine restart stops the container meanwhile.
    relay.stop();
    let killed = std::process::Command::new("docker")
        .args(["kill", &row.container])
        .output()
        .unwrap();
    assert!(killed.status.success(), "{killed:?}");
    // The node keeps validating and answering its API.
    let from = client.status().await.unwrap().height;
    wait_for_async("blocks finalised without the engine", async || {
        let height = client.status().await.ok()?.height;
        (height >= from + 3).then_some(())
    })
    .await
    .unwrap();
    assert!(client.host_instances().await.is_ok());
    // Without its engine the node could not restart the container (it went through the relay).
    let label = node.node_id().unwrap().to_string();
    let seen = docker.list(Some(&label)).await.unwrap();
    let state = seen
        .iter()
        .find(|o| o.name == row.container)
        .map(|o| o.state);
    assert!(
        matches!(state, Some(ObservedState::Exited { .. })),
        "{state:?}"
    );
    assert!(
        !relay.is_running() && get(gateway, &host).await.is_some(),
        "the gateway answers (its 502 or 503) without the engine"
    );

    // The engine is back: hosting resumes by itself, the container is started again.
    relay.resume().unwrap();
    wait_for_async("the container started again", async || {
        hosting
            .status()
            .get(&row.container)
            .filter(|r| r.restarts >= 1 && r.state == InstanceState::Serving)
    })
    .await
    .unwrap();
    wait_for_async("the gateway serving after the outage", async || {
        get(gateway, &host)
            .await
            .filter(|(status, body)| *status == 200 && body.contains("still here"))
    })
    .await
    .unwrap();

    node.shutdown().await.unwrap();
    cleanup.clean(&docker).await.unwrap();
}
