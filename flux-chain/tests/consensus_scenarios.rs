//! Small deterministic multi-validator consensus scenarios run by an in-process harness (no
//! network, no threads, no clock): messages are delivered in a seeded random order, and a
//! timeout fires only when no message is in flight.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use flux_chain::block::BlockId;
use flux_chain::consensus::ConsensusError;
use flux_chain::consensus::committee::{Committee, Member};
use flux_chain::consensus::machine::{Input, Machine, Output};
use flux_chain::consensus::types::{Evidence, Height, Proposal, Vote, VoteKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::params::Ratio;
use flux_core::rng::SplitMix64;
use flux_core::{ChainParams, Hash};
use flux_nodes::node::NodeId;

include!("consensus/fixtures.rs");

// ---------------------------------------------------------------------------------------------
// The harness: n machines, one message queue, seeded delivery order, timeouts when idle.

/// How a validator behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Honest,
    /// Sends nothing, hears nothing.
    Silent,
    /// Runs the protocol but signs a second, conflicting proposal (sent to half the others) and
    /// a second, conflicting vote for every vote it casts (both sent to everyone).
    Equivocating,
}

struct Sim {
    params: ChainParams,
    keys: Vec<SecretKey>,
    committee: Committee,
    behaviour: Vec<Behaviour>,
    machines: Vec<Machine>,
    queue: Vec<(usize, Input)>,
    timers: Vec<(u64, u64, usize, Input)>,
    timer_seq: u64,
    buffered: Vec<Vec<Input>>,
    decided: Vec<BTreeMap<Height, BlockId>>,
    evidence: BTreeSet<Evidence>,
    /// Messages relayed by gossip: delivered after the direct ones are out.
    relayed: Vec<(usize, Input)>,
    rng: SplitMix64,
    target: Height,
}

impl Sim {
    fn new(behaviour: Vec<Behaviour>, seed: u64, target: Height) -> Sim {
        let params = ChainParams::devnet();
        let n = behaviour.len();
        let keys: Vec<SecretKey> = (0..n as u64).map(key).collect();
        let committee = committee_of(&keys, &vec![10; n]);
        let machines = keys
            .iter()
            .map(|k| Machine::new(&params, Some(k.clone())))
            .collect();
        let mut sim = Sim {
            params,
            keys,
            committee,
            behaviour,
            machines,
            queue: Vec::new(),
            timers: Vec::new(),
            timer_seq: 0,
            buffered: vec![Vec::new(); n],
            decided: vec![BTreeMap::new(); n],
            evidence: BTreeSet::new(),
            relayed: Vec::new(),
            rng: SplitMix64::new(seed),
            target,
        };
        for i in 0..n {
            let committee = sim.committee.clone();
            sim.queue.push((
                i,
                Input::NewHeight {
                    height: 1,
                    committee,
                },
            ));
        }
        sim
    }

    fn live(&self, i: usize) -> bool {
        self.behaviour[i] != Behaviour::Silent
    }

    fn send_all(&mut self, from: usize, input: Input) {
        for to in 0..self.machines.len() {
            if to != from && self.live(to) {
                self.queue.push((to, input.clone()));
            }
        }
    }

    fn height_of(input: &Input) -> Option<Height> {
        match input {
            Input::Proposal(p) => Some(p.proposal.height),
            Input::Vote(v) => Some(v.vote.height),
            _ => None,
        }
    }

    fn deliver(&mut self, to: usize, input: Input) {
        if !self.live(to) {
            return;
        }
        let h = Sim::height_of(&input);
        let new_height = matches!(input, Input::NewHeight { .. });
        match self.machines[to].apply(input.clone()) {
            Ok(outputs) => {
                if new_height {
                    // Messages that came early are due now (or buffered again).
                    let buffered = std::mem::take(&mut self.buffered[to]);
                    self.queue.extend(buffered.into_iter().map(|i| (to, i)));
                }
                for o in outputs {
                    self.perform(to, o);
                }
            }
            Err(ConsensusError::WrongHeight { expected, found }) if found > expected => {
                self.buffered[to].push(input);
            }
            Err(ConsensusError::NotStarted) => self.buffered[to].push(input),
            Err(ConsensusError::WrongHeight { .. }) => {}
            Err(e) => panic!("node {to} rejected an input of height {h:?}: {e}"),
        }
    }

