//! `/v1/host/*` end to end over HTTP: three nodes' APIs, each with the hosting service of one
//! node placed for the app (the runtime's twin behind), over one shared chain.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use flux_chain::chain::Chain;
use flux_chain::mempool::{Mempool, MempoolConfig};
use flux_chain::store::MemStore;
use flux_chain::testkit::GenesisBuilder;
use flux_chain::testkit::keys::key;
use flux_chain::transition::{BuildMode, propose_block};
use flux_chain::tx::{AppCancel, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{Amount, ChainId};
use flux_net::api::client::{Client, ClientError};
use flux_net::api::hosting::apps::{
    AppStatusOptions, RowState, app_logs, app_status, app_url, wait_removed, wait_serving,
};
use flux_net::api::hosting::{HostingHandle, HostingMode, LogsQuery, LogsRequest};
use flux_net::api::{ChainBackend, serve};
use flux_net::hosting::{Hosting, HostingConfig, InstanceState};
use flux_net::metrics::Metrics;
use flux_net::runtime::{LogStream, MAX_LOG_TAIL, Runtime, TwinRuntime};
use flux_net::testkit::wait::wait_for_async;
use flux_nodes::NodeId;

const TINYBOT: &str = r#"{"version":8,"name":"tinybot","description":"Chat bot with no public ports",
"owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC","compose":[{"name":"bot","description":"chat bot",
"repotag":"example/tinybot:0.9","ports":[],"domains":[],"environmentParameters":[],"commands":[],
"containerPorts":[],"containerData":"/srv/bot","cpu":0.1,"ram":100,"hdd":1,"repoauth":""}],
"instances":3,"contacts":[],"geolocation":[],"expire":5000,"nodes":[],"staticip":false,"enterprise":""}"#;

type SharedChain = Arc<RwLock<Chain<MemStore>>>;

/// One chain, the twin runtime, and per hosting node its API (with the node's hosting) URL.
struct Net {
    chain: SharedChain,
    pool: Arc<Mutex<Mempool>>,
    twin: Arc<TwinRuntime>,
    apis: BTreeMap<NodeId, String>,
    hostings: Vec<Hosting>,
    _dirs: Vec<tempfile::TempDir>,
    bare: String,
}

fn owner() -> SecretKey {
    key(1)
}

async fn api(
    chain: &SharedChain,
    pool: &Arc<Mutex<Mempool>>,
    node: Option<NodeId>,
    hosting: Option<&Hosting>,
) -> String {
    let mut backend = ChainBackend::new(
        chain.clone(),
        pool.clone(),
        Arc::new(Metrics::new()),
        node,
        Arc::new(|_: &flux_chain::tx::Transaction| {}),
    )
    .unwrap();
    if let Some(h) = hosting {
        backend = backend.with_hosting(Arc::new(HostingHandle::of(
            h,
            Some("app.localhost".to_owned()),
        )));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, Arc::new(backend), std::future::pending()));
    url
}

async fn net() -> Net {
    let fixture = GenesisBuilder::new()
        .validators(4, 5)
        .unwrap()
        .account(&owner(), Amount::from_flux(1_000_000).unwrap())
        .account(&key(2), Amount::from_flux(1_000).unwrap())
        .app(&owner(), TINYBOT.to_owned())
        .fixture()
        .unwrap();
    let chain: SharedChain = Arc::new(RwLock::new(fixture.into_chain()));
    let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
    let twin = Arc::new(TwinRuntime::new());
    twin.add_image("example/tinybot:0.9");
    let placed = chain
        .read()
        .unwrap()
        .state()
        .placement()
        .instances_of("tinybot");
    assert_eq!(placed.len(), 3, "three instances on three nodes");
    let (mut apis, mut hostings, mut dirs) = (BTreeMap::new(), Vec::new(), Vec::new());
    for (i, (_, node)) in placed.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let config = HostingConfig {
            node_tag: Some(format!("n{i}")),
            reconcile_interval_ms: 100,
            ..HostingConfig::default()
        };
        let runtime: Arc<dyn Runtime> = twin.clone();
        let hosting = Hosting::start(
            config,
            dir.path().to_owned(),
            Some(*node),
            chain.clone(),
            Some(runtime),
        )
        .await
        .unwrap();
        apis.insert(*node, api(&chain, &pool, Some(*node), Some(&hosting)).await);
        hostings.push(hosting);
        dirs.push(dir);
    }
    let bare = api(&chain, &pool, None, None).await;
    Net {
        chain,
        pool,
        twin,
        apis,
        hostings,
        _dirs: dirs,
        bare,
    }
}

