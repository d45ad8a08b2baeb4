//! [`RedbStore`]: a [`Store`] in a redb database file.
//!
//! Tables: `meta` (schema version, genesis, tip, ledger), `blocks` and `receipts` by height,
//! `block_ids` (id → height), `txs` (id → height, index), `accounts` (address → account),
//! `certificates` (height → commit certificate) and `committees` (epoch → members).
//! Values are the canonical codec's bytes. Every `commit_block` is one redb write transaction
//! with immediate durability: when it returns, the block is on disk; if the process dies before,
//! the database reopens at the previous block.

use std::collections::BTreeMap;
use std::path::Path;

use flux_core::{Address, codec};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;

use super::{SCHEMA_VERSION, Store, StoredState, TxLocation, rebuild};
use crate::block::{Block, BlockId};
use crate::consensus::{CommitCertificate, Member, ResumePoint};
use crate::error::StoreError;
use crate::genesis::Genesis;
use crate::state::{Account, Ledger, State, StateDiff, Tip};
use crate::transition::Receipts;
use crate::tx::TxId;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const RECEIPTS: TableDefinition<u64, &[u8]> = TableDefinition::new("receipts");
const BLOCK_IDS: TableDefinition<&[u8], u64> = TableDefinition::new("block_ids");
const TXS: TableDefinition<&[u8], (u64, u32)> = TableDefinition::new("txs");
const ACCOUNTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("accounts");
const NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("nodes");
const APPS: TableDefinition<&str, &[u8]> = TableDefinition::new("apps");
const PLACEMENT: TableDefinition<&str, &[u8]> = TableDefinition::new("placement");
/// Governance entries by their encoded `StateKey` (proposals, votes, parameter changes,
/// upgrades); snapshots apart, written once per proposal.
const GOV: TableDefinition<&[u8], &[u8]> = TableDefinition::new("gov");
const GOV_SNAPSHOTS: TableDefinition<u64, &[u8]> = TableDefinition::new("gov_snapshots");

const CERTIFICATES: TableDefinition<u64, &[u8]> = TableDefinition::new("certificates");
const COMMITTEES: TableDefinition<u64, &[u8]> = TableDefinition::new("committees");

const KEY_RESUME: &str = "resume_point";
const KEY_RESUME_BLOCK: &str = "resume_block";
const KEY_VERSION: &str = "schema_version";
const KEY_GENESIS: &str = "genesis";
const KEY_TIP: &str = "tip";
const KEY_LEDGER: &str = "ledger";

pub(super) fn db_err<E: Into<redb::Error>>(e: E) -> StoreError {
    StoreError::Redb(e.into())
}

