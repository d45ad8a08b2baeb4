//! [`Ctx`]: what a block's transactions and end-of-block rules work on, and the savepoints
//! that let the block builder roll back one refused transaction without running the block
//! again.

use std::sync::Arc;

use flux_core::{Amount, ChainParams};
use flux_nodes::node::NodeId;
use flux_nodes::registry::Registry;
use imbl::OrdSet;

use super::overlay::Overlay;
use super::{Verification, gov, work};
use crate::state::{State, StateKey};

/// What a block's transactions and reward work on.
pub(crate) struct Ctx<'s> {
    pub(crate) state: &'s State,
    pub(crate) height: u64,
    /// Whether signatures are checked.
    pub(crate) verification: Verification,
    /// Under [`Verification::AssumeValid`]: the parameters with no attestation quorum, made
    /// on the first confirm of the block.
    pub(crate) assumed_params: Option<Arc<ChainParams>>,
    pub(crate) overlay: Overlay<'s>,
    pub(crate) registry: Registry,
    /// Nodes whose entries changed.
    pub(crate) touched: OrdSet<NodeId>,
    pub(crate) apps: imbl::OrdMap<String, crate::apps::AppEntry>,
    /// Apps by expiry height.
    pub(crate) expiries: imbl::OrdSet<(u64, String)>,
    /// Streamed from app escrows to hosts' owners during the block.
    pub(crate) hosting: Amount,
    pub(crate) placement: flux_nodes::placement::Placement,
    /// Apps whose entry or placement changed.
    pub(crate) apps_touched: OrdSet<String>,
    /// Whether capacity appeared (a node joined, an app ended): unplaced instances are retried.
    pub(crate) capacity_freed: bool,
    pub(crate) gov: crate::gov::Governance,
    pub(crate) gov_changes: gov::GovChanges,
    pub(crate) work: crate::work::Work,
    pub(crate) work_changes: work::WorkChanges,
    /// End-of-block job and pool events.
    pub(crate) work_events: Vec<work::JobEvent>,
    pub(crate) parallel: crate::parallel::Parallel,
    /// Parallel-asset entries that changed.
    pub(crate) parallel_changes: OrdSet<StateKey>,
    /// Slashed collateral, burned: it leaves the supply.
    pub(crate) burned: Amount,
}

impl<'a> Ctx<'a> {
    /// A fresh context for the block at `height` on `state` (the maps are persistent, so the
    /// clones are cheap).
    pub(crate) fn new(state: &'a State, height: u64, verification: Verification) -> Ctx<'a> {
        Ctx {
            state,
            height,
            verification,
            assumed_params: None,
            overlay: Overlay::new(state),
            registry: state.registry().clone(),
            touched: OrdSet::new(),
            apps: state.apps().clone(),
            expiries: state.expiries().clone(),
            hosting: Amount::ZERO,
            placement: state.placement().clone(),
            apps_touched: OrdSet::new(),
            capacity_freed: false,
            gov: state.gov().clone(),
            gov_changes: gov::GovChanges::default(),
            work: state.work().clone(),
            work_changes: work::WorkChanges::default(),
            work_events: Vec::new(),
            parallel: state.parallel().clone(),
            parallel_changes: OrdSet::new(),
            burned: Amount::ZERO,
        }
    }
}

/// Where a [`Ctx`] stood before a transaction: restoring it undoes the transaction. Cheap to
/// take (the maps are persistent; the overlay keeps an undo log; the lists are truncated).
pub(crate) struct Savepoint {
    overlay: usize,
    assumed_params: Option<Arc<ChainParams>>,
    registry: flux_nodes::registry::Registry,
    touched: OrdSet<NodeId>,
    apps: imbl::OrdMap<String, crate::apps::AppEntry>,
    expiries: OrdSet<(u64, String)>,
    hosting: Amount,
    placement: flux_nodes::placement::Placement,
    apps_touched: OrdSet<String>,
    capacity_freed: bool,
    gov: crate::gov::Governance,
    gov_changes: GovMarks,
    work: crate::work::Work,
    work_changes: work::WorkChanges,
    work_events: usize,
    parallel: crate::parallel::Parallel,
    parallel_changes: OrdSet<StateKey>,
    burned: Amount,
}

/// The lengths of [`gov::GovChanges`]' lists, and its proposals.
struct GovMarks {
    proposals: OrdSet<u64>,
    votes: usize,
    params: usize,
    upgrades: usize,
    snapshots_added: usize,
    snapshots_removed: usize,
}

impl Ctx<'_> {
    /// Where the context stands now (see [`Ctx::rollback`]).
    pub(crate) fn savepoint(&mut self) -> Savepoint {
        let g = &self.gov_changes;
        Savepoint {
            overlay: self.overlay.savepoint(),
            assumed_params: self.assumed_params.clone(),
            registry: self.registry.clone(),
            touched: self.touched.clone(),
            apps: self.apps.clone(),
            expiries: self.expiries.clone(),
            hosting: self.hosting,
            placement: self.placement.clone(),
            apps_touched: self.apps_touched.clone(),
            capacity_freed: self.capacity_freed,
            gov: self.gov.clone(),
            gov_changes: GovMarks {
                proposals: g.proposals.clone(),
                votes: g.votes.len(),
                params: g.params.len(),
                upgrades: g.upgrades.len(),
                snapshots_added: g.snapshots_added.len(),
                snapshots_removed: g.snapshots_removed.len(),
            },
            work: self.work.clone(),
            work_changes: self.work_changes.clone(),
            work_events: self.work_events.len(),
            parallel: self.parallel.clone(),
            parallel_changes: self.parallel_changes.clone(),
            burned: self.burned,
        }
    }

    /// Restores the context to `point`: as if nothing since had run.
    pub(crate) fn rollback(&mut self, point: Savepoint) {
        self.overlay.rollback(point.overlay);
        self.assumed_params = point.assumed_params;
        self.registry = point.registry;
        self.touched = point.touched;
        self.apps = point.apps;
        self.expiries = point.expiries;
        self.hosting = point.hosting;
        self.placement = point.placement;
        self.apps_touched = point.apps_touched;
        self.capacity_freed = point.capacity_freed;
        self.gov = point.gov;
        let (g, m) = (&mut self.gov_changes, point.gov_changes);
        g.proposals = m.proposals;
        g.votes.truncate(m.votes);
        g.params.truncate(m.params);
        g.upgrades.truncate(m.upgrades);
        g.snapshots_added.truncate(m.snapshots_added);
        g.snapshots_removed.truncate(m.snapshots_removed);
        self.work = point.work;
        self.work_changes = point.work_changes;
        self.work_events.truncate(point.work_events);
        self.parallel = point.parallel;
        self.parallel_changes = point.parallel_changes;
        self.burned = point.burned;
    }
}
