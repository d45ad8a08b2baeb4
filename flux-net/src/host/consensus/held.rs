//! What the host holds for the heights it is deciding, bounded so that no member (and no
//! peer) can crowd out what the honest members need:
//! - `HeldBlocks`: the blocks of proposals. A block is held only from the proposer of its
//!   `(height, round)`, at most [`MAX_BLOCKS_PER_ROUND`] per round, in [`MAX_HELD_BLOCKS`] and
//!   [`MAX_HELD_BLOCK_BYTES`]; when full, the blocks of the oldest rounds leave first (never
//!   the one this host is locked on or would re-propose).
//! - `HeldMessages`: the verified consensus messages of the current height, re-broadcast when
//!   it stalls, in [`MAX_HELD_MESSAGES`] and [`MAX_HELD_MESSAGE_BYTES`]; the oldest rounds leave
//!   first.

use std::collections::{BTreeMap, BTreeSet};

use flux_chain::block::{Block, BlockId};
use flux_chain::consensus::{Height, Round};

/// Most blocks of proposals held.
pub const MAX_HELD_BLOCKS: usize = 64;

/// Most blocks held for one `(height, round)`: an honest proposer sends one; a second one is
/// the proof that it equivocated (the consensus machine keeps as many proposals).
pub const MAX_BLOCKS_PER_ROUND: usize = flux_chain::consensus::machine::MAX_PROPOSALS_PER_ROUND;

/// Most encoded bytes of held blocks (a few rounds of blocks at the gossip limit).
pub const MAX_HELD_BLOCK_BYTES: usize = 64 * 1024 * 1024;

/// How many rounds above the current one a proposal's block is held for (at a later height:
/// rounds below this). A proposer that runs further ahead is heard when the others get there.
pub const HELD_ROUNDS: Round = 16;

/// Most consensus messages held for re-broadcast.
pub const MAX_HELD_MESSAGES: usize = 4_096;

/// Most bytes of consensus messages held for re-broadcast (proposals carry their blocks).
pub const MAX_HELD_MESSAGE_BYTES: usize = 24 * 1024 * 1024;

#[derive(Debug)]
struct HeldBlock {
    block: Block,
    size: usize,
    /// The `(height, round)`s it was proposed in.
    slots: BTreeSet<(Height, Round)>,
}

/// The blocks of proposals. See the module docs.
#[derive(Debug, Default)]
pub(crate) struct HeldBlocks {
    blocks: BTreeMap<BlockId, HeldBlock>,
    slots: BTreeMap<(Height, Round), BTreeSet<BlockId>>,
    bytes: usize,
}

impl HeldBlocks {
    /// Holds `block` (id `id`, `size` encoded bytes) as proposed at `(height, round)`, making
    /// room by dropping the blocks of older rounds (never those in `keep`). `false`: refused
    /// (its round already has its blocks, or nothing older can make room).
    pub(crate) fn insert(
        &mut self,
        slot: (Height, Round),
        id: BlockId,
        block: Block,
        size: usize,
        keep: &[BlockId],
    ) -> bool {
        if let Some(held) = self.blocks.get_mut(&id) {
            held.slots.insert(slot);
            self.slots.entry(slot).or_default().insert(id);
            return true;
        }
        if self.slots.get(&slot).map_or(0, BTreeSet::len) >= MAX_BLOCKS_PER_ROUND
            || size > MAX_HELD_BLOCK_BYTES
        {
            return false;
        }
        while self.blocks.len() >= MAX_HELD_BLOCKS
            || self.bytes.saturating_add(size) > MAX_HELD_BLOCK_BYTES
        {
            if !self.evict_before(slot, keep) {
                return false;
            }
        }
        self.bytes = self.bytes.saturating_add(size);
        self.slots.entry(slot).or_default().insert(id);
        self.blocks.insert(
            id,
            HeldBlock {
                block,
                size,
                slots: BTreeSet::from([slot]),
            },
        );
        true
    }

    /// Drops the blocks not in `keep` of the oldest slot before `slot` that holds one; `false`
    /// if there is none. (A kept block keeps its slot, so it is forgotten with its height.)
    fn evict_before(&mut self, slot: (Height, Round), keep: &[BlockId]) -> bool {
        let Some((victim, ids)) = self
            .slots
            .range_mut(..slot)
            .find(|(_, ids)| ids.iter().any(|id| !keep.contains(id)))
        else {
            return false;
        };
        let victim = *victim;
        let dropped: Vec<BlockId> = ids
            .iter()
            .filter(|id| !keep.contains(id))
            .copied()
            .collect();
        ids.retain(|id| keep.contains(id));
        if ids.is_empty() {
            self.slots.remove(&victim);
        }
        for id in dropped {
            let gone = self.blocks.get_mut(&id).is_some_and(|held| {
                held.slots.remove(&victim);
                held.slots.is_empty()
            });
            if gone && let Some(held) = self.blocks.remove(&id) {
                self.bytes = self.bytes.saturating_sub(held.size);
            }
        }
        true
    }

    /// The held block `id`.
    pub(crate) fn get(&self, id: &BlockId) -> Option<&Block> {
        self.blocks.get(id).map(|h| &h.block)
    }

    /// Forgets every block of `height` and below.
    pub(crate) fn forget_through(&mut self, height: Height) {
        let later = self.slots.split_off(&(height.saturating_add(1), 0));
        let done = std::mem::replace(&mut self.slots, later);
        for id in done.into_values().flatten() {
            let gone = self.blocks.get_mut(&id).is_some_and(|held| {
                held.slots.retain(|(h, _)| *h > height);
                held.slots.is_empty()
            });
            if gone && let Some(held) = self.blocks.remove(&id) {
                self.bytes = self.bytes.saturating_sub(held.size);
            }
        }
    }

