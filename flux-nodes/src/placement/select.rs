//! The search for one instance's node: tiers in preference order, each walked least loaded
//! first, the first node that fits and spreads best wins.

use std::iter::Peekable;
use std::sync::Arc;

use flux_core::Tier;
use imbl::OrdMap;

use super::model::{Resource, UnplacedReason, Workload};
use super::state::{Key, NodeSlot, Placement};
use crate::app::Demand;
use crate::node::{GeoRule, NodeId, geo_allows};

/// Eligible nodes a search looks at, within one tier, before it settles for one that shares a
/// network or country with the app's other instances.
pub const SPREAD_WINDOW: u32 = 64;

/// Most demands remembered per tier as "no room anywhere".
const FULL_MEMO: usize = 256;

/// Where an app already runs: what a new instance should avoid.
#[derive(Clone, Debug, Default)]
pub(crate) struct Spread {
    pub(crate) nodes: Vec<NodeId>,
    pub(crate) networks: Vec<u64>,
    pub(crate) countries: Vec<Arc<str>>,
}

impl Spread {
    pub(crate) fn of(p: &Placement, nodes: &[NodeId]) -> Spread {
        let mut s = Spread::default();
        for id in nodes {
            if let Some(slot) = p.nodes.get(id) {
                s.push(slot);
            }
        }
        s
    }

    pub(crate) fn push(&mut self, slot: &NodeSlot) {
        self.nodes.push(slot.node.id);
        self.networks.push(slot.node.network);
        self.countries.push(slot.country.clone());
    }

    /// 0: new network and new country; 1: new network; 2: shares a network; `None`: hosts
    /// the app already.
    fn level(&self, slot: &NodeSlot) -> Option<u8> {
        if !self.networks.contains(&slot.node.network) {
            return Some(if self.countries.contains(&slot.country) {
                1
            } else {
                0
            });
        }
        if self.nodes.contains(&slot.node.id) {
            None
        } else {
            Some(2)
        }
    }
}

/// What a search saw, for the reason when it finds nothing.
#[derive(Default)]
struct Scan {
    seen: u64,
    geo_ok: u64,
    fit: u64,
    room: [bool; 5],
    eligible: u32,
    best: Option<(u8, NodeId)>,
}

impl Scan {
    /// Looks at one node; true when the search of this tier can stop.
    fn visit(&mut self, slot: &NodeSlot, w: &Workload, spread: &Spread) -> bool {
        self.seen += 1;
        if !w.geo.is_empty() && !geo_allows(&w.geo, &slot.node.geolocation) {
            return false;
        }
        self.geo_ok += 1;
        if !slot.fits(&w.demand) {
            for (r, ok) in self.room.iter_mut().zip(slot.room(&w.demand)) {
                *r |= ok;
            }
            return false;
        }
        self.fit += 1;
        self.room = [true; 5];
        let Some(level) = spread.level(slot) else {
            return false;
        };
        if self.best.is_none_or(|(l, _)| level < l) {
            self.best = Some((level, slot.node.id));
        }
        self.eligible += 1;
        level == 0 || self.eligible >= SPREAD_WINDOW
    }

    fn reason(&self, w: &Workload) -> UnplacedReason {
        if self.seen == 0 {
            if !w.targets.is_empty() {
                UnplacedReason::TargetsUnavailable
            } else if w.geo.is_empty() {
                UnplacedReason::NoNodes
            } else {
                UnplacedReason::Geolocation
            }
        } else if self.geo_ok == 0 {
            UnplacedReason::Geolocation
        } else if self.fit == 0 {
            Resource::ALL
                .into_iter()
                .zip(self.room)
                .find(|(_, ok)| !ok)
                .map_or(UnplacedReason::Fragmented, |(resource, _)| {
                    UnplacedReason::NoCapacity { resource }
                })
        } else {
            UnplacedReason::AllCandidatesHostApp
        }
    }
}

/// A tier walk that found no node with room for `demand` within `geo`.
#[derive(Clone, Debug)]
pub(crate) struct Full {
    demand: Demand,
    geo: Vec<GeoRule>,
    seen: bool,
    geo_ok: bool,
    room: [bool; 5],
}

impl Placement {
    /// A remembered failed walk that answers for `w` in tier `t`: the same demand and rules,
    /// or the same rules and a smaller demand that some resource already lacked (then `w`
    /// lacks it too, and the reason names it).
    fn memo_hit(&self, t: usize, w: &Workload) -> Option<Full> {
        let d = &w.demand;
        self.full[t]
            .iter()
            .find(|m| {
                m.geo == w.geo
                    && (m.demand == *d
                        || (m.room.contains(&false)
                            && m.demand.cpu_tenths <= d.cpu_tenths
                            && m.demand.ram_mb <= d.ram_mb
                            && m.demand.hdd_gb <= d.hdd_gb
                            && m.demand.gpu <= d.gpu
                            && m.demand.gpu_memory_gb <= d.gpu_memory_gb))
            })
            .cloned()
    }
}

