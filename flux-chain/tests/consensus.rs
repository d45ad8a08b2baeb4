//! The consensus core: committee sampling and proposer rotation, the vote keeper, commit
//! certificates (property tests). The multi-validator scenarios are in `consensus_scenarios.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use flux_chain::block::BlockId;
use flux_chain::consensus::ConsensusError;
use flux_chain::consensus::certificate::CommitCertificate;
use flux_chain::consensus::committee::{Committee, Member, sample_without_replacement};
use flux_chain::consensus::types::{SignedVote, Vote, VoteKind};
use flux_chain::consensus::votes::{AddOutcome, VoteKeeper};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::params::Ratio;
use flux_core::{Address, ChainId, ChainParams, Hash, Tier};
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::{NodeEntry, NodeId};
use flux_nodes::registry::Registry;
use proptest::prelude::*;

include!("consensus/fixtures.rs");

fn confirmed(operator: &SecretKey, tier: Tier, params: &ChainParams) -> NodeEntry {
    let pk = operator.public_key();
    NodeEntry {
        id: NodeId::of(&pk),
        owner: Address::from_public_key(&pk),
        operator: pk,
        tier,
        collateral: tier.collateral(params),
        endpoint: "198.51.100.4:16127".into(),
        geolocation: "EU_DE".parse().unwrap(),
        declared: tier.minimum(params),
        attested: None,
        status: NodeStatus::Confirmed,
        started_at: 1,
        confirmed_at: Some(1),
        last_confirm: Some(1),
        last_paid: None,
        endpoint_changed_at: None,
        status_since: 1,
        deadline: Some(2 + params.nodes.expire_after),
        keepalive_from: Some(1 + params.nodes.min_confirm_interval),
        slashed: Vec::new(),
    }
}

/// A registry of confirmed nodes with the given tiers (keys from `key(i)`).
fn registry(tiers: &[Tier], params: &ChainParams) -> Registry {
    let entries = tiers
        .iter()
        .enumerate()
        .map(|(i, t)| confirmed(&key(i as u64), *t, params));
    Registry::from_entries(entries).unwrap()
}

fn tier_of(i: u8) -> Tier {
    Tier::ALL[usize::from(i % 3)]
}

fn vote(k: &SecretKey, round: u32, kind: VoteKind, value: Option<BlockId>) -> SignedVote {
    Vote {
        height: 1,
        round,
        kind,
        value,
        validator: NodeId::of(&k.public_key()),
    }
    .sign(k, ChainId::DEVNET)
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Committee

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn committee_draw_is_deterministic_distinct_and_sized(
        tiers in prop::collection::vec(0u8..3, 1..60),
        size in 1usize..40,
        seed in any::<[u8; 32]>(),
    ) {
        let params = ChainParams::devnet();
        let tiers: Vec<Tier> = tiers.into_iter().map(tier_of).collect();
        let reg = registry(&tiers, &params);
        let seed = Hash::from_bytes(seed);
        let a = Committee::draw(&reg, &seed, size, &params).unwrap();
        let b = Committee::draw(&reg, &seed, size, &params).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.len(), size.min(tiers.len()));
        let ids: BTreeSet<NodeId> = a.members().iter().map(|m| m.id).collect();
        prop_assert_eq!(ids.len(), a.len());
        for m in a.members() {
            let entry = reg.get(&m.id).unwrap();
            prop_assert_eq!(m.weight, entry.tier.vote_weight(&params).unwrap());
            prop_assert_eq!(m.key, entry.operator);
        }
        prop_assert_eq!(a.total_weight(), a.members().iter().map(|m| m.weight).sum::<u64>());
    }

    #[test]
    fn proposer_rotation_is_exactly_fair_over_total_weight_rounds(
        weights in prop::collection::vec(1u64..40, 1..12),
    ) {
        let keys: Vec<SecretKey> = (0..weights.len() as u64).map(key).collect();
        let c = committee_of(&keys, &weights);
        let total = c.total_weight();
        let mut count: BTreeMap<NodeId, u64> = BTreeMap::new();
        for step in 0..total {
            *count.entry(c.proposer_at(step)).or_default() += 1;
        }
        for m in c.members() {
            let got = count.get(&m.id).copied().unwrap_or(0);
            prop_assert!(got.abs_diff(m.weight) <= 1, "{} proposed {} times, weight {}", m.id, got, m.weight);
            prop_assert_eq!(got, m.weight); // in fact exact: the schedule has period `total`
        }
        // Period `total`: (height, round) needs no replay from genesis.
        for step in 0..total.min(50) {
            prop_assert_eq!(c.proposer_at(step), c.proposer_at(step + total));
        }
        // Rounds count from the epoch start, heights and rounds alike.
        prop_assert_eq!(c.proposer(12, 3, 10), c.proposer_at(4));
        prop_assert_eq!(c.proposer(11, 0, 10), c.proposer_at(0));
    }
}

