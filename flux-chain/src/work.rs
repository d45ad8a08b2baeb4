//! Compute jobs on chain (SPEC "Useful work"): what the chain keeps of each job, the work units
//! each node earned per epoch, and the strikes of nodes that disagreed with a majority or stayed
//! silent.
//!
//! A `JobSubmit` escrows the job's fee and assigns the job to `job_redundancy` confirmed nodes.
//! The chain never runs a job: each assigned node runs it off chain, commits to the hash of its
//! result ([`commitment`]) and, once the commit phase is over, reveals the result and the salt.
//! The result hash agreed by a strict majority of the assigned nodes is accepted: the agreeing
//! nodes split the fee and earn the fuel used as work units of the epoch; at the epoch's end the
//! useful-work pool is paid pro rata to those units. The rules are in
//! [`crate::transition::work`].
//!
//! The execution engine is `flux_nodes::work`; the chain touches it in two places only, both in
//! [`engine`]: checking a submitted module and hashing a revealed outcome.

pub mod engine;
mod error;

pub use error::JobError;

use std::collections::BTreeMap;

use flux_core::error::AmountError;
use flux_core::{Address, Amount, Hash};
use flux_nodes::node::NodeId;
use imbl::{OrdMap, OrdSet};
use serde::{Deserialize, Serialize};

use crate::ids::TxId;

/// A job's id: the id of its `JobSubmit` transaction (which carries the module and the input).
pub type JobId = TxId;

/// The domain tag of a commitment.
pub const COMMITMENT_TAG: &str = "flux/work/commitment/v1";

/// A node's commitment to a result: `Hash::tagged(COMMITMENT_TAG, job || node || result_hash ||
/// salt)`, where each of the four is exactly 32 bytes (the job id's hash, the node id's hash,
/// the engine's result hash, the salt), 128 bytes in all.
pub fn commitment(job: &JobId, node: &NodeId, result_hash: &Hash, salt: &[u8; 32]) -> Hash {
    let mut bytes = [0u8; 128];
    bytes[..32].copy_from_slice(job.0.as_bytes());
    bytes[32..64].copy_from_slice(node.0.as_bytes());
    bytes[64..96].copy_from_slice(result_hash.as_bytes());
    bytes[96..].copy_from_slice(salt);
    Hash::tagged(COMMITMENT_TAG, &bytes)
}

/// What the verifiers of a hosting report sign (in [`flux_core::crypto::Domain::WORK`], its
/// canonical encoding): the node answered their liveness check for the seed block in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostingStatement {
    /// The hosting node.
    pub node: NodeId,
    /// The height of the seed block.
    pub seed_height: u64,
    /// The seed block's id.
    pub seed: Hash,
}

/// Work units one block of hosting earns for the resources `demand` of the instances a node
/// runs: `10 × cpu_tenths + ram_mb / 100 + hdd_gb + 100 × gpus` (a core counts like 10 GB of
/// RAM, or 100 GB of disk).
///
/// ```
/// use flux_chain::work::hosting_units_per_block;
/// use flux_nodes::app::Demand;
///
/// let one_core = Demand { cpu_tenths: 10, ram_mb: 1_000, hdd_gb: 10, ..Demand::default() };
/// assert_eq!(hosting_units_per_block(&one_core), 100 + 10 + 10);
/// ```
pub fn hosting_units_per_block(demand: &flux_nodes::app::Demand) -> u64 {
    u64::from(demand.cpu_tenths)
        .saturating_mul(10)
        .saturating_add(demand.ram_mb / 100)
        .saturating_add(demand.hdd_gb)
        .saturating_add(u64::from(demand.gpu).saturating_mul(100))
}

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Assigned nodes may commit, through height `until`.
    Commit {
        /// Last height of the phase.
        until: u64,
    },
    /// Committed nodes may reveal, through height `until`.
    Reveal {
        /// Last height of the phase.
        until: u64,
    },
    /// A majority agreed; the fee was paid.
    Accepted,
    /// No majority twice (or nobody to run it): the fee went back to the submitter.
    Refunded,
}

