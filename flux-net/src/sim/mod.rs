//! A deterministic network simulator: `n` validators in one process, no threads, no clock.
//!
//! Design (after Commonware's deterministic runtime):
//! - **Virtual time and one seeded RNG** ([`ChaCha8Rng`]). Every happening (a message
//!   arriving, a timeout, a tick, a crash) is an event in one queue ordered by
//!   `(time, sequence number)`; [`Sim::step`] pops the earliest. Nothing else decides order,
//!   so a seed and a [`Config`] determine the run.
//! - **Links** ([`Link`]) add latency and jitter (which reorders), lose and duplicate
//!   messages; [`Partition`]s cut groups off until they heal; [`Crash`]es stop a validator
//!   (its consensus machine and in-flight messages are lost, its chain survives) and restart
//!   it: it syncs the heights it missed and rejoins at the next one.
//! - **Byzantine validators** ([`Fault`]): silent, equivocating (a second signed vote for
//!   another value), or sending random bytes.
//! - **Honest validators** run [`flux_chain::consensus::Machine`] with their own
//!   `Chain<MemStore>`: a proposer builds its block with `build_block` (including evidence
//!   of equivocation it saw, signed by its funded owner account), others check proposals
//!   with `apply_block`, and a decision is applied to the chain. Everything travels as
//!   canonical-codec [`Message`] bytes; undecodable input is dropped and counted. Lost
//!   messages are recovered by a periodic rebroadcast, and lagging validators sync decided
//!   blocks with their commit certificates.
//! - **Invariants on every step**: every decision's certificate verifies; no two honest
//!   validators hold different blocks or state roots at one height. A violation stops the run
//!   with a [`SimError`] naming the seed. [`Report::check_liveness`] bounds heights per
//!   simulated minute; [`Report::digest`] hashes every honest validator's
//!   `(height, state root)` for determinism checks.
//!
//! ```
//! use flux_net::sim::{Config, Setup, Sim};
//!
//! let setup = Setup::new(4)?;
//! let mut config = Config::new(7);
//! config.target_heights = Some(2);
//! let report = Sim::new(&setup, config.clone())?.run()?;
//! assert!(report.min_honest_heights >= 2);
//! // The same seed gives the same final state.
//! assert_eq!(Sim::new(&setup, config)?.run()?.digest, report.digest);
//! # Ok::<(), flux_net::sim::SimError>(())
//! ```

mod config;
mod error;
mod message;
mod node;
mod report;
mod setup;

use std::collections::BTreeMap;

use flux_chain::block::BlockId;
use flux_chain::chain::Chain;
use flux_chain::consensus::{Height, Input, Round, Step};
use flux_chain::store::MemStore;
use flux_core::Hash;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

pub use config::{Config, Crash, Fault, Link, Partition};
pub use error::SimError;
pub use message::{MAX_MESSAGE_BYTES, Message};
pub use report::Report;
pub use setup::Setup;

use node::{Effect, Validator};

/// One scheduled happening.
#[derive(Debug)]
enum Event {
    Deliver {
        from: usize,
        to: usize,
        bytes: Vec<u8>,
    },
    Timer {
        to: usize,
        incarnation: u64,
        input: Input,
    },
    Tick {
        to: usize,
        incarnation: u64,
    },
    Crash(usize),
    Restart(usize),
}

/// A simulation. See the module docs.
#[derive(Debug)]
pub struct Sim {
    config: Config,
    start: Height,
    validators: Vec<Validator>,
    queue: BTreeMap<(u64, u64), Event>,
    seq: u64,
    now: u64,
    rng: ChaCha8Rng,
    decisions: BTreeMap<Height, (usize, BlockId, Hash)>,
    delivered: u64,
    dropped: u64,
}

