//! Header rules that keep one proposer from stopping the chain: block time within a drift
//! window of the parent (issue 19 point 2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{genesis, keys};
use flux_chain::block::Block;
use flux_chain::error::BlockError;
use flux_chain::state::State;
use flux_chain::transition::{apply_block, build_block};

/// A valid block on `state` by `keys(4)[0]` at `time`, then its header's timestamp set to
/// `timestamp` (the timestamp is in no root, so only the header rules can refuse it).
fn block_at(state: &State, time: u64, timestamp: u64) -> Block {
    let ks = keys(4);
    let mut block = build_block(state, ks[0].public_key(), time, vec![], vec![]).unwrap();
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
