//! A harness for fuzzing one transaction kind against the real state transition: the payload
//! is arbitrary, but the transaction is signed by a funded key with its next nonce, so every
//! input reaches the kind's own rules instead of stopping at the signature check.
//!
//! The harness checks what must hold whatever the input: building the block either succeeds
//! or names the transaction and the rule it breaks, and an accepted block applies, keeps every
//! FLUX accounted for and stays under the cap. A fuzz target is then a few lines (see
//! `fuzz/fuzz_targets/custom_tx_kind.rs` and `TESTING.md`).

use arbitrary::Unstructured;
use flux_core::crypto::SecretKey;
use flux_core::{Amount, Hash};

use super::error::FixtureError;
use super::keys::address;
use crate::block::Block;
use crate::error::{BlockError, TxError};
use crate::state::State;
use crate::transition::{apply_block, build_block, paced_block_time};
use crate::tx::{Transaction, TxKind};

/// What the chain did with one fuzzed transaction.
#[derive(Debug)]
pub enum Verdict {
    /// Accepted: the block applied and the invariants held.
    Accepted(Box<Block>),
    /// Refused with the rule it breaks (the expected outcome for most inputs).
    Refused(TxError),
    /// The input ran out before a transaction was drawn.
    NoInput,
}

/// Signs `kind` by one of `keys` (chosen by the input) with its next nonce and an arbitrary
/// small fee, builds the next block on `state` with it and checks the invariants (see the
/// module docs).
///
/// Errors: only when an invariant breaks or the chain errs in a way a transaction never
/// should make it (a block error that names no transaction): those are the bugs a fuzzer is
/// after.
///
/// ```
/// use flux_chain::testkit::harness::{Verdict, check_tx_kind};
/// use flux_chain::testkit::{GenesisBuilder, arbitrary::Unstructured, keys::seeded_keys};
/// use flux_chain::tx::TxKind;
///
/// let keys = seeded_keys(2);
/// let fx = GenesisBuilder::new().accounts(&keys, "100".parse()?).fixture()?;
/// let mut u = Unstructured::new(&[3; 200]);
/// let verdict = check_tx_kind(fx.state(), &keys, &mut u, |u| Ok(TxKind::Transfer(u.arbitrary()?)))?;
/// assert!(!matches!(verdict, Verdict::NoInput));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_tx_kind<'a>(
    state: &State,
    keys: &[SecretKey],
    u: &mut Unstructured<'a>,
    draw: impl FnOnce(&mut Unstructured<'a>) -> arbitrary::Result<TxKind>,
) -> Result<Verdict, FixtureError> {
    let Some(proposer) = keys.first() else {
        return Err(FixtureError::NoFundedKey);
    };
    let Ok(from) = u.choose_index(keys.len()) else {
        return Ok(Verdict::NoInput);
    };
    let Ok(fee) = u.int_in_range(0..=10_000u64) else {
        return Ok(Verdict::NoInput);
    };
    let Ok(kind) = draw(u) else {
        return Ok(Verdict::NoInput);
    };
    let key = &keys[from];
    let nonce = state.account(&address(key)).nonce;
    let tx = Transaction::sign(
        key,
        state.params().chain_id,
        nonce,
        Amount::from_base_units(fee),
        kind,
    )?;
    let time = paced_block_time(state)?;
    match build_block(state, proposer, time, vec![], vec![tx]) {
        Ok(block) => {
            let (diff, _) = apply_block(state, &block)?;
            let mut next = state.clone();
            next.commit(diff);
            super::ops::check_conservation(&next)?;
            if next.ledger().supply > next.params().supply.max_supply {
                return Err(FixtureError::Conservation {
                    height: next.tip().height,
                    held: next.ledger().supply,
                    supply: next.params().supply.max_supply,
                });
            }
            Ok(Verdict::Accepted(Box::new(block)))
        }
        Err(BlockError::Tx { source, .. }) => Ok(Verdict::Refused(source)),
        Err(other) => Err(other.into()),
    }
}

/// A seed-independent fingerprint of a verdict (for "same input, same answer" checks).
pub fn fingerprint(verdict: &Verdict) -> Hash {
    match verdict {
        Verdict::Accepted(block) => block.id().map(|id| id.0).unwrap_or(Hash::ZERO),
        Verdict::Refused(e) => Hash::digest(e.to_string().as_bytes()),
        Verdict::NoInput => Hash::ZERO,
    }
}
