//! Issue 21's acceptance on a network: four in-process validators (real redb, libp2p,
//! consensus, hosting and gateways) on 127.0.0.1, each publishing app ports on its own
//! loopback address as separate hosts would, against the real Docker Engine (the image built
//! here from the `flux-sample-app` binary, no registry).
//!
//! An app of 3 instances runs on 3 different nodes and every node's gateway (the idle one too)
//! serves it; `docker kill` of one container brings it back; a hosting node that dies (node
//! stopped and its container gone, as when its machine fails) leaves the other gateways serving
//! a burst with no failed request (they retry on other instances); its instance is re-placed on
//! the idle node once it leaves the registry; a cancel removes every container on every node.
//!
//! Here the node leaves by a `NodeExit`, which runs the same end-of-block path as an expiry
//! (`transition::app::settle`: a placed node that is no longer `Confirmed` leaves the
//! placement and its instances move); `flux-cli/tests/hosting_fluxd.rs` lets a killed `fluxd`
//! process expire on a genesis with a short `nodes.expire_after`.
//!
//! Skipped with a notice without a Docker Engine, a failure under `FLUX_REQUIRE_DOCKER=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "hosting_network/support.rs"]
mod support;

use std::collections::BTreeSet;

use flux_chain::testkit::keys::key;
use flux_chain::tx::{AppCancel, AppRegister, NodeExit, TxKind};
use flux_core::Amount;
use flux_net::hosting::{HostingConfig, InstanceState};
use flux_net::runtime::{LABEL_APP, Runtime, image};
use flux_net::testkit::docker::{DockerCleanup, docker_or_skip};
use flux_net::testkit::node::start_validator_with;
use flux_net::testkit::wait::wait_for_async_within;

use support::{
    SLOW, burst, docker, free_port, get, placement, price, spec_json, submit, wait_answer,
};

