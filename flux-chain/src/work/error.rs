//! Why a job transaction is invalid: one variant per rule.

use flux_core::Amount;
use flux_nodes::node::NodeId;
use thiserror::Error;

use super::JobId;

/// A compute-job rule a `JobSubmit`, `WorkCommit` or `WorkReveal` breaks.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JobError {
    /// The module is larger than `max_module_bytes`.
    #[error("job module is {size} bytes, the limit is {max}")]
    ModuleTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The input is larger than `max_input_bytes`.
    #[error("job input is {size} bytes, the limit is {max}")]
    InputTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A revealed output larger than `max_output_bytes`.
    #[error("job output is {size} bytes, the limit is {max}")]
    OutputTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A fuel limit of zero or above `max_job_fuel`.
    #[error("job fuel {fuel} must be between 1 and {max}")]
    BadFuel {
        /// The fuel asked for.
        fuel: u64,
        /// The limit.
        max: u64,
    },
    /// A fee below `min_job_fee`.
    #[error("job fee {fee} is below the minimum {min}")]
    FeeTooLow {
        /// The fee offered.
        fee: Amount,
        /// The minimum.
        min: Amount,
    },
    /// The module is not one the engine runs (floats, disallowed imports, malformed...).
    #[error("job module rejected: {0}")]
    BadModule(flux_nodes::work::WorkError),
    /// No job with that id.
    #[error("no job {0}")]
    UnknownJob(JobId),
    /// The sender is not the node's operator key.
    #[error("only node {0}'s operator key may commit or reveal for it")]
    NotOperator(NodeId),
    /// The node is not among the job's current assignees.
    #[error("node {node} is not assigned to job {job}")]
    NotAssigned {
        /// The job.
        job: JobId,
        /// The node.
        node: NodeId,
    },
    /// A commitment outside the job's commit phase.
    #[error("job {0} is not taking commitments")]
    NotCommitPhase(JobId),
    /// A reveal outside the job's reveal phase.
    #[error("job {0} is not taking reveals")]
    NotRevealPhase(JobId),
    /// A second commitment.
    #[error("node {node} already committed to job {job}")]
    AlreadyCommitted {
        /// The job.
        job: JobId,
        /// The node.
        node: NodeId,
    },
    /// A reveal by a node that did not commit.
    #[error("node {node} did not commit to job {job}")]
    NotCommitted {
        /// The job.
        job: JobId,
        /// The node.
        node: NodeId,
    },
    /// A second reveal.
    #[error("node {node} already revealed for job {job}")]
    AlreadyRevealed {
        /// The job.
        job: JobId,
        /// The node.
        node: NodeId,
    },
    /// The revealed outcome and salt do not hash to the commitment.
    #[error("node {node}'s reveal for job {job} does not match its commitment")]
    CommitmentMismatch {
        /// The job.
        job: JobId,
        /// The node.
        node: NodeId,
    },
    /// A hosting report for a node that is not confirmed.
    #[error("node {0} is not confirmed")]
    NotConfirmed(NodeId),
    /// A hosting report seeded by a block that is not recent.
    #[error(
        "hosting report seeded at height {seed_height}: not a recent block at height {height} (at most {max_age} back)"
    )]
    StaleSeed {
        /// The seed height.
        seed_height: u64,
        /// The block's height.
        height: u64,
        /// The most blocks back a seed may be.
        max_age: u64,
    },
    /// A hosting report before `hosting_interval` blocks have passed since the last one.
    #[error("node {node} reported hosting at {last}; the next report may come at {next}")]
    ReportTooEarly {
        /// The node.
        node: NodeId,
        /// Its last report's seed height.
        last: u64,
        /// The first seed height allowed.
        next: u64,
    },
    /// A hosting report of a node that hosts nothing.
    #[error("node {0} hosts no app instance")]
    NothingHosted(NodeId),
    /// A hosting report's attestations do not make a quorum of the selected verifiers.
    #[error("hosting report attestations: {0}")]
    Attestations(#[from] flux_nodes::error::AttestationError),
    /// Revealed fuel above the job's fuel limit.
    #[error("revealed fuel {used} exceeds the job's limit {limit}")]
    FuelAboveLimit {
        /// Fuel revealed.
        used: u64,
        /// The job's limit.
        limit: u64,
    },
}
