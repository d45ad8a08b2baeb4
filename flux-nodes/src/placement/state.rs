//! [`Placement`]: the assignment and its indexes, with the queries and the bookkeeping every
//! operation shares (assign, release, re-key).

use std::sync::Arc;

use flux_core::{Hash, Tier};
use imbl::{OrdMap, OrdSet};

use super::model::{PlacementNode, TierUtilisation, Unplaced, UnplacedReason, Usage, Workload};
use crate::app::Demand;
use crate::node::NodeId;

/// Ordering of a tier's nodes for the search: least loaded first, ties by the node's
/// seed-derived rank, then by id (ranks are 64-bit hashes, ties are practically impossible).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    /// Highest of CPU, RAM and SSD use, thousandths of capacity.
    pub(crate) load: u32,
    pub(crate) rank: u64,
    pub(crate) id: NodeId,
}

/// A node with what is running on it.
#[derive(Clone, Debug)]
pub(crate) struct NodeSlot {
    pub(crate) node: Arc<PlacementNode>,
    /// `CONTINENT_COUNTRY`, the country bucket.
    pub(crate) country: Arc<str>,
    pub(crate) rank: u64,
    pub(crate) used: Demand,
    /// App name to instance number.
    pub(crate) hosted: OrdMap<Arc<str>, u32>,
}

impl NodeSlot {
    pub(crate) fn key(&self) -> Key {
        let c = &self.node.capacity;
        let load = [
            ratio(u64::from(self.used.cpu_tenths), u64::from(c.cpu_tenths)),
            ratio(self.used.ram_mb, c.ram_mb),
            ratio(self.used.hdd_gb, c.hdd_gb),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        Key {
            load,
            rank: self.rank,
            id: self.node.id,
        }
    }

    /// Whether `d` fits in what is free.
    pub(crate) fn fits(&self, d: &Demand) -> bool {
        let c = &self.node.capacity;
        let u = &self.used;
        u64::from(u.cpu_tenths) + u64::from(d.cpu_tenths) <= u64::from(c.cpu_tenths)
            && u.ram_mb.saturating_add(d.ram_mb) <= c.ram_mb
            && u.hdd_gb.saturating_add(d.hdd_gb) <= c.hdd_gb
            && (d.gpu == 0
                || (u64::from(u.gpu) + u64::from(d.gpu) <= u64::from(c.gpu)
                    && c.gpu_memory_gb >= d.gpu_memory_gb))
    }

    /// Which resources have room for `d`, in [`Resource::ALL`](super::Resource::ALL) order.
    pub(crate) fn room(&self, d: &Demand) -> [bool; 5] {
        let c = &self.node.capacity;
        let u = &self.used;
        [
            u64::from(u.cpu_tenths) + u64::from(d.cpu_tenths) <= u64::from(c.cpu_tenths),
            u.ram_mb.saturating_add(d.ram_mb) <= c.ram_mb,
            u.hdd_gb.saturating_add(d.hdd_gb) <= c.hdd_gb,
            d.gpu == 0 || u64::from(u.gpu) + u64::from(d.gpu) <= u64::from(c.gpu),
            d.gpu == 0 || c.gpu_memory_gb >= d.gpu_memory_gb,
        ]
    }
}

fn ratio(used: u64, capacity: u64) -> u32 {
    if capacity == 0 {
        return 1000;
    }
    let r = u128::from(used) * 1000 / u128::from(capacity);
    u32::try_from(r.min(1000)).unwrap_or(1000)
}

/// An app with its placed instances.
#[derive(Clone, Debug)]
pub(crate) struct AppSlot {
    pub(crate) workload: Arc<Workload>,
    /// Placed instances: numbers ascending, and their nodes.
    pub(crate) labels: Vec<u32>,
    pub(crate) nodes: Vec<NodeId>,
    /// Why the last attempt to place a missing instance failed.
    pub(crate) reason: Option<UnplacedReason>,
}

impl AppSlot {
    pub(crate) fn missing(&self) -> u32 {
        let placed = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.workload.instances.saturating_sub(placed)
    }

    /// The smallest instance number not in use.
    pub(crate) fn free_label(&self) -> u32 {
        let mut next = 0;
        for &l in &self.labels {
            if l != next {
                break;
            }
            next += 1;
        }
        next
    }

    pub(crate) fn insert(&mut self, label: u32, node: NodeId) {
        let at = self.labels.partition_point(|&l| l < label);
        self.labels.insert(at, label);
        self.nodes.insert(at, node);
    }

