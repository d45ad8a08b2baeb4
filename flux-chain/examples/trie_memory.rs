//! Memory per key of the state trie: builds a trie of 1,000,000 keys (in block-sized batches,
//! dropping each old version as a chain does) and prints the resident memory it added.
//!
//! `cargo run --release -p flux-chain --example trie_memory [keys] [batch]`; for the peak, run the binary
//! under `/usr/bin/time -v` and read "Maximum resident set size".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // example: fail loudly

use flux_chain::trie::Trie;
use flux_core::Hash;
use flux_core::hash::Tag;

/// Resident set size of this process in KiB (Linux), 0 elsewhere.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let keys: u32 = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("a key count"))
        .unwrap_or(1_000_000);
    let key_tag = Tag::new("flux/example/key/v1");
    let value_tag = Tag::new("flux/example/value/v1");
    let before = rss_kib();
    let mut trie = Trie::new();
    let batch: u32 = std::env::args()
        .nth(2)
        .map(|n| n.parse().expect("a batch size"))
        .unwrap_or(20_000)
        .max(1);
    for start in (0..keys).step_by(batch as usize) {
        let end = keys.min(start + batch);
        trie = trie.update((start..end).map(|n| {
            let n = n.to_le_bytes();
            (key_tag.hash(&n), Some(value_tag.hash(&n)))
        }));
    }
    let after = rss_kib();
    let root: Hash = trie.root();
    let bytes = (after.saturating_sub(before)) * 1024;
    println!("keys: {}", trie.len());
    println!("root: {root}");
    println!(
        "resident memory added: {} KiB",
        after.saturating_sub(before)
    );
    println!(
        "bytes per key: {:.1}",
        bytes as f64 / f64::from(keys.max(1))
    );
}
