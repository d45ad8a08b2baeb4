//! The xDAO end to end through the `flux` commands against a node (an API over an in-memory
//! devnet chain whose blocks a background thread produces): a proposal that changes the app
//! cpu price passes, and an app registered after the change pays the new price. Also every
//! argument the commands refuse before sending anything.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net_support;

use std::time::Duration;

use flux_chain::genesis::Genesis;
use flux_core::params::GovernableParam;
use flux_core::{Amount, ChainParams};
use flux_net::api::client::Client;
use flux_net::testkit::wait::wait_for_within;
use flux_nodes::NodeId;
use flux_nodes::app::AppSpec;
use net_support::{Node, bech32, flux, flux_bin, key, key_file};
use serde_json::Value;

/// The kit's xDAO example: keys 1..=5 funded, four nodes of weights 10 + 125 + 400 + 10.
fn genesis() -> Genesis {
    flux_chain::testkit::genesis::xdao_example().unwrap()
}

/// 1 core, 1,000 MB, 10 GB for 88,000 blocks: 0.45 FLUX at 0.03 per 0.1 core, 0.66 at 0.05.
fn spec(name: &str) -> String {
    format!(
        r#"{{"version":8,"name":"{name}","description":"a worker","owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
"compose":[{{"name":"worker","description":"worker","repotag":"example/worker:1.0","ports":[],"domains":[],
"environmentParameters":[],"commands":[],"containerPorts":[],"containerData":"/srv","cpu":1.0,"ram":1000,
"hdd":10,"repoauth":""}}],"instances":3,"contacts":[],"geolocation":[],"expire":88000,"nodes":[],
"staticip":false,"enterprise":""}}"#
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn amount(v: &Value) -> Amount {
    v.as_str().unwrap().parse().unwrap()
}

/// `flux gov show ID --json` until the proposal leaves `Voting` (a 120-block vote: longer
/// than the kit's usual deadline).
fn wait_tallied(url: &str, id: &str) -> Value {
    wait_for_within("the tally", Duration::from_secs(120), || {
        let (code, shown) = flux(&["gov", "show", id, "--node", url]);
        assert_eq!(code, 0, "{shown}");
        (shown["status"] != "Voting").then_some(shown)
    })
    .unwrap()
}

