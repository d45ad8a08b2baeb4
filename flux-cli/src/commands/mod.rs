//! One module per command: each parses nothing and computes nothing itself; it calls the SDK
//! and prints.

pub mod app;
pub mod bench;
pub mod devnet;
pub mod gov;
pub mod keys;
pub mod node;
pub mod params;
pub mod placement;
pub mod tiers;
pub mod tokenomics;
