//! Why a simulation stopped: [`SimulatorError`] (named apart from [`crate::sim::SimError`], the
//! consensus network simulator's error, which it wraps for a consensus run) and the
//! [`Violation`] of an invariant.

use std::path::PathBuf;

use thiserror::Error;

/// An invariant that a block broke.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Violation {
    /// The supply passed the cap.
    #[error("supply {supply} exceeds the cap {cap}")]
    Cap {
        /// The supply (base units).
        supply: u64,
        /// The cap (base units).
        cap: u64,
    },
    /// What the accounts, bonds, escrows and pools hold differs from the supply.
    #[error("held {held} differs from the supply {supply}")]
    Conservation {
        /// Sum of everything held (base units).
        held: u64,
        /// The ledger's supply (base units).
        supply: u64,
    },
    /// The held total tracked block by block from the diffs differs from a recount.
    #[error("held total tracked from the diffs {tracked} differs from a recount {recomputed}")]
    Tracking {
        /// Tracked (base units).
        tracked: u64,
        /// Recounted from the state (base units).
        recomputed: u64,
    },
    /// A tier's or a node's placed demand exceeds its capacity.
    #[error("over capacity: {what}")]
    OverCapacity {
        /// The tier or node.
        what: String,
    },
    /// A placed instance is on a node that cannot host it.
    #[error("invalid instance of {app}: {why}")]
    BadInstance {
        /// The app.
        app: String,
        /// Why.
        why: String,
    },
}

/// Why a network-scale simulation stopped.
#[derive(Debug, Error)]
pub enum SimulatorError {
    /// The consensus run (without `--fast`) failed: a safety or liveness violation of the
    /// simulated network, or a bad configuration.
    #[error("consensus simulation: {0}")]
    Consensus(String),
    /// The scenario file is not valid.
    #[error("bad scenario: {0}")]
    Scenario(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The genesis could not be built.
    #[error("genesis: {0}")]
    Genesis(Box<flux_chain::error::GenesisError>),
    /// A block could not be built or applied (a bug: the simulator only builds valid blocks).
    #[error("block {height} (seed {seed}): {source}")]
    Block {
        /// Its height.
        height: u64,
        /// The run's seed.
        seed: u64,
        /// The chain's reason.
        #[source]
        source: Box<flux_chain::error::BlockError>,
    },
    /// A transaction could not be made (signing, encoding, app spec).
    #[error("making a transaction at block {height}: {reason}")]
    Tx {
        /// The height.
        height: u64,
        /// Why.
        reason: String,
    },
    /// An invariant broke: the run stops at this block.
    #[error("invariant broken at block {height} (seed {seed}): {violation}")]
    Invariant {
        /// The block.
        height: u64,
        /// The run's seed (re-run with it to reproduce).
        seed: u64,
        /// What broke.
        violation: Violation,
    },
}

impl From<flux_chain::error::GenesisError> for SimulatorError {
    fn from(e: flux_chain::error::GenesisError) -> SimulatorError {
        SimulatorError::Genesis(Box::new(e))
    }
}
