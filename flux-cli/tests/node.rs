//! `flux node list` against a chain data directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use flux_chain::chain::Chain;
use flux_chain::genesis::Genesis;
use flux_chain::store::RedbStore;
use flux_chain::transition::build_block;
use flux_chain::tx::{NodeStart, Transaction, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Amount, Tier};

#[test]
fn lists_the_nodes_of_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let genesis = Genesis::devnet_example(); // funds keys [1; 32] ..= [4; 32]
    let mut chain = Chain::open_or_create(
        RedbStore::open(dir.path().join("chain.redb")).unwrap(),
        &genesis,
    )
    .unwrap();
    let owner = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32]).unwrap();
    let operator = SecretKey::from_bytes(Scheme::Ed25519, &[9; 32]).unwrap();
    let p = chain.state().params().clone();
    let start = TxKind::NodeStart(NodeStart {
        operator: operator.public_key(),
        tier: Tier::Nimbus,
        collateral: Tier::Nimbus.collateral(&p),
        endpoint: "192.0.2.10:16127".into(),
        geolocation: "AS_JP_Tokyo".parse().unwrap(),
        declared: Tier::Nimbus.minimum(&p),
    });
    let tx = Transaction::sign(&owner, p.chain_id, 0, Amount::ZERO, start).unwrap();
    let block = build_block(
        chain.state(),
        &owner,
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
        .args(["node", "list", "--data-dir", d, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["tier"], "nimbus");
    assert_eq!(rows[0]["status"], "Started");
    assert_eq!(rows[0]["endpoint"], "192.0.2.10:16127");
    assert!(
        rows[0]["owner_address"]
            .as_str()
            .unwrap()
            .starts_with("tflux1")
    );

    let out = Command::new(flux)
        .args([
            "node",
            "list",
            "--data-dir",
            d,
            "--tier",
            "cumulus",
            "--json",
        ])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rows.as_array().unwrap().is_empty());

    let text = Command::new(flux)
        .args(["node", "list", "--data-dir", d])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("AS_JP_Tokyo"));

    let missing = Command::new(flux)
        .args([
            "node",
            "list",
            "--data-dir",
            dir.path().join("nope").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no chain"));
}
