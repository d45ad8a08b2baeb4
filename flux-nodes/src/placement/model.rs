//! The inputs and outputs of placement: [`PlacementNode`], [`Workload`], [`Unplaced`],
//! [`Move`] and [`TierUtilisation`].

use core::fmt;

use flux_core::tier::Hardware;
use flux_core::{ChainParams, Tier};
use serde::{Deserialize, Serialize};

use crate::app::Demand;
use crate::node::{GeoRule, Geolocation, NodeEntry, NodeId, network_of};

/// A node as placement sees it: where it is and what it offers to apps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementNode {
    /// The node.
    pub id: NodeId,
    /// Its tier.
    pub tier: Tier,
    /// Where it is.
    pub geolocation: Geolocation,
    /// Its network ([`network_of`] its endpoint): instances of one app avoid sharing one.
    pub network: u64,
    /// The host part of its endpoint, which an app's `nodes[]` targets name.
    pub host: String,
    /// What it offers to apps: its hardware minus the node's reserve (see [`capacity_of`]).
    pub capacity: Demand,
}

impl PlacementNode {
    /// A node from its registry entry: attested hardware if any, else declared, minus
    /// `params.nodes.reserve`.
    pub fn from_entry(entry: &NodeEntry, params: &ChainParams) -> PlacementNode {
        let hardware = entry.attested.unwrap_or(entry.declared);
        PlacementNode::new(
            entry.id,
            entry.tier,
            entry.geolocation.clone(),
            &entry.endpoint,
            &hardware,
            params,
        )
    }

    /// A node from its parts; `endpoint` is `host:port` (or a bare host).
    pub fn new(
        id: NodeId,
        tier: Tier,
        geolocation: Geolocation,
        endpoint: &str,
        hardware: &Hardware,
        params: &ChainParams,
    ) -> PlacementNode {
        PlacementNode {
            id,
            tier,
            geolocation,
            network: network_of(endpoint),
            host: host_of(endpoint).to_owned(),
            capacity: capacity_of(hardware, params),
        }
    }
}

/// What `hardware` offers to apps once the node's reserve is kept: CPU in tenths of a thread
/// (the reserved cores count as one thread each, so a Stratus minimum offers 15 CPUs, FluxOS's
/// per-app maximum), RAM in MB, SSD in GB, and every GPU with its memory. Saturates at zero.
///
/// ```
/// use flux_core::{ChainParams, Tier};
/// use flux_nodes::placement::capacity_of;
/// let p = ChainParams::mainnet();
/// let c = capacity_of(&Tier::Cumulus.minimum(&p), &p);
/// assert_eq!((c.cpu_tenths, c.ram_mb, c.hdd_gb), (30, 6_000, 140));
/// ```
pub fn capacity_of(hardware: &Hardware, params: &ChainParams) -> Demand {
    let reserve = params.nodes.reserve;
    let threads = hardware
        .resources
        .cpu_threads
        .saturating_sub(reserve.cpu_cores);
    Demand {
        cpu_tenths: threads.saturating_mul(10),
        ram_mb: hardware.resources.ram_mb.saturating_sub(reserve.ram_mb),
        hdd_gb: hardware.resources.ssd_gb.saturating_sub(reserve.ssd_gb),
        gpu: hardware.gpu.count,
        gpu_memory_gb: u64::from(hardware.gpu.memory_gb),
    }
}

/// The host of a `host:port` endpoint or `nodes[]` target (a bare host is returned as is).
pub fn host_of(endpoint: &str) -> &str {
    if endpoint.starts_with('[') {
        return endpoint
            .split_once(']')
            .map_or(endpoint, |(h, _)| h.trim_start_matches('['));
    }
    match endpoint.rsplit_once(':') {
        // A bare IPv6 address has several colons and no port.
        Some((h, _)) if !h.contains(':') => h,
        _ => endpoint,
    }
}

/// The smallest tier whose minimum hardware, less the reserve, holds `demand` (GPUs aside,
/// which any tier may have); Stratus if none does.
pub fn preferred_tier(demand: &Demand, params: &ChainParams) -> Tier {
    Tier::ALL
        .into_iter()
        .find(|t| {
            let c = capacity_of(&t.minimum(params), params);
            demand.cpu_tenths <= c.cpu_tenths
                && demand.ram_mb <= c.ram_mb
                && demand.hdd_gb <= c.hdd_gb
        })
        .unwrap_or(Tier::Stratus)
}

/// An app to place: how many instances, what each needs, and where it may run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    /// The app's name, unique among placed apps.
    pub app: String,
    /// How many instances to run (one per node).
    pub instances: u32,
    /// What each instance needs.
    pub demand: Demand,
    /// Geolocation rules (allow / forbid by prefix); empty: anywhere.
    pub geo: Vec<GeoRule>,
    /// The spec's `nodes[]`: hosts (or `host:port`) the instances must run on; empty: any.
    pub targets: Vec<String>,
    /// The tier tried first ([`preferred_tier`] of the demand); larger tiers are tried only
    /// when no node of this tier can take an instance, smaller ones never.
    pub tier: Tier,
}

impl Workload {
    /// A workload whose tier preference is derived from `demand` ([`preferred_tier`]).
    pub fn new(
        app: impl Into<String>,
        instances: u32,
        demand: Demand,
        geo: Vec<GeoRule>,
        targets: Vec<String>,
        params: &ChainParams,
    ) -> Workload {
        Workload {
            app: app.into(),
            instances,
            demand,
            geo,
            targets,
            tier: preferred_tier(&demand, params),
        }
    }
}