const SAMPLE: &str = env!("CARGO_BIN_EXE_flux-sample-app");

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_validators_host_an_app_of_three_instances_and_every_gateway_serves_it() {
    let test = "hosting_network_four_validators";
    let Some(runtime) = docker_or_skip(test).await else {
        return;
    };
    let pid = std::process::id();
    let mut cleanup = DockerCleanup::new(test);
    let image = format!("flux-sample-app:net{pid}");
    image::import_binary(&runtime, SAMPLE.as_ref(), &image, &[])
        .await
        .unwrap();
    cleanup.image(&image);

    let owner = key(78);
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut members = support::start(
        &dirs,
        41,
        &owner,
        Amount::from_flux(100_000).unwrap(),
        &format!("t{pid}"),
    )
    .await;
    for m in &members {
        cleanup.node(&m.id.to_string());
    }
    let name = format!("net{}", pid % 100_000);
    let host = format!("{name}.app.localhost");
    let message = format!("hello from {name}");

    // Register through node 1's API: 3 instances on 3 different nodes.
    let port = free_port();
    let spec = spec_json(&name, &image, port, &message);
    let kind = TxKind::AppRegister(AppRegister {
        price: price(members[0].node(), &spec),
        spec,
    });
    submit(&members[1].client, &owner, kind).await;
    let placed = wait_for_async_within("the app placed", SLOW, async || {
        let p = placement(members[0].node(), &name);
        (p.len() == 3).then_some(p)
    })
    .await
    .unwrap();
    let hosts: BTreeSet<_> = placed.iter().map(|(_, n)| *n).collect();
    assert_eq!(
        hosts.len(),
        3,
        "3 instances on 3 different nodes: {placed:?}"
    );
    let hosting: Vec<usize> = (0..4).filter(|&i| hosts.contains(&members[i].id)).collect();
    let idle = (0..4).find(|i| !hosting.contains(i)).unwrap();

    // Each hosting node runs its instance (serving, published on its own address); the idle
    // node runs none; every gateway, the idle node's too, answers with the app's message.
    for &i in &hosting {
        let m = &members[i];
        let row = wait_for_async_within("the instance serving", SLOW, async || {
            m.serving(&name).into_iter().next()
        })
        .await
        .unwrap();
        assert!(row.ports_answer, "{row:?}");
        assert_eq!(row.published, vec![format!("{}:{port}", m.publish_ip)]);
        assert_eq!(m.hosting().status().snapshot().len(), 1, "node {i}");
    }
    assert!(members[idle].hosting().status().snapshot().is_empty());
    let idle_label = members[idle].id.to_string();
    assert!(runtime.list(Some(&idle_label)).await.unwrap().is_empty());
    for m in &members {
        wait_answer("every gateway serving", m.gateway, &host, &message).await;
    }

    // docker kill one container: its node's loop restarts it; the gateways keep answering.
    let victim = &members[hosting[0]];
    let container = victim.serving(&name)[0].container.clone();
    docker(&["kill", &container]);
    // While it is down and coming back, every gateway retries onto the other instances.
    for (i, m) in members.iter().enumerate() {
        burst(
            m.gateway,
            &host,
            &message,
            &format!("gateway {i} after the kill"),
        )
        .await;
    }
    wait_for_async_within("the killed container restarted", SLOW, async || {
        victim
            .hosting()
            .status()
            .get(&container)
            .filter(|r| r.restarts >= 1 && r.state == InstanceState::Serving)
    })
    .await
    .unwrap();
    for m in &members {
        wait_answer("serving after the kill", m.gateway, &host, &message).await;
    }

    // A hosting node dies: the node stops and its container goes with its machine.
    let dead = hosting[1];
    let dead_container = members[dead].serving(&name)[0].container.clone();
    let dead_addr = std::net::SocketAddr::new(members[dead].publish_ip, port);
    let node = members[dead].node.take().unwrap();
    node.shutdown().await.unwrap();
    docker(&["rm", "-f", &dead_container]);
    wait_for_async_within("the dead instance's port closed", SLOW, async || {
        (!flux_net::hosting::reconcile::probe(dead_addr).await).then_some(())
    })
    .await
    .unwrap();
    // Every other gateway still routes a share of the requests to the dead address: each
    // request must be retried onto a live instance.
    let alive: Vec<usize> = (0..4).filter(|&i| i != dead).collect();
    let retries = |members: &[support::Member]| -> u64 {
        alive
            .iter()
            .filter_map(|&i| members[i].hosting().gateway_metrics())
            .map(|m| m.retries(&name))
            .sum()
    };
    let retries_before = retries(&members);
    for &i in &alive {
        let what = format!("gateway {i} with node {dead} dead");
        burst(members[i].gateway, &host, &message, &what).await;
    }

    // The idle node's gateway has no local instance and goes round the three remote ones:
    // the dead one was tried and the request retried elsewhere.
    assert!(
        retries(&members) > retries_before,
        "no request met the dead instance"
    );

    // The dead node leaves the registry (NodeExit by its owner, sent through a live node):
    // its instance moves to the idle node, which runs it; the gateways serve on.
    let exit = TxKind::NodeExit(NodeExit {
        node: members[dead].id,
    });
    submit(&members[idle].client, &members[dead].owner, exit).await;
    let moved = wait_for_async_within("the instance re-placed", SLOW, async || {
        let p = placement(members[idle].node(), &name);
        let on: BTreeSet<_> = p.iter().map(|(_, n)| *n).collect();
        (p.len() == 3 && !on.contains(&members[dead].id)).then_some(on)
    })
    .await
    .unwrap();
    assert!(moved.contains(&members[idle].id), "{moved:?}");
    let newcomer = &members[idle];
    wait_for_async_within("the re-placed instance serving", SLOW, async || {
        newcomer.serving(&name).into_iter().next()
    })
    .await
    .unwrap();
    for &i in &alive {
        wait_answer(
            "serving after re-placement",
            members[i].gateway,
            &host,
            &message,
        )
        .await;
    }

    // Cancel: every container of the app on every node goes, with its data folder; the
    // gateways forget it.
    let data = |i: usize| {
        dirs[i]
            .path()
            .join("apps")
            .join(format!("{name}_t{pid}n{i}"))
    };
    for &i in &alive {
        let hosts_it = moved.contains(&members[i].id);
        assert_eq!(data(i).exists(), hosts_it, "{}", data(i).display());
    }
    submit(
        &members[idle].client,
        &owner,
        TxKind::AppCancel(AppCancel { name: name.clone() }),
    )
    .await;
    wait_for_async_within("every container of the app removed", SLOW, async || {
        let all = runtime.list(None).await.ok()?;
        all.iter()
            .all(|o| o.labels.get(LABEL_APP) != Some(&name))
            .then_some(())
    })
    .await
    .unwrap();
    for &i in &alive {
        let label = members[i].id.to_string();
        assert!(
            runtime.list(Some(&label)).await.unwrap().is_empty(),
            "node {i}"
        );
        // The pass removes the containers first, then the data folder.
        wait_for_async_within("the app's data folder removed", SLOW, async || {
            (!data(i).exists()).then_some(())
        })
        .await
        .unwrap();
        wait_for_async_within("the gateway forgets the app", SLOW, async || {
            (get(members[i].gateway, &host).await.map(|r| r.0) == Some(404)).then_some(())
        })
        .await
        .unwrap();
    }

    for m in &mut members {
        if let Some(node) = m.node.take() {
            node.shutdown().await.unwrap();
        }
    }
    cleanup.clean(&runtime).await.unwrap();
}

/// A node whose Docker Engine does not answer at start validates on and says why it hosts
/// nothing. Needs no engine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_docker_engine_turns_hosting_off_and_blocks_still_finalise() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_validator_with(
        dir.path(),
        42,
        &key(79),
        Amount::from_flux(1_000).unwrap(),
        |config| {
            config.hosting = Some(HostingConfig {
                docker: Some("unix:///nonexistent.sock".to_owned()),
                gateway: Some("127.0.0.1:0".parse().unwrap()),
                reconcile_interval_ms: 300,
                ..HostingConfig::default()
            });
        },
    )
    .await
    .unwrap();
    let hosting = node.hosting().expect("hosting configured");
    let why = hosting.off_reason().expect("hosting is off");
    assert!(!why.is_empty());
    assert!(hosting.runtime().is_none());
    assert!(hosting.status().snapshot().is_empty());
    // The gateway still runs (it routes to other nodes' instances): an unknown app is a 404.
    let gateway = hosting.gateway_addr().unwrap();
    assert_eq!(
        get(gateway, "nothing.app.localhost").await.map(|r| r.0),
        Some(404)
    );
    wait_for_async_within("blocks finalised", SLOW, async || {
        let height = client.status().await.ok()?.height;
        (height >= 3).then_some(())
    })
    .await
    .unwrap();
    node.shutdown().await.unwrap();
}
