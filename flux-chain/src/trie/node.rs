//! Trie nodes, their hashes and the bit arithmetic on 256-bit keys.
//!
//! A node is a tagged pointer to one of two immutable structs. Keeping leaves and branches in
//! separate allocations keeps branches small (72 bytes of payload), which matters because a trie
//! of `n` keys has `n - 1` of them. Branches are shared between versions through `Arc`. Leaves
//! are boxed, not reference counted: a leaf is as cheap to copy (96 bytes, hash included, no
//! rehash) as to share, only leaves next to a changed path are ever copied, and dropping the
//! `Arc` counts brings a leaf's allocation from 128 to 112 bytes, 16 bytes per key.

use std::sync::{Arc, LazyLock};

use flux_core::Hash;
use flux_core::hash::Tag;

/// Domain of leaf hashes: `leaf = H_LEAF(key ‖ value_hash)`.
pub const LEAF_TAG: &str = "flux/trie/leaf/v1";
/// Domain of branch hashes: `node = H_NODE(bit_index as u16 LE ‖ left_hash ‖ right_hash)`.
pub const NODE_TAG: &str = "flux/trie/node/v1";
/// The root of the empty trie: the all-zero hash, which no leaf or branch hash can equal
/// (it would be a BLAKE3 preimage of zero).
pub const EMPTY_ROOT: Hash = Hash::ZERO;

static LEAF: LazyLock<Tag> = LazyLock::new(|| Tag::new(LEAF_TAG));
static NODE: LazyLock<Tag> = LazyLock::new(|| Tag::new(NODE_TAG));

/// Number of bits in a key, hence the largest possible number of branches on a path.
pub const KEY_BITS: usize = 256;

/// The hash of a leaf holding `value` under `key` (64 bytes: one BLAKE3 compression).
///
/// Fed piece by piece to the domain's prepared hasher: no concatenation is built. (Hashing a
/// stack buffer in one shot measured the same, within 2%; see `trie/hash/*` in the benches.)
pub(crate) fn leaf_hash(key: &Hash, value: &Hash) -> Hash {
    let mut hasher = LEAF.hasher();
    hasher.update(key.as_bytes()).update(value.as_bytes());
    hasher.finalize()
}

/// The hash of a branch testing `bit` with children hashing to `left` and `right`
/// (66 bytes: two BLAKE3 compressions).
pub(crate) fn node_hash(bit: u8, left: &Hash, right: &Hash) -> Hash {
    let mut hasher = NODE.hasher();
    hasher
        .update(&u16::from(bit).to_le_bytes())
        .update(left.as_bytes())
        .update(right.as_bytes());
    hasher.finalize()
}

/// Bit `index` of `key`, MSB-first over the key bytes: `false` goes left, `true` right.
/// `index` must be below 256 (callers check untrusted indices first).
#[inline]
pub(crate) fn bit(key: &Hash, index: u8) -> bool {
    let i = usize::from(index);
    (key.as_bytes()[i / 8] >> (7 - i % 8)) & 1 == 1
}

/// The index of the first bit at which `a` and `b` differ, or `None` if they are equal.
#[inline]
pub(crate) fn first_difference(a: &Hash, b: &Hash) -> Option<u8> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for word in 0..4 {
        let mut x = [0u8; 8];
        let mut y = [0u8; 8];
        x.copy_from_slice(&a[word * 8..word * 8 + 8]);
        y.copy_from_slice(&b[word * 8..word * 8 + 8]);
        let diff = u64::from_be_bytes(x) ^ u64::from_be_bytes(y);
        if diff != 0 {
            // word * 64 + leading_zeros < 256, so the cast is exact.
            return Some((word as u32 * 64 + diff.leading_zeros()) as u8);
        }
    }
    None
}

/// An immutable leaf: a key, its value hash, and the leaf's own hash.
#[derive(Clone, Debug)]
pub(crate) struct Leaf {
    pub(crate) key: Hash,
    pub(crate) value: Hash,
    pub(crate) hash: Hash,
}

