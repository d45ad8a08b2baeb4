//! The invariants checked during a simulation. The ledger ones (cap, conservation) and the
//! per-tier capacity run on every block; the per-node capacity and the validity of every placed
//! instance (on a confirmed node, never two of one app on one node) on a schedule.

use std::collections::BTreeSet;

use flux_chain::state::State;
use flux_nodes::lifecycle::NodeStatus;

use super::error::Violation;

/// Cap, conservation and per-tier capacity: cheap, every block.
pub fn check_block(state: &State) -> Result<(), Violation> {
    let supply = state.ledger().supply.base_units();
    let cap = state.params().supply.max_supply.base_units();
    if supply > cap {
        return Err(Violation::Cap { supply, cap });
    }
    let held = state
        .total_held()
        .map_err(|_| Violation::Conservation {
            held: u64::MAX,
            supply,
        })?
        .base_units();
    if held != supply {
        return Err(Violation::Conservation { held, supply });
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

/// Every node within its capacity; every placed instance on a confirmed node that exists in
/// the placement, at most one instance of an app per node.
pub fn check_full(state: &State) -> Result<(), Violation> {
    let placement = state.placement();
    let registry = state.registry();
    for entry in registry.iter() {
        let (Some(node), Some(used)) = (placement.node(&entry.id), placement.used_on(&entry.id))
        else {
            continue;
        };
        let c = &node.capacity;
        if used.cpu_tenths > c.cpu_tenths
            || used.ram_mb > c.ram_mb
            || used.hdd_gb > c.hdd_gb
            || used.gpu > c.gpu
        {
            return Err(Violation::OverCapacity {
                what: format!("node {}", entry.id.0),
            });
        }
    }
    for (app, nodes) in placement.assignments() {
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
        }
        if state.apps().get(app).is_none() {
            return Err(bad("placed but not registered".into()));
        }
    }
    Ok(())
}
