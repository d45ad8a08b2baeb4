//! The vote keeper of one height: checks votes, counts weight, detects equivocation.
//!
//! Per round and per kind it keeps the first vote of each validator and the weight behind each
//! value (nil included), and per round the weight of the distinct validators that voted at
//! all, which answers the three questions of the algorithm: "+2/3 for a value" (`2f + 1` for
//! `id(v)`), "+2/3 for anything" (`2f + 1 ⟨*⟩`), and "+1/3 in a higher round" (`f + 1`, round
//! skipping). A vote is accepted only if it is for this height, from a committee member and
//! correctly signed; a second copy of a vote is a no-op; a *different* vote of the same
//! validator for the same (round, kind) yields [`Evidence`].
//!
//! Rounds: votes are stored in full only for rounds up to the owner's round plus
//! [`ROUND_WINDOW`]; beyond it the keeper holds each member's highest round and latest vote
//! per kind only, which is enough for round skipping (L55). See [`super::rounds`].
//!
//! An equivocating validator's votes count for each value it signed (up to
//! [`MAX_VALUES_PER_VOTER`] values per round and kind; further ones only yield evidence), and
//! once in the "any" weight. This is the paper's counting: a byzantine process may send
//! different messages to different processes, and a process that received both may use
//! either. Counting only the first would let an equivocator hide a quorum from a validator
//! that received its votes in the "wrong" order, and leave it behind (a liveness bug the
//! harness in `tests/consensus.rs` found); safety does not depend on it.
//!
//! ```
//! use flux_chain::block::BlockId;
//! use flux_chain::consensus::committee::{Committee, Member};
//! use flux_chain::consensus::types::{Vote, VoteKind};
//! use flux_chain::consensus::votes::{AddOutcome, VoteKeeper};
//! use flux_core::crypto::{Scheme, SecretKey};
//! use flux_core::{ChainId, Hash, params::Ratio};
//! use flux_nodes::NodeId;
//!
//! let keys: Vec<SecretKey> = (1..=4u8).map(|i| SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).unwrap()).collect();
//! let mut members: Vec<Member> = keys.iter().map(|k| Member { id: NodeId::of(&k.public_key()), key: k.public_key(), weight: 1 }).collect();
//! members.sort_by_key(|m| m.id);
//! let mut keeper = VoteKeeper::new(7, Committee::new(members, Ratio::new(2, 3))?, ChainId::DEVNET);
//! let block = Some(BlockId(Hash::digest(b"block")));
//! for k in &keys[..3] {
//!     let vote = Vote { height: 7, round: 0, kind: VoteKind::Prevote, value: block, validator: NodeId::of(&k.public_key()) };
//!     assert_eq!(keeper.add(vote.sign(k, ChainId::DEVNET)?)?, AddOutcome::Added);
//! }
//! assert!(keeper.has_quorum_for(0, VoteKind::Prevote, block)); // 3 of 4 > 2/3
//! # Ok::<(), flux_chain::consensus::ConsensusError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use flux_core::ChainId;
use flux_core::crypto::{Signature, verify_batch};
use flux_nodes::NodeId;

use super::committee::Committee;
use super::error::ConsensusError;
use super::rounds::{Ahead, AheadCheck, Held, ROUND_WINDOW, in_window};
use super::types::{Evidence, Height, Round, SignedVote, VoteKind};
use crate::block::BlockId;

/// What adding a vote did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddOutcome {
    /// A new vote, now counted.
    Added,
    /// The same vote was already counted; nothing changed.
    Duplicate,
    /// The validator had already voted differently in this (round, kind): here is the proof.
    /// The new vote counts for its value unless the validator already has
    /// [`MAX_VALUES_PER_VOTER`] values.
    Equivocation(Box<Evidence>),
    /// A vote beyond the round window ([`ROUND_WINDOW`] above the owner's round): held as its
    /// validator's latest vote of that kind, counted for round skipping now and in full once
    /// the window reaches its round.
    Ahead,
    /// A vote beyond the round window older than the one held for its validator and kind:
    /// nothing kept.
    Ignored,
}

/// Most distinct values one validator's votes count for in one (round, kind).
pub const MAX_VALUES_PER_VOTER: usize = 2;

