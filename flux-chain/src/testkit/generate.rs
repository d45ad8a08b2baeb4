//! Valid values on a given state: transfers the chain accepts and whole blocks built by the
//! chain's own block builder, from a seed.
//!
//! Each generator draws from a [`Gen`], so a seed names a value: a proptest failure or a fuzz
//! crash is reproduced by calling the generator with the same seed on the same state.

use std::collections::BTreeMap;

use flux_core::crypto::SecretKey;
use flux_core::testkit::Gen;
use flux_core::testkit::keys::address;
use flux_core::{Address, COIN};
use proptest::prelude::*;

use super::error::FixtureError;
use super::ops::transfer;
use crate::block::Block;
use crate::state::State;
use crate::transition::{build_block, paced_block_time};
use crate::tx::Transaction;

/// Valid transfers drawn on one state: it tracks the nonces and balances the earlier ones
/// used, so any number of them can go into one block.
#[derive(Clone, Debug)]
pub struct TransferPlan<'s> {
    state: &'s State,
    keys: &'s [SecretKey],
    /// (next nonce, spendable base units) per key index.
    pending: BTreeMap<usize, (u64, u64)>,
}

impl<'s> TransferPlan<'s> {
    /// A plan on `state` sending from `keys` (those with no balance are skipped).
    pub fn new(state: &'s State, keys: &'s [SecretKey]) -> TransferPlan<'s> {
        TransferPlan {
            state,
            keys,
            pending: BTreeMap::new(),
        }
    }

    fn account(&mut self, i: usize) -> (u64, u64) {
        let state = self.state;
        let key = &self.keys[i];
        *self.pending.entry(i).or_insert_with(|| {
            let a = state.account(&address(key));
            (a.nonce, a.balance.base_units())
        })
    }

    /// The next valid transfer: a funded sender with its next nonce, a fee below 0.00001 FLUX,
    /// and at most 1/64 of what it can still spend (capped at 10 FLUX), to another key or a
    /// fresh address. `Ok(None)` when no key can pay anything.
    pub fn next(&mut self, rng: &mut Gen) -> Result<Option<Transaction>, FixtureError> {
        let n = self.keys.len();
        if n == 0 {
            return Ok(None);
        }
        let start = rng.index(n);
        for step in 0..n {
            let from = (start + step) % n;
            let (nonce, spendable) = self.account(from);
            let fee = rng.below(1_000).min(spendable / 2);
            let cap = ((spendable - fee) / 64).min(10 * COIN);
            if cap == 0 {
                continue;
            }
            let amount = 1 + rng.below(cap);
            let to = if rng.chance(1, 8) {
                let mut fresh = [0u8; 20];
                for chunk in fresh.chunks_mut(8) {
                    chunk.copy_from_slice(&rng.next_u64().to_le_bytes()[..chunk.len()]);
                }
                Address::from_bytes(fresh)
            } else {
                address(&self.keys[rng.index(n)])
            };
            let tx = transfer(
                &self.keys[from],
                self.state.params().chain_id,
                nonce,
                fee,
                to,
                amount,
            )?;
            self.pending
                .insert(from, (nonce + 1, spendable - fee - amount));
            return Ok(Some(tx));
        }
        Ok(None)
    }
}

/// One valid transfer on `state` from one of `keys` (see [`TransferPlan::next`]).
///
/// ```
/// use flux_chain::testkit::{GenesisBuilder, valid_transfer};
/// use flux_core::testkit::{Gen, keys::seeded_keys};
/// use flux_core::Amount;
///
/// let keys = seeded_keys(3);
/// let state = GenesisBuilder::new().accounts(&keys, Amount::from_flux(100)?).build()?.state()?;
/// let tx = valid_transfer(&state, &keys, &mut Gen::new(1))?.expect("funded");
/// tx.check(state.params())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn valid_transfer(
    state: &State,
    keys: &[SecretKey],
    rng: &mut Gen,
) -> Result<Option<Transaction>, FixtureError> {
    TransferPlan::new(state, keys).next(rng)
}

/// The next block on `state` with `txs` valid transfers from `keys` (fewer if the keys run
/// dry), built by the chain's own [`build_block`] so that `apply_block` accepts it: proposed
/// by `keys[0]`, one block time after the tip.
///
/// ```
/// use flux_chain::testkit::{GenesisBuilder, valid_block_on};
/// use flux_chain::transition::apply_block;
/// use flux_core::testkit::{Gen, keys::seeded_keys};
/// use flux_core::Amount;
///
/// let keys = seeded_keys(4);
/// let state = GenesisBuilder::new().accounts(&keys, Amount::from_flux(100)?).build()?.state()?;
/// let block = valid_block_on(&state, &keys, 20, &mut Gen::new(7))?;
/// assert_eq!(block.txs.len(), 20);
/// apply_block(&state, &block)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn valid_block_on(
    state: &State,
    keys: &[SecretKey],
    txs: usize,
    rng: &mut Gen,
) -> Result<Block, FixtureError> {
    let proposer = keys.first().ok_or(FixtureError::NoFundedKey)?;
    let mut plan = TransferPlan::new(state, keys);
    let mut body = Vec::with_capacity(txs);
    for _ in 0..txs {
        match plan.next(rng)? {
            Some(tx) => body.push(tx),
            None => break,
        }
    }
    let time = paced_block_time(state)?;
    Ok(build_block(state, proposer, time, vec![], body)?)
}

/// Valid blocks on `state` with `txs` transfers from `keys`: one per seed (see
/// [`valid_block_on`]); the seed is the only input, so shrinking is by seed.
pub fn valid_blocks_on(
    state: &State,
    keys: &[SecretKey],
    txs: usize,
) -> impl Strategy<Value = Block> + use<> {
    let state = state.clone();
    let keys = keys.to_vec();
    any::<u64>().prop_filter_map("no valid block", move |seed| {
        valid_block_on(&state, &keys, txs, &mut Gen::new(seed)).ok()
    })
}

/// Valid transfers on `state` from `keys`: up to `max` of them in one batch, all valid
/// together in order.
pub fn valid_transfers(
    state: &State,
    keys: &[SecretKey],
    max: usize,
) -> impl Strategy<Value = Vec<Transaction>> + use<> {
    let state = state.clone();
    let keys = keys.to_vec();
    (any::<u64>(), 0..=max).prop_map(move |(seed, n)| {
        let mut rng = Gen::new(seed);
        let mut plan = TransferPlan::new(&state, &keys);
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            match plan.next(&mut rng) {
                Ok(Some(tx)) => out.push(tx),
                _ => break,
            }
        }
        out
    })
}
