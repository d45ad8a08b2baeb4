//! Verifiable CPU work: a seed-derived workload whose answer a verifier spot-checks in a small
//! fraction of the time it took to produce. Pure: no IO, no clock.
//!
//! # The workload
//!
//! A [`CpuChallenge`] names a seed, a number of threads `T`, steps per thread `S` and a checkpoint
//! interval `I` (`S` a multiple of `I`). Thread `t` computes the hash chain
//!
//! ```text
//! x_0     = Hash::tagged("flux/bench/cpu/v1", seed ‖ t as u32 LE)
//! x_{i+1} = BLAKE3_keyed(STEP, x_i)        (one BLAKE3 compression per step)
//! ```
//!
//! and records `x_I, x_2I, ..., x_S`: `S / I` checkpoints, the ends of its `S / I` segments. Each
//! step needs the previous one, so a chain cannot be split across cores: `T` chains of `S` steps
//! take `S` step-times of wall clock on `T` cores and `T × S` on one. A verifier that times the
//! answer therefore sees the machine's parallel hashing rate ([`cpu_score`]).
//!
//! # Verification and soundness
//!
//! [`verify`] checks the proof's shape, hashes every checkpoint into a commitment, and draws
//! `samples` distinct segments from `BLAKE3(sample_seed ‖ commitment)`, to which it adds the
//! first segment of every thread. Each of these is recomputed from its previous checkpoint (or
//! the chain's start) and must land on its claimed checkpoint. Cost: `(samples + T) × I` steps
//! instead of `T × S`. The first segments bind each chain to the challenge's seed: every other
//! segment is checked from the proof's own previous checkpoint, so without them a chain
//! computed in advance for another seed would pass with only its first segment wrong.
//!
//! The draw depends on every checkpoint, so a prover must commit to all of them before it can
//! know which are checked; changing one checkpoint to steer the draw re-randomises it. A prover
//! that fakes (does not compute) a fraction `f` of the segments passes only if no drawn segment is
//! fake: probability `(1 - f)^samples` or less (the draw is without replacement, which only
//! helps the verifier). With 16 samples, skipping half the work passes with probability
//! `2^-16`; skipping 10% passes with probability about 0.19, and saves only 10% of the time. With
//! `samples` equal to the number of segments every segment is checked. Grinding (retrying fake
//! proofs until a draw misses) costs a full commitment per try, and a verifier that also bounds the
//! time it waits caps the tries; `sample_seed` must be unknown to the prover until it answers.
//! Splitting a chain at a faked boundary lets a prover with *more* cores than the challenge's
//! threads finish sooner, but each split is a faked segment caught at the same odds (and such a
//! prover has the throughput it would be credited with anyway); a prover with fewer cores gains
//! nothing from splitting, since the total work is unchanged.
//!
//! ```
//! use flux_core::Hash;
//! use flux_nodes::bench::cpu::{self, CpuChallenge};
//!
//! let challenge = CpuChallenge::new(Hash::digest(b"seed"), 2, 4_000, 1_000)?;
//! let proof = cpu::solve(&challenge)?;
//! cpu::verify(&challenge, &proof, 3, &Hash::digest(b"verifier's secret"))?;
//!
//! let mut forged = proof.clone();
//! forged.checkpoints[1][2] = Hash::ZERO;
//! // With every segment sampled, the forgery is always caught.
//! assert!(cpu::verify(&challenge, &forged, 8, &Hash::ZERO).is_err());
//! // 2 threads × 4,000 steps in 500 ms: 16,000 hash steps per second.
//! assert_eq!(cpu::cpu_score(&challenge, 500), 16_000);
//! # Ok::<(), flux_nodes::bench::BenchError>(())
//! ```

use std::collections::BTreeSet;
use std::sync::LazyLock;

use flux_core::Hash;
use flux_core::hash::Tag;
use serde::{Deserialize, Serialize};

use super::error::BenchError;

/// The domain of each chain's start: `Hash::tagged(START_TAG, seed ‖ thread as u32 LE)`.
pub const START_TAG: &str = "flux/bench/cpu/v1";
/// The domain of one chain step.
pub const STEP_TAG: &str = "flux/bench/cpu/step/v1";
/// The domain of the commitment to a proof's checkpoints.
pub const COMMIT_TAG: &str = "flux/bench/cpu/commit/v1";
/// The domain of the sample draw.
pub const SAMPLE_TAG: &str = "flux/bench/cpu/sample/v1";

