//! [`BenchError`]: why a benchmark could not run, or why a CPU proof was refused.

use std::path::PathBuf;

use thiserror::Error;

/// Why a benchmark failed or a [`CpuProof`](super::CpuProof) was rejected.
///
/// The challenge-shape and proof variants are verification rules (a peer's proof that hits one is
/// refused, deterministically); the IO variants are local failures of [`measure`](fn@super::measure).
#[derive(Debug, Error)]
pub enum BenchError {
    /// A challenge asks for no threads or more than [`MAX_THREADS`](super::cpu::MAX_THREADS).
    #[error("challenge threads must be in 1..={max}, got {threads}")]
    Threads {
        /// Threads asked for.
        threads: u32,
        /// The bound.
        max: u32,
    },
    /// A challenge's checkpoint interval is zero.
    #[error("challenge checkpoint interval must be positive")]
    ZeroInterval,
    /// A challenge's steps per thread is zero or not a whole number of checkpoint intervals.
    #[error(
        "challenge steps per thread ({steps}) must be a positive multiple of the checkpoint interval ({interval})"
    )]
    Steps {
        /// Steps per thread.
        steps: u64,
        /// The checkpoint interval.
        interval: u64,
    },
    /// A challenge would make a proof with too many checkpoints (memory a verifier would spend).
    #[error("challenge needs {checkpoints} checkpoints, more than the bound {max}")]
    TooManyCheckpoints {
        /// Checkpoints the challenge needs (threads × segments), saturated.
        checkpoints: u64,
        /// The bound.
        max: u64,
    },
    /// A challenge asks for more hash steps in total than the bound.
    #[error("challenge asks for {steps} hash steps, more than the bound {max}")]
    TooMuchWork {
        /// Total steps (threads × steps per thread), saturated.
        steps: u64,
        /// The bound.
        max: u64,
    },
    /// A proof has a different number of thread chains than the challenge.
    #[error("proof has {found} thread chains, challenge has {expected}")]
    ProofThreads {
        /// Threads of the challenge.
        expected: u64,
        /// Chains in the proof.
        found: u64,
    },
    /// One thread chain of a proof has the wrong number of checkpoints.
    #[error("proof thread {thread} has {found} checkpoints, expected {expected}")]
    ProofCheckpoints {
        /// The thread.
        thread: u32,
        /// Checkpoints per thread of the challenge.
        expected: u64,
        /// Checkpoints found.
        found: u64,
    },
    /// A sampled segment does not recompute to the claimed checkpoint: work was skipped or faked.
    #[error("thread {thread} segment {segment} does not match its recomputation")]
    SegmentMismatch {
        /// The thread.
        thread: u32,
        /// The segment (0-based; segment k ends at checkpoint k).
        segment: u64,
    },
    /// A worker thread of the solver could not be started.
    #[error("cannot start benchmark worker thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// A worker thread of the solver panicked (a bug; no result for that thread).
    #[error("benchmark worker thread {thread} panicked")]
    WorkerPanicked {
        /// The thread.
        thread: u32,
    },
    /// The number of hardware threads could not be determined.
    #[error("cannot determine the number of CPU threads: {0}")]
    Parallelism(#[source] std::io::Error),
    /// A file or directory could not be read, written or inspected.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The benchmark directory is not a directory.
    #[error("{path} is not a directory")]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// A system file (e.g. `/proc/meminfo`) lacks a field or has one that does not parse.
    #[error("{path}: cannot read {field}")]
    Unparsable {
        /// The file.
        path: PathBuf,
        /// The field looked for.
        field: &'static str,
    },
    /// This platform offers no way to measure something the report needs.
    #[error("cannot measure {what} on this platform")]
    Unsupported {
        /// What could not be measured.
        what: &'static str,
    },
    /// The configuration asks for an unusable measurement (e.g. a zero-sized disk test).
    #[error("bad benchmark configuration: {0}")]
    Config(&'static str),
}
