//! Node metrics: lock-free counters and gauges the node updates as it runs, rendered in the
//! Prometheus text exposition format (version 0.0.4) for `GET /metrics`.
//!
//! Everything is an atomic, so the node's hot paths and the API's handlers never wait on each
//! other; share one [`Metrics`] as an `Arc`. The transactions-per-second figure is kept in
//! per-second buckets over the last [`RATE_WINDOW_SECS`] seconds of the local clock (wall time
//! is fine here: metrics are not consensus).
//!
//! ```
//! use flux_core::ChainId;
//! use flux_net::metrics::Metrics;
//!
//! let metrics = Metrics::new();
//! metrics.record_block(1, 250, 420);
//! metrics.set_peers(3);
//! let text = metrics.render_prometheus(ChainId::DEVNET);
//! assert!(text.contains("flux_height{chain_id=\"1179407706\"} 1\n"));
//! assert!(text.contains("flux_finality_seconds_bucket{chain_id=\"1179407706\",le=\"0.5\"} 1\n"));
//! ```

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use flux_core::ChainId;

/// Upper bounds of the finality histogram's buckets, ms (a last `+Inf` bucket follows).
pub const FINALITY_BUCKETS_MS: [u64; 10] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
];

/// The window of the transactions-per-second figure, seconds.
pub const RATE_WINDOW_SECS: u64 = 10;

/// Per-second slots kept (more than the window, so a slot is never reused while counted).
const SLOTS: usize = 16;

