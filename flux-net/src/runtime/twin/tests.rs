//! The twin behaves as the Docker runtime does for everything the hosting loop relies on.

use std::collections::BTreeMap;

use flux_nodes::hosting::{LABEL_APP, LABEL_NODE, PortMap};
use futures::StreamExt;

use super::*;

const NET: &str = "fluxDockerNetwork_web";

fn labels(app: &str, node: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_APP.to_string(), app.to_string()),
        (LABEL_NODE.to_string(), node.to_string()),
    ])
}

fn spec(name: &str, node: &str, port: Option<u16>) -> ContainerSpec {
    ContainerSpec {
        name: name.to_string(),
        image: "sample:1".to_string(),
        labels: labels("web", node),
        network: NET.to_string(),
        alias: "front".to_string(),
        env: vec!["MESSAGE=hi".to_string()],
        cmd: vec![],
        ports: port
            .map(|p| PortMap {
                host_ip: [127, 0, 0, 1].into(),
                host_port: p,
                container_port: 8080,
            })
            .into_iter()
            .collect(),
        nano_cpus: 100_000_000,
        memory_bytes: 64 << 20,
        mount: None,
    }
}

/// A twin with the network and the image ready.
async fn ready() -> TwinRuntime {
    let twin = TwinRuntime::new();
    twin.ensure_network(NET, &labels("web", "aa"))
        .await
        .expect("network");
    twin.pull("sample:1").await.expect("pull");
    twin
}

async fn state(twin: &TwinRuntime, name: &str) -> Option<ObservedState> {
    twin.inspect(name).await.expect("inspect").map(|o| o.state)
}

#[tokio::test]
async fn create_runs_it_and_list_finds_it_by_labels_and_node() {
    let twin = ready().await;
    twin.create(&spec("fluxfront_web_a", "aa", Some(31000)))
        .await
        .expect("create a");
    twin.create(&spec("fluxfront_web_b", "bb", Some(31001)))
        .await
        .expect("create b");
    twin.add_foreign("postgres", "postgres:16");

    let all = twin.list(None).await.expect("list");
    let names: Vec<_> = all.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        ["fluxfront_web_a", "fluxfront_web_b"],
        "sorted, foreign left out"
    );
    assert!(
        all.iter()
            .all(|o| o.state == ObservedState::Running && o.label(LABEL_APP) == Some("web"))
    );
    let on_b = twin.list(Some("bb")).await.expect("list bb");
    assert_eq!(on_b.len(), 1);
    assert_eq!(on_b[0].name, "fluxfront_web_b");
    assert_eq!(
        twin.spec("fluxfront_web_a"),
        Some(spec("fluxfront_web_a", "aa", Some(31000)))
    );
    let networks = twin.list_networks(Some("aa")).await.expect("networks");
    assert_eq!(networks.len(), 1);
    assert_eq!(networks[0].name, NET);
}

#[tokio::test]
async fn a_container_that_crashes_on_start_is_exited_with_its_code_and_emits_both_events() {
    let twin = ready().await;
    let mut events = twin.events().await.expect("events");
    twin.crash_on_start("sample:1", 3);
    twin.create(&spec("fluxfront_web", "aa", None))
        .await
        .expect("create");
    assert_eq!(
        state(&twin, "fluxfront_web").await,
        Some(ObservedState::Exited { code: 3 })
    );
    let first = events.next().await.expect("an event").expect("ok");
    assert_eq!(
        (first.name.as_str(), first.kind),
        ("fluxfront_web", EventKind::Started)
    );
    let second = events.next().await.expect("an event").expect("ok");
    assert_eq!(second.kind, EventKind::Died { code: 3 });
    assert_eq!(
        second.labels.get(LABEL_APP).map(String::as_str),
        Some("web")
    );

    twin.stop_crashing("sample:1");
    twin.start("fluxfront_web").await.expect("restart");
    assert_eq!(
        state(&twin, "fluxfront_web").await,
        Some(ObservedState::Running)
    );
}

