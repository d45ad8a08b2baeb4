//! The tier table ([`TierTable`], [`NodeReserve`]) and the tier rules that read it: which tier
//! a collateral bonds, what a tier requires, what it weighs and whether hardware qualifies.
//! They are methods of [`Tier`], written here beside the numbers they read.

use serde::{Deserialize, Serialize};

use super::ChainParams;
use crate::amount::Amount;
use crate::error::AmountError;
use crate::tier::{Hardware, Resources, Tier};

/// One tier's collateral and minimum hardware.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierParams {
    /// Exact collateral a node of this tier bonds.
    pub collateral: Amount,
    /// Minimum physical CPU cores.
    pub cpu_cores: u32,
    /// Minimum hardware (threads, RAM, SSD, bandwidth).
    pub minimum: Resources,
}

/// The three tiers' parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierTable {
    /// Cumulus.
    pub cumulus: TierParams,
    /// Nimbus.
    pub nimbus: TierParams,
    /// Stratus.
    pub stratus: TierParams,
}

impl TierTable {
    /// The parameters of `tier`.
    pub const fn get(&self, tier: Tier) -> &TierParams {
        match tier {
            Tier::Cumulus => &self.cumulus,
            Tier::Nimbus => &self.nimbus,
            Tier::Stratus => &self.stratus,
        }
    }
}

/// What every node keeps for itself; the rest of its hardware is offered to apps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeReserve {
    /// CPU cores kept (1).
    pub cpu_cores: u32,
    /// RAM kept, MB (2,000).
    pub ram_mb: u64,
    /// SSD kept, GB (80).
    pub ssd_gb: u64,
}

impl Tier {
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
