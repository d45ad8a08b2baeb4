//! Votes and proposals, and the signatures over them.
//!
//! A vote or proposal is signed by the validator's Ed25519 operator key over its canonical
//! encoding ([`flux_core::codec`]) in [`Domain::VOTE`] or [`Domain::PROPOSAL`] with the chain
//! id, so a signature can not be replayed as another kind of message or on another chain.
//! Two conflicting signed messages of one validator are [`Evidence`] (its own module).

use flux_core::ChainId;
use flux_core::codec;
use flux_core::crypto::{BatchItem, Domain, PublicKey, SecretKey, Signature};
use flux_nodes::NodeId;
use serde::{Deserialize, Serialize};

use super::error::ConsensusError;
pub use super::evidence::Evidence;
use crate::block::BlockId;

/// A block height.
pub type Height = u64;

/// A round within a height (0, 1, ...).
pub type Round = u32;

/// The two kinds of vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum VoteKind {
    /// First-stage vote ("this proposal is acceptable").
    Prevote,
    /// Second-stage vote ("+2/3 prevoted this value; commit it").
    Precommit,
}

/// A vote of one validator for a value (or nil) at (height, round).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Vote {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// Prevote or precommit.
    pub kind: VoteKind,
    /// The block voted for; `None` is a nil vote.
    pub value: Option<BlockId>,
    /// The voter.
    pub validator: NodeId,
}

impl Vote {
    /// The bytes a signature covers (before domain and chain-id framing).
    pub fn signing_bytes(&self) -> Result<Vec<u8>, ConsensusError> {
        Ok(codec::encode(self)?)
    }

    /// Signs the vote with `key` for `chain_id`.
    pub fn sign(self, key: &SecretKey, chain_id: ChainId) -> Result<SignedVote, ConsensusError> {
        let signature = key.sign(Domain::VOTE, chain_id, &self.signing_bytes()?);
        Ok(SignedVote {
            vote: self,
            signature,
        })
    }
}

/// A vote with its signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SignedVote {
    /// The vote.
    pub vote: Vote,
    /// The voter's signature over it in [`Domain::VOTE`].
    pub signature: Signature,
}

impl SignedVote {
    /// Checks the signature against the voter's key `key`.
    pub fn verify(&self, key: &PublicKey, chain_id: ChainId) -> Result<(), ConsensusError> {
        key.verify(
            Domain::VOTE,
            chain_id,
            &self.vote.signing_bytes()?,
            &self.signature,
        )
        .map_err(|source| ConsensusError::BadSignature {
            validator: self.vote.validator,
            source,
        })
    }

    /// A batch item for [`flux_core::crypto::verify_batch`]; `message` must hold
    /// `self.vote.signing_bytes()`.
    pub fn batch_item<'a>(
        &'a self,
        key: &'a PublicKey,
        chain_id: ChainId,
        message: &'a [u8],
    ) -> BatchItem<'a> {
        BatchItem {
            domain: Domain::VOTE,
            chain_id,
            message,
            public_key: key,
            signature: &self.signature,
        }
    }
}

/// A proposal of a block at (height, round) by the round's proposer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Proposal {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The proposed block.
    pub value: BlockId,
    /// The paper's `validRound`: the round in which +2/3 prevoted this value, if any (must be
    /// below `round`).
    pub pol_round: Option<Round>,
    /// The proposer.
    pub proposer: NodeId,
}

impl Proposal {
    /// The bytes a signature covers (before domain and chain-id framing).
    pub fn signing_bytes(&self) -> Result<Vec<u8>, ConsensusError> {
        Ok(codec::encode(self)?)
    }

    /// Signs the proposal with `key` for `chain_id`.
    pub fn sign(
        self,
        key: &SecretKey,
        chain_id: ChainId,
    ) -> Result<SignedProposal, ConsensusError> {
        let signature = key.sign(Domain::PROPOSAL, chain_id, &self.signing_bytes()?);
        Ok(SignedProposal {
            proposal: self,
            signature,
        })
    }
}

/// A proposal with its signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SignedProposal {
    /// The proposal.
    pub proposal: Proposal,
    /// The proposer's signature over it in [`Domain::PROPOSAL`].
    pub signature: Signature,
}

impl SignedProposal {
    /// Checks the signature against the proposer's key `key`.
    pub fn verify(&self, key: &PublicKey, chain_id: ChainId) -> Result<(), ConsensusError> {
        key.verify(
            Domain::PROPOSAL,
            chain_id,
            &self.proposal.signing_bytes()?,
            &self.signature,
        )
        .map_err(|source| ConsensusError::BadSignature {
            validator: self.proposal.proposer,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::Hash;
    use flux_core::crypto::Scheme;

    fn key(i: u8) -> SecretKey {
        SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).unwrap()
    }

    fn vote(value: u8) -> Vote {
        Vote {
            height: 3,
            round: 1,
            kind: VoteKind::Prevote,
            value: (value > 0).then(|| BlockId(Hash::digest(&[value]))),
            validator: NodeId::of(&key(1).public_key()),
        }
    }

    #[test]
    fn votes_verify_only_in_their_domain_and_chain() {
        let k = key(1);
        let v = vote(1).sign(&k, ChainId::DEVNET).unwrap();
        assert!(v.verify(&k.public_key(), ChainId::DEVNET).is_ok());
        assert!(v.verify(&k.public_key(), ChainId(99)).is_err());
        assert!(v.verify(&key(2).public_key(), ChainId::DEVNET).is_err());
        let p = Proposal {
            height: 3,
            round: 1,
            value: BlockId(Hash::digest(b"b")),
            pol_round: None,
            proposer: v.vote.validator,
        }
        .sign(&k, ChainId::DEVNET)
        .unwrap();
        assert!(p.verify(&k.public_key(), ChainId::DEVNET).is_ok());
        // A vote signature is no proposal signature.
        let forged = SignedProposal {
            proposal: p.proposal,
            signature: v.signature,
        };
        assert!(forged.verify(&k.public_key(), ChainId::DEVNET).is_err());
    }
}