/// The votes of one kind in one round.
#[derive(Clone, Debug, Default)]
struct VoteSet {
    /// One vote per (validator, value).
    votes: BTreeMap<(NodeId, Option<BlockId>), SignedVote>,
    tally: BTreeMap<Option<BlockId>, u64>,
    voters: BTreeSet<NodeId>,
    weight: u64,
}

impl VoteSet {
    /// The votes of `validator`, by value.
    fn of(&self, validator: NodeId) -> impl Iterator<Item = &SignedVote> + '_ {
        self.votes
            .range((validator, None)..)
            .take_while(move |((id, _), _)| *id == validator)
            .map(|(_, sv)| sv)
    }
}

/// Both kinds of one round.
#[derive(Clone, Debug, Default)]
struct RoundVotes {
    prevotes: VoteSet,
    precommits: VoteSet,
}

impl RoundVotes {
    fn set(&self, kind: VoteKind) -> &VoteSet {
        match kind {
            VoteKind::Prevote => &self.prevotes,
            VoteKind::Precommit => &self.precommits,
        }
    }

    fn set_mut(&mut self, kind: VoteKind) -> &mut VoteSet {
        match kind {
            VoteKind::Prevote => &mut self.prevotes,
            VoteKind::Precommit => &mut self.precommits,
        }
    }
}

/// The votes of one height. See the module docs.
#[derive(Clone, Debug)]
pub struct VoteKeeper {
    height: Height,
    committee: Committee,
    chain_id: ChainId,
    /// The owner's round: votes are stored in full up to `round + ROUND_WINDOW`.
    round: Round,
    rounds: BTreeMap<Round, RoundVotes>,
    ahead: Ahead,
    evidence: BTreeSet<Evidence>,
}

/// A vote that passed the cheap checks, waiting for its signature check.
enum Precheck {
    Done(AddOutcome),
    Verify,
}

impl VoteKeeper {
    /// An empty keeper for `height`, counting votes of `committee` signed for `chain_id`.
    pub fn new(height: Height, committee: Committee, chain_id: ChainId) -> VoteKeeper {
        VoteKeeper {
            height,
            committee,
            chain_id,
            round: 0,
            rounds: BTreeMap::new(),
            ahead: Ahead::default(),
            evidence: BTreeSet::new(),
        }
    }

    /// The owner moved to `round` (only up: a lower round changes nothing). The votes held
    /// beyond the window that it now covers are counted.
    pub fn advance(&mut self, round: Round) {
        if round <= self.round {
            return;
        }
        self.round = round;
        for sv in self.ahead.release(round.saturating_add(ROUND_WINDOW)) {
            // Verified when held; the rounds they enter were beyond the window until now.
            let _ = self.insert(sv);
        }
    }

    /// The owner's round (the base of the window).
    pub fn round(&self) -> Round {
        self.round
    }

    /// The height.
    pub fn height(&self) -> Height {
        self.height
    }

    /// The committee.
    pub fn committee(&self) -> &Committee {
        &self.committee
    }

    /// Every piece of evidence found so far, in canonical order.
    pub fn evidence(&self) -> &BTreeSet<Evidence> {
        &self.evidence
    }

    /// How many rounds hold votes (a measure of the keeper's memory).
    pub fn stored_rounds(&self) -> usize {
        self.rounds.len()
    }

    /// How many votes are kept, all rounds and kinds, those held beyond the window included (a
    /// measure of the keeper's memory).
    pub fn stored_votes(&self) -> usize {
        self.rounds
            .values()
            .map(|r| r.prevotes.votes.len() + r.precommits.votes.len())
            .sum::<usize>()
            + self.ahead.len()
    }

