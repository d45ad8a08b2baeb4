//! The authenticated state trie: a persistent binary PATRICIA Merkle trie over 256-bit keys.
//!
//! Every header's state root is the root of a [`Trie`]; a [`Proof`] shows a light client, which
//! holds only the header, that a key has a given value hash there, or is absent.
//!
//! # Shape
//! Keys are [`Hash`](struct@Hash)es (callers derive them with `Hash::tagged`, so they are uniformly spread)
//! and values are 32-byte value hashes of the entries' canonical bytes. The trie is a compressed
//! binary radix tree: a leaf holds `(key, value_hash)`; a branch holds the index of the first bit
//! (0..=255, MSB-first over the key bytes) at which its two subtrees differ, keys with a 0 there
//! on the left. There are no one-child branches, so the shape, and the root, depend only on the
//! set of entries, never on the order or batching of the updates that produced it. A trie of `n`
//! keys has `n` leaves and `n - 1` branches, about `log2(n)` deep for uniform keys.
//!
//! # Hashes
//! - leaf: `Hash::tagged("flux/trie/leaf/v1", key ‖ value_hash)` (64 bytes, one compression);
//! - branch: `Hash::tagged("flux/trie/node/v1", bit as u16 LE ‖ left ‖ right)` (66 bytes, two);
//! - the empty trie: [`EMPTY_ROOT`] (`Hash::ZERO`).
//!
//! # Persistence and cost
//! Nodes are immutable; branches are linked by `Arc` and leaves are small boxed copies. Each node
//! caches its hash, computed once when it is created. [`Trie::update`] returns a new trie that shares every untouched subtree with the old
//! one, which stays valid: a block that fails validation simply keeps the old trie, and cloning a
//! trie is O(1). A batch is applied in one recursive pass over its sorted changes, so each new
//! branch is built and hashed once even when thousands of changes share the upper paths: a block
//! costs in proportion to what it changes (about `changes × (log2(n) − log2(changes) + 2)`
//! hashes), not to the size of the state.
//!
//! Memory: a branch is 72 bytes plus the `Arc` counts (88), a leaf 96, so with the allocator's
//! rounding (glibc: +8, to a multiple of 16) about 96 + 112 = 208 bytes per key.
//!
//! ```
//! use flux_chain::trie::Trie;
//! use flux_core::Hash;
//!
//! let key = |n: u32| Hash::tagged("flux/example/key/v1", &n.to_le_bytes());
//! let value = |n: u32| Hash::tagged("flux/example/value/v1", &n.to_le_bytes());
//!
//! let old = Trie::new().update((0..100).map(|n| (key(n), Some(value(n)))));
//! // One batch: replace key 1, remove key 2, add key 100.
//! let new = old.update([(key(1), Some(value(7))), (key(2), None), (key(100), Some(value(100)))]);
//! assert_eq!(new.len(), 100);
//! assert_eq!(old.get(&key(1)), Some(value(1))); // the old version is untouched
//! assert_ne!(old.root(), new.root());
//!
//! // A light client holding only the root checks a value, and an absence.
//! new.prove(&key(1)).verify(&new.root(), &key(1), Some(&value(7)))?;
//! new.prove(&key(2)).verify(&new.root(), &key(2), None)?;
//! assert!(new.prove(&key(1)).verify(&new.root(), &key(1), Some(&value(1))).is_err());
//! # Ok::<(), flux_chain::trie::ProofError>(())
//! ```

mod error;
mod node;
mod proof;
mod update;

use core::fmt;

use flux_core::Hash;

pub use error::ProofError;
pub use node::{EMPTY_ROOT, KEY_BITS, LEAF_TAG, NODE_TAG};
pub use proof::{Proof, ProofEnd, ProofStep};

use node::{Node, bit};

/// A persistent authenticated map from keys to value hashes. See the [module docs](self).
///
/// Cloning is O(1) (one reference count); all versions share their common nodes.
#[derive(Clone, Default)]
pub struct Trie {
    root: Option<Node>,
    len: usize,
}

