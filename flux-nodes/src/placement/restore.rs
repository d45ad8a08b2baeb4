//! Restoring a placement from its recorded assignments.
//!
//! Placement is a function of its history: where an instance went depends on what was there
//! when it was placed. A chain therefore stores the assignments themselves, and on reopen
//! rebuilds the engine's indexes from them with [`Placement::restore`] instead of placing again.

use std::sync::Arc;

use super::error::PlacementError;
use super::model::{PlacementNode, Workload};
use super::state::{AppSlot, Placement};
use crate::node::NodeId;

impl Placement {
    /// A placement with these nodes, and each app's instances on the recorded nodes.
    ///
    /// Every recorded node must be among `nodes`, have room, and host at most one instance of
    /// the app; an app with fewer recorded instances than it asks for is marked unplaced (with
    /// the reason a new attempt would give), and nothing is placed anew.
    ///
    /// ```
    /// use flux_core::{ChainParams, Hash};
    /// use flux_nodes::placement::{Placement, synthetic};
    ///
    /// let params = ChainParams::devnet();
    /// let seed = Hash::digest(b"seed");
    /// let nodes = synthetic::nodes(50, 1, seed, &params)?;
    /// let apps = synthetic::apps(20, &nodes, seed, &params)?;
    /// let placed = Placement::build(seed, nodes.clone(), apps.clone())?;
    /// let records = apps.iter().map(|w| (w.clone(), placed.instances_of(&w.app)));
    /// let restored = Placement::restore(seed, nodes, records)?;
    /// for w in &apps {
    ///     assert_eq!(restored.instances_of(&w.app), placed.instances_of(&w.app));
    /// }
    /// # Ok::<(), flux_nodes::placement::PlacementError>(())
    /// ```
    pub fn restore(
        seed: flux_core::Hash,
        nodes: impl IntoIterator<Item = PlacementNode>,
        apps: impl IntoIterator<Item = (Workload, Vec<(u32, NodeId)>)>,
    ) -> Result<Placement, PlacementError> {
        let mut p = Placement::new(seed);
        for n in nodes {
            p.add_node(n)?;
        }
        for (workload, placed) in apps {
            let name: Arc<str> = workload.app.as_str().into();
            if p.apps.contains_key(&name) {
                return Err(PlacementError::DuplicateApp(workload.app));
            }
            let demand = workload.demand;
            p.apps.insert(
                name.clone(),
                AppSlot {
                    workload: Arc::new(workload),
                    labels: Vec::new(),
                    nodes: Vec::new(),
                    reason: None,
                },
            );
            for (label, node) in placed {
                let slot = p
                    .nodes
                    .get(&node)
                    .ok_or(PlacementError::UnknownNode(node))?;
                let taken = p.apps.get(&name).is_some_and(|a| a.labels.contains(&label));
                if !slot.fits(&demand) || slot.hosted.contains_key(&name) || taken {
                    return Err(PlacementError::Inconsistent {
                        app: name.to_string(),
                        node,
                    });
                }
                p.assign(&name, label, node);
            }
            let missing = p.apps.get(&name).map_or(0, AppSlot::missing);
            if missing > 0 {
                // What a new attempt would say, found on a copy (the copy may place; we do not).
                let mut probe = p.clone();
                probe.fill_missing(&name);
                let reason = probe.apps.get(&name).and_then(|a| a.reason.clone());
                p.mark(
                    &name,
                    reason.or(Some(super::model::UnplacedReason::Fragmented)),
                );
            }
        }
        Ok(p)
    }
}
