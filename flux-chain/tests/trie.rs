//! Property tests of the state trie against a BTreeMap model and an independent reference root.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use flux_chain::testkit::strategies::trie::{batches, key, value, wrong_value};
use flux_chain::trie::{EMPTY_ROOT, LEAF_TAG, NODE_TAG, Proof, ProofEnd, ProofStep, Trie};
use flux_core::hash::Hasher;
use flux_core::{Hash, codec};
use proptest::prelude::*;

type Model = BTreeMap<Hash, Hash>;
type Batch = Vec<(Hash, Option<Hash>)>;

fn bit(key: &Hash, i: usize) -> bool {
    key.as_bytes()[i / 8] >> (7 - i % 8) & 1 == 1
}

/// The root of `model` built from scratch straight from the documented hash formats.
fn reference_root(model: &Model) -> Hash {
    fn build(entries: &[(Hash, Hash)]) -> Hash {
        match entries {
            [] => EMPTY_ROOT,
            [(k, v)] => {
                let mut h = Hasher::new(LEAF_TAG);
                h.update(k.as_bytes()).update(v.as_bytes());
                h.finalize()
            }
            [(first, _), .., (last, _)] => {
                let at = (0..256).find(|&i| bit(first, i) != bit(last, i)).unwrap();
                let split = entries.iter().position(|(k, _)| bit(k, at)).unwrap();
                let mut h = Hasher::new(NODE_TAG);
                h.update(&(at as u16).to_le_bytes())
                    .update(build(&entries[..split]).as_bytes())
                    .update(build(&entries[split..]).as_bytes());
                h.finalize()
            }
        }
    }
    build(&model.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>())
}

fn apply_to_model(model: &mut Model, batch: &Batch) {
    for (k, v) in batch {
        match v {
            Some(v) => model.insert(*k, *v),
            None => model.remove(k),
        };
    }
}

