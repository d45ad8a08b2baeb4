//! A node hosts for real: an app registered on chain and placed on this validator runs as a
//! Docker container (image built here from the `flux-sample-app` binary, no registry), the
//! node's gateway serves it by `Host`, `docker kill` brings it back through the reconcile
//! loop, an update replaces it with its data kept, and a cancel removes container and data; an
//! app whose subscription ends loses its container, network and data by itself.
//! Skipped with a notice without a Docker Engine, a failure under `FLUX_REQUIRE_DOCKER=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use flux_chain::testkit::keys::key;
use flux_chain::tx::{AppCancel, AppRegister, AppUpdate, TxKind};
use flux_core::Amount;
use flux_net::api::client::Client;
use flux_net::hosting::InstanceState;
use flux_net::node::Node;
use flux_net::runtime::image;
use flux_net::testkit::docker::{DockerCleanup, docker_or_skip};
use flux_net::testkit::hosting::{self as hosting_kit, free_port, get, sample_spec, test_hosting};
use flux_net::testkit::node::start_validator_with;
use flux_net::testkit::wait::wait_for_async;

const SAMPLE: &str = env!("CARGO_BIN_EXE_flux-sample-app");

fn spec_json(name: &str, image: &str, port: u16, message: &str) -> String {
    sample_spec(name, image, port, message, 3)
}

fn price(node: &Node, json: &str) -> Amount {
    hosting_kit::price(node, json).unwrap()
}

