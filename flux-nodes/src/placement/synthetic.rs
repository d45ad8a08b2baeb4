//! A synthetic network and app population shaped like Flux's, for benchmarks, the
//! `flux placement simulate` command and the network simulator. Deterministic from the seed
//! (a SplitMix64 stream seeded from it), integer-only.
//!
//! Nodes: about 60% Cumulus, 25% Nimbus and 15% Stratus with their tier's minimum hardware
//! (times a multiplier), spread over countries weighted like Flux's map (Germany, the United
//! States, France, Finland, ...) and, within a country, over /16 networks with a few large
//! hosting providers and a long tail; one node in 25 of the larger tiers has GPUs.
//!
//! Apps: mostly small (FluxOS's common 0.1–0.4 CPU, 100–1,000 MB), some medium, a few large
//! and huge ones, in the round sizes people pick, one in a hundred asking for a GPU; mostly 3 instances, some up to 100; one in
//! ten with geolocation rules and one in two hundred with `nodes[]` targets.
//!
//! ```
//! use flux_core::{ChainParams, Hash};
//! use flux_nodes::placement::synthetic;
//! let p = ChainParams::mainnet();
//! let nodes = synthetic::nodes(100, 1, Hash::digest(b"s"), &p)?;
//! let apps = synthetic::apps(50, &nodes, Hash::digest(b"s"), &p)?;
//! assert_eq!((nodes.len(), apps.len()), (100, 50));
//! assert_eq!(nodes, synthetic::nodes(100, 1, Hash::digest(b"s"), &p)?);
//! # Ok::<(), flux_nodes::placement::PlacementError>(())
//! ```

use flux_core::rng::SplitMix64;
use flux_core::tier::Gpu;
use flux_core::{ChainParams, Hash, Tier};

use super::error::PlacementError;
use super::model::{PlacementNode, Workload};
use crate::app::Demand;
use crate::node::{GeoRule, NodeId};

/// Countries with their weight (share of nodes, roughly as on Flux's node map) and regions.
const COUNTRIES: [(&str, u64, &[&str]); 20] = [
    ("EU_DE", 26, &["Bavaria", "Hesse", "Saxony", "NRW"]),
    ("NA_US", 18, &["California", "Texas", "Virginia", "Oregon"]),
    ("EU_FR", 9, &["IDF", "Hauts-de-France"]),
    ("EU_FI", 7, &["Uusimaa"]),
    ("EU_NL", 6, &[]),
    ("EU_GB", 5, &["England"]),
    ("NA_CA", 4, &["Quebec", "Ontario"]),
    ("EU_PL", 3, &[]),
    ("EU_CZ", 2, &[]),
    ("EU_AT", 2, &[]),
    ("EU_SE", 2, &[]),
    ("EU_ES", 2, &[]),
    ("EU_IT", 2, &[]),
    ("AS_SG", 2, &[]),
    ("AS_JP", 2, &[]),
    ("OC_AU", 2, &["NSW"]),
    ("SA_BR", 2, &[]),
    ("AS_IN", 1, &[]),
    ("AF_ZA", 1, &[]),
    ("AS_KR", 2, &[]),
];

/// A deterministic integer random stream ([`SplitMix64`]) seeded from a hash and a label, with
/// the draws the generators need.
#[derive(Clone, Debug)]
pub struct Rng(SplitMix64);

impl Rng {
    /// A stream seeded from `seed` and a domain `label`.
    pub fn new(seed: Hash, label: &str) -> Rng {
        let h = Hash::tagged(label, seed.as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h.as_bytes()[..8]);
        Rng(SplitMix64::new(u64::from_le_bytes(b)))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut r = self.below(weights.iter().sum());
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        0
    }
}

/// `count` nodes; each one's hardware is its tier's minimum times `multiplier` (1 for the live
/// network's typical node).
///
/// # Errors
/// None in practice: [`PlacementError::Node`] if a built-in geolocation were invalid.
pub fn nodes(
    count: u32,
    multiplier: u32,
    seed: Hash,
    params: &ChainParams,
) -> Result<Vec<PlacementNode>, PlacementError> {
    let mut rng = Rng::new(seed, "flux/placement/synthetic/nodes/v1");
    let weights: Vec<u64> = COUNTRIES.iter().map(|c| c.1).collect();
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let tier = Tier::ALL[rng.weighted(&[60, 25, 15])];
        let c = rng.weighted(&weights);
        let (country, weight, regions) = COUNTRIES[c];
        let geo = match regions.len() {
            0 => country.to_owned(),
            n => match rng.below(n as u64 * 2) as usize {
                r if r < n => format!("{country}_{}", regions[r]),
                _ => country.to_owned(),
            },
        };
        // A few big providers and a long tail: the minimum of two draws favours low indexes.
        let pool = weight * 6;
        let net = rng.below(pool).min(rng.below(pool));
        let a = 2 + (c as u64 * 11 + net / 250) % 220;
        let b = net % 250;
        let endpoint = format!("{a}.{b}.{}.{}:16127", rng.below(256), 1 + rng.below(254));
        let mut hw = tier.minimum(params);
        let m = multiplier.max(1);
        hw.cpu_cores = hw.cpu_cores.saturating_mul(m);
        hw.resources.cpu_threads = hw.resources.cpu_threads.saturating_mul(m);
        hw.resources.ram_mb = hw.resources.ram_mb.saturating_mul(u64::from(m));
        hw.resources.ssd_gb = hw.resources.ssd_gb.saturating_mul(u64::from(m));
        if tier != Tier::Cumulus && rng.below(25) == 0 {
            hw.gpu = Gpu {
                count: 1 + rng.below(4) as u32,
                memory_gb: [16, 24, 48, 80][rng.below(4) as usize],
            };
        }
        let id = NodeId(Hash::tagged(
            "flux/placement/synthetic/node-id/v1",
            &[seed.as_bytes().as_slice(), &i.to_le_bytes()].concat(),
        ));
        out.push(PlacementNode::new(
            id,
            tier,
            geo.parse()?,
            &endpoint,
            &hw,
            params,
        ));
    }
    Ok(out)
}

