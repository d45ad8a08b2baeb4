//! # flux-chain
//!
//! The ledger: transactions ([`tx`]), blocks ([`block`]), ledger state and its authenticated
//! trie ([`state`], [`trie`]), the pure state transition ([`transition`]), genesis
//! ([`genesis`]), compute jobs and the useful-work pool ([`work`]), parallel-asset books and swaps ([`parallel`]), and xDAO governance, the mempool, the consensus
//! state machine and storage. The state transition and consensus are pure functions of their
//! inputs; storage is the only IO here.
//!
//! ```
//! use flux_chain::genesis::Genesis;
//! use flux_chain::transition::{apply_block, build_block};
//! use flux_chain::tx::{Transaction, TxKind, Transfer};
//! use flux_core::crypto::{Scheme, SecretKey};
//! use flux_core::{Address, Amount};
//!
//! let genesis = Genesis::devnet_example();
//! let mut state = genesis.state()?;
//! let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?; // funded in the example
//! let bob = Address::from_bytes([7; 20]);
//! let pay = TxKind::Transfer(Transfer { to: bob, amount: "2.5".parse()? });
//! let tx = Transaction::sign(&alice, state.params().chain_id, 0, Amount::from_base_units(500), pay)?;
//!
//! let block = build_block(&state, &alice, genesis.timestamp_ms + 1_000, vec![], vec![tx])?;
//! let (diff, _receipts) = apply_block(&state, &block)?;
//! state.commit(diff);
//! assert_eq!(state.account(&bob).balance.to_string(), "2.5");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod apps;
pub mod block;
pub mod chain;
pub mod consensus;
pub mod devnet;
pub mod error;
pub mod genesis;
pub mod gov;
pub mod ids;
pub mod mempool;
pub mod parallel;
pub mod state;
pub mod store;
// Test kit for integrators (feature `testkit`): fixtures, valid and arbitrary generators.
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod transition;
pub mod trie;
pub mod tx;
pub mod work;

pub use flux_core::codec;
