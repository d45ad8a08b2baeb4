//! What one byzantine committee member can make the consensus core store or compute: round
//! flooding (issue 19 point 9), the proposer rotation's cost (point 9), and double proposals
//! (point 12). Pure: machines are fed inputs directly, no network, no clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flux_chain::block::BlockId;
use flux_chain::consensus::ConsensusError;
use flux_chain::consensus::committee::{Committee, Member};
use flux_chain::consensus::machine::{Input, Machine, Output};
use flux_chain::consensus::rounds::ROUND_WINDOW;
use flux_chain::consensus::types::{Proposal, Round, SignedVote, Vote, VoteKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::params::Ratio;
use flux_core::{ChainParams, Hash};
use flux_nodes::node::NodeId;
use proptest::prelude::*;

include!("consensus/fixtures.rs");

fn id(k: &SecretKey) -> NodeId {
    NodeId::of(&k.public_key())
}

fn vote(k: &SecretKey, height: u64, round: Round, kind: VoteKind) -> SignedVote {
    Vote {
        height,
        round,
        kind,
        value: None,
        validator: id(k),
    }
    .sign(k, ChainParams::devnet().chain_id)
    .unwrap()
}

/// Four validators of weight 1 and a machine for the first, started at height 1.
fn four() -> (Vec<SecretKey>, Committee, Machine) {
    let params = ChainParams::devnet();
    let keys: Vec<SecretKey> = (0..4).map(key).collect();
    let committee = committee_of(&keys, &[1, 1, 1, 1]);
    let mut m = Machine::new(&params, Some(keys[0].clone()));
    m.apply(Input::NewHeight {
        height: 1,
        committee: committee.clone(),
    })
    .unwrap();
    (keys, committee, m)
}

// ---------------------------------------------------------------------------------------------
// Point 9: round flooding

/// Replays issue 19 point 9: one byzantine member signs votes for rounds 0..100_000 of the
/// current height. The vote keeper must keep a bounded number of rounds and votes (it kept one
/// round per vote: 100,001 rounds), and one member alone (weight 1 of 4, below f + 1) must not
/// move the round.
#[test]
fn a_round_flooder_cannot_grow_the_vote_keeper() {
    let (keys, _, mut m) = four();
    let flooder = &keys[3];
    let votes: Vec<SignedVote> = (0..=100_000u32)
        .map(|r| vote(flooder, 1, r, VoteKind::Prevote))
        .collect();
    for chunk in votes.chunks(1_000) {
        m.apply(Input::Votes(chunk.to_vec())).unwrap();
    }
    // One by one too (the single-vote path).
    for r in (100_001..100_200u32).rev() {
        let _ = m.apply(Input::Vote(vote(flooder, 1, r, VoteKind::Precommit)));
    }
    let keeper = m.votes().unwrap();
    const { assert!(ROUND_WINDOW < 16) };
    assert!(
        keeper.stored_rounds() <= 16,
        "the keeper stores {} rounds",
        keeper.stored_rounds()
    );
    assert!(
        keeper.stored_votes() <= 16 * 2 * 4,
        "the keeper stores {} votes",
        keeper.stored_votes()
    );
    assert_eq!(m.round(), 0, "one member alone moved the round");
}

/// Tendermint's L55 ("upon f + 1 ⟨∗, h, round, ∗, ∗⟩ with round > round_p: StartRound(round)")
/// still works for rounds far beyond the window: two of four members (weight > 1/3) at round
/// 5,000 pull the validator there.
#[test]
fn f_plus_one_members_far_ahead_still_pull_a_validator_to_their_round() {
    let (keys, _, mut m) = four();
    m.apply(Input::Vote(vote(&keys[1], 1, 5_000, VoteKind::Precommit)))
        .unwrap();
    assert_eq!(m.round(), 0, "one member is not f + 1");
    m.apply(Input::Vote(vote(&keys[2], 1, 5_000, VoteKind::Prevote)))
        .unwrap();
    assert_eq!(m.round(), 5_000);
}

/// L55 with members that are far ahead at different rounds: the validator joins the highest
/// round that members of `f + 1` weight have all reached (at least one of them is honest and
/// got there), and counts the votes it held for that round once it is there.
#[test]
fn a_validator_far_behind_joins_the_highest_round_f_plus_one_reached() {
    let (keys, _, mut m) = four();
    m.apply(Input::Vote(vote(&keys[1], 1, 7_000, VoteKind::Precommit)))
        .unwrap();
    m.apply(Input::Vote(vote(&keys[2], 1, 5_000, VoteKind::Precommit)))
        .unwrap();
    assert_eq!(m.round(), 5_000);
    let keeper = m.votes().unwrap();
    assert_eq!(keeper.weight_any(5_000, VoteKind::Precommit), 1);
    // Round 7,000 is beyond the window of round 5,000: held, not stored in full.
    assert_eq!(keeper.weight_any(7_000, VoteKind::Precommit), 0);
    // An older vote of a member beyond the window is ignored; a proposal beyond the window is
    // refused.
    let out = m.apply(Input::Vote(vote(&keys[1], 1, 6_000, VoteKind::Precommit)));
    assert!(out.unwrap().is_empty());
    let params = ChainParams::devnet();
    let p = Proposal {
        height: 1,
        round: 5_000 + ROUND_WINDOW + 1,
        value: block(b"far"),
        pol_round: None,
        proposer: id(&keys[3]),
    }
    .sign(&keys[3], params.chain_id)
    .unwrap();
    assert!(matches!(
        m.apply(Input::Proposal(p)),
        Err(ConsensusError::RoundBeyondWindow { .. })
    ));
}

/// A member that signs two different votes for one far round is caught too (evidence), and its
/// conflicting vote does not count twice.
#[test]
fn equivocation_beyond_the_window_is_evidence() {
    let (keys, _, mut m) = four();
    let a = vote(&keys[1], 1, 900, VoteKind::Prevote);
    let mut b = a.vote;
    b.value = Some(block(b"x"));
    let b = b.sign(&keys[1], ChainParams::devnet().chain_id).unwrap();
    m.apply(Input::Vote(a)).unwrap();
    let out = m.apply(Input::Vote(b)).unwrap();
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Evidence(e) if e.validator() == id(&keys[1])))
    );
    assert_eq!(m.round(), 0);
    assert!(m.votes().unwrap().stored_votes() <= 2);
}