impl Trie {
    /// The empty trie; its root is [`EMPTY_ROOT`].
    pub fn new() -> Trie {
        Trie::default()
    }

    /// The root hash that commits to every entry.
    pub fn root(&self) -> Hash {
        self.root.as_ref().map_or(EMPTY_ROOT, |node| *node.hash())
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the trie has no keys.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// The value hash stored under `key`, if any.
    pub fn get(&self, key: &Hash) -> Option<Hash> {
        let leaf = self.root.as_ref()?.descend(key);
        (leaf.key == *key).then_some(leaf.value)
    }

    /// A new trie with a batch of changes applied: `Some(value_hash)` inserts or replaces,
    /// `None` removes (removing an absent key does nothing).
    ///
    /// Changes may come in any order. If a key appears more than once, its **last** change wins.
    /// `self` is not modified and shares every subtree the batch does not touch with the result.
    /// Cost: sorting the batch, then one hash per new node; no panics.
    pub fn update(&self, changes: impl IntoIterator<Item = (Hash, Option<Hash>)>) -> Trie {
        let mut changes: Vec<update::Change> = changes.into_iter().collect();
        update::normalize(&mut changes);
        let mut counts = update::Counts::default();
        let root = update::apply_root(self.root.as_ref(), &changes, &mut counts);
        // `removed` only counts keys that were present, so this never goes below zero.
        let len = (self.len + counts.added).saturating_sub(counts.removed);
        Trie { root, len }
    }

    /// A proof of `key`'s value, or of its absence, against [`Trie::root`]: the branches on the
    /// path `key`'s bits select, with their sibling hashes, and the leaf where it ends.
    pub fn prove(&self, key: &Hash) -> Proof {
        let mut path = Vec::new();
        let Some(mut node) = self.root.as_ref() else {
            return Proof {
                path,
                end: ProofEnd::Empty,
            };
        };
        loop {
            match node {
                Node::Leaf(leaf) => {
                    let end = if leaf.key == *key {
                        ProofEnd::Member
                    } else {
                        ProofEnd::Divergent {
                            key: leaf.key,
                            value: leaf.value,
                        }
                    };
                    return Proof { path, end };
                }
                Node::Branch(branch) => {
                    let (next, sibling) = if bit(key, branch.bit) {
                        (&branch.right, &branch.left)
                    } else {
                        (&branch.left, &branch.right)
                    };
                    path.push(ProofStep {
                        bit: u16::from(branch.bit),
                        sibling: *sibling.hash(),
                    });
                    node = next;
                }
            }
        }
    }

    /// All `(key, value_hash)` entries in increasing key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            stack: self.root.iter().collect(),
        }
    }
}

impl fmt::Debug for Trie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trie")
            .field("root", &self.root())
            .field("len", &self.len)
            .finish()
    }
}

/// Two tries are equal when their roots are: they hold the same entries.
impl PartialEq for Trie {
    fn eq(&self, other: &Trie) -> bool {
        self.root() == other.root()
    }
}

impl Eq for Trie {}

impl FromIterator<(Hash, Hash)> for Trie {
    /// A trie of the given entries (the last value of a repeated key wins).
    fn from_iter<I: IntoIterator<Item = (Hash, Hash)>>(entries: I) -> Trie {
        Trie::new().update(entries.into_iter().map(|(k, v)| (k, Some(v))))
    }
}

/// The entries of a [`Trie`] in key order; see [`Trie::iter`].
#[derive(Debug)]
pub struct Iter<'a> {
    stack: Vec<&'a Node>,
}

impl Iterator for Iter<'_> {
    type Item = (Hash, Hash);

    fn next(&mut self) -> Option<(Hash, Hash)> {
        loop {
            match self.stack.pop()? {
                Node::Leaf(leaf) => return Some((leaf.key, leaf.value)),
                Node::Branch(branch) => {
                    self.stack.push(&branch.right);
                    self.stack.push(&branch.left);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
