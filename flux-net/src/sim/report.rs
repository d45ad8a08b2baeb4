//! What a run reports, and the liveness bound checked on it.

use flux_core::Hash;

use super::Sim;
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
    /// Every ban decided during the run, `(by, peer)`, in order (see [`Sim::banned`]).
    pub bans: Vec<(usize, usize)>,
    /// The most decided blocks an honest validator served in one sync answer.
    pub largest_sync_answer: u64,
    /// Gossip payloads not sent because they were larger than a frame (a block nobody
    /// receives, for one).
    pub oversized: u64,
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

impl Sim {
    fn heights(&self, i: usize) -> u64 {
        self.validators[i]
            .chain()
            .map_or(0, |c| c.height().saturating_sub(self.start))
    }

    fn min_honest_heights(&self) -> u64 {
        (0..self.validators.len())
            .filter(|&i| self.honest(i) && self.validators[i].running)
            .map(|i| self.heights(i))
            .min()
            .unwrap_or(0)
    }

    pub(super) fn done(&self) -> bool {
        self.config
            .target_heights
            .is_some_and(|t| self.min_honest_heights() >= t)
    }

    /// BLAKE3 of every honest validator's `(index, height, state root)`.
    pub fn digest(&self) -> Hash {
        let mut bytes = Vec::new();
        for (i, v) in self.validators.iter().enumerate() {
            if !self.honest(i) {
                continue;
            }
            if let Some(chain) = v.chain() {
                let state = chain.state();
                bytes.extend_from_slice(&(i as u64).to_le_bytes());
                bytes.extend_from_slice(&state.tip().height.to_le_bytes());
                bytes.extend_from_slice(state.state_root().as_bytes());
            }
        }
        Hash::digest(&bytes)
    }

    /// The report so far.
    pub fn report(&self) -> Report {
        let n = self.validators.len();
        let refusals: Vec<_> = self.validators.iter().map(|v| v.refusals()).collect();
        Report {
            seed: self.config.seed,
            elapsed_ms: self.now,
            heights: (0..n).map(|i| self.heights(i)).collect(),
            min_honest_heights: self.min_honest_heights(),
            delivered: self.delivered,
            dropped: self.dropped,
            undecodable: refusals.iter().map(|r| r.undecodable).sum(),
            rejected: refusals.iter().map(|r| r.rejected).sum(),
            digest: self.digest(),
            bans: self.scores.history().to_vec(),
            largest_sync_answer: (0..n)
                .filter(|&i| self.honest(i))
                .map(|i| self.largest_answer[i])
                .max()
                .unwrap_or(0),
            oversized: self.oversized,
        }
    }

    /// Penalty points validator `by` ever gave validator `peer` (the p2p layer's weights).
    pub fn penalties(&self, by: usize, peer: usize) -> u64 {
        self.scores.points(by, peer)
    }

    /// Whether validator `by` bans validator `peer` now (no message between them).
    pub fn banned(&self, by: usize, peer: usize) -> bool {
        self.scores.banned(by, peer, self.now)
    }

    /// Every ban decided so far, `(by, peer)`, in order.
    pub fn bans(&self) -> &[(usize, usize)] {
        self.scores.history()
    }

    /// The most decided blocks validator `i` served in one sync answer so far.
    pub fn largest_sync_answer(&self, i: usize) -> u64 {
        self.largest_answer.get(i).copied().unwrap_or(0)
    }

    /// Whether validator `i` is honest (not byzantine in the configuration).
    pub fn is_honest(&self, i: usize) -> bool {
        i < self.validators.len() && self.honest(i)
    }
}
