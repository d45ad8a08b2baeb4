//! Scenario files: what a simulation does besides producing blocks (see the module docs of
//! [`super`] for the fields).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::SimulatorError;

/// The baseline scenario's file, built in (`scenarios/baseline.toml` beside this module).
pub const BASELINE: &str = include_str!("scenarios/baseline.toml");

/// A simulation scenario, read from TOML. Every field has a default (the baseline's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// The scenario's name, copied into the report.
    pub name: String,
    /// Shares of Cumulus, Nimbus and Stratus among the genesis and joining nodes (weights).
    pub tier_shares: [u64; 3],
    /// Blocks per report period (one row of `report.json`).
    pub report_interval: u64,
    /// Every this many blocks (and at the last) the per-node and per-instance invariants run;
    /// the ledger and per-tier capacity invariants run on every block.
    pub full_check_interval: u64,
    /// App activity.
    pub apps: AppActivity,
    /// Node churn.
    pub churn: Churn,
    /// Outages: every node of a place stops its keep-alives at a height.
    pub outages: Vec<Outage>,
    /// Compute jobs and cheating workers.
    pub jobs: JobActivity,
    /// Hosting reports.
    pub hosting: HostingActivity,
    /// Nodes that sign two conflicting votes at a height (and are reported and slashed).
    pub equivocations: Vec<Equivocation>,
}

/// Hosting reports: each node that hosts instances reports every `hosting_window` blocks, which
/// credits its hosted resources as work units (paid from the useful-work pool). Off by default:
/// they more than double the transactions of a block (and halve the blocks per second).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HostingActivity {
    /// Whether nodes send hosting reports.
    pub reports: bool,
}

/// Compute jobs (the echo module) and the nodes that reveal wrong results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobActivity {
    /// Jobs the treasury submits per 1,000 blocks.
    pub per_1000_blocks: u64,
    /// Bytes of each job's input (random; the echo job returns it).
    pub input_bytes: u64,
    /// Each job's fuel limit.
    pub fuel: u64,
    /// Each job's fee, base units (at least the chain's `min_job_fee`).
    pub fee_base_units: u64,
    /// Genesis nodes that cheat: they commit to and reveal a wrong output.
    pub cheaters: u64,
    /// How often a cheater's result is wrong, per mille of its jobs.
    pub cheat_permille: u64,
}

impl Default for JobActivity {
    fn default() -> JobActivity {
        JobActivity {
            per_1000_blocks: 0,
            input_bytes: 256,
            fuel: 1_000_000,
            fee_base_units: 10_000_000,
            cheaters: 0,
            cheat_permille: 1_000,
        }
    }
}

/// Living nodes that equivocate at a height: each signs two different prevotes for the
/// previous height, and the treasury reports them as evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivocation {
    /// The height the evidence is sent.
    pub at: u64,
    /// How many nodes (drawn from the living ones).
    pub nodes: u64,
}

/// A whole country (or continent, or region) or a whole network going dark: from `at`, none of
/// its nodes sends a keep-alive again, so each expires `expire_after` blocks after its last
/// confirm and the chain re-places its instances. Exactly one of `place` and `network`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outage {
    /// The height it starts.
    pub at: u64,
    /// A geolocation prefix, e.g. `EU_FR`.
    #[serde(default)]
    pub place: Option<String>,
    /// A network: the first two octets of the nodes' IPv4 endpoints (a /16), e.g. `23.7`.
    #[serde(default)]
    pub network: Option<String>,
}

impl Outage {
    /// Whether a node at `geolocation` with `endpoint` (`host:port`) is in the outage.
    pub fn covers(&self, geolocation: &str, endpoint: &str) -> bool {
        match (&self.place, &self.network) {
            (Some(place), _) => geolocation.starts_with(place.as_str()),
            (None, Some(net)) => endpoint
                .strip_prefix(net.as_str())
                .is_some_and(|rest| rest.starts_with('.')),
            (None, None) => false,
        }
    }
}

/// App registrations (FluxOS-like sizes from the synthetic app generator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppActivity {
    /// Apps registered in the first blocks, `max_per_block` at a time.
    pub initial: u64,
    /// Further registrations per 1,000 blocks.
    pub per_1000_blocks: u64,
    /// Most registrations in one block.
    pub max_per_block: u64,
    /// Shortest `expire` drawn, blocks.
    pub expire_min: u64,
    /// Longest `expire` drawn, blocks.
    pub expire_max: u64,
}

/// Nodes that stop and nodes that join.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Churn {
    /// Per mille of the living nodes that stop sending keep-alives in each report period (they
    /// expire `expire_after` blocks after their last confirm).
    pub stop_permille_per_period: u64,
    /// Per mille of the genesis node count that start (and confirm) as new nodes in each
    /// report period.
    pub join_permille_per_period: u64,
    /// Blocks between a node's keep-alive confirms (between the chain's `min_confirm_interval`
    /// and `expire_after`).
    pub keep_alive_every: u64,
}

impl Default for Scenario {
    fn default() -> Scenario {
        Scenario {
            name: "baseline".into(),
            tier_shares: [60, 25, 15],
            report_interval: 2_880,
            full_check_interval: 2_880,
            apps: AppActivity::default(),
            churn: Churn::default(),
            outages: Vec::new(),
            jobs: JobActivity::default(),
            hosting: HostingActivity::default(),
            equivocations: Vec::new(),
        }
    }
}

impl Default for AppActivity {
    fn default() -> AppActivity {
        AppActivity {
            initial: 2_000,
            per_1000_blocks: 100,
            max_per_block: 50,
            expire_min: 5_000,
            expire_max: 88_000,
        }
    }
}

impl Default for Churn {
    fn default() -> Churn {
        Churn {
            stop_permille_per_period: 1,
            join_permille_per_period: 1,
            keep_alive_every: 560,
        }
    }
}

impl Scenario {
    /// The baseline scenario: the defaults, the same as [`BASELINE`] parsed.
    pub fn baseline() -> Scenario {
        Scenario::default()
    }

    /// Parses a scenario.
    pub fn from_toml(text: &str) -> Result<Scenario, SimulatorError> {
        let s: Scenario =
            toml::from_str(text).map_err(|e| SimulatorError::Scenario(e.to_string()))?;
        s.check()?;
        Ok(s)
    }

    /// Reads a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, SimulatorError> {
        let text = std::fs::read_to_string(path).map_err(|source| SimulatorError::Io {
            path: path.to_owned(),
            source,
        })?;
        Scenario::from_toml(&text)
    }

    fn check(&self) -> Result<(), SimulatorError> {
        let bad = |m: &str| Err(SimulatorError::Scenario(m.into()));
        if self.tier_shares.iter().sum::<u64>() == 0 {
            return bad("tier_shares must not all be zero");
        }
        if self.report_interval == 0 || self.full_check_interval == 0 {
            return bad("report_interval and full_check_interval must be positive");
        }
        if self.apps.expire_min > self.apps.expire_max {
            return bad("apps.expire_min exceeds apps.expire_max");
        }
        if self.churn.keep_alive_every == 0 {
            return bad("churn.keep_alive_every must be positive");
        }
        if self
            .outages
            .iter()
            .any(|o| o.place.is_some() == o.network.is_some())
        {
            return bad("each outage needs exactly one of place and network");
        }
        if self.jobs.cheat_permille > 1_000 {
            return bad("jobs.cheat_permille must be at most 1000");
        }
        Ok(())
    }
}
