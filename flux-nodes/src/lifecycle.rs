//! The node lifecycle: statuses, the events that move between them, and the timing rules.
//!
//! ```text
//!            Confirm                KeepAlive
//!  Started ───────────► Confirmed ◄──────────┐
//!   │  │                 │  │  └─────────────┘
//!   │  │ ConfirmMissed   │  │ KeepAliveMissed
//!   │  ▼                 │  ▼
//!   │ DoS ──DosLifted──► (released)   Expired ──Restart──► Started
//!   │                    │               │
//!   └──Exit──► Exiting ◄─┴──Exit─────────┘
//!              │
//!              └──Unbonded──► (released)
//! ```
//!
//! Every pair of status and event not drawn above is an [`LifecycleError::IllegalTransition`]:
//! never a silent no-op.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::error::LifecycleError;

/// Where a node is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NodeStatus {
    /// Registered, collateral bonded, waiting for its first confirm.
    Started,
    /// Confirmed and alive: paid, eligible for the committee and for apps.
    Confirmed,
    /// Missed a keep-alive: not paid; may restart or exit.
    Expired,
    /// Missed its first confirm: the collateral is held for the DoS period.
    DoS,
    /// Leaving: the collateral returns after the unbonding period.
    Exiting,
}

/// What happens to a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LifecycleEvent {
    /// The first confirm after a start.
    Confirm,
    /// A later confirm.
    KeepAlive,
    /// The confirm window passed without a confirm.
    ConfirmMissed,
    /// The keep-alive window passed without a confirm.
    KeepAliveMissed,
    /// The DoS period is over.
    DosLifted,
    /// The owner starts an expired node again.
    Restart,
    /// The owner leaves.
    Exit,
    /// The unbonding period is over.
    Unbonded,
}

/// The result of a transition: a new status, or the node leaves the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// The node moves to this status.
    To(NodeStatus),
    /// The node leaves the registry and its collateral is released to the owner.
    Released,
}

impl NodeStatus {
    /// The transition table.
    ///
    /// ```
    /// use flux_nodes::lifecycle::{LifecycleEvent as E, NodeStatus as S, Transition};
    /// assert_eq!(S::Started.apply(E::Confirm), Ok(Transition::To(S::Confirmed)));
    /// assert!(S::DoS.apply(E::Confirm).is_err());
    /// ```
    pub fn apply(self, event: LifecycleEvent) -> Result<Transition, LifecycleError> {
        use LifecycleEvent as E;
        use NodeStatus as S;
        match (self, event) {
            (S::Started, E::Confirm) => Ok(Transition::To(S::Confirmed)),
            (S::Started, E::ConfirmMissed) => Ok(Transition::To(S::DoS)),
            (S::Confirmed, E::KeepAlive) => Ok(Transition::To(S::Confirmed)),
            (S::Confirmed, E::KeepAliveMissed) => Ok(Transition::To(S::Expired)),
            (S::Expired, E::Restart) => Ok(Transition::To(S::Started)),
            (S::Started | S::Confirmed | S::Expired, E::Exit) => Ok(Transition::To(S::Exiting)),
            (S::DoS, E::DosLifted) | (S::Exiting, E::Unbonded) => Ok(Transition::Released),
            (from, event) => Err(LifecycleError::IllegalTransition { from, event }),
        }
    }

    /// Whether nodes in this status are paid and eligible for committees, verification and apps.
    pub const fn is_active(self) -> bool {
        matches!(self, NodeStatus::Confirmed)
    }
}

impl fmt::Display for NodeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUSES: [NodeStatus; 5] = [
        NodeStatus::Started,
        NodeStatus::Confirmed,
        NodeStatus::Expired,
        NodeStatus::DoS,
        NodeStatus::Exiting,
    ];
    const EVENTS: [LifecycleEvent; 8] = [
        LifecycleEvent::Confirm,
        LifecycleEvent::KeepAlive,
        LifecycleEvent::ConfirmMissed,
        LifecycleEvent::KeepAliveMissed,
        LifecycleEvent::DosLifted,
        LifecycleEvent::Restart,
        LifecycleEvent::Exit,
        LifecycleEvent::Unbonded,
    ];

    #[test]
    fn exactly_the_drawn_transitions_are_legal() {
        let legal: usize = STATUSES
            .iter()
            .flat_map(|s| EVENTS.iter().map(move |e| s.apply(*e)))
            .filter(Result::is_ok)
            .count();
        assert_eq!(legal, 10);
        for s in STATUSES {
            for e in EVENTS {
                if let Err(err) = s.apply(e) {
                    assert_eq!(err, LifecycleError::IllegalTransition { from: s, event: e });
                }
            }
        }
        assert_eq!(
            NodeStatus::Exiting.apply(LifecycleEvent::Unbonded),
            Ok(Transition::Released)
        );
    }
}
