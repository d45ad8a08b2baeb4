//! The reconcile loop against the runtime's deterministic twin.

use std::collections::BTreeMap;
use std::sync::Arc;

use flux_nodes::hosting::{
    ContainerSpec, HostConfig, LABEL_APP, LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NODE, LABEL_SPEC,
    Mount,
};
use flux_nodes::{NodeId, Tier};

use super::reconcile::Reconciler;
use super::status::{InstanceState, StatusBoard};
use crate::runtime::{Runtime, TwinRuntime};

fn host(dir: &std::path::Path) -> HostConfig {
    HostConfig::new(
        NodeId::default(),
        Tier::Cumulus,
        "127.0.0.1".parse().unwrap(),
        dir,
    )
}

fn spec(host: &HostConfig, app: &str, image: &str, spec_hash: &str) -> ContainerSpec {
    let labels = BTreeMap::from([
        (LABEL_APP.to_owned(), app.to_owned()),
        (LABEL_COMPONENT.to_owned(), "web".to_owned()),
        (LABEL_INSTANCE.to_owned(), "0".to_owned()),
        (LABEL_NODE.to_owned(), host.node_label()),
        (LABEL_SPEC.to_owned(), spec_hash.to_owned()),
    ]);
    ContainerSpec {
        name: host.container_name("web", app),
        image: image.to_owned(),
        labels,
        network: host.network_name(app),
        alias: "web".to_owned(),
        env: vec!["A=1".to_owned()],
        cmd: vec![],
        ports: vec![],
        nano_cpus: 100_000_000,
        memory_bytes: 64 << 20,
        mount: Some(Mount {
            host_path: host.component_data(app, "web"),
            container_path: "/data".to_owned(),
        }),
    }
}

fn setup() -> (tempfile::TempDir, Arc<TwinRuntime>, Reconciler, StatusBoard) {
    let dir = tempfile::tempdir().unwrap();
    let twin = Arc::new(TwinRuntime::new());
    let board = StatusBoard::new();
    let runtime: Arc<dyn Runtime> = twin.clone();
    let rec = Reconciler::new(runtime, host(dir.path()), board.clone());
    (dir, twin, rec, board)
}

#[tokio::test]
async fn a_placed_instance_is_created_serves_and_a_second_pass_does_nothing() {
    let (_dir, twin, mut rec, board) = setup();
    let s = spec(rec.host(), "shop", "sample:1", "aa");
    twin.add_image("sample:1");
    let first = rec.pass(std::slice::from_ref(&s), &[]).await.unwrap();
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    assert_eq!(twin.created_total(), 1);
    let row = board.get(&s.name).unwrap();
    assert_eq!(row.state, InstanceState::Serving);
    assert_eq!((row.app.as_str(), row.component.as_str()), ("shop", "web"));
    let second = rec.pass(std::slice::from_ref(&s), &[]).await.unwrap();
    assert!(second.actions.is_empty(), "{:?}", second.actions);
    assert_eq!(twin.created_total(), 1);
}

#[tokio::test]
async fn a_crashed_container_is_restarted_then_waits_out_its_back_off() {
    let (_dir, twin, mut rec, board) = setup();
    let s = spec(rec.host(), "shop", "sample:1", "aa");
    twin.add_image("sample:1");
    rec.pass(std::slice::from_ref(&s), &[]).await.unwrap();
    twin.crash_on_start("sample:1", 3);
    assert!(twin.exit(&s.name, 3));
    // First restart at once; it crashes again (crash_on_start).
    rec.pass(std::slice::from_ref(&s), &[]).await.unwrap();
    let row = board.get(&s.name).unwrap();
    assert_eq!(row.restarts, 1);
    assert_eq!(row.state, InstanceState::Crashing);
    assert_eq!(row.last_error.as_deref(), Some("exited with code 3"));
    // The next pass comes before the back-off ends: no restart.
    rec.pass(std::slice::from_ref(&s), &[]).await.unwrap();
    assert_eq!(board.get(&s.name).unwrap().restarts, 1);
    assert_eq!(twin.created_total(), 1, "restarted, never re-created");
}

#[tokio::test]
async fn a_pull_that_fails_marks_the_instance_failed_with_the_registry_reason() {
    let (_dir, twin, mut rec, board) = setup();
    let s = spec(rec.host(), "shop", "nowhere/none:1", "aa");
    twin.fail_pull("nowhere/none:1", "manifest unknown");
    let report = rec.pass(std::slice::from_ref(&s), &[]).await.unwrap();
    assert!(!report.failed.is_empty());
    let row = board.get(&s.name).unwrap();
    assert_eq!(row.state, InstanceState::Failed);
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("manifest unknown"),
        "{row:?}"
    );
    assert_eq!(twin.created_total(), 0);
}

