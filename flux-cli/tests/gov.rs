//! `flux gov list|show` ask a running node (`flux-cli/tests/gov_e2e.rs` runs the whole
//! governance flow against a node).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net_support;

use net_support::{Node, flux, flux_bin, key_file};

#[test]
fn lists_and_shows_proposals_of_a_running_node() {
    let node = Node::start(); // devnet example genesis: keys [1; 32] ..= [4; 32] funded
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path(), 2);
    let url = node.url.as_str();
    let (code, sent) = flux(&[
        "gov",
        "propose",
        "--title",
        "flux 2.0",
        "--upgrade",
        "v2@5000",
        "--key",
        key.to_str().unwrap(),
        "--wait",
        "--node",
        url,
    ]);
    assert_eq!(code, 0, "{sent}");

    let (code, list) = flux(&["gov", "list", "--node", url]);
    assert_eq!(code, 0, "{list}");
    // The same form as `GET /v1/gov/proposals`.
    assert!(list["height"].as_u64().unwrap() >= 1, "{list}");
    assert_eq!(list["proposals"][0]["title"], "flux 2.0");
    assert_eq!(list["proposals"][0]["status"], "Voting");
    assert_eq!(list["proposals"][0]["action"]["kind"], "upgrade");

    let (code, text, stderr) = flux_bin(&["gov", "show", "1", "--node", url]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        text.contains("signal upgrade \"v2\" at height 5000"),
        "{text}"
    );
    let (code, _, stderr) = flux_bin(&["gov", "show", "9", "--node", url]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no proposal 9"), "{stderr}");
    // The data directory is the running node's: no command opens it any more.
    let (code, _, _) = flux_bin(&["gov", "list", "--data-dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
}
