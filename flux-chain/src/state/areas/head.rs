//! The chain head: the ledger totals and the tip (whose seed is a trie entry).

use flux_core::error::CodecError;

use super::rows::{AreaReader, RowKey, Table, WriteBatch, decode};
use super::{LoadContext, StateArea, TrieChanges, entry};
use crate::error::StoreError;
use crate::state::{Ledger, StateKey, Tip};

/// The store's metadata table, where the head is kept beside the genesis and schema version.
const META: Table = Table::names("meta");
const KEY_TIP: &str = "tip";
const KEY_LEDGER: &str = "ledger";

/// The chain-wide totals and the last block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Head {
    /// Chain-wide totals.
    pub ledger: Ledger,
    /// The last applied block.
    pub tip: Tip,
}

/// The head area: trie entries [`StateKey::Ledger`] and [`StateKey::Seed`]; a block's diff is
/// the new head.
pub struct HeadArea;

impl StateArea for HeadArea {
    type Value = Head;
    type Diff = Head;

    fn entries(value: &Head, out: &mut TrieChanges) -> Result<(), CodecError> {
        Self::trie_changes(value, out)
    }

    fn trie_changes(diff: &Head, out: &mut TrieChanges) -> Result<(), CodecError> {
        out.push(entry(&StateKey::Ledger, Some(&diff.ledger))?);
        out.push(entry(&StateKey::Seed, Some(&diff.tip.seed))?);
        Ok(())
    }

    fn apply(value: &mut Head, diff: Head) {
        *value = diff;
    }

    fn save(diff: &Head, batch: &mut WriteBatch) -> Result<(), StoreError> {
        batch.put(META, RowKey::Name(KEY_TIP.into()), Some(&diff.tip))?;
        batch.put(META, RowKey::Name(KEY_LEDGER.into()), Some(&diff.ledger))
    }

    fn save_all(value: &Head, batch: &mut WriteBatch) -> Result<(), StoreError> {
        Self::save(value, batch)
    }

    fn load(rows: &dyn AreaReader, _: &mut LoadContext) -> Result<Head, StoreError> {
        let (mut tip, mut ledger) = (None, None);
        for (key, value) in rows.rows(META)? {
            match key {
                RowKey::Name(n) if n == KEY_TIP => tip = Some(value),
                RowKey::Name(n) if n == KEY_LEDGER => ledger = Some(value),
                _ => {}
            }
        }
        Ok(Head {
            tip: decode("tip", &tip.unwrap_or_default())?,
            ledger: decode("ledger", &ledger.unwrap_or_default())?,
        })
    }
}
