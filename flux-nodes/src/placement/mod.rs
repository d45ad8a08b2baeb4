//! Workload placement: which node runs each instance of each app.
//!
//! Pure and deterministic (no IO, no clock, no floats, no hash-map order): every node computes
//! the same [`Placement`] from the same chain state and seed, so the assignment can be part of
//! the state root.
//!
//! # Constraints
//! An instance of a [`Workload`] goes only to a node that
//! - has its [`Demand`](crate::app::Demand) free (CPU, RAM, SSD, GPUs, and GPUs with enough
//!   memory each), after the node's reserve ([`capacity_of`]);
//! - passes the app's geolocation rules ([`geo_allows`](crate::node::geo_allows));
//! - is one of its `nodes[]` targets, if it has any;
//! - runs no other instance of the app.
//!
//! # Algorithm
//! Nodes are indexed per tier in an ordered set keyed by [`load, rank, id`]: `load` is the
//! highest of the node's CPU, RAM and SSD use in thousandths, `rank` is the first 64 bits of
//! `BLAKE3("flux/placement/rank/v1" ‖ seed ‖ node id)`. A second index per tier and country
//! (`CONTINENT_COUNTRY`) serves apps with allow rules, and a host index serves `nodes[]`.
//!
//! For each instance the search tries the app's preferred tier ([`preferred_tier`]: the
//! smallest whose minimum holds the demand), then each larger tier, and takes the first tier
//! with a node that can take the instance (so an instance that fits a Cumulus goes to a Nimbus
//! only when no Cumulus can take it). Within a tier it walks the nodes least loaded first
//! (ties by seed rank, so load spreads evenly and randomly) and stops at the first eligible
//! node in a /16 network and a country the app does not use yet; failing that, after
//! [`SPREAD_WINDOW`] eligible nodes (or the end of the tier) it takes the first eligible node
//! in a new network, else the first eligible node at all. A tier where no node has room for a
//! demand is remembered until capacity is freed or added there, so a full tier is walked once
//! per distinct demand, not once per instance.
//!
//! Each placement re-keys one node in O(log n); a search usually stops within a few nodes, so
//! placing an instance costs a few microseconds and healing a node costs one search per
//! instance it ran.
//!
//! # Determinism
//! A from-scratch [`Placement::build`] over a set of nodes and workloads is independent of the
//! order of either (apps are placed in name order, instances by number, and every index is
//! ordered by content). An incremental history ([`Placement::add_node`],
//! [`Placement::remove_nodes`], [`Placement::add_app`], [`Placement::remove_app`],
//! [`Placement::update_app`], [`Placement::retry_unplaced`]) is a deterministic function of
//! the operation sequence; it need not equal a rebuild, because nothing that runs is moved
//! except the instances of removed nodes.
//!
//! ```
//! use flux_core::{ChainParams, Hash, Tier};
//! use flux_nodes::app::Demand;
//! use flux_nodes::node::NodeId;
//! use flux_nodes::placement::{Placement, PlacementNode, Workload};
//!
//! let p = ChainParams::mainnet();
//! let nodes = (0u8..5).map(|i| {
//!     PlacementNode::new(
//!         NodeId(Hash::digest(&[i])),
//!         Tier::Cumulus,
//!         "EU_DE".parse().unwrap_or_else(|_| unreachable!()),
//!         &format!("10.{i}.0.1:16127"),
//!         &Tier::Cumulus.minimum(&p),
//!         &p,
//!     )
//! });
//! let web = Demand { cpu_tenths: 5, ram_mb: 1_000, hdd_gb: 10, ..Demand::ZERO };
//! let app = Workload::new("web", 3, web, vec![], vec![], &p);
//! let mut placement = Placement::build(Hash::digest(b"seed"), nodes, [app])?;
//! assert_eq!(placement.where_is("web").len(), 3);
//!
//! // A node fails: only its instance moves.
//! let failed = placement.where_is("web")[0];
//! let moves = placement.remove_nodes(&[failed])?;
//! assert_eq!(moves.len(), 1);
//! assert!(moves[0].to.is_some());
//! assert!(placement.unplaced().is_empty());
//! # Ok::<(), flux_nodes::placement::PlacementError>(())
//! ```

mod error;
mod model;
mod ops;
mod restore;
mod select;
mod state;
pub mod synthetic;

pub use error::PlacementError;
pub use model::{
    Move, PlacementNode, Resource, TierUtilisation, Unplaced, UnplacedReason, Usage, Workload,
    capacity_of, host_of, preferred_tier,
};
pub use ops::Placed;
pub use select::SPREAD_WINDOW;
pub use state::Placement;