pub(super) fn decode<T: DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, StoreError> {
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

    fn load_gov(&self) -> Result<crate::gov::Governance, StoreError> {
        use crate::state::StateKey;
        let mut gov = crate::gov::Governance::default();
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(GOV).map_err(db_err)?;
        for row in table.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            match decode::<StateKey>("governance key", k.value())? {
                StateKey::Proposal(id) => {
                    gov.proposals.insert(id, decode("proposal", v.value())?);
                }
                StateKey::GovVote(id, node) => {
                    gov.votes.insert((id, node), decode("vote", v.value())?);
                }
                StateKey::ParamChange(param, at) => {
                    gov.param_changes
                        .insert((param, at), decode("parameter change", v.value())?);
                }
                StateKey::Upgrade(name) => {
                    gov.upgrades.insert(name, decode("upgrade", v.value())?);
                }
                _ => {
                    return Err(StoreError::Corrupt {
                        what: "governance key",
                        source: flux_core::error::CodecError::InvalidTag { found: 0 },
                    });
                }
            }
        }
        let table = txn.open_table(GOV_SNAPSHOTS).map_err(db_err)?;
        for row in table.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let rows: Vec<(flux_nodes::node::NodeId, Address, u64)> =
                decode("snapshot", v.value())?;
            let snapshot = rows.into_iter().map(|(n, o, w)| (n, (o, w))).collect();
            gov.snapshots.insert(k.value(), snapshot);
        }
        Ok(gov)
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
        let tip: Tip = decode("tip", &self.meta(KEY_TIP)?.unwrap_or_default())?;
        let ledger: Ledger = decode("ledger", &self.meta(KEY_LEDGER)?.unwrap_or_default())?;
        let mut accounts = BTreeMap::new();
        {
            let txn = self.db.begin_read().map_err(db_err)?;
            let table = txn.open_table(ACCOUNTS).map_err(db_err)?;
            for row in table.iter().map_err(db_err)? {
                let (k, v) = row.map_err(db_err)?;
                let addr: [u8; 20] = k.value().try_into().map_err(|_| StoreError::Corrupt {
                    what: "account key",
                    source: flux_core::error::CodecError::Truncated,
                })?;
                let account: Account = decode("account", v.value())?;
                accounts.insert(Address::from_bytes(addr), account);
            }
        }
        let mut nodes = Vec::new();
        {
            let txn = self.db.begin_read().map_err(db_err)?;
            let table = txn.open_table(NODES).map_err(db_err)?;
            for row in table.iter().map_err(db_err)? {
                let (_, v) = row.map_err(db_err)?;
                nodes.push(decode("node entry", v.value())?);
            }
        }
        let mut apps = Vec::new();
        let mut placement = BTreeMap::new();
        {
            let txn = self.db.begin_read().map_err(db_err)?;
            let table = txn.open_table(APPS).map_err(db_err)?;
            for row in table.iter().map_err(db_err)? {
                let (_, v) = row.map_err(db_err)?;
                apps.push(decode("app entry", v.value())?);
            }
            let table = txn.open_table(PLACEMENT).map_err(db_err)?;
            for row in table.iter().map_err(db_err)? {
                let (k, v) = row.map_err(db_err)?;
                placement.insert(k.value().to_owned(), decode("placement", v.value())?);
            }
        }
        let gov = self.load_gov()?;
        let work = super::redb_work::load_work(&self.db.begin_read().map_err(db_err)?)?;
        let parallel = super::redb_parallel::load_parallel(&self.db.begin_read().map_err(db_err)?)?;
        let stored = StoredState {
            accounts,
            nodes,
            apps,
            placement,
            gov,
            work,
            parallel,
            ledger,
            tip,
        };
        let state = rebuild(&genesis, stored, |h| self.block(h))?;
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
            meta.insert(KEY_TIP, codec::encode(&state.tip())?.as_slice())
                .map_err(db_err)?;
            meta.insert(KEY_LEDGER, codec::encode(&state.ledger())?.as_slice())
                .map_err(db_err)?;
            let mut accounts = txn.open_table(ACCOUNTS).map_err(db_err)?;
            for (addr, acc) in state.accounts() {
                accounts
                    .insert(addr.as_bytes().as_slice(), codec::encode(acc)?.as_slice())
                    .map_err(db_err)?;
            }
            let mut nodes = txn.open_table(NODES).map_err(db_err)?;
            for entry in state.registry().iter() {
                nodes
                    .insert(
                        entry.id.0.as_bytes().as_slice(),
                        codec::encode(entry)?.as_slice(),
                    )
                    .map_err(db_err)?;
            }
            // Create the other tables so readers find them.
            txn.open_table(APPS).map_err(db_err)?;
            txn.open_table(PLACEMENT).map_err(db_err)?;
            txn.open_table(GOV).map_err(db_err)?;
            txn.open_table(GOV_SNAPSHOTS).map_err(db_err)?;
            txn.open_table(super::redb_work::WORK).map_err(db_err)?;
            let entries = state.parallel().entries()?;
            let keys: Vec<_> = entries.into_iter().map(|(k, _)| k).collect();
            super::redb_parallel::write_parallel(&txn, state.parallel(), &keys)?;
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
            ids.insert(diff.tip.block_id.0.as_bytes().as_slice(), height)
                .map_err(db_err)?;
            let mut txs = txn.open_table(TXS).map_err(db_err)?;
            for (index, r) in receipts.txs.iter().enumerate() {
                txs.insert(r.id.0.as_bytes().as_slice(), (height, index as u32))
                    .map_err(db_err)?;
            }
            let mut accounts = txn.open_table(ACCOUNTS).map_err(db_err)?;
            for (addr, acc) in &diff.accounts {
                accounts
                    .insert(addr.as_bytes().as_slice(), codec::encode(acc)?.as_slice())
                    .map_err(db_err)?;
            }
            let mut nodes = txn.open_table(NODES).map_err(db_err)?;
            for (id, entry) in &diff.nodes {
                let key = id.0.as_bytes().as_slice();
                match entry {
                    Some(e) => nodes.insert(key, codec::encode(e)?.as_slice()).map(drop),
                    None => nodes.remove(key).map(drop),
                }
                .map_err(db_err)?;
            }
            let mut apps = txn.open_table(APPS).map_err(db_err)?;
            for (name, entry) in &diff.apps_changed {
                match entry {
                    Some(a) => apps
                        .insert(name.as_str(), codec::encode(a)?.as_slice())
                        .map(drop),
                    None => apps.remove(name.as_str()).map(drop),
                }
                .map_err(db_err)?;
            }
            let mut placement = txn.open_table(PLACEMENT).map_err(db_err)?;
            for (name, placed) in &diff.placement_changed {
                if placed.is_empty() {
                    placement.remove(name.as_str()).map_err(db_err)?;
                } else {
                    placement
                        .insert(name.as_str(), codec::encode(placed)?.as_slice())
                        .map_err(db_err)?;
                }
            }
            write_gov(&txn, diff)?;
            super::redb_work::write_work(&txn, diff)?;
            super::redb_parallel::write_parallel(&txn, &diff.parallel, &diff.parallel_changes)?;
            let mut meta = txn.open_table(META).map_err(db_err)?;
            meta.insert(KEY_TIP, codec::encode(&diff.tip)?.as_slice())
                .map_err(db_err)?;
            meta.insert(KEY_LEDGER, codec::encode(&diff.ledger)?.as_slice())
                .map_err(db_err)?;
        }
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

