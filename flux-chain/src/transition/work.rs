//! The rules of the compute-job transactions, the job phases at the end of each block, and the
//! useful-work pool's payout at the end of each epoch (SPEC "Useful work", "Emission").
//!
//! A job goes: submitted and assigned (`Commit` phase) → every assignee committed or the commit
//! deadline passed (`Reveal` phase; no commitment at all skips it) → every committer revealed or
//! the reveal deadline passed → judged. A result hash revealed by at least `k / 2 + 1` of the `k`
//! assigned nodes is accepted: those nodes split the fee (floor each, the remainder back to the
//! submitter) and earn the fuel used as work units of the epoch; every other assignee gets a
//! strike. Without a majority, the silent assignees get a strike (who was wrong is unknown, so
//! revealing nodes do not) and the job is drawn once more among the nodes not drawn the first
//! time (among all eligible nodes if fewer than `k` remain); a second failure (or nobody to
//! draw) refunds the fee.
//!
//! Assignment draws `k = job_redundancy` confirmed nodes not owned by the submitter, weighted by
//! vote weight (collateral), with [`sample_without_replacement`] seeded by the job id and the
//! parent block id: splitting collateral into many small nodes buys no more draws, and taking a
//! majority of a job's nodes costs a majority of the drawn stake.

use std::collections::BTreeMap;

use flux_core::crypto::PublicKey;
use flux_core::{Address, Amount, Hash};
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeId;
use serde::{Deserialize, Serialize};

use super::{Ctx, Event};
use crate::consensus::committee::{epoch_of, sample_without_replacement};
use crate::error::{BlockError, TxError};
use crate::state::Ledger;
use crate::tx::{JobSubmit, TxId, WorkCommit, WorkReveal};
use crate::work::{Accepted, JobEntry, JobError, JobId, Phase, Reveal, commitment, engine};

pub use crate::state::areas::WorkChanges;

/// What happened to a job or to the pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobEvent {
    /// A hosting report was accepted: `units` for `blocks` of hosting.
    Hosted {
        /// The hosting node.
        node: NodeId,
        /// Blocks credited.
        blocks: u64,
        /// Work units credited.
        units: u64,
    },
    /// A job was submitted; its fee is in escrow.
    Submitted {
        /// The job.
        job: JobId,
        /// Who pays.
        submitter: Address,
        /// The fee held.
        fee: Amount,
    },
    /// A job was assigned (attempt 1 at submission, 2 after no majority).
    Assigned {
        /// The job.
        job: JobId,
        /// Which attempt.
        attempt: u8,
        /// The nodes, in the order drawn.
        nodes: Vec<NodeId>,
        /// Last height of the commit phase.
        until: u64,
    },
    /// An assigned node committed.
    Committed {
        /// The job.
        job: JobId,
        /// The node.
        node: NodeId,
    },
    /// The commit phase ended; reveals are open.
    RevealOpened {
        /// The job.
        job: JobId,
        /// Last height of the reveal phase.
        until: u64,
    },
    /// A committed node revealed.
    Revealed {
        /// The job.
        job: JobId,
        /// The node.
        node: NodeId,
        /// The revealed result hash.
        result_hash: Hash,
    },
    /// A majority agreed on a result.
    Accepted {
        /// The job.
        job: JobId,
        /// The result.
        result_hash: Hash,
        /// Work units each agreeing node earned.
        fuel_used: u64,
        /// The agreeing nodes.
        agreeing: Vec<NodeId>,
    },
    /// An agreeing node's share of the fee.
    FeePaid {
        /// The job.
        job: JobId,
        /// The node.
        node: NodeId,
        /// Its owner, who was credited.
        owner: Address,
        /// How much.
        amount: Amount,
    },
    /// Escrow returned to the submitter: the fee's rounding remainder after an acceptance, or
    /// the whole fee after a refund.
    Returned {
        /// The job.
        job: JobId,
        /// The submitter.
        to: Address,
        /// How much.
        amount: Amount,
    },
    /// No majority twice, or no node to run it: the job ends without a result.
    Refunded {
        /// The job.
        job: JobId,
    },
    /// A node disagreed with an accepted result or stayed silent.
    Strike {
        /// The job.
        job: JobId,
        /// The node.
        node: NodeId,
        /// Its strikes now.
        strikes: u32,
    },
    /// The useful-work pool paid a node's owner for its work units of the epoch.
    PoolPaid {
        /// The epoch.
        epoch: u64,
        /// The node.
        node: NodeId,
        /// Its owner, who was credited.
        owner: Address,
        /// The node's work units.
        units: u64,
        /// `floor(pool * units / total_units)`.
        amount: Amount,
    },
}