#[tokio::test]
async fn exit_stops_a_running_container_and_start_brings_it_back_later_on_the_clock() {
    let twin = ready().await;
    twin.create(&spec("fluxfront_web", "aa", None))
        .await
        .expect("create");
    let first = twin
        .inspect("fluxfront_web")
        .await
        .expect("inspect")
        .and_then(|o| o.started_at_ms);
    assert!(twin.exit("fluxfront_web", 137));
    assert!(!twin.exit("fluxfront_web", 137), "already exited");
    assert_eq!(
        state(&twin, "fluxfront_web").await,
        Some(ObservedState::Exited { code: 137 })
    );
    twin.start("fluxfront_web").await.expect("start");
    let again = twin
        .inspect("fluxfront_web")
        .await
        .expect("inspect")
        .and_then(|o| o.started_at_ms);
    assert!(again > first, "{again:?} after {first:?}");
    twin.start("fluxfront_web")
        .await
        .expect("starting a running container is a no-op");
}

#[tokio::test]
async fn a_failing_pull_gives_the_registrys_reason_and_create_needs_the_image_and_network() {
    let twin = TwinRuntime::new();
    twin.fail_pull(
        "ghost",
        "pull access denied for ghost, repository does not exist",
    );
    let err = twin.pull("ghost:latest").await.expect_err("pull fails");
    assert_eq!(
        err,
        RuntimeError::PullFailed {
            image: "ghost:latest".into(),
            reason: "pull access denied for ghost, repository does not exist".into(),
        }
    );
    assert!(!twin.image_present("ghost").await.expect("present?"));

    let err = twin
        .create(&spec("fluxfront_web", "aa", None))
        .await
        .expect_err("no image");
    assert!(matches!(err, RuntimeError::ImageMissing { .. }), "{err}");
    twin.add_image("sample:1");
    let err = twin
        .create(&spec("fluxfront_web", "aa", None))
        .await
        .expect_err("no network");
    assert!(matches!(err, RuntimeError::NetworkMissing { .. }), "{err}");
    assert_eq!(twin.created_total(), 0);
}

#[tokio::test]
async fn a_taken_port_leaves_the_container_created_until_it_is_free() {
    let twin = ready().await;
    let ip = [127, 0, 0, 1].into();
    twin.take_port(ip, 31000);
    let err = twin
        .create(&spec("fluxfront_web", "aa", Some(31000)))
        .await
        .expect_err("taken");
    let RuntimeError::PortTaken {
        container, port, ..
    } = err
    else {
        panic!("{err}")
    };
    assert_eq!(
        (container.as_str(), port),
        ("fluxfront_web", Some((ip, 31000)))
    );
    assert_eq!(
        state(&twin, "fluxfront_web").await,
        Some(ObservedState::Created)
    );

    twin.release_port(ip, 31000);
    twin.start("fluxfront_web").await.expect("free now");
    // Another container publishing the same port on 0.0.0.0 overlaps it.
    let mut other = spec("fluxback_web", "aa", None);
    other.ports = vec![PortMap {
        host_ip: [0, 0, 0, 0].into(),
        host_port: 31000,
        container_port: 1,
    }];
    let err = twin
        .create(&other)
        .await
        .expect_err("taken by a running container");
    assert!(matches!(err, RuntimeError::PortTaken { .. }), "{err}");
}

#[tokio::test]
async fn containers_and_networks_without_the_projects_label_are_never_touched() {
    let twin = ready().await;
    twin.add_foreign("postgres", "postgres:16");
    let refused = RuntimeError::NotOurs {
        kind: "container",
        name: "postgres".into(),
    };
    assert_eq!(twin.remove("postgres").await, Err(refused.clone()));
    assert_eq!(twin.start("postgres").await, Err(refused.clone()));
    assert_eq!(twin.logs("postgres", 10).await, Err(refused));
    assert_eq!(state(&twin, "postgres").await, Some(ObservedState::Running));

    let err = twin
        .ensure_network("bridge2", &BTreeMap::new())
        .await
        .expect_err("unlabelled");
    assert!(matches!(err, RuntimeError::InvalidSpec { .. }), "{err}");
    let mut unlabelled = spec("fluxfront_web", "aa", None);
    unlabelled.labels.clear();
    let err = twin.create(&unlabelled).await.expect_err("unlabelled");
    assert!(matches!(err, RuntimeError::InvalidSpec { .. }), "{err}");
}

