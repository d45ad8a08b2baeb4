//! The gateway's request counts and latency per app, rendered in the Prometheus text format
//! like the node's own [`crate::metrics::Metrics`] (append
//! [`GatewayMetrics::render_prometheus`] to the node's `/metrics` text).
//!
//! Apps are labelled by name; only names from the route table get a label (requests for unknown
//! or malformed hosts are counted without one), so a client can not grow the label set.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use flux_core::ChainId;

/// Upper bounds of the latency histogram's buckets, ms (a last `+Inf` bucket follows).
pub const LATENCY_BUCKETS_MS: [u64; 12] =
    [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// Why a request was answered by the gateway itself without reaching an app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unrouted {
    /// No or malformed `Host` (400).
    BadHost,
    /// No app has that host name (404).
    UnknownHost,
}

/// Counts of one app. Status classes 1xx..5xx; latency is to the response head.
#[derive(Debug, Default)]
struct AppStats {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; LATENCY_BUCKETS_MS.len() + 1],
    sum_us: AtomicU64,
    retries: AtomicU64,
}

/// The gateway's counters. See the module docs; share one as an `Arc` (the gateway does).
///
/// ```
/// use std::time::Duration;
/// use flux_core::ChainId;
/// use flux_net::gateway::GatewayMetrics;
///
/// let metrics = GatewayMetrics::new();
/// metrics.record("shop", 200, Duration::from_millis(3));
/// assert_eq!(metrics.requests("shop"), 1);
/// let text = metrics.render_prometheus(ChainId::DEVNET);
/// assert!(text.contains("flux_gateway_requests_total{chain_id=\"1179407706\",app=\"shop\",code=\"2xx\"} 1\n"));
/// ```
#[derive(Debug, Default)]
pub struct GatewayMetrics {
    apps: RwLock<BTreeMap<String, Arc<AppStats>>>,
    bad_host: AtomicU64,
    unknown_host: AtomicU64,
}

impl GatewayMetrics {
    /// All zero.
    pub fn new() -> GatewayMetrics {
        GatewayMetrics::default()
    }

    fn app(&self, app: &str) -> Arc<AppStats> {
        if let Some(stats) = self
            .apps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(app)
        {
            return stats.clone();
        }
        self.apps
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(app.to_owned())
            .or_default()
            .clone()
    }

