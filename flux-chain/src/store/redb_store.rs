//! [`RedbStore`]: a [`Store`] in a redb database file.
//!
//! Tables: `meta` (schema version, genesis, tip, ledger), `blocks` and `receipts` by height,
//! `block_ids` (id → height), `txs` (id → height, index), `accounts` (address → account),
//! `certificates` (height → commit certificate) and `committees` (epoch → members).
//! Values are the canonical codec's bytes. Every `commit_block` is one redb write transaction
//! with immediate durability: when it returns, the block is on disk; if the process dies before,
//! the database reopens at the previous block.

use std::path::Path;

use flux_core::codec;
use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction,
};
use serde::de::DeserializeOwned;

use super::{SCHEMA_VERSION, Store, TxLocation, rebuild};
use crate::block::{Block, BlockId};
use crate::consensus::{CommitCertificate, Member, ResumePoint};
use crate::error::StoreError;
use crate::genesis::Genesis;
use crate::state::areas::{AreaReader, KeyKind, RowKey, Table, WriteBatch};
use crate::state::{State, StateDiff};
use crate::transition::Receipts;
use crate::tx::TxId;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const RECEIPTS: TableDefinition<u64, &[u8]> = TableDefinition::new("receipts");
const BLOCK_IDS: TableDefinition<&[u8], u64> = TableDefinition::new("block_ids");
const TXS: TableDefinition<&[u8], (u64, u32)> = TableDefinition::new("txs");

const CERTIFICATES: TableDefinition<u64, &[u8]> = TableDefinition::new("certificates");
const COMMITTEES: TableDefinition<u64, &[u8]> = TableDefinition::new("committees");

const KEY_RESUME: &str = "resume_point";
const KEY_RESUME_BLOCK: &str = "resume_block";
const KEY_VERSION: &str = "schema_version";
const KEY_GENESIS: &str = "genesis";

fn db_err<E: Into<redb::Error>>(e: E) -> StoreError {
    StoreError::Redb(e.into())
}

fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    codec::decode(bytes).map_err(|source| StoreError::Corrupt { what, source })
}

/// A chain in a redb file.
///
/// ```
/// use flux_chain::genesis::Genesis;
/// use flux_chain::store::{RedbStore, Store};
///
/// let dir = tempfile::tempdir()?;
/// let genesis = Genesis::devnet_example();
/// let mut store = RedbStore::open(dir.path().join("chain.redb"))?;
/// store.init(&genesis, &genesis.state()?)?;
/// drop(store);
/// let (again, state) = RedbStore::open(dir.path().join("chain.redb"))?.load()?.unwrap();
/// assert_eq!(again, genesis);
/// assert_eq!(state.tip().height, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RedbStore {
    db: Database,
}

impl RedbStore {
    /// Opens (or creates) the database at `path`. Refuses a database of another schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<RedbStore, StoreError> {
        let db = Database::create(path).map_err(db_err)?;
        let store = RedbStore { db };
        if let Some(found) = store.schema_version()?
            && found != SCHEMA_VERSION
        {
            return Err(StoreError::SchemaVersion {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(store)
    }

    fn schema_version(&self) -> Result<Option<u32>, StoreError> {
        let Some(bytes) = self.meta(KEY_VERSION)? else {
            return Ok(None);
        };
        decode("schema version", &bytes).map(Some)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = match txn.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(db_err(e)),
        };
        Ok(table.get(key).map_err(db_err)?.map(|v| v.value().to_vec()))
    }

    fn by_height(
        &self,
        def: TableDefinition<u64, &[u8]>,
        height: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = match txn.open_table(def) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(db_err(e)),
        };
        Ok(table
            .get(height)
            .map_err(db_err)?
            .map(|v| v.value().to_vec()))
    }

    /// Writes one row of a table keyed by height, durably.
    fn put(
        &self,
        def: TableDefinition<u64, &[u8]>,
        key: u64,
        value: &[u8],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = txn.open_table(def).map_err(db_err)?;
            table.insert(key, value).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)
    }

    /// Overwrites the schema version (for tests of version handling).
    #[doc(hidden)]
    pub fn force_schema_version(&mut self, version: u32) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut meta = txn.open_table(META).map_err(db_err)?;
            meta.insert(KEY_VERSION, codec::encode(&version)?.as_slice())
                .map_err(db_err)?;
        }
        txn.commit().map_err(db_err)
    }
}

