//! What a simulation runs: links, partitions, crashes and byzantine validators.

use flux_chain::consensus::Height;

use super::strategy::Strategies;

/// Every link's behaviour (the same for all pairs of validators).
///
/// Probabilities are in parts per million so the simulator uses integers only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// Base one-way latency, ms.
    pub latency_ms: u64,
    /// Extra uniform delay in `0..=jitter_ms`; messages overtake each other when it exceeds
    /// their spacing (reordering).
    pub jitter_ms: u64,
    /// Probability that a message is lost, per million.
    pub loss_ppm: u32,
    /// Probability that a message is delivered twice (independent delays), per million.
    pub duplicate_ppm: u32,
}

impl Link {
    /// A fast, reliable link: 20 ms ± 10 ms, no loss, no duplicates.
    pub fn reliable() -> Link {
        Link {
            latency_ms: 20,
            jitter_ms: 10,
            loss_ppm: 0,
            duplicate_ppm: 0,
        }
    }

    /// A poor link: 50 ms + up to 150 ms jitter (heavy reordering), 10% loss, 5% duplicates.
    pub fn lossy() -> Link {
        Link {
            latency_ms: 50,
            jitter_ms: 150,
            loss_ppm: 100_000,
            duplicate_ppm: 50_000,
        }
    }
}

/// A network partition: validators in different groups can not reach each other from
/// `from_ms` until it heals at `heal_ms` (messages sent meanwhile across groups are lost).
/// Validators in no group form one more group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// The groups (validator indices).
    pub groups: Vec<Vec<usize>>,
    /// Start, simulated ms.
    pub from_ms: u64,
    /// Heal time, simulated ms.
    pub heal_ms: u64,
}

impl Partition {
    fn group_of(&self, v: usize) -> Option<usize> {
        self.groups.iter().position(|g| g.contains(&v))
    }

    /// Whether `a` and `b` are cut off from each other at `now`.
    pub fn separates(&self, a: usize, b: usize, now: u64) -> bool {
        now >= self.from_ms && now < self.heal_ms && self.group_of(a) != self.group_of(b)
    }
}

/// A crash: validator `validator` stops at `at_ms`, losing its host (consensus machine,
/// mempool, timers) and every message in flight to it; its stored chain survives, with the
/// resume point its host wrote before each vote. It restarts at `restart_ms` (if any) with a
/// new host, which resumes the next height from that point (a fresh round, its lock kept)
/// and syncs the heights it missed from its peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crash {
    /// The validator.
    pub validator: usize,
    /// When it stops, simulated ms.
    pub at_ms: u64,
    /// When it restarts, simulated ms (`None`: never).
    pub restart_ms: Option<u64>,
}

/// A byzantine behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Sends nothing, ever.
    Silent,
    /// Follows the protocol but, at `height`, signs a second, conflicting prevote and
    /// precommit for every vote it casts (for a value no one proposed) and sends both.
    Equivocating {
        /// The height at which it equivocates.
        height: Height,
    },
    /// Sends random bytes to every peer on every tick, and nothing else.
    Garbage,
    /// Runs the honest host and, around it, every attack of the set (see
    /// [`Strategy`](super::Strategy)).
    Byzantine(Strategies),
}

/// A simulation's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The RNG seed: the same seed and config give the same run.
    pub seed: u64,
    /// The links.
    pub link: Link,
    /// Byzantine validators (index, behaviour). Not counted in safety and liveness checks.
    pub faults: Vec<(usize, Fault)>,
    /// Partitions.
    pub partitions: Vec<Partition>,
    /// Crashes and restarts.
    pub crashes: Vec<Crash>,
    /// Stop after this much simulated time, ms.
    pub duration_ms: u64,
    /// Stop early once every honest, running validator has decided this many heights
    /// (counted from the setup chain's height).
    pub target_heights: Option<u64>,
    /// Period of each validator's tick ([`Host::on_tick`](crate::host::Host::on_tick): sync
    /// requests, rebroadcast of a stalled height's messages; a garbage sender's bytes), ms.
    pub tick_ms: u64,
}

impl Config {
    /// Reliable links, no faults, one simulated minute.
    pub fn new(seed: u64) -> Config {
        Config {
            seed,
            link: Link::reliable(),
            faults: Vec::new(),
            partitions: Vec::new(),
            crashes: Vec::new(),
            duration_ms: 60_000,
            target_heights: None,
            tick_ms: 500,
        }
    }

    /// The fault of validator `i`, if byzantine.
    pub fn fault(&self, i: usize) -> Option<Fault> {
        self.faults.iter().find(|(v, _)| *v == i).map(|(_, f)| *f)
    }
}