impl Sim {
    /// A simulation of `setup`'s validators under `config`; every validator starts at time 0.
    pub fn new(setup: &Setup, config: Config) -> Result<Sim, SimError> {
        let n = setup.len();
        if config.faults.iter().any(|(v, _)| *v >= n)
            || config.crashes.iter().any(|c| c.validator >= n)
        {
            return Err(SimError::Config(
                "a fault or crash names a validator that does not exist",
            ));
        }
        if config.tick_ms == 0 {
            return Err(SimError::Config("tick_ms must be positive"));
        }
        let mut validators = Vec::with_capacity(n);
        for i in 0..n {
            let chain = Chain::open_or_create(setup.store.clone(), &setup.genesis)?;
            validators.push(Validator::new(
                i,
                config.fault(i),
                config.seed,
                setup.operators[i].clone(),
                setup.owners[i].clone(),
                setup.params.clone(),
                setup.committee.clone(),
                chain,
            ));
        }
        let mut sim = Sim {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            start: setup.start,
            validators,
            queue: BTreeMap::new(),
            seq: 0,
            now: 0,
            decisions: BTreeMap::new(),
            delivered: 0,
            dropped: 0,
            config,
        };
        for c in sim.config.crashes.clone() {
            sim.schedule(c.at_ms, Event::Crash(c.validator));
            if let Some(at) = c.restart_ms {
                sim.schedule(at, Event::Restart(c.validator));
            }
        }
        for i in 0..n {
            sim.start_validator(i)?;
        }
        Ok(sim)
    }

    fn schedule(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.queue.insert((at, self.seq), event);
    }

    fn start_validator(&mut self, i: usize) -> Result<(), SimError> {
        let mut fx = Vec::new();
        let v = &mut self.validators[i];
        v.start(self.now, &mut fx)?;
        let incarnation = v.incarnation;
        let offset = self.rng.next_u64() % self.config.tick_ms;
        self.schedule(self.now + offset + 1, Event::Tick { to: i, incarnation });
        self.perform(i, fx)
    }

    fn honest(&self, i: usize) -> bool {
        self.validators[i].fault.is_none()
    }

    /// Sends `bytes` from `from` to `to` over the link: loss, partition, duplication, delay.
    fn send(&mut self, from: usize, to: usize, bytes: Vec<u8>) {
        let link = self.config.link;
        let copies = if (self.rng.next_u32() % 1_000_000) < link.duplicate_ppm {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let lost = (self.rng.next_u32() % 1_000_000) < link.loss_ppm;
            let cut = self
                .config
                .partitions
                .iter()
                .any(|p| p.separates(from, to, self.now));
            if lost || cut {
                self.dropped += 1;
                continue;
            }
            let delay = link.latency_ms + self.rng.next_u64() % (link.jitter_ms + 1);
            let event = Event::Deliver {
                from,
                to,
                bytes: bytes.clone(),
            };
            self.schedule(self.now + delay.max(1), event);
        }
    }

    /// Performs validator `i`'s effects and checks the invariants on its decisions.
    fn perform(&mut self, i: usize, fx: Vec<Effect>) -> Result<(), SimError> {
        for effect in fx {
            match effect {
                Effect::Broadcast(bytes) => {
                    for to in 0..self.validators.len() {
                        if to != i {
                            self.send(i, to, bytes.clone());
                        }
                    }
                }
                Effect::Send(to, bytes) => self.send(i, to, bytes),
                Effect::Timer(delay, input) => {
                    let incarnation = self.validators[i].incarnation;
                    self.schedule(
                        self.now + delay,
                        Event::Timer {
                            to: i,
                            incarnation,
                            input,
                        },
                    );
                }
                Effect::Applied(height, value, root) => {
                    self.check_decision(i, height, value, root)?
                }
            }
        }
        Ok(())
    }

