//! What validators send each other, as canonical-codec bytes.

use flux_chain::block::Block;
use flux_chain::codec;
use flux_chain::consensus::{CommitCertificate, Height, SignedProposal, SignedVote};
use flux_core::error::CodecError;
use serde::{Deserialize, Serialize};

/// Largest message a validator decodes, bytes; anything longer is rejected unread.
pub const MAX_MESSAGE_BYTES: u64 = 4 * 1024 * 1024;

/// One message between validators.
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
    /// "Send me the decided blocks from `from_height` on" (a lagging or restarted validator).
    SyncRequest {
        /// The first height wanted.
        from_height: Height,
    },
    /// A decided block with the certificate that commits it (an answer to a sync request).
    Decided {
        /// The block.
        block: Block,
        /// Its commit certificate.
        commit: CommitCertificate,
    },
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
