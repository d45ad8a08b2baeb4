//! The node registry: every node's entry, the payout queues and the lifecycle deadlines.
//!
//! Pure and deterministic: operations take the block height as input, deadlines fire in
//! [`Registry::on_block`] at block boundaries, and every collection is an ordered persistent
//! map, so two registries built from the same operations are equal whatever the insertion
//! order, and cloning one for a tentative block costs O(1). The queues and deadline indexes are
//! derived from the entries ([`Registry::from_entries`] rebuilds them), so the entries alone are
//! what storage keeps and the state root commits to.
//!
//! Timing (SPEC "Node lifecycle", heights inclusive): a node started at `s` may confirm up to
//! `s + confirm_window`; at `s + confirm_window + 1` it goes on the DoS list, which it leaves
//! `dos_duration` blocks later. A node confirmed at `c` may keep alive from `c +
//! min_confirm_interval` (or `e + min_endpoint_confirm_interval` after an endpoint change at
//! `e`) up to `c + expire_after`; at `c + expire_after + 1` it expires. An exit at `x` releases
//! the collateral at `x + unbonding_period`.
//!
//! Each deadline is computed once, when it is set, and kept in the entry
//! ([`NodeEntry::deadline`], [`NodeEntry::keepalive_from`]); the indexes are keyed by the stored
//! heights. So a governance change of `expire_after` or `min_confirm_interval` applies to the
//! windows of confirms made after it (a node confirmed before keeps the window it was given),
//! and a registry rebuilt from its entries after a change is the registry that ran through it.

use flux_core::crypto::{PublicKey, Scheme};
use flux_core::tier::Hardware;
use flux_core::{Address, Amount, ChainParams, Hash, Tier};
use imbl::{OrdMap, OrdSet};
use serde::{Deserialize, Serialize};

use crate::attestation::{BenchmarkEvidence, check_evidence, select_verifiers};
use crate::error::{AttestationError, NodeError};
use crate::lifecycle::{LifecycleEvent, NodeStatus};
use crate::node::{Geolocation, NodeEntry, NodeId, check_endpoint};
use crate::payout::PayoutQueues;

/// What an owner offers when starting a node (the body of a `NodeStart` transaction).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeOffer {
    /// The node's Ed25519 operator key (it signs confirms, attestations and votes).
    pub operator: PublicKey,
    /// The tier.
    pub tier: Tier,
    /// The collateral offered: must be exactly the tier's.
    pub collateral: Amount,
    /// `host:port`.
    pub endpoint: String,
    /// Where it is.
    pub geolocation: Geolocation,
    /// Declared hardware: must meet the tier's minimum.
    pub declared: Hardware,
}

/// Something the registry did, for receipts and for the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistryEvent {
    /// A new node; its owner must pay `collateral` into the bond.
    Started {
        /// The node.
        id: NodeId,
        /// Collateral bonded.
        collateral: Amount,
    },
    /// An expired node started again (its collateral is still bonded).
    Restarted {
        /// The node.
        id: NodeId,
    },
    /// First confirm.
    Confirmed {
        /// The node.
        id: NodeId,
    },
    /// Keep-alive confirm.
    KeptAlive {
        /// The node.
        id: NodeId,
    },
    /// New endpoint.
    EndpointChanged {
        /// The node.
        id: NodeId,
    },
    /// Missed its first confirm.
    DosListed {
        /// The node.
        id: NodeId,
        /// When it is released.
        until: u64,
    },
    /// Missed a keep-alive.
    Expired {
        /// The node.
        id: NodeId,
    },
    /// Leaving.
    Exiting {
        /// The node.
        id: NodeId,
        /// When the collateral returns.
        release_at: u64,
    },
    /// Gone; the collateral returns to the owner.
    Released {
        /// The node.
        id: NodeId,
        /// Who gets the collateral.
        owner: Address,
        /// How much.
        amount: Amount,
    },
}

