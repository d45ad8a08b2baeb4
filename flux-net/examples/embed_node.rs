//! Embedding a flux node in your own program: start a one-validator devnet node (its chain in
//! a temporary directory, its API on an ephemeral port), watch it finalise blocks through the
//! shared chain handle and through its HTTP API, submit a transfer, then stop it cleanly.
//!
//! Run with `cargo run -p flux-net --example embed_node`.

use std::time::Duration;

use flux_chain::genesis::Genesis;
use flux_chain::mempool::MempoolConfig;
use flux_chain::tx::{Transfer, TxKind};
use flux_core::{Address, Amount};
use flux_net::api::client::Client;
use flux_net::node::{Node, NodeConfig};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    // One validator, confirmed at genesis; its owner account is funded.
    let (genesis, keys) = Genesis::devnet_with_nodes(1, 42)?;
    let node = Node::start(NodeConfig {
        data_dir: dir.path().into(),
        genesis,
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse()?],
        bootstrap: vec![],
        api: Some("127.0.0.1:0".parse()?),
        validator_key: Some(keys[0].operator.clone()),
        mempool: MempoolConfig::default(),
        hosting: None,
    })
    .await?;
    let api = node.api_addr().ok_or("the API did not start")?;
    let id = node.node_id().map(|id| id.to_string()).unwrap_or_default();
    println!("validator {id} serving http://{api}/v1/status");

    // The HTTP API, as a wallet or explorer would use it.
    let client = Client::new(&format!("http://{api}"))?;
    let payee = Address::from_bytes([7; 20]);
    let sent = client
        .sign_and_submit(
            &keys[0].owner,
            "0.001".parse::<Amount>()?,
            TxKind::Transfer(Transfer {
                to: payee,
                amount: Amount::ONE_FLUX,
            }),
        )
        .await?;
    println!("sent transfer {}", sent.id);
    let done = client
        .wait_finalized(&sent.id, Duration::from_secs(30))
        .await?;
    println!("finalised at height {:?}", done.height);

    // The shared chain, read directly in-process.
    let (height, root, balance) = {
        let chain = node.chain().read().map_err(|_| "chain lock poisoned")?;
        (
            chain.height(),
            chain.state().state_root(),
            chain.account(&payee).balance,
        )
    };
    println!("height {height}, state root {root}, payee balance {balance} FLUX");

    node.shutdown().await?;
    println!("stopped cleanly");
    Ok(())
}