/// `count` apps with FluxOS-like sizes; `nodes` supplies hosts for `nodes[]` targets.
///
/// # Errors
/// None in practice: [`PlacementError::Node`] if a built-in geolocation rule were invalid.
pub fn apps(
    count: u32,
    nodes: &[PlacementNode],
    seed: Hash,
    params: &ChainParams,
) -> Result<Vec<Workload>, PlacementError> {
    let mut rng = Rng::new(seed, "flux/placement/synthetic/apps/v1");
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let instances = match rng.weighted(&[70, 15, 8, 5, 2]) {
            0 => 3,
            1 => 5,
            2 => 10,
            3 => rng.between(20, 50) as u32,
            _ => 100,
        };
        let pick = |rng: &mut Rng, xs: &[u64]| xs[rng.below(xs.len() as u64) as usize];
        let mut demand = match rng.weighted(&[80, 14, 4, 1, 1]) {
            0 => Demand {
                cpu_tenths: rng.between(1, 4) as u32,
                ram_mb: pick(&mut rng, &[100, 200, 300, 500, 1000]),
                hdd_gb: pick(&mut rng, &[1, 2, 5, 10]),
                ..Demand::ZERO
            },
            1 => Demand {
                cpu_tenths: pick(&mut rng, &[5, 8, 10]) as u32,
                ram_mb: pick(&mut rng, &[1500, 2000, 3000, 4000]),
                hdd_gb: pick(&mut rng, &[20, 30, 50]),
                ..Demand::ZERO
            },
            2 => Demand {
                cpu_tenths: pick(&mut rng, &[20, 30, 40]) as u32,
                ram_mb: pick(&mut rng, &[8000, 12000, 16000]),
                hdd_gb: pick(&mut rng, &[100, 200]),
                ..Demand::ZERO
            },
            3 => Demand {
                cpu_tenths: pick(&mut rng, &[60, 80, 100]) as u32,
                ram_mb: pick(&mut rng, &[32000, 48000]),
                hdd_gb: pick(&mut rng, &[400, 600]),
                ..Demand::ZERO
            },
            _ => Demand {
                cpu_tenths: 40,
                ram_mb: 16_000,
                hdd_gb: 100,
                gpu: 1,
                gpu_memory_gb: pick(&mut rng, &[16, 24]),
            },
        };
        if demand.gpu > 0 {
            demand.hdd_gb = demand.hdd_gb.max(50);
        }
        let geo = geo_rules(&mut rng)?;
        let mut targets = Vec::new();
        if rng.below(200) == 0 && !nodes.is_empty() {
            for _ in 0..instances.saturating_mul(2).min(20) {
                let n = &nodes[rng.below(nodes.len() as u64) as usize];
                targets.push(n.host.clone());
            }
        }
        let name = format!("app{i:07}");
        out.push(Workload::new(name, instances, demand, geo, targets, params));
    }
    Ok(out)
}

fn geo_rules(rng: &mut Rng) -> Result<Vec<GeoRule>, PlacementError> {
    let rules: &[&str] = match rng.below(100) {
        0..=3 => &["acEU"],
        4..=5 => &["acNA"],
        6 => &["acEU_DE"],
        7 => &["acNA_US", "acNA_CA"],
        8 => &["acEU", "a!cEU_DE"],
        9 => &["a!cAS"],
        _ => &[],
    };
    Ok(rules.iter().map(|r| r.parse()).collect::<Result<_, _>>()?)
}

/// Small uniform apps totalling `instances` instances (100 per app, the last one smaller):
/// 0.1 CPU, 100–300 MB, 1–4 GB each, for scale tests that must fit.
pub fn tiny_apps(instances: u64, seed: Hash, params: &ChainParams) -> Vec<Workload> {
    let mut rng = Rng::new(seed, "flux/placement/synthetic/tiny/v1");
    let mut out = Vec::new();
    let mut left = instances;
    let mut i = 0u64;
    while left > 0 {
        let n = left.min(100);
        left -= n;
        let demand = Demand {
            cpu_tenths: 1,
            ram_mb: 100 * rng.between(1, 3),
            hdd_gb: rng.between(1, 4),
            ..Demand::ZERO
        };
        let name = format!("tiny{i:07}");
        out.push(Workload::new(
            name,
            n as u32,
            demand,
            vec![],
            vec![],
            params,
        ));
        i += 1;
    }
    out
}
