//! Blocks travel in one gossip message or one sync item: the block byte cap of every preset
//! leaves room for what goes around a block (issue 19 point 3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flux_chain::block::Block;
use flux_chain::consensus::{CommitCertificate, Proposal};
use flux_chain::genesis::Genesis;
use flux_chain::transition::build_block;
use flux_chain::tx::{JobSubmit, Transaction, TxKind};
use flux_core::crypto::{Scheme, SecretKey, Signature};
use flux_core::{Amount, ChainId, ChainParams, Network, codec};
use flux_net::message::{Decided, MAX_MESSAGE_BYTES, Message};
use flux_nodes::NodeId;

/// A block whose canonical encoding is exactly `size` bytes: a real header, then job
/// submissions padded to the size (the body need not be valid to measure the encoding).
fn block_of(size: u64) -> Block {
    let state = Genesis::devnet_example().state().unwrap();
    let key = SecretKey::from_bytes(Scheme::Ed25519, &[3; 32]).unwrap();
    let time = state.tip().timestamp_ms + 1_000;
    let mut block = build_block(&state, &key, time, vec![], vec![]).unwrap();
    let tx = |module: usize| Transaction {
        chain_id: ChainId::DEVNET,
        sender: key.public_key(),
        nonce: u64::MAX,
        fee: Amount::from_base_units(u64::MAX),
        kind: TxKind::JobSubmit(JobSubmit {
            module: vec![0xab; module],
            input: vec![],
            fuel: u64::MAX,
            fee: Amount::from_base_units(u64::MAX),
        }),
        signature: Signature::Ed25519([0xcd; 64]),
    };
    while codec::encoded_len(&block).unwrap() + 200_000 < size {
        block.txs.push(tx(100_000));
    }
    let missing = size - codec::encoded_len(&block).unwrap();
    let base = codec::encoded_len(&tx(0)).unwrap();
    block.txs.push(tx((missing - base) as usize));
    assert_eq!(codec::encoded_len(&block).unwrap(), size);
    block
}

/// Replays issue 19 point 3: blocks could reach 8 MiB while gossip carries 4 MiB, so a
/// proposer fed ~52 large job submissions built a block nobody received, every round. A block
/// at each preset's cap, in a signed proposal message (the largest fields the proposal can
/// have), encodes within [`MAX_MESSAGE_BYTES`] and decodes; so does it as a sync item with the
/// largest commit certificate a node decodes.
#[test]
fn a_block_at_the_cap_fits_one_gossip_message_and_one_sync_item() {
    let key = SecretKey::from_bytes(Scheme::Ed25519, &[4; 32]).unwrap();
    let caps: std::collections::BTreeMap<u64, Network> =
        [Network::Mainnet, Network::Testnet, Network::Devnet]
            .into_iter()
            .map(|n| (ChainParams::for_network(n).limits.max_block_bytes, n))
            .collect();
    for (cap, network) in caps {
        let block = block_of(cap);
        let proposal = Proposal {
            height: u64::MAX,
            round: u32::MAX,
            value: block.id().unwrap(),
            pol_round: Some(u32::MAX),
            proposer: NodeId::of(&key.public_key()),
        }
        .sign(&key, ChainId(u64::MAX))
        .unwrap();
        let message = Message::Proposal {
            proposal,
            block: block.clone(),
        };
        let bytes = message.to_bytes().unwrap();
        assert!(
            bytes.len() as u64 <= MAX_MESSAGE_BYTES,
            "{network}: a proposal of a {cap}-byte block is {} bytes, gossip carries {MAX_MESSAGE_BYTES}",
            bytes.len()
        );
        assert_eq!(Message::from_bytes(&bytes).unwrap(), message);

        // The largest certificate a node decodes is MAX_CONSENSUS_DATA bytes.
        let entry =
            codec::encoded_len(&(NodeId::of(&key.public_key()), Signature::Ed25519([0; 64])))
                .unwrap();
        let mut commit = CommitCertificate {
            height: u64::MAX,
            round: u32::MAX,
            value: block.id().unwrap(),
            precommits: vec![],
        };
        while codec::encoded_len(&commit).unwrap() + entry
            <= flux_chain::block::MAX_CONSENSUS_DATA as u64
        {
            commit
                .precommits
                .push((NodeId::of(&key.public_key()), Signature::Ed25519([0; 64])));
        }
        let decided = Decided { block, commit };
        let bytes = decided.to_bytes().unwrap();
        assert!(
            bytes.len() as u64 <= MAX_MESSAGE_BYTES,
            "{network}: a sync item of a {cap}-byte block is {} bytes",
            bytes.len()
        );
        assert_eq!(Decided::from_bytes(&bytes).unwrap(), decided);
    }
}

/// Replays issue 19 point 3's misconfiguration: an integrator or operator sets
/// `P2pConfig::max_message_bytes` below the gossip limit the chain's block byte cap is derived
/// from (here half of it, or one byte short), so the node never receives a block at the cap and
/// silently stalls. Starting the network must fail with [`P2pError::MessageLimit`] instead; so
/// must an insane ceiling. The floor covers the largest block of every preset and of any
/// governance change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_message_limit_cannot_carry_the_largest_block_does_not_start() {
    use flux_core::params::{BLOCK_ENVELOPE_BYTES, MAX_BLOCK_BYTES_LIMIT};
    use flux_net::p2p::{
        self, DEFAULT_MAX_MESSAGE_BYTES, MAX_MAX_MESSAGE_BYTES, MIN_MAX_MESSAGE_BYTES, P2pConfig,
        P2pError,
    };
    use libp2p::identity::Keypair;

    // The floor is what the chain needs: a block at the largest cap governance allows, with
    // its envelope, and so every preset's cap.
    assert!(MAX_BLOCK_BYTES_LIMIT + BLOCK_ENVELOPE_BYTES <= MIN_MAX_MESSAGE_BYTES as u64);
    for network in [Network::Mainnet, Network::Testnet, Network::Devnet] {
        let cap = ChainParams::for_network(network).limits.max_block_bytes;
        assert!(cap + BLOCK_ENVELOPE_BYTES <= MIN_MAX_MESSAGE_BYTES as u64);
    }

    let config = |max_message_bytes| {
        let mut c = P2pConfig::new(Keypair::generate_ed25519(), ChainId::DEVNET);
        c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
        c.max_message_bytes = max_message_bytes;
        c
    };
    for refused in [
        DEFAULT_MAX_MESSAGE_BYTES / 2,
        MIN_MAX_MESSAGE_BYTES - 1,
        64 * 1024,
        MAX_MAX_MESSAGE_BYTES + 1,
        u32::MAX as usize,
    ] {
        match p2p::spawn(config(refused)).await {
            Err(P2pError::MessageLimit {
                configured,
                min,
                max,
            }) => {
                assert_eq!(
                    (configured, min, max),
                    (refused, MIN_MAX_MESSAGE_BYTES, MAX_MAX_MESSAGE_BYTES)
                );
            }
            Err(other) => panic!("{refused}: refused for another reason: {other}"),
            Ok((handle, _events)) => {
                handle.shutdown().await;
                panic!("a node with max_message_bytes = {refused} started");
            }
        }
    }
    // The default (the floor) and the ceiling start.
    for accepted in [DEFAULT_MAX_MESSAGE_BYTES, MAX_MAX_MESSAGE_BYTES] {
        let (handle, _events) = p2p::spawn(config(accepted)).await.unwrap();
        handle.shutdown().await;
    }
}