/// Tiers to try for a workload: its preferred tier, then the larger ones.
fn tiers(w: &Workload) -> impl Iterator<Item = Tier> + '_ {
    Tier::ALL.into_iter().filter(move |t| *t >= w.tier)
}

impl Placement {
    /// The node for the next instance of `w`, or why there is none.
    pub(crate) fn choose(
        &mut self,
        w: &Workload,
        spread: &Spread,
    ) -> Result<NodeId, UnplacedReason> {
        let mut scan = Scan::default();
        if !w.targets.is_empty() {
            return self.choose_targeted(w, spread, scan);
        }
        let allows: Vec<&GeoRule> = w
            .geo
            .iter()
            .filter(|r| matches!(r, GeoRule::Allow(_)))
            .collect();
        for tier in tiers(w) {
            let t = tier.index();
            if let Some(m) = self.memo_hit(t, w) {
                scan.seen += u64::from(m.seen);
                scan.geo_ok += u64::from(m.geo_ok);
                for (r, ok) in scan.room.iter_mut().zip(m.room) {
                    *r |= ok;
                }
                continue;
            }
            let before = (scan.seen, scan.geo_ok, scan.fit, scan.room);
            scan.room = [false; 5];
            if allows.is_empty() {
                for (_, slot) in self.by_tier[t].iter() {
                    if scan.visit(slot, w, spread) {
                        break;
                    }
                }
            } else {
                let sets: Vec<&OrdMap<Key, NodeSlot>> = self.by_country[t]
                    .iter()
                    .filter(|(country, _)| allows.iter().any(|r| covers_country(r, country)))
                    .map(|(_, set)| set)
                    .collect();
                for slot in Merge::new(sets) {
                    if scan.visit(slot, w, spread) {
                        break;
                    }
                }
            }
            if scan.fit == before.2 {
                // Nothing here had room: remember it until capacity changes in this tier.
                if self.full[t].len() >= FULL_MEMO {
                    self.full[t].clear();
                }
                self.full[t].push(Full {
                    demand: w.demand,
                    geo: w.geo.clone(),
                    seen: scan.seen > before.0,
                    geo_ok: scan.geo_ok > before.1,
                    room: scan.room,
                });
            }
            for (r, ok) in scan.room.iter_mut().zip(before.3) {
                *r |= ok;
            }
            if let Some((_, id)) = scan.best {
                return Ok(id);
            }
            scan.eligible = 0;
        }
        Err(scan.reason(w))
    }

    fn choose_targeted(
        &self,
        w: &Workload,
        spread: &Spread,
        mut scan: Scan,
    ) -> Result<NodeId, UnplacedReason> {
        // Preferred tier first, then larger ones, then smaller: the owner named these nodes.
        let order = |t: Tier| {
            if t >= w.tier {
                t.index()
            } else {
                3 + (2 - t.index())
            }
        };
        let mut candidates: Vec<(usize, Key)> = Vec::new();
        for target in &w.targets {
            let host = super::model::host_of(target);
            for id in self.by_host.get(host).into_iter().flatten() {
                if let Some(slot) = self.nodes.get(id) {
                    candidates.push((order(slot.node.tier), slot.key()));
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut tier = None;
        for (t, key) in candidates {
            if tier != Some(t) {
                if let Some((_, id)) = scan.best {
                    return Ok(id);
                }
                tier = Some(t);
                scan.eligible = 0;
            }
            if let Some(slot) = self.nodes.get(&key.id)
                && scan.visit(slot, w, spread)
            {
                break;
            }
        }
        match scan.best {
            Some((_, id)) => Ok(id),
            None => Err(scan.reason(w)),
        }
    }
}

/// Whether an allow rule can cover nodes of the `CONTINENT_COUNTRY` bucket.
fn covers_country(rule: &GeoRule, country: &str) -> bool {
    let mut parts = country.split('_');
    let prefix = rule.prefix();
    prefix.first().map(String::as_str) == parts.next()
        && prefix
            .get(1)
            .is_none_or(|c| Some(c.as_str()) == parts.next())
}

/// Merges ordered maps into one ascending walk over their values.
struct Merge<'a> {
    iters: Vec<Peekable<imbl::ordmap::Iter<'a, Key, NodeSlot, imbl::shared_ptr::DefaultSharedPtr>>>,
}

impl<'a> Merge<'a> {
    fn new(maps: Vec<&'a OrdMap<Key, NodeSlot>>) -> Merge<'a> {
        Merge {
            iters: maps.into_iter().map(|m| m.iter().peekable()).collect(),
        }
    }
}

impl<'a> Iterator for Merge<'a> {
    type Item = &'a NodeSlot;

    fn next(&mut self) -> Option<&'a NodeSlot> {
        let mut best: Option<(usize, &'a Key)> = None;
        for (i, it) in self.iters.iter_mut().enumerate() {
            if let Some(&(k, _)) = it.peek()
                && best.is_none_or(|(_, b)| k < b)
            {
                best = Some((i, k));
            }
        }
        let (i, _) = best?;
        self.iters.get_mut(i)?.next().map(|(_, v)| v)
    }
}