/// Most threads a challenge may ask for.
pub const MAX_THREADS: u32 = 1_024;
/// Most checkpoints (threads × segments per thread) a challenge may need: 32 MiB of proof.
pub const MAX_CHECKPOINTS: u64 = 1 << 20;
/// Most hash steps in total (threads × steps per thread) a challenge may ask for.
pub const MAX_TOTAL_STEPS: u64 = 1 << 40;

static START: LazyLock<Tag> = LazyLock::new(|| Tag::new(START_TAG));
static STEP: LazyLock<Tag> = LazyLock::new(|| Tag::new(STEP_TAG));
static COMMIT: LazyLock<Tag> = LazyLock::new(|| Tag::new(COMMIT_TAG));
static SAMPLE: LazyLock<Tag> = LazyLock::new(|| Tag::new(SAMPLE_TAG));

/// A CPU benchmark challenge: `threads` independent hash chains of `steps_per_thread` steps from
/// `seed`, with a checkpoint every `checkpoint_interval` steps. Plain data (serde, canonical codec);
/// [`CpuChallenge::check`] says whether its shape is acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CpuChallenge {
    /// Seed of the chains (a verifier picks it fresh so that no answer can be precomputed).
    pub seed: Hash,
    /// Number of chains, one per thread.
    pub threads: u32,
    /// Steps in each chain; a positive multiple of `checkpoint_interval`.
    pub steps_per_thread: u64,
    /// Steps between checkpoints (the length of a segment, the cost of checking one sample).
    pub checkpoint_interval: u64,
}

/// The answer to a [`CpuChallenge`]: per thread, the checkpoints at steps `I, 2I, ..., S`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuProof {
    /// `checkpoints[t][k]` is thread `t`'s chain value after `(k + 1) × interval` steps.
    pub checkpoints: Vec<Vec<Hash>>,
}

/// One segment of one thread's chain: segment `k` runs from checkpoint `k - 1` (or the start) to
/// checkpoint `k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Segment {
    /// The thread.
    pub thread: u32,
    /// The segment index within the thread (0-based).
    pub index: u64,
}

impl CpuChallenge {
    /// A challenge, checked ([`CpuChallenge::check`]).
    pub fn new(
        seed: Hash,
        threads: u32,
        steps_per_thread: u64,
        checkpoint_interval: u64,
    ) -> Result<CpuChallenge, BenchError> {
        let c = CpuChallenge {
            seed,
            threads,
            steps_per_thread,
            checkpoint_interval,
        };
        c.check()?;
        Ok(c)
    }

    /// Checks the shape: 1..=[`MAX_THREADS`] threads, a positive interval, steps a positive
    /// multiple of it, at most [`MAX_CHECKPOINTS`] checkpoints and [`MAX_TOTAL_STEPS`] steps.
    /// Cheap and allocation-free, so absurd challenges are refused before any work.
    pub fn check(&self) -> Result<(), BenchError> {
        if self.threads == 0 || self.threads > MAX_THREADS {
            return Err(BenchError::Threads {
                threads: self.threads,
                max: MAX_THREADS,
            });
        }
        if self.checkpoint_interval == 0 {
            return Err(BenchError::ZeroInterval);
        }
        if self.steps_per_thread == 0
            || !self
                .steps_per_thread
                .is_multiple_of(self.checkpoint_interval)
        {
            return Err(BenchError::Steps {
                steps: self.steps_per_thread,
                interval: self.checkpoint_interval,
            });
        }
        let checkpoints = u64::from(self.threads).saturating_mul(self.segments_per_thread());
        if checkpoints > MAX_CHECKPOINTS {
            return Err(BenchError::TooManyCheckpoints {
                checkpoints,
                max: MAX_CHECKPOINTS,
            });
        }
        let steps = self.total_steps();
        if steps > MAX_TOTAL_STEPS {
            return Err(BenchError::TooMuchWork {
                steps,
                max: MAX_TOTAL_STEPS,
            });
        }
        Ok(())
    }

