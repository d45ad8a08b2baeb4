//! The consensus state machine under random input sequences.
//!
//! The fuzz bytes are read as a program of inputs for one validator of a fixed committee of four
//! members of equal weight (so any three decide and one can equivocate): proposals
//! and votes really signed by members (or by a stranger, or with a wrong signature), batches of
//! votes, timeouts, validity answers, block answers, new heights, and raw decoded messages. The
//! machine must never panic, every decision must carry a certificate that verifies, every piece
//! of evidence (conflicting votes or proposals) must verify against its member's key, and it
//! must never decide two values at one height.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use flux_chain::block::BlockId;
use flux_chain::consensus::{
    Committee, Input, Machine, Member, Output, Proposal, SignedProposal, SignedVote, Vote, VoteKind,
};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{ChainParams, Hash, codec};
use flux_nodes::NodeId;

struct Fixture {
    params: ChainParams,
    keys: Vec<SecretKey>,
    committee: Committee,
    values: [BlockId; 3],
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let params = ChainParams::devnet();
    // Four members and a stranger (index 4).
    let keys: Vec<SecretKey> = (1..=5u8)
        .map(|i| SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).expect("a key"))
        .collect();
    let mut members: Vec<Member> = keys[..4]
        .iter()
        .map(|k| Member {
            id: NodeId::of(&k.public_key()),
            key: k.public_key(),
            weight: 10,
        })
        .collect();
    members.sort_by_key(|m| m.id);
    let committee =
        Committee::new(members, params.consensus.commit_threshold).expect("a committee");
    let values = [b"a", b"b", b"c"].map(|t| BlockId(Hash::digest(t)));
    Fixture {
        params,
        keys,
        committee,
        values,
    }
});

/// Reads bytes one at a time (zero when exhausted).
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
}

fn vote(f: &Fixture, b: &mut Bytes<'_>, height: u64) -> SignedVote {
    let signer = &f.keys[usize::from(b.next() % 5)];
    let kind = if b.next() % 2 == 0 {
        VoteKind::Prevote
    } else {
        VoteKind::Precommit
    };
    let round = u32::from(b.next() % 4);
    let v = b.next() % 4;
    let value = (v < 3).then(|| f.values[usize::from(v)]);
    let height = height + u64::from(b.next() % 8 == 0);
    let mut sv = Vote {
        height,
        round,
        kind,
        value,
        validator: NodeId::of(&signer.public_key()),
    }
    .sign(signer, f.params.chain_id)
    .expect("signs");
    if b.next() % 16 == 0 {
        // Claimed by someone else: the signature must not verify.
        sv.vote.validator = NodeId::of(&f.keys[0].public_key());
    }
    sv
}

fn proposal(f: &Fixture, b: &mut Bytes<'_>, height: u64) -> SignedProposal {
    let round = u32::from(b.next() % 4);
    let value = f.values[usize::from(b.next() % 3)];
    let pol = b.next() % 5;
    let pol_round = (pol < 4).then_some(u32::from(pol));
    let proposer = f
        .committee
        .proposer(height, round, f.params.consensus.epoch_length);
    let key = if b.next() % 8 == 0 {
        &f.keys[4]
    } else {
        f.keys
            .iter()
            .find(|k| NodeId::of(&k.public_key()) == proposer)
            .expect("the proposer is a member")
    };
    Proposal {
        height,
        round,
        value,
        pol_round,
        proposer: NodeId::of(&key.public_key()),
    }
    .sign(key, f.params.chain_id)
    .expect("signs")
}

/// Runs the program in `data` against one machine; see the module docs.
pub fn consensus_inputs(data: &[u8]) {
    let f = &*FIXTURE;
    let Some((&who, rest)) = data.split_first() else {
        return;
    };
    let mut b = Bytes(rest);
    let mut machine = Machine::new(&f.params, Some(f.keys[usize::from(who % 4)].clone()));
    let mut decided: BTreeMap<u64, BlockId> = BTreeMap::new();
    let mut inputs = vec![Input::NewHeight {
        height: 1,
        committee: f.committee.clone(),
    }];
    for _ in 0..256 {
        if b.0.is_empty() && inputs.is_empty() {
            break;
        }
        if inputs.is_empty() {
            let h = machine.height().max(1);
            let round = u32::from(b.next() % 4);
            let input = match b.next() % 11 {
                0 | 1 => Input::Proposal(proposal(f, &mut b, h)),
                2..=4 => Input::Vote(vote(f, &mut b, h)),
                5 => {
                    let n = b.next() % 8;
                    Input::Votes((0..n).map(|_| vote(f, &mut b, h)).collect())
                }
                6 => Input::TimeoutPropose { height: h, round },
                7 => match b.next() % 2 {
                    0 => Input::TimeoutPrevote { height: h, round },
                    _ => Input::TimeoutPrecommit { height: h, round },
                },
                8 => Input::BlockValidity {
                    value: f.values[usize::from(b.next() % 3)],
                    valid: b.next() % 4 != 0,
                },
                9 => Input::ProposeValue {
                    height: h,
                    round,
                    value: f.values[usize::from(b.next() % 3)],
                },
                _ => match b.next() % 3 {
                    0 => Input::NewHeight {
                        height: h + u64::from(b.next() % 3),
                        committee: f.committee.clone(),
                    },
                    1 => match codec::decode::<SignedVote>(b.0) {
                        Ok(v) => Input::Vote(v),
                        Err(_) => continue,
                    },
                    _ => match codec::decode::<SignedProposal>(b.0) {
                        Ok(p) => Input::Proposal(p),
                        Err(_) => continue,
                    },
                },
            };
            inputs.push(input);
        }
        let Some(input) = inputs.pop() else { continue };
        let Ok(outputs) = machine.apply(input) else {
            continue;
        };
        for o in outputs {
            if let Output::Evidence(e) = &o {
                let key = f
                    .committee
                    .get(&e.validator())
                    .expect("evidence names a member")
                    .key;
                e.verify(&key, f.params.chain_id)
                    .expect("the machine's evidence verifies");
            }
            if let Output::Decide {
                height,
                value,
                commit,
            } = o
            {
                assert_eq!(commit.height, height);
                assert_eq!(commit.value, value);
                commit
                    .verify(&f.committee, f.params.chain_id)
                    .expect("a decision's certificate verifies");
                let first = *decided.entry(height).or_insert(value);
                assert_eq!(first, value, "decided two values at height {height}");
            }
        }
    }
}