impl Phase {
    /// Whether the job still holds its fee in escrow.
    pub fn is_open(&self) -> bool {
        matches!(self, Phase::Commit { .. } | Phase::Reveal { .. })
    }
}

/// A node's revealed result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reveal {
    /// The engine's result hash of the revealed outcome.
    pub result_hash: Hash,
    /// Fuel the node reports having used (part of the result hash).
    pub fuel_used: u64,
    /// The reveal transaction (it carries the output).
    pub tx: TxId,
}

/// The result a majority agreed on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// Its result hash.
    pub result_hash: Hash,
    /// Fuel used: the work units each agreeing node earned.
    pub fuel_used: u64,
    /// A reveal transaction carrying the output (the first agreeing node's, in id order).
    pub output_tx: TxId,
    /// The nodes that agreed, in id order.
    pub agreeing: Vec<NodeId>,
}

/// A job as the chain keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobEntry {
    /// Its id.
    pub id: JobId,
    /// Who submitted and paid.
    pub submitter: Address,
    /// The submit transaction (= `id`).
    pub tx: TxId,
    /// BLAKE3 of the module bytes.
    pub module_hash: Hash,
    /// BLAKE3 of the input bytes.
    pub input_hash: Hash,
    /// Fuel limit.
    pub fuel: u64,
    /// Fee held in escrow, for the agreeing nodes.
    pub fee: Amount,
    /// 1, or 2 after a reassignment.
    pub attempt: u8,
    /// The nodes of the current attempt, in the order drawn.
    pub assigned: Vec<NodeId>,
    /// The nodes of the first attempt (empty until a reassignment), excluded from the second.
    pub previous: Vec<NodeId>,
    /// Where it is.
    pub phase: Phase,
    /// Commitments of the current attempt.
    pub commitments: BTreeMap<NodeId, Hash>,
    /// Reveals of the current attempt.
    pub reveals: BTreeMap<NodeId, Reveal>,
    /// The accepted result, once there is one.
    pub accepted: Option<Accepted>,
}

/// Everything the chain keeps of useful work.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Every job, by id.
    pub jobs: OrdMap<JobId, JobEntry>,
    /// Jobs still holding their fee (in a commit or reveal phase).
    pub open: OrdSet<JobId>,
    /// Verified work units by (epoch, node), not yet paid from the pool.
    pub units: OrdMap<(u64, NodeId), u64>,
    /// Strikes: times a node disagreed with an accepted result or stayed silent.
    pub strikes: OrdMap<NodeId, u32>,
    /// The seed height of each hosting node's last accepted hosting report.
    pub hosted: OrdMap<NodeId, u64>,
}

impl Work {
    /// Rebuilds the derived index from the stored parts.
    pub fn from_parts(
        jobs: OrdMap<JobId, JobEntry>,
        units: OrdMap<(u64, NodeId), u64>,
        strikes: OrdMap<NodeId, u32>,
        hosted: OrdMap<NodeId, u64>,
    ) -> Work {
        let open = jobs
            .values()
            .filter(|j| j.phase.is_open())
            .map(|j| j.id)
            .collect();
        Work {
            jobs,
            open,
            units,
            strikes,
            hosted,
        }
    }

    /// Fees held in escrow by open jobs (part of the supply).
    pub fn escrow(&self) -> Result<Amount, AmountError> {
        Amount::checked_sum(
            self.open
                .iter()
                .filter_map(|id| self.jobs.get(id))
                .map(|j| j.fee),
        )
    }

    /// The work units of `epoch`, by node in id order.
    pub fn units_of(&self, epoch: u64) -> Vec<(NodeId, u64)> {
        self.units
            .range((epoch, NodeId::default())..)
            .take_while(|((e, _), _)| *e == epoch)
            .map(|((_, n), u)| (*n, *u))
            .collect()
    }

    /// A node's strikes.
    pub fn strikes_of(&self, node: &NodeId) -> u32 {
        self.strikes.get(node).copied().unwrap_or(0)
    }
}
