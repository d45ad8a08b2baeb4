//! What can go wrong while building a fixture or a valid value.

use flux_core::Amount;
use flux_core::error::CodecError;
use flux_nodes::app::AppError;
use flux_nodes::error::AttestationError;

use crate::error::{BlockError, ChainError, GenesisError};

/// A fixture or generator failed: the chain refused what the kit built (a bug in the kit or a
/// rule the test changed) or an invariant the kit checks broke.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The genesis was refused.
    #[error("genesis: {0}")]
    Genesis(#[from] GenesisError),
    /// The chain refused a block or its store failed.
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    /// A block could not be built.
    #[error("block: {0}")]
    Block(#[from] BlockError),
    /// Encoding failed.
    #[error("codec: {0}")]
    Codec(#[from] CodecError),
    /// An app specification was refused.
    #[error("app: {0}")]
    App(#[from] AppError),
    /// A confirm could not be attested.
    #[error("attestation: {0}")]
    Attestation(#[from] AttestationError),
    /// A node named by the fixture is not in the registry.
    #[error("node of operator #{0} is not registered")]
    UnknownNode(usize),
    /// The seed block of a confirm is not in the recent blocks.
    #[error("no recent block at height {0}")]
    NoRecentBlock(u64),
    /// Value was created or lost: balances plus pools differ from the supply.
    #[error("conservation broken at height {height}: held {held}, supply {supply}")]
    Conservation {
        /// The height after which it broke.
        height: u64,
        /// Balances plus pools.
        held: Amount,
        /// The ledger's supply.
        supply: Amount,
    },
    /// The sum of balances overflowed.
    #[error("balances overflow")]
    Overflow,
    /// A generator needs at least one funded key.
    #[error("no funded key to send from")]
    NoFundedKey,
}
