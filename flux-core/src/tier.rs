//! Node tiers: [`Tier`] and the hardware units ([`Resources`]) they are measured in.
//!
//! The numbers (collateral, minimum hardware, reserve) are [`crate::params::ChainParams`] fields;
//! this module names the tiers and the units.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ParamsError;

/// A FluxNode tier. Ordered by size: `Cumulus < Nimbus < Stratus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// The smallest tier (1,000 FLUX on mainnet).
    Cumulus,
    /// The middle tier (12,500 FLUX on mainnet).
    Nimbus,
    /// The largest tier (40,000 FLUX on mainnet).
    Stratus,
}

impl Tier {
    /// All tiers, smallest first.
    pub const ALL: [Tier; 3] = [Tier::Cumulus, Tier::Nimbus, Tier::Stratus];

    /// The tier's name in lower case.
    pub const fn name(self) -> &'static str {
        match self {
            Tier::Cumulus => "cumulus",
            Tier::Nimbus => "nimbus",
            Tier::Stratus => "stratus",
        }
    }

    /// Index into per-tier arrays (0, 1, 2).
    pub const fn index(self) -> usize {
        match self {
            Tier::Cumulus => 0,
            Tier::Nimbus => 1,
            Tier::Stratus => 2,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Tier {
    type Err = ParamsError;

    /// Parses a tier name, case-insensitively.
    fn from_str(s: &str) -> Result<Tier, ParamsError> {
        Tier::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParamsError::UnknownTier(s.to_owned()))
    }
}

/// Hardware a node has, or a tier requires: CPU threads, RAM (MB, 1 GB = 1,000 MB), SSD (GB) and
/// bandwidth (Mbit/s).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Resources {
    /// CPU threads.
    pub cpu_threads: u32,
    /// RAM in MB.
    pub ram_mb: u64,
    /// SSD in GB.
    pub ssd_gb: u64,
    /// Bandwidth in Mbit/s.
    pub bandwidth_mbps: u32,
}

impl Resources {
    /// Whether every field of `self` is at least the matching field of `minimum`.
    ///
    /// ```
    /// use flux_core::tier::Resources;
    /// let min = Resources { cpu_threads: 4, ram_mb: 8_000, ssd_gb: 220, bandwidth_mbps: 25 };
    /// let mut have = min;
    /// assert!(have.meets(&min));
    /// have.ram_mb -= 1;
    /// assert!(!have.meets(&min));
    /// ```
    pub fn meets(&self, minimum: &Resources) -> bool {
        self.cpu_threads >= minimum.cpu_threads
            && self.ram_mb >= minimum.ram_mb
            && self.ssd_gb >= minimum.ssd_gb
            && self.bandwidth_mbps >= minimum.bandwidth_mbps
    }
}
