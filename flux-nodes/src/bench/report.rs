//! [`BenchReport`]: what a benchmark measured, and which tiers those figures meet.

use flux_core::ChainParams;
use flux_core::Tier;
use flux_core::tier::Hardware;
use serde::{Deserialize, Serialize};

use super::cpu::CpuChallenge;

/// The figures of one benchmark run (serde; canonical-codec friendly: no optional or flattened
/// fields).
///
/// `hardware` is what tiers are checked against. Its bandwidth is never measured locally (that
/// needs a peer): it is the operator's declaration when `bandwidth_declared`, else 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchReport {
    /// Physical cores, threads, RAM (MB, 1 GB = 1,000 MB), available SSD (GB, 10^9 bytes) of the
    /// benchmark directory's filesystem, and bandwidth (declared, Mbit/s).
    pub hardware: Hardware,
    /// Hash steps per second over all threads ([`cpu_score`](super::cpu::cpu_score)).
    pub cpu_score: u64,
    /// The CPU challenge that was solved for the score.
    pub cpu_challenge: CpuChallenge,
    /// Wall time of the solve, in milliseconds.
    pub cpu_elapsed_ms: u64,
    /// Sequential write throughput to the benchmark directory including `fsync`, in MB/s
    /// (10^6 bytes per second).
    pub disk_write_mbps: u64,
    /// Bytes written by the disk test.
    pub disk_bytes_written: u64,
    /// Whether `hardware.resources.bandwidth_mbps` is a declaration (true) or absent and 0
    /// (false). Never a local measurement: peers measure bandwidth.
    pub bandwidth_declared: bool,
    /// How `hardware.cpu_cores` was found.
    pub cores_source: CoresSource,
}

/// Where the physical core count came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoresSource {
    /// Counted from `/proc/cpuinfo` (distinct physical id / core id pairs, or `cpu cores`).
    Cpuinfo,
    /// Not countable: assumed from the thread count (threads / 2 on x86, threads elsewhere).
    AssumedFromThreads,
}

/// One tier minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Physical CPU cores.
    CpuCores,
    /// CPU threads.
    CpuThreads,
    /// RAM, MB.
    RamMb,
    /// SSD, GB.
    SsdGb,
    /// Bandwidth, Mbit/s.
    BandwidthMbps,
}

impl Requirement {
    /// Every requirement, in table order.
    pub const ALL: [Requirement; 5] = [
        Requirement::CpuCores,
        Requirement::CpuThreads,
        Requirement::RamMb,
        Requirement::SsdGb,
        Requirement::BandwidthMbps,
    ];

    /// A short human name with its unit.
    pub const fn name(self) -> &'static str {
        match self {
            Requirement::CpuCores => "CPU cores",
            Requirement::CpuThreads => "CPU threads",
            Requirement::RamMb => "RAM (MB)",
            Requirement::SsdGb => "SSD (GB)",
            Requirement::BandwidthMbps => "bandwidth (Mbit/s)",
        }
    }

    /// This requirement's figure in `hardware`.
    pub fn of(self, hardware: &Hardware) -> u64 {
        let r = &hardware.resources;
        match self {
            Requirement::CpuCores => u64::from(hardware.cpu_cores),
            Requirement::CpuThreads => u64::from(r.cpu_threads),
            Requirement::RamMb => r.ram_mb,
            Requirement::SsdGb => r.ssd_gb,
            Requirement::BandwidthMbps => u64::from(r.bandwidth_mbps),
        }
    }
}

/// A tier minimum that measured hardware does not reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortfall {
    /// Which minimum.
    pub requirement: Requirement,
    /// The tier's minimum.
    pub required: u64,
    /// What was measured (or declared, for bandwidth).
    pub measured: u64,
}

/// Whether hardware meets one tier, and if not, every minimum it misses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierCheck {
    /// The tier.
    pub tier: Tier,
    /// Whether every minimum holds (exactly [`Tier::admits`]).
    pub met: bool,
    /// The minima that do not hold; empty when `met`.
    pub shortfalls: Vec<Shortfall>,
}

/// Checks `hardware` against `tier`'s minima, listing every shortfall.
pub fn check_tier(params: &ChainParams, tier: Tier, hardware: &Hardware) -> TierCheck {
    let minimum = tier.minimum(params);
    let shortfalls = Requirement::ALL
        .into_iter()
        .filter_map(|requirement| {
            let required = requirement.of(&minimum);
            let measured = requirement.of(hardware);
            (measured < required).then_some(Shortfall {
                requirement,
                required,
                measured,
            })
        })
        .collect();
    TierCheck {
        tier,
        met: tier.admits(params, hardware),
        shortfalls,
    }
}

impl BenchReport {
    /// The tiers whose minima this report's hardware meets ([`Tier::admits`]), smallest first.
    pub fn tiers_met(&self, params: &ChainParams) -> Vec<Tier> {
        Tier::ALL
            .into_iter()
            .filter(|t| t.admits(params, &self.hardware))
            .collect()
    }

    /// The largest tier met ([`Tier::highest_admitted`]), or `None`.
    pub fn highest_tier(&self, params: &ChainParams) -> Option<Tier> {
        Tier::highest_admitted(params, &self.hardware)
    }

    /// Every tier, smallest first, with the minima this report misses.
    pub fn tier_checks(&self, params: &ChainParams) -> Vec<TierCheck> {
        Tier::ALL
            .into_iter()
            .map(|t| check_tier(params, t, &self.hardware))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::tier::Resources;

    #[test]
    fn shortfalls_agree_with_admits() {
        let p = ChainParams::mainnet();
        let cases = [
            (0, 0, 0, 0, 0),
            (2, 4, 8_000, 220, 25),
            (2, 4, 7_999, 220, 25),
            (4, 8, 32_000, 440, 49),
            (8, 16, 64_000, 880, 100),
            (1, 2, 25_769, 40, 0),
        ];
        for (cores, threads, ram, ssd, bw) in cases {
            let hw = Hardware {
                gpu: Default::default(),
                cpu_cores: cores,
                resources: Resources {
                    cpu_threads: threads,
                    ram_mb: ram,
                    ssd_gb: ssd,
                    bandwidth_mbps: bw,
                },
            };
            for t in Tier::ALL {
                let c = check_tier(&p, t, &hw);
                assert_eq!(c.met, c.shortfalls.is_empty(), "{t} {hw:?}");
                assert_eq!(c.met, t.admits(&p, &hw));
                for s in &c.shortfalls {
                    assert!(s.measured < s.required);
                }
            }
        }
    }
}