/// Draws the nodes of a job's attempt: `k` eligible nodes (confirmed, not owned by the
/// submitter, not in `exclude`), weighted by vote weight, seeded by the job, the parent block
/// and the attempt.
fn draw(
    ctx: &Ctx<'_>,
    job: &JobId,
    submitter: &Address,
    attempt: u8,
    exclude: &[NodeId],
) -> Result<Vec<NodeId>, flux_core::error::AmountError> {
    let params = ctx.state.params();
    let k = params.work.job_redundancy as usize;
    let mut seed_bytes = [0u8; 65];
    seed_bytes[..32].copy_from_slice(job.0.as_bytes());
    seed_bytes[32..64].copy_from_slice(ctx.state.tip().block_id.0.as_bytes());
    seed_bytes[64] = attempt;
    let seed = Hash::tagged("flux/work/assign/v1", &seed_bytes);
    let eligible = |skip: &[NodeId]| -> Result<(Vec<NodeId>, Vec<u64>), _> {
        let mut ids = Vec::new();
        let mut weights = Vec::new();
        for e in ctx.registry.iter() {
            if e.status == NodeStatus::Confirmed && e.owner != *submitter && !skip.contains(&e.id) {
                ids.push(e.id);
                weights.push(e.tier.vote_weight(params)?);
            }
        }
        Ok((ids, weights))
    };
    let (mut ids, mut weights) = eligible(exclude)?;
    if ids.len() < k && !exclude.is_empty() {
        // Too few fresh nodes for a second attempt: draw among all eligible ones.
        (ids, weights) = eligible(&[])?;
    }
    Ok(sample_without_replacement(&weights, &seed, k)
        .into_iter()
        .filter_map(|i| ids.get(i).copied())
        .collect())
}

fn save(ctx: &mut Ctx<'_>, job: JobEntry) {
    ctx.work_changes.jobs.insert(job.id);
    if job.phase.is_open() {
        ctx.work.open.insert(job.id);
    } else {
        ctx.work.open.remove(&job.id);
    }
    ctx.work.jobs.insert(job.id, job);
}

/// `JobSubmit`: escrows the fee and assigns the job (or refunds it at once if no node is
/// eligible). The module was checked statelessly.
pub(crate) fn submit(
    ctx: &mut Ctx<'_>,
    submitter: Address,
    id: TxId,
    j: &JobSubmit,
) -> Result<Vec<Event>, TxError> {
    let mut account = ctx.overlay.get(&submitter);
    account.balance = account.balance.checked_sub(j.fee)?;
    ctx.overlay.set(submitter, account);
    let assigned = draw(ctx, &id, &submitter, 1, &[])?;
    let until = ctx
        .height
        .saturating_add(ctx.state.params().work.commit_blocks);
    let mut events = vec![Event::Job(JobEvent::Submitted {
        job: id,
        submitter,
        fee: j.fee,
    })];
    let mut job = JobEntry {
        id,
        submitter,
        tx: id,
        module_hash: Hash::digest(&j.module),
        input_hash: Hash::digest(&j.input),
        fuel: j.fuel,
        fee: j.fee,
        attempt: 1,
        assigned: assigned.clone(),
        previous: Vec::new(),
        phase: Phase::Commit { until },
        commitments: BTreeMap::new(),
        reveals: BTreeMap::new(),
        accepted: None,
    };
    if assigned.is_empty() {
        ctx.overlay.credit(submitter, j.fee)?;
        job.phase = Phase::Refunded;
        events.push(Event::Job(JobEvent::Returned {
            job: id,
            to: submitter,
            amount: j.fee,
        }));
        events.push(Event::Job(JobEvent::Refunded { job: id }));
    } else {
        events.push(Event::Job(JobEvent::Assigned {
            job: id,
            attempt: 1,
            nodes: assigned,
            until,
        }));
    }
    save(ctx, job);
    Ok(events)
}

fn open_job(
    ctx: &Ctx<'_>,
    sender: &PublicKey,
    job: &JobId,
    node: &NodeId,
) -> Result<JobEntry, TxError> {
    if NodeId::of(sender) != *node {
        return Err(JobError::NotOperator(*node).into());
    }
    ctx.work
        .jobs
        .get(job)
        .cloned()
        .ok_or_else(|| JobError::UnknownJob(*job).into())
}

/// `WorkCommit`: an assigned node commits once, during the commit phase.
pub(crate) fn commit(
    ctx: &mut Ctx<'_>,
    sender: &PublicKey,
    c: &WorkCommit,
) -> Result<Vec<Event>, TxError> {
    let (id, node) = (c.job, c.node);
    let mut job = open_job(ctx, sender, &id, &node)?;
    if !matches!(job.phase, Phase::Commit { until } if ctx.height <= until) {
        return Err(JobError::NotCommitPhase(id).into());
    }
    if !job.assigned.contains(&node) {
        return Err(JobError::NotAssigned { job: id, node }.into());
    }
    if job.commitments.contains_key(&node) {
        return Err(JobError::AlreadyCommitted { job: id, node }.into());
    }
    job.commitments.insert(node, c.commitment);
    save(ctx, job);
    Ok(vec![Event::Job(JobEvent::Committed { job: id, node })])
}

