//! Parallel assets: books, swaps out, used burn references, swap keys and the attesters.

use std::collections::BTreeSet;

use flux_core::codec;
use flux_core::error::CodecError;

use super::rows::{AreaReader, RowKey, Table, WriteBatch, decode_state_key};
use super::{LoadContext, StateArea, TrieChanges};
use crate::error::StoreError;
use crate::parallel::Parallel;
use crate::state::{StateKey, value_of_bytes};

/// Parallel-asset entries by their encoded `StateKey`, holding the entry's canonical bytes
/// ([`all_entries`]).
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
        for (key, bytes) in all_entries(value)? {
            out.push((key.trie_key()?, Some(value_of_bytes(&bytes))));
        }
        Ok(())
    }

    fn trie_changes(diff: &ParallelDiff, out: &mut TrieChanges) -> Result<(), CodecError> {
        for key in &diff.changes {
            let value = entry_value(&diff.parallel, key)?.map(|b| value_of_bytes(&b));
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
            let value = entry_value(&diff.parallel, key)?;
            batch.put_bytes(PARALLEL, RowKey::state_key(key)?, value);
        }
        Ok(())
    }

    fn save_all(value: &Parallel, batch: &mut WriteBatch) -> Result<(), StoreError> {
        batch.create(PARALLEL);
        for (key, bytes) in all_entries(value)? {
            batch.put_bytes(PARALLEL, RowKey::state_key(&key)?, Some(bytes));
        }
        Ok(())
    }

    fn load(rows: &dyn AreaReader, _: &mut LoadContext) -> Result<Parallel, StoreError> {
        let mut parallel = Parallel::default();
        for (k, v) in rows.rows(PARALLEL)? {
            let key = decode_state_key("parallel key", &k)?;
            load_entry(&mut parallel, key, &v).map_err(|source| StoreError::Corrupt {
                what: "parallel entry",
                source,
            })?;
        }
        Ok(parallel)
    }
}

/// Every parallel-asset entry as `(key, canonical value)`, for the trie and storage.
fn all_entries(parallel: &Parallel) -> Result<Vec<(StateKey, Vec<u8>)>, CodecError> {
    let mut out = Vec::new();
    for (chain, book) in parallel.books.iter() {
        out.push((StateKey::Book(*chain), codec::encode(book)?));
    }
    for (id, record) in parallel.swaps_out.iter() {
        out.push((StateKey::SwapOut(*id), codec::encode(record)?));
    }
    for ((chain, reference), id) in parallel.used_refs.iter() {
        let key = StateKey::BurnRef(*chain, reference.clone());
        out.push((key, codec::encode(id)?));
    }
    for (node, key) in parallel.swap_keys.iter() {
        out.push((StateKey::SwapKey(*node), codec::encode(key)?));
    }
    if let Some(a) = &parallel.attesters {
        out.push((StateKey::Attesters, codec::encode(a)?));
    }
    Ok(out)
}

/// The canonical value of one parallel-asset entry (`None`: absent, or not such a key).
fn entry_value(parallel: &Parallel, key: &StateKey) -> Result<Option<Vec<u8>>, CodecError> {
    match key {
        StateKey::Book(c) => parallel.books.get(c).map(codec::encode).transpose(),
        StateKey::SwapOut(id) => parallel.swaps_out.get(id).map(codec::encode).transpose(),
        StateKey::BurnRef(c, r) => parallel
            .used_refs
            .get(&(*c, r.clone()))
            .map(codec::encode)
            .transpose(),
        StateKey::SwapKey(n) => parallel.swap_keys.get(n).map(codec::encode).transpose(),
        StateKey::Attesters => parallel.attesters.as_ref().map(codec::encode).transpose(),
        _ => Ok(None),
    }
}

/// Sets one entry from its canonical value (storage reload).
fn load_entry(parallel: &mut Parallel, key: StateKey, value: &[u8]) -> Result<(), CodecError> {
    match key {
        StateKey::Book(c) => {
            parallel.books.insert(c, codec::decode(value)?);
        }
        StateKey::SwapOut(id) => {
            parallel.swaps_out.insert(id, codec::decode(value)?);
        }
        StateKey::BurnRef(c, r) => {
            parallel.used_refs.insert((c, r), codec::decode(value)?);
        }
        StateKey::SwapKey(n) => {
            parallel.swap_keys.insert(n, codec::decode(value)?);
        }
        StateKey::Attesters => {
            parallel.attesters = Some(codec::decode(value)?);
        }
        _ => return Err(CodecError::InvalidTag { found: 0 }),
    }
    Ok(())
}
