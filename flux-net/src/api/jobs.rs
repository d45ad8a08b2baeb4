//! The useful-work answers of [`super::ChainBackend`], read from a chain: jobs (with the height
//! of their submission from the transaction index), a job's accepted output (from the reveal
//! that carries it), and an epoch's work units (from the state, or from the receipts of the
//! block that paid them).

use flux_chain::chain::Chain;
use flux_chain::consensus::committee::epoch_of;
use flux_chain::store::Store;
use flux_chain::transition::work::JobEvent;
use flux_chain::tx::TxKind;
use flux_chain::work::{JobEntry, JobId};
use flux_nodes::work::Outcome;

use super::error::ApiError;
use super::views::{JobSummaryView, JobView, JobsView, NodeUnitsView, WorkUnitsView, phase_name};

/// Most jobs `GET /v1/jobs` lists.
pub const MAX_JOBS_LISTED: usize = 500;

/// `GET /v1/jobs?limit=N`: the newest `limit` jobs (at most [`MAX_JOBS_LISTED`]) by the
/// position of their `JobSubmit` in the chain. Costs one transaction-index lookup per job the
/// chain knows (the job entry does not record its height).
pub(crate) fn jobs_view<S: Store>(chain: &Chain<S>, limit: usize) -> Result<JobsView, ApiError> {
    let work = chain.state().work();
    let mut placed = Vec::with_capacity(work.jobs.len());
    for job in work.jobs.values() {
        let at = chain
            .store()
            .tx_location(&job.tx)
            .map_err(flux_chain::error::ChainError::from)?;
        let (height, index) = at.map_or((0, 0), |l| (l.height, l.index));
        placed.push((height, index, job));
    }
    placed.sort_by_key(|p| std::cmp::Reverse((p.0, p.1, p.2.id)));
    let network = chain.state().params().network;
    Ok(JobsView {
        height: chain.height(),
        total: work.jobs.len() as u64,
        open: work.open.len() as u64,
        jobs: placed
            .into_iter()
            .take(limit.min(MAX_JOBS_LISTED))
            .map(|(height, _, job)| JobSummaryView::new(job, height, network))
            .collect(),
    })
}

/// The outcome carried by a job's accepted reveal, if it is accepted and the reveal is stored.
fn accepted_outcome<S: Store>(
    chain: &Chain<S>,
    job: &JobEntry,
) -> Result<Option<Outcome>, ApiError> {
    let Some(accepted) = &job.accepted else {
        return Ok(None);
    };
    Ok(match chain.tx(&accepted.output_tx)? {
        Some((tx, _)) => match tx.kind {
            TxKind::WorkReveal(reveal) => Some(reveal.outcome),
            _ => None,
        },
        None => None,
    })
}

/// `GET /v1/jobs/{id}`.
pub(crate) fn job_view<S: Store>(
    chain: &Chain<S>,
    id: &JobId,
) -> Result<Option<JobView>, ApiError> {
    let Some(job) = chain.state().work().jobs.get(id) else {
        return Ok(None);
    };
    let submitted_at = chain
        .store()
        .tx_location(&job.tx)
        .map_err(flux_chain::error::ChainError::from)?
        .map(|l| l.height);
    let outcome = accepted_outcome(chain, job)?;
    Ok(Some(JobView::new(
        job,
        submitted_at,
        outcome.as_ref(),
        chain.height(),
        chain.state().params().network,
    )))
}

/// `GET /v1/jobs/{id}/output`.
pub(crate) fn job_output<S: Store>(chain: &Chain<S>, id: &JobId) -> Result<Vec<u8>, ApiError> {
    let job = chain
        .state()
        .work()
        .jobs
        .get(id)
        .ok_or_else(|| ApiError::NotFound(format!("no job {id}")))?;
    if job.accepted.is_none() {
        return Err(ApiError::NotFound(format!(
            "job {id} has no accepted result (phase {})",
            phase_name(&job.phase)
        )));
    }
    accepted_outcome(chain, job)?
        .map(|o| o.output)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "job {id}: the reveal carrying the accepted output is not stored here"
            ))
        })
}

/// `GET /v1/work/units?epoch=E`: unpaid units from the state while the epoch runs, what the
/// pool paid (from the paying block's receipts) once it is over.
pub(crate) fn work_units_view<S: Store>(
    chain: &Chain<S>,
    epoch: Option<u64>,
) -> Result<WorkUnitsView, ApiError> {
    let state = chain.state();
    let work = state.work();
    let length = state.params().consensus.epoch_length.max(1);
    let height = chain.height();
    let current_epoch = epoch_of(height.saturating_add(1), length);
    let epoch = epoch.unwrap_or(current_epoch);
    let payout_height = epoch.saturating_add(1).saturating_mul(length);
    let paid = payout_height <= height;
    let nodes: Vec<NodeUnitsView> = if paid {
        let events = chain
            .receipts(payout_height)?
            .map(|r| r.work)
            .unwrap_or_default();
        let mut nodes: Vec<NodeUnitsView> = events
            .into_iter()
            .filter_map(|e| match e {
                JobEvent::PoolPaid {
                    epoch: e,
                    node,
                    units,
                    amount,
                    ..
                } if e == epoch => Some(NodeUnitsView {
                    node,
                    units,
                    paid: Some(amount),
                    strikes: work.strikes_of(&node),
                }),
                _ => None,
            })
            .collect();
        nodes.sort_by_key(|n| n.node);
        nodes
    } else {
        work.units_of(epoch)
            .into_iter()
            .map(|(node, units)| NodeUnitsView {
                node,
                units,
                paid: None,
                strikes: work.strikes_of(&node),
            })
            .collect()
    };
    Ok(WorkUnitsView {
        epoch,
        current_epoch,
        payout_height,
        paid,
        total_units: nodes.iter().fold(0u64, |t, n| t.saturating_add(n.units)),
        nodes,
        height,
    })
}
