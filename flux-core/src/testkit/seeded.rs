//! [`Gen`]: a tiny seeded generator for the kit's valid-value builders.
//!
//! proptest strategies and fuzzers hand the builders a seed (a `u64`), and the builders draw
//! from a [`Gen`]: the same seed gives the same value everywhere, so a failing case is
//! reproduced from its seed alone, without proptest's or libFuzzer's RNG.

use crate::rng::SplitMix64;

/// A [`SplitMix64`] stream with the draws the builders need: fast, good enough to pick senders
/// and amounts (not for keys of value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gen(SplitMix64);

impl Gen {
    /// A generator seeded with `seed`.
    ///
    /// ```
    /// use flux_core::testkit::Gen;
    /// assert_eq!(Gen::new(9).next_u64(), Gen::new(9).next_u64());
    /// ```
    pub const fn new(seed: u64) -> Gen {
        Gen(SplitMix64::new(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A value in `0..n` (0 when `n` is 0).
    ///
    /// ```
    /// use flux_core::testkit::Gen;
    /// let mut g = Gen::new(1);
    /// assert!((0..100).all(|_| g.below(6) < 6));
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: no modulo bias worth caring about for tests.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// An index into a slice of `len` elements (0 when `len` is 0).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}
