//! The block-sync progress of `fluxd`: a bar on a terminal, a log line every few seconds
//! otherwise, from the node's height and the height the network is known to have reached
//! ([`flux_net::metrics::Metrics::network_height`]).
//!
//! ```
//! use std::time::{Duration, Instant};
//! use flux_cli::sync_progress::{SyncProgress, SyncState};
//!
//! let mut progress = SyncProgress::hidden();
//! let t0 = Instant::now();
//! assert_eq!(progress.update(10, 11, t0), SyncState::InStep);
//! assert_eq!(progress.update(10, 500, t0), SyncState::Syncing { height: 10, target: 500 });
//! let done = progress.update(500, 500, t0 + Duration::from_secs(4));
//! assert_eq!(done, SyncState::CaughtUp { blocks: 490, secs: 4 });
//! ```

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How far behind the network a node must be to count as syncing (a node in step is up to one
/// height behind while the next block is decided).
pub const BEHIND_THRESHOLD: u64 = 2;

/// How often the progress is logged when no terminal shows the bar.
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
#[derive(Debug)]
pub struct SyncProgress {
    draw: fn() -> ProgressDrawTarget,
    bar: Option<ProgressBar>,
    /// When the sync started, and from which height.
    started: Option<(Instant, u64)>,
    last_log: Option<Instant>,
}

impl SyncProgress {
    /// Draws on standard error (the bar is hidden when it is not a terminal).
    pub fn stderr() -> SyncProgress {
        SyncProgress {
            draw: ProgressDrawTarget::stderr,
            bar: None,
            started: None,
            last_log: None,
        }
    }

    /// Draws nothing (tests, embedders that show progress their own way).
    pub fn hidden() -> SyncProgress {
        SyncProgress {
            draw: ProgressDrawTarget::hidden,
            ..SyncProgress::stderr()
        }
    }

    /// Whether a terminal shows the bar (otherwise [`SyncProgress::update`]'s caller logs).
    pub fn is_drawn(&self) -> bool {
        self.bar.as_ref().is_some_and(|b| !b.is_hidden())
    }

    /// The node is at `height`, the network at `network_height`.
    pub fn update(&mut self, height: u64, network_height: u64, now: Instant) -> SyncState {
        if network_height < height.saturating_add(BEHIND_THRESHOLD) {
            if let Some(bar) = self.bar.take() {
                bar.finish_and_clear();
            }
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
        let draw = self.draw;
        let bar = self.bar.get_or_insert_with(|| {
            // Set up hidden, so the first frame already shows where the node starts from
            // (and the rate counts from there).
            let mut bar = ProgressBar::hidden().with_position(height);
            bar.set_length(network_height);
            if let Ok(style) = ProgressStyle::with_template(
                "syncing [{bar:40}] {pos}/{len} blocks, {per_sec}, eta {eta}",
            ) {
                bar = bar.with_style(style.progress_chars("=> "));
            }
            bar.reset_eta();
            bar.set_draw_target(draw());
            bar
        });
        bar.set_length(network_height);
        bar.set_position(height);
        SyncState::Syncing {
            height,
            target: network_height,
        }
    }

    /// Whether a log line is due now (every [`LOG_EVERY`] while syncing without a bar).
    pub fn log_due(&mut self, now: Instant) -> bool {
        if self.started.is_none() || self.is_drawn() {
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

    #[test]
    fn a_node_in_step_shows_nothing() {
        let mut p = SyncProgress::hidden();
        let t = Instant::now();
        for h in 0..5 {
            assert_eq!(p.update(h, h + 1, t), SyncState::InStep);
            assert!(!p.log_due(t));
        }
    }

    #[test]
    fn a_sync_reports_progress_then_how_long_it_took() {
        let mut p = SyncProgress::hidden();
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

    #[test]
    fn exactly_the_threshold_behind_is_syncing() {
        let mut p = SyncProgress::hidden();
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