#[test]
fn a_cpu_price_change_passes_and_an_app_registered_after_it_pays_the_new_price() {
    // 40 ms blocks: the 120-block vote lasts about 5 s once blocks come without transactions.
    // Until the votes are in, blocks come only with transactions, so the vote cannot end
    // while a loaded machine runs the commands.
    let node = Node::with_genesis(&genesis(), Duration::from_millis(40));
    node.hold_empty_blocks(true);
    let url = node.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let path = |i| key_file(dir.path(), i).to_str().unwrap().to_owned();
    let (k1, k2, k3, k5) = (path(1), path(2), path(3), path(5));
    let devnet = ChainParams::devnet();
    let cpu = GovernableParam::AppCpuPrice;
    assert_eq!(cpu.get(&devnet), 3_000_000, "0.03 FLUX per 0.1 core");

    // Propose 0.05 FLUX per 0.1 core.
    let (code, proposed) = flux(&[
        "gov",
        "propose",
        "--title",
        "App cpu at 0.05 FLUX per 0.1 core",
        "--param",
        "app.cpu_price=5000000",
        "--key",
        &k1,
        "--wait",
        "--node",
        url,
    ]);
    assert_eq!(code, 0, "{proposed}");
    assert_eq!(proposed["kind"], "GovPropose");
    assert_eq!(proposed["proposal"], 1);
    assert_eq!(proposed["action"]["kind"], "param_change");
    assert_eq!(proposed["action"]["param"], "app.cpu_price");
    assert_eq!(proposed["action"]["value"], 5_000_000);
    assert_eq!(
        amount(&proposed["deposit"]),
        devnet.governance.proposal_deposit
    );

    // Key 2 votes yes with both its nodes (135), key 3 with its Stratus (400): 535 of 545.
    let (code, voted) = flux(&[
        "gov", "vote", "1", "yes", "--key", &k2, "--wait", "--node", url,
    ]);
    assert_eq!(code, 0, "{voted}");
    assert_eq!(voted["weight"], 135);
    let mut nodes: Vec<&str> = voted["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["node"].as_str().unwrap())
        .collect();
    nodes.sort();
    let mut expected = [20, 21].map(|i| NodeId::of(&key(i).public_key()).to_string());
    expected.sort();
    assert_eq!(nodes, expected);
    assert!(voted["votes"][0]["finalized_at"].as_u64().is_some());
    let (code, voted) = flux(&[
        "gov", "vote", "1", "yes", "--key", &k3, "--wait", "--node", url,
    ]);
    assert_eq!((code, voted["weight"].as_u64()), (0, Some(400)), "{voted}");
    // Votes are final: key 2 has nothing left to vote with.
    let (code, _, err) = flux_bin(&["gov", "vote", "1", "no", "--key", &k2, "--node", url]);
    assert_eq!(code, 1);
    assert!(err.contains("already voted"), "{err}");

    let (code, shown) = flux(&["gov", "show", "1", "--node", url]);
    assert_eq!(code, 0, "{shown}");
    assert_eq!(
        (
            shown["status"].as_str(),
            shown["yes"].as_u64(),
            shown["total_weight"].as_u64()
        ),
        (Some("Voting"), Some(535), Some(545))
    );
    assert_eq!(shown["votes"].as_array().unwrap().len(), 3);
    let (code, list) = flux(&["gov", "list", "--node", url]);
    assert_eq!((code, list["proposals"][0]["id"].as_u64()), (0, Some(1)));

    // The end of the vote: passed and executed.
    node.hold_empty_blocks(false);
    let tallied = wait_tallied(url, "1");
    assert_eq!(tallied["status"], "Passed", "{tallied}");
    let end = tallied["end"].as_u64().unwrap();

    // The chain's parameters now carry the new price, from the block after the tally.
    let client = Client::new(url).unwrap();
    let rt = rt();
    let params = rt.block_on(client.params()).unwrap();
    assert_eq!(cpu.get(&params), 5_000_000);
    assert_eq!(params.apps.prices.cpu_per_tenth_core.to_string(), "0.05");
    let before = rt.block_on(client.params_at(end)).unwrap().unwrap();
    assert_eq!(cpu.get(&before), 3_000_000);
    let history = rt.block_on(client.param_history(cpu)).unwrap();
    assert_eq!(history.changes.len(), 1);
    assert_eq!(
        (
            history.changes[0].effective_from,
            history.changes[0].proposal
        ),
        (end + 1, Some(1))
    );

    // An app registered now pays the new price: computed here from the preset's price list
    // with the new cpu price, it differs from the old one.
    let mut repriced = devnet.clone();
    cpu.set(&mut repriced, 5_000_000).unwrap();
    let file = dir.path().join("worker.json");
    std::fs::write(&file, spec("worker")).unwrap();
    let parsed = AppSpec::from_json_strict(spec("worker").as_bytes(), &devnet.apps).unwrap();
    let old_price = parsed.price(&devnet.apps.prices).unwrap().total;
    let new_price = parsed.price(&repriced.apps.prices).unwrap().total;
    assert_eq!(
        (old_price.to_string(), new_price.to_string()),
        ("0.45".into(), "0.66".into())
    );

    let owner = bech32(&key(5));
    let (_, balance) = flux(&["balance", &owner, "--node", url]);
    let start = amount(&balance["balance"]);
    let (code, deployed) = flux(&[
        "app",
        "deploy",
        "--key",
        &k5,
        file.to_str().unwrap(),
        "--wait",
        "--node",
        url,
    ]);
    assert_eq!(code, 0, "{deployed}");
    assert_eq!(amount(&deployed["price"]), new_price);
    assert!(deployed["finalized"]["height"].as_u64().unwrap() > end);
    let (code, status) = flux(&["app", "status", "worker", "--node", url]);
    assert_eq!((code, amount(&status["paid"])), (0, new_price), "{status}");
    let (_, balance) = flux(&["balance", &owner, "--node", url]);
    let spent = start.checked_sub(amount(&balance["balance"])).unwrap();
    let fee = amount(&deployed["fee"]);
    assert_eq!(
        spent,
        new_price.checked_add(fee).unwrap(),
        "price and fee, nothing else"
    );

    // The price binds: the node tries the registration against its state and refuses the old
    // price at once, saying which price the chain asks.
    std::fs::write(&file, spec("oldprice")).unwrap();
    let (code, _out, err) = flux_bin(&[
        "app",
        "deploy",
        "--key",
        &k5,
        file.to_str().unwrap(),
        "--price",
        &old_price.to_string(),
        "--node",
        url,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("0.66"), "{err}");
}

#[test]
fn bad_proposals_and_votes_are_refused_before_anything_is_sent() {
    let node = Node::with_genesis(&genesis(), Duration::from_millis(20));
    let url = node.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let k1 = key_file(dir.path(), 1);
    let k1 = k1.to_str().unwrap();
    let poor = key_file(dir.path(), 9);
    let refused = |action: &[&str], key: &str, expected: &str| {
        let mut args = vec![
            "gov", "propose", "--title", "t", "--key", key, "--node", url,
        ];
        args.extend_from_slice(action);
        let (code, out, err) = flux_bin(&args);
        assert_eq!((code, out.as_str()), (1, ""), "{action:?}: {err}");
        assert!(err.contains(expected), "{action:?}: {err}");
    };
    refused(
        &["--param", "app.cpu_price=0"],
        k1,
        "outside its bounds 100000..=100000000",
    );
    refused(&["--param", "app.cpu_price=lots"], k1, "not a whole number");
    refused(&["--param", "app.cpu_price"], k1, "expected NAME=VALUE");
    refused(
        &["--param", "app.gpu_price=1"],
        k1,
        "unknown governable parameter \"app.gpu_price\" (known: app.cpu_price, app.ram_price",
    );
    // Within its bounds, but not below nodes.expire_after (640 on the devnet): the chain's
    // parameters are asked for.
    refused(
        &["--param", "nodes.min_confirm_interval=700"],
        k1,
        "must be below expire_after",
    );
    let nobody = bech32(&key(9));
    refused(&["--grant", &format!("{nobody}:0")], k1, "a grant of zero");
    refused(&["--grant", "flux1xyz:5"], k1, "--grant");
    refused(&["--grant", &nobody], k1, "no `:`");
    refused(&["--upgrade", "v2@1"], k1, "is not after the next block");
    refused(&["--upgrade", "@900"], k1, "1 to 64 bytes");
    refused(
        &["--param", "app.cpu_price=4000000"],
        poor.to_str().unwrap(),
        "a proposal needs the 500 FLUX deposit",
    );
    let long = "x".repeat(129);
    let (code, _, err) = flux_bin(&[
        "gov",
        "propose",
        "--title",
        &long,
        "--upgrade",
        "v2@900",
        "--key",
        k1,
        "--node",
        url,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("--title has 129 bytes"), "{err}");
    // No action, or two: usage errors.
    for extra in [
        &[][..],
        &["--upgrade", "v2@900", "--param", "app.cpu_price=4000000"],
    ] {
        let mut args = vec!["gov", "propose", "--title", "t", "--key", k1, "--node", url];
        args.extend_from_slice(extra);
        assert_eq!(flux_bin(&args).0, 2, "{extra:?}");
    }
    // Nothing reached the chain.
    let (code, list) = flux(&["gov", "list", "--node", url]);
    assert_eq!(
        (code, list["proposals"].as_array().map(Vec::len)),
        (0, Some(0))
    );

    // Votes: no such proposal; a key without nodes; a proposal already tallied.
    let (code, _, err) = flux_bin(&["gov", "vote", "7", "yes", "--key", k1, "--node", url]);
    assert!(code == 1 && err.contains("no proposal 7"), "{err}");
    let (code, proposed) = flux(&[
        "gov",
        "propose",
        "--title",
        "v2",
        "--upgrade",
        "v2@100000",
        "--key",
        k1,
        "--wait",
        "--node",
        url,
    ]);
    assert_eq!(code, 0, "{proposed}");
    let id = proposed["proposal"].as_u64().unwrap().to_string();
    let (code, _, err) = flux_bin(&["gov", "vote", &id, "yes", "--key", k1, "--node", url]);
    assert_eq!(code, 1);
    assert!(
        err.contains("has no node that may vote on proposal 1"),
        "{err}"
    );
    let tallied = wait_tallied(url, &id);
    assert_eq!(tallied["status"], "NoQuorum");
    let k3 = key_file(dir.path(), 3);
    let (code, _, err) = flux_bin(&[
        "gov",
        "vote",
        &id,
        "yes",
        "--key",
        k3.to_str().unwrap(),
        "--node",
        url,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("closed for votes (NoQuorum)"), "{err}");
    let (code, _, err) = flux_bin(&["gov", "show", "5", "--node", url]);
    assert!(code == 1 && err.contains("no proposal 5"), "{err}");
    let (code, text, _) = flux_bin(&["gov", "show", &id, "--node", url]);
    assert_eq!(code, 0);
    assert!(
        text.contains("signal upgrade \"v2\" at height 100000"),
        "{text}"
    );
}
