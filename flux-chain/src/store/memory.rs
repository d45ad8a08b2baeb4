//! [`MemStore`]: a [`Store`] in memory.

use std::collections::BTreeMap;

use flux_core::Address;
use flux_nodes::node::{NodeEntry, NodeId};

use super::{Store, StoredState, TxLocation, rebuild};
use crate::apps::AppEntry;
use crate::block::{Block, BlockId};
use crate::consensus::{CommitCertificate, Member, ResumePoint};
use crate::error::StoreError;
use crate::genesis::Genesis;
use crate::state::{Account, Ledger, State, StateDiff, Tip};
use crate::transition::Receipts;
use crate::tx::TxId;

/// A store in memory: for tests and simulations (nothing survives the process).
#[derive(Clone, Debug, Default)]
pub struct MemStore {
    genesis: Option<Genesis>,
    accounts: BTreeMap<Address, Account>,
    nodes: BTreeMap<NodeId, NodeEntry>,
    apps: BTreeMap<String, AppEntry>,
    placement: BTreeMap<String, Vec<(u32, NodeId)>>,
    gov: crate::gov::Governance,
    work: crate::work::Work,
    parallel: crate::parallel::Parallel,
    ledger: Ledger,
    tip: Tip,
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
}

impl Store for MemStore {
    fn load(&self) -> Result<Option<(Genesis, State)>, StoreError> {
        let Some(genesis) = &self.genesis else {
            return Ok(None);
        };
        let stored = StoredState {
            accounts: self.accounts.clone(),
            nodes: self.nodes.values().cloned().collect(),
            apps: self.apps.values().cloned().collect(),
            placement: self.placement.clone(),
            gov: self.gov.clone(),
            work: self.work.clone(),
            parallel: self.parallel.clone(),
            ledger: self.ledger,
            tip: self.tip,
        };
        let state = rebuild(genesis, stored, |h| self.block(h))?;
        Ok(Some((genesis.clone(), state)))
    }

    fn init(&mut self, genesis: &Genesis, state: &State) -> Result<(), StoreError> {
        *self = MemStore {
            genesis: Some(genesis.clone()),
            accounts: state.accounts().clone(),
            nodes: state.registry().iter().map(|e| (e.id, e.clone())).collect(),
            parallel: state.parallel().clone(),
            ledger: state.ledger(),
            tip: state.tip(),
            ..MemStore::default()
        };
        Ok(())
    }

    fn commit_block(
        &mut self,
        block: &Block,
        receipts: &Receipts,
        diff: &StateDiff,
    ) -> Result<(), StoreError> {
        let height = block.header.height;
        for (index, tx) in block.txs.iter().enumerate() {
            let location = TxLocation {
                height,
                index: index as u32,
            };
            self.txs.insert(tx.id()?, location);
        }
        self.block_ids.insert(diff.tip.block_id, height);
        self.blocks.push(block.clone());
        self.receipts.push(receipts.clone());
        self.accounts
            .extend(diff.accounts.iter().map(|(a, acc)| (*a, *acc)));
        for (id, entry) in &diff.nodes {
            match entry {
                Some(e) => self.nodes.insert(*id, e.clone()),
                None => self.nodes.remove(id),
            };
        }
        for (name, entry) in &diff.apps_changed {
            match entry {
                Some(a) => self.apps.insert(name.clone(), a.clone()),
                None => self.apps.remove(name),
            };
        }
        for (name, placed) in &diff.placement_changed {
            if placed.is_empty() {
                self.placement.remove(name);
            } else {
                self.placement.insert(name.clone(), placed.clone());
            }
        }
        self.gov = diff.gov.clone();
        self.work = diff.work.clone();
        self.parallel = diff.parallel.clone();
        self.ledger = diff.ledger;
        self.tip = diff.tip;
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