#[test]
fn committee_draw_favours_weight() {
    // 20 Stratus (weight 400) and 20 Cumulus (weight 10), 10 seats: a Stratus node should be
    // picked far more often than a Cumulus one. Expected share of Stratus seats is > 90%.
    let params = ChainParams::devnet();
    let tiers: Vec<Tier> = (0..40)
        .map(|i| {
            if i % 2 == 0 {
                Tier::Stratus
            } else {
                Tier::Cumulus
            }
        })
        .collect();
    let reg = registry(&tiers, &params);
    let (mut heavy, mut light) = (0u32, 0u32);
    for s in 0..200u32 {
        let c = Committee::draw(&reg, &Hash::digest(&s.to_le_bytes()), 10, &params).unwrap();
        for m in c.members() {
            if reg.get(&m.id).unwrap().tier == Tier::Stratus {
                heavy += 1;
            } else {
                light += 1;
            }
        }
    }
    assert_eq!(heavy + light, 2_000);
    assert!(heavy > 1_800, "stratus seats {heavy}, cumulus {light}");
    assert!(light > 0, "cumulus nodes must still be drawn sometimes");
}

#[test]
fn sampling_frequencies_follow_weights_for_single_draws() {
    // One draw: frequency ∝ weight (weights 1, 2, 3, 4 over 10,000 seeds).
    let weights = [1u64, 2, 3, 4];
    let mut count = [0u32; 4];
    for s in 0..10_000u32 {
        let p = sample_without_replacement(&weights, &Hash::digest(&s.to_le_bytes()), 1);
        count[p[0]] += 1;
    }
    for (i, c) in count.iter().enumerate() {
        let expected = 1_000 * (i as u32 + 1);
        assert!(c.abs_diff(expected) < 250, "index {i}: {c} vs {expected}");
    }
}

// ---------------------------------------------------------------------------------------------
// Vote keeper and certificates

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn equivocation_evidence_does_not_depend_on_arrival_order(
        choices in prop::collection::vec((0u8..3, 0u8..3), 4),
        order in Just(()).prop_perturb(|_, mut rng| {
            let mut idx: Vec<usize> = (0..16).collect();
            for i in (1..idx.len()).rev() {
                idx.swap(i, (rng.next_u32() as usize) % (i + 1));
            }
            idx
        }),
    ) {
        let keys: Vec<SecretKey> = (0..4).map(key).collect();
        let committee = committee_of(&keys, &[1, 2, 3, 4]);
        let value = |c: u8| (c > 0).then(|| block(&[c]));
        // Each validator: its two (possibly equal) prevotes, each sent twice.
        let mut votes = Vec::new();
        for (k, (a, b)) in keys.iter().zip(&choices) {
            for c in [a, b, a, b] {
                votes.push(vote(k, 0, VoteKind::Prevote, value(*c)));
            }
        }
        let run = |votes: &[SignedVote]| {
            let mut keeper = VoteKeeper::new(1, committee.clone(), ChainId::DEVNET);
            let mut found = BTreeSet::new();
            for v in votes {
                if let AddOutcome::Equivocation(e) = keeper.add(*v).unwrap() {
                    found.insert(*e);
                }
            }
            (found, keeper.evidence().clone())
        };
        let (a, a_kept) = run(&votes);
        let shuffled: Vec<SignedVote> = order.iter().map(|&i| votes[i]).collect();
        let (b, b_kept) = run(&shuffled);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &a_kept);
        prop_assert_eq!(&b, &b_kept);
        let offenders = choices.iter().filter(|(x, y)| x != y).count();
        prop_assert_eq!(a.len(), offenders);
        for e in &a {
            let pk = committee.get(&e.validator()).unwrap().key;
            prop_assert!(e.verify(&pk, ChainId::DEVNET).is_ok());
        }
    }

    #[test]
    fn certificate_verifies_iff_more_than_two_thirds_signed(
        weights in prop::collection::vec(1u64..50, 1..10),
        signers in prop::collection::vec(any::<bool>(), 10),
        corrupt in any::<bool>(),
    ) {
        let keys: Vec<SecretKey> = (0..weights.len() as u64).map(key).collect();
        let committee = committee_of(&keys, &weights);
        let value = block(b"v");
        let mut weight = 0;
        let mut precommits = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            if signers[i] {
                weight += weights[i];
                let sv = Vote { height: 9, round: 2, kind: VoteKind::Precommit, value: Some(value), validator: NodeId::of(&k.public_key()) }
                    .sign(k, ChainId::DEVNET).unwrap();
                precommits.push((sv.vote.validator, sv.signature));
            }
        }
        precommits.sort_by_key(|(id, _)| *id);
        let mut cert = CommitCertificate { height: 9, round: 2, value, precommits };
        let enough = 3 * weight > 2 * committee.total_weight();
        prop_assert_eq!(cert.verify(&committee, ChainId::DEVNET).is_ok(), enough);
        prop_assert_eq!(CommitCertificate::from_bytes(&cert.to_bytes().unwrap()).unwrap(), cert.clone());
        if enough && corrupt {
            // Another round's precommit does not count for this one.
            cert.round = 3;
            prop_assert!(cert.verify(&committee, ChainId::DEVNET).is_err());
            cert.round = 2;
            cert.precommits.push(cert.precommits[0]);
            prop_assert_eq!(cert.verify(&committee, ChainId::DEVNET), Err(ConsensusError::UnsortedCertificate));
        }
    }
}
