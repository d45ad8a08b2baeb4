//! `flux node list` through a running node's API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net_support;

use net_support::{Node, flux, flux_bin, key_file};

#[test]
fn lists_the_nodes_a_running_node_knows() {
    let node = Node::start(); // devnet example genesis: no nodes, keys [1; 32] ..= [4; 32] funded
    let dir = tempfile::tempdir().unwrap();
    let owner = key_file(dir.path(), 1);
    let operator = key_file(dir.path(), 9);
    let (code, started) = flux(&[
        "node",
        "start",
        "--key",
        owner.to_str().unwrap(),
        "--operator",
        operator.to_str().unwrap(),
        "--tier",
        "nimbus",
        "--endpoint",
        "192.0.2.10:16127",
        "--geo",
        "AS_JP_Tokyo",
        "--wait",
        "--node",
        &node.url,
    ]);
    assert_eq!(code, 0, "{started}");

    let (code, rows) = flux(&["node", "list", "--node", &node.url]);
    assert_eq!(code, 0, "{rows}");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], started["node_id"]);
    assert_eq!(rows[0]["tier"], "nimbus");
    assert_eq!(rows[0]["status"], "Started");
    assert_eq!(rows[0]["endpoint"], "192.0.2.10:16127");
    assert!(rows[0]["queue_position"].is_null());
    let owner_address = rows[0]["owner_address"].as_str().unwrap();
    assert!(owner_address.starts_with("tflux1"), "{owner_address}");
    assert_eq!(rows[0]["owner"], owner_address);

    let (code, rows) = flux(&["node", "list", "--tier", "cumulus", "--api", &node.url]);
    assert_eq!(code, 0, "{rows}");
    assert!(rows.as_array().unwrap().is_empty());

    let (code, text, stderr) = flux_bin(&["node", "list", "--node", &node.url]);
    assert_eq!(code, 0, "{stderr}");
    assert!(text.starts_with("1 nodes at height "), "{text}");
    assert!(text.contains("(devnet network)"), "{text}");
    let line = text.lines().nth(1).unwrap();
    assert!(
        line.contains("nimbus") && line.contains("Started"),
        "{line}"
    );
    assert!(
        line.contains("AS_JP_Tokyo") && line.contains(owner_address),
        "{line}"
    );

    // Nobody listens there: the command says so and fails.
    drop(node);
    let (code, _, stderr) = flux_bin(&["node", "list", "--node", "http://127.0.0.1:9"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.is_empty());
}
