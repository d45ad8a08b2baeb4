//! The committee of an epoch: who votes, with what weight, and who proposes when.
//!
//! # Drawing the committee
//!
//! Each epoch (`epoch_length` blocks; the epoch of height `h` is `(h - 1) / epoch_length`) the
//! committee is `min(committee_size, n)` distinct confirmed nodes, drawn by weighted sampling
//! **without replacement** (weight = the tier's vote weight), seeded by the chain's committee
//! seed after the last block of the previous epoch (the caller passes it; see "The seed" below).
//!
//! Method: *successive sampling* with exact integers. The candidates are the confirmed nodes in
//! id order (the registry's `OrdMap` order) with an Ed25519 operator key, their weights kept in a
//! Fenwick tree. Draw `i` (0, 1, ...) takes the 128-bit integer `r_i` = the first 16 bytes (LE)
//! of `BLAKE3_tagged("flux/committee/v1", seed ‖ i as u64 LE)`, reduces it to
//! `t = r_i mod W` where `W` is the weight not yet drawn, and picks the candidate whose
//! cumulative-weight interval `[C_{j-1}, C_j)` contains `t`; its weight is then set to zero.
//! Each draw therefore picks a remaining node with probability `w / W` (up to the modulo bias
//! `W / 2^128`, below `2^-100` for any real committee), which is the distribution the
//! Efraimidis–Spirakis A-ES keys `u^(1/w)` produce; A-ES itself needs real powers that no
//! integer comparison computes exactly, so the sequential form is used instead.
//!
//! Determinism: the output is a function of (candidate list in id order, weights, seed, size)
//! only: the candidate order is the total order of node ids, each `r_i` is a hash of the seed
//! and `i`, and the rest is integer arithmetic (additions and one `u128` remainder) with no
//! floating point and no iteration over unordered maps. Cost: `O(n)` to build the tree and
//! `O(k log n)` for `k` draws; 13,500 candidates take well under a millisecond.
//!
//! # The seed
//!
//! The seed is a RANDAO-style running value, kept in the state ([`crate::state::Tip::seed`],
//! in the state root) and changed by every block: it starts at the genesis id, and each block
//! carries its proposer's VRF proof ([`flux_core::crypto::vrf`], RFC 9381 on the proposer's
//! Ed25519 key) over (height, parent's seed), and the seed after the block is
//! `BLAKE3_tagged("flux/seed/mix/v1", parent's seed ‖ VRF output)`
//! ([`crate::transition::header`]). The rules check the proof against the proposer's key, so:
//!
//! - nothing the proposer chooses in its block moves the seed: not the time, not the
//!   transactions nor their order (the block id, which seeded the draw before, moves with all
//!   of them, so a proposer could grind it to pick the next committee);
//! - the proposer cannot make a second valid output either: a VRF output is unique for a key
//!   and a message (an Ed25519 *signature* is not: its signer picks the nonce, which is why the
//!   reveal is a VRF proof and not a signature);
//! - nobody can predict a seed before the block that makes it: the output is pseudorandom
//!   without the proposer's secret key.
//!
//! **The bias that is left: withholding.** A proposer that sees its own output before it
//! proposes can choose between two outcomes: propose (the seed mixes its output) or withhold
//! (the round times out and the next round's proposer's output is mixed in instead; it is
//! unknown to the withholder unless it holds that key too). Only the proposal slots (heights
//! and rounds) at the very end of an epoch give such a choice: a withholder earlier in the
//! epoch cannot tell which outcome it prefers, because later blocks mix in outputs it cannot
//! predict. An attacker holding the last `k` slots in a row before the epoch's last block is
//! decided chooses among at most `2^k` seeds (`k + 1` when they are rounds of the last
//! height), each withheld slot costing it the block and a round of delay; one slot is the
//! classic last-revealer one-bit bias. With a fraction `f` of the weight it holds the last
//! slot with probability about `f` and `k` in a row about `f^k`, so its expected committee
//! share grows by a bounded factor over the fair one, instead of the free choice of committee
//! that grinding the block id gave. Removing this bias too would need a delay function or a
//! threshold (BLS) beacon, which this chain does not have.
//!
//! # Proposer rotation
//!
//! Tendermint's weighted round robin by priority: every validator starts the epoch at priority
//! 0; each step adds each validator's weight to its priority, picks the highest priority (ties:
//! the lowest node id) and subtracts the total weight `T` from the pick. The proposer of
//! `(height, round)` is the pick of step `s = (height - first height of its epoch) + round`.
//!
//! The schedule has period exactly `T`, in which each validator is picked exactly `weight`
//! times. Proof: priorities always sum to 0, and stay `> -T`: after the additions they sum to
//! `T > 0`, so the maximum is positive and stays `> -T` after subtracting `T`; the others only
//! grow. After `T` steps a validator picked `c` times has priority `T * (weight - c) > -T`, so
//! `c <= weight` for everyone, and since the picks sum to `T = Σ weight`, `c = weight` for
//! everyone and every priority is 0 again: the state after `T` steps is the initial one.
//! So the rotation of a committee is one period of `T` steps, computed once per committee as
//! far as it is asked for ([`super::rotation`], `O(k)` per step for `k` distinct weights) and
//! read in `O(1)` per (height, round) by [`Committee::proposer`]: no replay from genesis, and no
//! cost that grows with the round (issue 19 point 9: a member inventing rounds made each one
//! cost `O(min(s, T) · n)`).
//!
//! ```
//! use flux_chain::consensus::committee::{Committee, Member};
//! use flux_core::crypto::{Scheme, SecretKey};
//! use flux_core::params::Ratio;
//! use flux_nodes::NodeId;
//!
//! let mut members: Vec<Member> = (1..=3u8)
//!     .map(|i| {
//!         let key = SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).unwrap().public_key();
//!         Member { id: NodeId::of(&key), key, weight: u64::from(i) }
//!     })
//!     .collect();
//! members.sort_by_key(|m| m.id);
//! let committee = Committee::new(members, Ratio::new(2, 3))?;
//! assert_eq!(committee.total_weight(), 6);
//! // Over 6 rounds the weight-3 member proposes 3 times.
//! let heavy = committee.members().iter().find(|m| m.weight == 3).unwrap().id;
//! let picks = (0..6).filter(|&r| committee.proposer(1, r, 100) == heavy).count();
//! assert_eq!(picks, 3);
//! # Ok::<(), flux_chain::consensus::ConsensusError>(())
//! ```