    fn perform(&mut self, from: usize, output: Output) {
        let h = self.machines[from].height();
        match output {
            Output::BroadcastProposal(p) => {
                if self.behaviour[from] == Behaviour::Equivocating {
                    let mut other = p.proposal;
                    other.value =
                        block(&[p.proposal.value.0.as_bytes().as_slice(), b"evil"].concat());
                    let other = other.sign(&self.keys[from], self.params.chain_id).unwrap();
                    // Half the others get one, half the other; then gossip relays both to
                    // everyone, in random order.
                    for to in 0..self.machines.len() {
                        if to != from && self.live(to) {
                            let (first, then) = if to % 2 == 0 { (p, other) } else { (other, p) };
                            self.queue.push((to, Input::Proposal(first)));
                            self.relayed.push((to, Input::Proposal(then)));
                        }
                    }
                } else {
                    self.send_all(from, Input::Proposal(p));
                }
            }
            Output::BroadcastVote(v) => {
                self.send_all(from, Input::Vote(v));
                if self.behaviour[from] == Behaviour::Equivocating {
                    let mut other = v.vote;
                    other.value = match v.vote.value {
                        Some(b) => Some(block(&[b.0.as_bytes().as_slice(), b"evil"].concat())),
                        None => Some(block(b"evil nil")),
                    };
                    let other = other.sign(&self.keys[from], self.params.chain_id).unwrap();
                    self.send_all(from, Input::Vote(other));
                }
            }
            Output::ScheduleTimeout {
                kind,
                height,
                round,
                duration_ms,
            } => {
                let input = Input::timeout(kind, height, round);
                self.timer_seq += 1;
                self.timers.push((duration_ms, self.timer_seq, from, input));
            }
            Output::RequestBlock { height, round } => {
                let value = block(format!("block h{height} r{round} by {from}").as_bytes());
                self.queue.push((
                    from,
                    Input::ProposeValue {
                        height,
                        round,
                        value,
                    },
                ));
            }
            Output::ValidateBlock { value, .. } => {
                self.queue
                    .push((from, Input::BlockValidity { value, valid: true }));
            }
            Output::Decide {
                height,
                value,
                commit,
            } => {
                assert_eq!(height, h);
                commit
                    .verify(&self.committee, self.params.chain_id)
                    .unwrap();
                assert_eq!(commit.value, value);
                let prev = self.decided[from].insert(height, value);
                assert!(
                    prev.is_none(),
                    "node {from} decided twice at height {height}"
                );
                if height < self.target {
                    let committee = self.committee.clone();
                    self.queue.push((
                        from,
                        Input::NewHeight {
                            height: height + 1,
                            committee,
                        },
                    ));
                }
            }
            Output::Evidence(e) => {
                e.verify(
                    &self.committee.get(&e.validator()).unwrap().key,
                    self.params.chain_id,
                )
                .unwrap();
                self.evidence.insert(e);
            }
        }
    }

    fn honest(&self) -> Vec<usize> {
        (0..self.machines.len())
            .filter(|&i| self.behaviour[i] == Behaviour::Honest)
            .collect()
    }

    fn done(&self) -> bool {
        self.honest()
            .iter()
            .all(|&i| self.decided[i].contains_key(&self.target))
    }

    /// Runs until every honest validator decided `target` or `budget` deliveries passed.
    fn run(&mut self, budget: usize) {
        for _ in 0..budget {
            if self.done() {
                return;
            }
            if self.queue.is_empty() && !self.relayed.is_empty() {
                self.queue.append(&mut self.relayed);
                continue;
            }
            if self.queue.is_empty() {
                // Idle: fire the earliest timer (ties by scheduling order).
                let Some(i) =
                    (0..self.timers.len()).min_by_key(|&i| (self.timers[i].0, self.timers[i].1))
                else {
                    return;
                };
                let (_, _, to, input) = self.timers.remove(i);
                self.deliver(to, input);
                continue;
            }
            let i = (self.rng.next_u64() % self.queue.len() as u64) as usize;
            let (to, input) = self.queue.swap_remove(i);
            self.deliver(to, input);
        }
    }

    /// No two honest validators decided differently at any height.
    fn assert_agreement(&self, seed: u64) {
        let mut by_height: BTreeMap<Height, BlockId> = BTreeMap::new();
        for &i in &self.honest() {
            for (h, v) in &self.decided[i] {
                let first = by_height.entry(*h).or_insert(*v);
                assert_eq!(
                    first, v,
                    "seed {seed}: honest validators disagree at height {h}"
                );
            }
        }
    }
}

const SEEDS: u64 = 200;
const HEIGHTS: Height = 3;
const BUDGET: usize = 20_000;

fn scenario(behaviour: &[Behaviour], seed: u64) -> Sim {
    let mut sim = Sim::new(behaviour.to_vec(), seed, HEIGHTS);
    sim.run(BUDGET);
    sim.assert_agreement(seed);
    if !sim.done() {
        for (i, m) in sim.machines.iter().enumerate() {
            eprintln!(
                "node {i} {:?}: h{} r{} {:?} locked {:?} valid {:?} decided {:?} q{} t{}",
                sim.behaviour[i],
                m.height(),
                m.round(),
                m.step(),
                m.locked(),
                m.valid(),
                sim.decided[i].len(),
                sim.queue.len(),
                sim.timers.len()
            );
        }
    }
    assert!(
        sim.done(),
        "seed {seed}: honest validators did not all decide {HEIGHTS} heights"
    );
    sim
}

