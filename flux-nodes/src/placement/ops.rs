//! The operations the chain applies at block boundaries: build from scratch, add and remove
//! nodes, add, remove and update apps, retry what is missing.

use std::sync::Arc;

use flux_core::Hash;
use imbl::OrdMap;

use super::error::PlacementError;
use super::model::{Move, PlacementNode, Workload};
use super::select::Spread;
use super::state::{AppSlot, NodeSlot, Placement};
use crate::node::NodeId;

/// A placed instance: app, instance number, node.
pub type Placed = (String, u32, NodeId);

impl Placement {
    /// Places `workloads` on `nodes` from scratch: nodes are indexed, then apps are placed one
    /// after the other in app-name order, each instance in turn. The result depends only on
    /// the sets of nodes and workloads and on the seed, never on the order of either slice.
    ///
    /// # Errors
    /// [`PlacementError::DuplicateNode`] or [`PlacementError::DuplicateApp`].
    pub fn build(
        seed: Hash,
        nodes: impl IntoIterator<Item = PlacementNode>,
        workloads: impl IntoIterator<Item = Workload>,
    ) -> Result<Placement, PlacementError> {
        let mut p = Placement::new(seed);
        for n in nodes {
            p.add_node(n)?;
        }
        let mut workloads: Vec<Workload> = workloads.into_iter().collect();
        workloads.sort_by(|a, b| a.app.cmp(&b.app));
        if let Some(w) = workloads.windows(2).find(|w| w[0].app == w[1].app) {
            return Err(PlacementError::DuplicateApp(w[0].app.clone()));
        }
        for w in workloads {
            p.add_app(w)?;
        }
        Ok(p)
    }

    /// Adds a node with nothing on it. Nothing moves; call [`Placement::retry_unplaced`] to
    /// use it for missing instances.
    ///
    /// # Errors
    /// [`PlacementError::DuplicateNode`].
    pub fn add_node(&mut self, node: PlacementNode) -> Result<(), PlacementError> {
        if self.nodes.contains_key(&node.id) {
            return Err(PlacementError::DuplicateNode(node.id));
        }
        let mut h = flux_core::hash::Hasher::new("flux/placement/rank/v1");
        h.update(self.seed.as_bytes()).update(node.id.0.as_bytes());
        let mut rank = [0u8; 8];
        rank.copy_from_slice(&h.finalize().as_bytes()[..8]);
        let country: Arc<str> = format!(
            "{}_{}",
            node.geolocation.continent(),
            node.geolocation.country()
        )
        .into();
        let tier = node.tier.index();
        let t = &mut self.totals[tier];
        t.nodes += 1;
        t.capacity.add(&node.capacity);
        self.full[tier].clear();
        let host: Arc<str> = node.host.as_str().into();
        self.by_host.entry(host).or_default().insert(node.id);
        let slot = NodeSlot {
            node: Arc::new(node),
            country,
            rank: u64::from_le_bytes(rank),
            used: Default::default(),
            hosted: OrdMap::new(),
        };
        self.rekey(&slot);
        self.nodes.insert(slot.node.id, slot);
        Ok(())
    }

    /// Removes nodes (expired, exited or slashed) and re-places at once the instances they
    /// ran, in (app, instance) order; nothing else moves. An instance no node can take is
    /// reported by [`Placement::unplaced`].
    ///
    /// # Errors
    /// [`PlacementError::UnknownNode`] (then nothing is removed).
    pub fn remove_nodes(&mut self, ids: &[NodeId]) -> Result<Vec<Move>, PlacementError> {
        if let Some(id) = ids.iter().find(|id| !self.nodes.contains_key(*id)) {
            return Err(PlacementError::UnknownNode(*id));
        }
        let mut orphans: Vec<(Arc<str>, u32, NodeId)> = Vec::new();
        for id in ids {
            let Some(slot) = self.nodes.remove(id) else {
                continue;
            };
            self.unkey(&slot);
            let tier = slot.node.tier.index();
            let t = &mut self.totals[tier];
            t.nodes = t.nodes.saturating_sub(1);
            t.capacity.sub(&slot.node.capacity);
            t.used.sub(&slot.used);
            t.instances = t.instances.saturating_sub(slot.hosted.len() as u64);
            if let Some(set) = self.by_host.get_mut(slot.node.host.as_str()) {
                set.remove(id);
                if set.is_empty() {
                    self.by_host.remove(slot.node.host.as_str());
                }
            }
            for (app, label) in &slot.hosted {
                if let Some(a) = self.apps.get_mut(app) {
                    a.remove(*label);
                }
                orphans.push((app.clone(), *label, *id));
            }
        }
        orphans.sort();
        let mut moves = Vec::with_capacity(orphans.len());
        for (app, label, from) in orphans {
            let to = self.place_one(&app, label);
            moves.push(Move {
                app: app.to_string(),
                instance: label,
                from,
                to,
            });
        }
        Ok(moves)
    }