    /// Segments (and checkpoints) per thread: `steps_per_thread / checkpoint_interval` (0 if the
    /// interval is 0).
    pub fn segments_per_thread(&self) -> u64 {
        self.steps_per_thread
            .checked_div(self.checkpoint_interval)
            .unwrap_or(0)
    }

    /// Hash steps over all threads, saturating: `threads × steps_per_thread`.
    pub fn total_steps(&self) -> u64 {
        u64::from(self.threads).saturating_mul(self.steps_per_thread)
    }

    /// Thread `thread`'s chain start, `x_0`.
    pub fn start(&self, thread: u32) -> Hash {
        let mut bytes = [0u8; 36];
        bytes[..32].copy_from_slice(self.seed.as_bytes());
        bytes[32..].copy_from_slice(&thread.to_le_bytes());
        START.hash(&bytes)
    }
}

/// Runs `steps` chain steps from `from`.
pub fn chain(from: Hash, steps: u64) -> Hash {
    let step = *STEP;
    let mut x = from;
    for _ in 0..steps {
        x = step.hash(x.as_bytes());
    }
    x
}

/// Answers `challenge`, one OS thread per chain (`std::thread::scope`).
///
/// Errors: the challenge's shape ([`CpuChallenge::check`]), or a worker that could not start.
pub fn solve(challenge: &CpuChallenge) -> Result<CpuProof, BenchError> {
    challenge.check()?;
    let segments = challenge.segments_per_thread();
    let capacity = usize::try_from(segments).map_err(|_| BenchError::TooManyCheckpoints {
        checkpoints: segments,
        max: MAX_CHECKPOINTS,
    })?;
    let run = |thread: u32| {
        let mut x = challenge.start(thread);
        let mut out = Vec::with_capacity(capacity);
        for _ in 0..segments {
            x = chain(x, challenge.checkpoint_interval);
            out.push(x);
        }
        out
    };
    std::thread::scope(|scope| {
        let mut workers = Vec::with_capacity(challenge.threads as usize);
        for thread in 0..challenge.threads {
            let worker = std::thread::Builder::new()
                .name(format!("flux-bench-{thread}"))
                .spawn_scoped(scope, move || run(thread))
                .map_err(BenchError::Spawn)?;
            workers.push(worker);
        }
        let mut checkpoints = Vec::with_capacity(workers.len());
        for (thread, worker) in (0u32..).zip(workers) {
            checkpoints.push(
                worker
                    .join()
                    .map_err(|_| BenchError::WorkerPanicked { thread })?,
            );
        }
        Ok(CpuProof { checkpoints })
    })
}

/// Checks that `proof` has the shape `challenge` asks for: one chain per thread, each with
/// `segments_per_thread` checkpoints. Reads lengths only.
pub fn check_shape(challenge: &CpuChallenge, proof: &CpuProof) -> Result<(), BenchError> {
    challenge.check()?;
    let found = proof.checkpoints.len() as u64;
    if found != u64::from(challenge.threads) {
        return Err(BenchError::ProofThreads {
            expected: u64::from(challenge.threads),
            found,
        });
    }
    let expected = challenge.segments_per_thread();
    for (thread, chain) in (0u32..).zip(&proof.checkpoints) {
        if chain.len() as u64 != expected {
            return Err(BenchError::ProofCheckpoints {
                thread,
                expected,
                found: chain.len() as u64,
            });
        }
    }
    Ok(())
}

/// The commitment to a proof: BLAKE3 (domain [`COMMIT_TAG`]) of the challenge and every
/// checkpoint in order. The sample draw depends on it.
pub fn commitment(challenge: &CpuChallenge, proof: &CpuProof) -> Hash {
    let mut h = COMMIT.hasher();
    h.update(challenge.seed.as_bytes())
        .update(&challenge.threads.to_le_bytes())
        .update(&challenge.steps_per_thread.to_le_bytes())
        .update(&challenge.checkpoint_interval.to_le_bytes());
    for chain in &proof.checkpoints {
        h.update(&(chain.len() as u64).to_le_bytes());
        for c in chain {
            h.update(c.as_bytes());
        }
    }
    h.finalize()
}

