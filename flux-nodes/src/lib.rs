//! # flux-nodes
//!
//! The FluxNode domain, pure and deterministic (no IO, no clock): tier rules applied to nodes,
//! the node registry and its lifecycle ([`registry`], [`lifecycle`], [`node`]), peer-verified
//! hardware benchmark attestation ([`attestation`]), the per-tier payout queues ([`payout`]),
//! deterministic WebAssembly compute jobs for proof of useful work ([`work`]), and, with later
//! issues, workload placement and the rest of useful work. The one exception to
//! "no IO" is [`bench`](mod@bench), which measures the local machine for the binaries.
//!
//! ```
//! use flux_nodes::registry::{Registry, NodeOffer};
//! use flux_core::crypto::{Scheme, SecretKey};
//! use flux_core::{Address, ChainParams, Tier};
//!
//! let params = ChainParams::devnet();
//! let operator = SecretKey::from_bytes(Scheme::Ed25519, &[5; 32])?.public_key();
//! let mut registry = Registry::new();
//! let event = registry.start(Address::from_bytes([1; 20]), NodeOffer {
//!     operator,
//!     tier: Tier::Cumulus,
//!     collateral: Tier::Cumulus.collateral(&params),
//!     endpoint: "203.0.113.7:16127".into(),
//!     geolocation: "EU_DE_Bavaria".parse()?,
//!     declared: Tier::Cumulus.minimum(&params),
//! }, 10, &params)?;
//! assert_eq!(registry.len(), 1);
//! // Not confirmed within 240 blocks: on the DoS list at height 10 + 241.
//! let events = registry.on_block(251, &params)?;
//! assert_eq!(events.len(), 1);
//! # let _ = event;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod app;
pub mod attestation;
pub mod bench;
pub mod error;
pub mod hosting;
pub mod lifecycle;
pub mod node;
pub mod payout;
pub mod placement;
pub mod registry;
// Test kit for integrators (feature `testkit`): strategies and `Arbitrary` impls.
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod work;

pub use flux_core::tier::{Resources, Tier};
pub use node::{NodeEntry, NodeId};
