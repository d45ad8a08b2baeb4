//! Equivocation evidence: two conflicting messages signed by one validator.
//!
//! An honest validator signs at most one vote per (height, round, kind) and, as the round's
//! proposer, at most one proposal per (height, round) (the machine never signs a second one;
//! the host persists where it stands before a signed message leaves, see
//! [`Input::Resume`](super::machine::Input::Resume)). So two different signed votes, or two
//! proposals of different values, for the same slot prove misbehaviour by themselves: whoever
//! holds them can show them to the chain (`TxKind::Evidence`) and the offender's collateral is
//! slashed. Whether the signer was the slot's committee member or proposer does not matter for
//! the proof: an honest node signs neither pair in any role.
//!
//! The pair is kept in canonical order (`first < second` in the derived order of the signed
//! messages), so the same equivocation gives the same evidence, and the same encoding,
//! whatever order its two halves arrived in.

use flux_core::ChainId;
use flux_core::crypto::PublicKey;
use flux_nodes::NodeId;
use serde::{Deserialize, Serialize};

use super::error::ConsensusError;
use super::types::{Height, Round, SignedProposal, SignedVote};

/// Proof that a validator signed two conflicting messages for one consensus slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Evidence {
    /// Two different votes of one validator for the same (height, round, kind).
    Votes {
        /// The smaller of the two votes.
        first: SignedVote,
        /// The larger of the two votes.
        second: SignedVote,
    },
    /// Two proposals of different values by one proposer for the same (height, round).
    Proposals {
        /// The smaller of the two proposals.
        first: SignedProposal,
        /// The larger of the two proposals.
        second: SignedProposal,
    },
}

/// `(a, b)` in canonical order.
fn ordered<T: Ord>(a: T, b: T) -> (T, T) {
    if a <= b { (a, b) } else { (b, a) }
}

impl Evidence {
    /// Evidence from two conflicting votes, in canonical order; `None` unless they are two
    /// different votes of one validator for the same (height, round, kind).
    pub fn new(a: SignedVote, b: SignedVote) -> Option<Evidence> {
        let (x, y) = (&a.vote, &b.vote);
        let conflicting = x.validator == y.validator
            && x.height == y.height
            && x.round == y.round
            && x.kind == y.kind
            && x.value != y.value;
        conflicting.then(|| {
            let (first, second) = ordered(a, b);
            Evidence::Votes { first, second }
        })
    }

    /// Evidence from two conflicting proposals, in canonical order; `None` unless they are two
    /// proposals of one proposer for the same (height, round) with different values.
    pub fn from_proposals(a: SignedProposal, b: SignedProposal) -> Option<Evidence> {
        let (x, y) = (&a.proposal, &b.proposal);
        let conflicting = x.proposer == y.proposer
            && x.height == y.height
            && x.round == y.round
            && x.value != y.value;
        conflicting.then(|| {
            let (first, second) = ordered(a, b);
            Evidence::Proposals { first, second }
        })
    }

    /// The offender.
    pub fn validator(&self) -> NodeId {
        match self {
            Evidence::Votes { first, .. } => first.vote.validator,
            Evidence::Proposals { first, .. } => first.proposal.proposer,
        }
    }

    /// The consensus height of the offence (slashing is once per offender and height).
    pub fn height(&self) -> Height {
        match self {
            Evidence::Votes { first, .. } => first.vote.height,
            Evidence::Proposals { first, .. } => first.proposal.height,
        }
    }

    /// The round of the offence.
    pub fn round(&self) -> Round {
        match self {
            Evidence::Votes { first, .. } => first.vote.round,
            Evidence::Proposals { first, .. } => first.proposal.round,
        }
    }

    /// Whether a block at `height` may carry this evidence: the offence is below `height` and
    /// at most `max_age` (`consensus.evidence_max_age`) blocks older.
    pub fn check_age(&self, height: Height, max_age: u64) -> Result<(), ConsensusError> {
        let offence = self.height();
        if offence >= height {
            return Err(ConsensusError::FutureEvidence { offence, height });
        }
        if height - offence > max_age {
            return Err(ConsensusError::StaleEvidence {
                offence,
                height,
                max_age,
            });
        }
        Ok(())
    }

