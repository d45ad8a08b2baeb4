//! Why a swap or an attestation was refused: one variant per rule.

use flux_core::Amount;
use flux_core::error::{CodecError, ParallelError, SignatureError};
use flux_core::parallel::ExternalChain;
use flux_nodes::node::NodeId;
use thiserror::Error;

/// A broken parallel-asset rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SwapError {
    /// A swap of zero.
    #[error("a swap moves a positive amount")]
    ZeroAmount,
    /// A destination the chain's rules refuse (length, prefix).
    #[error(transparent)]
    Destination(#[from] ParallelError),
    /// A burn reference that is empty or too long.
    #[error("burn reference of {len} bytes, expected 1..={max}")]
    BadReference {
        /// Length found.
        len: usize,
        /// Longest allowed.
        max: usize,
    },
    /// A burn reference already released by an earlier swap in.
    #[error("burn reference on {chain} already used")]
    ReferenceUsed {
        /// The chain of the burn.
        chain: ExternalChain,
    },
    /// A swap in of more than the chain's locked FLUX.
    #[error("swap in of {amount} on {chain}, only {locked} locked")]
    InsufficientLocked {
        /// The chain.
        chain: ExternalChain,
        /// Asked.
        amount: Amount,
        /// Locked for that chain.
        locked: Amount,
    },
    /// No committee has been drawn yet (no confirmed node).
    #[error("no attesting committee")]
    NoCommittee,
    /// An attestation by the committee of another epoch.
    #[error("attestation of epoch {found}, the committee is of epoch {expected}")]
    StaleCommittee {
        /// The epoch whose committee must sign.
        expected: u64,
        /// The attestation's epoch.
        found: u64,
    },
    /// More signatures than the committee can have.
    #[error("{count} signatures, at most {max}")]
    TooManySignatures {
        /// Signatures found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Signers not in strictly increasing id order (so none signs twice).
    #[error("signers not distinct and sorted by node id")]
    UnsortedSigners,
    /// A signer outside the committee.
    #[error("node {0} is not in the committee")]
    NotMember(NodeId),
    /// A member without a registered secp256k1 swap key signed an EVM attestation.
    #[error("node {0} has no swap key")]
    NoSwapKey(NodeId),
    /// A signature of the wrong kind for the chain's scheme.
    #[error("signature scheme does not match {chain}")]
    WrongScheme {
        /// The chain.
        chain: ExternalChain,
    },
    /// A signature that does not verify.
    #[error("bad signature by {node}: {source}")]
    BadSignature {
        /// The signer.
        node: NodeId,
        /// Why.
        source: SignatureError,
    },
    /// An EVM signature that recovers another address than the member's swap key.
    #[error("EVM signature by {0} recovers another address")]
    WrongSigner(NodeId),
    /// Signers holding at most the threshold of the committee's weight.
    #[error("attested by weight {weight} of {total}: needs more than {num}/{den}")]
    InsufficientWeight {
        /// Weight of valid signers.
        weight: u64,
        /// The committee's total weight.
        total: u64,
        /// Threshold numerator.
        num: u64,
        /// Threshold denominator.
        den: u64,
    },
    /// A swap key that is not a valid secp256k1 key.
    #[error("a swap key must be a valid secp256k1 key")]
    BadSwapKey,
    /// A statement that could not be encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// A book would overflow or go negative.
    #[error("books of {0} out of range")]
    Books(ExternalChain),
}