    /// Safety: the first honest validator to reach `height` fixes its block and state root.
    fn check_decision(
        &mut self,
        i: usize,
        height: Height,
        value: BlockId,
        root: Hash,
    ) -> Result<(), SimError> {
        if !self.honest(i) {
            return Ok(());
        }
        let seed = self.config.seed;
        match self.decisions.get(&height) {
            None => {
                self.decisions.insert(height, (i, value, root));
            }
            Some(&(a, va, _)) if va != value => {
                return Err(SimError::Disagreement {
                    seed,
                    height,
                    a,
                    b: i,
                    va,
                    vb: value,
                });
            }
            Some(&(a, _, ra)) if ra != root => {
                return Err(SimError::StateDivergence {
                    seed,
                    height,
                    a,
                    b: i,
                    ra,
                    rb: root,
                });
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Processes the next event. `Ok(false)` when the run is over (time is up, the target
    /// is reached, or nothing is left to happen).
    pub fn step(&mut self) -> Result<bool, SimError> {
        if self.done() {
            return Ok(false);
        }
        match self.queue.first_key_value() {
            Some((&(at, _), _)) if at <= self.config.duration_ms => {}
            _ => return Ok(false),
        }
        let Some(((at, _), event)) = self.queue.pop_first() else {
            return Ok(false);
        };
        self.now = at;
        let mut fx = Vec::new();
        let who = match event {
            Event::Deliver { from, to, bytes } => {
                if !self.validators[to].running {
                    self.dropped += 1;
                    return Ok(true);
                }
                self.delivered += 1;
                self.validators[to].receive(from, &bytes, at, &mut fx)?;
                to
            }
            Event::Timer {
                to,
                incarnation,
                input,
            } => {
                let v = &mut self.validators[to];
                if v.running && v.incarnation == incarnation {
                    v.feed_timer(input, at, &mut fx)?;
                }
                to
            }
            Event::Tick { to, incarnation } => {
                let n = self.validators.len();
                let v = &mut self.validators[to];
                if !v.running || v.incarnation != incarnation {
                    return Ok(true);
                }
                v.tick(n, &mut self.rng, &mut fx)?;
                self.schedule(at + self.config.tick_ms, Event::Tick { to, incarnation });
                to
            }
            Event::Crash(i) => {
                self.validators[i].crash();
                return Ok(true);
            }
            Event::Restart(i) => {
                if !self.validators[i].running {
                    self.start_validator(i)?;
                }
                return Ok(true);
            }
        };
        self.perform(who, fx)?;
        Ok(true)
    }

    /// Runs to the end and reports.
    pub fn run(&mut self) -> Result<Report, SimError> {
        while self.step()? {}
        Ok(self.report())
    }

    fn heights(&self, i: usize) -> u64 {
        self.validators[i]
            .storage
            .chain
            .height()
            .saturating_sub(self.start)
    }

    fn min_honest_heights(&self) -> u64 {
        (0..self.validators.len())
            .filter(|&i| self.honest(i) && self.validators[i].running)
            .map(|i| self.heights(i))
            .min()
            .unwrap_or(0)
    }

    fn done(&self) -> bool {
        self.config
            .target_heights
            .is_some_and(|t| self.min_honest_heights() >= t)
    }

    /// BLAKE3 of every honest validator's `(index, height, state root)`.
    pub fn digest(&self) -> Hash {
        let mut bytes = Vec::new();
        for (i, v) in self.validators.iter().enumerate() {
            if self.honest(i) {
                let state = v.storage.chain.state();
                bytes.extend_from_slice(&(i as u64).to_le_bytes());
                bytes.extend_from_slice(&state.tip().height.to_le_bytes());
                bytes.extend_from_slice(state.state_root().as_bytes());
            }
        }
        Hash::digest(&bytes)
    }

    /// The report so far.
    pub fn report(&self) -> Report {
        let n = self.validators.len();
        Report {
            seed: self.config.seed,
            elapsed_ms: self.now,
            heights: (0..n).map(|i| self.heights(i)).collect(),
            min_honest_heights: self.min_honest_heights(),
            delivered: self.delivered,
            dropped: self.dropped,
            undecodable: self.validators.iter().map(|v| v.refusals.undecodable).sum(),
            rejected: self.validators.iter().map(|v| v.refusals.rejected).sum(),
            digest: self.digest(),
        }
    }

    /// Simulated time now, ms.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Validator `i`'s consensus position `(height, round, step)`, if its machine runs.
    pub fn position(&self, i: usize) -> Option<(Height, Round, Step)> {
        let m = self.validators.get(i)?.machine.as_ref()?;
        Some((m.height(), m.round(), m.step()))
    }

    /// Validator `i`'s chain (it survives crashes).
    pub fn chain(&self, i: usize) -> Option<&Chain<MemStore>> {
        self.validators.get(i).map(|v| &v.storage.chain)
    }

    /// The committee validator `i` will use at its next height (without slashed members).
    pub fn committee(
        &self,
        i: usize,
    ) -> Result<Option<flux_chain::consensus::Committee>, SimError> {
        self.validators
            .get(i)
            .map(|v| v.current_committee())
            .transpose()
    }
}
