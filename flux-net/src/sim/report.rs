//! What a run reports, and the liveness bound checked on it.

use flux_core::Hash;

use super::error::SimError;

/// The outcome of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Simulated time elapsed, ms.
    pub elapsed_ms: u64,
    /// Heights decided by each validator during the run (beyond the setup chain).
    pub heights: Vec<u64>,
    /// The fewest heights decided by an honest validator that is running at the end.
    pub min_honest_heights: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Messages lost (link loss, partitions, crashed receivers).
    pub dropped: u64,
    /// Messages that did not decode, over all validators.
    pub undecodable: u64,
    /// Decoded messages the machine or host refused: stale heights, duplicates of other
    /// rounds, bad signatures, a block that does not match its proposal, a bad certificate.
    pub rejected: u64,
    /// BLAKE3 of every honest validator's `(index, height, state root)`.
    pub digest: Hash,
}

impl Report {
    /// Fails (naming the seed) unless every honest running validator decided at least
    /// `per_minute` heights per simulated minute, counted from `after_ms` (e.g. a heal).
    pub fn check_liveness(&self, per_minute: u64, after_ms: u64) -> Result<(), SimError> {
        let window = self.elapsed_ms.saturating_sub(after_ms);
        let expected = per_minute.saturating_mul(window) / 60_000;
        if self.min_honest_heights < expected {
            return Err(SimError::Stalled {
                seed: self.seed,
                reached: self.min_honest_heights,
                expected,
                elapsed_ms: self.elapsed_ms,
            });
        }
        Ok(())
    }
}
