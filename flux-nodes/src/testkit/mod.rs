//! The test kit (feature `testkit`, off by default): flux-core's kit
//! ([`flux_core::testkit`]) plus flux-nodes' types.
//!
//! - `arbitrary::Arbitrary` for node ids, geolocations (always valid), node entries (id
//!   consistent with the operator key), node statuses, benchmark evidence and attestations, and
//!   typed app specifications;
//! - [`strategies`]: proptest strategies for them, and valid FluxOS v8 app specifications
//!   ([`strategies::valid_app_spec`], [`strategies::app_spec_json`]).
//!
//! ```
//! use flux_core::ChainParams;
//! use flux_nodes::testkit::strategies::valid_app_spec;
//! use proptest::prelude::*;
//!
//! let params = ChainParams::devnet();
//! proptest!(ProptestConfig::with_cases(16), |((_json, spec) in valid_app_spec(&params.apps))| {
//!     prop_assert!(spec.price(&params.apps.prices).is_ok());
//! });
//! ```

pub mod apps;
mod arbitrary_impls;
pub mod strategies;

pub use flux_core::testkit::{Gen, arbitrary, codec_checks, keys, proptest, unstructured, wait};
