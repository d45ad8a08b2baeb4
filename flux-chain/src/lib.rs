//! # flux-chain
//!
//! The ledger: transactions, blocks, ledger state and the pure state transition function, xDAO
//! governance, parallel-asset books, the mempool, the pure Tendermint consensus state machine,
//! and storage (redb behind a `Store` trait). Storage is the only IO here; the state transition
//! and consensus are pure functions of their inputs.
//!
//! Depends on [`flux_core`] and [`flux_nodes`]. Its contents arrive with the chain issue; today it
//! names the canonical codec every block and transaction will go through.
//!
//! ```
//! let bytes = flux_chain::codec::encode(&7u64)?;
//! assert_eq!(bytes, 7u64.to_le_bytes());
//! # Ok::<(), flux_core::error::CodecError>(())
//! ```

#![forbid(unsafe_code)]

pub use flux_core::codec;
