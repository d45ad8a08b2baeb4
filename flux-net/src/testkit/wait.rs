//! Waiting in tokio tests: the async twins of flux-core's [`wait_until`] and [`wait_for`]
//! (re-exported here), which pause with `tokio::time::sleep` so the runtime keeps running the
//! node under test while they look.
//!
//! Same rules: wait for the thing a test needs, never for a fixed time; the deadline
//! ([`DEADLINE`]) only bounds a failure. Prefer an event when there is one (the p2p layer's
//! [`crate::p2p::NetEvent`]s, a channel); these poll a state for the rest.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use flux_net::testkit::wait::{wait_for_async, wait_until_async};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), flux_net::testkit::wait::WaitError> {
//! let height = Arc::new(AtomicU64::new(0));
//! let writer = height.clone();
//! tokio::spawn(async move { (1..=3).for_each(|h| writer.store(h, Ordering::Relaxed)) });
//! wait_until_async("height 3", async || height.load(Ordering::Relaxed) == 3).await?;
//! let tip = wait_for_async("a tip", async || Some(height.load(Ordering::Relaxed))).await?;
//! assert_eq!(tip, 3);
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use tokio::time::Instant;

pub use flux_chain::testkit::wait::{
    DEADLINE, MAX_POLL, Polls, WaitError, wait_for, wait_for_within, wait_until,
};

/// Waits until `done` returns true, at most [`DEADLINE`]; see [`wait_until`].
///
/// # Errors
/// [`WaitError`] naming `what` if `done` still returns false at the deadline.
pub async fn wait_until_async(
    what: &str,
    mut done: impl AsyncFnMut() -> bool,
) -> Result<(), WaitError> {
    wait_for_async_within(what, DEADLINE, async || done().await.then_some(())).await
}

/// Waits until `found` returns a value and returns it, at most [`DEADLINE`].
///
/// # Errors
/// [`WaitError`] naming `what` if `found` still returns `None` at the deadline.
pub async fn wait_for_async<T>(
    what: &str,
    found: impl AsyncFnMut() -> Option<T>,
) -> Result<T, WaitError> {
    wait_for_async_within(what, DEADLINE, found).await
}

/// [`wait_for_async`] with another deadline (see [`wait_for_within`]).
///
/// # Errors
/// [`WaitError`] naming `what` if `found` still returns `None` after `deadline`.
pub async fn wait_for_async_within<T>(
    what: &str,
    deadline: Duration,
    mut found: impl AsyncFnMut() -> Option<T>,
) -> Result<T, WaitError> {
    let started = Instant::now();
    let mut polls = Polls::new();
    loop {
        if let Some(value) = found().await {
            return Ok(value);
        }
        let waited = started.elapsed();
        let Some(left) = deadline.checked_sub(waited).filter(|l| !l.is_zero()) else {
            return Err(WaitError::new(what, waited));
        };
        tokio::time::sleep(polls.next_within(left)).await;
    }
}
