//! Commit certificates: the precommit signatures that make a block final.
//!
//! A certificate for `(height, round, value)` lists `(validator, signature)` pairs sorted by
//! validator id, each a signature over the precommit
//! `Vote { height, round, kind: Precommit, value: Some(value), validator }` in
//! [`Domain::VOTE`](flux_core::crypto::Domain::VOTE). It is valid for a committee when the
//! signers are distinct members holding strictly more than the commit threshold of the weight
//! and every signature verifies (checked in one batch). Anyone holding the committee can check
//! it: light clients, block sync, the next block's header.
//!
//! The encoding is the canonical codec's; [`CommitCertificate::from_bytes`] also rejects
//! unsorted or repeated signers, so one certificate has one encoding.
//!
//! ```
//! use flux_chain::block::BlockId;
//! use flux_chain::consensus::certificate::CommitCertificate;
//! use flux_chain::consensus::committee::{Committee, Member};
//! use flux_chain::consensus::types::{Vote, VoteKind};
//! use flux_core::crypto::{Scheme, SecretKey};
//! use flux_core::{ChainId, Hash, params::Ratio};
//! use flux_nodes::NodeId;
//!
//! let keys: Vec<SecretKey> = (1..=4u8).map(|i| SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).unwrap()).collect();
//! let mut members: Vec<Member> = keys.iter().map(|k| Member { id: NodeId::of(&k.public_key()), key: k.public_key(), weight: 1 }).collect();
//! members.sort_by_key(|m| m.id);
//! let committee = Committee::new(members, Ratio::new(2, 3))?;
//! let value = BlockId(Hash::digest(b"block"));
//! let mut precommits: Vec<_> = keys[..3].iter().map(|k| {
//!     let validator = NodeId::of(&k.public_key());
//!     let vote = Vote { height: 5, round: 0, kind: VoteKind::Precommit, value: Some(value), validator };
//!     (validator, vote.sign(k, ChainId::DEVNET).unwrap().signature)
//! }).collect();
//! precommits.sort_by_key(|(id, _)| *id);
//! let cert = CommitCertificate { height: 5, round: 0, value, precommits };
//! cert.verify(&committee, ChainId::DEVNET)?;
//! assert_eq!(CommitCertificate::from_bytes(&cert.to_bytes()?)?, cert);
//! # Ok::<(), flux_chain::consensus::ConsensusError>(())
//! ```

use flux_core::crypto::{Signature, verify_batch};
use flux_core::{ChainId, codec};
use flux_nodes::NodeId;
use serde::{Deserialize, Serialize};

use super::committee::Committee;
use super::error::ConsensusError;
use super::types::{Height, Round, SignedVote, Vote, VoteKind};
use crate::block::{BlockId, MAX_CONSENSUS_DATA};

/// The precommits that committed `value` at `(height, round)`. See the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitCertificate {
    /// The height.
    pub height: Height,
    /// The round in which the block was committed.
    pub round: Round,
    /// The committed block.
    pub value: BlockId,
    /// Precommit signatures, sorted by validator id, no validator twice.
    pub precommits: Vec<(NodeId, Signature)>,
}

impl CommitCertificate {
    /// The precommit vote `validator` signed.
    pub fn vote_of(&self, validator: NodeId) -> Vote {
        Vote {
            height: self.height,
            round: self.round,
            kind: VoteKind::Precommit,
            value: Some(self.value),
            validator,
        }
    }

    /// Checks the certificate against `committee` for `chain_id`: signers sorted and distinct,
    /// all members, more than the commit threshold of the weight, every signature valid.
    pub fn verify(&self, committee: &Committee, chain_id: ChainId) -> Result<(), ConsensusError> {
        self.check_sorted()?;
        let mut weight = 0u64;
        let mut keys = Vec::with_capacity(self.precommits.len());
        let mut votes = Vec::with_capacity(self.precommits.len());
        for (id, signature) in &self.precommits {
            let member = committee
                .get(id)
                .ok_or(ConsensusError::NotMember { validator: *id })?;
            weight = weight.saturating_add(member.weight);
            keys.push(member.key);
            votes.push(SignedVote {
                vote: self.vote_of(*id),
                signature: *signature,
            });
        }
        if !committee.is_quorum(weight) {
            return Err(ConsensusError::InsufficientWeight {
                signed: weight,
                total: committee.total_weight(),
            });
        }
        let messages = votes
            .iter()
            .map(|sv| sv.vote.signing_bytes())
            .collect::<Result<Vec<_>, _>>()?;
        let items: Vec<_> = votes
            .iter()
            .zip(&keys)
            .zip(&messages)
            .map(|((sv, key), msg)| sv.batch_item(key, chain_id, msg))
            .collect();
        verify_batch(&items).map_err(|source| {
            let validator = match &source {
                flux_core::error::SignatureError::BatchItem { index, .. } => self
                    .precommits
                    .get(*index)
                    .map(|(id, _)| *id)
                    .unwrap_or_default(),
                _ => NodeId::default(),
            };
            ConsensusError::BadSignature { validator, source }
        })
    }

    fn check_sorted(&self) -> Result<(), ConsensusError> {
        if self.precommits.windows(2).all(|w| w[0].0 < w[1].0) {
            Ok(())
        } else {
            Err(ConsensusError::UnsortedCertificate)
        }
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ConsensusError> {
        Ok(codec::encode(self)?)
    }

    /// Decodes a certificate (at most [`MAX_CONSENSUS_DATA`] bytes), rejecting unsorted or
    /// repeated signers so that the encoding is canonical. Signatures are not checked here.
    pub fn from_bytes(bytes: &[u8]) -> Result<CommitCertificate, ConsensusError> {
        let cert: CommitCertificate = codec::decode_with_limit(bytes, MAX_CONSENSUS_DATA as u64)?;
        cert.check_sorted()?;
        Ok(cert)
    }
}
