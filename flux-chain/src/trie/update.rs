//! The batch update: one recursive pass over sorted, de-duplicated changes.
//!
//! `apply` walks the old trie and the change list together, splitting the changes at each
//! branch by the branch's bit, so every new branch is built and hashed exactly once per batch
//! and every subtree no change reaches is shared, not copied or visited.
//!
//! A PATRICIA branch skips bits: its keys agree on all bits before its own, but the branches
//! above it only tested some of those. A change that reached a branch by following the tested
//! bits may still differ from the branch's keys at a skipped bit; it then belongs *beside* the
//! branch, not below it. Deciding this needs one key of the branch's subtree (its
//! "representative"). Storing one in every branch would cost 32 bytes per key, so instead the
//! batch first finds, for every change, the leaf its bits lead to (`descend_all`, walks run in
//! lockstep so their cache misses overlap); the leaf of the first change that reaches a branch
//! is a key of that branch.

use flux_core::Hash;
use std::cmp::Ordering;

use super::node::{Branch, Leaf, Node, bit, first_difference};

/// One change: insert or replace (`Some(value_hash)`) or remove (`None`).
pub(crate) type Change = (Hash, Option<Hash>);

/// How many leaves a batch added and removed (the trie's length changes by the difference).
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) added: usize,
    pub(crate) removed: usize,
}

/// An existing subtree placed among new leaves, with one key that shares its prefix.
struct Block {
    node: Node,
    rep: Hash,
}

/// Sorts `changes` by key and keeps only the last change of each key.
pub(crate) fn normalize(changes: &mut Vec<Change>) {
    // A stable sort keeps equal keys in input order, so the last one of a run is the last given.
    changes.sort_by_key(|c| c.0);
    changes.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            earlier.1 = later.1;
            true
        } else {
            false
        }
    });
}

/// Applies sorted, de-duplicated `changes` to the trie rooted at `root`.
pub(crate) fn apply_root(
    root: Option<&Node>,
    changes: &[Change],
    counts: &mut Counts,
) -> Option<Node> {
    match (root, changes.is_empty()) {
        (root, true) => root.cloned(),
        (None, false) => build(changes, None, &[], counts),
        (Some(node), false) => {
            let reps = descend_all(node, changes);
            apply(node, changes, &reps, counts)
        }
    }
}

/// How many descents `descend_all` runs side by side.
const LANES: usize = 16;

/// For each change, the key of the leaf its bits lead to from `root`.
///
/// The walks run `LANES` at a time in lockstep: their node loads are independent, so their cache
/// misses overlap instead of queueing one after another, and the nodes the recursion visits
/// next are then in cache. (This is most of the memory traffic of a batch: a block's changes
/// reach about as many distinct deep nodes as they are, all cold.)
fn descend_all(root: &Node, changes: &[Change]) -> Vec<Hash> {
    let mut reps = Vec::with_capacity(changes.len());
    for group in changes.chunks(LANES) {
        let mut at: [&Node; LANES] = [root; LANES];
        let mut moving = true;
        while moving {
            moving = false;
            for (node, change) in at.iter_mut().zip(group) {
                if let Node::Branch(branch) = node {
                    *node = if bit(&change.0, branch.bit) {
                        &branch.right
                    } else {
                        &branch.left
                    };
                    moving = true;
                }
            }
        }
        reps.extend(
            at.iter()
                .zip(group)
                .map(|(node, change)| node.descend(&change.0).key),
        );
    }
    reps
}

/// Applies non-empty `changes` to the subtree `node`. `reps[i]` is the leaf `changes[i]`'s bits
/// lead to; as `changes[0]` reached `node` along its own bits, `reps[0]` is a key of `node`.
fn apply(node: &Node, changes: &[Change], reps: &[Hash], counts: &mut Counts) -> Option<Node> {
    match node {
        Node::Leaf(leaf) => apply_leaf(node, leaf, changes, counts),
        Node::Branch(branch) => apply_branch(node, branch, changes, reps, counts),
    }
}

fn apply_leaf(node: &Node, leaf: &Leaf, changes: &[Change], counts: &mut Counts) -> Option<Node> {
    let unchanged = || {
        Some(Block {
            node: node.clone(),
            rep: leaf.key,
        })
    };
    match changes.binary_search_by(|c| c.0.cmp(&leaf.key)) {
        Err(at) => build(&changes[..at], unchanged(), &changes[at..], counts),
        Ok(at) => match changes[at].1 {
            Some(value) if value == leaf.value => {
                build(&changes[..at], unchanged(), &changes[at + 1..], counts)
            }
            Some(_) => {
                // Replaced: the new leaf is built (and counted as added) with the others.
                counts.removed += 1;
                build(changes, None, &[], counts)
            }
            None => {
                counts.removed += 1;
                build(&changes[..at], None, &changes[at + 1..], counts)
            }
        },
    }
}

