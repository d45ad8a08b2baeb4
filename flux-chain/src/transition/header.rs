//! The header rules: a block names this chain, the next height and the tip as its parent, a
//! time within the drift window after its parent's, and bounded consensus data. Each rule is
//! one small function with its own [`BlockError`] variant.
//!
//! Block time: `parent < timestamp <= parent + max_block_drift_ms` (checked: a parent whose
//! window overflows has no valid child, which the rule itself keeps from happening). A
//! proposer derives its block's time with [`next_block_time`], its clock clamped into that
//! window, so an honest proposer's block always passes and a far-future parent cannot make it
//! wrap.
//!
//! Committee seed: the header's `seed_proof` is the proposer's VRF proof
//! ([`flux_core::crypto::vrf`]) of [`seed_message`] (this height and the parent's seed) in
//! [`SEED_DOMAIN`] for the chain id; the seed after the block is [`mix_seed`] of the parent's
//! seed and the proof's output. The output is unique for the proposer's key and the message,
//! so nothing else in the block (time, transactions, their order) moves the seed, and the
//! proposer cannot make a second valid output either. Why this bounds committee grinding, and
//! what bias is left: [`crate::consensus::committee`].

use std::sync::LazyLock;

use flux_core::Hash;
use flux_core::crypto::Domain;
use flux_core::crypto::{SecretKey, VrfOutput, VrfProof, vrf};
use flux_core::hash::Tag;

use super::Verification;
use crate::block::{Header, MAX_CONSENSUS_DATA};
use crate::error::BlockError;
use crate::state::State;

/// The domain of seed proofs.
pub const SEED_DOMAIN: Domain = Domain::new("flux/seed/v1");

static SEED_MIX: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/seed/mix/v1"));

/// What the proposer of the block at `height` proves: `height` (u64 LE) ‖ the parent's seed.
pub fn seed_message(height: u64, parent_seed: &Hash) -> [u8; 40] {
    let mut m = [0u8; 40];
    m[..8].copy_from_slice(&height.to_le_bytes());
    m[8..].copy_from_slice(parent_seed.as_bytes());
    m
}

/// The seed after a block: `BLAKE3_tagged("flux/seed/mix/v1", parent seed ‖ VRF output)`.
pub fn mix_seed(parent_seed: &Hash, output: &VrfOutput) -> Hash {
    let mut h = SEED_MIX.hasher();
    h.update(parent_seed.as_bytes()).update(&output.0);
    h.finalize()
}

/// The seed proof `proposer` puts in the next block on `state`. Errors for a key that is not
/// Ed25519 ([`BlockError::BadSeedProof`]).
pub fn seed_proof(state: &State, proposer: &SecretKey) -> Result<VrfProof, BlockError> {
    let height = state.tip().height.saturating_add(1);
    let message = seed_message(height, &state.seed());
    vrf::prove(proposer, SEED_DOMAIN, state.params().chain_id, &message)
        .map_err(BlockError::BadSeedProof)
}

/// Checks `header`'s seed proof against its proposer's key and the seed of `state`, and
/// returns the seed after the block. Under [`Verification::AssumeValid`] the proof is not
/// verified (like a signature), only its output read.
pub(crate) fn next_seed(
    state: &State,
    header: &Header,
    verification: Verification,
) -> Result<Hash, BlockError> {
    let parent = state.seed();
    let output = match verification {
        Verification::Full => vrf::verify(
            &header.proposer,
            SEED_DOMAIN,
            header.chain_id,
            &seed_message(header.height, &parent),
            &header.seed_proof,
        ),
        Verification::AssumeValid => header.seed_proof.output(),
    }
    .map_err(BlockError::BadSeedProof)?;
    Ok(mix_seed(&parent, &output))
}

/// Checks `header` against the tip of `state` (see the module docs).
pub(crate) fn check_header(
    state: &State,
    header: &Header,
    tx_count: usize,
) -> Result<(), BlockError> {
    let params = state.params();
    let tip = state.tip();
    if header.chain_id != params.chain_id {
        return Err(BlockError::WrongChain {
            expected: params.chain_id,
            found: header.chain_id,
        });
    }
    let next = tip.height.checked_add(1).ok_or(BlockError::WrongHeight {
        expected: tip.height,
        found: header.height,
    })?;
    if header.height != next {
        return Err(BlockError::WrongHeight {
            expected: next,
            found: header.height,
        });
    }
    if header.parent != tip.block_id {
        return Err(BlockError::WrongParent {
            expected: tip.block_id,
            found: header.parent,
        });
    }
    check_time(
        tip.timestamp_ms,
        params.consensus.max_block_drift_ms,
        header.timestamp_ms,
    )?;
    if header.consensus.len() > MAX_CONSENSUS_DATA {
        return Err(BlockError::ConsensusDataTooLarge {
            size: header.consensus.len(),
            max: MAX_CONSENSUS_DATA,
        });
    }
    if tx_count > params.limits.max_block_txs as usize {
        return Err(BlockError::TooManyTxs {
            count: tx_count,
            max: params.limits.max_block_txs,
        });
    }
    Ok(())
}

