//! The container runtime against the real Docker Engine (skipped with a notice when none is
//! reachable, failing instead under `FLUX_REQUIRE_DOCKER=1`), and the same scenarios against
//! the in-memory twin where they apply. Images are built here from the `flux-sample-app`
//! binary (no registry); every container, network and image a test makes is removed by its
//! `DockerCleanup`, even when the test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use flux_net::runtime::{
    ContainerSpec, DockerEndpoint, DockerRuntime, EventKind, EventStream, ObservedState, Runtime,
    RuntimeError, TwinRuntime, image,
};
use flux_net::testkit::docker::{DockerCleanup, LABEL_TEST, docker_or_skip};
use flux_net::testkit::wait::{DEADLINE, wait_for_async};
use flux_nodes::hosting::{LABEL_APP, PortMap};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SAMPLE: &str = env!("CARGO_BIN_EXE_flux-sample-app");
const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// Names unique to this test process, so parallel tests and runs never collide.
fn unique(base: &str) -> String {
    format!("{base}_{}", std::process::id())
}

/// A port free on 127.0.0.1 right now (bound to port 0, then released).
fn free_port() -> u16 {
    let listener = TcpListener::bind((LOCALHOST, 0)).expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

fn spec(name: &str, image: &str, network: &str, labels: BTreeMap<String, String>) -> ContainerSpec {
    ContainerSpec {
        name: name.to_string(),
        image: image.to_string(),
        labels,
        network: network.to_string(),
        alias: "web".to_string(),
        env: vec![
            "PORT=8080".to_string(),
            "MESSAGE=hello from the test".to_string(),
        ],
        cmd: vec![],
        ports: vec![],
        nano_cpus: 500_000_000,
        memory_bytes: 64 << 20,
        mount: None,
    }
}

fn publish(spec: &mut ContainerSpec, host_port: u16) {
    spec.ports = vec![PortMap {
        host_ip: LOCALHOST.into(),
        host_port,
        container_port: 8080,
    }];
}

/// The sample image, built for this test and registered for removal.
async fn sample_image(docker: &DockerRuntime, cleanup: &mut DockerCleanup, test: &str) -> String {
    let tag = format!("flux-sample-app:{}", unique(test)).replace('_', "-");
    cleanup.image(&tag);
    image::import_binary(docker, SAMPLE.as_ref(), &tag, &[])
        .await
        .expect("import the sample image");
    assert!(docker.image_present(&tag).await.expect("image present?"));
    tag
}

/// The answer of `GET /` at `addr`, when it is a 200.
async fn get(addr: SocketAddr) -> Option<String> {
    let mut conn = tokio::net::TcpStream::connect(addr).await.ok()?;
    conn.write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut reply = String::new();
    conn.read_to_string(&mut reply).await.ok()?;
    reply.starts_with("HTTP/1.1 200 OK").then_some(reply)
}

/// The next event about `name` that `wanted` accepts (failing after the kit's deadline).
async fn event(
    events: &mut EventStream,
    name: &str,
    wanted: impl Fn(EventKind) -> bool,
) -> EventKind {
    loop {
        let next = tokio::time::timeout(DEADLINE, events.next()).await;
        let seen = next
            .expect("an event within the deadline")
            .expect("the stream goes on");
        let seen = seen.expect("a good event");
        if seen.name == name && wanted(seen.kind) {
            return seen.kind;
        }
    }
}

async fn state_of(runtime: &dyn Runtime, name: &str) -> Option<ObservedState> {
    runtime
        .inspect(name)
        .await
        .expect("inspect")
        .map(|o| o.state)
}

async fn wait_exited(runtime: &dyn Runtime, name: &str) -> i64 {
    wait_for_async("the container exited", async || {
        match state_of(runtime, name).await {
            Some(ObservedState::Exited { code }) => Some(code),
            _ => None,
        }
    })
    .await
    .expect("exited")
}

// ---- Scenarios shared by Docker and the twin: the fault is set up by the caller. ----

/// A missing image: a typed pull error with the registry's reason, and no container from it.
async fn missing_image_scenario(
    runtime: &dyn Runtime,
    image: &str,
    network: &str,
    labels: BTreeMap<String, String>,
) {
    let err = runtime
        .pull(image)
        .await
        .expect_err("the image does not exist");
    let RuntimeError::PullFailed {
        image: failed,
        reason,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(failed, image);
    assert!(
        !reason.trim().is_empty(),
        "the registry's reason is carried"
    );
    assert!(!runtime.image_present(image).await.expect("present?"));
    runtime
        .ensure_network(network, &labels)
        .await
        .expect("network");
    let err = runtime
        .create(&spec(&unique("fluxghost"), image, network, labels))
        .await
        .expect_err("no image");
    assert!(matches!(err, RuntimeError::ImageMissing { .. }), "{err}");
}

/// `spec` publishes a port something else holds: a typed error, and the container stays created.
async fn port_taken_scenario(runtime: &dyn Runtime, spec: &ContainerSpec, port: u16) {
    runtime
        .ensure_network(&spec.network, &spec.labels)
        .await
        .expect("network");
    let err = runtime.create(spec).await.expect_err("the port is taken");
    let RuntimeError::PortTaken {
        container,
        port: taken,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(container, &spec.name);
    assert_eq!(*taken, Some((LOCALHOST.into(), port)));
    assert_eq!(
        state_of(runtime, &spec.name).await,
        Some(ObservedState::Created)
    );
    runtime
        .remove(&spec.name)
        .await
        .expect("remove the created container");
}

/// `foreign` exists without the project's label: the runtime reports it but never touches it.
async fn foreign_scenario(runtime: &dyn Runtime, foreign: &str) {
    let refused = |e: Result<_, RuntimeError>| matches!(e, Err(RuntimeError::NotOurs { .. }));
    assert!(refused(runtime.remove(foreign).await));
    assert!(refused(runtime.start(foreign).await));
    assert!(refused(runtime.logs(foreign, 5).await.map(drop)));
    assert!(state_of(runtime, foreign).await.is_some(), "still there");
    let listed = runtime.list(None).await.expect("list");
    assert!(
        listed.iter().all(|o| o.name != foreign),
        "list shows only the project's containers"
    );
}

// ---- Docker ----

#[tokio::test]
async fn the_sample_app_serves_through_its_published_port_and_is_listed_with_its_labels() {
    let test = "serves";
    let Some(docker) = docker_or_skip(test).await else {
        return;
    };
    let mut cleanup = DockerCleanup::new(test);
    let image = sample_image(&docker, &mut cleanup, test).await;
    let version = docker.version().await.expect("version");
    assert!(
        !version.api_version.is_empty() && !version.negotiated_api.is_empty(),
        "{version:?}"
    );
    // What the host offers containers, as the reconcile loop's resource check reads it.
    let capacity = docker.capacity().await.expect("capacity");
    assert!(
        capacity.nano_cpus >= 1_000_000_000 && capacity.memory_bytes >= 64 << 20,
        "{capacity:?}"
    );

    let network = unique("fluxDockerNetwork_serves");
    let labels = cleanup.labels("serves");
    docker
        .ensure_network(&network, &labels)
        .await
        .expect("network");
    docker
        .ensure_network(&network, &labels)
        .await
        .expect("network again: idempotent");
    let mut events = docker.events().await.expect("events");
    let port = free_port();
    let mut web = spec(&unique("fluxweb_serves"), &image, &network, labels.clone());
    publish(&mut web, port);
    docker.create(&web).await.expect("create and start");
    event(&mut events, &web.name, |k| k == EventKind::Started).await;

    let reply = wait_for_async("the app answers", async || {
        get((LOCALHOST, port).into()).await
    })
    .await;
    let reply = reply.expect("an answer");
    assert!(reply.contains("hello from the test (instance "), "{reply}");

    let ours: Vec<_> = docker
        .list(None)
        .await
        .expect("list")
        .into_iter()
        .filter(|o| o.labels.get(LABEL_TEST) == labels.get(LABEL_TEST))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_eq!(
        (ours[0].name.as_str(), ours[0].state),
        (web.name.as_str(), ObservedState::Running)
    );
    assert_eq!(ours[0].label(LABEL_APP), Some("serves"));
    assert_eq!(ours[0].image, image);
    assert!(ours[0].started_at_ms.is_some());
    let networks = docker.list_networks(None).await.expect("networks");
    assert!(networks.iter().any(|n| n.name == network));
    let logs = docker.logs(&web.name, 10).await.expect("logs");
    assert!(logs.iter().any(|l| l.text.contains("serving")), "{logs:?}");

    docker.remove(&web.name).await.expect("remove");
    docker
        .remove(&web.name)
        .await
        .expect("remove again: idempotent");
    assert_eq!(state_of(&docker, &web.name).await, None);
    docker
        .remove_network(&network)
        .await
        .expect("remove network");
    docker
        .remove_network(&network)
        .await
        .expect("remove network again");
    cleanup.clean(&docker).await.expect("clean");
}

#[tokio::test]
async fn a_container_that_exits_at_once_is_reported_exited_with_its_code() {
    let test = "exits";
    let Some(docker) = docker_or_skip(test).await else {
        return;
    };
    let mut cleanup = DockerCleanup::new(test);
    let image = sample_image(&docker, &mut cleanup, test).await;
    let network = unique("fluxDockerNetwork_exits");
    docker
        .ensure_network(&network, &cleanup.labels("exits"))
        .await
        .expect("network");
    let mut events = docker.events().await.expect("events");
    let mut crashing = spec(
        &unique("fluxweb_exits"),
        &image,
        &network,
        cleanup.labels("exits"),
    );
    crashing.env = vec!["PORT=not-a-port".to_string()]; // the sample app exits with 2
    docker.create(&crashing).await.expect("create");
    let died = event(&mut events, &crashing.name, |k| {
        matches!(k, EventKind::Died { .. })
    })
    .await;
    assert_eq!(died, EventKind::Died { code: 2 });
    assert_eq!(wait_exited(&docker, &crashing.name).await, 2);
    let logs = docker.logs(&crashing.name, 10).await.expect("logs");
    assert!(
        logs.iter().any(|l| l.text.contains("not a port")),
        "{logs:?}"
    );
    docker.start(&crashing.name).await.expect("start again");
    assert_eq!(wait_exited(&docker, &crashing.name).await, 2);
    docker.remove(&crashing.name).await.expect("remove");
    docker
        .remove_network(&network)
        .await
        .expect("remove network");
}

#[tokio::test]
async fn an_image_that_does_not_exist_gives_a_typed_pull_error() {
    let test = "missing_image";
    let Some(docker) = docker_or_skip(test).await else {
        return;
    };
    let cleanup = DockerCleanup::new(test);
    let network = unique("fluxDockerNetwork_missing");
    missing_image_scenario(
        &docker,
        "flux-test-missing/nothing:none",
        &network,
        cleanup.labels("missing"),
    )
    .await;
    docker
        .remove_network(&network)
        .await
        .expect("remove network");
}

#[tokio::test]
async fn a_port_already_taken_gives_a_typed_error() {
    let test = "port_taken";
    let Some(docker) = docker_or_skip(test).await else {
        return;
    };
    let mut cleanup = DockerCleanup::new(test);
    let image = sample_image(&docker, &mut cleanup, test).await;
    let held = TcpListener::bind((LOCALHOST, 0)).expect("bind");
    let port = held.local_addr().expect("addr").port();
    let network = unique("fluxDockerNetwork_taken");
    let mut web = spec(
        &unique("fluxweb_taken"),
        &image,
        &network,
        cleanup.labels("taken"),
    );
    publish(&mut web, port);
    port_taken_scenario(&docker, &web, port).await;
    drop(held);
    docker
        .remove_network(&network)
        .await
        .expect("remove network");
}

#[tokio::test]
async fn containers_and_networks_without_the_projects_label_are_refused() {
    let test = "foreign";
    let Some(docker) = docker_or_skip(test).await else {
        return;
    };
    let mut cleanup = DockerCleanup::new(test);
    let image = sample_image(&docker, &mut cleanup, test).await;
    let name = unique("someone_elses");
    let body = bollard::models::ContainerCreateBody {
        image: Some(image),
        labels: Some(cleanup.foreign_labels().into_iter().collect()),
        ..Default::default()
    };
    let options = bollard::query_parameters::CreateContainerOptions {
        name: Some(name.clone()),
        ..Default::default()
    };
    docker
        .client()
        .create_container(Some(options), body)
        .await
        .expect("a foreign container");
    foreign_scenario(&docker, &name).await;

    let foreign_net = unique("someone_elses_net");
    let request = bollard::models::NetworkCreateRequest {
        name: foreign_net.clone(),
        labels: Some(cleanup.foreign_labels().into_iter().collect()),
        ..Default::default()
    };
    docker
        .client()
        .create_network(request)
        .await
        .expect("a foreign network");
    let err = docker
        .remove_network(&foreign_net)
        .await
        .expect_err("not ours");
    assert!(
        matches!(
            err,
            RuntimeError::NotOurs {
                kind: "network",
                ..
            }
        ),
        "{err}"
    );
    let err = docker
        .ensure_network(&foreign_net, &cleanup.labels("x"))
        .await
        .expect_err("not ours");
    assert!(
        matches!(
            err,
            RuntimeError::NotOurs {
                kind: "network",
                ..
            }
        ),
        "{err}"
    );
    // The guard removes both (they carry its test label).
}

#[tokio::test]
async fn an_engine_that_is_not_there_is_unreachable() {
    let nowhere = DockerEndpoint::Unix("/nonexistent/docker.sock".into());
    let err = DockerRuntime::connect(Some(&nowhere))
        .await
        .expect_err("no engine");
    assert!(matches!(err, RuntimeError::Unreachable { .. }), "{err}");
    assert!(err.is_transient());
    let port = free_port(); // nothing listens there
    let err = DockerRuntime::connect(Some(&DockerEndpoint::Tcp(format!("127.0.0.1:{port}"))))
        .await
        .expect_err("no engine");
    assert!(matches!(err, RuntimeError::Unreachable { .. }), "{err}");
}

// ---- The twin, same scenarios ----

#[tokio::test]
async fn twin_missing_image_port_taken_and_foreign_scenarios() {
    let twin = TwinRuntime::new();
    let labels = BTreeMap::from([(LABEL_APP.to_string(), "app".to_string())]);
    twin.fail_pull(
        "flux-test-missing/nothing:none",
        "repository does not exist",
    );
    missing_image_scenario(
        &twin,
        "flux-test-missing/nothing:none",
        "net",
        labels.clone(),
    )
    .await;

    twin.add_image("sample:1");
    twin.take_port(LOCALHOST.into(), 31000);
    let mut web = spec("fluxweb_app", "sample:1", "net", labels.clone());
    publish(&mut web, 31000);
    port_taken_scenario(&twin, &web, 31000).await;

    twin.add_foreign("someone_elses", "postgres:16");
    foreign_scenario(&twin, "someone_elses").await;
}

#[tokio::test]
async fn twin_a_container_that_exits_at_once_is_reported_exited() {
    let twin = TwinRuntime::new();
    let labels = BTreeMap::from([(LABEL_APP.to_string(), "app".to_string())]);
    twin.ensure_network("net", &labels).await.expect("network");
    twin.add_image("sample:1");
    twin.crash_on_start("sample:1", 2);
    let mut events = twin.events().await.expect("events");
    twin.create(&spec("fluxweb_app", "sample:1", "net", labels))
        .await
        .expect("create");
    let died = event(&mut events, "fluxweb_app", |k| {
        matches!(k, EventKind::Died { .. })
    })
    .await;
    assert_eq!(died, EventKind::Died { code: 2 });
    assert_eq!(wait_exited(&twin, "fluxweb_app").await, 2);
}
