//! # flux-net
//!
//! Everything that touches the network or the clock: p2p (libp2p), gossip, block sync, the
//! consensus driver, the HTTP API, the embeddable `Node` service, and a deterministic simulated
//! network for tests. The pure cores below it (flux-core, flux-nodes, flux-chain's state
//! transition and consensus) never see a socket or a wall clock; this crate feeds them.
//!
//! Depends on [`flux_core`], [`flux_nodes`] and [`flux_chain`]. The parts:
//! - [`host`]: the consensus host every validator runs (block building and checking, commits
//!   with certificates, resume points, re-broadcast, block sync), sans-IO over the
//!   [`network::Network`] trait, so the same code runs on the real network and on [`sim`];
//! - [`p2p`]: libp2p (TCP, Noise, Yamux, signed gossipsub, request-response sync, identify),
//!   with message size limits, peer scoring and bans, connection limits;
//! - [`message`]: the consensus and transaction messages on the wire;
//! - [`node`]: [`node::Node`], the embeddable service composing redb, the mempool, the host,
//!   p2p, the API and [`metrics`] (see `examples/embed_node.rs`);
//! - [`hosting`]: the reconcile loop that runs the containers placed on this node, instance
//!   status, the `[hosting]` config;
//! - [`gateway`]: the app gateway, routing HTTP by `Host` to the instances serving an app;
//! - [`devnet`]: a local devnet of `fluxd` processes on loopback (layout on disk, processes,
//!   the addresses a started node reports, a watcher);
//! - [`api`]: the HTTP JSON API (`/v1/...`, `docs/api.md`), its typed client, wallet helpers
//!   and the load generator behind `flux bench-tx`;
//! - [`runtime`]: container runtimes for hosting (the `Runtime` trait, Docker through bollard,
//!   a deterministic twin), local images from a binary, the sample app;
//! - [`sim`]: the deterministic network simulator (virtual time, seeded faults) running the
//!   same [`host::Host`].
//! - [`simulator`]: the network-scale simulator behind `flux sim` (thousands of nodes through
//!   the real state transition, scenario activity, invariants, reports; its consensus mode runs
//!   [`sim`]);
//! - [`deploy`]: following an app's deployment (serving, its URL, removed) through the API;
//! - [`governance`]: proposals and votes through the API, checked with the chain's rules first;
//! - [`jobs`]: compute jobs through the API (checked, awaited, results fetched), examples;
//! - [`swaps`]: parallel-asset swaps through the API (checked, attestations awaited);
//! - [`sync_progress`]: a node's block-sync progress (syncing, caught up, when to log).
//!
//! ```
//! assert_eq!(flux_net::PROTOCOL_VERSION, 1);
//! ```

#![forbid(unsafe_code)]

/// Version of the peer-to-peer protocol this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;

pub mod api;
pub mod deploy;
pub mod devnet;
pub mod gateway;
pub mod governance;
pub mod host;
pub mod hosting;
pub mod jobs;
pub mod message;
pub mod metrics;
pub mod network;
pub mod node;
pub mod p2p;
pub mod runtime;
pub mod sim;
pub mod simulator;
pub mod swaps;
pub mod sync_progress;
// Test kit (feature `testkit`): flux-chain's kit and `NetworkFixture` over the simulator.
#[cfg(feature = "testkit")]
pub mod testkit;
