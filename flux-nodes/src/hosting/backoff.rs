//! The crash back-off schedule (pure: attempts → delay), as kubelet's `CrashLoopBackOff`.

/// Exponential back-off with a cap: restart `n` of a crashing container waits
/// `min(base × 2ⁿ⁻¹, cap)` ms; a container that ran `reset_after_ms` without crashing starts
/// over at attempt 0.
///
/// ```
/// use flux_nodes::hosting::Backoff;
/// let b = Backoff::DEFAULT;
/// assert_eq!(b.delay_ms(0), 0);
/// assert_eq!(b.delay_ms(1), 1_000);
/// assert_eq!(b.delay_ms(3), 4_000);
/// assert_eq!(b.delay_ms(40), 300_000);
/// assert_eq!(b.next_attempt(3, 1_000), 4);
/// assert_eq!(b.next_attempt(3, 600_000), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first restart, ms.
    pub base_ms: u64,
    /// Largest delay, ms.
    pub cap_ms: u64,
    /// A run at least this long resets the count, ms.
    pub reset_after_ms: u64,
}

impl Backoff {
    /// 1 s doubling to 5 min; reset after 10 min of running.
    pub const DEFAULT: Backoff = Backoff {
        base_ms: 1_000,
        cap_ms: 300_000,
        reset_after_ms: 600_000,
    };

    /// The delay before restart `attempt` (0: the first start, no delay). Never overflows.
    pub fn delay_ms(&self, attempt: u32) -> u64 {
        let Some(shift) = attempt.checked_sub(1) else {
            return 0;
        };
        let factor = 1u64.checked_shl(shift).filter(|f| *f != 0 && shift < 64);
        factor
            .and_then(|f| self.base_ms.checked_mul(f))
            .map_or(self.cap_ms, |d| d.min(self.cap_ms))
    }

    /// The attempt number of the next restart, after a crash of a run that lasted `ran_ms`
    /// following restart `attempts`.
    pub fn next_attempt(&self, attempts: u32, ran_ms: u64) -> u32 {
        if ran_ms >= self.reset_after_ms {
            1
        } else {
            attempts.saturating_add(1)
        }
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_caps_and_never_overflows() {
        let b = Backoff::DEFAULT;
        let delays: Vec<u64> = (0..12).map(|n| b.delay_ms(n)).collect();
        assert_eq!(
            delays,
            [
                0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000,
                300_000
            ]
        );
        for n in [63, 64, 65, 1_000, u32::MAX] {
            assert_eq!(b.delay_ms(n), 300_000);
        }
        let huge = Backoff {
            base_ms: u64::MAX,
            cap_ms: u64::MAX,
            reset_after_ms: 1,
        };
        assert_eq!(huge.delay_ms(2), u64::MAX);
    }

    #[test]
    fn monotone() {
        let b = Backoff {
            base_ms: 7,
            cap_ms: 1_000_000,
            reset_after_ms: 10,
        };
        for n in 0..200 {
            assert!(b.delay_ms(n) <= b.delay_ms(n + 1));
        }
        assert_eq!(b.next_attempt(u32::MAX, 0), u32::MAX);
    }
}
