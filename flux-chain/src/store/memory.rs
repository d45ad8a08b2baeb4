//! [`MemStore`]: a [`Store`] in memory.

use std::collections::BTreeMap;

use super::{Store, TxLocation, rebuild};
use crate::block::{Block, BlockId};
use crate::consensus::{CommitCertificate, Member, ResumePoint};
use crate::error::StoreError;
use crate::genesis::Genesis;
use crate::state::areas::{AreaReader, RowKey, Table, WriteBatch};
use crate::state::{State, StateDiff};
use crate::transition::Receipts;
use crate::tx::TxId;

/// A store in memory: for tests and simulations (nothing survives the process).
#[derive(Clone, Debug, Default)]
pub struct MemStore {
    genesis: Option<Genesis>,
    /// The state areas' rows, as a [`super::RedbStore`] keeps them.
    tables: BTreeMap<&'static str, BTreeMap<RowKey, Vec<u8>>>,
    blocks: Vec<Block>,
    receipts: Vec<Receipts>,
    block_ids: BTreeMap<BlockId, u64>,
    txs: BTreeMap<TxId, TxLocation>,
    certificates: BTreeMap<u64, CommitCertificate>,
    committees: BTreeMap<u64, Vec<Member>>,
    resume_point: Option<ResumePoint>,
    resume_block: Option<Block>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> MemStore {
        MemStore::default()
    }

    fn write(&mut self, batch: WriteBatch) {
        for table in batch.tables {
            self.tables.entry(table.name).or_default();
        }
        for (table, key, value) in batch.rows {
            let rows = self.tables.entry(table.name).or_default();
            match value {
                Some(v) => rows.insert(key, v),
                None => rows.remove(&key),
            };
        }
    }
}

impl AreaReader for MemStore {
    fn rows(&self, table: Table) -> Result<Vec<(RowKey, Vec<u8>)>, StoreError> {
        Ok(self
            .tables
            .get(table.name)
            .map(|rows| rows.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }
}

impl Store for MemStore {
    fn load(&self) -> Result<Option<(Genesis, State)>, StoreError> {
        let Some(genesis) = &self.genesis else {
            return Ok(None);
        };
        let state = rebuild(genesis, self, |h| self.block(h))?;
        Ok(Some((genesis.clone(), state)))
    }

    fn init(&mut self, genesis: &Genesis, state: &State) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        state.areas().save_all(&mut batch)?;
        *self = MemStore {
            genesis: Some(genesis.clone()),
            ..MemStore::default()
        };
        self.write(batch);
        Ok(())
    }

    fn commit_block(
        &mut self,
        block: &Block,
        receipts: &Receipts,
        diff: &StateDiff,
    ) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        diff.areas.save(&mut batch)?;
        let height = block.header.height;
        let mut locations = Vec::with_capacity(block.txs.len());
        for (index, tx) in block.txs.iter().enumerate() {
            let location = TxLocation {
                height,
                index: index as u32,
            };
            locations.push((tx.id()?, location));
        }
        self.txs.extend(locations);
        self.block_ids.insert(diff.tip().block_id, height);
        self.blocks.push(block.clone());
        self.receipts.push(receipts.clone());
        self.write(batch);
        Ok(())
    }

    fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        let index = height.checked_sub(1).and_then(|i| usize::try_from(i).ok());
        Ok(index.and_then(|i| self.blocks.get(i)).cloned())
    }

    fn height_of(&self, id: &BlockId) -> Result<Option<u64>, StoreError> {
        Ok(self.block_ids.get(id).copied())
    }

    fn tx_location(&self, id: &TxId) -> Result<Option<TxLocation>, StoreError> {
        Ok(self.txs.get(id).copied())
    }

    fn receipts(&self, height: u64) -> Result<Option<Receipts>, StoreError> {
        let index = height.checked_sub(1).and_then(|i| usize::try_from(i).ok());
        Ok(index.and_then(|i| self.receipts.get(i)).cloned())
    }

    fn put_certificate(&mut self, certificate: &CommitCertificate) -> Result<(), StoreError> {
        self.certificates
            .insert(certificate.height, certificate.clone());
        Ok(())
    }

    fn certificate(&self, height: u64) -> Result<Option<CommitCertificate>, StoreError> {
        Ok(self.certificates.get(&height).cloned())
    }

    fn put_committee(&mut self, epoch: u64, members: &[Member]) -> Result<(), StoreError> {
        self.committees.insert(epoch, members.to_vec());
        Ok(())
    }

    fn committee(&self, epoch: u64) -> Result<Option<Vec<Member>>, StoreError> {
        Ok(self.committees.get(&epoch).cloned())
    }

    fn put_resume_point(&mut self, point: &ResumePoint) -> Result<(), StoreError> {
        self.resume_point = Some(*point);
        Ok(())
    }

    fn resume_point(&self) -> Result<Option<ResumePoint>, StoreError> {
        Ok(self.resume_point)
    }

    fn put_resume_block(&mut self, block: &Block) -> Result<(), StoreError> {
        self.resume_block = Some(block.clone());
        Ok(())
    }

    fn resume_block(&self) -> Result<Option<Block>, StoreError> {
        Ok(self.resume_block.clone())
    }
}
