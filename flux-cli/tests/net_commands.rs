//! The commands that talk to a node's API: argument parsing, and each command run in-process
//! against an API over an in-memory chain whose blocks a background thread produces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net_support;

use std::time::Duration;

use clap::Parser;
use flux_cli::cli::{Cli, Command, NodeCommand};
use flux_core::{Address, Network};
use flux_net::api::BlockRef;
use net_support::{Node, bech32, flux, key, key_file};
use serde_json::Value;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("flux").chain(args.iter().copied()))
}

#[test]
fn arguments_parse_with_defaults() {
    let cli = parse(&["send", "--key", "k", "--to", "tflux1x", "--amount", "2.5"]).unwrap();
    let Command::Send(a) = cli.command else {
        panic!()
    };
    assert_eq!(a.node.url, "http://127.0.0.1:18080");
    assert_eq!(
        (a.amount.to_string(), a.tx.fee.to_string()),
        ("2.5".into(), "0.00001".into())
    );
    assert!(!a.tx.wait);
    let cli = parse(&[
        "--json",
        "send",
        "--key",
        "k",
        "--to",
        "a",
        "--amount",
        "1",
        "--wait",
        "--fee",
        "0",
        "--api",
        "http://h:1",
    ])
    .unwrap();
    assert!(cli.json);
    let Command::Send(a) = cli.command else {
        panic!()
    };
    assert!(a.tx.wait && a.tx.fee.is_zero());
    assert_eq!(a.node.url, "http://h:1");

    let Command::Block(b) = parse(&["block", "latest"]).unwrap().command else {
        panic!()
    };
    assert_eq!(b.height, BlockRef::Latest);
    let Command::Block(b) = parse(&["block", "12", "--node", "http://x:2"])
        .unwrap()
        .command
    else {
        panic!()
    };
    assert_eq!(
        (b.height, b.node.url.as_str()),
        (BlockRef::Height(12), "http://x:2")
    );

    let id = "ab".repeat(32);
    let cli = parse(&[
        "node",
        "exit",
        "--key",
        "o",
        "--node",
        &id,
        "--api",
        "http://n:3",
    ])
    .unwrap();
    let Command::Node(NodeCommand::Exit(e)) = cli.command else {
        panic!()
    };
    assert_eq!(
        (e.node.to_string(), e.api.as_str()),
        (id.clone(), "http://n:3")
    );

    let cli = parse(&[
        "bench-tx",
        "--rate",
        "500",
        "--duration",
        "10",
        "--keys",
        "a",
        "b",
        "--accounts",
        "64",
    ])
    .unwrap();
    let Command::BenchTx(b) = cli.command else {
        panic!()
    };
    assert_eq!(
        (b.rate, b.duration, b.accounts, b.keys.len()),
        (500, 10, Some(64), 2)
    );
    let config = flux_cli::commands::bench_tx::config(&b);
    assert_eq!(config.amount.base_units(), 1);
    assert_eq!(config.settle, Duration::from_secs(30));
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &["block", "tip"][..],
        &["block", "-1"],
        &["tx", "zz"],
        &["send", "--key", "k", "--to", "a", "--amount", "1.123456789"],
        &["send", "--key", "k", "--to", "a"],
        &["bench-tx", "--rate", "0", "--duration", "1", "--keys", "a"],
        &["bench-tx", "--rate", "10", "--duration", "1"],
        &[
            "node",
            "start",
            "--key",
            "k",
            "--operator",
            "o",
            "--tier",
            "gold",
            "--endpoint",
            "1.2.3.4:1",
            "--geo",
            "EU",
        ],
        &[
            "node",
            "start",
            "--key",
            "k",
            "--operator",
            "o",
            "--tier",
            "cumulus",
            "--endpoint",
            "1.2.3.4:1",
            "--geo",
            "Europe!",
        ],
        &[
            "node",
            "exit",
            "--key",
            "k",
            "--node",
            "http://127.0.0.1:18080",
        ],
    ] {
        assert!(parse(args).is_err(), "{args:?}");
    }
}

