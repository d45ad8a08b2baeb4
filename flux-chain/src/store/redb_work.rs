//! The useful-work table of [`super::RedbStore`]: jobs, unpaid work units and strikes, each
//! row keyed by its encoded [`StateKey`].

use flux_core::codec;
use imbl::OrdMap;
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::redb_store::{db_err, decode};
use crate::error::StoreError;
use crate::state::{StateDiff, StateKey};
use crate::work::Work;

/// Useful-work entries by their encoded `StateKey` (`Job`, `WorkUnits`, `Strikes`).
pub(super) const WORK: TableDefinition<&[u8], &[u8]> = TableDefinition::new("work");

/// Reads the useful-work state (empty in a database written before jobs existed).
pub(super) fn load_work(txn: &ReadTransaction) -> Result<Work, StoreError> {
    let table = match txn.open_table(WORK) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Work::default()),
        Err(e) => return Err(db_err(e)),
    };
    let (mut jobs, mut units, mut strikes) = (OrdMap::new(), OrdMap::new(), OrdMap::new());
    let mut hosted = OrdMap::new();
    for row in table.iter().map_err(db_err)? {
        let (k, v) = row.map_err(db_err)?;
        match decode::<StateKey>("work key", k.value())? {
            StateKey::Job(id) => {
                jobs.insert(id, decode("job", v.value())?);
            }
            StateKey::WorkUnits(epoch, node) => {
                units.insert((epoch, node), decode("work units", v.value())?);
            }
            StateKey::Strikes(node) => {
                strikes.insert(node, decode("strikes", v.value())?);
            }
            StateKey::Hosted(node) => {
                hosted.insert(node, decode("hosting report height", v.value())?);
            }
            _ => {
                return Err(StoreError::Corrupt {
                    what: "work key",
                    source: flux_core::error::CodecError::InvalidTag { found: 0 },
                });
            }
        }
    }
    Ok(Work::from_parts(jobs, units, strikes, hosted))
}

/// Writes what useful work changed in a block (a missing value removes the row).
pub(super) fn write_work(txn: &WriteTransaction, diff: &StateDiff) -> Result<(), StoreError> {
    let mut table = txn.open_table(WORK).map_err(db_err)?;
    let mut set = |key: StateKey, value: Option<Vec<u8>>| -> Result<(), StoreError> {
        let key = codec::encode(&key)?;
        match value {
            Some(v) => table.insert(key.as_slice(), v.as_slice()).map(drop),
            None => table.remove(key.as_slice()).map(drop),
        }
        .map_err(db_err)
    };
    let changes = &diff.work_changes;
    for id in &changes.jobs {
        let value = diff.work.jobs.get(id).map(codec::encode).transpose()?;
        set(StateKey::Job(*id), value)?;
    }
    for key in &changes.units {
        let value = diff.work.units.get(key).map(codec::encode).transpose()?;
        set(StateKey::WorkUnits(key.0, key.1), value)?;
    }
    for node in &changes.strikes {
        let value = diff.work.strikes.get(node).map(codec::encode).transpose()?;
        set(StateKey::Strikes(*node), value)?;
    }
    for node in &changes.hosted {
        let value = diff.work.hosted.get(node).map(codec::encode).transpose()?;
        set(StateKey::Hosted(*node), value)?;
    }
    Ok(())
}