use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use flux_core::crypto::{PublicKey, Scheme};
use flux_core::hash::Tag;
use flux_core::params::Ratio;
use flux_core::{ChainParams, Hash};
use flux_nodes::NodeId;
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeEntry;
use flux_nodes::registry::Registry;
use serde::{Deserialize, Serialize};

use super::error::ConsensusError;
use super::rotation::Rotation;
use super::types::{Height, Round};

static DRAW: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/committee/v1"));

/// One committee member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The node (hash of `key`).
    pub id: NodeId,
    /// Its operator key, which signs its votes and proposals.
    pub key: PublicKey,
    /// Its voting power (the tier's vote weight).
    pub weight: u64,
}

/// The validators of one epoch, sorted by id, with their total weight and the commit
/// threshold. See the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committee {
    members: Vec<Member>,
    total: u64,
    threshold: Ratio,
    /// The proposer rotation, built on first use and shared by clones (not part of the value).
    #[serde(skip)]
    rotation: RotationCache,
}

/// A committee's [`Rotation`], computed on demand: equal to any other (it is derived from the
/// members), shared by clones.
#[derive(Clone, Default)]
struct RotationCache(Arc<Mutex<Option<Rotation>>>);

impl PartialEq for RotationCache {
    fn eq(&self, _: &RotationCache) -> bool {
        true
    }
}

impl Eq for RotationCache {}

impl std::fmt::Debug for RotationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let built = self.0.lock().map(|r| r.is_some()).unwrap_or(false);
        f.write_str(if built { "built" } else { "not built" })
    }
}

/// Whether a drawn member whose registry entry is `entry` still sits on its epoch's committee:
/// not slashed for equivocation and still bonded for good (not exiting, not DoS-listed). A
/// member whose entry is gone does not sit either. Issue 19 point 11: a member that starts its
/// exit leaves the committee from the next height, so it can not vote while its collateral is
/// on its way out.
pub fn sits(entry: &NodeEntry) -> bool {
    entry.slashed.is_empty() && !matches!(entry.status, NodeStatus::Exiting | NodeStatus::DoS)
}

