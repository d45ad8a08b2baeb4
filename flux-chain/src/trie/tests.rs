//! Unit tests of the trie: fixed shapes, collapse, sharing, proofs of edge cases.

use std::collections::BTreeMap;

use super::node::{first_difference, leaf_hash, node_hash};
use super::*;

fn key(n: u32) -> Hash {
    Hash::tagged("flux/test/key/v1", &n.to_le_bytes())
}

fn value(n: u32) -> Hash {
    Hash::tagged("flux/test/value/v1", &n.to_le_bytes())
}

/// A key with the given first byte and zeros elsewhere (to force specific shapes).
fn raw(first: u8, last: u8) -> Hash {
    let mut k = [0u8; 32];
    k[0] = first;
    k[31] = last;
    Hash::from_bytes(k)
}

/// The root of `entries` built from scratch, the obvious recursive way.
fn reference_root(entries: &BTreeMap<Hash, Hash>) -> Hash {
    fn build(entries: &[(Hash, Hash)]) -> Hash {
        match entries {
            [] => EMPTY_ROOT,
            [(k, v)] => leaf_hash(k, v),
            [(first, _), .., (last, _)] => {
                let at = first_difference(first, last).unwrap();
                let split = entries.partition_point(|(k, _)| !bit(k, at));
                node_hash(at, &build(&entries[..split]), &build(&entries[split..]))
            }
        }
    }
    build(&entries.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>())
}

/// Checks the structural invariants of every node: bits strictly increase downwards, both
/// children are present, keys on each side follow the bit, and cached hashes are right.
fn check_shape(trie: &Trie) {
    fn walk(node: &Node, above: Option<u8>, path: &mut Vec<(u8, bool)>) -> (Hash, usize) {
        match node {
            Node::Leaf(leaf) => {
                for &(b, side) in path.iter() {
                    assert_eq!(bit(&leaf.key, b), side, "leaf on the wrong side of bit {b}");
                }
                assert_eq!(leaf.hash, leaf_hash(&leaf.key, &leaf.value));
                (leaf.key, 1)
            }
            Node::Branch(branch) => {
                assert!(above.is_none_or(|a| a < branch.bit), "bit order");
                path.push((branch.bit, false));
                let (left_key, l) = walk(&branch.left, Some(branch.bit), path);
                path.pop();
                path.push((branch.bit, true));
                let (right_key, r) = walk(&branch.right, Some(branch.bit), path);
                path.pop();
                // Both sides agree before the branch's bit.
                assert_eq!(first_difference(&left_key, &right_key), Some(branch.bit));
                let expect = node_hash(branch.bit, branch.left.hash(), branch.right.hash());
                assert_eq!(branch.hash, expect);
                (left_key, l + r)
            }
        }
    }
    if let Some(root) = &trie.root {
        let (_, leaves) = walk(root, None, &mut Vec::new());
        assert_eq!(leaves, trie.len());
    } else {
        assert_eq!(trie.len(), 0);
    }
}

#[test]
fn empty_trie() {
    let trie = Trie::new();
    assert_eq!(trie.root(), EMPTY_ROOT);
    assert!(trie.is_empty());
    assert_eq!(trie.get(&key(0)), None);
    assert_eq!(trie.iter().count(), 0);
    let proof = trie.prove(&key(0));
    assert_eq!(proof.end, ProofEnd::Empty);
    proof.verify(&EMPTY_ROOT, &key(0), None).unwrap();
    assert_eq!(
        proof.verify(&EMPTY_ROOT, &key(0), Some(&value(0))),
        Err(ProofError::KeyAbsent)
    );
    // Removing from an empty trie is a no-op.
    assert_eq!(trie.update([(key(1), None)]).root(), EMPTY_ROOT);
}