/// `WorkReveal`: a committed node reveals once, during the reveal phase; the outcome and salt
/// must hash to its commitment.
pub(crate) fn reveal(
    ctx: &mut Ctx<'_>,
    sender: &PublicKey,
    tx: TxId,
    r: &WorkReveal,
) -> Result<Vec<Event>, TxError> {
    let (id, node) = (r.job, r.node);
    let mut job = open_job(ctx, sender, &id, &node)?;
    if !matches!(job.phase, Phase::Reveal { until } if ctx.height <= until) {
        return Err(JobError::NotRevealPhase(id).into());
    }
    let Some(committed) = job.commitments.get(&node).copied() else {
        return Err(JobError::NotCommitted { job: id, node }.into());
    };
    if job.reveals.contains_key(&node) {
        return Err(JobError::AlreadyRevealed { job: id, node }.into());
    }
    let fuel_used = r.outcome.fuel_used;
    if fuel_used > job.fuel {
        let limit = job.fuel;
        return Err(JobError::FuelAboveLimit {
            used: fuel_used,
            limit,
        }
        .into());
    }
    let result_hash = engine::result_hash(&r.outcome);
    if commitment(&id, &node, &result_hash, &r.salt) != committed {
        return Err(JobError::CommitmentMismatch { job: id, node }.into());
    }
    job.reveals.insert(
        node,
        Reveal {
            result_hash,
            fuel_used,
            tx,
        },
    );
    save(ctx, job);
    Ok(vec![Event::Job(JobEvent::Revealed {
        job: id,
        node,
        result_hash,
    })])
}

/// Adds `units` of verified work by `node` to the current epoch (jobs here; hosting receipts
/// through the same call). Paid from the pool at the epoch's end.
pub(crate) fn credit_units(ctx: &mut Ctx<'_>, node: NodeId, units: u64) {
    if units == 0 {
        return;
    }
    let epoch = epoch_of(ctx.height, ctx.state.params().consensus.epoch_length);
    let entry = ctx.work.units.entry((epoch, node)).or_insert(0);
    *entry = entry.saturating_add(units);
    ctx.work_changes.units.insert((epoch, node));
}

fn strike(ctx: &mut Ctx<'_>, job: JobId, node: NodeId) {
    let strikes = ctx.work.strikes_of(&node).saturating_add(1);
    ctx.work.strikes.insert(node, strikes);
    ctx.work_changes.strikes.insert(node);
    ctx.work_events
        .push(JobEvent::Strike { job, node, strikes });
}

fn give_back(ctx: &mut Ctx<'_>, job: &JobEntry, amount: Amount) -> Result<(), BlockError> {
    if !amount.is_zero() {
        ctx.overlay.credit(job.submitter, amount)?;
        ctx.work_events.push(JobEvent::Returned {
            job: job.id,
            to: job.submitter,
            amount,
        });
    }
    Ok(())
}

