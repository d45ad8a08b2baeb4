//! # flux-nodes
//!
//! The FluxNode domain: the rules about nodes, the work they do and the apps they host. Pure
//! and deterministic (no IO, no clock, no floats, no hash-map order), so every node computes
//! the same registry, queues and placement from the same chain state; the one exception is
//! [`bench`](mod@bench), which measures the local machine for the binaries.
//!
//! Modules:
//! - [`node`]: a node as the registry keeps it ([`NodeId`], [`NodeEntry`], geolocation, endpoint);
//! - [`registry`]: every node's entry, its collateral, the payout queues and the deadlines;
//! - [`lifecycle`]: node statuses, the events between them and their timing rules;
//! - [`attestation`]: peer-verified benchmarks (verifier selection, signatures, quorum);
//! - [`bench`](mod@bench): the local benchmark a verifier runs and a node reports (IO);
//! - [`payout`]: the per-tier payout queues (who is paid next);
//! - [`app`]: app specifications (FluxOS JSON, validation, exact pricing);
//! - [`placement`]: which node runs each instance of each app, and a synthetic network;
//! - [`hosting`]: the pure reconcile plan, from the placement to this node's containers;
//! - [`work`]: deterministic WebAssembly jobs for proof of useful work;
//! - [`error`]: the typed errors, one variant per rule;
//! - `testkit` (feature `testkit`): generators and `Arbitrary` impls for integrators' tests.
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
