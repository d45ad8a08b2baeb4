//! Issue 21's acceptance with four real `fluxd` processes (the devnet's layout, each node
//! publishing app ports on its own loopback address 127.0.0.(i+1) as separate hosts would)
//! against the real Docker Engine, the app's image built here from the `flux` binary (no
//! registry). The genesis starts the nodes on a short expiry (`nodes.expire_after` 40 blocks,
//! keep-alives from 20: [`flux_chain::genesis::Genesis::params`]).
//!
//! One run walks an app's life:
//! 1. an app of 3 instances is placed on 3 different nodes, each runs its container, and
//!    every node's gateway (the idle node's too) answers with the app;
//! 2. `docker kill` of one container: its node restarts it;
//! 3. `fluxd` of a hosting node SIGKILLed and restarted: it adopts its running container (the
//!    same container, started when it was, never a second one);
//! 4. another hosting node dies (its `fluxd` SIGKILLed, its container stopped, as when its
//!    machine fails): every other gateway serves bursts with no failed request (retries on
//!    the other instances); when the node expires, its instance is re-placed on the idle node,
//!    which serves it;
//! 5. the dead node's `fluxd` comes back: it is no longer assigned the app and removes its
//!    stopped container (nothing orphaned);
//! 6. the owner cancels the app: every container of it on every node goes.
//!
//! Skipped with a notice without a Docker Engine, a failure under `FLUX_REQUIRE_DOCKER=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Child;
use std::time::Duration;

use flux_chain::tx::{AppCancel, AppRegister, TxKind};
use flux_core::crypto::SecretKey;
use flux_net::api::client::Client;
use flux_net::api::keyfile;
use flux_net::devnet::Layout;
use flux_net::hosting::{InstanceState, InstanceStatus};
use flux_net::runtime::{LABEL_APP, Runtime, image};
use flux_net::testkit::docker::{DockerCleanup, docker_or_skip};
use flux_net::testkit::hosting::{burst, free_port, sample_spec, wait_answer};
use flux_net::testkit::wait::wait_for_async_within;
use flux_nodes::NodeId;
use flux_nodes::app::AppSpec;
use flux_nodes::hosting::Observed;

/// Every wait of this test (a node's expiry takes up to `EXPIRE_AFTER` one-second blocks).
const SLOW: Duration = Duration::from_secs(180);
const EXPIRE_AFTER: u64 = 40;
const MIN_CONFIRM_INTERVAL: u64 = 20;

/// The four `fluxd` processes; killed if the test fails midway.
struct Fluxds {
    layout: Layout,
    children: Vec<Option<Child>>,
}

impl Fluxds {
    fn start(&mut self, i: usize) {
        let fluxd = Path::new(env!("CARGO_BIN_EXE_fluxd"));
        self.children[i] = Some(self.layout.spawn(i, fluxd).unwrap());
    }