fn trie_of(model: &Model) -> Trie {
    model.iter().map(|(k, v)| (*k, *v)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn batches_agree_with_the_model_and_leave_old_versions_alone(batches in batches()) {
        let mut model = Model::new();
        let mut trie = Trie::new();
        for batch in &batches {
            let old = trie.clone();
            let old_model = model.clone();
            trie = trie.update(batch.clone());
            apply_to_model(&mut model, batch);

            prop_assert_eq!(trie.root(), reference_root(&model));
            prop_assert_eq!(trie.len(), model.len());
            prop_assert_eq!(trie.is_empty(), model.is_empty());
            prop_assert!(trie.iter().eq(model.iter().map(|(k, v)| (*k, *v))));
            for i in 0..96 {
                prop_assert_eq!(trie.get(&key(i)), model.get(&key(i)).copied());
            }
            // Persistence: the old version still holds exactly the old entries.
            prop_assert_eq!(old.root(), reference_root(&old_model));
            prop_assert!(old.iter().eq(old_model.iter().map(|(k, v)| (*k, *v))));
        }
    }

    #[test]
    fn root_depends_only_on_the_final_set(
        entries in prop::collection::btree_map(0u8..96, any::<u8>(), 0..60),
        order in any::<u64>(),
        batch_size in 1usize..20,
    ) {
        let model: Model = entries.iter().map(|(k, v)| (key(*k), value(*v))).collect();
        let mut shuffled: Vec<_> = model.iter().map(|(k, v)| (*k, Some(*v))).collect();
        // A deterministic shuffle from the seed.
        let mut s = order | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let mut trie = Trie::new();
        for chunk in shuffled.chunks(batch_size) {
            trie = trie.update(chunk.to_vec());
        }
        prop_assert_eq!(trie.root(), reference_root(&model));
        prop_assert_eq!(trie.root(), trie_of(&model).root());
    }

    #[test]
    fn proofs_verify_exactly_the_true_statements(
        entries in prop::collection::btree_map(0u8..96, any::<u8>(), 0..60),
        extra in 0u8..96,
    ) {
        let model: Model = entries.iter().map(|(k, v)| (key(*k), value(*v))).collect();
        let trie = trie_of(&model);
        let root = trie.root();
        let other_root = trie.update([(key(extra), Some(wrong_value()))]).root();
        for i in 0..96 {
            let k = key(i);
            let proof = trie.prove(&k);
            match model.get(&k) {
                Some(v) => {
                    prop_assert!(proof.verify(&root, &k, Some(v)).is_ok());
                    prop_assert!(proof.verify(&root, &k, Some(&wrong_value())).is_err());
                    prop_assert!(proof.verify(&root, &k, None).is_err());
                    if other_root != root {
                        prop_assert!(proof.verify(&other_root, &k, Some(v)).is_err());
                    }
                }
                None => {
                    prop_assert!(proof.verify(&root, &k, None).is_ok());
                    prop_assert!(proof.verify(&root, &k, Some(&value(1))).is_err());
                    if other_root != root {
                        prop_assert!(proof.verify(&other_root, &k, None).is_err());
                    }
                }
            }
            // The proof is for this key only: it proves nothing false about the others.
            for j in 0..96 {
                let other = key(j);
                let truth = model.get(&other).copied();
                if proof.verify(&root, &other, None).is_ok() {
                    prop_assert!(truth.is_none());
                }
                for claimed in [wrong_value(), truth.unwrap_or(value(0))] {
                    if proof.verify(&root, &other, Some(&claimed)).is_ok() {
                        prop_assert_eq!(truth, Some(claimed));
                    }
                }
            }
            let bytes = codec::encode(&proof).unwrap();
            prop_assert_eq!(codec::decode::<Proof>(&bytes).unwrap(), proof);
        }
    }

    #[test]
    fn mutated_proofs_never_verify(
        entries in prop::collection::btree_map(0u8..96, any::<u8>(), 1..60),
        target in 0u8..96,
        mutation in 0u8..8,
        position in any::<usize>(),
        noise in any::<[u8; 32]>(),
    ) {
        let model: Model = entries.iter().map(|(k, v)| (key(*k), value(*v))).collect();
        let trie = trie_of(&model);
        let root = trie.root();
        let k = key(target);
        let claim = model.get(&k);
        let good = trie.prove(&k);
        let mut bad = good.clone();
        let n = bad.path.len();
        let noise = Hash::from_bytes(noise);
        match mutation {
            0 if n > 0 => bad.path[position % n].sibling = noise,
            1 if n > 0 => bad.path[position % n].bit = u16::from(noise.as_bytes()[0]),
            2 if n > 0 => { bad.path.remove(position % n); }
            3 => bad.path.insert(position % (n + 1), ProofStep { bit: u16::from(noise.as_bytes()[1]), sibling: noise }),
            4 => bad.end = ProofEnd::Divergent { key: noise, value: noise },
            5 => bad.end = ProofEnd::Member,
            6 => bad.end = ProofEnd::Empty,
            _ => if n > 1 { bad.path.swap(position % n, (position / 7) % n) },
        }
        if bad == good {
            prop_assert!(bad.verify(&root, &k, claim).is_ok());
        } else {
            prop_assert!(bad.verify(&root, &k, claim).is_err());
        }
        // The false claim never verifies, mutated or not.
        let false_claim = if claim.is_some() { None } else { Some(value(0)) };
        prop_assert!(bad.verify(&root, &k, false_claim.as_ref()).is_err());
        prop_assert!(good.verify(&root, &k, false_claim.as_ref()).is_err());
    }

    #[test]
    fn arbitrary_bytes_decode_to_proofs_that_do_not_verify(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        root in any::<[u8; 32]>(),
        key in any::<[u8; 32]>(),
    ) {
        let (root, key) = (Hash::from_bytes(root), Hash::from_bytes(key));
        if let Ok(proof) = codec::decode::<Proof>(&bytes) {
            prop_assert_eq!(codec::encode(&proof).unwrap(), bytes);
            prop_assert!(proof.verify(&root, &key, None).is_err() || root == EMPTY_ROOT);
            prop_assert!(proof.verify(&root, &key, Some(&root)).is_err());
        }
    }

    #[test]
    fn random_proofs_do_not_verify(
        steps in prop::collection::vec((any::<u16>(), any::<[u8; 32]>()), 0..300),
        end in 0u8..3,
        other in any::<[u8; 32]>(),
        root in any::<[u8; 32]>(),
        key in any::<[u8; 32]>(),
    ) {
        let (root, key, other) = (Hash::from_bytes(root), Hash::from_bytes(key), Hash::from_bytes(other));
        let proof = Proof {
            path: steps.into_iter().map(|(bit, s)| ProofStep { bit: bit % 300, sibling: Hash::from_bytes(s) }).collect(),
            end: match end { 0 => ProofEnd::Empty, 1 => ProofEnd::Member, _ => ProofEnd::Divergent { key: other, value: other } },
        };
        prop_assert!(proof.verify(&root, &key, None).is_err());
        prop_assert!(proof.verify(&root, &key, Some(&other)).is_err());
    }
}

#[test]
fn an_oversized_decoded_proof_fails_fast() {
    let proof = Proof {
        path: (0..100_000u32)
            .map(|i| ProofStep {
                bit: (i % 256) as u16,
                sibling: Hash::ZERO,
            })
            .collect(),
        end: ProofEnd::Member,
    };
    let bytes = codec::encode(&proof).unwrap();
    let decoded: Proof = codec::decode(&bytes).unwrap();
    let err = decoded
        .verify(&Hash::ZERO, &Hash::ZERO, Some(&Hash::ZERO))
        .unwrap_err();
    assert_eq!(
        err,
        flux_chain::trie::ProofError::TooLong {
            steps: 100_000,
            max: 256
        }
    );
}

#[test]
fn many_keys_in_many_batches_match_one_batch() {
    let key = |n: u32| Hash::tagged("flux/test/key/v1", &n.to_le_bytes());
    let value = |n: u32| Hash::tagged("flux/test/value/v1", &n.to_le_bytes());
    let all = Trie::new().update((0..20_000).map(|n| (key(n), Some(value(n)))));
    let mut incremental = Trie::new();
    for chunk in (0..25_000u32).collect::<Vec<_>>().chunks(1_000) {
        incremental = incremental.update(chunk.iter().map(|&n| (key(n), Some(value(n)))));
    }
    incremental = incremental.update((20_000..25_000).map(|n| (key(n), None)));
    assert_eq!(incremental.root(), all.root());
    assert_eq!(incremental.len(), 20_000);
    let model: Model = (0..20_000).map(|n| (key(n), value(n))).collect();
    assert_eq!(all.root(), reference_root(&model));
}
