//! What nodes gossip to each other, as canonical-codec bytes, and the items of block sync.
//!
//! Wire types only: this module depends on no protocol component (the host's components
//! depend on it), so the host and its messages form no cycle.

use flux_chain::block::Block;
use flux_chain::codec;
use flux_chain::consensus::{CommitCertificate, SignedProposal, SignedVote};
use flux_chain::parallel::{Statement, SwapSignature};
use flux_chain::tx::Transaction;
use flux_core::error::CodecError;
use flux_core::tier::Hardware;
use flux_nodes::NodeId;
use flux_nodes::attestation::Attestation;
use flux_nodes::bench::CpuProof;
use serde::{Deserialize, Serialize};

/// Largest message a node decodes, bytes; anything longer is rejected unread. The chain's one
/// figure ([`flux_core::params::MAX_GOSSIP_MESSAGE_BYTES`]), against which the block byte cap
/// is checked, so a block at the cap always fits.
pub const MAX_MESSAGE_BYTES: u64 = flux_core::params::MAX_GOSSIP_MESSAGE_BYTES;

/// One gossiped message.
#[allow(clippy::large_enum_variant)] // decoded once and consumed at once; boxing buys nothing
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// A signed proposal with the block it proposes.
    Proposal {
        /// The proposal (its value is `block`'s id).
        proposal: SignedProposal,
        /// The block.
        block: Block,
    },
    /// A signed prevote or precommit.
    Vote(SignedVote),
    /// Transactions for the mempools.
    Txs(Vec<Transaction>),
    /// Peer attestations of liveness: keep-alives and hosting.
    Attest(Attest),
    /// Swap attestations.
    Swap(SwapMessage),
}

/// What nodes gossip about swap attestations (the swap component of the host collects them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SwapMessage {
    /// A member's signature of a statement, for the committee of `epoch`.
    Signed {
        /// What is signed.
        statement: Statement,
        /// The epoch of the signer's committee.
        epoch: u64,
        /// The member.
        signer: NodeId,
        /// Its signature.
        signature: SwapSignature,
    },
    /// Asks the members to sign (or sign again) a statement: a swap out of the chain, or a
    /// burn they can check on its chain.
    Want(Statement),
}

/// What a liveness attestation is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AttestKind {
    /// A keep-alive confirm (signed as a benchmark statement).
    KeepAlive,
    /// A hosting report (signed as a hosting statement).
    Hosting,
}

/// The messages of liveness attestations (the liveness component of the host sends and
/// answers them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attest {
    /// A node asks its verifiers to attest its keep-alive benchmark: its answer to the
    /// challenge the seed block derives for it, with the figures it claims.
    Request(AttestRequest),
    /// A hosting node asks its verifiers to attest it answered for the seed block in time.
    Hosting {
        /// The node.
        node: NodeId,
        /// The height of the seed block.
        seed_height: u64,
    },
    /// A verifier's signature of what a request claims.
    Signed {
        /// Which request.
        kind: AttestKind,
        /// The node attested.
        subject: NodeId,
        /// The height of the seed block.
        seed_height: u64,
        /// The signature.
        attestation: Attestation,
    },
}

/// A keep-alive benchmark, offered for attestation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestRequest {
    /// The node.
    pub subject: NodeId,
    /// The height of the seed block (its id seeds the challenge).
    pub seed_height: u64,
    /// The hardware it claims (what its last confirm attested).
    pub hardware: Hardware,
    /// The CPU score it claims.
    pub cpu_score: u64,
    /// Its answer to the challenge.
    pub proof: CpuProof,
}

impl Message {
    /// The canonical encoding.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CodecError> {
        codec::encode(self)
    }

    /// Decodes untrusted bytes (bounded by [`MAX_MESSAGE_BYTES`], trailing bytes rejected).
    pub fn from_bytes(bytes: &[u8]) -> Result<Message, CodecError> {
        codec::decode_with_limit(bytes, MAX_MESSAGE_BYTES)
    }
}

/// One item of a block-sync answer: a decided block and the certificate that commits it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    /// The block.
    pub block: Block,
    /// Its commit certificate.
    pub commit: CommitCertificate,
}

impl Decided {
    /// The canonical encoding.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CodecError> {
        codec::encode(self)
    }

    /// Decodes untrusted bytes (bounded by [`MAX_MESSAGE_BYTES`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Decided, CodecError> {
        codec::decode_with_limit(bytes, MAX_MESSAGE_BYTES)
    }
}
