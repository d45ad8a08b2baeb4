//! Header rules that keep one proposer from stopping the chain or steering it: block time
//! within a drift window of the parent (issue 19 point 2), and a committee seed no single
//! proposer can choose (issue 19 point 10).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{address, genesis, keys, transfer};
use flux_chain::block::Block;
use flux_chain::chain::Chain;
use flux_chain::consensus::committee::Committee;
use flux_chain::error::BlockError;
use flux_chain::genesis::Genesis;
use flux_chain::state::State;
use flux_chain::store::RedbStore;
use flux_chain::transition::header::{SEED_DOMAIN, seed_message};
use flux_chain::transition::{apply_block, build_block, next_block_time};
use flux_core::crypto::{Scheme, SecretKey, VrfProof, vrf};
use flux_core::{ChainId, Hash};

/// A valid block on `state` by `keys(4)[0]` at `time`, then its header's timestamp set to
/// `timestamp` (the timestamp is in no root, so only the header rules can refuse it).
fn block_at(state: &State, time: u64, timestamp: u64) -> Block {
    let ks = keys(4);
    let mut block = build_block(state, &ks[0], time, vec![], vec![]).unwrap();
    block.header.timestamp_ms = timestamp;
    block
}

/// Replays issue 19 point 2: a proposal with `timestamp_ms = u64::MAX` was accepted (only
/// "increasing" was checked), and the next proposer's `tip + 1` wrapped.
#[test]
fn a_block_at_the_end_of_time_is_refused() {
    let ks = keys(4);
    let state = genesis(&ks, 1_000).state().unwrap();
    let far = block_at(&state, state.tip().timestamp_ms + 1_000, u64::MAX);
    assert!(
        apply_block(&state, &far).is_err(),
        "a block at u64::MAX ms was accepted"
    );
}

/// Issue 19 point 2: a block's time must be after its parent's and at most the drift window
/// after it, each rule with its error.
#[test]
fn a_block_time_outside_the_drift_window_is_refused() {
    let ks = keys(4);
    let state = genesis(&ks, 1_000).state().unwrap();
    let parent = state.tip().timestamp_ms;
    let drift = state.params().consensus.max_block_drift_ms;
    let time = parent + 1_000;

    let far = block_at(&state, time, u64::MAX);
    assert!(
        matches!(
            apply_block(&state, &far),
            Err(BlockError::TimestampTooFar { .. })
        ),
        "{:?}",
        apply_block(&state, &far).map(|_| ())
    );
    let past_window = block_at(&state, time, parent + drift + 1);
    assert!(matches!(
        apply_block(&state, &past_window),
        Err(BlockError::TimestampTooFar { .. })
    ));
    let same = block_at(&state, time, parent);
    assert!(matches!(
        apply_block(&state, &same),
        Err(BlockError::TimestampNotIncreasing { .. })
    ));
    // The edges of the window are valid.
    for ts in [parent + 1, parent + drift] {
        assert!(
            apply_block(&state, &block_at(&state, time, ts)).is_ok(),
            "{ts}"
        );
    }
}

/// Replays issue 19 point 10: the next epoch's committee was drawn from the last block's id,
/// which its proposer grinds by varying the timestamp or the order of transactions. The seed
/// after a block must not depend on anything its proposer chooses: with the same parent and
/// proposer, every body and time gives the same seed.
#[test]
fn a_proposer_cannot_grind_the_committee_seed() {
    let ks = keys(4);
    let state = genesis(&ks, 1_000).state().unwrap();
    let proposer = &ks[0];
    let to = address(&ks[3]);
    let a = transfer(&ks[1], 0, 0, to, 1);
    let b = transfer(&ks[2], 0, 0, to, 1);
    let seed_after = |block: &Block| {
        let (diff, _) = apply_block(&state, block).unwrap();
        let mut next = state.clone();
        next.commit(diff);
        next.seed()
    };
    let parent = state.tip().timestamp_ms;
    let base = build_block(
        &state,
        proposer,
        parent + 1_000,
        vec![],
        vec![a.clone(), b.clone()],
    )
    .unwrap();
    let later = build_block(
        &state,
        proposer,
        parent + 1_001,
        vec![],
        vec![a.clone(), b.clone()],
    )
    .unwrap();
    let swapped = build_block(&state, proposer, parent + 1_000, vec![], vec![b, a]).unwrap();
    assert_ne!(base.id().unwrap(), later.id().unwrap());
    assert_ne!(base.id().unwrap(), swapped.id().unwrap());
    let seed = seed_after(&base);
    assert_eq!(seed_after(&later), seed, "the timestamp moved the seed");
    assert_eq!(
        seed_after(&swapped),
        seed,
        "the transaction order moved the seed"
    );
}

