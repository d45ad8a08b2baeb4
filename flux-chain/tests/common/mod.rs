//! Helpers shared by flux-chain's integration tests: thin wrappers over the test kit
//! (`flux_chain::testkit`) that fix the tests' conventions (devnet, genesis at 1,000,000 ms,
//! `keys(n)[0]` proposes) and fail loudly.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flux_chain::chain::Chain;
use flux_chain::genesis::Genesis;
use flux_chain::state::State;
use flux_chain::store::Store;
use flux_chain::testkit::{GenesisBuilder, keys::seeded_keys, ops};
use flux_chain::transition::Receipts;
use flux_chain::tx::{Transaction, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{Address, Amount, ChainId};

/// Deterministic keys ([`seeded_keys`]).
pub fn keys(n: usize) -> Vec<SecretKey> {
    seeded_keys(n)
}

pub fn address(key: &SecretKey) -> Address {
    flux_chain::testkit::keys::address(key)
}

/// A devnet genesis at 1,000,000 ms giving `flux_each` FLUX to each key.
pub fn genesis(keys: &[SecretKey], flux_each: u64) -> Genesis {
    GenesisBuilder::new()
        .timestamp_ms(1_000_000)
        .accounts(keys, Amount::from_flux(flux_each).unwrap())
        .build()
        .unwrap()
}

pub fn transfer(key: &SecretKey, nonce: u64, fee: u64, to: Address, amount: u64) -> Transaction {
    ops::transfer(key, ChainId::DEVNET, nonce, fee, to, amount).unwrap()
}

/// A transaction from `key` with its next nonce and no fee.
pub fn sign(key: &SecretKey, state: &State, kind: TxKind) -> Transaction {
    ops::sign_next(key, state, kind).unwrap()
}

/// A confirm of `operator`'s node attested by every selected verifier among `operators`.
pub fn confirm(operator: &SecretKey, operators: &[SecretKey], state: &State) -> Transaction {
    ops::confirm(operator, operators, state).unwrap()
}

/// Applies the next block with `txs`, checking conservation.
pub fn next<S: Store>(chain: &mut Chain<S>, txs: Vec<Transaction>) -> Receipts {
    ops::next_block(chain, &keys(1)[0], txs).unwrap()
}

/// Starts and confirms one Cumulus node per (owner, operator) pair, each in its own /16.
pub fn bring_up_nodes<S: Store>(
    chain: &mut Chain<S>,
    owners: &[SecretKey],
    operators: &[SecretKey],
) {
    ops::start_and_confirm_nodes(chain, owners, operators).unwrap();
}

/// A compute job that echoes its input (the fuel used grows with the input's length).
pub const ECHO: &str = flux_nodes::work::jobs::ECHO_WAT;