    pub(crate) fn remove(&mut self, label: u32) -> Option<NodeId> {
        let at = self.labels.binary_search(&label).ok()?;
        self.labels.remove(at);
        Some(self.nodes.remove(at))
    }
}

/// Per tier: nodes, instances, capacity and use.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Totals {
    pub(crate) nodes: u64,
    pub(crate) instances: u64,
    pub(crate) capacity: Usage,
    pub(crate) used: Usage,
}

/// The placement of every app's instances on nodes, with the indexes that make the search
/// fast. Every collection is a persistent ordered map, so a clone (one per tentative block)
/// costs O(1) and iteration order never depends on insertion order.
///
/// See the [module documentation](super) for the algorithm and its guarantees.
#[derive(Clone, Debug)]
pub struct Placement {
    pub(crate) seed: Hash,
    pub(crate) nodes: OrdMap<NodeId, NodeSlot>,
    /// Per tier, every node by [`Key`] (a copy of the slot, so a walk needs no lookups).
    pub(crate) by_tier: [OrdMap<Key, NodeSlot>; 3],
    /// Per tier and country, the nodes by [`Key`] (for apps with allow rules).
    pub(crate) by_country: [OrdMap<Arc<str>, OrdMap<Key, NodeSlot>>; 3],
    /// Host to nodes (for `nodes[]` targets).
    pub(crate) by_host: OrdMap<Arc<str>, OrdSet<NodeId>>,
    pub(crate) apps: OrdMap<Arc<str>, AppSlot>,
    /// Apps with missing instances.
    pub(crate) unplaced: OrdSet<Arc<str>>,
    pub(crate) totals: [Totals; 3],
    /// A speed-only memo, not state: per tier, demands that no node of the tier had room for
    /// (with the resources some node did have room for), valid until capacity is released or
    /// added in that tier. It never changes a result, only skips a scan that would fail.
    pub(crate) full: [Vec<super::select::Full>; 3],
}

impl Placement {
    /// An empty placement; `seed` ranks nodes among equals.
    pub fn new(seed: Hash) -> Placement {
        Placement {
            seed,
            nodes: OrdMap::new(),
            by_tier: Default::default(),
            by_country: Default::default(),
            by_host: OrdMap::new(),
            apps: OrdMap::new(),
            unplaced: OrdSet::new(),
            totals: Default::default(),
            full: Default::default(),
        }
    }

    /// The seed.
    pub fn seed(&self) -> Hash {
        self.seed
    }

    /// The nodes the app's placed instances run on, in instance-number order; empty for an
    /// unknown app.
    pub fn where_is(&self, app: &str) -> &[NodeId] {
        self.apps.get(app).map_or(&[], |a| a.nodes.as_slice())
    }

    /// The app's placed instances as `(instance number, node)`, ascending.
    pub fn instances_of(&self, app: &str) -> Vec<(u32, NodeId)> {
        self.apps.get(app).map_or_else(Vec::new, |a| {
            a.labels
                .iter()
                .copied()
                .zip(a.nodes.iter().copied())
                .collect()
        })
    }

    /// What runs on the node: `(app, instance number)` by app name; empty for an unknown node.
    pub fn on_node(&self, node: &NodeId) -> Vec<(String, u32)> {
        self.nodes.get(node).map_or_else(Vec::new, |s| {
            s.hosted.iter().map(|(a, i)| (a.to_string(), *i)).collect()
        })
    }

    /// The resources in use on the node, or `None` for an unknown node.
    pub fn used_on(&self, node: &NodeId) -> Option<Demand> {
        self.nodes.get(node).map(|s| s.used)
    }

    /// The node as placement knows it.
    pub fn node(&self, node: &NodeId) -> Option<&PlacementNode> {
        self.nodes.get(node).map(|s| s.node.as_ref())
    }

