//! `flux gov list|show` against a chain data directory (`flux-cli/tests/gov_e2e.rs` runs the
//! governance commands against a node).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use flux_chain::chain::Chain;
use flux_chain::genesis::Genesis;
use flux_chain::gov::Action;
use flux_chain::store::RedbStore;
use flux_chain::transition::build_block;
use flux_chain::tx::{GovPropose, Transaction, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Amount, Hash};

#[test]
fn lists_and_shows_proposals() {
    let dir = tempfile::tempdir().unwrap();
    let genesis = Genesis::devnet_example();
    let mut chain = Chain::open_or_create(
        RedbStore::open(dir.path().join("chain.redb")).unwrap(),
        &genesis,
    )
    .unwrap();
    let key = SecretKey::from_bytes(Scheme::Ed25519, &[2; 32]).unwrap();
    let propose = TxKind::GovPropose(GovPropose {
        title: "flux 2.0".into(),
        text_hash: Hash::digest(b"the proposal"),
        action: Action::Upgrade {
            name: "v2".into(),
            height: 5_000,
        },
    });
    let tx = Transaction::sign(
        &key,
        chain.state().params().chain_id,
        0,
        Amount::ZERO,
        propose,
    )
    .unwrap();
    let block = build_block(
        chain.state(),
        &key,
        genesis.timestamp_ms + 1,
        vec![],
        vec![tx],
    )
    .unwrap();
    chain.apply(&block).unwrap();
    drop(chain);

    let flux = env!("CARGO_BIN_EXE_flux");
    let d = dir.path().to_str().unwrap();
    let out = Command::new(flux)
        .args(["gov", "list", "--data-dir", d, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The same form as `GET /v1/gov/proposals` (and `flux gov list --node URL`).
    assert_eq!(list["height"], 1);
    assert_eq!(list["proposals"][0]["title"], "flux 2.0");
    assert_eq!(list["proposals"][0]["status"], "Voting");
    assert_eq!(list["proposals"][0]["action"]["kind"], "upgrade");
    let out = Command::new(flux)
        .args(["gov", "show", "1", "--data-dir", d])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("signal upgrade \"v2\" at height 5000"),
        "{text}"
    );
    let missing = Command::new(flux)
        .args(["gov", "show", "9", "--data-dir", d])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no proposal 9"));
}
