//! The chain's only contact with the execution engine ([`flux_nodes::work`]): it checks a
//! submitted module and hashes a revealed outcome. It never runs a job.

use flux_core::Hash;

use super::JobError;

pub use flux_nodes::work::{Outcome, Status, Trap};

/// Checks a submitted module with the engine's [`flux_nodes::work::validate`]: a valid module,
/// no floating point anywhere, imports only from the job host interface, the exports a job
/// needs, memory and tables within the engine's limits.
pub fn validate_module(module: &[u8]) -> Result<(), JobError> {
    flux_nodes::work::validate(module)
        .map(drop)
        .map_err(JobError::BadModule)
}

/// The result hash of a revealed outcome ([`Outcome::result_hash`]).
pub fn result_hash(outcome: &Outcome) -> Hash {
    outcome.result_hash()
}
