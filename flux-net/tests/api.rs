//! The HTTP API over a `ChainBackend<MemStore>`: every route through the typed client, a
//! transfer from submission to its block, precise rejections, and bad input of every kind
//! answered with a JSON 4xx (see `api/bad_input.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "api/bad_input.rs"]
mod bad_input;
#[path = "api/support.rs"]
mod support;

use std::sync::Arc;

use flux_chain::consensus::CommitCertificate;
use flux_chain::devnet::ValidatorKeys;
use flux_chain::genesis::Genesis;
use flux_chain::transition::build_block;
use flux_chain::tx::{AppRegister, TxKind};
use flux_core::{Amount, ChainId, Network, Tier};
use flux_net::api::BlockRef;
use flux_net::api::client::ClientError;
use flux_net::api::views::TxStatus;
use flux_nodes::app::AppSpec;
use support::{Env, address, id, key, transfer, tx_body};

#[test]
fn status_params_and_metrics() {
    let env = Env::devnet();
    env.metrics.set_peers(3);
    let s = env.block_on(env.client.status()).unwrap();
    assert_eq!(s.chain_id, ChainId::DEVNET);
    assert_eq!(s.network, Network::Devnet);
    assert_eq!(
        (s.height, s.peers, s.mempool_txs, s.syncing),
        (0, 3, 0, false)
    );
    let chain = env.chain.read().unwrap();
    assert_eq!(s.tip, chain.state().tip().block_id);
    assert_eq!(s.state_root, chain.state().state_root());
    drop(chain);
    let p = env.block_on(env.client.params()).unwrap();
    assert_eq!(p.network, Network::Devnet);

    env.commit_pool();
    let text = env.block_on(env.client.metrics()).unwrap();
    assert!(text.contains("# TYPE flux_height gauge\nflux_height{chain_id=\"1179407706\"} 1\n"));
    assert!(text.contains("flux_blocks_finalized_total{chain_id=\"1179407706\"} 1\n"));
    assert!(text.contains("flux_finality_seconds_count{chain_id=\"1179407706\"} 1\n"));
    let raw = env.raw("GET", "/metrics", b"");
    assert_eq!(raw.status, 200);
    assert!(raw.content_type.starts_with("text/plain; version=0.0.4"));
}

#[test]
fn a_transfer_from_submission_to_its_block() {
    let env = Env::devnet();
    let (alice, bob) = (key(1), address(&key(9)));
    let tx = transfer(&alice, 0, bob, 250_000_000);

    let submitted = env.block_on(env.client.submit(&tx)).unwrap();
    assert_eq!(submitted, id(&tx));
    assert_eq!(
        env.gossiped.lock().unwrap().as_slice(),
        std::slice::from_ref(&tx)
    );
    let pending = env.block_on(env.client.tx(&submitted)).unwrap().unwrap();
    assert_eq!(pending.status, TxStatus::Pending);
    assert_eq!((pending.height, pending.receipt.as_ref()), (None, None));
    assert_eq!(pending.kind, "Transfer");
    assert_eq!(pending.sender, address(&alice).to_bech32(Network::Devnet));
    assert_eq!(env.block_on(env.client.status()).unwrap().mempool_txs, 1);

    let block = env.commit_pool();
    assert_eq!(block.txs, vec![tx.clone()]);
    let done = env.block_on(env.client.tx(&submitted)).unwrap().unwrap();
    assert_eq!(done.status, TxStatus::Finalized);
    assert_eq!((done.height, done.index), (Some(1), Some(0)));
    assert_eq!(done.tx, tx);
    assert_eq!(done.receipt.unwrap().id, submitted);

    let bob_text = bob.to_bech32(Network::Devnet);
    let acct = env.block_on(env.client.account(&bob_text)).unwrap();
    assert_eq!(
        (acct.balance, acct.nonce, acct.height),
        ("2.5".parse().unwrap(), 0, 1)
    );
    assert_eq!(acct.address, bob_text);
    let sender = env
        .block_on(env.client.account(&format!("{:x}", address(&alice))))
        .unwrap();
    assert_eq!((sender.nonce, sender.pending_nonce), (1, 1));
    assert_eq!(env.block_on(env.client.status()).unwrap().mempool_txs, 0);

    // The block as the API shows it, by height and as the latest.
    let view = env
        .block_on(env.client.block(BlockRef::Height(1)))
        .unwrap()
        .unwrap();
    assert_eq!(view.id, block.id().unwrap());
    assert_eq!(view.txs, vec![submitted]);
    assert_eq!(view.state_root, block.header.state_root);
    assert_eq!(view.certificate, None);
    assert_eq!(
        env.block_on(env.client.block(BlockRef::Latest)).unwrap(),
        Some(view)
    );
    assert_eq!(
        env.block_on(env.client.block(BlockRef::Height(2))).unwrap(),
        None
    );
    assert_eq!(
        env.block_on(env.client.block(BlockRef::Height(0))).unwrap(),
        None
    );
}

