//! Node tiers: [`Tier`] and the hardware units ([`Resources`]) they are measured in.
//!
//! This module names the tiers and the units. The numbers (collateral, minimum hardware,
//! reserve) are [`ChainParams`](crate::ChainParams) fields, and the tier questions answered from
//! them live beside the tier table in [`params`](crate::params) (so `params` needs `tier`, never
//! the other way): which tier a collateral bonds ([`Tier::from_collateral`]), what a tier
//! requires ([`Tier::minimum`]) and whether measured hardware qualifies ([`Tier::admits`],
//! [`Tier::highest_admitted`]).
//!
//! ```
//! use flux_core::{Amount, ChainParams, Tier};
//! use flux_core::tier::{Hardware, Resources};
//!
//! let p = ChainParams::mainnet();
//! assert_eq!(Tier::from_collateral("12500".parse()?, &p), Some(Tier::Nimbus));
//! assert_eq!(Tier::from_collateral("1000.00000001".parse()?, &p), None);
//!
//! let box_ = Hardware {
//!     gpu: Default::default(),
//!     cpu_cores: 4,
//!     resources: Resources { cpu_threads: 8, ram_mb: 32_000, ssd_gb: 500, bandwidth_mbps: 80 },
//! };
//! assert!(Tier::Nimbus.admits(&p, &box_));
//! assert!(!Tier::Stratus.admits(&p, &box_));
//! assert_eq!(Tier::highest_admitted(&p, &box_), Some(Tier::Nimbus));
//! # Ok::<(), flux_core::error::AmountError>(())
//! ```

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

/// A node's hardware as a benchmark measures it, or a tier's minimum: physical CPU cores plus
/// [`Resources`].
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Hardware {
    /// Physical CPU cores.
    pub cpu_cores: u32,
    /// Threads, RAM, SSD and bandwidth.
    pub resources: Resources,
    /// GPUs offered to apps (an extension beyond FluxOS, for AI workloads).
    pub gpu: Gpu,
}

/// GPUs of a node: how many, and the memory of each.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Gpu {
    /// Number of GPUs.
    pub count: u32,
    /// Memory per GPU, GB.
    pub memory_gb: u32,
}

impl Hardware {
    /// Whether every field of `self` is at least the matching field of `minimum`.
    pub fn meets(&self, minimum: &Hardware) -> bool {
        self.cpu_cores >= minimum.cpu_cores
            && self.resources.meets(&minimum.resources)
            && self.gpu.count >= minimum.gpu.count
            && self.gpu.memory_gb >= minimum.gpu.memory_gb
    }
}