use Behaviour::{Equivocating, Honest, Silent};

#[test]
fn n4f0_all_validators_decide_the_same_blocks() {
    for seed in 0..SEEDS {
        let sim = scenario(&[Honest; 4], seed);
        assert!(
            sim.evidence.is_empty(),
            "seed {seed}: evidence without a fault"
        );
    }
}

#[test]
fn n4f1_silent_validator_does_not_stop_the_others() {
    for seed in 0..SEEDS {
        // The silent one rotates so that it is sometimes the first proposer.
        let mut b = [Honest; 4];
        b[(seed % 4) as usize] = Silent;
        scenario(&b, seed);
    }
}

#[test]
fn n4f1_equivocating_proposer_never_splits_honest_validators_and_leaves_evidence() {
    let mut with_evidence = 0;
    for seed in 0..SEEDS {
        let mut b = [Honest; 4];
        b[(seed % 4) as usize] = Equivocating;
        let sim = scenario(&b, seed);
        let offender = NodeId::of(&sim.keys[(seed % 4) as usize].public_key());
        assert!(sim.evidence.iter().all(|e| e.validator() == offender));
        if !sim.evidence.is_empty() {
            with_evidence += 1;
        }
    }
    // It votes at every height it takes part in, and every vote has a conflicting twin.
    assert_eq!(
        with_evidence, SEEDS,
        "evidence in {with_evidence} of {SEEDS} runs"
    );
}

#[test]
fn same_seed_same_run() {
    let run = |seed| {
        let sim = scenario(&[Honest, Honest, Equivocating, Honest], seed);
        (sim.decided.clone(), sim.evidence.clone())
    };
    assert_eq!(run(7), run(7));
}

#[test]
fn votes_from_strangers_and_forged_proposals_are_rejected() {
    let params = ChainParams::devnet();
    let keys: Vec<SecretKey> = (0..4).map(key).collect();
    let committee = committee_of(&keys, &[1; 4]);
    let mut m = Machine::new(&params, Some(keys[0].clone()));
    m.apply(Input::NewHeight {
        height: 1,
        committee: committee.clone(),
    })
    .unwrap();
    let stranger = key(99);
    let v = Vote {
        height: 1,
        round: 0,
        kind: VoteKind::Prevote,
        value: None,
        validator: NodeId::of(&stranger.public_key()),
    }
    .sign(&stranger, params.chain_id)
    .unwrap();
    assert!(matches!(
        m.apply(Input::Vote(v)),
        Err(ConsensusError::NotMember { .. })
    ));
    let proposer = committee.proposer(1, 0, params.consensus.epoch_length);
    let p = Proposal {
        height: 1,
        round: 0,
        value: block(b"x"),
        pol_round: Some(0),
        proposer,
    }
    .sign(&keys[0], params.chain_id)
    .unwrap();
    assert!(matches!(
        m.apply(Input::Proposal(p)),
        Err(ConsensusError::BadPolRound { .. })
    ));
}

/// A validator that restarts after voting resumes in the next round with its lock: when it
/// proposes again it re-proposes the value it locked on, and it never signs a second vote for
/// a round it voted in.
#[test]
fn resumed_validator_keeps_its_lock_and_moves_to_a_fresh_round() {
    use flux_chain::consensus::ResumePoint;
    let params = ChainParams::devnet();
    let keys: Vec<SecretKey> = (0..4).map(key).collect();
    let committee = committee_of(&keys, &[10, 10, 10, 10]);
    let locked = block(b"locked");
    // Find a validator that proposes some round r + 1 at height 1.
    let (me, round) = (0..4u32)
        .flat_map(|r| (0..4usize).map(move |i| (i, r)))
        .find(|&(i, r)| {
            committee.proposer(1, r + 1, params.consensus.epoch_length)
                == NodeId::of(&keys[i].public_key())
        })
        .unwrap();
    let mut m = Machine::new(&params, Some(keys[me].clone()));
    let resume = ResumePoint {
        height: 1,
        round,
        locked: Some((round, locked)),
        valid: Some((round, locked)),
    };
    let out = m
        .apply(Input::Resume {
            resume,
            committee: committee.clone(),
        })
        .unwrap();
    assert_eq!(m.round(), round + 1);
    assert_eq!(m.locked(), Some((round, locked)));
    let proposed = out.iter().find_map(|o| match o {
        Output::BroadcastProposal(p) => Some(p.proposal),
        _ => None,
    });
    let proposed = proposed.unwrap();
    assert_eq!(proposed.value, locked);
    assert_eq!(proposed.pol_round, Some(round));
    assert!(out.iter().all(|o| match o {
        Output::BroadcastVote(v) => v.vote.round > round,
        _ => true,
    }));
    // A resume point below the current height is refused.
    let stale = ResumePoint {
        height: 0,
        ..resume
    };
    assert!(
        m.apply(Input::Resume {
            resume: stale,
            committee
        })
        .is_err()
    );
}