impl Store for RedbStore {
    fn load(&self) -> Result<Option<(Genesis, State)>, StoreError> {
        let Some(genesis_json) = self.meta(KEY_GENESIS)? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&genesis_json);
        let genesis = Genesis::from_json(&text).map_err(Box::new)?;
        let rows = RedbRows(self.db.begin_read().map_err(db_err)?);
        let state = rebuild(&genesis, &rows, |h| self.block(h))?;
        Ok(Some((genesis, state)))
    }

    fn init(&mut self, genesis: &Genesis, state: &State) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut meta = txn.open_table(META).map_err(db_err)?;
            meta.insert(KEY_VERSION, codec::encode(&SCHEMA_VERSION)?.as_slice())
                .map_err(db_err)?;
            let json = genesis.to_json().map_err(Box::new)?;
            meta.insert(KEY_GENESIS, json.as_bytes()).map_err(db_err)?;
        }
        let mut batch = WriteBatch::default();
        state.areas().save_all(&mut batch)?;
        write_batch(&txn, &batch)?;
        {
            txn.open_table(BLOCKS).map_err(db_err)?;
            txn.open_table(RECEIPTS).map_err(db_err)?;
            txn.open_table(BLOCK_IDS).map_err(db_err)?;
            txn.open_table(TXS).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)
    }

    fn commit_block(
        &mut self,
        block: &Block,
        receipts: &Receipts,
        diff: &StateDiff,
    ) -> Result<(), StoreError> {
        let height = block.header.height;
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut blocks = txn.open_table(BLOCKS).map_err(db_err)?;
            blocks
                .insert(height, codec::encode(block)?.as_slice())
                .map_err(db_err)?;
            let mut rec = txn.open_table(RECEIPTS).map_err(db_err)?;
            rec.insert(height, codec::encode(receipts)?.as_slice())
                .map_err(db_err)?;
            let mut ids = txn.open_table(BLOCK_IDS).map_err(db_err)?;
            ids.insert(diff.tip().block_id.0.as_bytes().as_slice(), height)
                .map_err(db_err)?;
            let mut txs = txn.open_table(TXS).map_err(db_err)?;
            for (index, r) in receipts.txs.iter().enumerate() {
                txs.insert(r.id.0.as_bytes().as_slice(), (height, index as u32))
                    .map_err(db_err)?;
            }
        }
        let mut batch = WriteBatch::default();
        diff.areas.save(&mut batch)?;
        write_batch(&txn, &batch)?;
        txn.commit().map_err(db_err)
    }

    fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        self.by_height(BLOCKS, height)?
            .map(|b| decode("block", &b))
            .transpose()
    }

    fn height_of(&self, id: &BlockId) -> Result<Option<u64>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(BLOCK_IDS).map_err(db_err)?;
        Ok(table
            .get(id.0.as_bytes().as_slice())
            .map_err(db_err)?
            .map(|v| v.value()))
    }

    fn tx_location(&self, id: &TxId) -> Result<Option<TxLocation>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(TXS).map_err(db_err)?;
        Ok(table
            .get(id.0.as_bytes().as_slice())
            .map_err(db_err)?
            .map(|v| {
                let (height, index) = v.value();
                TxLocation { height, index }
            }))
    }

    fn receipts(&self, height: u64) -> Result<Option<Receipts>, StoreError> {
        self.by_height(RECEIPTS, height)?
            .map(|b| decode("receipts", &b))
            .transpose()
    }

    fn put_certificate(&mut self, certificate: &CommitCertificate) -> Result<(), StoreError> {
        self.put(
            CERTIFICATES,
            certificate.height,
            &codec::encode(certificate)?,
        )
    }

    fn certificate(&self, height: u64) -> Result<Option<CommitCertificate>, StoreError> {
        self.by_height(CERTIFICATES, height)?
            .map(|b| decode("certificate", &b))
            .transpose()
    }

    fn put_committee(&mut self, epoch: u64, members: &[Member]) -> Result<(), StoreError> {
        self.put(COMMITTEES, epoch, &codec::encode(&members)?)
    }

    fn committee(&self, epoch: u64) -> Result<Option<Vec<Member>>, StoreError> {
        self.by_height(COMMITTEES, epoch)?
            .map(|b| decode("committee", &b))
            .transpose()
    }

    fn put_resume_point(&mut self, point: &ResumePoint) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut meta = txn.open_table(META).map_err(db_err)?;
            meta.insert(KEY_RESUME, codec::encode(point)?.as_slice())
                .map_err(db_err)?;
        }
        txn.commit().map_err(db_err)
    }

    fn resume_point(&self) -> Result<Option<ResumePoint>, StoreError> {
        self.meta(KEY_RESUME)?
            .map(|bytes| decode("resume point", &bytes))
            .transpose()
    }

    fn put_resume_block(&mut self, block: &Block) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut meta = txn.open_table(META).map_err(db_err)?;
            meta.insert(KEY_RESUME_BLOCK, codec::encode(block)?.as_slice())
                .map_err(db_err)?;
        }
        txn.commit().map_err(db_err)
    }

    fn resume_block(&self) -> Result<Option<Block>, StoreError> {
        self.meta(KEY_RESUME_BLOCK)?
            .map(|bytes| decode("resume block", &bytes))
            .transpose()
    }
}

