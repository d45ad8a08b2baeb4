//! Parallel assets through the `flux swap` and `flux supply` commands against a real node (a
//! `flux_net::node::Node` validating alone, so its signature is the committee's): a swap out to
//! Ethereum waited for until attested, its status with the EVM digest and the signer's
//! Ethereum address; a burn asked for, attested once the node's witness saw it, written as a
//! file and released by `flux swap in`, a second time refused; the supply before and after.
//! Also the refusals made before anything is sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net_support;

use flux_chain::parallel::BurnStatement;
use flux_core::parallel::{ExternalChain, eth_address};
use flux_core::{Address, Amount, Network};
use flux_net::node::{Node, OBSERVED_BURNS, SWAP_KEY_FILE};
use flux_net::testkit::wait::wait_until;
use net_support::{bech32, flux, flux_bin, key_file};

/// A node validating alone, its API on a free port; key 6 holds 1,000 FLUX.
fn start_node(rt: &tokio::runtime::Runtime, dir: &std::path::Path) -> (Node, String) {
    net_support::start_validator(rt, dir, 33, 6)
}

#[test]
fn swaps_out_and_in_through_the_cli() {
    let rt = net_support::runtime();
    let dir = tempfile::tempdir().unwrap();
    let node_dir = dir.path().join("node");
    let (node, url) = start_node(&rt, &node_dir);
    let key = key_file(dir.path(), 6);
    let key = key.to_str().unwrap();
    let node_id = node.node_id().unwrap();
    wait_until("the swap key's registration", || {
        let chain = node.chain().read().unwrap();
        chain.state().parallel().swap_keys.contains_key(&node_id)
    })
    .unwrap();

    // Refused before sending: a 19-byte EVM address, a zero amount, a bad reference.
    let (code, _, err) = flux_bin(&[
        "swap", "out", "--chain", "ethereum", "--to", "0x0011", "--amount", "1", "--key", key,
        "--node", &url,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("refused before sending"), "{err}");
    let (code, _, err) = flux_bin(&[
        "swap",
        "out",
        "--chain",
        "solana",
        "--to",
        &"11".repeat(32),
        "--amount",
        "0",
        "--key",
        key,
        "--node",
        &url,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("positive amount"), "{err}");
    let (code, _, err) = flux_bin(&["swap", "out", "--chain", "dogecoin", "--to", "x"]);
    assert_eq!(code, 2, "{err}");

    // A swap out to Ethereum, waited for through finality and attestation.
    let to = format!("0x{}", "cd".repeat(20));
    let (code, sent) = flux(&[
        "swap", "out", "--chain", "ethereum", "--to", &to, "--amount", "75", "--key", key,
        "--wait", "--node", &url,
    ]);
    assert_eq!(code, 0, "{sent}");
    assert_eq!(sent["kind"], "SwapOut");
    assert_eq!(sent["swap"]["status"]["attested"], true, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();
    let (code, status) = flux(&["swap", "status", &id, "--node", &url]);
    assert_eq!(code, 0, "{status}");
    assert_eq!(status["to"], to);
    assert_eq!(status["chain"], "ethereum");
    assert_eq!(status["evm_digest"].as_str().unwrap().len(), 64);
    let swap_key = std::fs::read(node_dir.join(SWAP_KEY_FILE)).unwrap();
    let swap_key =
        flux_core::crypto::SecretKey::from_bytes(flux_core::crypto::Scheme::Secp256k1, &swap_key)
            .unwrap();
    let eth = format!(
        "0x{}",
        flux_core::hex::encode(&eth_address(&swap_key.public_key()).unwrap())
    );
    assert_eq!(status["status"]["signers"][0]["eth_address"], eth);
    let (code, text, _) = flux_bin(&["swap", "status", &id, "--node", &url]);
    assert_eq!(code, 0);
    assert!(text.contains("complete") && text.contains(&eth), "{text}");

    let (code, supply) = flux(&["supply", "--node", &url]);
    assert_eq!(code, 0, "{supply}");
    assert_eq!(supply["locked"], "75");
    assert_eq!(supply["issued"], "75");
    assert_eq!(supply["chains"].as_array().unwrap().len(), 10);
    let (code, text, _) = flux_bin(&["supply", "--node", &url]);
    assert_eq!(code, 0);
    assert!(
        text.contains("reserve left") && text.contains("ethereum"),
        "{text}"
    );

    // A burn of 25 on Ethereum, seen by the node's witness, attested, written to a file.
    let reference = "ab".repeat(32);
    let recipient = bech32(&net_support::key(7));
    let burn = BurnStatement {
        chain: ExternalChain::Ethereum,
        reference: flux_core::hex::decode(&reference).unwrap(),
        amount: Amount::from_flux(25).unwrap(),
        recipient: Address::parse(&recipient, Network::Devnet).unwrap(),
    };
    std::fs::write(
        node_dir.join(OBSERVED_BURNS),
        serde_json::to_vec(&[&burn]).unwrap(),
    )
    .unwrap();
    let burn_args = [
        "swap",
        "burn",
        "--chain",
        "ethereum",
        "--reference",
        &reference,
        "--amount",
        "25",
        "--to",
        &recipient,
        "--node",
        &url,
    ];
    let mut waited: Vec<&str> = burn_args.to_vec();
    waited.push("--wait");
    let (code, attested) = flux(&waited);
    assert_eq!(code, 0, "{attested}");
    assert!(attested["attestation"].is_object(), "{attested}");
    let file = dir.path().join("burn.json");
    std::fs::write(&file, serde_json::to_vec(&attested).unwrap()).unwrap();
    let file = file.to_str().unwrap();
    let (code, sent) = flux(&["swap", "in", file, "--key", key, "--wait", "--node", &url]);
    assert_eq!(code, 0, "{sent}");
    assert_eq!(sent["kind"], "SwapIn");
    assert_eq!(sent["recipient"], recipient);
    let (code, balance) = flux(&["balance", &recipient, "--node", &url]);
    assert_eq!(code, 0, "{balance}");
    assert_eq!(balance["balance"], "25");
    let (_, supply) = flux(&["supply", "--node", &url]);
    assert_eq!(supply["locked"], "50");

    // Released once: the same file again, and a new request, are refused.
    let (code, _, err) = flux_bin(&["swap", "in", file, "--key", key, "--node", &url]);
    assert_eq!(code, 1);
    assert!(err.contains("already used"), "{err}");
    let (code, _, err) = flux_bin(&burn_args);
    assert_eq!(code, 1);
    assert!(err.contains("already released"), "{err}");

    // A file without an attestation is refused before sending.
    let pending = dir.path().join("pending.json");
    std::fs::write(
        &pending,
        serde_json::to_vec(&serde_json::json!({ "burn": burn, "attestation": null })).unwrap(),
    )
    .unwrap();
    let (code, _, err) = flux_bin(&[
        "swap",
        "in",
        pending.to_str().unwrap(),
        "--key",
        key,
        "--node",
        &url,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no attestation yet"), "{err}");
    rt.block_on(node.shutdown()).unwrap();
}