/// A node's metrics. See the module docs.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    height: AtomicU64,
    peers: AtomicU64,
    mempool: AtomicU64,
    txs_total: AtomicU64,
    blocks_total: AtomicU64,
    syncing: AtomicBool,
    network_height: AtomicU64,
    round: AtomicU64,
    /// Copied from the p2p layer's counters on each tick.
    p2p: [AtomicU64; 3],
    finality_sum_ms: AtomicU64,
    finality_count: AtomicU64,
    /// Non-cumulative counts: bucket `i` counts values in `(bound[i-1], bound[i]]`; the last
    /// one counts values above every bound.
    finality_buckets: [AtomicU64; FINALITY_BUCKETS_MS.len() + 1],
    /// Each slot packs `(second since start) << 32 | transactions finalised in that second`.
    per_second: [AtomicU64; SLOTS],
    /// The gateway's per-app request counts and latencies, once a gateway runs.
    gateway: std::sync::OnceLock<std::sync::Arc<crate::gateway::GatewayMetrics>>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// All zero, the clock starting now.
    pub fn new() -> Metrics {
        Metrics::starting_at(Instant::now())
    }

    /// All zero, with the rate clock starting at `started` (tests use a fixed instant).
    pub fn starting_at(started: Instant) -> Metrics {
        Metrics {
            started,
            height: AtomicU64::new(0),
            peers: AtomicU64::new(0),
            mempool: AtomicU64::new(0),
            txs_total: AtomicU64::new(0),
            blocks_total: AtomicU64::new(0),
            syncing: AtomicBool::new(false),
            network_height: AtomicU64::new(0),
            round: AtomicU64::new(0),
            p2p: std::array::from_fn(|_| AtomicU64::new(0)),
            finality_sum_ms: AtomicU64::new(0),
            finality_count: AtomicU64::new(0),
            finality_buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            per_second: std::array::from_fn(|_| AtomicU64::new(0)),
            gateway: std::sync::OnceLock::new(),
        }
    }

    /// A block was finalised at `height` with `txs` transactions, `finality_ms` after it was
    /// proposed (or after its transactions were first seen: the node decides, consistently).
    pub fn record_block(&self, height: u64, txs: u64, finality_ms: u64) {
        self.record_block_at(Instant::now(), height, txs, finality_ms);
    }

    /// [`Metrics::record_block`] at a given instant.
    pub fn record_block_at(&self, now: Instant, height: u64, txs: u64, finality_ms: u64) {
        self.height.fetch_max(height, Ordering::Relaxed);
        self.blocks_total.fetch_add(1, Ordering::Relaxed);
        self.txs_total.fetch_add(txs, Ordering::Relaxed);
        self.finality_sum_ms
            .fetch_add(finality_ms, Ordering::Relaxed);
        self.finality_count.fetch_add(1, Ordering::Relaxed);
        let bucket = FINALITY_BUCKETS_MS
            .iter()
            .position(|bound| finality_ms <= *bound)
            .unwrap_or(FINALITY_BUCKETS_MS.len());
        if let Some(b) = self.finality_buckets.get(bucket) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.count_txs(self.second(now), txs);
    }

    fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.started).as_secs() & 0xffff_ffff
    }

    /// Adds `txs` to the slot of `second`, resetting a slot left from an older second.
    fn count_txs(&self, second: u64, txs: u64) {
        let Some(slot) = self.per_second.get(second as usize % SLOTS) else {
            return;
        };
        let txs = txs.min(u64::from(u32::MAX));
        let mut current = slot.load(Ordering::Relaxed);
        loop {
            let next = if current >> 32 == second {
                (second << 32) | ((current & 0xffff_ffff) + txs).min(u64::from(u32::MAX))
            } else {
                (second << 32) | txs
            };
            match slot.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }

    /// Sets the current height (a node that syncs without recording each block).
    pub fn set_height(&self, height: u64) {
        self.height.store(height, Ordering::Relaxed);
    }

    /// Sets the number of connected peers.
    pub fn set_peers(&self, n: u64) {
        self.peers.store(n, Ordering::Relaxed);
    }

    /// Sets the number of pending transactions.
    pub fn set_mempool(&self, n: u64) {
        self.mempool.store(n, Ordering::Relaxed);
    }

    /// Sets whether the node is catching up with its peers.
    pub fn set_syncing(&self, syncing: bool) {
        self.syncing.store(syncing, Ordering::Relaxed);
    }

    /// Sets the highest height the network is known to have reached (see
    /// [`crate::host::Host::network_height`]).
    pub fn set_network_height(&self, height: u64) {
        self.network_height.store(height, Ordering::Relaxed);
    }

    /// The highest height the network is known to have reached, as last set.
    pub fn network_height(&self) -> u64 {
        self.network_height.load(Ordering::Relaxed)
    }

    /// Sets the consensus round of the height being decided.
    pub fn set_round(&self, round: u64) {
        self.round.store(round, Ordering::Relaxed);
    }

    /// The consensus round of the height being decided, as last set (above 0: rounds failed).
    pub fn round(&self) -> u64 {
        self.round.load(Ordering::Relaxed)
    }

    /// Sets the p2p layer's counters: peers banned, publishes dropped, received gossip dropped
    /// (see [`crate::p2p::P2pStats`]).
    pub fn set_p2p(&self, bans: u64, dropped_publishes: u64, dropped_gossip: u64) {
        for (slot, value) in self
            .p2p
            .iter()
            .zip([bans, dropped_publishes, dropped_gossip])
        {
            slot.store(value, Ordering::Relaxed);
        }
    }

    /// Peers banned since start, as last set.
    pub fn bans(&self) -> u64 {
        self.p2p[0].load(Ordering::Relaxed)
    }

    /// The last finalised height.
    pub fn height(&self) -> u64 {
        self.height.load(Ordering::Relaxed)
    }

    /// Connected peers.
    pub fn peers(&self) -> u64 {
        self.peers.load(Ordering::Relaxed)
    }

    /// Pending transactions, as last set.
    pub fn mempool(&self) -> u64 {
        self.mempool.load(Ordering::Relaxed)
    }

    /// Whether the node is syncing.
    pub fn syncing(&self) -> bool {
        self.syncing.load(Ordering::Relaxed)
    }

    /// Transactions finalised since start.
    pub fn txs_finalized(&self) -> u64 {
        self.txs_total.load(Ordering::Relaxed)
    }

    /// Blocks finalised since start.
    pub fn blocks_finalized(&self) -> u64 {
        self.blocks_total.load(Ordering::Relaxed)
    }

    /// Transactions finalised per second over the last [`RATE_WINDOW_SECS`] whole seconds
    /// (over the seconds since start while fewer have passed).
    pub fn txs_per_second(&self) -> f64 {
        self.txs_per_second_at(Instant::now())
    }

    /// [`Metrics::txs_per_second`] at a given instant.
    pub fn txs_per_second_at(&self, now: Instant) -> f64 {
        let now = self.second(now);
        let span = now.clamp(1, RATE_WINDOW_SECS);
        let first = now.saturating_sub(span);
        let total: u64 = self
            .per_second
            .iter()
            .map(|slot| slot.load(Ordering::Relaxed))
            .filter(|v| (first..now).contains(&(v >> 32)))
            .map(|v| v & 0xffff_ffff)
            .sum();
        total as f64 / span as f64
    }

    /// The metrics in the Prometheus text format 0.0.4, every sample labelled with the chain id.
    pub fn render_prometheus(&self, chain_id: ChainId) -> String {
        let mut out = String::with_capacity(2048);
        let label = format!("chain_id=\"{chain_id}\"");
        let mut gauge = |name: &str, kind: &str, help: &str, value: &dyn std::fmt::Display| {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{{label}}} {value}\n"
            );
        };
        gauge(
            "flux_height",
            "gauge",
            "Height of the last finalised block.",
            &self.height(),
        );
        gauge(
            "flux_network_height",
            "gauge",
            "Highest height the network is known to have reached (from certified blocks and votes signed by the committee).",
            &self.network_height(),
        );
        gauge(
            "flux_consensus_round",
            "gauge",
            "Consensus round of the height being decided (above 0: earlier rounds failed).",
            &self.round(),
        );
        gauge("flux_peers", "gauge", "Connected peers.", &self.peers());
        gauge(
            "flux_p2p_bans_total",
            "counter",
            "Peers banned for sending undecodable or invalid data.",
            &self.bans(),
        );
        gauge(
            "flux_p2p_dropped_publishes_total",
            "counter",
            "Messages this node could not publish (queue full, too large, no peer).",
            &self.p2p[1].load(Ordering::Relaxed),
        );
        gauge(
            "flux_p2p_dropped_gossip_total",
            "counter",
            "Received gossip dropped because the consensus host fell behind.",
            &self.p2p[2].load(Ordering::Relaxed),
        );
        gauge(
            "flux_mempool_txs",
            "gauge",
            "Transactions waiting in the mempool.",
            &self.mempool(),
        );
        gauge(
            "flux_syncing",
            "gauge",
            "1 while the node catches up with its peers.",
            &u8::from(self.syncing()),
        );
        gauge(
            "flux_txs_finalized_total",
            "counter",
            "Transactions finalised since the node started.",
            &self.txs_finalized(),
        );
        gauge(
            "flux_blocks_finalized_total",
            "counter",
            "Blocks finalised since the node started.",
            &self.blocks_finalized(),
        );
        gauge(
            "flux_txs_per_second",
            "gauge",
            "Transactions finalised per second over the last 10 seconds.",
            &format_args!("{:.3}", self.txs_per_second()),
        );
        self.render_finality(&mut out, &label);
        if let Some(gateway) = self.gateway.get() {
            out.push_str(&gateway.render_prometheus(chain_id));
        }
        out
    }

    /// Adds the gateway's per-app request counts and latencies to
    /// [`render_prometheus`](Self::render_prometheus) (the first gateway attached stays).
    pub fn attach_gateway(&self, gateway: std::sync::Arc<crate::gateway::GatewayMetrics>) {
        let _ = self.gateway.set(gateway);
    }

    fn render_finality(&self, out: &mut String, label: &str) {
        let name = "flux_finality_seconds";
        let _ = write!(
            out,
            "# HELP {name} Time from a block's proposal to its finality.\n# TYPE {name} histogram\n"
        );
        let mut cumulative = 0u64;
        for (i, bucket) in self.finality_buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = FINALITY_BUCKETS_MS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |ms| seconds(*ms));
            let _ = writeln!(out, "{name}_bucket{{{label},le=\"{le}\"}} {cumulative}");
        }
        let sum = seconds(self.finality_sum_ms.load(Ordering::Relaxed));
        let count = self.finality_count.load(Ordering::Relaxed);
        let _ = write!(
            out,
            "{name}_sum{{{label}}} {sum}\n{name}_count{{{label}}} {count}\n"
        );
    }
}

