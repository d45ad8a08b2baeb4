//! `flux app status|logs|deploy --wait|update --wait|cancel --wait` against four in-process
//! node APIs, each with the hosting service of its node over the runtime's twin, and a block
//! producer; plus the parsing of the new arguments.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use clap::Parser;
use flux_chain::mempool::{Mempool, MempoolConfig};
use flux_chain::testkit::GenesisBuilder;
use flux_chain::testkit::keys::key;
use flux_chain::transition::{BuildMode, propose_block};
use flux_cli::cli::{AppCommand, Cli, Command};
use flux_core::Amount;
use flux_core::testkit::wait::wait_until;
use flux_net::api::hosting::HostingHandle;
use flux_net::api::{ChainBackend, serve};
use flux_net::hosting::{Hosting, HostingConfig};
use flux_net::metrics::Metrics;
use flux_net::runtime::{LogStream, Runtime, TwinRuntime};
use flux_nodes::NodeId;
use serde_json::Value;

fn spec(name: &str, description: &str) -> String {
    format!(
        r#"{{"version":8,"name":"{name}","description":"{description}",
"owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC","compose":[{{"name":"bot","description":"bot",
"repotag":"example/tinybot:0.9","ports":[],"domains":[],"environmentParameters":[],"commands":[],
"containerPorts":[],"containerData":"/srv/bot","cpu":0.1,"ram":100,"hdd":1,"repoauth":""}}],
"instances":3,"contacts":[],"geolocation":[],"expire":5000,"nodes":[],"staticip":false,"enterprise":""}}"#
    )
}

/// Four nodes' APIs with hosting over one chain and one twin; a thread commits the pool.
struct Hosted {
    rt: tokio::runtime::Runtime,
    twin: Arc<TwinRuntime>,
    url: String,
    node_apis: Vec<String>,
    stop: Arc<AtomicBool>,
    _hostings: Vec<Hosting>,
    _dirs: Vec<tempfile::TempDir>,
}

impl Hosted {
    fn start() -> Hosted {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let builder = GenesisBuilder::new()
            .validators(4, 5)
            .unwrap()
            .account(&key(1), Amount::from_flux(1_000_000).unwrap())
            .account(&key(2), Amount::from_flux(1_000).unwrap())
            .app(&key(1), spec("tinybot", "first"));
        let nodes: Vec<NodeId> = builder
            .node_keys()
            .iter()
            .map(|k| NodeId::of(&k.operator.public_key()))
            .collect();
        let chain = Arc::new(RwLock::new(builder.fixture().unwrap().into_chain()));
        let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
        let twin = Arc::new(TwinRuntime::new());
        twin.add_image("example/tinybot:0.9");
        let (mut node_apis, mut dirs, mut url) = (Vec::new(), Vec::new(), String::new());
        let mut hostings = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            let config = HostingConfig {
                node_tag: Some(format!("n{i}")),
                reconcile_interval_ms: 100,
                ..HostingConfig::default()
            };
            let runtime: Arc<dyn Runtime> = twin.clone();
            let hosting = rt
                .block_on(Hosting::start(
                    config,
                    dir.path().to_owned(),
                    Some(*node),
                    chain.clone(),
                    Some(runtime),
                ))
                .unwrap();
            let backend = ChainBackend::new(
                chain.clone(),
                pool.clone(),
                Arc::new(Metrics::new()),
                Some(*node),
                Arc::new(|_: &flux_chain::tx::Transaction| {}),
            )
            .unwrap()
            .with_hosting(Arc::new(HostingHandle::of(&hosting, None)));
            hostings.push(hosting);
            let listener = rt
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            let api = format!("http://{}", listener.local_addr().unwrap());
            rt.spawn(serve(listener, Arc::new(backend), std::future::pending()));
            node_apis.push(format!("{node}={api}"));
            url = api;
            dirs.push(dir);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let running = stop.clone();
        std::thread::spawn(move || {
            while !running.load(Ordering::Relaxed) {
                // A block as soon as a transaction waits (or the stop comes).
                let pending = || !pool.lock().unwrap().is_empty();
                if wait_until("a transaction or the stop", || {
                    running.load(Ordering::Relaxed) || pending()
                })
                .is_err()
                    || running.load(Ordering::Relaxed)
                {
                    continue;
                }
                let mut chain = chain.write().unwrap();
                let mut pool = pool.lock().unwrap();
                let txs = pool.select(chain.state(), 1_000);
                if txs.is_empty() {
                    continue;
                }
                let time = chain.state().tip().timestamp_ms + 1_000;
                let mode = BuildMode::CHECKED;
                let built = propose_block(chain.state(), &key(9), time, vec![], txs, mode).unwrap();
                chain.apply(&built.block).unwrap();
                pool.prune(chain.state());
            }
        });
        Hosted {
            rt,
            twin,
            url,
            node_apis,
            stop,
            _hostings: hostings,
            _dirs: dirs,
        }
    }

    /// Runs `flux --json ARGS --node URL --node-api ...`: the exit code and the JSON.
    fn flux(&self, args: &[&str]) -> (i32, Value) {
        let mut all: Vec<&str> = vec!["flux", "--json"];
        all.extend(args);
        all.extend(["--node", &self.url]);
        for api in &self.node_apis {
            all.extend(["--node-api", api]);
        }
        let mut out = Vec::new();
        let code = flux_cli::run(all, &mut out);
        let json = serde_json::from_slice(&out).unwrap_or(Value::Null);
        (code, json)
    }
}

