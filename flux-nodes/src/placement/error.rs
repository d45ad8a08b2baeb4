//! [`PlacementError`]: why a placement operation was refused.

use thiserror::Error;

use crate::error::NodeError;
use crate::node::NodeId;

/// Why a placement operation was refused. A refused operation changes nothing.
///
/// An instance that cannot be placed is not an error: it is reported by
/// [`Placement::unplaced`](super::Placement::unplaced) with its
/// [`UnplacedReason`](super::UnplacedReason).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PlacementError {
    /// A node with this id is already part of the placement.
    #[error("node {0} is already placed on")]
    DuplicateNode(NodeId),
    /// No node with this id is part of the placement.
    #[error("unknown node {0}")]
    UnknownNode(NodeId),
    /// An app with this name is already placed (app names are unique).
    #[error("app {0:?} is already placed")]
    DuplicateApp(String),
    /// No app with this name is placed.
    #[error("unknown app {0:?}")]
    UnknownApp(String),
    /// A recorded assignment cannot hold (the node lacks room or already hosts the app).
    #[error("recorded instance of app {app:?} cannot be on node {node}")]
    Inconsistent {
        /// The app.
        app: String,
        /// The node.
        node: NodeId,
    },
    /// A node description could not be built (bad geolocation or endpoint).
    #[error(transparent)]
    Node(#[from] NodeError),
}