    fn precheck(&self, sv: &SignedVote) -> Result<Precheck, ConsensusError> {
        let v = &sv.vote;
        if v.height != self.height {
            return Err(ConsensusError::WrongHeight {
                expected: self.height,
                found: v.height,
            });
        }
        if self.committee.get(&v.validator).is_none() {
            return Err(ConsensusError::NotMember {
                validator: v.validator,
            });
        }
        if !in_window(v.round, self.round) {
            return Ok(match self.ahead.check(sv) {
                AheadCheck::Stale => Precheck::Done(AddOutcome::Ignored),
                AheadCheck::Duplicate => Precheck::Done(AddOutcome::Duplicate),
                AheadCheck::New => Precheck::Verify,
            });
        }
        let known = self
            .rounds
            .get(&v.round)
            .is_some_and(|r| r.set(v.kind).votes.contains_key(&(v.validator, v.value)));
        // The same vote again (even with another valid signature) claims nothing new.
        Ok(if known {
            Precheck::Done(AddOutcome::Duplicate)
        } else {
            Precheck::Verify
        })
    }

    /// Records a vote whose signature is verified.
    fn insert(&mut self, sv: SignedVote) -> AddOutcome {
        let v = sv.vote;
        if !in_window(v.round, self.round) {
            return match self.ahead.hold(sv) {
                Held::Kept => AddOutcome::Ahead,
                Held::Stale => AddOutcome::Ignored,
                Held::Duplicate => AddOutcome::Duplicate,
                Held::Conflict(e) => {
                    self.evidence.insert(*e);
                    AddOutcome::Equivocation(e)
                }
            };
        }
        self.ahead.note(v.validator, v.round);
        let weight = self
            .committee
            .get(&v.validator)
            .map(|m| m.weight)
            .unwrap_or(0);
        let round = self.rounds.entry(v.round).or_default();
        let set = round.set_mut(v.kind);
        if set.votes.contains_key(&(v.validator, v.value)) {
            return AddOutcome::Duplicate;
        }
        let (earlier, count) = {
            let mut votes = set.of(v.validator);
            let first = votes.next().copied();
            (first, usize::from(first.is_some()) + votes.count())
        };
        let evidence = earlier.and_then(|old| Evidence::new(old, sv));
        if let Some(e) = evidence {
            self.evidence.insert(e);
            if count >= MAX_VALUES_PER_VOTER {
                return AddOutcome::Equivocation(Box::new(e));
            }
        }
        set.votes.insert((v.validator, v.value), sv);
        let t = set.tally.entry(v.value).or_insert(0);
        *t = t.saturating_add(weight);
        if set.voters.insert(v.validator) {
            set.weight = set.weight.saturating_add(weight);
        }
        match evidence {
            Some(e) => AddOutcome::Equivocation(Box::new(e)),
            None => AddOutcome::Added,
        }
    }

    /// Adds one vote, verifying its signature.
    pub fn add(&mut self, vote: SignedVote) -> Result<AddOutcome, ConsensusError> {
        match self.precheck(&vote)? {
            Precheck::Done(outcome) => Ok(outcome),
            Precheck::Verify => {
                let key = self
                    .committee
                    .get(&vote.vote.validator)
                    .map(|m| m.key)
                    .ok_or(ConsensusError::NotMember {
                        validator: vote.vote.validator,
                    })?;
                vote.verify(&key, self.chain_id)?;
                Ok(self.insert(vote))
            }
        }
    }

    /// Adds a vote this keeper's owner signed itself (its signature is not checked again).
    pub(crate) fn add_own(&mut self, vote: SignedVote) -> Result<AddOutcome, ConsensusError> {
        match self.precheck(&vote)? {
            Precheck::Done(outcome) => Ok(outcome),
            Precheck::Verify => Ok(self.insert(vote)),
        }
    }