#[tokio::test]
async fn remove_is_idempotent_and_the_network_goes_once_empty() {
    let twin = ready().await;
    twin.create(&spec("fluxfront_web", "aa", None))
        .await
        .expect("create");
    let err = twin
        .create(&spec("fluxfront_web", "aa", None))
        .await
        .expect_err("twice");
    assert_eq!(
        err,
        RuntimeError::NameInUse {
            name: "fluxfront_web".into()
        }
    );
    let err = twin.remove_network(NET).await.expect_err("in use");
    assert!(matches!(err, RuntimeError::Engine { .. }), "{err}");
    twin.remove("fluxfront_web").await.expect("remove");
    twin.remove("fluxfront_web").await.expect("remove again");
    assert_eq!(state(&twin, "fluxfront_web").await, None);
    twin.remove_network(NET).await.expect("remove network");
    twin.remove_network(NET)
        .await
        .expect("remove network again");
    assert!(twin.list_networks(None).await.expect("networks").is_empty());
}

#[tokio::test]
async fn logs_return_the_tail() {
    let twin = ready().await;
    twin.create(&spec("fluxfront_web", "aa", None))
        .await
        .expect("create");
    for i in 0..5 {
        twin.write_log("fluxfront_web", LogStream::Stdout, &format!("line {i}\n"));
    }
    twin.write_log("fluxfront_web", LogStream::Stderr, "oops\n");
    let tail = twin.logs("fluxfront_web", 2).await.expect("logs");
    assert_eq!(
        tail,
        [
            LogLine {
                stream: LogStream::Stdout,
                text: "line 4\n".into()
            },
            LogLine {
                stream: LogStream::Stderr,
                text: "oops\n".into()
            },
        ]
    );
    let err = twin.logs("nobody", 2).await.expect_err("missing");
    assert_eq!(
        err,
        RuntimeError::NotFound {
            name: "nobody".into()
        }
    );
}

#[tokio::test]
async fn a_stopped_engine_fails_every_call_and_ends_event_streams() {
    let twin = ready().await;
    twin.create(&spec("fluxfront_web", "aa", None))
        .await
        .expect("create");
    let mut events = twin.events().await.expect("events");
    twin.set_reachable(false);
    let err = twin.list(None).await.expect_err("stopped");
    assert!(err.is_transient(), "{err}");
    assert!(twin.ping().await.is_err());
    assert!(matches!(
        events.next().await,
        Some(Err(RuntimeError::Unreachable { .. }))
    ));
    assert!(events.next().await.is_none(), "the stream ends");

    twin.set_reachable(true);
    assert_eq!(
        state(&twin, "fluxfront_web").await,
        Some(ObservedState::Running),
        "kept"
    );
}

/// One script of calls and faults; the twin's whole report afterwards.
async fn script() -> (Vec<Observed>, u64) {
    let twin = ready().await;
    twin.crash_on_start("crashy:1", 1);
    twin.add_image("crashy:1");
    for i in 0..4_u16 {
        let mut s = spec(&format!("fluxfront_web_{i}"), "aa", Some(31000 + i));
        if i % 2 == 1 {
            s.image = "crashy:1".into();
        }
        twin.create(&s).await.expect("create");
    }
    twin.exit("fluxfront_web_0", 137);
    twin.start("fluxfront_web_1").await.expect("start");
    twin.remove("fluxfront_web_2").await.expect("remove");
    (twin.list(None).await.expect("list"), twin.step())
}

#[tokio::test]
async fn the_same_calls_give_the_same_engine() {
    let (first, steps) = script().await;
    assert_eq!(script().await, (first.clone(), steps));
    assert_eq!(first.len(), 3);
    assert_eq!(first[0].state, ObservedState::Exited { code: 137 });
    assert_eq!(first[1].state, ObservedState::Exited { code: 1 });
}