async fn submit(client: &Client, owner: &flux_core::crypto::SecretKey, kind: TxKind) {
    let sent = client
        .sign_and_submit(owner, "0.001".parse().unwrap(), kind)
        .await
        .unwrap();
    client
        .wait_finalized(&sent.id, Duration::from_secs(60))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placed_app_runs_in_docker_and_the_gateway_serves_it() {
    let test = "hosting_a_placed_app_runs";
    let Some(docker) = docker_or_skip(test).await else {
        return;
    };
    let mut cleanup = DockerCleanup::new(test);
    let image = format!("flux-sample-app:{}", std::process::id());
    image::import_binary(&docker, SAMPLE.as_ref(), &image, &[])
        .await
        .unwrap();
    cleanup.image(&image);

    let dir = tempfile::tempdir().unwrap();
    let owner = key(77);
    let tag = format!("t{}", std::process::id());
    let (node, client) = start_validator_with(
        dir.path(),
        31,
        &owner,
        Amount::from_flux(100_000).unwrap(),
        |config| {
            config.hosting = Some(test_hosting(&tag, None));
        },
    )
    .await
    .unwrap();
    let hosting = node.hosting().expect("hosting configured");
    assert!(hosting.off_reason().is_none(), "{:?}", hosting.off_reason());
    cleanup.node(&node.node_id().unwrap().to_string());
    let gateway = hosting.gateway_addr().unwrap();
    let name = format!("hello{}", std::process::id() % 100_000);
    let host = format!("{name}.app.localhost");

    // An unknown app: 404 from the gateway.
    assert_eq!(get(gateway, &host).await.map(|r| r.0), Some(404));

    // Register: the container runs and the gateway answers with the app's message.
    let port = free_port().unwrap();
    let v1 = spec_json(&name, &image, port, "first");
    let kind = TxKind::AppRegister(AppRegister {
        price: price(&node, &v1),
        spec: v1,
    });
    submit(&client, &owner, kind).await;
    let body = wait_for_async("the app served through the gateway", async || {
        get(gateway, &host)
            .await
            .filter(|(status, _)| *status == 200)
            .map(|r| r.1)
    })
    .await
    .unwrap();
    assert!(body.contains("first"), "{body}");
    let row = hosting.status().snapshot().into_iter().next().unwrap();
    assert_eq!(row.state, InstanceState::Serving);
    assert!(row.ports_answer);
    // The gateway reaches its own instance at the container's address on the app's network
    // (Docker's, with the container port), without the port proxy of the published port.
    let inspect = std::process::Command::new("docker")
        .args([
            "inspect",
            "-f",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        ])
        .arg(&row.container)
        .output()
        .unwrap();
    let ip: std::net::IpAddr = String::from_utf8_lossy(&inspect.stdout)
        .trim()
        .parse()
        .unwrap();
    let direct = wait_for_async("the instance reached at its container", async || {
        hosting
            .status()
            .get(&row.container)
            .filter(|r| !r.direct.is_empty())
            .map(|r| r.direct)
    })
    .await
    .unwrap();
    assert_eq!(direct, vec![std::net::SocketAddr::new(ip, 8080)]);

    // docker kill: the loop restarts it and the gateway serves again.
    let container = row.container.clone();
    let killed = std::process::Command::new("docker")
        .args(["kill", &container])
        .output()
        .unwrap();
    assert!(killed.status.success(), "{killed:?}");
    wait_for_async("the killed container restarted", async || {
        hosting
            .status()
            .get(&container)
            .filter(|r| r.restarts >= 1 && r.state == InstanceState::Serving)
    })
    .await
    .unwrap();
    wait_for_async("the gateway serving the restarted container", async || {
        (get(gateway, &host).await.map(|r| r.0) == Some(200)).then_some(())
    })
    .await
    .unwrap();

    // Update: the same container name runs the new spec; the data folder stays.
    let data = hosting.status().get(&container).map(|_| {
        dir.path()
            .join("apps")
            .join(format!("{name}_{tag}"))
            .join("web")
    });
    let v2 = spec_json(&name, &image, port, "second");
    let kind = TxKind::AppUpdate(AppUpdate {
        // A ceiling: the chain charges what is due at the including block.
        price: price(&node, &v2),
        spec: v2,
    });
    submit(&client, &owner, kind).await;
    let body = wait_for_async("the updated app served", async || {
        get(gateway, &host)
            .await
            .filter(|(s, b)| *s == 200 && b.contains("second"))
            .map(|r| r.1)
    })
    .await
    .unwrap();
    assert!(body.contains("second"));
    if let Some(data) = &data {
        assert!(data.exists(), "{} kept across the update", data.display());
    }

    // Cancel: container, network and data go; the gateway says 404 again.
    submit(
        &client,
        &owner,
        TxKind::AppCancel(AppCancel { name: name.clone() }),
    )
    .await;
    let runtime = hosting.runtime().unwrap().clone();
    let node_label = node.node_id().unwrap().to_string();
    wait_for_async("the cancelled app's container removed", async || {
        runtime
            .list(Some(&node_label))
            .await
            .ok()
            .filter(|l| l.is_empty())
    })
    .await
    .unwrap();
    if let Some(data) = &data {
        assert!(!data.exists(), "{} removed with the app", data.display());
    }
    wait_for_async("the gateway forgets the app", async || {
        (get(gateway, &host).await.map(|r| r.0) == Some(404)).then_some(())
    })
    .await
    .unwrap();
    node.shutdown().await.unwrap();
    cleanup.clean(&docker).await.unwrap();
}

/// Issue 21 "an app cancelled or expired": an app registered for 12 blocks runs, and when its
/// subscription ends (no cancel, no update) its container, network and data folder go by
/// themselves and the gateway forgets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_app_loses_its_container_network_and_data() {
    let test = "hosting_an_expired_app";
    let Some(docker) = docker_or_skip(test).await else {
        return;
    };
    let mut cleanup = DockerCleanup::new(test);
    let image = format!("flux-sample-app:x{}", std::process::id());
    image::import_binary(&docker, SAMPLE.as_ref(), &image, &[])
        .await
        .unwrap();
    cleanup.image(&image);
    let dir = tempfile::tempdir().unwrap();
    let owner = key(76);
    let tag = format!("x{}", std::process::id());
    let (node, client) = start_validator_with(
        dir.path(),
        33,
        &owner,
        Amount::from_flux(100_000).unwrap(),
        |config| {
            config.hosting = Some(test_hosting(&tag, None));
        },
    )
    .await
    .unwrap();
    let hosting = node.hosting().expect("hosting configured");
    let node_label = node.node_id().unwrap().to_string();
    cleanup.node(&node_label);
    let gateway = hosting.gateway_addr().unwrap();
    let name = format!("brief{}", std::process::id() % 100_000);
    let host = format!("{name}.app.localhost");

    let port = free_port().unwrap();
    let mut spec: serde_json::Value =
        serde_json::from_str(&spec_json(&name, &image, port, "brief")).unwrap();
    spec["expire"] = 12.into();
    let spec = spec.to_string();
    let kind = TxKind::AppRegister(AppRegister {
        price: price(&node, &spec),
        spec,
    });
    submit(&client, &owner, kind).await;
    let expires_at = client.app(&name).await.unwrap().unwrap().expires_at;
    wait_for_async("the app served", async || {
        (get(gateway, &host).await.map(|r| r.0) == Some(200)).then_some(())
    })
    .await
    .unwrap();
    let data = dir.path().join("apps").join(format!("{name}_{tag}"));
    assert!(data.exists(), "{}", data.display());

    let runtime = hosting.runtime().unwrap().clone();
    wait_for_async("the expired app's container removed", async || {
        runtime
            .list(Some(&node_label))
            .await
            .ok()
            .filter(|l| l.is_empty())
    })
    .await
    .unwrap();
    assert!(
        client.status().await.unwrap().height >= expires_at,
        "removed before its expiry"
    );
    assert!(client.app(&name).await.unwrap().is_none());
    wait_for_async("the expired app's data and network removed", async || {
        let networks = runtime.list_networks(Some(&node_label)).await.ok()?;
        (networks.is_empty() && !data.exists()).then_some(())
    })
    .await
    .unwrap();
    wait_for_async("the gateway forgets the expired app", async || {
        (get(gateway, &host).await.map(|r| r.0) == Some(404)).then_some(())
    })
    .await
    .unwrap();
    node.shutdown().await.unwrap();
    cleanup.clean(&docker).await.unwrap();
}
