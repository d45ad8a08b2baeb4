//! A deterministic network simulator: `n` validators in one process, no threads, no clock.
//!
//! Design (after Commonware's deterministic runtime):
//! - **Virtual time and one seeded RNG** ([`ChaCha8Rng`]). Every happening (a message
//!   arriving, a timer, a tick, a crash) is an event in one queue ordered by
//!   `(time, sequence number)`; [`Sim::step`] pops the earliest. Nothing else decides order,
//!   so a seed and a [`Config`] determine the run.
//! - **The real host.** Every honest validator runs [`Host`], the code a node runs, over its
//!   own `Chain<MemStore>` and mempool, acting on a simulated [`Network`](crate::network::Network)
//!   whose peers are validator indices: what it publishes reaches every other validator as
//!   gossip, its timers become events of its current run, its sync requests go to a peer that
//!   answers with [`serve_sync_from`] into [`Host::on_sync_response`], and a periodic tick
//!   calls [`Host::on_tick`]. Virtual time is added to the genesis timestamp, so blocks carry
//!   plausible timestamps and heights come at the chain's block time.
//! - **Links** ([`Link`]) add latency and jitter (which reorders), lose and duplicate
//!   messages; [`Partition`]s cut groups off until they heal; [`Crash`]es drop a validator's
//!   host (its timers and every message in flight to it are lost, its chain survives like a
//!   disk) and restart it with a new host, which resumes from the chain's resume point and
//!   syncs what it missed.
//! - **Byzantine validators** ([`Fault`]), as wrappers outside the host: silent (no host),
//!   sending random bytes (no host), or equivocating (a host whose network adds a second
//!   signed vote for another value).
//! - **Invariants on every commit**: every committed block's certificate verifies against the
//!   committee of its height; no two honest validators hold different blocks or state roots at
//!   one height. A violation stops the run with a [`SimError`] naming the seed.
//!   [`Report::check_liveness`] bounds heights per simulated minute; [`Report::digest`]
//!   hashes every honest validator's `(height, state root)` for determinism checks.
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
mod invariants;
mod network;
mod report;
mod setup;
mod validator;

use std::collections::BTreeMap;
use std::sync::RwLockReadGuard;

use flux_chain::block::BlockId;
use flux_chain::chain::Chain;
use flux_chain::consensus::{Committee, Height, Input, Round, Step};
use flux_chain::store::MemStore;
use flux_core::{ChainId, Hash};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

pub use config::{Config, Crash, Fault, Link, Partition};
pub use error::SimError;
pub use report::Report;
pub use setup::Setup;

use crate::host::{Host, HostConfig, HostError, serve_sync_from};
use network::{Effect, SimNetwork};
use validator::Validator;

/// What travels between two validators.
#[derive(Clone, Debug)]
enum Payload {
    /// Gossip: an encoded [`Message`](crate::message::Message) (or garbage).
    Gossip(Vec<u8>),
    /// "Send me the decided blocks from this height on."
    SyncRequest(Height),
    /// The answer: encoded [`Decided`](crate::message::Decided) items.
    SyncResponse(Vec<Vec<u8>>),
}

