//! The parallel-asset table of [`super::RedbStore`]: books, swaps out, used burn references,
//! swap keys and the attesting committee, each row keyed by its encoded [`StateKey`] and
//! holding the entry's canonical bytes ([`Parallel::entries`]).

use flux_core::codec;
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::redb_store::{db_err, decode};
use crate::error::StoreError;
use crate::parallel::Parallel;
use crate::state::StateKey;

/// Parallel-asset entries by their encoded `StateKey`.
pub(super) const PARALLEL: TableDefinition<&[u8], &[u8]> = TableDefinition::new("parallel");

/// Reads the parallel-asset state (empty in a database written before swaps existed).
pub(super) fn load_parallel(txn: &ReadTransaction) -> Result<Parallel, StoreError> {
    let table = match txn.open_table(PARALLEL) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Parallel::default()),
        Err(e) => return Err(db_err(e)),
    };
    let mut parallel = Parallel::default();
    for row in table.iter().map_err(db_err)? {
        let (k, v) = row.map_err(db_err)?;
        let key = decode::<StateKey>("parallel key", k.value())?;
        parallel
            .load(key, v.value())
            .map_err(|source| StoreError::Corrupt {
                what: "parallel entry",
                source,
            })?;
    }
    Ok(parallel)
}

/// Writes `changes` of `parallel` (a missing value removes the row).
pub(super) fn write_parallel<'k>(
    txn: &WriteTransaction,
    parallel: &Parallel,
    changes: impl IntoIterator<Item = &'k StateKey>,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(PARALLEL).map_err(db_err)?;
    for key in changes {
        let k = codec::encode(key)?;
        match parallel.value(key)? {
            Some(v) => table.insert(k.as_slice(), v.as_slice()).map(drop),
            None => table.remove(k.as_slice()).map(drop),
        }
        .map_err(db_err)?;
    }
    Ok(())
}