/// Issue 19 point 10: the seed proof must be the proposer's VRF proof over this height and the
/// parent's seed, for this chain; anything else is refused before the state is touched.
#[test]
fn a_seed_proof_that_is_not_the_proposers_is_refused() {
    let ks = keys(4);
    let state = genesis(&ks, 1_000).state().unwrap();
    let time = state.tip().timestamp_ms + 1_000;
    let good = build_block(&state, &ks[0], time, vec![], vec![]).unwrap();
    assert!(apply_block(&state, &good).is_ok());
    let refused = |proof: VrfProof| {
        let mut block = good.clone();
        block.header.seed_proof = proof;
        matches!(
            apply_block(&state, &block),
            Err(BlockError::BadSeedProof(_))
        )
    };
    let chain_id = state.params().chain_id;
    let height = state.tip().height + 1;
    let seed = state.seed();
    let prove = |key: &SecretKey, chain, message: &[u8]| {
        vrf::prove(key, SEED_DOMAIN, chain, message).unwrap()
    };
    // Another key's proof of the right message.
    assert!(refused(prove(
        &ks[1],
        chain_id,
        &seed_message(height, &seed)
    )));
    // The proposer's proof of another height, another parent seed, another chain.
    assert!(refused(prove(
        &ks[0],
        chain_id,
        &seed_message(height + 1, &seed)
    )));
    let other_seed = Hash::digest(b"another seed");
    assert!(refused(prove(
        &ks[0],
        chain_id,
        &seed_message(height, &other_seed)
    )));
    assert!(refused(prove(
        &ks[0],
        ChainId::MAINNET,
        &seed_message(height, &seed)
    )));
    // Bytes that are no proof.
    assert!(refused(VrfProof([7; 80])));
    // A secp256k1 proposer cannot make one (a block naming one is refused).
    let secp = SecretKey::from_bytes(Scheme::Secp256k1, &[3; 32]).unwrap();
    assert!(matches!(
        build_block(&state, &secp, time, vec![], vec![]),
        Err(BlockError::BadSeedProof(_))
    ));
    let mut named = good.clone();
    named.header.proposer = secp.public_key();
    assert!(matches!(
        apply_block(&state, &named),
        Err(BlockError::BadSeedProof(_))
    ));
}

/// Issue 19 point 10: the seed is part of the state: it is in the state root, a reopened
/// store has it, and the committee of an epoch is drawn from the seed after the previous
/// epoch's last block.
#[test]
fn the_next_committee_is_drawn_from_the_stored_seed() {
    let (g, validators) = Genesis::devnet_with_nodes(4, 7).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let mut chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    let epoch = chain.state().params().consensus.epoch_length;
    assert_eq!(
        chain.state().seed(),
        g.id().unwrap().0,
        "the first seed is the genesis id"
    );
    let mut seeds = std::collections::BTreeSet::new();
    while chain.height() < epoch {
        let state = chain.state();
        let proposer = &validators[(state.tip().height % 4) as usize].operator;
        let time = next_block_time(state, state.tip().timestamp_ms + 1_000).unwrap();
        let block = build_block(state, proposer, time, vec![], vec![]).unwrap();
        chain.apply(&block).unwrap();
        assert!(seeds.insert(chain.state().seed()), "a seed repeated");
    }
    let seed = chain.state().seed();
    assert_eq!(
        chain.state().recomputed_root().unwrap(),
        chain.state().state_root()
    );
    let params = chain.state().params().clone();
    let size = params.consensus.committee_size as usize;
    let drawn = Committee::draw(chain.state().registry(), &seed, size, &params).unwrap();
    assert_eq!(chain.committee(epoch + 1).unwrap(), drawn);
    drop(chain);
    let reopened = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    assert_eq!(reopened.state().seed(), seed);
    assert_eq!(reopened.committee(epoch + 1).unwrap(), drawn);
}