impl RegistryEvent {
    /// The node concerned.
    pub fn node(&self) -> NodeId {
        match self {
            RegistryEvent::Started { id, .. }
            | RegistryEvent::Restarted { id }
            | RegistryEvent::Confirmed { id }
            | RegistryEvent::KeptAlive { id }
            | RegistryEvent::EndpointChanged { id }
            | RegistryEvent::DosListed { id, .. }
            | RegistryEvent::Expired { id }
            | RegistryEvent::Exiting { id, .. }
            | RegistryEvent::Released { id, .. } => *id,
        }
    }
}

/// The registry. See the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    nodes: OrdMap<NodeId, NodeEntry>,
    payout: PayoutQueues,
    /// Started nodes: (height at which they go on the DoS list, node).
    confirm_deadline: OrdSet<(u64, NodeId)>,
    /// Confirmed nodes: (height at which they expire, node).
    expiry: OrdSet<(u64, NodeId)>,
    /// DoS and exiting nodes: (height at which they are released, node).
    release: OrdSet<(u64, NodeId)>,
    bonded: Amount,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Rebuilds a registry (queues, deadlines, bonded total) from its entries. The deadlines
    /// are the entries' own, whatever the parameters are now; an entry without one (other
    /// than an expired node's) is refused, as it would never leave its status.
    pub fn from_entries(
        entries: impl IntoIterator<Item = NodeEntry>,
    ) -> Result<Registry, NodeError> {
        let mut r = Registry::new();
        for e in entries {
            if (e.status == NodeStatus::Expired) != e.deadline.is_none() {
                return Err(NodeError::Deadline {
                    id: e.id,
                    status: e.status,
                    deadline: e.deadline,
                });
            }
            r.bonded = r.bonded.checked_add(e.collateral)?;
            r.index(&e);
            r.nodes.insert(e.id, e);
        }
        Ok(r)
    }

    /// The deadline index `status` is kept in, if any.
    fn deadlines(&mut self, status: NodeStatus) -> Option<&mut OrdSet<(u64, NodeId)>> {
        match status {
            NodeStatus::Started => Some(&mut self.confirm_deadline),
            NodeStatus::Confirmed => Some(&mut self.expiry),
            NodeStatus::DoS | NodeStatus::Exiting => Some(&mut self.release),
            NodeStatus::Expired => None,
        }
    }

    /// Puts `e` in the queue and deadline index its status calls for, at its stored deadline.
    fn index(&mut self, e: &NodeEntry) {
        if e.status == NodeStatus::Confirmed {
            let since = e.last_paid.or(e.confirmed_at).unwrap_or(e.started_at);
            self.payout.insert(e.id, e.tier, since);
        }
        if let (Some(at), Some(set)) = (e.deadline, self.deadlines(e.status)) {
            set.insert((at, e.id));
        }
    }

    /// Takes `e` out of every queue and deadline index (keyed as [`Registry::index`] put it).
    fn unindex(&mut self, e: &NodeEntry) {
        self.payout.remove(&e.id);
        if let (Some(at), Some(set)) = (e.deadline, self.deadlines(e.status)) {
            set.remove(&(at, e.id));
        }
    }

    /// Replaces an entry, keeping the indexes in step.
    fn put(&mut self, old: &NodeEntry, new: NodeEntry) {
        self.unindex(old);
        self.index(&new);
        self.nodes.insert(new.id, new);
    }

    /// A node's entry.
    pub fn get(&self, id: &NodeId) -> Option<&NodeEntry> {
        self.nodes.get(id)
    }

    /// Every entry, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &NodeEntry> + '_ {
        self.nodes.values()
    }

    /// Number of entries (all statuses).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Total collateral bonded by all entries.
    pub fn bonded(&self) -> Amount {
        self.bonded
    }

    /// The payout queues (confirmed nodes only).
    pub fn payout(&self) -> &PayoutQueues {
        &self.payout
    }

    /// Registers a node at `height`, or restarts an expired one. The caller debits the owner for
    /// a [`RegistryEvent::Started`].
    pub fn start(
        &mut self,
        owner: Address,
        req: NodeOffer,
        height: u64,
        params: &ChainParams,
    ) -> Result<RegistryEvent, NodeError> {
        if req.operator.scheme() != Scheme::Ed25519 {
            return Err(NodeError::OperatorScheme);
        }
        let expected = req.tier.collateral(params);
        if req.collateral != expected {
            return Err(NodeError::WrongCollateral {
                tier: req.tier,
                expected,
                found: req.collateral,
            });
        }
        if !req.declared.meets(&req.tier.minimum(params)) {
            return Err(NodeError::DeclaredBelowTier { tier: req.tier });
        }
        check_endpoint(&req.endpoint)?;
        let id = NodeId::of(&req.operator);
        if let Some(old) = self.nodes.get(&id).cloned() {
            return match old.status {
                NodeStatus::DoS => Err(NodeError::DosListed {
                    id,
                    until: old.deadline.unwrap_or(old.status_since),
                }),
                NodeStatus::Expired if old.owner == owner && old.tier == req.tier => {
                    old.status.apply(LifecycleEvent::Restart)?;
                    let new = NodeEntry {
                        endpoint: req.endpoint,
                        geolocation: req.geolocation,
                        declared: req.declared,
                        status: NodeStatus::Started,
                        started_at: height,
                        confirmed_at: None,
                        last_confirm: None,
                        last_paid: None,
                        status_since: height,
                        deadline: Some(confirm_deadline(height, params)),
                        keepalive_from: None,
                        ..old.clone()
                    };
                    self.put(&old, new);
                    Ok(RegistryEvent::Restarted { id })
                }
                _ => Err(NodeError::AlreadyRegistered { id }),
            };
        }
        let entry = NodeEntry {
            id,
            owner,
            operator: req.operator,
            tier: req.tier,
            collateral: req.collateral,
            endpoint: req.endpoint,
            geolocation: req.geolocation,
            declared: req.declared,
            attested: None,
            status: NodeStatus::Started,
            started_at: height,
            confirmed_at: None,
            last_confirm: None,
            last_paid: None,
            endpoint_changed_at: None,
            status_since: height,
            deadline: Some(confirm_deadline(height, params)),
            keepalive_from: None,
            slashed: Vec::new(),
        };
        self.bonded = self.bonded.checked_add(entry.collateral)?;
        self.index(&entry);
        self.nodes.insert(id, entry);
        Ok(RegistryEvent::Started {
            id,
            collateral: expected,
        })
    }

    /// The verifiers of `subject` for the seed block `seed`.
    pub fn verifiers(&self, seed: &Hash, subject: &NodeId, params: &ChainParams) -> Vec<NodeId> {
        let count = params.nodes.bench_verifiers as usize;
        select_verifiers(self.payout.queued(), seed, subject, count)
    }

    fn entry(&self, id: &NodeId) -> Result<NodeEntry, NodeError> {
        self.nodes
            .get(id)
            .cloned()
            .ok_or(NodeError::UnknownNode { id: *id })
    }

    /// A confirm (first or keep-alive) of `id` at `height`, signed by `sender`, carrying
    /// `evidence` whose seed block has id `seed` (`None`: the chain does not know that height).
    pub fn confirm(
        &mut self,
        id: &NodeId,
        sender: &PublicKey,
        evidence: &BenchmarkEvidence,
        seed: Option<Hash>,
        height: u64,
        params: &ChainParams,
    ) -> Result<RegistryEvent, NodeError> {
        let old = self.entry(id)?;
        if old.operator != *sender {
            return Err(NodeError::NotOperator { id: *id });
        }
        let n = &params.nodes;
        let event = match old.status {
            NodeStatus::Confirmed => LifecycleEvent::KeepAlive,
            _ => LifecycleEvent::Confirm,
        };
        old.status.apply(event)?;
        if let (LifecycleEvent::KeepAlive, Some(allowed)) = (event, old.keepalive_from)
            && height < allowed
        {
            return Err(NodeError::ConfirmTooEarly {
                id: *id,
                last: old.last_confirm.unwrap_or(old.started_at),
                allowed,
            });
        }
        let fresh =
            evidence.seed_height < height && height - evidence.seed_height <= n.bench_seed_max_age;
        let seed = match seed {
            Some(s) if fresh => s,
            _ => {
                return Err(AttestationError::StaleSeed {
                    seed_height: evidence.seed_height,
                    height,
                    max_age: n.bench_seed_max_age,
                }
                .into());
            }
        };
        let selected = self.verifiers(&seed, id, params);
        let operator_of = |v: &NodeId| self.nodes.get(v).map(|e| e.operator);
        check_evidence(
            evidence,
            *id,
            old.tier,
            seed,
            &selected,
            operator_of,
            params,
        )?;
        let new = NodeEntry {
            status: NodeStatus::Confirmed,
            confirmed_at: old.confirmed_at.or(Some(height)),
            last_confirm: Some(height),
            attested: Some(evidence.hardware),
            status_since: if event == LifecycleEvent::Confirm {
                height
            } else {
                old.status_since
            },
            deadline: Some(height.saturating_add(n.expire_after).saturating_add(1)),
            keepalive_from: Some(height.saturating_add(n.min_confirm_interval)),
            ..old.clone()
        };
        self.put(&old, new);
        Ok(match event {
            LifecycleEvent::Confirm => RegistryEvent::Confirmed { id: *id },
            _ => RegistryEvent::KeptAlive { id: *id },
        })
    }

    /// A new endpoint for `id`, signed by its operator. Allowed while started or confirmed.
    pub fn update_endpoint(
        &mut self,
        id: &NodeId,
        sender: &PublicKey,
        endpoint: String,
        height: u64,
        params: &ChainParams,
    ) -> Result<RegistryEvent, NodeError> {
        let old = self.entry(id)?;
        if old.operator != *sender {
            return Err(NodeError::NotOperator { id: *id });
        }
        if !matches!(old.status, NodeStatus::Started | NodeStatus::Confirmed) {
            return Err(NodeError::NotActive {
                id: *id,
                status: old.status,
            });
        }
        check_endpoint(&endpoint)?;
        // A confirmed node that moved may confirm again soon (from its new endpoint).
        let moved_since_confirm = old.last_confirm.is_some_and(|last| height > last);
        let keepalive_from = match old.status {
            NodeStatus::Confirmed if moved_since_confirm => {
                Some(height.saturating_add(params.nodes.min_endpoint_confirm_interval))
            }
            _ => old.keepalive_from,
        };
        let new = NodeEntry {
            endpoint,
            endpoint_changed_at: Some(height),
            keepalive_from,
            ..old.clone()
        };
        self.put(&old, new);
        Ok(RegistryEvent::EndpointChanged { id: *id })
    }

    /// The owner's exit of `id` at `height`: unbonding starts.
    pub fn exit(
        &mut self,
        id: &NodeId,
        sender: &Address,
        height: u64,
        params: &ChainParams,
    ) -> Result<RegistryEvent, NodeError> {
        let old = self.entry(id)?;
        if old.owner != *sender {
            return Err(NodeError::NotOwner { id: *id });
        }
        let release_at = height.saturating_add(params.nodes.unbonding_period);
        self.set_status(
            id,
            LifecycleEvent::Exit,
            NodeStatus::Exiting,
            height,
            Some(release_at),
        )?;
        Ok(RegistryEvent::Exiting {
            id: *id,
            release_at,
        })
    }

    /// Fires the deadlines due at `height` (call once per block, before its transactions):
    /// missed confirms go on the DoS list, missed keep-alives expire, finished DoS and unbonding
    /// periods release the collateral.
    pub fn on_block(
        &mut self,
        height: u64,
        params: &ChainParams,
    ) -> Result<Vec<RegistryEvent>, NodeError> {
        let mut events = Vec::new();
        while let Some(id) = due(&self.confirm_deadline, height) {
            let until = height.saturating_add(params.nodes.dos_duration);
            self.set_status(
                &id,
                LifecycleEvent::ConfirmMissed,
                NodeStatus::DoS,
                height,
                Some(until),
            )?;
            events.push(RegistryEvent::DosListed { id, until });
        }
        while let Some(id) = due(&self.expiry, height) {
            self.set_status(
                &id,
                LifecycleEvent::KeepAliveMissed,
                NodeStatus::Expired,
                height,
                None,
            )?;
            events.push(RegistryEvent::Expired { id });
        }
        while let Some(id) = due(&self.release, height) {
            let old = self.entry(&id)?;
            let event = match old.status {
                NodeStatus::DoS => LifecycleEvent::DosLifted,
                _ => LifecycleEvent::Unbonded,
            };
            old.status.apply(event)?;
            self.unindex(&old);
            self.nodes.remove(&id);
            self.bonded = self.bonded.checked_sub(old.collateral)?;
            events.push(RegistryEvent::Released {
                id,
                owner: old.owner,
                amount: old.collateral,
            });
        }
        Ok(events)
    }

    /// Moves `id` to `status` (never `Confirmed`) through `event` at `height`, with the new
    /// status's `deadline` (the table decides if it may).
    fn set_status(
        &mut self,
        id: &NodeId,
        event: LifecycleEvent,
        status: NodeStatus,
        height: u64,
        deadline: Option<u64>,
    ) -> Result<(), NodeError> {
        let old = self.entry(id)?;
        old.status.apply(event)?;
        let new = NodeEntry {
            status,
            status_since: height,
            deadline,
            keepalive_from: None,
            ..old.clone()
        };
        self.put(&old, new);
        Ok(())
    }

    /// Slashes `id` for equivocating at consensus height `offense`: `fraction` of its collateral
    /// leaves the bond (the caller burns it). Once per node and offense height; a node that is
    /// exiting is still slashable until its collateral is released.
    pub fn slash(
        &mut self,
        id: &NodeId,
        offense: u64,
        fraction: flux_core::params::Ratio,
    ) -> Result<Amount, NodeError> {
        let mut entry = self.entry(id)?;
        if entry.slashed.contains(&offense) {
            return Err(NodeError::AlreadySlashed {
                id: *id,
                height: offense,
            });
        }
        let amount = fraction.of(entry.collateral)?;
        entry.collateral = entry.collateral.checked_sub(amount)?;
        entry.slashed.push(offense);
        self.bonded = self.bonded.checked_sub(amount)?;
        self.nodes.insert(*id, entry);
        Ok(amount)
    }

    /// Pays the head of `tier`'s queue at `height`: returns the node and its owner.
    pub fn pay(&mut self, tier: Tier, height: u64) -> Option<(NodeId, Address)> {
        let id = self.payout.pay(tier, height)?;
        let mut entry = self.nodes.get(&id)?.clone();
        entry.last_paid = Some(height);
        let owner = entry.owner;
        self.nodes.insert(id, entry);
        Some((id, owner))
    }
}

/// The height at which a node started at `height` goes on the DoS list if it has not confirmed.
fn confirm_deadline(height: u64, params: &ChainParams) -> u64 {
    height
        .saturating_add(params.nodes.confirm_window)
        .saturating_add(1)
}

/// The node of the earliest entry of `set` if it is due at `height`.
fn due(set: &OrdSet<(u64, NodeId)>, height: u64) -> Option<NodeId> {
    match set.get_min() {
        Some((at, id)) if *at <= height => Some(*id),
        _ => None,
    }
}
