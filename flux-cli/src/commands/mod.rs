//! One module per command: each parses nothing and computes nothing itself; it calls the SDK
//! and prints.

pub mod app;
pub mod bench;
pub mod bench_tx;
pub mod chain_tx;
pub mod devnet;
pub mod gov;
pub mod job;
pub mod keys;
pub mod node;
pub mod params;
pub mod placement;
pub mod query;
pub mod sample_app;
pub mod send;
pub mod sim;
pub mod swap;
pub mod tiers;
pub mod tokenomics;
