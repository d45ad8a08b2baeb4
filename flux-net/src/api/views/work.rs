//! The useful-work views: `GET /v1/jobs`, `GET /v1/jobs/{id}` and `GET /v1/work/units`.
//!
//! Built from chain state by pure constructors ([`JobView::new`], [`JobSummaryView::new`],
//! [`WorkUnitsView::new`]) so that anything holding a [`flux_chain::work::JobEntry`] shows it
//! exactly as a node's API would.

use flux_chain::work::{JobEntry, JobId, Phase};
use flux_core::{Amount, Hash, Network};
use flux_nodes::NodeId;
use flux_nodes::work::Outcome;
use serde::{Deserialize, Serialize};

/// A job's phase as the API names it: `commit`, `reveal`, `accepted` or `refunded`.
pub fn phase_name(phase: &Phase) -> &'static str {
    match phase {
        Phase::Commit { .. } => "commit",
        Phase::Reveal { .. } => "reveal",
        Phase::Accepted => "accepted",
        Phase::Refunded => "refunded",
    }
}

/// The last height of an open phase (`None` once accepted or refunded).
pub fn phase_until(phase: &Phase) -> Option<u64> {
    match phase {
        Phase::Commit { until } | Phase::Reveal { until } => Some(*until),
        Phase::Accepted | Phase::Refunded => None,
    }
}

/// A job in the list of `GET /v1/jobs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummaryView {
    /// The job's id (its `JobSubmit` transaction's id).
    pub id: JobId,
    /// The height of the block that holds its `JobSubmit`.
    pub submitted_at: u64,
    /// Who submitted and paid (bech32m).
    pub submitter: String,
    /// `commit`, `reveal`, `accepted` or `refunded`.
    pub phase: String,
    /// Last height of the current phase while it is open.
    pub phase_until: Option<u64>,
    /// Fuel limit.
    pub fuel: u64,
    /// Fee for the agreeing nodes.
    pub fee: Amount,
    /// Nodes assigned to the current attempt.
    pub assigned: usize,
    /// Commitments of the current attempt so far.
    pub committed: usize,
    /// Reveals of the current attempt so far.
    pub revealed: usize,
    /// Fuel used by the accepted result, once there is one.
    pub fuel_used: Option<u64>,
}

impl JobSummaryView {
    /// The summary of `job`, submitted in block `submitted_at`; addresses with `network`'s
    /// prefix.
    pub fn new(job: &JobEntry, submitted_at: u64, network: Network) -> JobSummaryView {
        JobSummaryView {
            id: job.id,
            submitted_at,
            submitter: job.submitter.to_bech32(network),
            phase: phase_name(&job.phase).to_owned(),
            phase_until: phase_until(&job.phase),
            fuel: job.fuel,
            fee: job.fee,
            assigned: job.assigned.len(),
            committed: job.commitments.len(),
            revealed: job.reveals.len(),
            fuel_used: job.accepted.as_ref().map(|a| a.fuel_used),
        }
    }
}

/// `GET /v1/jobs`: the most recently submitted jobs, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsView {
    /// The height this is true at.
    pub height: u64,
    /// Jobs the chain knows.
    pub total: u64,
    /// Jobs still in a commit or reveal phase (holding their fee).
    pub open: u64,
    /// The newest jobs (by the height of their `JobSubmit`, then position in the block), at
    /// most the `limit` asked for.
    pub jobs: Vec<JobSummaryView>,
}

/// A node's revealed result, in [`JobView::reveals`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealView {
    /// The node.
    pub node: NodeId,
    /// The engine's result hash of what it revealed.
    pub result_hash: Hash,
    /// Fuel it reports having used.
    pub fuel_used: u64,
    /// Its `WorkReveal` transaction (which carries its output).
    pub tx: JobId,
}

/// The result a majority agreed on, in [`JobView::accepted`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedView {
    /// Its result hash.
    pub result_hash: Hash,
    /// Fuel used: the work units each agreeing node earned.
    pub fuel_used: u64,
    /// How the run ended (`completed`, `trapped: ...`, `out of fuel`), from the output's
    /// reveal.
    pub status: Option<String>,
    /// The `WorkReveal` transaction carrying the output (`GET /v1/jobs/{id}/output` serves it).
    pub output_tx: JobId,
    /// The output's length, bytes.
    pub output_len: Option<u64>,
    /// The nodes that agreed, in id order.
    pub agreeing: Vec<NodeId>,
}