/// One scheduled happening.
#[derive(Debug)]
enum Event {
    Deliver {
        from: usize,
        to: usize,
        payload: Payload,
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
    /// Virtual time 0 on the hosts' clock: the genesis timestamp, ms.
    epoch_ms: u64,
    chain_id: ChainId,
    /// Most decided blocks in one sync answer.
    sync_batch: u64,
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
        for (i, keys) in setup.keys.iter().enumerate() {
            let chain = Chain::open_or_create(setup.store.clone(), &setup.genesis)?;
            validators.push(Validator::new(
                config.fault(i),
                keys.operator.clone(),
                chain,
            ));
        }
        let mut sim = Sim {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            start: setup.start,
            epoch_ms: setup.genesis.timestamp_ms,
            chain_id: setup.genesis.chain_id,
            sync_batch: HostConfig::new(None).sync_batch,
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

    fn host_error(&self, validator: usize, source: HostError) -> SimError {
        let seed = self.config.seed;
        match source {
            HostError::InvalidDecision { height, reason } => SimError::InvalidDecision {
                seed,
                validator,
                height,
                reason,
            },
            source => SimError::Host {
                seed,
                validator,
                source: Box::new(source),
            },
        }
    }

    /// Runs `call` on validator `i`'s host (if it has one) at the current time and performs
    /// what it asked for.
    fn drive<F>(&mut self, i: usize, call: F) -> Result<(), SimError>
    where
        F: FnOnce(&mut Host<MemStore, usize>, u64, &mut SimNetwork<'_>) -> Result<(), HostError>,
    {
        let now_ms = self.epoch_ms.saturating_add(self.now);
        let effects = self.validators[i]
            .drive(|host, net| call(host, now_ms, net))
            .map_err(|e| self.host_error(i, e))?;
        self.perform(i, effects)
    }

    fn start_validator(&mut self, i: usize) -> Result<(), SimError> {
        let v = &mut self.validators[i];
        v.boot().map_err(|e| self.host_error(i, e))?;
        let incarnation = self.validators[i].incarnation;
        let offset = self.rng.next_u64() % self.config.tick_ms;
        self.schedule(self.now + offset + 1, Event::Tick { to: i, incarnation });
        self.drive(i, |host, now_ms, net| host.start(now_ms, net))
    }

    fn honest(&self, i: usize) -> bool {
        self.validators[i].fault.is_none()
    }

    /// Sends `payload` from `from` to `to` over the link: loss, partition, duplication, delay.
    fn send(&mut self, from: usize, to: usize, payload: Payload) {
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
                payload: payload.clone(),
            };
            self.schedule(self.now + delay.max(1), event);
        }
    }

    /// Sends `payload` from `from` to every other validator.
    fn broadcast(&mut self, from: usize, payload: Payload) {
        for to in 0..self.validators.len() {
            if to != from {
                self.send(from, to, payload.clone());
            }
        }
    }

    /// Performs what validator `i`'s host asked for and checks the invariants on its commits.
    fn perform(&mut self, i: usize, effects: Vec<Effect>) -> Result<(), SimError> {
        for effect in effects {
            match effect {
                Effect::Publish(bytes) => self.broadcast(i, Payload::Gossip(bytes)),
                Effect::RequestSync(peer, from_height) => {
                    let n = self.validators.len() as u64;
                    let peer = match peer {
                        Some(p) => Some(p),
                        None if n > 1 => {
                            let p = (self.rng.next_u64() % (n - 1)) as usize;
                            Some(if p >= i { p + 1 } else { p })
                        }
                        None => None,
                    };
                    if let Some(p) = peer {
                        self.send(i, p, Payload::SyncRequest(from_height));
                    }
                }
                Effect::Timer(after_ms, input) => {
                    let event = Event::Timer {
                        to: i,
                        incarnation: self.validators[i].incarnation,
                        input,
                    };
                    self.schedule(self.now + after_ms, event);
                }
                Effect::Committed {
                    commit,
                    certificate,
                    committee,
                } => self.check_commit(i, commit, certificate, committee)?,
            }
        }
        Ok(())
    }

    /// Delivers `payload` from `from` to the running validator `to`.
    fn deliver(&mut self, from: usize, to: usize, payload: Payload) -> Result<(), SimError> {
        match payload {
            Payload::Gossip(bytes) => self.drive(to, |host, now_ms, net| {
                host.on_gossip(from, &bytes, now_ms, net)
            }),
            Payload::SyncRequest(from_height) => {
                // Served from the chain, as a node's network layer does, by a validator that
                // runs a host (silent and garbage validators answer nothing).
                let v = &self.validators[to];
                if v.host.is_none() {
                    return Ok(());
                }
                let items = v
                    .chain()
                    .map(|chain| serve_sync_from(&*chain, from_height, self.sync_batch))
                    .unwrap_or_default();
                if !items.is_empty() {
                    self.send(to, from, Payload::SyncResponse(items));
                }
                Ok(())
            }
            Payload::SyncResponse(items) => self.drive(to, |host, now_ms, net| {
                host.on_sync_response(from, items, now_ms, net)
            }),
        }
    }

    /// Validator `i`'s periodic tick: random bytes from a garbage sender, [`Host::on_tick`]
    /// for a validator with a host.
    fn tick(&mut self, i: usize) -> Result<(), SimError> {
        match self.validators[i].fault {
            Some(Fault::Silent) => Ok(()),
            Some(Fault::Garbage) => {
                let len = (self.rng.next_u32() % 256) as usize;
                let mut bytes = vec![0u8; len];
                self.rng.fill_bytes(&mut bytes);
                self.broadcast(i, Payload::Gossip(bytes));
                Ok(())
            }
            _ => self.drive(i, |host, _, net| host.on_tick(net)),
        }
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
        match event {
            Event::Deliver { from, to, payload } => {
                if !self.validators[to].running {
                    self.dropped += 1;
                    return Ok(true);
                }
                self.delivered += 1;
                self.deliver(from, to, payload)?;
            }
            Event::Timer {
                to,
                incarnation,
                input,
            } => {
                let v = &self.validators[to];
                if v.running && v.incarnation == incarnation {
                    self.drive(to, |host, now_ms, net| host.on_timer(input, now_ms, net))?;
                }
            }
            Event::Tick { to, incarnation } => {
                let v = &self.validators[to];
                if v.running && v.incarnation == incarnation {
                    self.schedule(at + self.config.tick_ms, Event::Tick { to, incarnation });
                    self.tick(to)?;
                }
            }
            Event::Crash(i) => self.validators[i].crash(),
            Event::Restart(i) => {
                if !self.validators[i].running {
                    self.start_validator(i)?;
                }
            }
        }
        Ok(true)
    }

    /// Runs to the end and reports.
    pub fn run(&mut self) -> Result<Report, SimError> {
        while self.step()? {}
        Ok(self.report())
    }

    /// Simulated time now, ms.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Validator `i`'s consensus position `(height, round, step)`, if its host runs and has
    /// started its machine.
    pub fn position(&self, i: usize) -> Option<(Height, Round, Step)> {
        let m = self.host(i)?.machine()?;
        Some((m.height(), m.round(), m.step()))
    }

    /// Validator `i`'s host, while it runs one.
    pub fn host(&self, i: usize) -> Option<&Host<MemStore, usize>> {
        self.validators.get(i)?.host.as_ref()
    }

    /// Validator `i`'s chain (it survives crashes), read-locked; `None` if there is no such
    /// validator (or its lock was poisoned).
    pub fn chain(&self, i: usize) -> Option<RwLockReadGuard<'_, Chain<MemStore>>> {
        self.validators.get(i)?.chain()
    }

    /// The committee validator `i`'s chain decides its next height with (without the members
    /// it has slashed).
    pub fn committee(&self, i: usize) -> Result<Option<Committee>, SimError> {
        let Some(chain) = self.chain(i) else {
            return Ok(None);
        };
        Ok(Some(chain.committee(chain.height() + 1)?))
    }
}