#[test]
fn single_leaf_root_is_the_leaf_hash() {
    let trie = Trie::new().update([(key(1), Some(value(1)))]);
    assert_eq!(trie.root(), leaf_hash(&key(1), &value(1)));
    assert_eq!(trie.len(), 1);
    let proof = trie.prove(&key(1));
    assert_eq!(proof.depth(), 0);
    proof
        .verify(&trie.root(), &key(1), Some(&value(1)))
        .unwrap();
    let absent = trie.prove(&key(2));
    absent.verify(&trie.root(), &key(2), None).unwrap();
}

#[test]
fn fixed_shape_of_three_keys() {
    // 0x00.., 0x01.. differ at bit 7; both differ from 0x80.. at bit 0.
    let (a, b, c) = (raw(0x00, 0), raw(0x01, 0), raw(0x80, 0));
    let trie = Trie::new().update([
        (c, Some(value(3))),
        (a, Some(value(1))),
        (b, Some(value(2))),
    ]);
    let inner = node_hash(7, &leaf_hash(&a, &value(1)), &leaf_hash(&b, &value(2)));
    let root = node_hash(0, &inner, &leaf_hash(&c, &value(3)));
    assert_eq!(trie.root(), root);
    let proof = trie.prove(&b);
    assert_eq!(
        proof.path.iter().map(|s| s.bit).collect::<Vec<_>>(),
        vec![0, 7]
    );
    check_shape(&trie);

    // Removing `a` collapses its parent: the root now joins b and c directly.
    let removed = trie.update([(a, None)]);
    assert_eq!(
        removed.root(),
        node_hash(0, &leaf_hash(&b, &value(2)), &leaf_hash(&c, &value(3)))
    );
    check_shape(&removed);
    // Removing everything gives the empty trie.
    assert_eq!(removed.update([(b, None), (c, None)]).root(), EMPTY_ROOT);
}

#[test]
fn insert_at_a_skipped_bit_goes_beside_the_branch() {
    // a, b differ only in the last byte; the branch above them skips 255 bits. d differs from
    // both at bit 1, which no branch tests: it must become a sibling of the whole branch.
    let (a, b, d) = (raw(0x00, 0), raw(0x00, 1), raw(0x40, 0));
    let trie = Trie::new().update([(a, Some(value(1))), (b, Some(value(2)))]);
    let trie = trie.update([(d, Some(value(4)))]);
    check_shape(&trie);
    let mut model = BTreeMap::new();
    model.insert(a, value(1));
    model.insert(b, value(2));
    model.insert(d, value(4));
    assert_eq!(trie.root(), reference_root(&model));
    // And below and above a branch in the same batch.
    let (e, f) = (raw(0x00, 0x80), raw(0xff, 0));
    let trie = trie.update([(f, Some(value(6))), (e, Some(value(5)))]);
    model.insert(e, value(5));
    model.insert(f, value(6));
    check_shape(&trie);
    assert_eq!(trie.root(), reference_root(&model));
}

#[test]
fn last_change_of_a_key_wins() {
    let trie = Trie::new().update([
        (key(1), Some(value(1))),
        (key(1), None),
        (key(2), None),
        (key(2), Some(value(2))),
        (key(3), Some(value(3))),
        (key(3), Some(value(4))),
    ]);
    assert_eq!(trie.get(&key(1)), None);
    assert_eq!(trie.get(&key(2)), Some(value(2)));
    assert_eq!(trie.get(&key(3)), Some(value(4)));
    assert_eq!(trie.len(), 2);
}

#[test]
fn batches_match_the_reference_and_share_untouched_nodes() {
    let mut model = BTreeMap::new();
    let mut trie = Trie::new();
    for round in 0..20u32 {
        let changes: Vec<_> = (0..50u32)
            .map(|i| {
                let n = (round * 37 + i * 11) % 400;
                let v = (i + round) % 5 != 0;
                (key(n), v.then(|| value(n + round)))
            })
            .collect();
        let before = trie.clone();
        let before_root = before.root();
        trie = trie.update(changes.clone());
        for (k, v) in changes {
            match v {
                Some(v) => model.insert(k, v),
                None => model.remove(&k),
            };
        }
        assert_eq!(before.root(), before_root, "old version changed");
        assert_eq!(trie.root(), reference_root(&model), "round {round}");
        assert_eq!(trie.len(), model.len());
        check_shape(&trie);
        assert!(trie.iter().eq(model.iter().map(|(k, v)| (*k, *v))));
    }
    // A batch that changes nothing returns the very same root node.
    let present = *model.keys().next().unwrap();
    let same = trie.update([(present, Some(model[&present])), (key(10_000), None)]);
    assert!(
        same.root
            .as_ref()
            .unwrap()
            .same_as(trie.root.as_ref().unwrap())
    );
}