/// `GET /v1/jobs/{id}`: a job, who runs it, who committed and revealed what, and the accepted
/// result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    /// The height this is true at.
    pub height: u64,
    /// The job's id (its `JobSubmit` transaction's id).
    pub id: JobId,
    /// The height of the block that holds its `JobSubmit`.
    pub submitted_at: Option<u64>,
    /// Who submitted and paid (bech32m).
    pub submitter: String,
    /// BLAKE3 of the module.
    pub module_hash: Hash,
    /// BLAKE3 of the input.
    pub input_hash: Hash,
    /// Fuel limit.
    pub fuel: u64,
    /// Fee held in escrow for the agreeing nodes (paid out once accepted).
    pub fee: Amount,
    /// 1, or 2 after a reassignment.
    pub attempt: u8,
    /// `commit`, `reveal`, `accepted` or `refunded`.
    pub phase: String,
    /// Last height of the current phase while it is open.
    pub phase_until: Option<u64>,
    /// The nodes of the current attempt, in the order drawn.
    pub assigned: Vec<NodeId>,
    /// The nodes of the first attempt, after a reassignment.
    pub previous: Vec<NodeId>,
    /// Nodes that committed in the current attempt, in id order.
    pub committed: Vec<NodeId>,
    /// Reveals of the current attempt, in node id order.
    pub reveals: Vec<RevealView>,
    /// The accepted result, once there is one.
    pub accepted: Option<AcceptedView>,
}

impl JobView {
    /// The view of `job` at `height`: `submitted_at` is its `JobSubmit`'s height, `output` the
    /// outcome carried by its accepted reveal (if it could be read); addresses with `network`'s
    /// prefix.
    pub fn new(
        job: &JobEntry,
        submitted_at: Option<u64>,
        output: Option<&Outcome>,
        height: u64,
        network: Network,
    ) -> JobView {
        JobView {
            height,
            id: job.id,
            submitted_at,
            submitter: job.submitter.to_bech32(network),
            module_hash: job.module_hash,
            input_hash: job.input_hash,
            fuel: job.fuel,
            fee: job.fee,
            attempt: job.attempt,
            phase: phase_name(&job.phase).to_owned(),
            phase_until: phase_until(&job.phase),
            assigned: job.assigned.clone(),
            previous: job.previous.clone(),
            committed: job.commitments.keys().copied().collect(),
            reveals: job
                .reveals
                .iter()
                .map(|(node, r)| RevealView {
                    node: *node,
                    result_hash: r.result_hash,
                    fuel_used: r.fuel_used,
                    tx: r.tx,
                })
                .collect(),
            accepted: job.accepted.as_ref().map(|a| AcceptedView {
                result_hash: a.result_hash,
                fuel_used: a.fuel_used,
                status: output.map(|o| o.status.to_string()),
                output_tx: a.output_tx,
                output_len: output.map(|o| o.output.len() as u64),
                agreeing: a.agreeing.clone(),
            }),
        }
    }

    /// Whether every reveal of the current attempt carries the same result hash and fuel (and
    /// there is at least one).
    pub fn reveals_identical(&self) -> bool {
        self.reveals.first().is_some_and(|first| {
            self.reveals
                .iter()
                .all(|r| r.result_hash == first.result_hash && r.fuel_used == first.fuel_used)
        })
    }
}

/// A node's work units, in [`WorkUnitsView::nodes`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeUnitsView {
    /// The node.
    pub node: NodeId,
    /// Its verified work units of the epoch (jobs' fuel and hosting).
    pub units: u64,
    /// What the useful-work pool paid its owner for them, once the epoch is paid.
    pub paid: Option<Amount>,
    /// Its strikes now (disagreements with accepted results and silences, all epochs).
    pub strikes: u32,
}

/// `GET /v1/work/units?epoch=E`: the verified work units per node of an epoch, and what the
/// pool paid for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkUnitsView {
    /// The epoch.
    pub epoch: u64,
    /// The current epoch (that of the next block).
    pub current_epoch: u64,
    /// The block whose end pays the epoch's units from the pool.
    pub payout_height: u64,
    /// Whether that block is finalised (then `nodes` lists what it paid).
    pub paid: bool,
    /// Nodes with units, in id order.
    pub nodes: Vec<NodeUnitsView>,
    /// Sum of their units.
    pub total_units: u64,
    /// The height this is true at.
    pub height: u64,
}
