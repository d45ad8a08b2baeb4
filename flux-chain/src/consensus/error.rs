//! Typed errors of the consensus core: each variant is one rule a vote, proposal, committee or
//! commit certificate can break.

use flux_core::error::{AmountError, CodecError, SignatureError};
use flux_nodes::NodeId;
use thiserror::Error;

use super::types::{Height, Round};

/// Why a consensus message, committee or certificate was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConsensusError {
    /// Encoding or decoding failed.
    #[error("codec: {0}")]
    Codec(#[from] CodecError),
    /// A tier's vote weight could not be computed.
    #[error("vote weight: {0}")]
    Amount(#[from] AmountError),
    /// A signature does not verify.
    #[error("bad signature from {validator}: {source}")]
    BadSignature {
        /// The claimed signer.
        validator: NodeId,
        /// Why it failed.
        source: SignatureError,
    },
    /// The machine has no height yet (no `NewHeight` input so far).
    #[error("no height started")]
    NotStarted,
    /// A message for another height than the one being decided. A host buffers messages of
    /// the next heights (`found > expected`) and drops older ones.
    #[error("message for height {found}, deciding height {expected}")]
    WrongHeight {
        /// The current height.
        expected: Height,
        /// The message's height.
        found: Height,
    },
    /// The signer is not in this height's committee.
    #[error("{validator} is not a committee member")]
    NotMember {
        /// The signer.
        validator: NodeId,
    },
    /// A proposal signed by someone other than the round's proposer.
    #[error("{found} is not the proposer of round {round}, {expected} is")]
    NotProposer {
        /// The round.
        round: Round,
        /// The round's proposer.
        expected: NodeId,
        /// The proposal's signer.
        found: NodeId,
    },
    /// A proposal for a round beyond the window above the validator's round
    /// ([`ROUND_WINDOW`](super::rounds::ROUND_WINDOW)); not stored.
    #[error("proposal of round {round} is beyond the window of round {current}")]
    RoundBeyondWindow {
        /// The proposal's round.
        round: Round,
        /// The validator's round.
        current: Round,
    },
    /// A proposal whose proof-of-lock round is not below its round.
    #[error("proposal of round {round} claims valid round {pol_round}")]
    BadPolRound {
        /// The proposal's round.
        round: Round,
        /// Its claimed valid round.
        pol_round: Round,
    },
    /// Two messages that are not a conflicting pair: two different votes of one validator for
    /// one (height, round, kind), or two proposals of different values by one proposer for one
    /// (height, round), in canonical order.
    #[error("not two conflicting votes or proposals of one validator for one slot")]
    NotEvidence,
    /// Evidence of an offence older than `consensus.evidence_max_age` blocks.
    #[error(
        "evidence of height {offence} is too old at height {height} (at most {max_age} blocks)"
    )]
    StaleEvidence {
        /// The height of the offence.
        offence: Height,
        /// The height of the block carrying the evidence.
        height: Height,
        /// `consensus.evidence_max_age`.
        max_age: u64,
    },
    /// Evidence of an offence at or above the height of the block carrying it.
    #[error("evidence of height {offence} in the block of height {height}")]
    FutureEvidence {
        /// The height of the offence.
        offence: Height,
        /// The height of the block carrying the evidence.
        height: Height,
    },
    /// A commit certificate that does not commit the block it came with.
    #[error("the commit certificate does not commit this block at height {height}")]
    CertificateMismatch {
        /// The block's height.
        height: u64,
    },
    /// A committee with no members (or no weight).
    #[error("empty committee")]
    EmptyCommittee,
    /// A committee member with zero weight.
    #[error("committee member {validator} has zero weight")]
    ZeroWeight {
        /// The member.
        validator: NodeId,
    },
    /// Committee members not in strictly increasing id order (or listed twice).
    #[error("committee members are not sorted by id without duplicates")]
    UnsortedCommittee,
    /// A member's id is not the id of its key.
    #[error("member {validator} does not match its operator key")]
    MemberKeyMismatch {
        /// The listed id.
        validator: NodeId,
    },
    /// The total weight overflows 64 bits.
    #[error("committee weight overflows")]
    WeightOverflow,
    /// A commit certificate's signers are not in strictly increasing id order (or repeat).
    #[error("certificate signers are not sorted by id without duplicates")]
    UnsortedCertificate,
    /// A commit certificate signed by too little weight.
    #[error("certificate signed by weight {signed} of {total}, more than the threshold is needed")]
    InsufficientWeight {
        /// Weight of the signers.
        signed: u64,
        /// The committee's total weight.
        total: u64,
    },
}