/// The block-time rule: `parent < found <= parent + drift`.
fn check_time(parent: u64, drift: u64, found: u64) -> Result<(), BlockError> {
    if found <= parent {
        return Err(BlockError::TimestampNotIncreasing { parent, found });
    }
    let latest = parent
        .checked_add(drift)
        .ok_or(BlockError::TimestampOverflow { parent })?;
    if found > latest {
        return Err(BlockError::TimestampTooFar {
            parent,
            latest,
            found,
        });
    }
    Ok(())
}

/// The time a proposer gives the next block on `state` when its clock reads `now_ms`: the
/// clock clamped into the window the header rules accept (one ms after the tip's time at the
/// earliest, `max_block_drift_ms` after it at the latest). Errors only after a tip no valid
/// block can follow ([`BlockError::TimestampOverflow`]); never wraps.
///
/// ```
/// use flux_chain::genesis::Genesis;
/// use flux_chain::transition::next_block_time;
///
/// let state = Genesis::devnet_example().state()?;
/// let parent = state.tip().timestamp_ms;
/// let drift = state.params().consensus.max_block_drift_ms;
/// assert_eq!(next_block_time(&state, parent + 1_000)?, parent + 1_000);
/// assert_eq!(next_block_time(&state, 0)?, parent + 1); // a clock behind the chain
/// assert_eq!(next_block_time(&state, u64::MAX)?, parent + drift); // a clock far ahead
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn next_block_time(state: &State, now_ms: u64) -> Result<u64, BlockError> {
    let parent = state.tip().timestamp_ms;
    window(parent, state.params().consensus.max_block_drift_ms)
        .map(|(earliest, latest)| now_ms.clamp(earliest, latest))
}

/// The time of the next block at the chain's pace: one block time after its parent's (what a
/// proposer whose clock agrees with the chain picks), within the window.
///
/// ```
/// use flux_chain::genesis::Genesis;
/// use flux_chain::transition::paced_block_time;
///
/// let state = Genesis::devnet_example().state()?;
/// let paced = state.tip().timestamp_ms + state.params().block_time_ms;
/// assert_eq!(paced_block_time(&state)?, paced);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn paced_block_time(state: &State) -> Result<u64, BlockError> {
    let paced = state
        .tip()
        .timestamp_ms
        .saturating_add(state.params().block_time_ms);
    next_block_time(state, paced)
}

/// The times a child of a block at `parent` ms may carry: `(parent + 1, parent + drift)`.
fn window(parent: u64, drift: u64) -> Result<(u64, u64), BlockError> {
    let overflow = BlockError::TimestampOverflow { parent };
    let earliest = parent.checked_add(1).ok_or(overflow.clone())?;
    let latest = parent.checked_add(drift).ok_or(overflow)?;
    Ok((earliest, latest.max(earliest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_window_is_checked_without_overflow() {
        assert!(check_time(10, 5, 11).is_ok());
        assert!(check_time(10, 5, 15).is_ok());
        assert!(matches!(
            check_time(10, 5, 10),
            Err(BlockError::TimestampNotIncreasing { .. })
        ));
        assert!(matches!(
            check_time(10, 5, 16),
            Err(BlockError::TimestampTooFar { latest: 15, .. })
        ));
        assert!(matches!(
            check_time(u64::MAX - 1, 5, u64::MAX),
            Err(BlockError::TimestampOverflow { .. })
        ));
        assert!(matches!(
            check_time(u64::MAX, 5, u64::MAX),
            Err(BlockError::TimestampNotIncreasing { .. })
        ));
    }

    /// Issue 19 point 2: the proposer's derivation never wraps, whatever the parent's time and
    /// the clock, and what it derives passes the rule.
    #[test]
    fn the_derived_time_never_wraps_and_always_passes() {
        for parent in [0, 1, 1_000, u64::MAX - 300_000, u64::MAX - 1, u64::MAX] {
            for now in [0, parent, parent.saturating_add(1), u64::MAX] {
                match window(parent, 300_000) {
                    Ok((earliest, latest)) => {
                        let t = now.clamp(earliest, latest);
                        assert!(t > parent);
                        assert!(check_time(parent, 300_000, t).is_ok(), "{parent} {now}");
                    }
                    Err(e) => assert!(matches!(e, BlockError::TimestampOverflow { .. })),
                }
            }
        }
    }
}
