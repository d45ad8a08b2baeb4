//! The invariants checked during a simulation. On every block, in O(what the block changed):
//! the supply under the cap, conservation (what the accounts, bonds, escrows and pools hold,
//! tracked from the block's diff, equals the supply) and each tier within its capacity. Every
//! `full_check_interval` blocks and at the end, in O(state): the held total recomputed from
//! scratch, every node within its capacity and every placed instance valid (on a confirmed
//! node, never two of one app on one node).

use std::collections::BTreeSet;

use flux_chain::state::{State, StateDiff};
use flux_core::Amount;
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeId;

use super::error::Violation;

/// The value held across the state, kept up to date block by block from the diffs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held(i128);

fn base(a: Amount) -> i128 {
    i128::from(a.base_units())
}

fn held_u64(v: i128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// The pools small enough to total on every block: proposal deposits, job fees in escrow,
/// FLUX locked for parallel assets.
fn pools(
    gov: &flux_chain::gov::Governance,
    work: &flux_chain::work::Work,
    parallel: &flux_chain::parallel::Parallel,
) -> Result<i128, Violation> {
    let bad = |_| Violation::Conservation {
        held: u64::MAX,
        supply: 0,
    };
    Ok(base(gov.deposits().map_err(bad)?)
        + base(work.escrow().map_err(bad)?)
        + base(parallel.locked().map_err(bad)?))
}

impl Held {
    /// Everything `state` holds, totalled from scratch (O(accounts + apps)).
    pub fn of(state: &State) -> Result<Held, Violation> {
        let supply = state.ledger().supply.base_units();
        state
            .total_held()
            .map(|a| Held(base(a)))
            .map_err(|_| Violation::Conservation {
                held: u64::MAX,
                supply,
            })
    }

    /// The total after `diff` is committed on `before` (O(what the diff changed)).
    pub fn after(self, before: &State, diff: &StateDiff) -> Result<Held, Violation> {
        let mut held = self.0;
        for (address, account) in &diff.areas.accounts {
            held += base(account.balance) - base(before.account(address).balance);
        }
        for (name, app) in &diff.areas.apps.changed {
            let old = before.apps().get(name).map_or(0, |a| base(a.escrow));
            held += app.as_ref().map_or(0, |a| base(a.escrow)) - old;
        }
        let (old, new) = (before.ledger(), diff.ledger());
        held += base(new.work_pool) - base(old.work_pool);
        held += base(diff.areas.nodes.registry.bonded()) - base(before.registry().bonded());
        let areas = &diff.areas;
        held += pools(&areas.gov.gov, &areas.work.work, &areas.parallel.parallel)?;
        held -= pools(before.gov(), before.work(), before.parallel())?;
        Ok(Held(held))
    }
}

/// Cap, conservation (against the tracked total `held`) and per-tier capacity: O(1), every
/// block.
pub fn check_block(state: &State, held: Held) -> Result<(), Violation> {
    let supply = state.ledger().supply.base_units();
    let cap = state.params().supply.max_supply.base_units();
    if supply > cap {
        return Err(Violation::Cap { supply, cap });
    }
    if held.0 != i128::from(supply) {
        return Err(Violation::Conservation {
            held: held_u64(held.0),
            supply,
        });
    }
    for t in state.placement().utilisation() {
        let (c, u) = (&t.capacity, &t.used);
        if u.cpu_tenths > c.cpu_tenths
            || u.ram_mb > c.ram_mb
            || u.hdd_gb > c.hdd_gb
            || u.gpu > c.gpu
        {
            return Err(Violation::OverCapacity {
                what: format!("tier {:?}", t.tier),
            });
        }
    }
    Ok(())
}

/// The tracked total equals the total recomputed from scratch.
pub fn check_held(state: &State, held: Held) -> Result<(), Violation> {
    let fresh = Held::of(state)?;
    if fresh != held {
        return Err(Violation::Tracking {
            tracked: held_u64(held.0),
            recomputed: held_u64(fresh.0),
        });
    }
    Ok(())
}

/// What a block changed that the per-node and per-instance invariants look at, taken from its
/// diff before the commit.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    /// Apps whose instances moved (or that ended).
    apps: Vec<String>,
    /// Nodes whose entries changed, with whether they are confirmed after the block.
    nodes: Vec<(NodeId, bool)>,
}