/// `ms` as seconds in decimal, exactly, without trailing zeros (`1500` → `1.5`, `50` → `0.05`).
fn seconds(ms: u64) -> String {
    let (whole, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:03}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use std::time::Duration;

    #[test]
    fn seconds_are_exact_decimals() {
        assert_eq!(seconds(0), "0");
        assert_eq!(seconds(50), "0.05");
        assert_eq!(seconds(1_500), "1.5");
        assert_eq!(seconds(60_000), "60");
        assert_eq!(seconds(1_001), "1.001");
    }

    #[test]
    fn rate_counts_the_last_whole_seconds() {
        let t0 = Instant::now();
        let m = Metrics::starting_at(t0);
        let at = |s: u64| t0 + Duration::from_millis(s * 1000 + 500);
        for s in 0..20 {
            m.record_block_at(at(s), s + 1, 100, 10);
        }
        // At second 20: seconds 10..20 are counted, 100 each.
        assert_eq!(m.txs_per_second_at(at(20)), 100.0);
        // Early on, the rate is over the seconds elapsed.
        let early = Metrics::starting_at(t0);
        early.record_block_at(at(0), 1, 30, 10);
        early.record_block_at(at(1), 2, 30, 10);
        assert_eq!(early.txs_per_second_at(at(2)), 30.0);
        // Nothing for longer than the window: zero (old slots are not counted).
        assert_eq!(m.txs_per_second_at(at(60)), 0.0);
    }

    #[test]
    fn histogram_is_cumulative_and_complete() {
        let m = Metrics::new();
        for ms in [10, 50, 51, 700, 999_999] {
            m.record_block(1, 1, ms);
        }
        let text = m.render_prometheus(ChainId(7));
        assert!(text.contains("flux_finality_seconds_bucket{chain_id=\"7\",le=\"0.05\"} 2\n"));
        assert!(text.contains("flux_finality_seconds_bucket{chain_id=\"7\",le=\"0.1\"} 3\n"));
        assert!(text.contains("flux_finality_seconds_bucket{chain_id=\"7\",le=\"1\"} 4\n"));
        assert!(text.contains("flux_finality_seconds_bucket{chain_id=\"7\",le=\"+Inf\"} 5\n"));
        assert!(text.contains("flux_finality_seconds_count{chain_id=\"7\"} 5\n"));
        assert!(text.contains("flux_finality_seconds_sum{chain_id=\"7\"} 1000.81\n"));
        assert!(text.contains("# TYPE flux_txs_finalized_total counter\n"));
        // Every non-comment line is `name{labels} value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