/// The reference definition of the proposer rotation (the code before issue 19): Tendermint's
/// weighted round robin by priority, simulated step by step, `O(min(step, T) · n)`.
fn proposer_at_reference(c: &Committee, step: u64) -> NodeId {
    let members = c.members();
    let total = i128::from(c.total_weight().max(1));
    let steps = step % c.total_weight().max(1);
    let mut priority = vec![0i128; members.len()];
    let mut chosen = 0usize;
    for _ in 0..=steps {
        let mut best = i128::MIN;
        for (i, (p, m)) in priority.iter_mut().zip(members).enumerate() {
            *p += i128::from(m.weight);
            if *p > best {
                best = *p;
                chosen = i;
            }
        }
        priority[chosen] -= total;
    }
    members[chosen].id
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Point 9: the fast proposer rotation is the same rotation as before, step for step
    /// (many committees with repeated and distinct weights, steps over several periods).
    #[test]
    fn proposer_at_agrees_with_the_reference_rotation(
        weights in prop::collection::vec(prop_oneof![1u64..4, 1u64..60, Just(10u64), Just(125u64)], 1..16),
        steps in prop::collection::vec(any::<u64>(), 1..24),
    ) {
        let keys: Vec<SecretKey> = (0..weights.len() as u64).map(key).collect();
        let c = committee_of(&keys, &weights);
        let total = c.total_weight();
        let mut probes: Vec<u64> = (0..total.min(200)).collect();
        probes.extend(steps.iter().map(|s| s % (3 * total)));
        probes.push(u64::MAX);
        for step in probes {
            prop_assert_eq!(c.proposer_at(step), proposer_at_reference(&c, step), "step {}", step);
        }
    }
}

/// Committees of real tiers (weights 10, 125, 400; up to 200 members): every step of a whole
/// period agrees with the reference.
#[test]
fn proposer_at_agrees_over_whole_periods_of_tiered_committees() {
    for (n, seed) in [(7usize, 1u64), (31, 2), (200, 3)] {
        let keys: Vec<SecretKey> = (0..n as u64).map(|i| key(i + 1_000 * seed)).collect();
        let weights: Vec<u64> = (0..n as u64)
            .map(|i| [10, 125, 400][((i * 7 + seed) % 3) as usize])
            .collect();
        let c = committee_of(&keys, &weights);
        let total = c.total_weight();
        // The reference from scratch at every step would be quadratic; walk it once instead.
        let members = c.members();
        let mut priority = vec![0i128; members.len()];
        let stride = if n == 200 { 97 } else { 1 };
        for step in 0..total {
            let mut best = i128::MIN;
            let mut chosen = 0;
            for (i, (p, m)) in priority.iter_mut().zip(members).enumerate() {
                *p += i128::from(m.weight);
                if *p > best {
                    best = *p;
                    chosen = i;
                }
            }
            priority[chosen] -= i128::from(total);
            if step % stride == 0 {
                assert_eq!(c.proposer_at(step), members[chosen].id, "n {n} step {step}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Point 12: double proposals

/// Replays issue 19 point 12: the proposer of (1, 0) signs two different proposals; a validator
/// that receives both outputs evidence against it (before the fix: nothing, double proposals
/// were not evidence).
#[test]
fn two_conflicting_proposals_are_evidence() {
    let params = ChainParams::devnet();
    let keys: Vec<SecretKey> = (0..4).map(key).collect();
    let committee = committee_of(&keys, &[1, 1, 1, 1]);
    let proposer_id = committee.proposer(1, 0, params.consensus.epoch_length);
    let proposer = keys.iter().find(|k| id(k) == proposer_id).unwrap();
    let me = keys.iter().find(|k| id(k) != proposer_id).unwrap();
    let mut m = Machine::new(&params, Some(me.clone()));
    m.apply(Input::NewHeight {
        height: 1,
        committee,
    })
    .unwrap();
    let proposal = |tag: &[u8]| {
        Proposal {
            height: 1,
            round: 0,
            value: block(tag),
            pol_round: None,
            proposer: proposer_id,
        }
        .sign(proposer, params.chain_id)
        .unwrap()
    };
    let first = m.apply(Input::Proposal(proposal(b"a"))).unwrap();
    assert!(!first.iter().any(|o| matches!(o, Output::Evidence(_))));
    let second = m.apply(Input::Proposal(proposal(b"b"))).unwrap();
    let evidence: Vec<_> = second
        .iter()
        .filter_map(|o| match o {
            Output::Evidence(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(evidence.len(), 1, "outputs: {second:?}");
    assert_eq!(evidence[0].validator(), proposer_id);
    // The same pair again, or a third value, adds no more evidence for the round.
    let again = m.apply(Input::Proposal(proposal(b"b"))).unwrap();
    assert!(!again.iter().any(|o| matches!(o, Output::Evidence(_))));
    let third = m.apply(Input::Proposal(proposal(b"c"))).unwrap();
    assert!(!third.iter().any(|o| matches!(o, Output::Evidence(_))));
}
