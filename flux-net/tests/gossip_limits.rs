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