fn apply_branch(
    node: &Node,
    branch: &Branch,
    changes: &[Change],
    reps: &[Hash],
    counts: &mut Counts,
) -> Option<Node> {
    let at = branch.bit;
    let Some(rep) = reps.first() else {
        return Some(node.clone());
    };
    // Changes that differ from the branch's keys before `at` sort before or after all of them.
    let (start, end) = split_by_prefix(changes, rep, at);
    let (mid, mid_reps) = (&changes[start..end], &reps[start..end]);

    let result = if mid.is_empty() {
        Some(node.clone())
    } else {
        let split = mid.partition_point(|c| !bit(&c.0, at));
        let left = apply_child(&branch.left, &mid[..split], &mid_reps[..split], counts);
        let right = apply_child(&branch.right, &mid[split..], &mid_reps[split..], counts);
        match (left, right) {
            (Some(l), Some(r)) if l.same_as(&branch.left) && r.same_as(&branch.right) => {
                Some(node.clone())
            }
            (Some(l), Some(r)) => Some(Node::branch(at, l, r)),
            // A branch left with one child collapses into it.
            (Some(only), None) | (None, Some(only)) => Some(only),
            (None, None) => None,
        }
    };
    if start == 0 && end == changes.len() {
        return result;
    }
    // `rep` still shares the prefix of every key left in `result`, all that `build` looks at.
    let block = result.map(|node| Block { node, rep: *rep });
    build(&changes[..start], block, &changes[end..], counts)
}

/// Applies `changes` (possibly none) to `child`.
fn apply_child(
    child: &Node,
    changes: &[Change],
    reps: &[Hash],
    counts: &mut Counts,
) -> Option<Node> {
    if changes.is_empty() {
        Some(child.clone())
    } else {
        apply(child, changes, reps, counts)
    }
}

/// Splits sorted `changes` at the bounds of those whose first `bits` bits equal `rep`'s: before
/// `start` they sort below, from `end` above.
fn split_by_prefix(changes: &[Change], rep: &Hash, bits: u8) -> (usize, usize) {
    let order = |key: &Hash| match first_difference(key, rep) {
        Some(d) if d < bits => {
            if bit(key, d) {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        _ => Ordering::Equal,
    };
    // Fast path: almost always every change is inside the branch.
    let first_inside = changes
        .first()
        .is_none_or(|c| order(&c.0) == Ordering::Equal);
    let last_inside = changes
        .last()
        .is_none_or(|c| order(&c.0) == Ordering::Equal);
    if first_inside && last_inside {
        return (0, changes.len());
    }
    let start = changes.partition_point(|c| order(&c.0) == Ordering::Less);
    let end = changes.partition_point(|c| order(&c.0) != Ordering::Greater);
    (start, end)
}

/// Drops removals from both ends of `changes`: they name keys that are not in the trie
/// (removals of present keys never reach `build`), so they are no-ops.
fn trim(changes: &[Change]) -> &[Change] {
    let start = changes.iter().position(|c| c.1.is_some());
    let end = changes.iter().rposition(|c| c.1.is_some());
    match (start, end) {
        (Some(s), Some(e)) => &changes[s..=e],
        _ => &[],
    }
}

/// Builds the subtree of the inserts in `lo`, then `block`, then the inserts in `hi` (sorted, in
/// that order, all distinct, and none of `lo`/`hi` inside `block`).
fn build(lo: &[Change], block: Option<Block>, hi: &[Change], counts: &mut Counts) -> Option<Node> {
    let (lo, hi) = (trim(lo), trim(hi));
    let first = lo.first().map(|c| &c.0).or(block.as_ref().map(|b| &b.rep));
    let first = first.or(hi.first().map(|c| &c.0))?;
    let last = hi.last().map(|c| &c.0).or(block.as_ref().map(|b| &b.rep));
    let last = last.or(lo.last().map(|c| &c.0))?;
    let Some(at) = first_difference(first, last) else {
        // A single item: the block itself, or one new leaf.
        return match (block, lo.first().or(hi.first())) {
            (Some(block), _) => Some(block.node),
            (None, Some(&(key, Some(value)))) => {
                counts.added += 1;
                Some(Node::leaf(key, value))
            }
            (None, _) => None,
        };
    };
    let lo_split = lo.partition_point(|c| !bit(&c.0, at));
    let hi_split = hi.partition_point(|c| !bit(&c.0, at));
    let (block_left, block_right) = match block {
        Some(b) if bit(&b.rep, at) => (None, Some(b)),
        b => (b, None),
    };
    let left = build(&lo[..lo_split], block_left, &hi[..hi_split], counts);
    let right = build(&lo[lo_split..], block_right, &hi[hi_split..], counts);
    match (left, right) {
        (Some(l), Some(r)) => Some(Node::branch(at, l, r)),
        // Unreachable (the first item goes left, the last right) but harmless.
        (Some(only), None) | (None, Some(only)) => Some(only),
        (None, None) => None,
    }
}