/// End of block: moves each open job (in id order) through its phases and judges the ones
/// whose reveals are in.
pub(crate) fn settle(ctx: &mut Ctx<'_>) -> Result<(), BlockError> {
    let open: Vec<JobId> = ctx.work.open.iter().copied().collect();
    let reveal_blocks = ctx.state.params().work.reveal_blocks;
    for id in open {
        let Some(mut job) = ctx.work.jobs.get(&id).cloned() else {
            continue;
        };
        match job.phase {
            Phase::Commit { until }
                if job.commitments.len() == job.assigned.len() || ctx.height >= until =>
            {
                if job.commitments.is_empty() {
                    judge(ctx, job)?;
                } else {
                    let until = ctx.height.saturating_add(reveal_blocks);
                    job.phase = Phase::Reveal { until };
                    ctx.work_events
                        .push(JobEvent::RevealOpened { job: id, until });
                    save(ctx, job);
                }
            }
            Phase::Reveal { until }
                if job.reveals.len() == job.commitments.len() || ctx.height >= until =>
            {
                judge(ctx, job)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Judges a job whose reveal phase is over: accept the majority's result, or draw again once,
/// or refund.
fn judge(ctx: &mut Ctx<'_>, mut job: JobEntry) -> Result<(), BlockError> {
    let need = job.assigned.len() / 2 + 1;
    let mut groups: BTreeMap<(Hash, u64), Vec<NodeId>> = BTreeMap::new();
    for (node, r) in &job.reveals {
        groups
            .entry((r.result_hash, r.fuel_used))
            .or_default()
            .push(*node);
    }
    let majority = groups.into_iter().find(|(_, nodes)| nodes.len() >= need);
    if let Some(((result_hash, fuel_used), agreeing)) = majority {
        return accept(ctx, job, result_hash, fuel_used, agreeing);
    }
    for node in job.assigned.clone() {
        if !job.reveals.contains_key(&node) {
            strike(ctx, job.id, node);
        }
    }
    if job.attempt == 1 {
        let exclude = job.assigned.clone();
        let assigned = draw(ctx, &job.id, &job.submitter, 2, &exclude)?;
        if !assigned.is_empty() {
            let until = ctx
                .height
                .saturating_add(ctx.state.params().work.commit_blocks);
            ctx.work_events.push(JobEvent::Assigned {
                job: job.id,
                attempt: 2,
                nodes: assigned.clone(),
                until,
            });
            job.attempt = 2;
            job.previous = exclude;
            job.assigned = assigned;
            job.commitments.clear();
            job.reveals.clear();
            job.phase = Phase::Commit { until };
            save(ctx, job);
            return Ok(());
        }
    }
    give_back(ctx, &job, job.fee)?;
    ctx.work_events.push(JobEvent::Refunded { job: job.id });
    job.phase = Phase::Refunded;
    save(ctx, job);
    Ok(())
}

fn accept(
    ctx: &mut Ctx<'_>,
    mut job: JobEntry,
    result_hash: Hash,
    fuel_used: u64,
    agreeing: Vec<NodeId>,
) -> Result<(), BlockError> {
    let output_tx = agreeing
        .first()
        .and_then(|n| job.reveals.get(n))
        .map_or(job.tx, |r| r.tx);
    ctx.work_events.push(JobEvent::Accepted {
        job: job.id,
        result_hash,
        fuel_used,
        agreeing: agreeing.clone(),
    });
    let count = agreeing.len() as u64;
    let share = Amount::from_base_units(job.fee.base_units() / count.max(1));
    let mut left = job.fee;
    for node in &agreeing {
        // A node that has left the registry has no owner to pay: its share goes back.
        if let Some(owner) = ctx.registry.get(node).map(|e| e.owner) {
            ctx.overlay.credit(owner, share)?;
            left = left.checked_sub(share)?;
            ctx.work_events.push(JobEvent::FeePaid {
                job: job.id,
                node: *node,
                owner,
                amount: share,
            });
        }
        credit_units(ctx, *node, fuel_used);
    }
    give_back(ctx, &job, left)?;
    for node in job.assigned.clone() {
        if !agreeing.contains(&node) {
            strike(ctx, job.id, node);
        }
    }
    job.phase = Phase::Accepted;
    job.accepted = Some(Accepted {
        result_hash,
        fuel_used,
        output_tx,
        agreeing,
    });
    save(ctx, job);
    Ok(())
}

/// End of an epoch (`height % epoch_length == 0`): pays the useful-work pool to the owners of
/// the nodes with work units, `floor(pool * units / total)` each (u128), in node order. What
/// rounding leaves, and the share of a node no longer registered, stays in the pool; an epoch
/// without units pays nothing. Paid units are removed.
pub(crate) fn pay_pool(ctx: &mut Ctx<'_>, ledger: &mut Ledger) -> Result<(), BlockError> {
    let epoch_length = ctx.state.params().consensus.epoch_length.max(1);
    if !ctx.height.is_multiple_of(epoch_length) {
        return Ok(());
    }
    let epoch = epoch_of(ctx.height, epoch_length);
    // Units of this epoch and of any earlier one not paid yet (e.g. after an epoch-length
    // change), per node.
    let mut per_node: BTreeMap<NodeId, u64> = BTreeMap::new();
    let mut paid_keys = Vec::new();
    for ((e, node), units) in ctx.work.units.iter() {
        if *e > epoch {
            break;
        }
        let total = per_node.entry(*node).or_insert(0);
        *total = total.saturating_add(*units);
        paid_keys.push((*e, *node));
    }
    let total: u128 = per_node.values().map(|u| u128::from(*u)).sum();
    if total == 0 {
        return Ok(());
    }
    let pool = u128::from(ledger.work_pool.base_units());
    for (node, units) in per_node {
        let Some(owner) = ctx.registry.get(&node).map(|e| e.owner) else {
            continue;
        };
        let amount = pool * u128::from(units) / total;
        let amount = Amount::from_base_units(u64::try_from(amount).unwrap_or(u64::MAX));
        ledger.work_pool = ledger.work_pool.checked_sub(amount)?;
        ctx.overlay.credit(owner, amount)?;
        ctx.work_events.push(JobEvent::PoolPaid {
            epoch,
            node,
            owner,
            units,
            amount,
        });
    }
    for key in paid_keys {
        ctx.work.units.remove(&key);
        ctx.work_changes.units.insert(key);
    }
    Ok(())
}