    /// Checks that the two messages conflict (as [`Evidence::new`] or
    /// [`Evidence::from_proposals`] would pair them, canonical order included) and both carry
    /// `key`'s valid signature.
    pub fn verify(&self, key: &PublicKey, chain_id: ChainId) -> Result<(), ConsensusError> {
        match *self {
            Evidence::Votes { first, second } => {
                if Evidence::new(first, second) != Some(*self) {
                    return Err(ConsensusError::NotEvidence);
                }
                first.verify(key, chain_id)?;
                second.verify(key, chain_id)
            }
            Evidence::Proposals { first, second } => {
                if Evidence::from_proposals(first, second) != Some(*self) {
                    return Err(ConsensusError::NotEvidence);
                }
                first.verify(key, chain_id)?;
                second.verify(key, chain_id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::BlockId;
    use crate::consensus::types::{Proposal, Vote, VoteKind};
    use flux_core::Hash;
    use flux_core::crypto::{Scheme, SecretKey};

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

    fn proposal(value: u8, pol_round: Option<Round>) -> Proposal {
        Proposal {
            height: 3,
            round: 1,
            value: BlockId(Hash::digest(&[value])),
            pol_round,
            proposer: NodeId::of(&key(1).public_key()),
        }
    }

    #[test]
    fn vote_evidence_is_canonical() {
        let k = key(1);
        let a = vote(1).sign(&k, ChainId::DEVNET).unwrap();
        let b = vote(0).sign(&k, ChainId::DEVNET).unwrap();
        let e = Evidence::new(a, b).unwrap();
        assert_eq!(Evidence::new(b, a), Some(e));
        assert!(e.verify(&k.public_key(), ChainId::DEVNET).is_ok());
        assert_eq!((e.height(), e.round()), (3, 1));
        assert!(e.check_age(4, 1).is_ok() && e.check_age(13, 10).is_ok());
        assert!(matches!(
            e.check_age(14, 10),
            Err(ConsensusError::StaleEvidence { .. })
        ));
        assert!(matches!(
            e.check_age(3, 10),
            Err(ConsensusError::FutureEvidence { .. })
        ));
        assert_eq!(Evidence::new(a, a), None);
    }

    #[test]
    fn proposal_evidence_needs_one_slot_two_values_and_the_proposers_signatures() {
        let k = key(1);
        let a = proposal(1, None).sign(&k, ChainId::DEVNET).unwrap();
        let b = proposal(2, Some(0)).sign(&k, ChainId::DEVNET).unwrap();
        let e = Evidence::from_proposals(a, b).unwrap();
        assert_eq!(Evidence::from_proposals(b, a), Some(e));
        assert_eq!(e.validator(), NodeId::of(&k.public_key()));
        assert!(e.verify(&k.public_key(), ChainId::DEVNET).is_ok());
        assert!(e.verify(&key(2).public_key(), ChainId::DEVNET).is_err());
        // The same value (even with another valid round), another round, another proposer:
        // no conflict.
        let same = proposal(1, Some(0)).sign(&k, ChainId::DEVNET).unwrap();
        assert_eq!(Evidence::from_proposals(a, same), None);
        let mut later = proposal(2, None);
        later.round = 2;
        let later = later.sign(&k, ChainId::DEVNET).unwrap();
        assert_eq!(Evidence::from_proposals(a, later), None);
        let mut other = proposal(2, None);
        other.proposer = NodeId::of(&key(2).public_key());
        let other = other.sign(&key(2), ChainId::DEVNET).unwrap();
        assert_eq!(Evidence::from_proposals(a, other), None);
        // Out of canonical order: not evidence.
        let (first, second) = ordered(a, b);
        let swapped = Evidence::Proposals {
            first: second,
            second: first,
        };
        assert!(matches!(
            swapped.verify(&k.public_key(), ChainId::DEVNET),
            Err(ConsensusError::NotEvidence)
        ));
        // A vote signature does not stand in for a proposal's.
        let v = vote(1).sign(&k, ChainId::DEVNET).unwrap();
        let forged = Evidence::Proposals {
            first,
            second: SignedProposal {
                signature: v.signature,
                ..second
            },
        };
        assert!(forged.verify(&k.public_key(), ChainId::DEVNET).is_err());
    }
}
