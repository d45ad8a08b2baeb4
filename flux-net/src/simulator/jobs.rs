//! Compute jobs and misbehaving nodes in a simulation.
//!
//! The treasury submits jobs (the echo module of the chain's tests: it returns its input, its
//! fuel grows with the input) at the scenario's rate. The chain assigns each to
//! `job_redundancy` nodes; each assigned node that still runs commits to its result in the
//! next block and reveals it once the chain opens the reveal phase. Honest nodes reveal what
//! the real engine ([`flux_nodes::work::execute`]) computes, run once per job; the scenario's
//! cheaters reveal a wrong output (`cheat_permille` of the time), so the majority outvotes them
//! and the chain strikes them. Equivocations: at the scenario's heights, chosen living nodes
//! sign two different prevotes for one height and round, and the treasury reports the pair as
//! evidence; the chain burns `slash_fraction` of their collateral.

use std::collections::{BTreeMap, BTreeSet};

use flux_chain::consensus::types::{Evidence, Vote, VoteKind};
use flux_chain::state::State;
use flux_chain::transition::work::JobEvent;
use flux_chain::transition::{Event, Receipts};
use flux_chain::tx::{JobSubmit, Transaction, TxKind, WorkCommit, WorkReveal};
use flux_chain::work::{JobId, commitment};
use flux_core::crypto::SecretKey;
use flux_core::{Address, Amount, Hash};
use flux_nodes::node::NodeId;
use flux_nodes::placement::synthetic::Rng;
use flux_nodes::work::{Outcome, ValidatedModule, compile_wat, execute, validate};

use super::activity::{Signing, sign};
use super::error::SimulatorError;
use super::report::Period;
use super::scenario::Scenario;

/// The job every simulated submission runs: echoes its input.
pub const ECHO: &str = flux_nodes::work::jobs::ECHO_WAT;

/// What an assigned node does next for a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Commit,
    Reveal,
}

/// A job the simulation submitted: the honest outcome and, per node, what it committed to.
struct SimJob {
    honest: Outcome,
    /// The outcome each committed node will reveal, with its salt.
    committed: BTreeMap<NodeId, (Outcome, [u8; 32])>,
}

/// The jobs and misbehaviour of a run.
pub struct Jobs {
    module: Vec<u8>,
    validated: Option<ValidatedModule>,
    /// Inputs of the submissions in flight, by transaction id (= job id).
    inputs: BTreeMap<JobId, (Vec<u8>, u64)>,
    jobs: BTreeMap<JobId, SimJob>,
    due: BTreeMap<u64, Vec<(JobId, NodeId, Step)>>,
    /// Nodes that reveal wrong results.
    pub cheaters: BTreeSet<NodeId>,
    rng: Rng,
    submitted: u64,
}

/// The next nonce of each sender in the block being made.
#[derive(Default)]
pub struct Nonces(BTreeMap<Address, u64>);

impl Nonces {
    /// The next nonce of `key`'s account for this block (its state nonce the first time).
    pub fn take(&mut self, state: &State, key: &SecretKey) -> u64 {
        self.take_many(state, key, 1)
    }

    /// The first of `count` consecutive nonces of `key`'s account for this block.
    pub fn take_many(&mut self, state: &State, key: &SecretKey, count: u64) -> u64 {
        let address = Address::from_public_key(&key.public_key());
        let next = self
            .0
            .entry(address)
            .or_insert_with(|| state.account(&address).nonce);
        let n = *next;
        *next += count;
        n
    }
}

impl Jobs {
    /// The jobs of `scenario`; cheaters drawn from `nodes` with `seed`.
    pub fn new(scenario: &Scenario, nodes: &[NodeId], seed: Hash) -> Result<Jobs, SimulatorError> {
        let bad = |e: flux_nodes::work::WorkError| SimulatorError::Scenario(e.to_string());
        let module = compile_wat(ECHO).map_err(bad)?;
        let validated = if scenario.jobs.per_1000_blocks > 0 {
            Some(validate(&module).map_err(bad)?)
        } else {
            None
        };
        let mut rng = Rng::new(seed, "flux/sim/jobs/v1");
        let mut pool: Vec<NodeId> = nodes.to_vec();
        let mut cheaters = BTreeSet::new();
        for _ in 0..scenario.jobs.cheaters.min(pool.len() as u64) {
            let i = rng.below(pool.len() as u64) as usize;
            cheaters.insert(pool.swap_remove(i));
        }
        Ok(Jobs {
            module,
            validated,
            inputs: BTreeMap::new(),
            jobs: BTreeMap::new(),
            due: BTreeMap::new(),
            cheaters,
            rng,
            submitted: 0,
        })
    }