/// The state areas' rows, read in one read transaction.
struct RedbRows(ReadTransaction);

impl AreaReader for RedbRows {
    fn rows(&self, table: Table) -> Result<Vec<(RowKey, Vec<u8>)>, StoreError> {
        macro_rules! all {
            ($key:ty, $row:expr) => {{
                let def: TableDefinition<$key, &[u8]> = TableDefinition::new(table.name);
                let t = match self.0.open_table(def) {
                    Ok(t) => t,
                    Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                    Err(e) => return Err(db_err(e)),
                };
                let mut out = Vec::new();
                for row in t.iter().map_err(db_err)? {
                    let (k, v) = row.map_err(db_err)?;
                    out.push(($row(k.value()), v.value().to_vec()));
                }
                Ok(out)
            }};
        }
        match table.kind {
            KeyKind::Bytes => all!(&[u8], |k: &[u8]| RowKey::Bytes(k.to_vec())),
            KeyKind::Name => all!(&str, |k: &str| RowKey::Name(k.to_owned())),
            KeyKind::Number => all!(u64, RowKey::Number),
        }
    }
}

/// Writes the state areas' rows in `txn`, table by table.
fn write_batch(txn: &WriteTransaction, batch: &WriteBatch) -> Result<(), StoreError> {
    for table in &batch.tables {
        let rows = batch.rows.iter().filter(|(t, _, _)| t == table);
        match table.kind {
            KeyKind::Bytes => {
                let def: TableDefinition<&[u8], &[u8]> = TableDefinition::new(table.name);
                let mut t = txn.open_table(def).map_err(db_err)?;
                for (_, key, value) in rows {
                    let RowKey::Bytes(k) = key else { continue };
                    match value {
                        Some(v) => t.insert(k.as_slice(), v.as_slice()).map(drop),
                        None => t.remove(k.as_slice()).map(drop),
                    }
                    .map_err(db_err)?;
                }
            }
            KeyKind::Name => {
                let def: TableDefinition<&str, &[u8]> = TableDefinition::new(table.name);
                let mut t = txn.open_table(def).map_err(db_err)?;
                for (_, key, value) in rows {
                    let RowKey::Name(k) = key else { continue };
                    match value {
                        Some(v) => t.insert(k.as_str(), v.as_slice()).map(drop),
                        None => t.remove(k.as_str()).map(drop),
                    }
                    .map_err(db_err)?;
                }
            }
            KeyKind::Number => {
                let def: TableDefinition<u64, &[u8]> = TableDefinition::new(table.name);
                let mut t = txn.open_table(def).map_err(db_err)?;
                for (_, key, value) in rows {
                    let RowKey::Number(k) = key else { continue };
                    match value {
                        Some(v) => t.insert(*k, v.as_slice()).map(drop),
                        None => t.remove(*k).map(drop),
                    }
                    .map_err(db_err)?;
                }
            }
        }
    }
    Ok(())
}
