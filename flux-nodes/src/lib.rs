//! # flux-nodes
//!
//! The FluxNode domain, pure and deterministic (no IO, no clock): tier rules applied to nodes,
//! the node registry and its lifecycle (start, confirm, keep-alive, expiry, DoS list, exit),
//! peer-verified hardware benchmark attestation, the deterministic node list and per-tier payout
//! queues, workload placement of apps and jobs onto nodes, and proof of useful work (jobs,
//! verification, work receipts). The one exception to "no IO" will be `bench`, which measures the
//! local machine for the binaries.
//!
//! Depends only on [`flux_core`]. Its rules are filled in by the nodes, placement and
//! useful-work issues; today it re-exports the tier vocabulary those rules speak.
//!
//! ```
//! use flux_nodes::Tier;
//! assert_eq!(Tier::ALL.len(), 3);
//! ```

#![forbid(unsafe_code)]

pub use flux_core::tier::{Resources, Tier};
