//! Parallel assets end to end on a running node: the worker registers the node's swap key; a
//! swap out to Ethereum is attested by the committee once final, and the attestation served
//! by the API recovers the node's swap-key address from the EVM digest; a burn the node's
//! witness has seen is attested on request, released once by a `SwapIn`, and refused the
//! second time; `GET /v1/supply` follows the books.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use flux_chain::genesis::Genesis;
use flux_chain::parallel::{BurnStatement, Statement, verify_current};
use flux_chain::testkit::keys::{address, key};
use flux_chain::testkit::{GenesisBuilder, NodeKeys};
use flux_chain::tx::{SwapIn, SwapOut, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::parallel::{EvmSignature, ExternalChain, eth_address, recover_evm};
use flux_core::{Amount, ChainId, Network};
use flux_net::api::client::Client;
use flux_net::node::{Node, NodeConfig, OBSERVED_BURNS, SWAP_KEY_FILE};
use flux_net::testkit::node::start_validator;
use flux_net::testkit::wait::{wait_for_async, wait_for_async_within, wait_until_async};

/// Waits for `f` to return a value: the kit's wait, whose deadline bounds a failure.
async fn until<T>(what: &str, f: impl AsyncFnMut() -> Option<T>) -> T {
    wait_for_async(what, f).await.unwrap()
}

/// `n` validators derived from `seed` and `user` holding 1,000 FLUX.
fn genesis(n: u32, seed: u64, user: &SecretKey) -> (Genesis, Vec<NodeKeys>) {
    let builder = GenesisBuilder::new()
        .validators(n, seed)
        .unwrap()
        .account(user, Amount::from_flux(1_000).unwrap());
    (builder.build().unwrap(), builder.node_keys())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaps_are_attested_after_finality_and_released_once() {
    let dir = tempfile::tempdir().unwrap();
    let user = key(43);
    let user_address = address(&user);
    let (node, client) = start_validator(dir.path(), 31, &user, Amount::from_flux(1_000).unwrap())
        .await
        .unwrap();
    let node_id = node.node_id().unwrap();

    // The swap key the node made on first start, registered on chain by its worker.
    let swap_key = std::fs::read(dir.path().join(SWAP_KEY_FILE)).unwrap();
    let swap_key = SecretKey::from_bytes(Scheme::Secp256k1, &swap_key).unwrap();
    let swap_public = swap_key.public_key();
    until("the swap key's registration", async || {
        let chain = node.chain().read().unwrap();
        (chain.state().parallel().swap_keys.get(&node_id) == Some(&swap_public)).then_some(())
    })
    .await;

    // A swap out to Ethereum.
    let to = [0xab; 20];
    let fee: Amount = "0.001".parse().unwrap();
    let amount = Amount::from_flux(100).unwrap();
    let out = client
        .sign_and_submit(
            &user,
            fee,
            TxKind::SwapOut(SwapOut {
                chain: ExternalChain::Ethereum,
                to: to.to_vec(),
                amount,
            }),
        )
        .await
        .unwrap();
    client
        .wait_finalized(&out.id, Duration::from_secs(30))
        .await
        .unwrap();
    let view = until("the swap out's attestation", async || {
        let v = client.swap(&out.id).await.unwrap().unwrap();
        v.attestation.is_some().then_some(v)
    })
    .await;
    assert_eq!(view.to, format!("0x{}", "ab".repeat(20)));
    assert_eq!(view.scheme, "evm-secp256k1");
    let status = view.status.as_ref().unwrap();
    assert!(status.attested);
    let eth = format!(
        "0x{}",
        flux_core::hex::encode(&eth_address(&swap_public).unwrap())
    );
    assert_eq!(status.signers[0].eth_address.as_deref(), Some(eth.as_str()));

    // The digest served is the one recomputed here, and the signature recovers the swap key's
    // Ethereum address from it, as `ecrecover` would.
    let digest = flux_core::parallel::evm_digest(
        ChainId::DEVNET,
        ExternalChain::Ethereum,
        out.id.0.as_bytes(),
        &to,
        amount,
    );
    assert_eq!(
        view.evm_digest.as_deref(),
        Some(flux_core::hex::encode(&digest).as_str())
    );
    let signature: [u8; 65] = flux_core::hex::decode_array(&status.signers[0].signature).unwrap();
    assert_eq!(
        recover_evm(&digest, &EvmSignature(signature)).unwrap(),
        eth_address(&swap_public).unwrap()
    );
    // And the attestation holds against the chain's committee.
    {
        let chain = node.chain().read().unwrap();
        let state = chain.state();
        let attestation = view.attestation.as_ref().unwrap();
        verify_current(
            state.parallel(),
            state.registry(),
            state.params(),
            attestation,
            &view.statement,
        )
        .unwrap();
    }
    let supply = client.supply().await.unwrap();
    assert_eq!(supply.locked, amount);
    assert_eq!(supply.issued, amount);
    assert_eq!(
        supply.native.checked_add(supply.locked).unwrap(),
        supply.total
    );

    // A burn on Ethereum: not attested until the node's witness has seen it.
    let burn = BurnStatement {
        chain: ExternalChain::Ethereum,
        reference: vec![0x5e; 32],
        amount: Amount::from_flux(40).unwrap(),
        recipient: user_address,
    };
    let asked = client.request_burn(&burn).await.unwrap();
    assert!(asked.attestation.is_none());
    // The host takes the requests up on its tick and answers them in the same turn: once it
    // has taken a request made after this one was taken, it has answered this one.
    let taken = || node.swaps().lock().unwrap().requests_waiting() == 0;
    wait_until_async("the host to take the request", async || taken())
        .await
        .unwrap();
    client.request_burn(&burn).await.unwrap();
    wait_until_async("the host to take the second request", async || taken())
        .await
        .unwrap();
    assert!(
        client
            .burn(burn.chain, &burn.reference)
            .await
            .unwrap()
            .is_none()
    );
    std::fs::write(
        dir.path().join(OBSERVED_BURNS),
        serde_json::to_vec(&[&burn]).unwrap(),
    )
    .unwrap();
    let attested = until("the burn's attestation", async || {
        let v = client.request_burn(&burn).await.unwrap();
        v.attestation.is_some().then_some(v)
    })
    .await;
    assert_eq!(
        client
            .burn(burn.chain, &burn.reference)
            .await
            .unwrap()
            .unwrap()
            .attestation,
        attested.attestation
    );

    let before = client
        .account(&user_address.to_bech32(Network::Devnet))
        .await
        .unwrap()
        .balance;
    let swap_in = TxKind::SwapIn(SwapIn {
        burn: burn.clone(),
        attestation: attested.attestation.clone().unwrap(),
    });
    let sent = client
        .sign_and_submit(&user, fee, swap_in.clone())
        .await
        .unwrap();
    client
        .wait_finalized(&sent.id, Duration::from_secs(30))
        .await
        .unwrap();
    let after = client
        .account(&user_address.to_bech32(Network::Devnet))
        .await
        .unwrap()
        .balance;
    assert_eq!(
        after,
        before
            .checked_add(burn.amount)
            .unwrap()
            .checked_sub(fee)
            .unwrap()
    );
    let supply = client.supply().await.unwrap();
    assert_eq!(supply.locked, Amount::from_flux(60).unwrap());
    assert_eq!(supply.chains[1].chain, ExternalChain::Ethereum);
    assert_eq!(supply.chains[1].issued, Amount::from_flux(60).unwrap());

    // The reference is spent: a second release is refused, and so is a new request.
    let replay = client.sign_and_submit(&user, fee, swap_in).await;
    assert!(replay.is_err(), "a replayed swap in was accepted");
    assert!(client.request_burn(&burn).await.is_err());
    let released = client
        .burn(burn.chain, &burn.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(released.released_by, Some(sent.id));
    assert!(matches!(
        node.swaps()
            .lock()
            .unwrap()
            .get(&flux_net::host::swaps::Subject::Out(out.id))
            .map(|e| &e.statement),
        Some(Statement::SwapOut(_))
    ));
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_attest_swaps_out_to_ed25519_and_evm_chains() {
    let user = key(44);
    let (genesis, keys) = genesis(4, 32, &user);
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut nodes: Vec<Node> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let mut config =
            NodeConfig::local(dirs[i].path(), genesis.clone(), Some(k.operator.clone()));
        config.bootstrap = nodes
            .first()
            .and_then(Node::p2p_address)
            .into_iter()
            .collect();
        nodes.push(Node::start(config).await.unwrap());
    }
    let clients: Vec<Client> = nodes
        .iter()
        .map(|n| Client::new(&format!("http://{}", n.api_addr().unwrap())).unwrap())
        .collect();
    // Four debug-built validators starting together: longer than the kit's usual deadline.
    wait_for_async_within(
        "every swap key registered",
        Duration::from_secs(90),
        async || {
            let chain = nodes[0].chain().read().unwrap();
            (chain.state().parallel().swap_keys.len() == 4).then_some(())
        },
    )
    .await
    .unwrap();

    let fee: Amount = "0.001".parse().unwrap();
    let mut swaps = Vec::new();
    for (chain, to) in [
        (ExternalChain::Solana, vec![0x50; 32]),
        (ExternalChain::Base, vec![0xba; 20]),
    ] {
        let kind = TxKind::SwapOut(SwapOut {
            chain,
            to,
            amount: Amount::from_flux(10).unwrap(),
        });
        let sent = clients[1].sign_and_submit(&user, fee, kind).await.unwrap();
        clients[1]
            .wait_finalized(&sent.id, Duration::from_secs(60))
            .await
            .unwrap();
        swaps.push(sent.id);
    }
    for id in &swaps {
        for (i, client) in clients.iter().enumerate() {
            let view = until("an attestation on every node", async || {
                let v = client.swap(id).await.unwrap().unwrap();
                v.attestation.is_some().then_some(v)
            })
            .await;
            let status = view.status.unwrap();
            assert!(
                status.weight * 3 > status.total_weight * 2,
                "node {i}: weight {} of {}",
                status.weight,
                status.total_weight
            );
            assert!(
                status.signers.len() >= 3,
                "node {i}: {} signers",
                status.signers.len()
            );
            let attestation = view.attestation.unwrap();
            let chain = nodes[i].chain().read().unwrap();
            let state = chain.state();
            let (parallel, registry, params) = (state.parallel(), state.registry(), state.params());
            verify_current(parallel, registry, params, &attestation, &view.statement).unwrap();
            drop(chain);
        }
    }
    for node in nodes {
        node.shutdown().await.unwrap();
    }
}