#[test]
fn account_proofs_verify_against_the_tip() {
    let env = Env::devnet();
    env.block_on(
        env.client
            .submit(&transfer(&key(2), 0, address(&key(3)), 5)),
    )
    .unwrap();
    let block = env.commit_pool();
    for who in [address(&key(2)), address(&key(3)), address(&key(42))] {
        let text = who.to_bech32(Network::Devnet);
        let p = env.block_on(env.client.account_proof(&text)).unwrap();
        assert_eq!((p.height, p.block), (1, block.id().unwrap()));
        assert_eq!(p.state_root, block.header.state_root);
        p.proof.verify(&block.header).unwrap();
        assert_eq!(p.proof.address, who);
    }
}

#[test]
fn blocks_show_their_commit_certificate() {
    let env = Env::devnet();
    let block = {
        let chain = env.chain.read().unwrap();
        let time = chain.state().tip().timestamp_ms + 1_000;
        build_block(chain.state(), &key(1), time, vec![], vec![]).unwrap()
    };
    let certificate = CommitCertificate {
        height: 1,
        round: 0,
        value: block.id().unwrap(),
        precommits: vec![],
    };
    env.chain
        .write()
        .unwrap()
        .apply_decided(&block, &certificate)
        .unwrap();
    let view = env
        .block_on(env.client.block(BlockRef::Latest))
        .unwrap()
        .unwrap();
    assert_eq!(view.certificate, Some(certificate));
}

