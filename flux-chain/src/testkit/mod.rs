//! The test kit (feature `testkit`, off by default): build chains, draw valid and arbitrary
//! values, and check what your code does with them.
//!
//! - [`GenesisBuilder`]: a genesis from keys (funded accounts, nodes of each tier, validators,
//!   apps) so tests can sign for everything in it;
//! - [`ChainFixture`]: a real [`Chain`](crate::chain::Chain) (memory or redb) from a builder,
//!   advanced N blocks with realistic activity, every block checked for conservation;
//! - [`generate`]: valid values on a state, by seed: [`valid_transfer`], [`valid_block_on`]
//!   (built by the chain's own block builder, so `apply_block` accepts it), and their
//!   strategies [`valid_blocks_on`], [`generate::valid_transfers`];
//! - [`strategies`]: arbitrary transactions, kinds and blocks, transfer attempts that mix
//!   valid and invalid, trie change batches; `arbitrary::Arbitrary` for every transaction,
//!   block, consensus and genesis type;
//! - [`harness`]: fuzz one transaction kind against the real state transition (signed by a
//!   funded key, so the kind's own rules are reached) with the invariants checked;
//! - [`ops`]: the steps tests share (sign with the next nonce, attested confirms, next block
//!   with a conservation check, bring nodes up);
//! - flux-core's and flux-nodes' kits, re-exported: [`keys`], [`Gen`], [`codec_checks`],
//!   [`arbitrary`], [`proptest`], and [`wait`] (a condition with a deadline, not a sleep).
//!
//! The multi-validator harness, `NetworkFixture`, lives in `flux_net::testkit` (feature
//! `testkit` of flux-net), next to the simulated network it drives. Recipes: `TESTING.md` at
//! the repository root.
//!
//! An integrator's property test, whatever the 100 transactions, applying a valid block keeps
//! every FLUX accounted for:
//!
//! ```
//! use flux_chain::testkit::{GenesisBuilder, valid_blocks_on, keys::seeded_keys, proptest::prelude::*};
//! use flux_chain::transition::apply_block;
//!
//! let keys = seeded_keys(8);
//! let fx = GenesisBuilder::new().accounts(&keys, "1000".parse().unwrap()).fixture().unwrap();
//! proptest!(ProptestConfig::with_cases(8), |(block in valid_blocks_on(fx.state(), &keys, 100))| {
//!     let (diff, _) = apply_block(fx.state(), &block).unwrap();
//!     let mut next = fx.state().clone();
//!     next.commit(diff);
//!     prop_assert_eq!(next.total_held().unwrap(), next.ledger().supply);
//! });
//! ```

mod arbitrary_impls;
pub mod error;
pub mod fixture;
pub mod generate;
pub mod genesis;
pub mod harness;
pub mod ops;
pub mod strategies;

pub use error::FixtureError;
pub use fixture::ChainFixture;
pub use flux_nodes::testkit::{Gen, arbitrary, codec_checks, keys, proptest, unstructured, wait};
pub use generate::{valid_block_on, valid_blocks_on, valid_transfer};
pub use genesis::{GenesisBuilder, NodeKeys};
