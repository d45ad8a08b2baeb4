//! Parallel assets: books, swaps out, used burn references, swap keys and the attesters.

use std::collections::BTreeSet;

use flux_core::error::CodecError;

use super::rows::{AreaReader, RowKey, Table, WriteBatch, decode_state_key};
use super::{LoadContext, StateArea, TrieChanges};
use crate::error::StoreError;
use crate::parallel::Parallel;
use crate::state::{StateKey, value_of_bytes};

/// Parallel-asset entries by their encoded `StateKey`, holding the entry's canonical bytes
/// ([`Parallel::entries`]).
const PARALLEL: Table = Table::bytes("parallel");

/// What a block did to parallel assets.
#[derive(Clone, Debug)]
pub struct ParallelDiff {
    /// Parallel assets after the block.
    pub parallel: Parallel,
    /// The entries the block touched.
    pub changes: BTreeSet<StateKey>,
}

/// The parallel-asset area: trie entries [`StateKey::Book`], [`StateKey::SwapOut`],
/// [`StateKey::BurnRef`], [`StateKey::SwapKey`] and [`StateKey::Attesters`].
pub struct ParallelArea;

impl StateArea for ParallelArea {
    type Value = Parallel;
    type Diff = ParallelDiff;

    fn entries(value: &Parallel, out: &mut TrieChanges) -> Result<(), CodecError> {
        for (key, bytes) in value.entries()? {
            out.push((key.trie_key()?, Some(value_of_bytes(&bytes))));
        }
        Ok(())
    }

    fn trie_changes(diff: &ParallelDiff, out: &mut TrieChanges) -> Result<(), CodecError> {
        for key in &diff.changes {
            let value = diff.parallel.value(key)?.map(|b| value_of_bytes(&b));
            out.push((key.trie_key()?, value));
        }
        Ok(())
    }

    fn apply(value: &mut Parallel, diff: ParallelDiff) {
        *value = diff.parallel;
    }

    fn save(diff: &ParallelDiff, batch: &mut WriteBatch) -> Result<(), StoreError> {
        batch.create(PARALLEL);
        for key in &diff.changes {
            let value = diff.parallel.value(key)?;
            batch.put_bytes(PARALLEL, RowKey::state_key(key)?, value);
        }
        Ok(())
    }

    fn save_all(value: &Parallel, batch: &mut WriteBatch) -> Result<(), StoreError> {
        batch.create(PARALLEL);
        for (key, bytes) in value.entries()? {
            batch.put_bytes(PARALLEL, RowKey::state_key(&key)?, Some(bytes));
        }
        Ok(())
    }

    fn load(rows: &dyn AreaReader, _: &mut LoadContext) -> Result<Parallel, StoreError> {
        let mut parallel = Parallel::default();
        for (k, v) in rows.rows(PARALLEL)? {
            let key = decode_state_key("parallel key", &k)?;
            parallel
                .load(key, &v)
                .map_err(|source| StoreError::Corrupt {
                    what: "parallel entry",
                    source,
                })?;
        }
        Ok(parallel)
    }
}