#[test]
fn rejections_say_why() {
    let env = Env::devnet();
    let alice = key(1);
    let to = address(&key(9));
    let first = transfer(&alice, 0, to, 1);
    env.block_on(env.client.submit(&first)).unwrap();
    // The pending transaction moves the account's pending nonce, not its chain nonce.
    let account = env
        .block_on(env.client.account(&format!("{:x}", address(&alice))))
        .unwrap();
    assert_eq!((account.nonce, account.pending_nonce), (0, 1));
    let code = |tx| match env.block_on(env.client.submit(&tx)) {
        Err(ClientError::Status {
            status,
            code,
            message,
        }) => {
            assert!(!message.is_empty());
            (status, code)
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(code(first.clone()), (409, "duplicate".into()));
    assert_eq!(code(transfer(&alice, 5, to, 1)), (409, "nonce_gap".into()));
    assert_eq!(
        code(transfer(&alice, 0, to, 2)),
        (409, "replacement_fee_too_low".into())
    );
    assert_eq!(
        code(transfer(&key(50), 0, to, 1)),
        (422, "insufficient_balance".into())
    );
    assert_eq!(
        code(transfer(&alice, 1, to, 0)),
        (422, "zero_amount".into())
    );
    let mut other_chain = transfer(&alice, 1, to, 1);
    other_chain.chain_id = ChainId(7);
    assert_eq!(code(other_chain), (422, "wrong_chain".into()));
    let mut forged = transfer(&alice, 1, to, 1);
    forged.nonce = 2;
    assert_eq!(code(forged), (422, "bad_signature".into()));
    env.commit_pool();
    assert_eq!(code(first), (409, "stale_nonce".into()));
    // Only the accepted one was gossiped.
    assert_eq!(env.gossiped.lock().unwrap().len(), 1);
    // The raw answer is the documented JSON error.
    let raw = env.raw("POST", "/v1/txs", &tx_body(&transfer(&alice, 9, to, 1)));
    assert_eq!((raw.status, raw.code()), (409, "nonce_gap".into()));
}

const TINYBOT: &str = r#"{"version":8,"name":"tinybot","description":"Chat bot with no public ports",
"owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC","compose":[{"name":"bot","description":"chat bot",
"repotag":"example/tinybot:0.9","ports":[],"domains":[],"environmentParameters":[],"commands":[],
"containerPorts":[],"containerData":"/srv/bot","cpu":0.1,"ram":100,"hdd":1,"repoauth":""}],
"instances":3,"contacts":[],"geolocation":[],"expire":5000,"nodes":[],"staticip":false,"enterprise":""}"#;

#[test]
fn nodes_and_apps() {
    let validators: Vec<ValidatorKeys> = (0..4)
        .map(|i| ValidatorKeys::derive(5, i).unwrap())
        .collect();
    let funded = [(address(&key(1)), Amount::from_flux(1_000_000).unwrap())];
    let genesis = Genesis::with_validators(
        Network::Devnet,
        ChainId::DEVNET,
        1_000,
        &validators,
        &funded,
    )
    .unwrap();
    let env = Env::new(&genesis);

    let nodes = env.block_on(env.client.nodes(None)).unwrap();
    assert_eq!(nodes.nodes.len(), 4);
    assert!(
        nodes
            .nodes
            .iter()
            .all(|n| n.tier == Tier::Cumulus && n.queue_position.is_some())
    );
    let owner = validators[0].owner_address().to_bech32(Network::Devnet);
    assert!(nodes.nodes.iter().any(|n| n.owner == owner));
    assert!(
        env.block_on(env.client.nodes(Some(Tier::Stratus)))
            .unwrap()
            .nodes
            .is_empty()
    );
    let raw = env.raw("GET", "/v1/nodes?tier=cumulus", b"");
    assert_eq!(raw.json()["nodes"].as_array().unwrap().len(), 4);

    assert!(env.block_on(env.client.apps()).unwrap().apps.is_empty());
    assert_eq!(env.block_on(env.client.app("tinybot")).unwrap(), None);
    let params = env.block_on(env.client.params()).unwrap();
    let spec = AppSpec::from_json_strict(TINYBOT.as_bytes(), &params.apps).unwrap();
    let price = spec.price(&params.apps.prices).unwrap().total;
    let kind = TxKind::AppRegister(AppRegister {
        spec: TINYBOT.into(),
        price,
    });
    let sent = env
        .block_on(env.client.sign_and_submit(&key(1), Amount::ZERO, kind))
        .unwrap();
    env.commit_pool();
    let done = env.block_on(
        env.client
            .wait_finalized(&sent.id, std::time::Duration::from_secs(5)),
    );
    assert_eq!(done.unwrap().height, Some(1));

    let apps = env.block_on(env.client.apps()).unwrap();
    assert_eq!(apps.apps.len(), 1);
    assert_eq!(
        apps.apps[0].owner,
        address(&key(1)).to_bech32(Network::Devnet)
    );
    let app = env.block_on(env.client.app("tinybot")).unwrap().unwrap();
    assert_eq!((app.instances, app.paid), (3, price));
    assert_eq!(app.spec["name"], "tinybot");
    assert!(!app.placement.is_empty());
    assert_eq!(app.placement.len() as u32 + app.unplaced, 3);
    let node_ids: Vec<_> = nodes.nodes.iter().map(|n| n.id).collect();
    for instance in &app.placement {
        assert!(node_ids.contains(&instance.node));
        assert!(
            instance
                .endpoint
                .as_deref()
                .unwrap()
                .starts_with("127.0.0.1:")
        );
    }
    assert_eq!(apps.apps[0].placed as usize, app.placement.len());
}

#[test]
fn a_node_backend_is_shared_safely() {
    // Readers and a committing writer at once: answers stay consistent, nothing blocks.
    let env = Arc::new(Env::devnet());
    for n in 0..20u64 {
        env.block_on(
            env.client
                .submit(&transfer(&key(1), n, address(&key(8)), 1)),
        )
        .unwrap();
    }
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let c = env.client.clone();
            env.rt.spawn(async move {
                for _ in 0..200 {
                    let s = c.status().await.unwrap();
                    assert!(s.height <= 1);
                    c.account(&format!("{:x}", address(&key(1)))).await.unwrap();
                }
            })
        })
        .collect();
    env.commit_pool();
    for r in readers {
        env.block_on(r).unwrap();
    }
    assert_eq!(env.block_on(env.client.status()).unwrap().height, 1);
}
