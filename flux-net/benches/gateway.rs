//! Gateway throughput (being written).
#![allow(missing_docs)]
fn main() {}
