//! Per-tier payout queues: confirmed nodes ordered by the height they were last paid (the
//! height they were confirmed if never paid), ties by node id. Each block pays the head of each
//! tier's queue and moves it to the back. Every operation is O(log n); a queue is a persistent
//! set, so cloning it for a tentative block is O(1).

use flux_core::Tier;
use imbl::{OrdMap, OrdSet};

use crate::node::NodeId;

/// The three payout queues.
///
/// ```
/// use flux_nodes::payout::PayoutQueues;
/// use flux_nodes::node::NodeId;
/// use flux_core::{Hash, Tier};
///
/// let (a, b) = (NodeId(Hash::digest(b"a")), NodeId(Hash::digest(b"b")));
/// let mut q = PayoutQueues::default();
/// q.insert(a, Tier::Cumulus, 10);
/// q.insert(b, Tier::Cumulus, 5);
/// assert_eq!(q.pay(Tier::Cumulus, 100), Some(b)); // waited longest
/// assert_eq!(q.pay(Tier::Cumulus, 101), Some(a));
/// assert_eq!(q.pay(Tier::Cumulus, 102), Some(b));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PayoutQueues {
    queues: [OrdSet<(u64, NodeId)>; 3],
    position: OrdMap<NodeId, (Tier, u64)>,
}

impl PayoutQueues {
    /// Adds `node` to `tier`'s queue as last paid at `since` (replacing any earlier position).
    pub fn insert(&mut self, node: NodeId, tier: Tier, since: u64) {
        self.remove(&node);
        self.queues[tier.index()].insert((since, node));
        self.position.insert(node, (tier, since));
    }

    /// Removes `node` from its queue; false if it was in none.
    pub fn remove(&mut self, node: &NodeId) -> bool {
        match self.position.remove(node) {
            Some((tier, since)) => {
                self.queues[tier.index()].remove(&(since, *node));
                true
            }
            None => false,
        }
    }

    /// The node `tier` pays next.
    pub fn head(&self, tier: Tier) -> Option<NodeId> {
        self.queues[tier.index()].get_min().map(|(_, n)| *n)
    }

    /// Pays the head of `tier` at `height`: it moves to the back. Returns it.
    pub fn pay(&mut self, tier: Tier, height: u64) -> Option<NodeId> {
        let node = self.head(tier)?;
        self.insert(node, tier, height);
        Some(node)
    }

    /// Every queued (confirmed) node with its tier and queue position, in id order.
    pub fn queued(&self) -> &OrdMap<NodeId, (Tier, u64)> {
        &self.position
    }

    /// Whether `node` is queued.
    pub fn contains(&self, node: &NodeId) -> bool {
        self.position.contains_key(node)
    }

    /// Nodes queued in `tier`.
    pub fn len(&self, tier: Tier) -> usize {
        self.queues[tier.index()].len()
    }

    /// Whether no node is queued in any tier.
    pub fn is_empty(&self) -> bool {
        self.position.is_empty()
    }

    /// `tier`'s queue in payout order: (last paid or confirmed height, node).
    pub fn iter(&self, tier: Tier) -> impl Iterator<Item = &(u64, NodeId)> + '_ {
        self.queues[tier.index()].iter()
    }
}