    /// Adds many votes, checking their signatures in one batch (falling back to one by one
    /// only if the batch fails). One result per vote, in order.
    pub fn add_batch(&mut self, votes: &[SignedVote]) -> Vec<Result<AddOutcome, ConsensusError>> {
        let mut results: Vec<Option<Result<AddOutcome, ConsensusError>>> = Vec::new();
        let mut pending = Vec::new();
        for (i, sv) in votes.iter().enumerate() {
            match self.precheck(sv) {
                Err(e) => results.push(Some(Err(e))),
                Ok(Precheck::Done(o)) => results.push(Some(Ok(o))),
                Ok(Precheck::Verify) => match sv.vote.signing_bytes() {
                    Err(e) => results.push(Some(Err(e))),
                    Ok(bytes) => {
                        results.push(None);
                        pending.push((i, bytes));
                    }
                },
            }
        }
        let keys: Vec<_> = pending
            .iter()
            .filter_map(|(i, _)| {
                let sv = votes.get(*i)?;
                self.committee.get(&sv.vote.validator).map(|m| m.key)
            })
            .collect();
        let batch_ok = keys.len() == pending.len() && {
            let items: Vec<_> = pending
                .iter()
                .zip(&keys)
                .filter_map(|((i, bytes), key)| {
                    votes
                        .get(*i)
                        .map(|sv| sv.batch_item(key, self.chain_id, bytes))
                })
                .collect();
            items.len() == pending.len() && verify_batch(&items).is_ok()
        };
        for (i, _) in pending {
            let Some(sv) = votes.get(i).copied() else {
                continue;
            };
            let outcome = if batch_ok {
                Ok(self.insert(sv))
            } else {
                self.add(sv)
            };
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(outcome);
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or(Err(ConsensusError::NotStarted)))
            .collect()
    }

    /// Weight of the `kind` votes for `value` (nil: `None`) in `round`.
    pub fn weight_for(&self, round: Round, kind: VoteKind, value: Option<BlockId>) -> u64 {
        self.rounds
            .get(&round)
            .and_then(|r| r.set(kind).tally.get(&value))
            .copied()
            .unwrap_or(0)
    }

    /// Weight of all `kind` votes in `round`.
    pub fn weight_any(&self, round: Round, kind: VoteKind) -> u64 {
        self.rounds
            .get(&round)
            .map(|r| r.set(kind).weight)
            .unwrap_or(0)
    }

    /// "+2/3 for `value`": `2f + 1` weight of `kind` votes for `value` in `round`.
    pub fn has_quorum_for(&self, round: Round, kind: VoteKind, value: Option<BlockId>) -> bool {
        self.committee
            .is_quorum(self.weight_for(round, kind, value))
    }

    /// "+2/3 any": `2f + 1` weight of `kind` votes for anything in `round`.
    pub fn has_quorum_any(&self, round: Round, kind: VoteKind) -> bool {
        self.committee.is_quorum(self.weight_any(round, kind))
    }

    /// The value (nil: `Some(None)`) with `2f + 1` weight of `kind` votes in `round`, if any.
    pub fn quorum_value(&self, round: Round, kind: VoteKind) -> Option<Option<BlockId>> {
        let set = self.rounds.get(&round)?.set(kind);
        set.tally
            .iter()
            .find(|(_, w)| self.committee.is_quorum(**w))
            .map(|(v, _)| *v)
    }

    /// The highest round above `round` that validators of `f + 1` weight ("+1/3") have
    /// reached, by the highest round each signed a vote (either kind) in: the round to skip to
    /// (L55; why "reached" rather than "voted in exactly that round" is sound, see
    /// [`super::rounds`]).
    pub fn skip_round(&self, round: Round) -> Option<Round> {
        self.ahead.skip_round(&self.committee, round)
    }