/// The epoch of `height` (heights start at 1): `(height - 1) / epoch_length`.
pub fn epoch_of(height: Height, epoch_length: u64) -> u64 {
    height.saturating_sub(1) / epoch_length.max(1)
}

/// The first height of `height`'s epoch.
pub fn epoch_start(height: Height, epoch_length: u64) -> Height {
    epoch_of(height, epoch_length)
        .saturating_mul(epoch_length.max(1))
        .saturating_add(1)
}

impl Committee {
    /// A committee of `members` (sorted by id, distinct, positive weights, each id the
    /// [`NodeId`] of its key) deciding by strictly more than `threshold` of the total weight.
    pub fn new(members: Vec<Member>, threshold: Ratio) -> Result<Committee, ConsensusError> {
        if members.is_empty() {
            return Err(ConsensusError::EmptyCommittee);
        }
        let mut total = 0u64;
        for (i, m) in members.iter().enumerate() {
            if m.weight == 0 {
                return Err(ConsensusError::ZeroWeight { validator: m.id });
            }
            if i > 0 && members[i - 1].id >= m.id {
                return Err(ConsensusError::UnsortedCommittee);
            }
            if NodeId::of(&m.key) != m.id {
                return Err(ConsensusError::MemberKeyMismatch { validator: m.id });
            }
            total = total
                .checked_add(m.weight)
                .ok_or(ConsensusError::WeightOverflow)?;
        }
        Ok(Committee {
            members,
            total,
            threshold,
            rotation: RotationCache::default(),
        })
    }

    /// Draws the committee of an epoch from the confirmed nodes of `registry`: at most `size`
    /// distinct nodes, by weighted sampling without replacement seeded by `seed` (the committee
    /// seed after the last block of the previous epoch, [`crate::state::State::seed`]). See the
    /// module docs for the method.
    pub fn draw(
        registry: &Registry,
        seed: &Hash,
        size: usize,
        params: &ChainParams,
    ) -> Result<Committee, ConsensusError> {
        let mut candidates = Vec::new();
        for (id, (tier, _)) in registry.payout().queued().iter() {
            let Some(entry) = registry.get(id) else {
                continue;
            };
            if entry.operator.scheme() != Scheme::Ed25519 {
                continue;
            }
            candidates.push(Member {
                id: *id,
                key: entry.operator,
                weight: tier.vote_weight(params)?,
            });
        }
        let weights: Vec<u64> = candidates.iter().map(|m| m.weight).collect();
        let picked = sample_without_replacement(&weights, seed, size);
        let mut members: Vec<Member> = picked
            .into_iter()
            .filter_map(|i| candidates.get(i).copied())
            .filter(|m| m.weight > 0)
            .collect();
        members.sort_by_key(|m| m.id);
        Committee::new(members, params.consensus.commit_threshold)
    }

    /// The members, sorted by id.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Always false (a committee has at least one member); for symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Sum of the members' weights.
    pub fn total_weight(&self) -> u64 {
        self.total
    }

    /// The commit threshold (decisions need strictly more than this fraction of the weight).
    pub fn threshold(&self) -> Ratio {
        self.threshold
    }

    /// This committee without `node` (a validator slashed for equivocation leaves the current
    /// committee at once; the rest keep their weights, and thresholds follow the new total).
    /// Errors if that would leave no member.
    pub fn without(&self, node: &NodeId) -> Result<Committee, ConsensusError> {
        let members: Vec<Member> = self
            .members
            .iter()
            .filter(|m| m.id != *node)
            .copied()
            .collect();
        Committee::new(members, self.threshold)
    }

    /// The member with id `id`.
    pub fn get(&self, id: &NodeId) -> Option<&Member> {
        self.members
            .binary_search_by(|m| m.id.cmp(id))
            .ok()
            .and_then(|i| self.members.get(i))
    }

