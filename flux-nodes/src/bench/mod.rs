//! Hardware benchmarks: the local half of peer-verified benchmark attestation.
//!
//! Two parts with different rules:
//!
//! - [`cpu`] is pure (no IO, no clock): a seed-derived CPU workload of parallel BLAKE3 chains
//!   whose answer a verifier spot-checks at a small fraction of its cost ([`cpu::solve`],
//!   [`cpu::verify`]), and the integer score of a timed answer ([`cpu::cpu_score`]). Verifiers
//!   use it to challenge a node; the node uses it to measure itself.
//! - [`measure`](mod@measure) is the one place in flux-nodes that does IO and reads the clock: it
//!   measures this machine (threads and cores, RAM, free space and write throughput of a
//!   directory's filesystem, CPU score) for the binaries. Bandwidth needs a peer, so it is only
//!   ever declared here.
//!
//! The result is a [`BenchReport`], checked against the tiers' minima with the same rule as
//! [`Tier::admits`](flux_core::Tier::admits) ([`BenchReport::tiers_met`],
//! [`BenchReport::tier_checks`] which also says which minima fail).
//!
//! ```no_run
//! use flux_core::ChainParams;
//! use flux_nodes::bench::{self, BenchConfig};
//!
//! let report = bench::measure(&BenchConfig { bandwidth_mbps: Some(100), ..BenchConfig::default() })?;
//! println!("{} threads, CPU score {}", report.hardware.resources.cpu_threads, report.cpu_score);
//! for check in report.tier_checks(&ChainParams::mainnet()) {
//!     println!("{}: {}", check.tier, if check.met { "met" } else { "not met" });
//! }
//! # Ok::<(), flux_nodes::bench::BenchError>(())
//! ```

pub mod cpu;
pub mod error;
pub mod measure;
pub mod report;

#[cfg(test)]
mod tests;

pub use cpu::{CpuChallenge, CpuProof};
pub use error::BenchError;
pub use measure::{BenchConfig, measure};
pub use report::{BenchReport, CoresSource, Requirement, Shortfall, TierCheck};
