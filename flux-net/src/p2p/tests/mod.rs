//! Tests of the p2p layer: codec units and properties, and multi-node scenarios over
//! 127.0.0.1 with real sockets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod codec;
mod faults;
mod gossip;
mod support;
mod sync;