    /// Whether `weight` is strictly more than the threshold of the total ("2f + 1").
    pub fn is_quorum(&self, weight: u64) -> bool {
        self.threshold.exceeded_by(weight, self.total)
    }

    /// Whether `weight` is strictly more than `1 - threshold` of the total ("f + 1": at least
    /// one honest validator among them).
    pub fn is_one_honest(&self, weight: u64) -> bool {
        let t = self.threshold;
        Ratio::new(t.den.saturating_sub(t.num), t.den).exceeded_by(weight, self.total)
    }

    /// The proposer of `(height, round)`, `epoch_length` blocks per epoch: the pick of step
    /// `(height - epoch start) + round` of the weighted round robin (see the module docs).
    pub fn proposer(&self, height: Height, round: Round, epoch_length: u64) -> NodeId {
        let step = height
            .saturating_sub(epoch_start(height, epoch_length))
            .saturating_add(u64::from(round));
        self.proposer_at(step)
    }

    /// The pick of step `step` (0-based) of the weighted round robin from all-zero priorities.
    /// `O(1)` for a step asked before (by this committee or a clone): the steps up to
    /// `step mod T` are computed once, in `O(k)` each for `k` distinct weights
    /// ([`super::rotation`]), and kept.
    pub fn proposer_at(&self, step: u64) -> NodeId {
        let mut rotation = self
            .rotation
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let index = rotation
            .get_or_insert_with(|| Rotation::new(&self.members, self.total))
            .pick(step);
        self.members.get(index).map(|m| m.id).unwrap_or_default()
    }
}

/// Indices of `min(size, positive weights)` distinct entries of `weights`, drawn in order by
/// successive weighted sampling seeded by `seed` (see the module docs).
pub fn sample_without_replacement(weights: &[u64], seed: &Hash, size: usize) -> Vec<usize> {
    let n = weights.len();
    // Fenwick tree (1-based) over u128 so sums never overflow.
    let mut tree = vec![0u128; n + 1];
    let mut remaining: u128 = 0;
    for (i, &w) in weights.iter().enumerate() {
        remaining += u128::from(w);
        let mut j = i + 1;
        while j <= n {
            tree[j] += u128::from(w);
            j += j & j.wrapping_neg();
        }
    }
    let top = if n == 0 {
        0
    } else {
        1usize << (usize::BITS - 1 - n.leading_zeros())
    };
    let mut picked = Vec::with_capacity(size.min(n));
    let mut draw = 0u64;
    while picked.len() < size && remaining > 0 {
        let mut h = DRAW.hasher();
        h.update(seed.as_bytes()).update(&draw.to_le_bytes());
        draw += 1;
        let digest = h.finalize();
        let mut low = [0u8; 16];
        low.copy_from_slice(&digest.as_bytes()[..16]);
        let mut target = u128::from_le_bytes(low) % remaining;
        // Find the first index whose cumulative weight exceeds `target`.
        let mut pos = 0usize;
        let mut step = top;
        while step > 0 {
            let next = pos + step;
            if next <= n && tree[next] <= target {
                pos = next;
                target -= tree[next];
            }
            step >>= 1;
        }
        // `pos` is 0-based index of the pick.
        let w = u128::from(weights[pos]);
        let mut j = pos + 1;
        while j <= n {
            tree[j] -= w;
            j += j & j.wrapping_neg();
        }
        remaining -= w;
        picked.push(pos);
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_picks_distinct_positive_entries() {
        let weights = [0, 5, 0, 1, 7, 3];
        let seed = Hash::digest(b"seed");
        let mut p = sample_without_replacement(&weights, &seed, 10);
        assert_eq!(p.len(), 4);
        p.sort_unstable();
        assert_eq!(p, vec![1, 3, 4, 5]);
        assert_eq!(sample_without_replacement(&weights, &seed, 2).len(), 2);
        assert!(sample_without_replacement(&[], &seed, 2).is_empty());
    }

    #[test]
    fn epochs() {
        assert_eq!(epoch_of(1, 10), 0);
        assert_eq!(epoch_of(10, 10), 0);
        assert_eq!(epoch_of(11, 10), 1);
        assert_eq!(epoch_start(15, 10), 11);
        assert_eq!(epoch_start(1, 10), 1);
    }
}