/// An immutable branch: both subtrees agree on all bits before `bit` and differ at `bit`
/// (left has 0, right has 1). Its hash is computed once, at construction.
#[derive(Debug)]
pub(crate) struct Branch {
    pub(crate) hash: Hash,
    pub(crate) left: Node,
    pub(crate) right: Node,
    pub(crate) bit: u8,
}

/// A leaf or a shared branch (16 bytes). Cloning bumps a branch's reference count or copies
/// a leaf.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Leaf(Box<Leaf>),
    Branch(Arc<Branch>),
}

impl Node {
    /// A new leaf, hashed.
    pub(crate) fn leaf(key: Hash, value: Hash) -> Node {
        Node::Leaf(Box::new(Leaf {
            key,
            value,
            hash: leaf_hash(&key, &value),
        }))
    }

    /// A new branch at `bit` over `left` and `right`, hashed. The caller guarantees the shape
    /// invariant (every key of `left` has a 0 at `bit`, every key of `right` a 1, all agree
    /// before `bit`, and each child's own bit, if a branch, is greater).
    pub(crate) fn branch(bit: u8, left: Node, right: Node) -> Node {
        let hash = node_hash(bit, left.hash(), right.hash());
        Node::Branch(Arc::new(Branch {
            hash,
            left,
            right,
            bit,
        }))
    }

    /// The cached hash of this node.
    #[inline]
    pub(crate) fn hash(&self) -> &Hash {
        match self {
            Node::Leaf(leaf) => &leaf.hash,
            Node::Branch(branch) => &branch.hash,
        }
    }

    /// Whether `self` is `other` unchanged: the same branch, or a leaf with the same entry.
    #[inline]
    pub(crate) fn same_as(&self, other: &Node) -> bool {
        match (self, other) {
            (Node::Leaf(a), Node::Leaf(b)) => a.key == b.key && a.value == b.value,
            (Node::Branch(a), Node::Branch(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The leaf reached from `self` by following the bits of `key` (a key of this subtree
    /// when `key` is in it; otherwise the nearest one along `key`'s path).
    pub(crate) fn descend(&self, key: &Hash) -> &Leaf {
        let mut node = self;
        loop {
            match node {
                Node::Leaf(leaf) => return leaf,
                Node::Branch(branch) => {
                    node = if bit(key, branch.bit) {
                        &branch.right
                    } else {
                        &branch.left
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::hash::Hasher;

    fn key(bytes: &[(usize, u8)]) -> Hash {
        let mut k = [0u8; 32];
        for &(i, b) in bytes {
            k[i] = b;
        }
        Hash::from_bytes(k)
    }

    #[test]
    fn hashes_match_the_documented_preimages() {
        let (k, v) = (Hash::digest(b"k"), Hash::digest(b"v"));
        let mut h = Hasher::new(LEAF_TAG);
        h.update(k.as_bytes()).update(v.as_bytes());
        assert_eq!(leaf_hash(&k, &v), h.finalize());

        let mut h = Hasher::new(NODE_TAG);
        h.update(&200u16.to_le_bytes())
            .update(k.as_bytes())
            .update(v.as_bytes());
        assert_eq!(node_hash(200, &k, &v), h.finalize());
        assert_ne!(node_hash(1, &k, &v), node_hash(2, &k, &v));
    }

    #[test]
    fn bits_are_msb_first() {
        let k = key(&[(0, 0b1000_0000), (31, 0b0000_0001)]);
        assert!(bit(&k, 0));
        assert!(!bit(&k, 1));
        assert!(bit(&k, 255));
        assert!(!bit(&k, 254));
    }

    #[test]
    fn first_difference_finds_the_first_bit() {
        let z = Hash::ZERO;
        assert_eq!(first_difference(&z, &z), None);
        assert_eq!(first_difference(&z, &key(&[(0, 0x80)])), Some(0));
        assert_eq!(first_difference(&z, &key(&[(8, 0x01)])), Some(71));
        assert_eq!(first_difference(&z, &key(&[(31, 0x01)])), Some(255));
        assert_eq!(
            first_difference(&key(&[(20, 0x10), (30, 1)]), &key(&[(20, 0x10)])),
            Some(30 * 8 + 7)
        );
    }
}