    /// A request for `app` was answered with `status` after `latency` (to the response head).
    pub fn record(&self, app: &str, status: u16, latency: Duration) {
        let stats = self.app(app);
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        if let Some(c) = stats.by_class.get(class) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BUCKETS_MS
            .iter()
            .position(|bound| ms <= *bound)
            .unwrap_or(LATENCY_BUCKETS_MS.len());
        if let Some(b) = stats.buckets.get(bucket) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        stats.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// A request for `app` was tried again on another instance.
    pub fn record_retry(&self, app: &str) {
        self.app(app).retries.fetch_add(1, Ordering::Relaxed);
    }

    /// A request was answered without reaching an app.
    pub fn record_unrouted(&self, why: Unrouted) {
        match why {
            Unrouted::BadHost => &self.bad_host,
            Unrouted::UnknownHost => &self.unknown_host,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// Requests answered for `app` so far (any status).
    pub fn requests(&self, app: &str) -> u64 {
        self.apps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(app)
            .map_or(0, |s| {
                s.by_class.iter().map(|c| c.load(Ordering::Relaxed)).sum()
            })
    }

    /// Requests answered for `app` with a status of class `class` (2 for 2xx, …).
    pub fn responses(&self, app: &str, class: u16) -> u64 {
        let apps = self.apps.read().unwrap_or_else(PoisonError::into_inner);
        let Some(stats) = apps.get(app) else { return 0 };
        usize::from(class)
            .checked_sub(1)
            .and_then(|i| stats.by_class.get(i))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Requests retried on another instance for `app` so far.
    pub fn retries(&self, app: &str) -> u64 {
        self.apps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(app)
            .map_or(0, |s| s.retries.load(Ordering::Relaxed))
    }

    /// Requests answered without reaching an app, for `why`.
    pub fn unrouted(&self, why: Unrouted) -> u64 {
        match why {
            Unrouted::BadHost => &self.bad_host,
            Unrouted::UnknownHost => &self.unknown_host,
        }
        .load(Ordering::Relaxed)
    }

    /// The counters in the Prometheus text format 0.0.4, every sample labelled with the chain
    /// id; apps in name order.
    pub fn render_prometheus(&self, chain_id: ChainId) -> String {
        let mut out = String::with_capacity(1024);
        let chain = format!("chain_id=\"{chain_id}\"");
        let apps: Vec<(String, Arc<AppStats>)> = self
            .apps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(name, stats)| (escape(name), stats.clone()))
            .collect();
        let name = "flux_gateway_requests_total";
        let _ = write!(
            out,
            "# HELP {name} Requests the gateway answered for an app, by status class.\n# TYPE {name} counter\n"
        );
        for (app, stats) in &apps {
            for (i, c) in stats.by_class.iter().enumerate() {
                let n = c.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "{name}{{{chain},app=\"{app}\",code=\"{}xx\"}} {n}",
                    i + 1
                );
            }
        }
        let name = "flux_gateway_retries_total";
        let _ = write!(
            out,
            "# HELP {name} Requests tried again on another instance.\n# TYPE {name} counter\n"
        );
        for (app, stats) in &apps {
            let n = stats.retries.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}{{{chain},app=\"{app}\"}} {n}");
        }
        let name = "flux_gateway_unrouted_total";
        let _ = write!(
            out,
            "# HELP {name} Requests answered without reaching an app (bad or unknown host).\n# TYPE {name} counter\n"
        );
        for (reason, n) in [
            ("bad_host", &self.bad_host),
            ("unknown_host", &self.unknown_host),
        ] {
            let n = n.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}{{{chain},reason=\"{reason}\"}} {n}");
        }
        let name = "flux_gateway_request_duration_seconds";
        let _ = write!(
            out,
            "# HELP {name} Time from a request's arrival to its response head, per app.\n# TYPE {name} histogram\n"
        );
        for (app, stats) in &apps {
            let label = format!("{chain},app=\"{app}\"");
            let mut cumulative = 0u64;
            for (i, bucket) in stats.buckets.iter().enumerate() {
                cumulative += bucket.load(Ordering::Relaxed);
                let le = LATENCY_BUCKETS_MS
                    .get(i)
                    .map_or_else(|| "+Inf".to_owned(), |ms| micros_as_seconds(ms * 1000));
                let _ = writeln!(out, "{name}_bucket{{{label},le=\"{le}\"}} {cumulative}");
            }
            let sum = micros_as_seconds(stats.sum_us.load(Ordering::Relaxed));
            let _ = write!(
                out,
                "{name}_sum{{{label}}} {sum}\n{name}_count{{{label}}} {cumulative}\n"
            );
        }
        out
    }
}

/// `us` as seconds in decimal, exactly, without trailing zeros (`1_500_000` → `1.5`).
fn micros_as_seconds(us: u64) -> String {
    let (whole, frac) = (us / 1_000_000, us % 1_000_000);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:06}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// A label value escaped as the text format requires (`\`, `"` and newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn counts_and_histogram_per_app() {
        let m = GatewayMetrics::new();
        m.record("b", 200, Duration::from_micros(500));
        m.record("b", 503, Duration::from_millis(30));
        m.record("a", 101, Duration::from_secs(60));
        m.record_retry("b");
        m.record_unrouted(Unrouted::UnknownHost);
        assert_eq!(
            (m.requests("b"), m.responses("b", 5), m.retries("b")),
            (2, 1, 1)
        );
        assert_eq!(m.unrouted(Unrouted::UnknownHost), 1);
        let text = m.render_prometheus(ChainId(7));
        for want in [
            "flux_gateway_requests_total{chain_id=\"7\",app=\"b\",code=\"2xx\"} 1\n",
            "flux_gateway_requests_total{chain_id=\"7\",app=\"b\",code=\"5xx\"} 1\n",
            "flux_gateway_requests_total{chain_id=\"7\",app=\"a\",code=\"1xx\"} 1\n",
            "flux_gateway_retries_total{chain_id=\"7\",app=\"b\"} 1\n",
            "flux_gateway_unrouted_total{chain_id=\"7\",reason=\"unknown_host\"} 1\n",
            "flux_gateway_request_duration_seconds_bucket{chain_id=\"7\",app=\"b\",le=\"0.001\"} 1\n",
            "flux_gateway_request_duration_seconds_bucket{chain_id=\"7\",app=\"b\",le=\"0.05\"} 2\n",
            "flux_gateway_request_duration_seconds_bucket{chain_id=\"7\",app=\"a\",le=\"10\"} 0\n",
            "flux_gateway_request_duration_seconds_bucket{chain_id=\"7\",app=\"a\",le=\"+Inf\"} 1\n",
            "flux_gateway_request_duration_seconds_sum{chain_id=\"7\",app=\"b\"} 0.0305\n",
            "flux_gateway_request_duration_seconds_count{chain_id=\"7\",app=\"b\"} 2\n",
        ] {
            assert!(text.contains(want), "{want} not in\n{text}");
        }
        // App `a` is rendered before `b` (name order), and every sample line parses.
        assert!(text.find("app=\"a\"") < text.find("app=\"b\""));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(micros_as_seconds(1_500_000), "1.5");
        assert_eq!(micros_as_seconds(30), "0.00003");
    }
}