#[tokio::test]
async fn a_taken_port_fails_one_app_and_not_the_other() {
    let (_dir, twin, mut rec, board) = setup();
    twin.add_image("sample:1");
    let mut a = spec(rec.host(), "shop", "sample:1", "aa");
    a.ports = vec![flux_nodes::hosting::PortMap {
        host_ip: "127.0.0.1".parse().unwrap(),
        host_port: 31_000,
        container_port: 80,
    }];
    let b = spec(rec.host(), "blog", "sample:1", "bb");
    twin.take_port("127.0.0.1".parse().unwrap(), 31_000);
    rec.pass(&[a.clone(), b.clone()], &[]).await.unwrap();
    assert_eq!(board.get(&a.name).unwrap().state, InstanceState::Failed);
    assert!(matches!(
        board.get(&b.name).unwrap().state,
        InstanceState::Serving
    ));
}

/// Issue 21 "an app whose demand exceeds the node's free resources as the runtime sees them":
/// the container that would not fit beside the one that runs is not created, its instance is
/// `failed` with why, the running app is untouched, and once room is made the next pass creates
/// it.
#[tokio::test]
async fn an_app_beyond_the_hosts_free_resources_fails_without_touching_the_others() {
    let (_dir, twin, mut rec, board) = setup();
    twin.add_image("sample:1");
    twin.set_capacity(flux_nodes::hosting::Capacity {
        nano_cpus: 1_000_000_000,
        memory_bytes: 1 << 30,
    });
    let mut small = spec(rec.host(), "shop", "sample:1", "aa");
    small.nano_cpus = 600_000_000;
    let mut big = spec(rec.host(), "blog", "sample:1", "bb");
    big.nano_cpus = 600_000_000;
    rec.pass(std::slice::from_ref(&small), &[]).await.unwrap();
    assert_eq!(
        board.get(&small.name).unwrap().state,
        InstanceState::Serving
    );
    let report = rec.pass(&[small.clone(), big.clone()], &[]).await.unwrap();
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    let row = board.get(&big.name).unwrap();
    assert_eq!(row.state, InstanceState::Failed);
    let why = row.last_error.unwrap_or_default();
    assert!(why.contains("not enough resources"), "{why}");
    assert_eq!(twin.created_total(), 1, "the big one was never created");
    assert_eq!(
        board.get(&small.name).unwrap().state,
        InstanceState::Serving
    );
    // The small app leaves: the big one fits now.
    rec.pass(std::slice::from_ref(&big), &[]).await.unwrap();
    assert_eq!(board.get(&big.name).unwrap().state, InstanceState::Serving);
}

#[tokio::test]
async fn an_app_that_leaves_loses_its_container_and_data_but_foreign_containers_stay() {
    let (dir, twin, mut rec, board) = setup();
    twin.add_image("sample:1");
    twin.add_foreign("someone-elses", "sample:1");
    let s = spec(rec.host(), "shop", "sample:1", "aa");
    rec.pass(std::slice::from_ref(&s), &[]).await.unwrap();
    let data = rec.host().component_data("shop", "web");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("kept"), b"x").unwrap();
    rec.pass(&[], &[]).await.unwrap();
    assert!(twin.list(None).await.unwrap().is_empty());
    assert!(board.snapshot().is_empty());
    assert!(!rec.host().app_data("shop").exists());
    assert!(dir.path().exists());
    assert!(
        twin.inspect("someone-elses").await.unwrap().is_some(),
        "a container without the project's labels is never touched"
    );
}

#[tokio::test]
async fn an_update_replaces_the_container_and_keeps_its_data() {
    let (_dir, twin, mut rec, _board) = setup();
    twin.add_image("sample:1");
    let v1 = spec(rec.host(), "shop", "sample:1", "aa");
    rec.pass(std::slice::from_ref(&v1), &[]).await.unwrap();
    let data = rec.host().component_data("shop", "web");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("kept"), b"x").unwrap();
    let mut v2 = spec(rec.host(), "shop", "sample:1", "bb");
    v2.env = vec!["A=2".to_owned()];
    rec.pass(std::slice::from_ref(&v2), &[]).await.unwrap();
    assert_eq!(twin.created_total(), 2);
    assert_eq!(twin.spec(&v2.name).unwrap().env, vec!["A=2".to_owned()]);
    assert!(data.join("kept").exists(), "the data survives an update");
}

#[tokio::test]
async fn an_unreachable_engine_is_an_error_and_the_next_pass_resumes() {
    let (_dir, twin, mut rec, board) = setup();
    twin.add_image("sample:1");
    let s = spec(rec.host(), "shop", "sample:1", "aa");
    twin.set_reachable(false);
    assert!(rec.pass(std::slice::from_ref(&s), &[]).await.is_err());
    twin.set_reachable(true);
    rec.pass(std::slice::from_ref(&s), &[]).await.unwrap();
    assert_eq!(board.get(&s.name).unwrap().state, InstanceState::Serving);
}