    /// The signatures of the `kind` votes for `value` in `round`, by validator id.
    pub fn signatures_for(
        &self,
        round: Round,
        kind: VoteKind,
        value: Option<BlockId>,
    ) -> Vec<(NodeId, Signature)> {
        self.rounds
            .get(&round)
            .map(|r| {
                r.set(kind)
                    .votes
                    .iter()
                    .filter(|((_, v), _)| *v == value)
                    .map(|((id, _), sv)| (*id, sv.signature))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::committee::Member;
    use crate::consensus::types::Vote;
    use flux_core::Hash;
    use flux_core::crypto::{Scheme, SecretKey};
    use flux_core::params::Ratio;

    fn setup(weights: &[u64]) -> (Vec<SecretKey>, VoteKeeper) {
        let keys: Vec<SecretKey> = (1..=weights.len() as u8)
            .map(|i| SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).unwrap())
            .collect();
        let mut members: Vec<Member> = keys
            .iter()
            .zip(weights)
            .map(|(k, w)| Member {
                id: NodeId::of(&k.public_key()),
                key: k.public_key(),
                weight: *w,
            })
            .collect();
        members.sort_by_key(|m| m.id);
        let c = Committee::new(members, Ratio::new(2, 3)).unwrap();
        (keys, VoteKeeper::new(1, c, ChainId::DEVNET))
    }

    fn vote(k: &SecretKey, round: Round, kind: VoteKind, value: Option<u8>) -> SignedVote {
        Vote {
            height: 1,
            round,
            kind,
            value: value.map(|v| BlockId(Hash::digest(&[v]))),
            validator: NodeId::of(&k.public_key()),
        }
        .sign(k, ChainId::DEVNET)
        .unwrap()
    }

    #[test]
    fn weighted_thresholds() {
        let (keys, mut kp) = setup(&[20, 20, 20, 40]);
        let b = Some(BlockId(Hash::digest(&[1])));
        kp.add(vote(&keys[3], 0, VoteKind::Prevote, Some(1)))
            .unwrap();
        kp.add(vote(&keys[0], 0, VoteKind::Prevote, None)).unwrap();
        assert!(!kp.has_quorum_any(0, VoteKind::Prevote)); // 60 of 100
        kp.add(vote(&keys[1], 0, VoteKind::Prevote, Some(1)))
            .unwrap();
        assert!(kp.has_quorum_any(0, VoteKind::Prevote)); // 80 > 66.6
        assert!(!kp.has_quorum_for(0, VoteKind::Prevote, b)); // 60
        assert_eq!(kp.quorum_value(0, VoteKind::Prevote), None);
        kp.add(vote(&keys[2], 0, VoteKind::Prevote, Some(1)))
            .unwrap();
        assert_eq!(kp.quorum_value(0, VoteKind::Prevote), Some(b)); // 80
        // f + 1 in a higher round: 40 > 33.3 alone.
        assert_eq!(kp.skip_round(0), None);
        kp.add(vote(&keys[3], 5, VoteKind::Precommit, None))
            .unwrap();
        assert_eq!(kp.skip_round(0), Some(5));
        assert_eq!(kp.skip_round(5), None);
    }

    #[test]
    fn duplicates_equivocation_and_rejections() {
        let (keys, mut kp) = setup(&[1, 1, 1, 1]);
        let a = vote(&keys[0], 0, VoteKind::Prevote, Some(1));
        let b = vote(&keys[0], 0, VoteKind::Prevote, Some(2));
        assert_eq!(kp.add(a).unwrap(), AddOutcome::Added);
        assert_eq!(kp.add(a).unwrap(), AddOutcome::Duplicate);
        let AddOutcome::Equivocation(e) = kp.add(b).unwrap() else {
            panic!("no evidence")
        };
        assert_eq!(*e, Evidence::new(b, a).unwrap());
        assert_eq!(kp.weight_any(0, VoteKind::Prevote), 1);
        // Bad signature, stranger, wrong height.
        let mut forged = vote(&keys[1], 0, VoteKind::Prevote, Some(1));
        forged.signature = a.signature;
        assert!(matches!(
            kp.add(forged),
            Err(ConsensusError::BadSignature { .. })
        ));
        let stranger = SecretKey::from_bytes(Scheme::Ed25519, &[99; 32]).unwrap();
        assert!(matches!(
            kp.add(vote(&stranger, 0, VoteKind::Prevote, None)),
            Err(ConsensusError::NotMember { .. })
        ));
        let mut late = vote(&keys[1], 0, VoteKind::Prevote, None).vote;
        late.height = 2;
        assert!(matches!(
            kp.add(late.sign(&keys[1], ChainId::DEVNET).unwrap()),
            Err(ConsensusError::WrongHeight {
                expected: 1,
                found: 2
            })
        ));
    }

    #[test]
    fn batch_matches_single() {
        let (keys, mut kp) = setup(&[1, 2, 3, 4]);
        let mut votes: Vec<_> = keys
            .iter()
            .map(|k| vote(k, 1, VoteKind::Precommit, Some(9)))
            .collect();
        votes[2].signature = votes[1].signature; // one bad
        let results = kp.add_batch(&votes);
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
        assert!(results[2].is_err());
        assert_eq!(kp.weight_any(1, VoteKind::Precommit), 7);
        assert_eq!(
            kp.signatures_for(1, VoteKind::Precommit, Some(BlockId(Hash::digest(&[9]))))
                .len(),
            3
        );
    }
}