/// A resource an instance asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// CPU.
    Cpu,
    /// RAM.
    Ram,
    /// SSD.
    Hdd,
    /// Number of GPUs.
    Gpu,
    /// Memory per GPU.
    GpuMemory,
}

impl Resource {
    /// All resources, in the order reasons name them.
    pub const ALL: [Resource; 5] = [
        Resource::Cpu,
        Resource::Ram,
        Resource::Hdd,
        Resource::Gpu,
        Resource::GpuMemory,
    ];
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Cpu => "cpu",
            Resource::Ram => "ram",
            Resource::Hdd => "hdd",
            Resource::Gpu => "gpu",
            Resource::GpuMemory => "gpu memory",
        })
    }
}

/// Which constraint left an instance without a node. Checked in this order over the candidate
/// nodes (the app's targets, else its tiers): existence, geolocation, resources, one instance
/// per node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum UnplacedReason {
    /// There is no node in the app's tier or above.
    NoNodes,
    /// None of the `nodes[]` targets is a registered node.
    TargetsUnavailable,
    /// The geolocation rules exclude every candidate node.
    Geolocation,
    /// No allowed node has this much of `resource` free.
    NoCapacity {
        /// The first resource (in [`Resource::ALL`] order) no node has enough of.
        resource: Resource,
    },
    /// Every resource is free somewhere, but no allowed node has all of them at once.
    Fragmented,
    /// Every allowed node with room already runs an instance of the app.
    AllCandidatesHostApp,
}

impl fmt::Display for UnplacedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnplacedReason::NoNodes => f.write_str("no node of the app's tier or above"),
            UnplacedReason::TargetsUnavailable => f.write_str("nodes[] targets unavailable"),
            UnplacedReason::Geolocation => f.write_str("geolocation excludes every node"),
            UnplacedReason::NoCapacity { resource } => {
                write!(f, "no node with enough free {resource}")
            }
            UnplacedReason::Fragmented => {
                f.write_str("no single node has every resource free at once")
            }
            UnplacedReason::AllCandidatesHostApp => {
                f.write_str("every node with room already hosts the app")
            }
        }
    }
}

/// An app with instances that have no node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unplaced {
    /// The app.
    pub app: String,
    /// Instances without a node.
    pub missing: u32,
    /// Why the last attempt failed.
    pub reason: UnplacedReason,
}

/// An instance that lost its node: where it went, if anywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// The app.
    pub app: String,
    /// The instance number (stable for the instance's life).
    pub instance: u32,
    /// The node it was on.
    pub from: NodeId,
    /// The node it runs on now, or `None` if no node could take it (see
    /// [`Placement::unplaced`](super::Placement::unplaced)).
    pub to: Option<NodeId>,
}

/// Totals of one tier's resources (capacity or use).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// CPU, tenths.
    pub cpu_tenths: u64,
    /// RAM, MB.
    pub ram_mb: u64,
    /// SSD, GB.
    pub hdd_gb: u64,
    /// GPUs.
    pub gpu: u64,
}

impl Usage {
    pub(crate) fn add(&mut self, d: &Demand) {
        self.cpu_tenths = self.cpu_tenths.saturating_add(u64::from(d.cpu_tenths));
        self.ram_mb = self.ram_mb.saturating_add(d.ram_mb);
        self.hdd_gb = self.hdd_gb.saturating_add(d.hdd_gb);
        self.gpu = self.gpu.saturating_add(u64::from(d.gpu));
    }

    pub(crate) fn sub(&mut self, d: &Demand) {
        self.cpu_tenths = self.cpu_tenths.saturating_sub(u64::from(d.cpu_tenths));
        self.ram_mb = self.ram_mb.saturating_sub(d.ram_mb);
        self.hdd_gb = self.hdd_gb.saturating_sub(d.hdd_gb);
        self.gpu = self.gpu.saturating_sub(u64::from(d.gpu));
    }
}

/// How much of one tier's capacity is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierUtilisation {
    /// The tier.
    pub tier: Tier,
    /// Its nodes.
    pub nodes: u64,
    /// Instances running on them.
    pub instances: u64,
    /// What they offer in total.
    pub capacity: Usage,
    /// What instances use in total.
    pub used: Usage,
}

impl TierUtilisation {
    /// Used CPU in thousandths of capacity (0 when there is no capacity), rounded down.
    pub fn cpu_permille(&self) -> u64 {
        permille(self.used.cpu_tenths, self.capacity.cpu_tenths)
    }

    /// Used RAM in thousandths of capacity, rounded down.
    pub fn ram_permille(&self) -> u64 {
        permille(self.used.ram_mb, self.capacity.ram_mb)
    }

    /// Used SSD in thousandths of capacity, rounded down.
    pub fn hdd_permille(&self) -> u64 {
        permille(self.used.hdd_gb, self.capacity.hdd_gb)
    }
}

pub(crate) fn permille(used: u64, capacity: u64) -> u64 {
    if capacity == 0 {
        return 0;
    }
    let p = u128::from(used) * 1000 / u128::from(capacity);
    u64::try_from(p).unwrap_or(u64::MAX)
}
