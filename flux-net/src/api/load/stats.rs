//! The pure parts of the load generator: pacing, percentiles and the report.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// When the `index`-th transaction of a run (counting from 0 across all senders) is due,
/// after the start, at `rate` transactions per second. Exact in nanoseconds.
///
/// ```
/// use std::time::Duration;
/// use flux_net::api::load::due;
/// assert_eq!(due(0, 100), Duration::ZERO);
/// assert_eq!(due(150, 100), Duration::from_millis(1_500));
/// ```
pub fn due(index: u64, rate: u32) -> Duration {
    let rate = u128::from(rate.max(1));
    let nanos = u128::from(index) * 1_000_000_000 / rate;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// How many transactions a run at `rate` per second for `duration` sends.
pub fn total_for(rate: u32, duration: Duration) -> u64 {
    let total = u128::from(rate) * duration.as_nanos() / 1_000_000_000;
    u64::try_from(total).unwrap_or(u64::MAX)
}

/// The global indexes sender `sender` of `senders` sends, in order: `sender`, `sender +
/// senders`, ... below `total` (round robin, so every sender carries the same rate).
pub fn indexes_of(sender: usize, senders: usize, total: u64) -> impl Iterator<Item = u64> {
    (sender as u64..total).step_by(senders.max(1))
}

/// Percentiles of a sample, nearest-rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

impl Percentiles {
    /// The percentiles of `values` (sorted here); `None` for an empty sample.
    ///
    /// ```
    /// use flux_net::api::load::Percentiles;
    /// let p = Percentiles::of(&mut (1..=100).collect::<Vec<u64>>()).unwrap();
    /// assert_eq!((p.p50, p.p90, p.p99, p.max), (50, 90, 99, 100));
    /// ```
    pub fn of(values: &mut [u64]) -> Option<Percentiles> {
        values.sort_unstable();
        let max = *values.last()?;
        Some(Percentiles {
            p50: nearest_rank(values, 50),
            p90: nearest_rank(values, 90),
            p99: nearest_rank(values, 99),
            max,
        })
    }
}

/// The smallest value with at least `p` percent of the sorted sample at or below it.
fn nearest_rank(sorted: &[u64], p: u64) -> u64 {
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).max(1);
    sorted
        .get(usize::try_from(rank - 1).unwrap_or(usize::MAX))
        .or(sorted.last())
        .copied()
        .unwrap_or(0)
}

/// `count / seconds`, 0 for an empty span.
pub fn per_second(count: u64, span: Duration) -> f64 {
    let secs = span.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

/// What a load run did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// The node.
    pub node: String,
    /// Sender accounts used.
    pub senders: usize,
    /// Rate asked for, transactions per second.
    pub target_rate: u32,
    /// Height when the run started.
    pub start_height: u64,
    /// Last height looked at.
    pub end_height: u64,
    /// Transactions sent.
    pub submitted: u64,
    /// Accepted into the node's mempool.
    pub accepted: u64,
    /// Refused, by the node's error code (`nonce_gap`, `mempool_full`, ...; `transport` when the
    /// request itself failed).
    pub rejected: BTreeMap<String, u64>,
    /// Seconds from the first submission to the last.
    pub send_seconds: f64,
    /// Accepted per second of sending.
    pub accepted_per_second: f64,
    /// Accepted transactions seen in finalised blocks.
    pub finalized: u64,
    /// Finalised per second, from the first submission to the last finality seen.
    pub finalized_per_second: f64,
    /// Time from submission to being seen in a finalised block, ms.
    pub finality_ms: Option<Percentiles>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn pacing_is_exact_and_even() {
        assert_eq!(due(1, 3), Duration::from_nanos(333_333_333));
        assert_eq!(due(3, 3), Duration::from_secs(1));
        assert_eq!(due(10, 0), Duration::from_secs(10)); // a zero rate is read as 1/s
        assert_eq!(total_for(250, Duration::from_millis(2_500)), 625);
        assert_eq!(total_for(0, Duration::from_secs(9)), 0);
        let mut all: Vec<u64> = (0..4).flat_map(|s| indexes_of(s, 4, 10)).collect();
        assert_eq!(indexes_of(1, 4, 10).collect::<Vec<_>>(), vec![1, 5, 9]);
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        // Each sender's transactions are due in order.
        let times: Vec<Duration> = indexes_of(2, 4, 100).map(|i| due(i, 7)).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn percentiles_nearest_rank() {
        assert_eq!(Percentiles::of(&mut []), None);
        let one = Percentiles::of(&mut [7]).unwrap();
        assert_eq!((one.p50, one.p90, one.p99, one.max), (7, 7, 7, 7));
        let p = Percentiles::of(&mut [5, 1, 4, 2, 3]).unwrap();
        assert_eq!((p.p50, p.p90, p.p99, p.max), (3, 5, 5, 5));
        let mut many: Vec<u64> = (1..=1000).rev().collect();
        let p = Percentiles::of(&mut many).unwrap();
        assert_eq!((p.p50, p.p90, p.p99, p.max), (500, 900, 990, 1000));
    }

    #[test]
    fn rates() {
        assert_eq!(per_second(10, Duration::ZERO), 0.0);
        assert_eq!(per_second(10, Duration::from_millis(500)), 20.0);
    }
}