    /// The app's workload.
    pub fn workload(&self, app: &str) -> Option<&Workload> {
        self.apps.get(app).map(|a| a.workload.as_ref())
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of apps.
    pub fn app_count(&self) -> usize {
        self.apps.len()
    }

    /// Number of placed instances.
    pub fn placed_instances(&self) -> u64 {
        self.totals.iter().map(|t| t.instances).sum()
    }

    /// Every app with its nodes, by app name.
    pub fn assignments(&self) -> impl Iterator<Item = (&str, &[NodeId])> {
        self.apps
            .iter()
            .map(|(a, s)| (a.as_ref(), s.nodes.as_slice()))
    }

    /// Use of each tier, smallest first.
    pub fn utilisation(&self) -> [TierUtilisation; 3] {
        Tier::ALL.map(|tier| {
            let t = &self.totals[tier.index()];
            TierUtilisation {
                tier,
                nodes: t.nodes,
                instances: t.instances,
                capacity: t.capacity,
                used: t.used,
            }
        })
    }

    /// Apps with instances that have no node, by app name, each with the number missing and
    /// the constraint that failed.
    pub fn unplaced(&self) -> Vec<Unplaced> {
        self.unplaced
            .iter()
            .filter_map(|name| {
                let a = self.apps.get(name)?;
                Some(Unplaced {
                    app: name.to_string(),
                    missing: a.missing(),
                    reason: a.reason.clone().unwrap_or(UnplacedReason::NoNodes),
                })
            })
            .collect()
    }

    pub(crate) fn unkey(&mut self, slot: &NodeSlot) {
        let key = slot.key();
        let t = slot.node.tier.index();
        self.by_tier[t].remove(&key);
        if let Some(set) = self.by_country[t].get_mut(&slot.country) {
            set.remove(&key);
        }
    }

    pub(crate) fn rekey(&mut self, slot: &NodeSlot) {
        let key = slot.key();
        let t = slot.node.tier.index();
        self.by_tier[t].insert(key, slot.clone());
        self.by_country[t]
            .entry(slot.country.clone())
            .or_default()
            .insert(key, slot.clone());
    }

    /// Puts instance `label` of `app` on `node` (which the caller checked has room).
    pub(crate) fn assign(&mut self, app: &Arc<str>, label: u32, node: NodeId) {
        let Some(mut slot) = self.nodes.get(&node).cloned() else {
            return;
        };
        let Some(workload) = self.apps.get(app).map(|a| a.workload.clone()) else {
            return;
        };
        self.unkey(&slot);
        let d = &workload.demand;
        slot.used = add(&slot.used, d);
        slot.hosted.insert(app.clone(), label);
        let t = &mut self.totals[slot.node.tier.index()];
        t.used.add(d);
        t.instances += 1;
        self.rekey(&slot);
        self.nodes.insert(node, slot);
        if let Some(a) = self.apps.get_mut(app) {
            a.insert(label, node);
        }
    }

    /// Takes instance `label` of `app` off `node`, releasing its resources.
    pub(crate) fn release(&mut self, app: &Arc<str>, label: u32, node: NodeId) {
        let Some(d) = self.apps.get(app).map(|a| a.workload.demand) else {
            return;
        };
        if let Some(a) = self.apps.get_mut(app) {
            a.remove(label);
        }
        let Some(mut slot) = self.nodes.get(&node).cloned() else {
            return;
        };
        self.unkey(&slot);
        slot.used = sub(&slot.used, &d);
        slot.hosted.remove(app);
        let tier = slot.node.tier.index();
        let t = &mut self.totals[tier];
        t.used.sub(&d);
        t.instances = t.instances.saturating_sub(1);
        self.full[tier].clear();
        self.rekey(&slot);
        self.nodes.insert(node, slot);
    }

    /// Records whether `app` is missing instances, and why.
    pub(crate) fn mark(&mut self, app: &Arc<str>, reason: Option<UnplacedReason>) {
        let missing = match self.apps.get_mut(app) {
            Some(a) => {
                a.reason = reason;
                a.missing()
            }
            None => 0,
        };
        if missing > 0 {
            self.unplaced.insert(app.clone());
        } else {
            self.unplaced.remove(app);
        }
    }
}

fn add(a: &Demand, b: &Demand) -> Demand {
    Demand {
        cpu_tenths: a.cpu_tenths.saturating_add(b.cpu_tenths),
        ram_mb: a.ram_mb.saturating_add(b.ram_mb),
        hdd_gb: a.hdd_gb.saturating_add(b.hdd_gb),
        gpu: a.gpu.saturating_add(b.gpu),
        gpu_memory_gb: 0,
    }
}

fn sub(a: &Demand, b: &Demand) -> Demand {
    Demand {
        cpu_tenths: a.cpu_tenths.saturating_sub(b.cpu_tenths),
        ram_mb: a.ram_mb.saturating_sub(b.ram_mb),
        hdd_gb: a.hdd_gb.saturating_sub(b.hdd_gb),
        gpu: a.gpu.saturating_sub(b.gpu),
        gpu_memory_gb: 0,
    }
}
