//! A node's block-sync progress, from its height and the height the network is known to have
//! reached ([`crate::metrics::Metrics::network_height`]): whether it is syncing, when it caught
//! up and how long that took, and when a log line is due. Pure: the caller passes the time, and
//! draws (`fluxd` shows a progress bar on a terminal, a log line every [`LOG_EVERY`] otherwise).
//!
//! ```
//! use std::time::{Duration, Instant};
//! use flux_net::sync_progress::{SyncProgress, SyncState};
//!
//! let mut progress = SyncProgress::default();
//! let t0 = Instant::now();
//! assert_eq!(progress.update(10, 11, t0), SyncState::InStep);
//! assert_eq!(progress.update(10, 500, t0), SyncState::Syncing { height: 10, target: 500 });
//! let done = progress.update(500, 500, t0 + Duration::from_secs(4));
//! assert_eq!(done, SyncState::CaughtUp { blocks: 490, secs: 4 });
//! ```

use std::time::{Duration, Instant};

/// How far behind the network a node must be to count as syncing (a node in step is up to one
/// height behind while the next block is decided).
pub const BEHIND_THRESHOLD: u64 = 2;

/// How often the progress is logged when no terminal shows it.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// What [`SyncProgress::update`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncState {
    /// Following the network.
    InStep,
    /// Catching up: at `height`, the network at `target`.
    Syncing {
        /// The node's height.
        height: u64,
        /// The network's.
        target: u64,
    },
    /// Just caught up: `blocks` synced in `secs` seconds.
    CaughtUp {
        /// Blocks synced.
        blocks: u64,
        /// Seconds it took.
        secs: u64,
    },
}

/// The progress of a sync. See the module docs.
#[derive(Debug, Default)]
pub struct SyncProgress {
    /// When the sync started, and from which height.
    started: Option<(Instant, u64)>,
    last_log: Option<Instant>,
}

impl SyncProgress {
    /// The node is at `height`, the network at `network_height`, at `now`.
    pub fn update(&mut self, height: u64, network_height: u64, now: Instant) -> SyncState {
        if network_height < height.saturating_add(BEHIND_THRESHOLD) {
            self.last_log = None;
            return match self.started.take() {
                Some((at, from)) => SyncState::CaughtUp {
                    blocks: height.saturating_sub(from),
                    secs: now.saturating_duration_since(at).as_secs(),
                },
                None => SyncState::InStep,
            };
        }
        self.started.get_or_insert((now, height));
        SyncState::Syncing {
            height,
            target: network_height,
        }
    }

    /// Whether a log line is due at `now` (every [`LOG_EVERY`] while syncing); a caller that
    /// shows the progress otherwise does not ask.
    pub fn log_due(&mut self, now: Instant) -> bool {
        if self.started.is_none() {
            return false;
        }
        match self.last_log {
            Some(at) if now.saturating_duration_since(at) < LOG_EVERY => false,
            _ => {
                self.last_log = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node one height behind (the next block being decided) is in step and logs nothing.
    #[test]
    fn a_node_in_step_shows_nothing() {
        let mut p = SyncProgress::default();
        let t = Instant::now();
        for h in 0..5 {
            assert_eq!(p.update(h, h + 1, t), SyncState::InStep);
            assert!(!p.log_due(t));
        }
    }

    /// A sync reports its progress while the network moves on, logs every `LOG_EVERY`, then
    /// says how many blocks it synced in how long.
    #[test]
    fn a_sync_reports_progress_then_how_long_it_took() {
        let mut p = SyncProgress::default();
        let t = Instant::now();
        assert_eq!(
            p.update(3, 100, t),
            SyncState::Syncing {
                height: 3,
                target: 100
            }
        );
        assert!(p.log_due(t));
        assert!(!p.log_due(t + Duration::from_secs(1)));
        // The network moves on while the node catches up.
        assert_eq!(
            p.update(90, 120, t + Duration::from_secs(5)),
            SyncState::Syncing {
                height: 90,
                target: 120
            }
        );
        assert!(p.log_due(t + LOG_EVERY));
        assert_eq!(
            p.update(119, 120, t + Duration::from_secs(7)),
            SyncState::CaughtUp {
                blocks: 116,
                secs: 7
            }
        );
        assert_eq!(p.update(120, 121, t), SyncState::InStep);
    }

    /// Exactly `BEHIND_THRESHOLD` heights behind counts as syncing, one fewer does not.
    #[test]
    fn exactly_the_threshold_behind_is_syncing() {
        let mut p = SyncProgress::default();
        let t = Instant::now();
        assert_eq!(
            p.update(10, 10 + BEHIND_THRESHOLD - 1, t),
            SyncState::InStep
        );
        assert!(matches!(
            p.update(10, 10 + BEHIND_THRESHOLD, t),
            SyncState::Syncing { .. }
        ));
    }
}
