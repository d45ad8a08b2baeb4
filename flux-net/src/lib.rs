//! # flux-net
//!
//! Everything that touches the network or the clock: p2p (libp2p), gossip, block sync, the
//! consensus driver, the HTTP API, the embeddable `Node` service, and a deterministic simulated
//! network for tests. The pure cores below it (flux-core, flux-nodes, flux-chain's state
//! transition and consensus) never see a socket or a wall clock; this crate feeds them.
//!
//! Depends on [`flux_core`], [`flux_nodes`] and [`flux_chain`]. So far it holds [`sim`], the
//! deterministic network simulator that runs a committee of consensus validators in one
//! process; the real network arrives with the network issue.
//!
//! ```
//! assert_eq!(flux_net::PROTOCOL_VERSION, 1);
//! ```

#![forbid(unsafe_code)]

/// Version of the peer-to-peer protocol this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;

pub mod api;
pub mod host;
pub mod message;
pub mod metrics;
pub mod network;
pub mod node;
pub mod p2p;
pub mod sim;