impl Net {
    fn options(&self) -> AppStatusOptions {
        AppStatusOptions {
            node_apis: self.apis.clone(),
            ..AppStatusOptions::default()
        }
    }

    fn client(&self) -> Client {
        Client::new(&self.bare).unwrap()
    }

    /// The first hosting node's client and its (serving) container's name.
    async fn first(&self) -> (Client, String) {
        let client = Client::new(self.apis.values().next().unwrap()).unwrap();
        let container = wait_for_async("a serving container", async || {
            let view = client.host_instances().await.ok()?;
            let row = view.instances.first()?;
            (row.state == InstanceState::Serving).then(|| row.container.clone())
        })
        .await
        .unwrap();
        (client, container)
    }

    /// Commits a block of the pool's transactions.
    fn commit(&self) {
        let mut chain = self.chain.write().unwrap();
        let mut pool = self.pool.lock().unwrap();
        let txs = pool.select(chain.state(), 1_000);
        let time = chain.state().tip().timestamp_ms + 1_000;
        let built = propose_block(
            chain.state(),
            &key(9),
            time,
            vec![],
            txs,
            BuildMode::CHECKED,
        )
        .unwrap();
        assert!(built.dropped.is_empty(), "{:?}", built.dropped);
        chain.apply(&built.block).unwrap();
        pool.prune(chain.state());
    }

    async fn stop(self) {
        for h in self.hostings {
            h.shutdown().await;
        }
    }
}

fn query(tail: u32) -> LogsQuery {
    LogsQuery {
        app: "tinybot".into(),
        component: None,
        instance: None,
        tail,
    }
}

fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn status_code(result: Result<impl std::fmt::Debug, ClientError>) -> (u16, String) {
    match result {
        Err(ClientError::Status { status, code, .. }) => (status, code),
        other => panic!("expected an error answer, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_show_what_runs_and_say_when_hosting_is_off() {
    let net = net().await;
    let bare = net.client().host_instances().await.unwrap();
    assert_eq!(bare.hosting, HostingMode::Off);
    assert!(bare.reason.is_some() && bare.instances.is_empty());
    let (client, container) = net.first().await;
    let view = client.host_instances().await.unwrap();
    assert_eq!(view.hosting, HostingMode::On);
    assert_eq!(view.domain_suffix.as_deref(), Some("app.localhost"));
    assert_eq!(view.node, net.apis.keys().next().copied());
    let row = &view.instances[0];
    assert_eq!(
        (row.app.as_str(), row.component.as_str()),
        ("tinybot", "bot")
    );
    assert_eq!(row.container, container);
    net.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_reads_the_logs_and_nobody_else() {
    let net = net().await;
    let (client, container) = net.first().await;
    for i in 0..5 {
        net.twin
            .write_log(&container, LogStream::Stdout, &format!("line {i}\n"));
    }
    net.twin.write_log(&container, LogStream::Stderr, "oops\n");
    let logs = client.host_logs(&owner(), &query(3)).await.unwrap();
    assert_eq!(
        (logs.component.as_str(), logs.container.as_str()),
        ("bot", &*container)
    );
    let text: Vec<&str> = logs.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(text, ["line 3\n", "line 4\n", "oops\n"]);
    assert_eq!(logs.lines[2].stream, "stderr");

    // A stranger: 403, whatever it signs.
    assert_eq!(
        status_code(client.host_logs(&key(2), &query(3)).await),
        (403, "not_app_owner".into())
    );
    let chain_id = client.status().await.unwrap().chain_id;
    let signed =
        |at: u64, chain: ChainId| LogsRequest::sign(&owner(), chain, &query(3), at).unwrap();
    // A stale (or future) timestamp: 403.
    for at in [now_ms() - 120_000, now_ms() + 120_000] {
        assert_eq!(
            status_code(client.host_logs_signed(&signed(at, chain_id)).await),
            (403, "stale_request".into())
        );
    }
    // Signed for another chain: 403.
    let other = ChainId(chain_id.0 + 1);
    assert_eq!(
        status_code(client.host_logs_signed(&signed(now_ms(), other)).await),
        (403, "bad_signature".into())
    );
    // A field changed after signing: 403.
    let mut changed = signed(now_ms(), chain_id);
    changed.tail = 5;
    assert_eq!(status_code(client.host_logs_signed(&changed).await).0, 403);
    // Unknown app: 404; a component the app lacks: 404; too long a tail: 400.
    let mut unknown = query(3);
    unknown.app = "nothing".into();
    assert_eq!(
        status_code(client.host_logs(&owner(), &unknown).await).0,
        404
    );
    let mut component = query(3);
    component.component = Some("db".into());
    assert_eq!(
        status_code(client.host_logs(&owner(), &component).await).0,
        404
    );
    assert_eq!(
        status_code(client.host_logs(&owner(), &query(MAX_LOG_TAIL + 1)).await),
        (400, "bad_tail".into())
    );
    net.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_logs_requests_are_400() {
    let net = net().await;
    let url = format!("{}/v1/host/logs", net.apis.values().next().unwrap());
    let good = serde_json::to_value(
        LogsRequest::sign(&owner(), ChainId::DEVNET, &query(1), now_ms()).unwrap(),
    )
    .unwrap();
    let mut extra = good.clone();
    extra["admin"] = true.into();
    let mut bad_key = good.clone();
    bad_key["key"] = "ed25519:zz".into();
    let mut short_sig = good.clone();
    short_sig["signature"] = "abcd".into();
    let bodies: [(&str, Vec<u8>); 4] = [
        ("not json", b"{\"app\":".to_vec()),
        ("unknown field", serde_json::to_vec(&extra).unwrap()),
        ("bad key", serde_json::to_vec(&bad_key).unwrap()),
        ("short signature", serde_json::to_vec(&short_sig).unwrap()),
    ];
    for (what, body) in bodies {
        let (status, json) = post(&url, body).await;
        assert_eq!(status, 400, "{what}: {json}");
        assert!(json["error"]["code"].is_string(), "{what}: {json}");
    }
    net.stop().await;
}

/// A POST of raw bytes with hyper; the status and JSON body.
async fn post(url: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<hyper::body::Bytes>>();
    let request = hyper::Request::post(url)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_status_asks_every_hosting_node_and_waits_for_serving() {
    let net = net().await;
    let client = net.client();
    let options = net.options();
    let serving = wait_serving(&client, "tinybot", &options, None, Duration::from_secs(20))
        .await
        .unwrap();
    assert!(serving.all_serving(), "{serving:?}");
    assert_eq!(serving.rows.len(), 3);
    assert_eq!(serving.domain_suffix.as_deref(), Some("app.localhost"));
    assert_eq!(
        app_url("tinybot", "app.localhost"),
        "http://tinybot.app.localhost/"
    );
    let nodes: Vec<_> = serving.rows.iter().map(|r| r.node.unwrap()).collect();
    assert!(nodes.iter().all(|n| net.apis.contains_key(n)));

    // The owner's logs through the library: from the node of the instance asked for.
    let (_, _) = net.first().await;
    let mut one = query(10);
    one.instance = Some(serving.rows[2].instance);
    let logs = app_logs(&client, &owner(), &one, &options).await.unwrap();
    assert_eq!(logs.instance, serving.rows[2].instance);

    // A node that does not answer shows as unreachable.
    let mut gone = options.clone();
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    gone.node_apis.insert(nodes[0], dead);
    let status = app_status(&client, "tinybot", &gone).await.unwrap();
    assert_eq!(status.rows[0].state, RowState::Unreachable);
    assert_eq!(status.rows[1].state, RowState::Serving);

    // Cancel: the chain forgets the app and every node removes its container.
    client
        .sign_and_submit(
            &owner(),
            Amount::ZERO,
            TxKind::AppCancel(AppCancel {
                name: "tinybot".into(),
            }),
        )
        .await
        .unwrap();
    net.commit();
    let hosts: Vec<String> = net.apis.values().cloned().collect();
    wait_removed(&client, "tinybot", &hosts, Duration::from_secs(20))
        .await
        .unwrap();
    net.stop().await;
}
