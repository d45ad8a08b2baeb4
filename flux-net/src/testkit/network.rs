//! [`NetworkFixture`]: a simulated network of validators with faults and invariants.

use std::fmt;

use crate::sim::{Config, Crash, Fault, Link, Partition, Report, Setup, Sim, SimError, Strategies};

/// The environment variable that overrides a fixture's seed ([`NetworkFixture::seed_from_env`]):
/// `FLUX_TESTKIT_SEED=1234 cargo test ...` replays the run a failure named.
pub const SEED_ENV: &str = "FLUX_TESTKIT_SEED";

/// An invariant: checked after every step of the run with the simulation and the number of
/// validators; `Err` says why it broke.
pub type Invariant = Box<dyn Fn(&Sim, usize) -> Result<(), String>>;

/// Why a fixture's run stopped. Both variants name the seed that replays it.
#[derive(Debug, thiserror::Error)]
pub enum NetworkFixtureError {
    /// The simulator stopped the run (a broken safety invariant of its own, or a bad setup).
    #[error("seed {seed}: {source}")]
    Sim {
        /// The run's seed.
        seed: u64,
        /// What the simulator said (boxed: it is large).
        source: Box<SimError>,
    },
    /// A fixture invariant broke.
    #[error("seed {seed}: invariant `{name}` broken at {at_ms} ms: {reason}")]
    Invariant {
        /// The run's seed.
        seed: u64,
        /// The invariant's name.
        name: String,
        /// Simulated time, ms.
        at_ms: u64,
        /// Why.
        reason: String,
    },
}

/// N validators on the deterministic simulated network, with faults and invariants.
///
/// Built from [`Setup::new`] (a devnet genesis whose N Cumulus nodes are the validators) and a
/// [`Config`] (seed, links, faults, duration), both reachable for anything the builder methods
/// do not cover. [`run`](NetworkFixture::run) steps the simulation and checks, after every
/// step, [`invariants::conservation`](super::invariants::conservation),
/// [`invariants::supply_under_cap`](super::invariants::supply_under_cap),
/// [`invariants::honest_never_banned`](super::invariants::honest_never_banned) and every
/// invariant added with [`invariant`](NetworkFixture::invariant). The same seed and configuration give
/// the same run.
pub struct NetworkFixture {
    setup: Setup,
    config: Config,
    invariants: Vec<(String, Invariant)>,
}

