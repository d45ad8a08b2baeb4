//! Node tiers: [`Tier`] and the hardware units ([`Resources`]) they are measured in.
//!
//! The numbers (collateral, minimum hardware, reserve) are [`ChainParams`] fields; this module
//! names the tiers and the units, and answers the tier questions from them: which tier a
//! collateral bonds ([`Tier::from_collateral`]), what a tier requires ([`Tier::minimum`]) and
//! whether measured hardware qualifies ([`Tier::admits`], [`Tier::highest_admitted`]).
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

use crate::amount::Amount;
use crate::error::{AmountError, ParamsError};
use crate::params::{ChainParams, NodeReserve};

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

    /// The tier whose collateral is exactly `amount`, or `None`: collateral is bonded in exact
    /// amounts, so 1,000.00000001 FLUX is no tier.
    pub fn from_collateral(amount: Amount, params: &ChainParams) -> Option<Tier> {
        Tier::ALL
            .into_iter()
            .find(|t| t.collateral(params) == amount)
    }

    /// The exact collateral a node of this tier bonds.
    ///
    /// ```
    /// use flux_core::{ChainParams, Tier};
    /// assert_eq!(Tier::Stratus.collateral(&ChainParams::mainnet()).to_string(), "40000");
    /// ```
    pub fn collateral(self, params: &ChainParams) -> Amount {
        params.tiers.get(self).collateral
    }

    /// The minimum hardware of the tier (CPU cores, threads, RAM, SSD, bandwidth).
    pub fn minimum(self, params: &ChainParams) -> Hardware {
        let t = params.tiers.get(self);
        Hardware {
            gpu: Default::default(),
            cpu_cores: t.cpu_cores,
            resources: t.minimum,
        }
    }

    /// What a node of this tier keeps for itself (the same for every tier); the rest of its
    /// hardware is offered to apps.
    pub fn reserve(self, params: &ChainParams) -> NodeReserve {
        params.nodes.reserve
    }

    /// Vote weight of one node of this tier, in fixed point (collateral / `vote_weight_unit`:
    /// 10, 125 and 400 on mainnet, i.e. 1, 12.5 and 40 votes). See [`ChainParams::vote_weight`].
    ///
    /// ```
    /// use flux_core::{ChainParams, Tier};
    /// assert_eq!(Tier::Nimbus.vote_weight(&ChainParams::mainnet()), Ok(125));
    /// ```
    pub fn vote_weight(self, params: &ChainParams) -> Result<u64, AmountError> {
        params.vote_weight(self)
    }

    /// Whether measured hardware meets every minimum of this tier.
    pub fn admits(self, params: &ChainParams, hardware: &Hardware) -> bool {
        hardware.meets(&self.minimum(params))
    }

    /// The largest tier whose minima `hardware` meets, or `None` if it does not even meet
    /// Cumulus's.
    pub fn highest_admitted(params: &ChainParams, hardware: &Hardware) -> Option<Tier> {
        Tier::ALL
            .into_iter()
            .rev()
            .find(|t| t.admits(params, hardware))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hardware(cpu_cores: u32, cpu_threads: u32, ram_mb: u64, ssd_gb: u64, bw: u32) -> Hardware {
        Hardware {
            gpu: Default::default(),
            cpu_cores,
            resources: Resources {
                cpu_threads,
                ram_mb,
                ssd_gb,
                bandwidth_mbps: bw,
            },
        }
    }

    #[test]
    fn collateral_must_be_exact() {
        let p = ChainParams::mainnet();
        for t in Tier::ALL {
            let c = t.collateral(&p);
            assert_eq!(Tier::from_collateral(c, &p), Some(t));
            let above = c.checked_add(Amount::from_base_units(1)).unwrap();
            let below = c.checked_sub(Amount::from_base_units(1)).unwrap();
            assert_eq!(Tier::from_collateral(above, &p), None);
            assert_eq!(Tier::from_collateral(below, &p), None);
        }
        assert_eq!(Tier::from_collateral(Amount::ZERO, &p), None);
    }

    #[test]
    fn tier_table_matches_spec() {
        let p = ChainParams::mainnet();
        assert_eq!(Tier::Cumulus.minimum(&p), hardware(2, 4, 8_000, 220, 25));
        assert_eq!(Tier::Nimbus.minimum(&p), hardware(4, 8, 32_000, 440, 50));
        assert_eq!(Tier::Stratus.minimum(&p), hardware(8, 16, 64_000, 880, 100));
        assert_eq!(
            Tier::ALL.map(|t| t.vote_weight(&p)),
            [Ok(10), Ok(125), Ok(400)]
        );
        let r = Tier::Stratus.reserve(&p);
        assert_eq!((r.cpu_cores, r.ram_mb, r.ssd_gb), (1, 2_000, 80));
    }

    #[test]
    fn admission_checks_every_minimum() {
        let p = ChainParams::mainnet();
        let stratus = Tier::Stratus.minimum(&p);
        assert_eq!(Tier::highest_admitted(&p, &stratus), Some(Tier::Stratus));
        let lacking = [
            Hardware {
                gpu: Default::default(),
                cpu_cores: 7,
                ..stratus
            },
            hardware(8, 15, 64_000, 880, 100),
            hardware(8, 16, 63_999, 880, 100),
            hardware(8, 16, 64_000, 879, 100),
            hardware(8, 16, 64_000, 880, 99),
        ];
        for h in lacking {
            assert!(!Tier::Stratus.admits(&p, &h), "{h:?}");
            assert_eq!(Tier::highest_admitted(&p, &h), Some(Tier::Nimbus));
        }
        let tiny = hardware(1, 2, 4_000, 100, 10);
        assert_eq!(Tier::highest_admitted(&p, &tiny), None);
        // Plenty of everything but bandwidth: only Cumulus.
        let thin_pipe = hardware(32, 64, 256_000, 4_000, 30);
        assert_eq!(Tier::highest_admitted(&p, &thin_pipe), Some(Tier::Cumulus));
    }
}