#[test]
fn proofs_of_members_and_absent_keys() {
    let trie: Trie = (0..300u32).map(|n| (key(n), value(n))).collect();
    let root = trie.root();
    for n in 0..300u32 {
        let proof = trie.prove(&key(n));
        assert!(proof.is_membership());
        proof.verify(&root, &key(n), Some(&value(n))).unwrap();
        assert!(proof.verify(&root, &key(n), Some(&value(n + 1))).is_err());
        assert_eq!(
            proof.verify(&root, &key(n), None),
            Err(ProofError::KeyPresent)
        );
    }
    for n in 300..400u32 {
        let proof = trie.prove(&key(n));
        assert!(!proof.is_membership());
        proof.verify(&root, &key(n), None).unwrap();
        assert_eq!(
            proof.verify(&root, &key(n), Some(&value(n))),
            Err(ProofError::KeyAbsent)
        );
        // An absence proof of one key cannot show a present key absent.
        assert!(proof.verify(&root, &key(n - 300), None).is_err());
    }
}

#[test]
fn malformed_proofs_are_rejected_by_rule() {
    let trie: Trie = (0..64u32).map(|n| (key(n), value(n))).collect();
    let root = trie.root();
    let k = key(5);
    let good = trie.prove(&k);
    assert!(good.depth() >= 2);

    let mut swapped = good.clone();
    swapped.path.swap(0, 1);
    assert!(matches!(
        swapped.verify(&root, &k, Some(&value(5))),
        Err(ProofError::BitOrder { index: 1, .. })
    ));

    let mut out_of_range = good.clone();
    out_of_range.path[0].bit = 256;
    assert!(matches!(
        out_of_range.verify(&root, &k, Some(&value(5))),
        Err(ProofError::BitOutOfRange { index: 0, bit: 256 })
    ));

    let long = Proof {
        path: vec![good.path[0]; 257],
        end: ProofEnd::Member,
    };
    assert_eq!(
        long.verify(&root, &k, Some(&value(5))),
        Err(ProofError::TooLong {
            steps: 257,
            max: 256
        })
    );

    let self_divergent = Proof {
        path: good.path.clone(),
        end: ProofEnd::Divergent {
            key: k,
            value: value(5),
        },
    };
    assert_eq!(
        self_divergent.verify(&root, &k, None),
        Err(ProofError::NotDivergent)
    );

    // A leaf from elsewhere in the trie does not follow k's path.
    let elsewhere = (0..64u32)
        .map(key)
        .find(|other| {
            !good
                .path
                .iter()
                .all(|s| bit(other, s.bit as u8) == bit(&k, s.bit as u8))
        })
        .unwrap();
    let off_path = Proof {
        path: good.path.clone(),
        end: ProofEnd::Divergent {
            key: elsewhere,
            value: value(0),
        },
    };
    assert!(matches!(
        off_path.verify(&root, &k, None),
        Err(ProofError::KeyDiverges { .. })
    ));

    let empty_with_steps = Proof {
        path: good.path.clone(),
        end: ProofEnd::Empty,
    };
    assert!(matches!(
        empty_with_steps.verify(&root, &k, None),
        Err(ProofError::EmptyWithSteps { .. })
    ));

    let mut wrong_sibling = good.clone();
    wrong_sibling.path[1].sibling = Hash::ZERO;
    assert!(matches!(
        wrong_sibling.verify(&root, &k, Some(&value(5))),
        Err(ProofError::RootMismatch { .. })
    ));
}