/// The segments [`verify`] recomputes: `min(samples, all)` distinct segments, sorted, drawn from
/// `BLAKE3(sample_seed ‖ commitment(challenge, proof) ‖ counter)` by Floyd's algorithm (exactly
/// one draw per sample; the modulo bias of a 64-bit draw over at most 2^20 segments is below
/// 2^-44 and ignored).
///
/// Errors: the proof's shape ([`check_shape`]).
pub fn sample_segments(
    challenge: &CpuChallenge,
    proof: &CpuProof,
    samples: u32,
    sample_seed: &Hash,
) -> Result<Vec<Segment>, BenchError> {
    check_shape(challenge, proof)?;
    let per_thread = challenge.segments_per_thread();
    let total = u64::from(challenge.threads).saturating_mul(per_thread);
    let k = u64::from(samples).min(total);
    let commit = commitment(challenge, proof);
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(sample_seed.as_bytes());
    seed[32..].copy_from_slice(commit.as_bytes());
    let mut chosen = BTreeSet::new();
    for j in (total - k)..total {
        let mut h = SAMPLE.hasher();
        h.update(&seed).update(&j.to_le_bytes());
        let d = h.finalize();
        let mut word = [0u8; 8];
        word.copy_from_slice(&d.as_bytes()[..8]);
        let t = u64::from_le_bytes(word) % (j + 1);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    Ok(chosen
        .into_iter()
        .map(|s| Segment {
            thread: u32::try_from(s / per_thread).unwrap_or(u32::MAX),
            index: s % per_thread,
        })
        .collect())
}

/// Verifies `proof` against `challenge` by recomputing `samples` segments drawn from
/// `sample_seed` and the proof's commitment, and the first segment of every thread (see the
/// module docs for the soundness argument). Cost: at most `(samples + threads) ×
/// checkpoint_interval` hash steps. `samples = 0` checks the shape only.
///
/// Errors: a bad challenge or proof shape, or [`BenchError::SegmentMismatch`] naming the first
/// sampled segment that does not recompute.
pub fn verify(
    challenge: &CpuChallenge,
    proof: &CpuProof,
    samples: u32,
    sample_seed: &Hash,
) -> Result<(), BenchError> {
    // Every thread's first segment, always: it binds the chain to this challenge's seed. (The
    // others are checked from their previous checkpoint, so without it a chain computed earlier
    // for another seed would pass with only its first segment wrong.)
    let firsts = (0..challenge.threads).map(|thread| Segment { thread, index: 0 });
    let sampled = sample_segments(challenge, proof, samples, sample_seed)?;
    let mut segments: BTreeSet<Segment> = sampled.into_iter().collect();
    if samples > 0 {
        segments.extend(firsts);
    }
    for segment in segments {
        let chain_of = proof.checkpoints.get(segment.thread as usize);
        let claimed =
            chain_of.and_then(|c| usize::try_from(segment.index).ok().and_then(|i| c.get(i)));
        let from = match segment.index {
            0 => Some(challenge.start(segment.thread)),
            k => chain_of
                .and_then(|c| usize::try_from(k - 1).ok().and_then(|i| c.get(i)))
                .copied(),
        };
        let ok = match (from, claimed) {
            (Some(from), Some(claimed)) => chain(from, challenge.checkpoint_interval) == *claimed,
            _ => false,
        };
        if !ok {
            return Err(BenchError::SegmentMismatch {
                thread: segment.thread,
                segment: segment.index,
            });
        }
    }
    Ok(())
}

/// The CPU score of an answer to `challenge` that the verifier timed at `elapsed_ms`: hash steps
/// per second over all threads, `threads × steps_per_thread × 1000 / elapsed_ms`, rounded down
/// and saturated at `u64::MAX`. An `elapsed_ms` of 0 counts as 1 ms. Integer only; non-decreasing
/// in the work and non-increasing in the time.
pub fn cpu_score(challenge: &CpuChallenge, elapsed_ms: u64) -> u64 {
    let steps = u128::from(challenge.threads) * u128::from(challenge.steps_per_thread);
    let per_second = steps * 1_000 / u128::from(elapsed_ms.max(1));
    u64::try_from(per_second).unwrap_or(u64::MAX)
}