impl Changes {
    /// What `diff` changes.
    pub fn of(diff: &StateDiff) -> Changes {
        Changes {
            apps: diff.areas.apps.placement_changed.keys().cloned().collect(),
            nodes: diff
                .areas
                .nodes
                .changed
                .iter()
                .map(|(id, e)| {
                    let confirmed = e
                        .as_ref()
                        .is_some_and(|e| e.status == NodeStatus::Confirmed);
                    (*id, confirmed)
                })
                .collect(),
        }
    }
}

/// The per-node and per-instance invariants of [`check_full`] for what a block changed only
/// (O(change), checked on the state after it): each app whose instances moved has them on
/// distinct confirmed nodes within their capacity, and a node that changed and is no longer
/// confirmed has left the placement.
pub fn check_changes(state: &State, changes: &Changes) -> Result<(), Violation> {
    let placement = state.placement();
    for app in &changes.apps {
        let nodes = placement.where_is(app);
        if !nodes.is_empty() && state.apps().get(app).is_none() {
            return Err(Violation::BadInstance {
                app: app.clone(),
                why: "placed but not registered".into(),
            });
        }
        check_instances(state, app, nodes)?;
    }
    for (id, confirmed) in &changes.nodes {
        if !confirmed && placement.node(id).is_some() {
            return Err(Violation::BadInstance {
                app: String::new(),
                why: format!("node {} is not confirmed but still in the placement", id.0),
            });
        }
        check_node(state, id)?;
    }
    Ok(())
}

/// `node`'s placed demand within its capacity.
fn check_node(state: &State, id: &NodeId) -> Result<(), Violation> {
    let placement = state.placement();
    let (Some(node), Some(used)) = (placement.node(id), placement.used_on(id)) else {
        return Ok(());
    };
    let c = &node.capacity;
    if used.cpu_tenths > c.cpu_tenths
        || used.ram_mb > c.ram_mb
        || used.hdd_gb > c.hdd_gb
        || used.gpu > c.gpu
    {
        return Err(Violation::OverCapacity {
            what: format!("node {}", id.0),
        });
    }
    Ok(())
}

/// `app`'s instances on `nodes`: distinct, in the placement, confirmed, within capacity.
fn check_instances(state: &State, app: &str, nodes: &[NodeId]) -> Result<(), Violation> {
    let placement = state.placement();
    let registry = state.registry();
    let bad = |why: String| Violation::BadInstance {
        app: app.to_owned(),
        why,
    };
    let mut seen = BTreeSet::new();
    for id in nodes {
        if !seen.insert(*id) {
            return Err(bad(format!("two instances on node {}", id.0)));
        }
        if placement.node(id).is_none() {
            return Err(bad(format!("node {} is not in the placement", id.0)));
        }
        match registry.get(id) {
            Some(e) if e.status == NodeStatus::Confirmed => {}
            Some(e) => return Err(bad(format!("node {} is {:?}", id.0, e.status))),
            None => return Err(bad(format!("node {} is not registered", id.0))),
        }
        check_node(state, id)?;
    }
    Ok(())
}

/// Every node within its capacity; every placed instance on a confirmed node that exists in
/// the placement, at most one instance of an app per node.
pub fn check_full(state: &State) -> Result<(), Violation> {
    let placement = state.placement();
    for entry in state.registry().iter() {
        check_node(state, &entry.id)?;
    }
    for (app, nodes) in placement.assignments() {
        check_instances(state, app, nodes)?;
        if state.apps().get(app).is_none() {
            return Err(Violation::BadInstance {
                app: app.to_owned(),
                why: "placed but not registered".into(),
            });
        }
    }
    Ok(())
}
