//! Why a host stops.

use flux_chain::consensus::Height;
use flux_chain::error::ChainError;
use flux_core::error::CodecError;
use thiserror::Error;

/// A failure the host can not recover from by itself (bad input from peers is refused and
/// counted, never an error).
#[derive(Debug, Error)]
pub enum HostError {
    /// The chain or its store failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A message could not be encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// A consensus message this host made was refused by its own machine.
    #[error(transparent)]
    Consensus(#[from] flux_chain::consensus::ConsensusError),
    /// A lock was poisoned by a panic elsewhere.
    #[error("a shared lock was poisoned")]
    Poisoned,
    /// A block decided with a valid certificate does not apply here: a safety violation or a
    /// corrupt local state. The node must stop rather than diverge.
    #[error("decided block at height {height} does not apply: {reason}")]
    InvalidDecision {
        /// The height.
        height: Height,
        /// Why.
        reason: String,
    },
}
