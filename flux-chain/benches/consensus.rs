//! One height of the pure consensus state machine with a 100-validator committee:
//! `cargo bench -p flux-chain --bench consensus`.
//!
//! A fresh machine (a non-proposer validator) starts the height, receives the proposal, is told
//! the block is valid, then receives the 99 other prevotes and the 99 other precommits, all
//! signature-checked: once as two batches (`Input::Votes`, batch verification) and once one
//! vote at a time (`Input::Vote`, single verification). It must decide. After criterion's
//! figures the run prints heights per second for both.

#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use flux_chain::block::BlockId;
use flux_chain::consensus::{
    Committee, Input, Machine, Member, Output, Proposal, SignedProposal, SignedVote, Vote, VoteKind,
};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{ChainParams, Hash};
use flux_nodes::NodeId;

const N: u64 = 100;

struct Fixture {
    params: ChainParams,
    me: SecretKey,
    committee: Committee,
    proposal: SignedProposal,
    value: BlockId,
    prevotes: Vec<SignedVote>,
    precommits: Vec<SignedVote>,
}

fn fixture() -> Fixture {
    let params = ChainParams::devnet();
    let keys: Vec<SecretKey> = (0..N)
        .map(|i| {
            let mut seed = [0x77u8; 32];
            seed[..8].copy_from_slice(&(i + 1).to_le_bytes());
            SecretKey::from_bytes(Scheme::Ed25519, &seed).unwrap()
        })
        .collect();
    let weights = [10u64, 125, 400];
    let mut members: Vec<Member> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Member {
            id: NodeId::of(&k.public_key()),
            key: k.public_key(),
            weight: weights[i % 3],
        })
        .collect();
    members.sort_by_key(|m| m.id);
    let committee = Committee::new(members, params.consensus.commit_threshold).unwrap();
    let height = 1;
    let proposer_id = committee.proposer(height, 0, params.consensus.epoch_length);
    let id = |k: &SecretKey| NodeId::of(&k.public_key());
    let proposer = keys.iter().find(|k| id(k) == proposer_id).unwrap();
    let me = keys.iter().find(|k| id(k) != proposer_id).unwrap().clone();
    let value = BlockId(Hash::digest(b"the block"));
    let proposal = Proposal {
        height,
        round: 0,
        value,
        pol_round: None,
        proposer: proposer_id,
    }
    .sign(proposer, params.chain_id)
    .unwrap();
    let votes = |kind| {
        keys.iter()
            .filter(|k| id(k) != id(&me))
            .map(|k| {
                Vote {
                    height,
                    round: 0,
                    kind,
                    value: Some(value),
                    validator: id(k),
                }
                .sign(k, params.chain_id)
                .unwrap()
            })
            .collect::<Vec<_>>()
    };
    Fixture {
        prevotes: votes(VoteKind::Prevote),
        precommits: votes(VoteKind::Precommit),
        params,
        me,
        committee,
        proposal,
        value,
    }
}

fn one_height(f: &Fixture, batched: bool) {
    let mut m = Machine::new(&f.params, Some(f.me.clone()));
    m.apply(Input::NewHeight {
        height: 1,
        committee: f.committee.clone(),
    })
    .unwrap();
    m.apply(Input::Proposal(f.proposal)).unwrap();
    m.apply(Input::BlockValidity {
        value: f.value,
        valid: true,
    })
    .unwrap();
    let mut decided = false;
    for votes in [&f.prevotes, &f.precommits] {
        let outputs = if batched {
            m.apply(Input::Votes(votes.clone())).unwrap()
        } else {
            let mut all = Vec::new();
            for v in votes {
                all.extend(m.apply(Input::Vote(*v)).unwrap());
            }
            all
        };
        decided |= outputs.iter().any(|o| matches!(o, Output::Decide { .. }));
    }
    assert!(decided && m.decided() == Some(f.value));
}

fn heights_per_second(f: &Fixture, batched: bool) -> f64 {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(2) {
        one_height(f, batched);
        n += 1;
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("consensus_height_100_validators");
    g.sample_size(20);
    g.bench_function("batched_votes", |b| b.iter(|| one_height(&f, true)));
    g.bench_function("single_votes", |b| b.iter(|| one_height(&f, false)));
    g.finish();
    println!(
        "one height, 100 validators, 198 votes verified: {:.0} heights/s batched, {:.0} heights/s one by one",
        heights_per_second(&f, true),
        heights_per_second(&f, false)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