    /// SIGKILL, no chance to clean up.
    fn kill(&mut self, i: usize) {
        let mut child = self.children[i].take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    fn client(&self, i: usize) -> Client {
        Client::new(&self.layout.api_url(i))
            .unwrap()
            .with_timeout(Duration::from_secs(10))
    }

    fn gateway(&self, i: usize) -> SocketAddr {
        self.layout.gateway_addr(i).unwrap()
    }
}

impl Drop for Fluxds {
    fn drop(&mut self) {
        for child in self.children.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Where `app`'s instances are placed, as `client`'s node sees it (instance -> node).
async fn placement(client: &Client, app: &str) -> Option<BTreeMap<u32, NodeId>> {
    let view = client.app(app).await.ok()??;
    Some(
        view.placement
            .iter()
            .map(|p| (p.instance, p.node))
            .collect(),
    )
}

/// The row of `app` that `client`'s node reports serving, if any (one instance per node).
async fn serving(client: &Client, app: &str) -> Option<InstanceStatus> {
    let view = client.host_instances().await.ok()?;
    view.instances
        .into_iter()
        .find(|r| r.app == app && r.state == InstanceState::Serving)
}

/// The containers of `app` that node `id` runs in the engine, any state.
async fn containers(docker: &dyn Runtime, id: &NodeId, app: &str) -> Vec<Observed> {
    let all = docker.list(Some(&id.to_string())).await.unwrap();
    all.into_iter()
        .filter(|o| o.label(LABEL_APP) == Some(app))
        .collect()
}

/// Signs `kind` with `key`, submits it through `client` and waits until it is final.
async fn submit(client: &Client, key: &SecretKey, kind: TxKind) {
    let sent = client
        .sign_and_submit(key, "0.001".parse().unwrap(), kind)
        .await
        .unwrap();
    client.wait_finalized(&sent.id, SLOW).await.unwrap();
}

/// Runs `docker <args>` and asserts it succeeded.
fn docker_cli(args: &[&str]) {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "docker {args:?}: {out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_fluxd_processes_host_heal_replace_on_expiry_and_cancel_an_app() {
    let test = "hosting_fluxd";
    let Some(docker) = docker_or_skip(test).await else {
        return;
    };
    let pid = std::process::id();
    let mut cleanup = DockerCleanup::new(test);
    let tag = format!("flux-sample-app:fluxd{pid}");
    image::import_binary(
        &docker,
        env!("CARGO_BIN_EXE_flux").as_ref(),
        &tag,
        &["sample-app"],
    )
    .await
    .unwrap();
    cleanup.image(&tag);

    let dir = tempfile::tempdir().unwrap();
    let params = BTreeMap::from([
        ("nodes.expire_after".to_owned(), EXPIRE_AFTER),
        (
            "nodes.min_confirm_interval".to_owned(),
            MIN_CONFIRM_INTERVAL,
        ),
    ]);
    let mut layout = Layout::create_or_open_with(dir.path(), 4, 0, &params).unwrap();
    layout.set_hosting(Some(0)).unwrap();
    let ids = layout.node_ids().unwrap();
    for id in &ids {
        cleanup.node(&id.to_string());
    }
    let mut nodes = Fluxds {
        layout,
        children: (0..4).map(|_| None).collect(),
    };
    for i in 0..4 {
        nodes.start(i);
    }
    // Node i's id (the layout lists ids in id order, not in node order).
    let mut id_of = Vec::new();
    for i in 0..4 {
        let client = nodes.client(i);
        let id = wait_for_async_within("the node's status", SLOW, async || {
            client.status().await.ok()?.node_id
        })
        .await
        .unwrap();
        assert!(ids.contains(&id));
        id_of.push(id);
    }

    // 1. Register an app of 3 instances through node 1 (the faucet pays).
    let name = format!("fluxd{}", pid % 100_000);
    let host = format!("{name}.app.localhost");
    let message = format!("hello from {name}");
    let port = free_port().unwrap();
    let spec = sample_spec(&name, &tag, port, &message, 3);
    let client1 = nodes.client(1);
    let chain = client1.params().await.unwrap();
    let price = AppSpec::from_json_strict(spec.as_bytes(), &chain.apps)
        .unwrap()
        .price(&chain.apps.prices)
        .unwrap()
        .total;
    let faucet = keyfile::read(&nodes.layout.faucet()).unwrap();
    submit(
        &client1,
        &faucet,
        TxKind::AppRegister(AppRegister { spec, price }),
    )
    .await;
    let placed = wait_for_async_within("3 instances placed", SLOW, async || {
        placement(&client1, &name).await.filter(|p| p.len() == 3)
    })
    .await
    .unwrap();
    let hosts: BTreeSet<NodeId> = placed.values().copied().collect();
    assert_eq!(hosts.len(), 3, "3 instances on 3 nodes: {placed:?}");
    let hosting: Vec<usize> = (0..4).filter(|&i| hosts.contains(&id_of[i])).collect();
    let idle = (0..4).find(|i| !hosting.contains(i)).unwrap();

    for &i in &hosting {
        let client = nodes.client(i);
        let row = wait_for_async_within("the instance serving", SLOW, async || {
            serving(&client, &name).await.filter(|r| r.ports_answer)
        })
        .await
        .unwrap();
        let ip = Layout::host_ip(i);
        assert_eq!(row.published, vec![format!("{ip}:{port}")]);
        assert_eq!(containers(&docker, &id_of[i], &name).await.len(), 1);
    }
    assert!(containers(&docker, &id_of[idle], &name).await.is_empty());
    for i in 0..4 {
        wait_answer(
            "every gateway serving",
            SLOW,
            nodes.gateway(i),
            &host,
            &message,
        )
        .await
        .unwrap();
    }

    // 2. docker kill one container: its node's loop restarts it.
    let healer = hosting[0];
    let container = containers(&docker, &id_of[healer], &name).await[0]
        .name
        .clone();
    docker_cli(&["kill", &container]);
    let client = nodes.client(healer);
    wait_for_async_within("the killed container restarted", SLOW, async || {
        let view = client.host_instances().await.ok()?;
        view.instances
            .into_iter()
            .find(|r| r.container == container)
            .filter(|r| r.restarts >= 1 && r.state == InstanceState::Serving)
    })
    .await
    .unwrap();

    // 3. fluxd SIGKILLed and restarted: the same container runs on, adopted by its labels.
    let before = containers(&docker, &id_of[healer], &name).await;
    assert_eq!(before.len(), 1);
    nodes.kill(healer);
    nodes.start(healer);
    let client = nodes.client(healer);
    let row = wait_for_async_within("the restarted node's instance serving", SLOW, async || {
        serving(&client, &name).await
    })
    .await
    .unwrap();
    assert_eq!(row.container, before[0].name);
    let after = containers(&docker, &id_of[healer], &name).await;
    assert_eq!(after.len(), 1, "no second container: {after:?}");
    assert_eq!(
        after[0].started_at_ms, before[0].started_at_ms,
        "adopted, not recreated"
    );

    // 4. Another hosting node dies with its machine: fluxd SIGKILLed, its container stopped.
    let dead = hosting[1];
    let dead_container = containers(&docker, &id_of[dead], &name).await[0]
        .name
        .clone();
    nodes.kill(dead);
    docker_cli(&["stop", "-t", "1", &dead_container]);
    let alive: Vec<usize> = (0..4).filter(|&i| i != dead).collect();
    for &i in &alive {
        let sent = burst(nodes.gateway(i), &host, &message, 50).await;
        assert!(sent.is_ok(), "gateway {i} with node {dead} dead: {sent:?}");
    }
    // It stops confirming and expires: its instance moves to the idle node.
    let client = nodes.client(idle);
    let moved = wait_for_async_within("the dead node's instance re-placed", SLOW, async || {
        let p = placement(&client, &name).await?;
        let on: BTreeSet<NodeId> = p.values().copied().collect();
        (p.len() == 3 && !on.contains(&id_of[dead])).then_some(on)
    })
    .await
    .unwrap();
    assert!(moved.contains(&id_of[idle]), "{moved:?}");
    wait_for_async_within("the re-placed instance serving", SLOW, async || {
        serving(&client, &name).await
    })
    .await
    .unwrap();
    for &i in &alive {
        wait_answer(
            "serving after re-placement",
            SLOW,
            nodes.gateway(i),
            &host,
            &message,
        )
        .await
        .unwrap();
    }

    // 5. The dead node's fluxd comes back: its stopped container is no longer its to run.
    nodes.start(dead);
    wait_for_async_within("the expired node's container removed", SLOW, async || {
        containers(&docker, &id_of[dead], &name)
            .await
            .is_empty()
            .then_some(())
    })
    .await
    .unwrap();

    // 6. Cancel: every container of the app goes, on every node.
    submit(
        &nodes.client(idle),
        &faucet,
        TxKind::AppCancel(AppCancel { name: name.clone() }),
    )
    .await;
    wait_for_async_within("every container of the app removed", SLOW, async || {
        let mut left = 0;
        for id in &id_of {
            left += containers(&docker, id, &name).await.len();
        }
        (left == 0).then_some(())
    })
    .await
    .unwrap();
    for i in 0..4 {
        wait_for_async_within("the gateway forgets the app", SLOW, async || {
            let answer = flux_net::testkit::hosting::get(nodes.gateway(i), &host).await;
            (answer.map(|r| r.0) == Some(404)).then_some(())
        })
        .await
        .unwrap();
    }
    drop(nodes);
    cleanup.clean(&docker).await.unwrap();
}
