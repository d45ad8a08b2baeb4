//! Why a simulation stopped: a violated invariant (always naming the seed) or a setup failure.

use flux_chain::block::BlockId;
use flux_chain::consensus::{ConsensusError, Height};
use flux_chain::error::{ChainError, GenesisError};
use flux_core::Hash;

use crate::host::HostError;

/// A simulation failure. Invariant violations carry the seed so the run can be replayed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Two honest validators decided different blocks at one height.
    #[error(
        "seed {seed}: validators {a} and {b} decided different blocks at height {height}: {va:?} vs {vb:?}"
    )]
    Disagreement {
        /// The run's seed.
        seed: u64,
        /// The height.
        height: Height,
        /// The first validator.
        a: usize,
        /// The second validator.
        b: usize,
        /// What `a` decided.
        va: BlockId,
        /// What `b` decided.
        vb: BlockId,
    },
    /// Two honest validators hold different state roots at one height.
    #[error(
        "seed {seed}: validators {a} and {b} hold different state roots at height {height}: {ra} vs {rb}"
    )]
    StateDivergence {
        /// The run's seed.
        seed: u64,
        /// The height.
        height: Height,
        /// The first validator.
        a: usize,
        /// The second validator.
        b: usize,
        /// The state root of `a`.
        ra: Hash,
        /// The state root of `b`.
        rb: Hash,
    },
    /// A decision's commit certificate does not verify against the committee.
    #[error(
        "seed {seed}: validator {validator} decided height {height} with a bad certificate: {source}"
    )]
    BadCertificate {
        /// The run's seed.
        seed: u64,
        /// The validator.
        validator: usize,
        /// The height.
        height: Height,
        /// Why the certificate failed.
        source: ConsensusError,
    },
    /// A validator decided a block it does not hold or that its chain rejects, or committed
    /// a block without a certificate.
    #[error(
        "seed {seed}: validator {validator} can not apply its decision at height {height}: {reason}"
    )]
    InvalidDecision {
        /// The run's seed.
        seed: u64,
        /// The validator.
        validator: usize,
        /// The height.
        height: Height,
        /// What went wrong.
        reason: String,
    },
    /// Honest validators did not reach the expected height.
    #[error(
        "seed {seed}: liveness: lowest honest height {reached} after {elapsed_ms} ms, expected at least {expected}"
    )]
    Stalled {
        /// The run's seed.
        seed: u64,
        /// The lowest height among honest validators.
        reached: Height,
        /// The height expected.
        expected: Height,
        /// Simulated time, ms.
        elapsed_ms: u64,
    },
    /// The configuration is inconsistent (e.g. a fault for a validator that does not exist).
    #[error("bad simulation config: {0}")]
    Config(&'static str),
    /// Building the genesis or opening a validator's chain failed.
    #[error("setup: {0}")]
    Chain(#[from] ChainError),
    /// The devnet genesis could not be made.
    #[error("setup genesis: {0}")]
    Genesis(#[from] GenesisError),
    /// Building a committee failed.
    #[error("consensus: {0}")]
    Consensus(#[from] ConsensusError),
    /// A validator's host failed (its chain or a lock); see [`HostError`].
    #[error("seed {seed}: validator {validator}: {source}")]
    Host {
        /// The run's seed.
        seed: u64,
        /// The validator.
        validator: usize,
        /// What failed (boxed: it is large and rare).
        source: Box<HostError>,
    },
}