#[test]
fn send_balance_tx_and_block_against_a_node() {
    let node = Node::start();
    let dir = tempfile::tempdir().unwrap();
    let alice = key_file(dir.path(), 1);
    let bob = bech32(&key(9));
    let (code, sent) = flux(&[
        "send",
        "--key",
        alice.to_str().unwrap(),
        "--to",
        &bob,
        "--amount",
        "2.5",
        "--wait",
        "--node",
        &node.url,
    ]);
    assert_eq!(code, 0, "{sent}");
    assert_eq!(
        (sent["kind"].as_str(), sent["to"].as_str()),
        (Some("Transfer"), Some(bob.as_str()))
    );
    assert_eq!(sent["nonce"], 0);
    let height = sent["finalized"]["height"].as_u64().unwrap();

    let (code, balance) = flux(&["balance", &bob, "--node", &node.url]);
    assert_eq!((code, balance["balance"].as_str()), (0, Some("2.5")));
    let id = sent["id"].as_str().unwrap();
    let (code, tx) = flux(&["tx", id, "--node", &node.url]);
    assert_eq!(
        (code, tx["status"].as_str(), tx["height"].as_u64()),
        (0, Some("finalized"), Some(height))
    );
    let (code, block) = flux(&["block", &height.to_string(), "--node", &node.url]);
    assert_eq!(code, 0);
    assert_eq!(block["txs"][0].as_str(), Some(id));
    let (code, latest) = flux(&["block", "latest", "--node", &node.url]);
    assert!(code == 0 && latest["height"].as_u64().unwrap() >= height);

    // Refusals exit 1: an address of another network, an unknown transaction, no node.
    let mainnet = Address::from_public_key(&key(9).public_key()).to_bech32(Network::Mainnet);
    let alice = alice.to_str().unwrap();
    assert_eq!(
        flux(&[
            "send", "--key", alice, "--to", &mainnet, "--amount", "1", "--node", &node.url
        ])
        .0,
        1
    );
    assert_eq!(flux(&["tx", &"00".repeat(32), "--node", &node.url]).0, 1);
    assert_eq!(
        flux(&["balance", &bob, "--node", "http://127.0.0.1:1"]).0,
        1
    );
    // A transfer the mempool refuses (zero amount): exit 1, nothing printed.
    assert_eq!(
        flux(&[
            "send", "--key", alice, "--to", &bob, "--amount", "0", "--node", &node.url
        ]),
        (1, Value::Null)
    );
}

const TINYBOT: &str = r#"{"version":8,"name":"tinybot","description":"Chat bot with no public ports",
"owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC","compose":[{"name":"bot","description":"chat bot",
"repotag":"example/tinybot:0.9","ports":[],"domains":[],"environmentParameters":[],"commands":[],
"containerPorts":[],"containerData":"/srv/bot","cpu":0.1,"ram":100,"hdd":1,"repoauth":""}],
"instances":3,"contacts":[],"geolocation":[],"expire":5000,"nodes":[],"staticip":false,"enterprise":""}"#;

#[test]
fn nodes_and_apps_through_a_node() {
    let node = Node::start();
    let dir = tempfile::tempdir().unwrap();
    let owner = key_file(dir.path(), 2);
    let operator = key_file(dir.path(), 20);
    let owner = owner.to_str().unwrap();
    let (code, started) = flux(&[
        "node",
        "start",
        "--key",
        owner,
        "--operator",
        operator.to_str().unwrap(),
        "--tier",
        "cumulus",
        "--endpoint",
        "192.0.2.7:16127",
        "--geo",
        "EU_DE",
        "--wait",
        "--node",
        &node.url,
    ]);
    assert_eq!(code, 0, "{started}");
    let node_id = started["node_id"].as_str().unwrap().to_owned();
    assert_eq!(
        node_id,
        flux_nodes::NodeId::of(&key(20).public_key()).to_string()
    );
    let (code, exited) = flux(&[
        "node", "exit", "--key", owner, "--node", &node_id, "--wait", "--api", &node.url,
    ]);
    assert_eq!(
        (code, exited["kind"].as_str()),
        (0, Some("NodeExit")),
        "{exited}"
    );
    // Confirming needs evidence JSON: a file that is not evidence is refused before sending.
    let bad = dir.path().join("evidence.json");
    std::fs::write(&bad, "{}").unwrap();
    assert_eq!(
        flux(&[
            "node",
            "confirm",
            "--key",
            operator.to_str().unwrap(),
            "--evidence",
            bad.to_str().unwrap(),
            "--node",
            &node.url
        ])
        .0,
        1
    );

    let spec = dir.path().join("tinybot.json");
    std::fs::write(&spec, TINYBOT).unwrap();
    let (code, deployed) = flux(&[
        "app",
        "deploy",
        "--key",
        owner,
        spec.to_str().unwrap(),
        "--wait",
        "--node",
        &node.url,
    ]);
    assert_eq!(
        (code, deployed["app"].as_str()),
        (0, Some("tinybot")),
        "{deployed}"
    );
    let (code, status) = flux(&["app", "status", "tinybot", "--node", &node.url]);
    assert_eq!((code, status["instances"].as_u64()), (0, Some(3)));
    assert_eq!(status["paid"], deployed["price"]);
    assert_eq!(
        flux(&["app", "status", "nothing", "--node", &node.url]).0,
        1
    );
}

#[test]
fn bench_tx_reports_finality() {
    let node = Node::start();
    let dir = tempfile::tempdir().unwrap();
    let (k3, k4) = (key_file(dir.path(), 3), key_file(dir.path(), 4));
    let (code, report) = flux(&[
        "bench-tx",
        "--node",
        &node.url,
        "--rate",
        "100",
        "--duration",
        "1",
        "--keys",
        k3.to_str().unwrap(),
        k4.to_str().unwrap(),
        "--accounts",
        "4",
    ]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["senders"], 4);
    assert_eq!(report["submitted"], 100);
    assert_eq!(report["accepted"], 100, "{report}");
    assert_eq!(report["finalized"], 100, "{report}");
    let p = &report["finality_ms"];
    assert!(p["p50"].as_u64().unwrap() <= p["p99"].as_u64().unwrap());
    assert!(p["p99"].as_u64().unwrap() <= p["max"].as_u64().unwrap());
}