    /// The job and misbehaviour transactions of block `h`: `submissions` new jobs from the
    /// treasury, the commits and reveals due, and the equivocation evidence due.
    #[allow(clippy::too_many_arguments)] // the block's context, each named
    pub fn txs(
        &mut self,
        h: u64,
        state: &State,
        scenario: &Scenario,
        submissions: u64,
        treasury: &SecretKey,
        operators: &BTreeMap<NodeId, SecretKey>,
        stopped: &BTreeSet<NodeId>,
        living: &[NodeId],
        nonces: &mut Nonces,
        signing: Signing,
    ) -> Result<Vec<Transaction>, SimulatorError> {
        let mut txs = Vec::new();
        let params = state.params();
        let j = &scenario.jobs;
        for _ in 0..submissions {
            let len = j.input_bytes.max(1) as usize;
            let input: Vec<u8> = (0..len).map(|_| self.rng.below(256) as u8).collect();
            let fee = Amount::from_base_units(j.fee_base_units).max(params.work.min_job_fee);
            let kind = TxKind::JobSubmit(JobSubmit {
                module: self.module.clone(),
                input: input.clone(),
                fuel: j.fuel,
                fee,
            });
            let tx = sign(treasury, state, nonces.take(state, treasury), kind, signing)?;
            let id = tx.id().map_err(|e| SimulatorError::Tx {
                height: h,
                reason: e.to_string(),
            })?;
            self.inputs.insert(id, (input, j.fuel));
            self.submitted += 1;
            txs.push(tx);
        }
        for (job, node, step) in self.due.remove(&h).unwrap_or_default() {
            if stopped.contains(&node) {
                continue;
            }
            let (Some(key), Some(sim)) = (operators.get(&node), self.jobs.get_mut(&job)) else {
                continue;
            };
            let kind = match step {
                Step::Commit => {
                    let cheat = self.cheaters.contains(&node)
                        && self.rng.below(1_000) < scenario.jobs.cheat_permille;
                    let mut outcome = sim.honest.clone();
                    if cheat {
                        // A wrong result with the same fuel (it claims the work), different
                        // for each cheater: cheaters do not collude by accident.
                        outcome.output.iter_mut().for_each(|b| *b = !*b);
                        outcome.output.extend_from_slice(node.0.as_bytes());
                    }
                    let salt = *Hash::tagged(
                        "flux/sim/salt/v1",
                        &[job.0.as_bytes().as_slice(), node.0.as_bytes().as_slice()].concat(),
                    )
                    .as_bytes();
                    let c = commitment(&job, &node, &outcome.result_hash(), &salt);
                    sim.committed.insert(node, (outcome, salt));
                    TxKind::WorkCommit(WorkCommit {
                        job,
                        node,
                        commitment: c,
                    })
                }
                Step::Reveal => {
                    let Some((outcome, salt)) = sim.committed.get(&node).cloned() else {
                        continue;
                    };
                    TxKind::WorkReveal(WorkReveal {
                        job,
                        node,
                        outcome,
                        salt,
                    })
                }
            };
            txs.push(sign(key, state, nonces.take(state, key), kind, signing)?);
        }
        for e in scenario.equivocations.iter().filter(|e| e.at == h) {
            for _ in 0..e.nodes {
                if living.is_empty() {
                    break;
                }
                let node = living[self.rng.below(living.len() as u64) as usize];
                let Some(key) = operators.get(&node) else {
                    continue;
                };
                let vote = |value: Option<flux_chain::block::BlockId>| Vote {
                    height: h.saturating_sub(1),
                    round: 0,
                    kind: VoteKind::Prevote,
                    value,
                    validator: node,
                };
                let err = |e: flux_chain::consensus::ConsensusError| SimulatorError::Tx {
                    height: h,
                    reason: e.to_string(),
                };
                let a = vote(None).sign(key, params.chain_id).map_err(err)?;
                let b = vote(Some(state.tip().block_id))
                    .sign(key, params.chain_id)
                    .map_err(err)?;
                if let Some(evidence) = Evidence::new(a, b) {
                    let kind = TxKind::Evidence(evidence);
                    txs.push(sign(
                        treasury,
                        state,
                        nonces.take(state, treasury),
                        kind,
                        signing,
                    )?);
                }
            }
        }
        Ok(txs)
    }

    /// Follows block `h`'s job events: schedules the assigned nodes' commits and reveals, and
    /// counts submissions, acceptances, refunds, strikes and slashes in `period`.
    pub fn observe(&mut self, h: u64, receipts: &Receipts, period: &mut Period) {
        let mut events: Vec<&JobEvent> = Vec::new();
        for r in &receipts.txs {
            for e in &r.events {
                match e {
                    Event::Job(j) => events.push(j),
                    Event::Slashed { amount, .. } => {
                        period.slashes += 1;
                        period.slashed += amount.base_units();
                    }
                    _ => {}
                }
            }
        }
        events.extend(receipts.work.iter());
        for e in events {
            match e {
                JobEvent::Submitted { job, .. } => {
                    period.jobs_submitted += 1;
                    if let (Some((input, fuel)), Some(module)) =
                        (self.inputs.remove(job), self.validated.as_ref())
                    {
                        // The honest result, computed once by the real engine.
                        if let Ok(honest) = execute(module, &input, fuel) {
                            self.jobs.insert(
                                *job,
                                SimJob {
                                    honest,
                                    committed: BTreeMap::new(),
                                },
                            );
                        }
                    }
                }
                JobEvent::Assigned { job, nodes, .. } => {
                    let due = self.due.entry(h + 1).or_default();
                    due.extend(nodes.iter().map(|n| (*job, *n, Step::Commit)));
                    if let Some(sim) = self.jobs.get_mut(job) {
                        sim.committed.clear();
                    }
                }
                JobEvent::RevealOpened { job, .. } => {
                    if let Some(sim) = self.jobs.get(job) {
                        let due = self.due.entry(h + 1).or_default();
                        due.extend(sim.committed.keys().map(|n| (*job, *n, Step::Reveal)));
                    }
                }
                JobEvent::Accepted { job, fuel_used, .. } => {
                    period.jobs_accepted += 1;
                    period.job_fuel += fuel_used;
                    self.jobs.remove(job);
                }
                JobEvent::Refunded { job } => {
                    period.jobs_refunded += 1;
                    self.jobs.remove(job);
                }
                JobEvent::FeePaid { amount, .. } => period.job_fees_paid += amount.base_units(),
                JobEvent::PoolPaid { amount, .. } => period.pool_paid += amount.base_units(),
                JobEvent::Strike { node, .. } => {
                    if self.cheaters.contains(node) {
                        period.strikes_cheaters += 1;
                    } else {
                        period.strikes_honest += 1;
                    }
                }
                _ => {}
            }
        }
    }
}