/// Writes what governance changed in a block.
fn write_gov(txn: &redb::WriteTransaction, diff: &StateDiff) -> Result<(), StoreError> {
    use crate::state::StateKey;
    let changes = &diff.gov_changes;
    let mut table = txn.open_table(GOV).map_err(db_err)?;
    let mut put = |key: StateKey, value: Vec<u8>| -> Result<(), StoreError> {
        table
            .insert(codec::encode(&key)?.as_slice(), value.as_slice())
            .map(drop)
            .map_err(db_err)
    };
    for id in &changes.proposals {
        if let Some(p) = diff.gov.proposals.get(id) {
            put(StateKey::Proposal(*id), codec::encode(p)?)?;
        }
    }
    for ((id, node), choice) in &changes.votes {
        put(StateKey::GovVote(*id, *node), codec::encode(choice)?)?;
    }
    for ((param, at), value) in &changes.params {
        put(StateKey::ParamChange(*param, *at), codec::encode(value)?)?;
    }
    for (name, at) in &changes.upgrades {
        put(StateKey::Upgrade(name.clone()), codec::encode(at)?)?;
    }
    let mut snapshots = txn.open_table(GOV_SNAPSHOTS).map_err(db_err)?;
    for id in &changes.snapshots_added {
        if let Some(s) = diff.gov.snapshots.get(id) {
            let rows: Vec<_> = s.iter().map(|(n, (o, w))| (*n, *o, *w)).collect();
            snapshots
                .insert(*id, codec::encode(&rows)?.as_slice())
                .map_err(db_err)?;
        }
    }
    for id in &changes.snapshots_removed {
        snapshots.remove(*id).map_err(db_err)?;
    }
    Ok(())
}