impl Drop for Hosted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn key_file(dir: &Path, i: u8) -> String {
    let path = dir.join(format!("key{i}.json"));
    flux_net::api::keyfile::write(&path, &key(i), true).unwrap();
    path.to_str().unwrap().to_owned()
}

fn states(status: &Value) -> Vec<String> {
    status["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_new_app_commands_parse() {
    let id = "ab".repeat(32);
    let api = format!("{id}=http://127.0.0.1:1");
    let cli = Cli::try_parse_from([
        "flux",
        "app",
        "logs",
        "web",
        "--key",
        "k.json",
        "--instance",
        "2",
        "--tail",
        "5",
        "--component",
        "db",
        "--node-api",
        &api,
    ])
    .unwrap();
    let Command::App(AppCommand::Logs(args)) = cli.command else {
        panic!("not app logs")
    };
    assert_eq!((args.instance, args.tail), (Some(2), 5));
    assert_eq!(args.component.as_deref(), Some("db"));
    assert_eq!(args.hosts.node_apis[0].1, "http://127.0.0.1:1");
    assert!(
        Cli::try_parse_from([
            "flux", "app", "logs", "web", "--key", "k", "--tail", "20000"
        ])
        .is_err()
    );
    assert!(
        Cli::try_parse_from(["flux", "app", "status", "web", "--node-api", "nonsense"]).is_err()
    );
    let cli =
        Cli::try_parse_from(["flux", "app", "cancel", "web", "--key", "k", "--wait"]).unwrap();
    assert!(matches!(cli.command, Command::App(AppCommand::Cancel(a)) if a.tx.wait));
    let cli =
        Cli::try_parse_from(["flux", "app", "update", "s.json", "--key", "k", "--wait"]).unwrap();
    assert!(matches!(cli.command, Command::App(AppCommand::Update(a)) if a.tx.wait));
    let cli = Cli::try_parse_from([
        "flux",
        "app",
        "deploy",
        "s.json",
        "--key",
        "k",
        "--wait",
        "--domain-suffix",
        "apps.example",
    ])
    .unwrap();
    let Command::App(AppCommand::Deploy(args)) = cli.command else {
        panic!("not app deploy")
    };
    assert_eq!(args.hosts.domain_suffix.as_deref(), Some("apps.example"));
}

#[test]
fn status_logs_deploy_update_and_cancel_through_the_hosting_nodes() {
    let net = Hosted::start();
    let dir = tempfile::tempdir().unwrap();
    let (owner, stranger) = (key_file(dir.path(), 1), key_file(dir.path(), 2));

    // deploy --wait: until every instance serves, then the URL.
    let echo = write(dir.path(), "echo.json", &spec("echo", "second"));
    let (code, deployed) = net.flux(&[
        "app",
        "deploy",
        "--key",
        &owner,
        echo.to_str().unwrap(),
        "--wait",
    ]);
    assert_eq!(code, 0, "{deployed}");
    assert_eq!(deployed["serving"]["all_serving"], true, "{deployed}");
    assert_eq!(deployed["serving"]["urls"][0], "http://echo.app.localhost/");

    // status: one row per instance, from its node.
    let (code, status) = net.flux(&["app", "status", "echo"]);
    assert_eq!(
        (code, states(&status)),
        (0, vec!["serving".to_owned(); 3]),
        "{status}"
    );
    assert_eq!(net.flux(&["app", "status", "nothing"]).0, 1);

    // logs: the owner's, nobody else's.
    let api = status["rows"][0]["api"].as_str().unwrap();
    let api = flux_net::api::client::Client::new(api).unwrap();
    let view = net.rt.block_on(api.host_instances()).unwrap();
    let row = view
        .instances
        .iter()
        .find(|r| r.app == "echo" && r.instance == 0);
    net.twin
        .write_log(&row.unwrap().container, LogStream::Stdout, "hello\n");
    let (code, logs) = net.flux(&["app", "logs", "echo", "--key", &owner, "--instance", "0"]);
    assert_eq!(
        (code, logs["lines"][0]["text"].as_str()),
        (0, Some("hello\n")),
        "{logs}"
    );
    assert_eq!(net.flux(&["app", "logs", "echo", "--key", &stranger]).0, 1);

    // update --wait: until every instance serves the new spec.
    let new = write(dir.path(), "echo2.json", &spec("echo", "second, updated"));
    let (code, updated) = net.flux(&[
        "app",
        "update",
        "--key",
        &owner,
        new.to_str().unwrap(),
        "--wait",
    ]);
    assert_eq!(code, 0, "{updated}");
    assert_eq!(updated["serving"]["all_serving"], true, "{updated}");

    // cancel --wait: the chain forgets it and every node removed its containers.
    let (code, cancelled) = net.flux(&["app", "cancel", "echo", "--key", &owner, "--wait"]);
    assert_eq!(code, 0, "{cancelled}");
    assert_eq!(net.flux(&["app", "status", "echo"]).0, 1);
}
