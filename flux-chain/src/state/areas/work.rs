//! Useful work: jobs, unpaid work units, strikes and hosting reports.

use flux_core::error::CodecError;
use flux_nodes::node::NodeId;
use imbl::{OrdMap, OrdSet};

use super::rows::{AreaReader, RowKey, Table, WriteBatch, decode, decode_state_key, wrong_key};
use super::{LoadContext, StateArea, TrieChanges};
use crate::error::StoreError;
use crate::state::{StateKey, value_hash};
use crate::work::{JobId, Work};

/// Useful-work entries by their encoded `StateKey` (`Job`, `WorkUnits`, `Strikes`, `Hosted`).
const WORK: Table = Table::bytes("work");

/// What changed in useful work this block (for the state root and storage). Persistent sets:
/// the block builder saves them before each transaction.
#[derive(Clone, Debug, Default)]
pub struct WorkChanges {
    /// Jobs created or updated.
    pub jobs: OrdSet<JobId>,
    /// Work-unit entries credited or paid (removed).
    pub units: OrdSet<(u64, NodeId)>,
    /// Nodes whose strikes changed.
    pub strikes: OrdSet<NodeId>,
    /// Nodes whose last hosting report changed.
    pub hosted: OrdSet<NodeId>,
}

/// What a block did to useful work.
#[derive(Clone, Debug)]
pub struct WorkDiff {
    /// Useful work after the block.
    pub work: Work,
    /// What changed.
    pub changes: WorkChanges,
}

/// The useful-work area: trie entries [`StateKey::Job`], [`StateKey::WorkUnits`],
/// [`StateKey::Strikes`] and [`StateKey::Hosted`].
pub struct WorkArea;

/// An entry and its canonical bytes (`None`: removed).
type Entry = (StateKey, Option<Vec<u8>>);

/// Every changed entry of `diff` with its new canonical bytes.
fn changed_entries(diff: &WorkDiff) -> Result<Vec<Entry>, CodecError> {
    let (work, changes) = (&diff.work, &diff.changes);
    let mut out = Vec::new();
    for id in &changes.jobs {
        let value = work
            .jobs
            .get(id)
            .map(flux_core::codec::encode)
            .transpose()?;
        out.push((StateKey::Job(*id), value));
    }
    for key in &changes.units {
        let value = work
            .units
            .get(key)
            .map(flux_core::codec::encode)
            .transpose()?;
        out.push((StateKey::WorkUnits(key.0, key.1), value));
    }
    for node in &changes.strikes {
        let value = work
            .strikes
            .get(node)
            .map(flux_core::codec::encode)
            .transpose()?;
        out.push((StateKey::Strikes(*node), value));
    }
    for node in &changes.hosted {
        let value = work
            .hosted
            .get(node)
            .map(flux_core::codec::encode)
            .transpose()?;
        out.push((StateKey::Hosted(*node), value));
    }
    Ok(out)
}

/// Every entry of `work` as a change.
fn all(work: &Work) -> WorkDiff {
    WorkDiff {
        work: work.clone(),
        changes: WorkChanges {
            jobs: work.jobs.keys().copied().collect(),
            units: work.units.keys().copied().collect(),
            strikes: work.strikes.keys().copied().collect(),
            hosted: work.hosted.keys().copied().collect(),
        },
    }
}

impl StateArea for WorkArea {
    type Value = Work;
    type Diff = WorkDiff;

    fn entries(work: &Work, out: &mut TrieChanges) -> Result<(), CodecError> {
        for (id, job) in work.jobs.iter() {
            out.push((StateKey::Job(*id).trie_key()?, Some(value_hash(job)?)));
        }
        for ((epoch, node), units) in work.units.iter() {
            let key = StateKey::WorkUnits(*epoch, *node).trie_key()?;
            out.push((key, Some(value_hash(units)?)));
        }
        for (node, strikes) in work.strikes.iter() {
            let key = StateKey::Strikes(*node).trie_key()?;
            out.push((key, Some(value_hash(strikes)?)));
        }
        for (node, at) in work.hosted.iter() {
            out.push((StateKey::Hosted(*node).trie_key()?, Some(value_hash(at)?)));
        }
        Ok(())
    }

    fn trie_changes(diff: &WorkDiff, out: &mut TrieChanges) -> Result<(), CodecError> {
        for (key, bytes) in changed_entries(diff)? {
            let value = bytes.map(|b| crate::state::value_of_bytes(&b));
            out.push((key.trie_key()?, value));
        }
        Ok(())
    }

    fn apply(value: &mut Work, diff: WorkDiff) {
        *value = diff.work;
    }

    fn save(diff: &WorkDiff, batch: &mut WriteBatch) -> Result<(), StoreError> {
        batch.create(WORK);
        for (key, bytes) in changed_entries(diff)? {
            batch.put_bytes(WORK, RowKey::state_key(&key)?, bytes);
        }
        Ok(())
    }

    fn save_all(work: &Work, batch: &mut WriteBatch) -> Result<(), StoreError> {
        Self::save(&all(work), batch)
    }

    fn load(rows: &dyn AreaReader, _: &mut LoadContext) -> Result<Work, StoreError> {
        let (mut jobs, mut units, mut strikes) = (OrdMap::new(), OrdMap::new(), OrdMap::new());
        let mut hosted = OrdMap::new();
        for (k, v) in rows.rows(WORK)? {
            match decode_state_key("work key", &k)? {
                StateKey::Job(id) => {
                    jobs.insert(id, decode("job", &v)?);
                }
                StateKey::WorkUnits(epoch, node) => {
                    units.insert((epoch, node), decode("work units", &v)?);
                }
                StateKey::Strikes(node) => {
                    strikes.insert(node, decode("strikes", &v)?);
                }
                StateKey::Hosted(node) => {
                    hosted.insert(node, decode("hosting report height", &v)?);
                }
                _ => return Err(wrong_key("work key")),
            }
        }
        Ok(Work::from_parts(jobs, units, strikes, hosted))
    }
}
