//! Waiting in tests: [`wait_until`] looks at a condition until it holds, and fails with a
//! [`WaitError`] naming what it waited for once a generous deadline has passed.
//!
//! A test that needs something to have happened (a block committed, a peer connected, a file
//! written by a child process) waits for exactly that, never for a fixed time: a loaded 2-core
//! machine running a build beside the tests is slow, and a sleep long enough for it wastes time
//! everywhere else. The deadline ([`DEADLINE`]) only bounds a failure; it is never a speed check
//! (speed belongs in the benchmarks). When the code offers an event (a channel, a watch, a
//! child's output), wait on the event instead; poll with these when it only offers a state.
//!
//! The looks come quickly at first and then further apart ([`Polls`]: 1 ms, doubling up to
//! [`MAX_POLL`]), so a condition that holds soon costs little and one that takes seconds is not
//! hammered. The async twin for tokio tests is `flux_net::testkit::wait`.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use flux_core::testkit::wait::{wait_for, wait_until};
//!
//! let height = AtomicU64::new(0);
//! std::thread::scope(|s| {
//!     s.spawn(|| (1..=3).for_each(|h| height.store(h, Ordering::Relaxed)));
//!     wait_until("height 3", || height.load(Ordering::Relaxed) == 3).unwrap();
//! });
//! let tip = wait_for("a positive height", || {
//!     Some(height.load(Ordering::Relaxed)).filter(|h| *h > 0)
//! });
//! assert_eq!(tip, Ok(3));
//! ```

use std::time::{Duration, Instant};

/// How long [`wait_until`] and [`wait_for`] wait before failing: long enough for a loaded
/// machine, so reaching it means the awaited thing is not coming.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The longest pause between two looks.
pub const MAX_POLL: Duration = Duration::from_millis(50);

/// The first pause between two looks.
const FIRST_POLL: Duration = Duration::from_millis(1);

/// A wait that reached its deadline.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("timed out after {waited:?} waiting for {what}")]
pub struct WaitError {
    /// What was awaited (the description given to the wait).
    pub what: String,
    /// How long it waited.
    pub waited: Duration,
}

impl WaitError {
    /// The error of a wait for `what` that gave up after `waited`.
    pub fn new(what: &str, waited: Duration) -> WaitError {
        WaitError {
            what: what.to_owned(),
            waited,
        }
    }
}

/// The pauses between the looks of a wait: 1 ms, doubling up to [`MAX_POLL`].
/// Shared by the sync waits here and the async ones of flux-net's kit.
#[derive(Clone, Debug)]
pub struct Polls {
    next: Duration,
}

impl Polls {
    /// The pauses of a new wait.
    pub fn new() -> Polls {
        Polls { next: FIRST_POLL }
    }

    /// The next pause, never past `left` (the time left before the deadline).
    pub fn next_within(&mut self, left: Duration) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(MAX_POLL);
        pause.min(left)
    }
}

impl Default for Polls {
    fn default() -> Polls {
        Polls::new()
    }
}

/// Waits until `done` returns true (looking at once, then after each pause of [`Polls`]), at
/// most [`DEADLINE`].
///
/// # Errors
/// [`WaitError`] naming `what` if `done` still returns false at the deadline.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> Result<(), WaitError> {
    wait_for_within(what, DEADLINE, || done().then_some(()))
}

/// Waits until `found` returns a value and returns it, at most [`DEADLINE`].
///
/// # Errors
/// [`WaitError`] naming `what` if `found` still returns `None` at the deadline.
pub fn wait_for<T>(what: &str, found: impl FnMut() -> Option<T>) -> Result<T, WaitError> {
    wait_for_within(what, DEADLINE, found)
}

/// [`wait_for`] with another deadline, for the few waits that legitimately take longer (a
/// network of several debug-built nodes starting together).
///
/// # Errors
/// [`WaitError`] naming `what` if `found` still returns `None` after `deadline`.
pub fn wait_for_within<T>(
    what: &str,
    deadline: Duration,
    mut found: impl FnMut() -> Option<T>,
) -> Result<T, WaitError> {
    let started = Instant::now();
    let mut polls = Polls::new();
    loop {
        if let Some(value) = found() {
            return Ok(value);
        }
        let waited = started.elapsed();
        let Some(left) = deadline.checked_sub(waited).filter(|l| !l.is_zero()) else {
            return Err(WaitError::new(what, waited));
        };
        std::thread::sleep(polls.next_within(left));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_that_holds_returns_at_once() {
        let mut looks = 0;
        assert_eq!(
            wait_for("the third look", || {
                looks += 1;
                (looks == 3).then_some(looks)
            }),
            Ok(3)
        );
    }

    #[test]
    fn a_condition_that_never_holds_names_what_was_awaited() {
        let error = wait_for_within::<()>("nothing", Duration::from_millis(20), || None)
            .expect_err("nothing came");
        assert_eq!(error.what, "nothing");
        assert!(error.waited >= Duration::from_millis(20), "{error}");
        assert!(error.to_string().contains("waiting for nothing"), "{error}");
    }

    #[test]
    fn pauses_double_up_to_the_maximum_and_stop_at_the_deadline() {
        let mut polls = Polls::new();
        let pauses: Vec<u128> = (0..8)
            .map(|_| polls.next_within(Duration::MAX).as_millis())
            .collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 50, 50]);
        assert_eq!(
            polls.next_within(Duration::from_millis(3)),
            Duration::from_millis(3)
        );
    }
}
