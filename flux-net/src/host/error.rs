//! Why a host stops.

use flux_chain::consensus::Height;
use flux_chain::error::{BlockError, ChainError};
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
    /// Asked to propose a block, but this host has no validator key (a follower never
    /// proposes: its machine never asks).
    #[error("asked to propose a block without a validator key")]
    NoKey,
    /// Not even an empty block could be built on this chain (its time window or its state is
    /// broken): the node can not propose.
    #[error("no block could be built at height {height}: {source}")]
    Build {
        /// The height of the block.
        height: Height,
        /// Why (boxed: the host's error stays small).
        #[source]
        source: Box<BlockError>,
    },
}
