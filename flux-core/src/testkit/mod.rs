//! The test kit (feature `testkit`, off by default): what an integrator needs to property-test,
//! fuzz and simulate code built on flux-core.
//!
//! - [`strategies`]: proptest strategies for amounts, hashes, addresses, keys, signatures,
//!   tiers, resources and parameter sets, and [`strategies::arb`], a strategy for any type
//!   with an `Arbitrary` impl;
//! - `arbitrary::Arbitrary` for every consensus and wire type of this crate, and
//!   [`arbitrary_via_serde!`](crate::arbitrary_via_serde) to give one to your own serde types
//!   (built on [`unstructured::from_unstructured`]);
//! - [`keys`]: deterministic keys ([`keys::key`], [`keys::seeded_keys`]);
//! - [`Gen`]: the seeded generator the valid-value builders draw from (a failing case is its
//!   seed);
//! - [`codec_checks`]: round-trip and canonical-decoding assertions;
//! - [`wait`]: waiting for a condition with a deadline ([`wait::wait_until`]) instead of a
//!   sleep.
//!
//! flux-nodes, flux-chain and flux-net extend the kit with their types (`testkit` modules and
//! features of the same name); the kit is never part of a release build of `flux` or `fluxd`.
//! Recipes: `TESTING.md` at the repository root.
//!
//! ```
//! use flux_core::testkit::strategies::{any_amount, arb};
//! use flux_core::testkit::codec_checks::round_trips;
//! use flux_core::crypto::PublicKey;
//! use proptest::prelude::*;
//!
//! proptest!(|(a in any_amount(), key in arb::<PublicKey>())| {
//!     round_trips(&a)?;
//!     round_trips(&key)?;
//! });
//! ```

mod arbitrary_impls;
pub mod codec_checks;
pub mod keys;
mod seeded;
pub mod strategies;
pub mod unstructured;
pub mod wait;

pub use seeded::Gen;

/// The `arbitrary` crate the kit's impls are for (so integrators need not pin it themselves).
pub use arbitrary;
/// The `proptest` crate the kit's strategies are for.
pub use proptest;