impl fmt::Debug for NetworkFixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkFixture")
            .field("validators", &self.setup.len())
            .field("config", &self.config)
            .field(
                "invariants",
                &self.invariants.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl NetworkFixture {
    /// `validators` honest validators (1 to the devnet committee size) on reliable links,
    /// seed 0, one simulated minute.
    pub fn new(validators: usize) -> Result<NetworkFixture, NetworkFixtureError> {
        let setup = Setup::new(validators).map_err(|source| NetworkFixtureError::Sim {
            seed: 0,
            source: Box::new(source),
        })?;
        Ok(NetworkFixture::from_setup(setup, Config::new(0)))
    }

    /// A fixture over an existing setup and configuration (share one [`Setup`] between many
    /// runs: building it is the slow part).
    pub fn from_setup(setup: Setup, config: Config) -> NetworkFixture {
        NetworkFixture {
            setup,
            config,
            invariants: vec![
                (
                    "conservation".into(),
                    Box::new(super::invariants::conservation),
                ),
                (
                    "supply under the cap".into(),
                    Box::new(super::invariants::supply_under_cap),
                ),
                (
                    "honest validators never ban each other".into(),
                    Box::new(super::invariants::honest_never_banned),
                ),
            ],
        }
    }

    /// The RNG seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// The seed from [`SEED_ENV`] if it is set to a number, else `seed`: replay a failure with
    /// `FLUX_TESTKIT_SEED=<seed> cargo test <name>`.
    pub fn seed_from_env(self, seed: u64) -> Self {
        let seed = std::env::var(SEED_ENV)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(seed);
        self.seed(seed)
    }

    /// Every link's latency, jitter, loss and duplication.
    pub fn link(mut self, link: Link) -> Self {
        self.config.link = link;
        self
    }

    /// Cuts the validators into `groups` from `from_ms` until `heal_ms` (simulated time).
    pub fn partition(mut self, groups: Vec<Vec<usize>>, from_ms: u64, heal_ms: u64) -> Self {
        self.config.partitions.push(Partition {
            groups,
            from_ms,
            heal_ms,
        });
        self
    }

    /// Crashes `validator` at `at_ms` (its host and in-flight messages are lost, its chain
    /// survives like a disk) and restarts it at `restart_ms`, if given.
    pub fn crash(mut self, validator: usize, at_ms: u64, restart_ms: Option<u64>) -> Self {
        self.config.crashes.push(Crash {
            validator,
            at_ms,
            restart_ms,
        });
        self
    }

    /// Makes `validator` byzantine (not counted in the simulator's safety and liveness checks).
    pub fn byzantine(mut self, validator: usize, fault: Fault) -> Self {
        self.config.faults.push((validator, fault));
        self
    }

    /// Makes `validator` a byzantine committee member that runs its honest host and every
    /// attack in `strategies` around it (see [`Strategy`](crate::sim::Strategy)).
    ///
    /// ```
    /// use flux_net::sim::Strategy;
    /// use flux_net::testkit::NetworkFixture;
    ///
    /// let report = NetworkFixture::new(4)?
    ///     .seed(2)
    ///     .attacker(3, Strategy::Withholding.into())
    ///     .until_heights(4)
    ///     .run()?;
    /// assert!(report.min_honest_heights >= 4);
    /// # Ok::<(), flux_net::testkit::NetworkFixtureError>(())
    /// ```
    pub fn attacker(self, validator: usize, strategies: Strategies) -> Self {
        self.byzantine(validator, Fault::Byzantine(strategies))
    }

    /// Stops once every honest, running validator has decided `heights` heights (or the
    /// duration is up).
    pub fn until_heights(mut self, heights: u64) -> Self {
        self.config.target_heights = Some(heights);
        self
    }

    /// Stops after `duration_ms` of simulated time at the latest.
    pub fn duration_ms(mut self, duration_ms: u64) -> Self {
        self.config.duration_ms = duration_ms;
        self
    }

    /// Adds an invariant checked after every step, named in the error when it breaks.
    ///
    /// ```
    /// use flux_net::testkit::{NetworkFixture, invariants::heights_within};
    ///
    /// NetworkFixture::new(4)?
    ///     .seed(5)
    ///     .invariant("no one lags", |sim, n| heights_within(sim, &(0..n).collect::<Vec<_>>(), 2))
    ///     .until_heights(3)
    ///     .run()?;
    /// # Ok::<(), flux_net::testkit::NetworkFixtureError>(())
    /// ```
    pub fn invariant(
        mut self,
        name: &str,
        check: impl Fn(&Sim, usize) -> Result<(), String> + 'static,
    ) -> Self {
        self.invariants.push((name.to_owned(), Box::new(check)));
        self
    }

    /// The setup (genesis, committee, node ids).
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// The configuration (for what the builder methods do not cover).
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A fresh simulation of this fixture, to step by hand.
    pub fn sim(&self) -> Result<Sim, NetworkFixtureError> {
        Sim::new(&self.setup, self.config.clone()).map_err(|source| self.sim_error(source))
    }

    /// Runs to the end, checking the invariants after every step; the report of the run.
    pub fn run(&self) -> Result<Report, NetworkFixtureError> {
        self.run_with(|_| Ok(()))
    }

    /// Like [`run`](Self::run), and calls `inspect` with the simulation after every step
    /// (collect what a test asserts on; `Err` stops the run as a broken invariant `inspect`).
    pub fn run_with(
        &self,
        inspect: impl FnMut(&Sim) -> Result<(), String>,
    ) -> Result<Report, NetworkFixtureError> {
        self.run_sim_with(inspect).map(|(_, report)| report)
    }

    /// Like [`run_with`](Self::run_with), and hands back the finished simulation too (for
    /// assertions on the validators' chains, bans and hosts at the end).
    pub fn run_sim_with(
        &self,
        mut inspect: impl FnMut(&Sim) -> Result<(), String>,
    ) -> Result<(Sim, Report), NetworkFixtureError> {
        let mut sim = self.sim()?;
        let n = self.setup.len();
        loop {
            let more = sim.step().map_err(|source| self.sim_error(source))?;
            for (name, check) in &self.invariants {
                check(&sim, n).map_err(|reason| self.broken(name, &sim, reason))?;
            }
            inspect(&sim).map_err(|reason| self.broken("inspect", &sim, reason))?;
            if !more {
                break;
            }
        }
        let report = sim.run().map_err(|source| self.sim_error(source))?;
        Ok((sim, report))
    }

    fn sim_error(&self, source: SimError) -> NetworkFixtureError {
        NetworkFixtureError::Sim {
            seed: self.config.seed,
            source: Box::new(source),
        }
    }

    fn broken(&self, name: &str, sim: &Sim, reason: String) -> NetworkFixtureError {
        NetworkFixtureError::Invariant {
            seed: self.config.seed,
            name: name.to_owned(),
            at_ms: sim.now(),
            reason,
        }
    }
}
