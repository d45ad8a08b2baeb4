//! The rows an area is saved as: a table name, a key of one of three kinds, canonical bytes.
//! Stores implement [`AreaReader`] and apply a [`WriteBatch`]; areas never see a store.

use flux_core::codec;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::StoreError;
use crate::state::StateKey;

/// The kind of a table's keys (a redb table has one key type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyKind {
    /// Bytes (addresses, ids, encoded [`StateKey`]s).
    Bytes,
    /// Text (app names, metadata names).
    Name,
    /// A number (proposal ids).
    Number,
}

/// A table of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Table {
    /// Its name.
    pub name: &'static str,
    /// Its key kind.
    pub kind: KeyKind,
}

impl Table {
    /// A table with byte keys.
    pub const fn bytes(name: &'static str) -> Table {
        Table {
            name,
            kind: KeyKind::Bytes,
        }
    }

    /// A table with text keys.
    pub const fn names(name: &'static str) -> Table {
        Table {
            name,
            kind: KeyKind::Name,
        }
    }

    /// A table with number keys.
    pub const fn numbers(name: &'static str) -> Table {
        Table {
            name,
            kind: KeyKind::Number,
        }
    }
}

/// A row's key; its kind matches its table's.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKey {
    /// In a [`KeyKind::Bytes`] table.
    Bytes(Vec<u8>),
    /// In a [`KeyKind::Name`] table.
    Name(String),
    /// In a [`KeyKind::Number`] table.
    Number(u64),
}

impl RowKey {
    /// The key of an entry stored under its encoded [`StateKey`].
    pub fn state_key(key: &StateKey) -> Result<RowKey, StoreError> {
        Ok(RowKey::Bytes(codec::encode(key)?))
    }
}

/// Reads an area's rows from a store.
pub trait AreaReader {
    /// Every row of `table` in key order (none if the table does not exist).
    fn rows(&self, table: Table) -> Result<Vec<(RowKey, Vec<u8>)>, StoreError>;
}

/// Rows to write in one store transaction: the tables to create, then puts and removals in
/// order (the last write of a row wins).
#[derive(Clone, Debug, Default)]
pub struct WriteBatch {
    /// Tables that must exist afterwards, even empty.
    pub tables: Vec<Table>,
    /// `(table, key, value)`; `None` removes the row.
    pub rows: Vec<(Table, RowKey, Option<Vec<u8>>)>,
}

impl WriteBatch {
    /// Makes sure `table` exists.
    pub fn create(&mut self, table: Table) {
        if !self.tables.contains(&table) {
            self.tables.push(table);
        }
    }

    /// Writes `value`'s canonical bytes under `key` (`None`: removes the row).
    pub fn put<T: Serialize>(
        &mut self,
        table: Table,
        key: RowKey,
        value: Option<&T>,
    ) -> Result<(), StoreError> {
        let bytes = value.map(codec::encode).transpose()?;
        self.put_bytes(table, key, bytes);
        Ok(())
    }

    /// Writes bytes already encoded.
    pub fn put_bytes(&mut self, table: Table, key: RowKey, value: Option<Vec<u8>>) {
        self.create(table);
        self.rows.push((table, key, value));
    }
}

/// Decodes a stored record, naming it if it is corrupt.
pub(crate) fn decode<T: DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    codec::decode(bytes).map_err(|source| StoreError::Corrupt { what, source })
}

/// Decodes an encoded [`StateKey`] row key.
pub(crate) fn decode_state_key(what: &'static str, key: &RowKey) -> Result<StateKey, StoreError> {
    match key {
        RowKey::Bytes(b) => decode(what, b),
        _ => Err(wrong_key(what)),
    }
}

/// The error for a row key of the wrong kind or variant.
pub(crate) fn wrong_key(what: &'static str) -> StoreError {
    StoreError::Corrupt {
        what,
        source: flux_core::error::CodecError::InvalidTag { found: 0 },
    }
}