    /// Adds an app and places its instances; nothing else moves. Returns the nodes it got.
    ///
    /// # Errors
    /// [`PlacementError::DuplicateApp`].
    pub fn add_app(&mut self, workload: Workload) -> Result<Vec<NodeId>, PlacementError> {
        if self.apps.contains_key(workload.app.as_str()) {
            return Err(PlacementError::DuplicateApp(workload.app));
        }
        let name: Arc<str> = workload.app.as_str().into();
        self.apps.insert(
            name.clone(),
            AppSlot {
                workload: Arc::new(workload),
                labels: Vec::new(),
                nodes: Vec::new(),
                reason: None,
            },
        );
        self.fill(&name);
        Ok(self.where_is(&name).to_vec())
    }

    /// Removes an app and frees its nodes' resources; nothing else moves.
    ///
    /// # Errors
    /// [`PlacementError::UnknownApp`].
    pub fn remove_app(&mut self, app: &str) -> Result<Workload, PlacementError> {
        let slot = self
            .apps
            .get(app)
            .cloned()
            .ok_or_else(|| PlacementError::UnknownApp(app.to_owned()))?;
        let name: Arc<str> = app.into();
        for (label, node) in slot.labels.iter().zip(&slot.nodes) {
            self.release(&name, *label, *node);
        }
        self.apps.remove(app);
        self.unplaced.remove(app);
        Ok(slot.workload.as_ref().clone())
    }

    /// Replaces an app's workload. Instances whose node still satisfies the new workload (room
    /// for the new demand, geolocation, targets) and whose number is below the new instance
    /// count stay; the others are dropped and missing instances are placed.
    ///
    /// # Errors
    /// [`PlacementError::UnknownApp`].
    pub fn update_app(&mut self, workload: Workload) -> Result<Vec<NodeId>, PlacementError> {
        let name: Arc<str> = workload.app.as_str().into();
        let old = self
            .apps
            .get(&name)
            .cloned()
            .ok_or_else(|| PlacementError::UnknownApp(workload.app.clone()))?;
        for (label, node) in old.labels.iter().zip(&old.nodes) {
            self.release(&name, *label, *node);
        }
        let workload = Arc::new(workload);
        if let Some(a) = self.apps.get_mut(&name) {
            a.workload = workload.clone();
        }
        let targets: Vec<&str> = workload
            .targets
            .iter()
            .map(|t| super::model::host_of(t))
            .collect();
        for (label, node) in old.labels.iter().zip(&old.nodes) {
            let keep = *label < workload.instances
                && self.nodes.get(node).is_some_and(|s| {
                    s.fits(&workload.demand)
                        && (workload.geo.is_empty()
                            || crate::node::geo_allows(&workload.geo, &s.node.geolocation))
                        && (targets.is_empty() || targets.contains(&s.node.host.as_str()))
                });
            if keep {
                self.assign(&name, *label, *node);
            }
        }
        self.fill(&name);
        Ok(self.where_is(&name).to_vec())
    }

    /// Tries again every app with missing instances, in app-name order (after nodes were
    /// added or apps removed). Returns what it placed.
    pub fn retry_unplaced(&mut self) -> Vec<Placed> {
        let apps: Vec<Arc<str>> = self.unplaced.iter().cloned().collect();
        let mut placed = Vec::new();
        for app in apps {
            let before: Vec<u32> = self
                .apps
                .get(&app)
                .map(|a| a.labels.clone())
                .unwrap_or_default();
            self.fill(&app);
            for (label, node) in self.instances_of(&app) {
                if !before.contains(&label) {
                    placed.push((app.to_string(), label, node));
                }
            }
        }
        placed
    }

    /// [`Placement::fill`] for the restore path.
    pub(crate) fn fill_missing(&mut self, app: &Arc<str>) {
        self.fill(app);
    }

    /// Places the app's missing instances, lowest free numbers first.
    fn fill(&mut self, app: &Arc<str>) {
        let Some(slot) = self.apps.get(app) else {
            return;
        };
        let workload = slot.workload.clone();
        let mut spread = Spread::of(self, &slot.nodes);
        let mut reason = None;
        while self.apps.get(app).is_some_and(|a| a.missing() > 0) {
            match self.choose(&workload, &spread) {
                Ok(node) => {
                    let label = self.apps.get(app).map_or(0, AppSlot::free_label);
                    self.assign(app, label, node);
                    if let Some(s) = self.nodes.get(&node) {
                        spread.push(s);
                    }
                }
                Err(r) => {
                    reason = Some(r);
                    break;
                }
            }
        }
        self.mark(app, reason);
    }

    /// Re-places one instance of `app` with the given number; its node or `None`.
    fn place_one(&mut self, app: &Arc<str>, label: u32) -> Option<NodeId> {
        let slot = self.apps.get(app)?;
        let workload = slot.workload.clone();
        let spread = Spread::of(self, &slot.nodes);
        match self.choose(&workload, &spread) {
            Ok(node) => {
                self.assign(app, label, node);
                let reason = self.apps.get(app).and_then(|a| a.reason.clone());
                self.mark(app, reason);
                Some(node)
            }
            Err(r) => {
                self.mark(app, Some(r));
                None
            }
        }
    }
}
