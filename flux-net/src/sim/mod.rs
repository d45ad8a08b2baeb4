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
//!   answers with [`serve_sync_shared`](crate::host::serve_sync_shared) into [`Host::on_sync_response`], and a periodic tick
//!   calls [`Host::on_tick`]. Virtual time is added to the genesis timestamp, so blocks carry
//!   plausible timestamps and heights come at the chain's block time.
//! - **Links** ([`Link`]) add latency and jitter (which reorders), lose and duplicate
//!   messages; [`Partition`]s cut groups off until they heal; [`Crash`]es drop a validator's
//!   host (its timers and every message in flight to it are lost, its chain survives like a
//!   disk) and restart it with a new host, which resumes from the chain's resume point and
//!   syncs what it missed.
//! - **Byzantine validators** ([`Fault`]), as wrappers outside the host: silent (no host),
//!   sending random bytes (no host), equivocating (a host whose network adds a second signed
//!   vote for another value), or running [`Strategies`] of attacks (a host with an attacker
//!   around it that rewrites, splits or withholds what it publishes and makes junk, forged,
//!   replayed and flooding messages and poisoned sync answers with its key).
//! - **The node's limits and scoring**: gossip larger than the p2p layer's frame is not sent;
//!   a sync request carries its `max_items` and is served like the node serves it; a host's
//!   penalties add the p2p layer's points and ban a peer at the node's ban score (no message
//!   between the two while it lasts): [`Sim::penalties`], [`Sim::banned`], [`Report::bans`].
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

mod byzantine;
mod config;
mod delivery;
mod error;
mod invariants;
mod network;
mod report;
mod scores;
mod setup;
mod strategy;
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
pub use strategy::{Strategies, Strategy};

use crate::host::{Host, HostConfig, HostError};
use network::SimNetwork;
use scores::Scores;
use validator::Validator;

/// What travels between two validators.
#[derive(Clone, Debug)]
enum Payload {
    /// Gossip: an encoded [`Message`](crate::message::Message) (or garbage).
    Gossip(Vec<u8>),
    /// "Send me at most `max_items` decided blocks from `from` on."
    SyncRequest {
        /// The first height.
        from: Height,
        /// Most blocks asked for.
        max_items: u64,
    },
    /// The answer: encoded [`Decided`](crate::message::Decided) items.
    SyncResponse(Vec<Vec<u8>>),
}

/// One scheduled happening.
#[derive(Debug)]
enum SimEvent {
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
    /// Most decided blocks in one sync answer (the host's `sync_batch`).
    sync_batch: u64,
    /// Most decided blocks an honest host asks for (the node's p2p `sync_batch`).
    sync_items: u64,
    /// Largest gossip payload and sync frame (the node's p2p default), bytes.
    frame_bytes: usize,
    /// Penalties and bans.
    scores: Scores,
    /// The most decided blocks each validator served in one sync answer.
    largest_answer: Vec<u64>,
    /// Gossip not sent: larger than a frame.
    oversized: u64,
    validators: Vec<Validator>,
    queue: BTreeMap<(u64, u64), SimEvent>,
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
        let p2p = scores::node_p2p().ok_or(SimError::Config("the node's p2p defaults"))?;
        let mut validators = Vec::with_capacity(n);
        for (i, keys) in setup.keys.iter().enumerate() {
            let chain = Chain::open_or_create(setup.store.clone(), &setup.genesis)?;
            validators.push(Validator::new(
                config.fault(i),
                keys.operator.clone(),
                chain,
                (i, n, config.seed),
            ));
        }
        let mut sim = Sim {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            start: setup.start,
            epoch_ms: setup.genesis.timestamp_ms,
            chain_id: setup.genesis.chain_id,
            sync_batch: HostConfig::new(None).sync_batch,
            sync_items: u64::from(p2p.sync_batch),
            frame_bytes: p2p.max_message_bytes,
            scores: Scores::new(&p2p),
            largest_answer: vec![0; n],
            oversized: 0,
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
            sim.schedule(c.at_ms, SimEvent::Crash(c.validator));
            if let Some(at) = c.restart_ms {
                sim.schedule(at, SimEvent::Restart(c.validator));
            }
        }
        for i in 0..n {
            sim.start_validator(i)?;
        }
        Ok(sim)
    }

    fn schedule(&mut self, at: u64, event: SimEvent) {
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
            .drive(self.sync_items, |host, net| call(host, now_ms, net))
            .map_err(|e| self.host_error(i, e))?;
        self.perform(i, effects)
    }

    fn start_validator(&mut self, i: usize) -> Result<(), SimError> {
        let v = &mut self.validators[i];
        v.boot().map_err(|e| self.host_error(i, e))?;
        let incarnation = self.validators[i].incarnation;
        let offset = self.rng.next_u64() % self.config.tick_ms;
        self.schedule(self.now + offset + 1, SimEvent::Tick { to: i, incarnation });
        self.drive(i, |host, now_ms, net| host.start(now_ms, net))
    }

    fn honest(&self, i: usize) -> bool {
        self.validators[i].fault.is_none()
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
            SimEvent::Deliver { from, to, payload } => {
                if !self.validators[to].running {
                    self.dropped += 1;
                    return Ok(true);
                }
                self.deliver(from, to, payload)?;
            }
            SimEvent::Timer {
                to,
                incarnation,
                input,
            } => {
                let v = &self.validators[to];
                if v.running && v.incarnation == incarnation {
                    self.drive(to, |host, now_ms, net| host.on_timer(input, now_ms, net))?;
                }
            }
            SimEvent::Tick { to, incarnation } => {
                let v = &self.validators[to];
                if v.running && v.incarnation == incarnation {
                    self.schedule(at + self.config.tick_ms, SimEvent::Tick { to, incarnation });
                    self.tick(to)?;
                }
            }
            SimEvent::Crash(i) => self.validators[i].crash(),
            SimEvent::Restart(i) => {
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
