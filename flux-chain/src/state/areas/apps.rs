//! Registered apps and where their instances run.

use std::collections::BTreeMap;

use flux_core::error::CodecError;
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeId;
use flux_nodes::placement::{Placement, PlacementNode};
use imbl::{OrdMap, OrdSet};

use super::rows::{AreaReader, RowKey, Table, WriteBatch, decode, wrong_key};
use super::{LoadContext, StateArea, TrieChanges, entry};
use crate::apps::AppEntry;
use crate::error::StoreError;
use crate::state::StateKey;

/// App entries by name.
const APPS: Table = Table::names("apps");
/// Each placed app's `(instance, node)` assignments by app name.
const PLACEMENT: Table = Table::names("placement");

/// Apps and their placement.
#[derive(Clone, Debug)]
pub struct AppsState {
    /// Registered apps by name.
    pub apps: OrdMap<String, AppEntry>,
    /// The apps by expiry height (derived from `apps`, not in the trie): what ends at a
    /// height without a scan of every app.
    pub expiries: OrdSet<(u64, String)>,
    /// Where apps run.
    pub placement: Placement,
}

impl AppsState {
    /// `apps` placed by `placement`, with the expiry index derived.
    pub fn new(apps: OrdMap<String, AppEntry>, placement: Placement) -> AppsState {
        let expiries = apps
            .values()
            .map(|a| (a.expires_at, a.name.clone()))
            .collect();
        AppsState {
            apps,
            expiries,
            placement,
        }
    }
}

/// What a block did to apps and placement.
#[derive(Clone, Debug)]
pub struct AppsDiff {
    /// Apps, expiries and placement after the block.
    pub after: AppsState,
    /// New values of the apps the block touched (`None`: the app ended).
    pub changed: BTreeMap<String, Option<AppEntry>>,
    /// New assignments of the apps whose instances moved (empty: none placed).
    pub placement_changed: BTreeMap<String, Vec<(u32, NodeId)>>,
}

/// The apps area: trie entries [`StateKey::App`] and [`StateKey::Placement`].
pub struct AppsArea;

fn placement_entry(
    name: &str,
    placed: &Vec<(u32, NodeId)>,
) -> Result<(flux_core::Hash, Option<flux_core::Hash>), CodecError> {
    let value = (!placed.is_empty()).then_some(placed);
    entry(&StateKey::Placement(name.to_owned()), value)
}

impl StateArea for AppsArea {
    type Value = AppsState;
    type Diff = AppsDiff;

    fn entries(value: &AppsState, out: &mut TrieChanges) -> Result<(), CodecError> {
        for (name, app) in value.apps.iter() {
            out.push(entry(&StateKey::App(name.clone()), Some(app))?);
            let placed = value.placement.instances_of(name);
            if !placed.is_empty() {
                out.push(placement_entry(name, &placed)?);
            }
        }
        Ok(())
    }

    fn trie_changes(diff: &AppsDiff, out: &mut TrieChanges) -> Result<(), CodecError> {
        for (name, app) in &diff.changed {
            out.push(entry(&StateKey::App(name.clone()), app.as_ref())?);
        }
        for (name, placed) in &diff.placement_changed {
            out.push(placement_entry(name, placed)?);
        }
        Ok(())
    }

    fn apply(value: &mut AppsState, diff: AppsDiff) {
        *value = diff.after;
    }

    fn save(diff: &AppsDiff, batch: &mut WriteBatch) -> Result<(), StoreError> {
        batch.create(APPS);
        batch.create(PLACEMENT);
        for (name, app) in &diff.changed {
            batch.put(APPS, RowKey::Name(name.clone()), app.as_ref())?;
        }
        for (name, placed) in &diff.placement_changed {
            let value = (!placed.is_empty()).then_some(placed);
            batch.put(PLACEMENT, RowKey::Name(name.clone()), value)?;
        }
        Ok(())
    }

    fn save_all(value: &AppsState, batch: &mut WriteBatch) -> Result<(), StoreError> {
        let diff = AppsDiff {
            after: value.clone(),
            changed: value
                .apps
                .iter()
                .map(|(n, a)| (n.clone(), Some(a.clone())))
                .collect(),
            placement_changed: value
                .apps
                .keys()
                .map(|n| (n.clone(), value.placement.instances_of(n)))
                .collect(),
        };
        Self::save(&diff, batch)
    }

    /// The placement is restored from the stored assignments (placement is a function of its
    /// history, so it is restored, never placed anew), on the registry and parameters the
    /// earlier areas loaded.
    fn load(rows: &dyn AreaReader, ctx: &mut LoadContext) -> Result<AppsState, StoreError> {
        let apps = rows
            .rows(APPS)?
            .into_iter()
            .map(|(_, v)| decode::<AppEntry>("app entry", &v))
            .collect::<Result<Vec<_>, _>>()?;
        let mut stored = BTreeMap::new();
        for (k, v) in rows.rows(PLACEMENT)? {
            let RowKey::Name(name) = k else {
                return Err(wrong_key("placement key"));
            };
            stored.insert(name, decode::<Vec<(u32, NodeId)>>("placement", &v)?);
        }
        let params = &ctx.params;
        let registry = ctx.registry.as_ref().ok_or(wrong_key("node registry"))?;
        let nodes = registry
            .iter()
            .filter(|e| e.status == NodeStatus::Confirmed)
            .map(|e| PlacementNode::from_entry(e, params));
        let records = apps.iter().map(|a| {
            let placed = stored.get(&a.name).cloned().unwrap_or_default();
            (a.workload(params), placed)
        });
        let placement =
            Placement::restore(ctx.genesis_seed, nodes, records).map_err(StoreError::Placement)?;
        let apps = apps.into_iter().map(|a| (a.name.clone(), a)).collect();
        Ok(AppsState::new(apps, placement))
    }
}
