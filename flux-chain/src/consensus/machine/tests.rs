//! Unit tests of `machine`.

use super::*;
use crate::consensus::committee::Member;
use crate::consensus::types::{Proposal, Vote};
use flux_core::Hash;
use flux_core::crypto::Scheme;

fn keys(n: u8) -> Vec<SecretKey> {
    (1..=n)
        .map(|i| SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).unwrap())
        .collect()
}

fn committee(keys: &[SecretKey]) -> Committee {
    let mut members: Vec<Member> = keys
        .iter()
        .map(|k| Member {
            id: NodeId::of(&k.public_key()),
            key: k.public_key(),
            weight: 1,
        })
        .collect();
    members.sort_by_key(|m| m.id);
    Committee::new(members, ChainParams::devnet().consensus.commit_threshold).unwrap()
}

#[test]
fn timeouts_walk_a_round_to_the_next() {
    let params = ChainParams::devnet();
    let ks = keys(4);
    let c = committee(&ks);
    // A validator that is not round 0's proposer.
    let proposer = c.proposer(1, 0, params.consensus.epoch_length);
    let me = ks
        .iter()
        .find(|k| NodeId::of(&k.public_key()) != proposer)
        .unwrap()
        .clone();
    let mut m = Machine::new(&params, Some(me));
    let out = m
        .apply(Input::NewHeight {
            height: 1,
            committee: c,
        })
        .unwrap();
    assert!(out.iter().any(|o| matches!(
        o,
        Output::ScheduleTimeout {
            kind: TimeoutKind::Propose,
            round: 0,
            ..
        }
    )));
    let out = m
        .apply(Input::TimeoutPropose {
            height: 1,
            round: 0,
        })
        .unwrap();
    assert_eq!(m.step(), Step::Prevote);
    assert!(matches!(out[..], [Output::BroadcastVote(v)] if v.vote.value.is_none()));
    // Stale timeouts are ignored.
    assert!(
        m.apply(Input::TimeoutPropose {
            height: 1,
            round: 0
        })
        .unwrap()
        .is_empty()
    );
    m.apply(Input::TimeoutPrevote {
        height: 1,
        round: 0,
    })
    .unwrap();
    assert_eq!(m.step(), Step::Precommit);
    m.apply(Input::TimeoutPrecommit {
        height: 1,
        round: 0,
    })
    .unwrap();
    assert_eq!((m.round(), m.step()), (1, Step::Propose));
    // Other heights are rejected.
    let v = Vote {
        height: 2,
        round: 0,
        kind: VoteKind::Prevote,
        value: None,
        validator: proposer,
    };
    let signed = v.sign(&ks[0], params.chain_id).unwrap();
    assert!(matches!(
        m.apply(Input::Vote(signed)),
        Err(ConsensusError::WrongHeight { .. })
    ));
}

#[test]
fn locks_on_a_polka_and_decides_on_precommits() {
    let params = ChainParams::devnet();
    let ks = keys(4);
    let c = committee(&ks);
    let proposer_id = c.proposer(1, 0, params.consensus.epoch_length);
    let proposer = ks
        .iter()
        .find(|k| NodeId::of(&k.public_key()) == proposer_id)
        .unwrap();
    let me = ks
        .iter()
        .find(|k| NodeId::of(&k.public_key()) != proposer_id)
        .unwrap();
    let mut m = Machine::new(&params, Some(me.clone()));
    m.apply(Input::NewHeight {
        height: 1,
        committee: c,
    })
    .unwrap();
    let value = BlockId(Hash::digest(b"b"));
    let p = Proposal {
        height: 1,
        round: 0,
        value,
        pol_round: None,
        proposer: proposer_id,
    }
    .sign(proposer, params.chain_id)
    .unwrap();
    let out = m.apply(Input::Proposal(p)).unwrap();
    assert!(matches!(out[..], [Output::ValidateBlock { .. }]));
    let out = m
        .apply(Input::BlockValidity { value, valid: true })
        .unwrap();
    assert!(matches!(out[..], [Output::BroadcastVote(v)] if v.vote.value == Some(value)));
    let others: Vec<_> = ks
        .iter()
        .filter(|k| k.public_key() != me.public_key())
        .collect();
    let vote = |k: &SecretKey, kind| {
        Vote {
            height: 1,
            round: 0,
            kind,
            value: Some(value),
            validator: NodeId::of(&k.public_key()),
        }
        .sign(k, params.chain_id)
        .unwrap()
    };
    m.apply(Input::Votes(
        others[..2]
            .iter()
            .map(|k| vote(k, VoteKind::Prevote))
            .collect(),
    ))
    .unwrap();
    assert_eq!(m.locked(), Some((0, value)));
    assert_eq!(m.step(), Step::Precommit);
    let out = m
        .apply(Input::Votes(
            others[..2]
                .iter()
                .map(|k| vote(k, VoteKind::Precommit))
                .collect(),
        ))
        .unwrap();
    let commit = out
        .iter()
        .find_map(|o| match o {
            Output::Decide { commit, .. } => Some(commit.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(m.decided(), Some(value));
    commit
        .verify(m.votes().unwrap().committee(), params.chain_id)
        .unwrap();
    // A proposal from someone else is rejected.
    let bad = Proposal {
        height: 1,
        round: 0,
        value,
        pol_round: None,
        proposer: NodeId::of(&me.public_key()),
    }
    .sign(me, params.chain_id)
    .unwrap();
    assert!(matches!(
        m.apply(Input::Proposal(bad)),
        Err(ConsensusError::NotProposer { .. })
    ));
}