    /// The ids of the held blocks.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &BlockId> + '_ {
        self.blocks.keys()
    }

    /// How many blocks are held for `(height, round)`.
    #[cfg(test)]
    pub(crate) fn in_slot(&self, slot: (Height, Round)) -> usize {
        self.slots.get(&slot).map_or(0, BTreeSet::len)
    }
}

/// The verified consensus messages of the current height with their rounds. See the module
/// docs.
#[derive(Debug, Default)]
pub(crate) struct HeldMessages {
    messages: BTreeSet<(Round, Vec<u8>)>,
    bytes: usize,
}

impl HeldMessages {
    /// Holds `bytes` (a message of `round` whose signature was verified, or this host's own),
    /// dropping older rounds' messages while over a bound. `false` if it is not held (a copy
    /// is, or there is no room without dropping as recent a round).
    pub(crate) fn insert(&mut self, round: Round, bytes: Vec<u8>) -> bool {
        let len = bytes.len();
        let key = (round, bytes);
        if len > MAX_HELD_MESSAGE_BYTES || self.messages.contains(&key) {
            return false;
        }
        while self.messages.len() >= MAX_HELD_MESSAGES
            || self.bytes.saturating_add(len) > MAX_HELD_MESSAGE_BYTES
        {
            match self.messages.first() {
                Some((r, _)) if *r < round => {
                    if let Some((_, oldest)) = self.messages.pop_first() {
                        self.bytes = self.bytes.saturating_sub(oldest.len());
                    }
                }
                _ => return false,
            }
        }
        self.bytes = self.bytes.saturating_add(len);
        self.messages.insert(key);
        true
    }

    /// The messages of `round` and later.
    pub(crate) fn since_round(&self, round: Round) -> impl Iterator<Item = &Vec<u8>> + '_ {
        self.messages.range((round, Vec::new())..).map(|(_, b)| b)
    }

    /// Forgets everything (a new height).
    pub(crate) fn clear(&mut self) {
        self.messages.clear();
        self.bytes = 0;
    }

    /// Bytes held.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Messages held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn block(salt: u64) -> (BlockId, Block) {
        let (genesis, keys) = flux_chain::genesis::Genesis::devnet_with_nodes(1, 1).unwrap();
        let state = genesis.state().unwrap();
        let ts = genesis.timestamp_ms + 1_000 + salt;
        let b = flux_chain::transition::build_block(&state, &keys[0].operator, ts, vec![], vec![])
            .unwrap();
        (b.id().unwrap(), b)
    }

    /// Replays issue 19 point 1 (block cache exhaustion) at the cache itself: two blocks per
    /// round, the oldest rounds leave first, a pinned block stays, and a full cache refuses a
    /// round older than everything it holds.
    #[test]
    fn held_blocks_are_bounded_per_round_and_evicted_by_round() {
        let mut held = HeldBlocks::default();
        let blocks: Vec<(BlockId, Block)> = (0..(MAX_HELD_BLOCKS as u64 + 4)).map(block).collect();
        let pinned = blocks[0].0;
        assert!(held.insert((1, 0), blocks[0].0, blocks[0].1.clone(), 10, &[pinned]));
        assert!(held.insert((1, 0), blocks[1].0, blocks[1].1.clone(), 10, &[pinned]));
        assert!(!held.insert((1, 0), blocks[2].0, blocks[2].1.clone(), 10, &[pinned]));
        assert_eq!(held.in_slot((1, 0)), 2);
        for (i, (id, b)) in blocks.iter().enumerate().skip(2) {
            let round = i as Round;
            assert!(
                held.insert((1, round), *id, b.clone(), 10, &[pinned]),
                "block {i}"
            );
        }
        assert_eq!(held.ids().count(), MAX_HELD_BLOCKS);
        // Round 0 lost its unpinned block, then rounds 2.. their blocks, oldest first.
        assert!(held.get(&pinned).is_some());
        assert!(held.get(&blocks[1].0).is_none());
        assert!(held.get(&blocks[2].0).is_none());
        assert!(held.get(&blocks[blocks.len() - 1].0).is_some());
        held.forget_through(1);
        assert_eq!(held.ids().count(), 0);
    }

    /// Replays issue 19 point 5 (held messages bounded by count only): a member's large
    /// messages for many rounds can not hold more than the byte bound, and the newest rounds
    /// stay.
    #[test]
    fn held_messages_are_bounded_by_bytes_and_keep_the_newest_rounds() {
        let mut held = HeldMessages::default();
        let big = 3 * 1024 * 1024;
        for round in 0..40u32 {
            held.insert(round, vec![round as u8; big]);
            assert!(held.bytes() <= MAX_HELD_MESSAGE_BYTES);
        }
        assert_eq!(held.len(), MAX_HELD_MESSAGE_BYTES / big);
        assert_eq!(held.since_round(39).count(), 1);
        assert_eq!(held.since_round(0).count(), held.len());
        // Small messages are bounded by count; a round no newer than everything held finds
        // no room.
        let mut votes = HeldMessages::default();
        for i in 0..(MAX_HELD_MESSAGES as u32 + 10) {
            votes.insert(i / 100, i.to_le_bytes().to_vec());
        }
        assert_eq!(votes.len(), MAX_HELD_MESSAGES);
        assert!(!votes.insert(0, vec![1, 2, 3]));
    }
}
