//! # flux-chain
//!
//! The ledger: what a transaction and a block are, the state they change and its authenticated
//! trie, the pure state transition that changes it, and the pure consensus state machine that
//! orders blocks. Everything here is a pure function of its inputs except storage (redb), the
//! only IO of the crate.
//!
//! Modules:
//! - [`tx`]: transactions, the signed envelope around one of the kinds ([`tx::TxKind`]);
//! - [`ids`]: [`tx::TxId`], the id the domain modules record transactions by;
//! - [`block`]: headers and blocks, the transaction root;
//! - [`genesis`]: the first state, from a JSON file; [`devnet`]: genesis with validators;
//! - [`state`]: ledger state as areas (accounts, nodes, apps, governance, work, parallel),
//!   committed to by the state root; [`trie`]: the authenticated Merkle trie under it;
//! - [`transition`]: applying and building blocks, one rule module per transaction kind;
//! - [`apps`], [`gov`], [`work`], [`parallel`]: what the chain keeps of apps, xDAO governance,
//!   compute jobs, and parallel assets with their swaps;
//! - [`mempool`]: valid transactions waiting for a block;
//! - [`consensus`]: the Tendermint state machine, committees, votes, certificates, evidence;
//! - [`store`]: storage of blocks and state behind a trait (redb and in memory);
//! - [`chain`]: [`chain::Chain`], a state and a store with the queries on both;
//! - [`error`]: the typed errors, one variant per rule;
//! - `testkit` (feature `testkit`): fixtures, valid and arbitrary generators.
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
