//! What the host's components share without owning each other's state: the chain and the
//! mempool (also read by the API), the node's identity, and the one notice they all follow,
//! a committed block.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use flux_chain::block::Block;
use flux_chain::chain::{Chain, CheckedBlock};
use flux_chain::consensus::Height;
use flux_chain::error::ChainError;
use flux_chain::mempool::Mempool;
use flux_chain::store::Store;
use flux_chain::transition::KnownSignatures;
use flux_chain::tx::TxId;
use flux_core::crypto::SecretKey;
use flux_nodes::NodeId;

use super::HostError;
use crate::network::Network;

/// A chain shared between the host and readers.
pub type SharedChain<S> = Arc<RwLock<Chain<S>>>;
/// A mempool shared between the host and the API.
pub type SharedMempool = Arc<Mutex<Mempool>>;

/// The chain and the mempool as every component reaches them: locked briefly, a poisoned
/// lock an error. Only the consensus driver takes the chain's write lock.
#[derive(Debug)]
pub(crate) struct Ledger<S: Store> {
    chain: SharedChain<S>,
    mempool: SharedMempool,
}

impl<S: Store> Clone for Ledger<S> {
    fn clone(&self) -> Self {
        Ledger {
            chain: self.chain.clone(),
            mempool: self.mempool.clone(),
        }
    }
}

impl<S: Store> Ledger<S> {
    pub(crate) fn new(chain: SharedChain<S>, mempool: SharedMempool) -> Ledger<S> {
        Ledger { chain, mempool }
    }

    /// The shared chain.
    pub(crate) fn chain(&self) -> &SharedChain<S> {
        &self.chain
    }

    /// The shared mempool.
    pub(crate) fn mempool(&self) -> &SharedMempool {
        &self.mempool
    }

    pub(crate) fn read(&self) -> Result<RwLockReadGuard<'_, Chain<S>>, HostError> {
        self.chain.read().map_err(|_| HostError::Poisoned)
    }

    pub(crate) fn write(&self) -> Result<RwLockWriteGuard<'_, Chain<S>>, HostError> {
        self.chain.write().map_err(|_| HostError::Poisoned)
    }

    pub(crate) fn pool(&self) -> Result<MutexGuard<'_, Mempool>, HostError> {
        self.mempool.lock().map_err(|_| HostError::Poisoned)
    }

    /// Checks `block` on the chain's tip ([`Chain::check_known`]) without checking again the
    /// signatures of the transactions this node's mempool holds (it checked each on
    /// admission): a proposal's transactions have usually reached every validator's mempool
    /// by gossip before the proposal does. The outer error is a poisoned lock.
    pub(crate) fn check(
        &self,
        block: &Block,
    ) -> Result<Result<CheckedBlock, ChainError>, HostError> {
        let ids: Vec<TxId> = block.txs.iter().filter_map(|tx| tx.id().ok()).collect();
        let known: BTreeSet<TxId> = {
            let pool = self.pool()?;
            ids.into_iter().filter(|id| pool.contains(id)).collect()
        };
        Ok(self
            .read()?
            .check_known(block, &KnownSignatures::Ids(&known)))
    }
}

/// Who this node is: its operator key (`None`: a follower) and the node id it gives.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub(crate) key: Option<SecretKey>,
    pub(crate) id: Option<NodeId>,
}

impl Identity {
    pub(crate) fn new(key: Option<SecretKey>) -> Identity {
        let id = key.as_ref().map(|k| NodeId::of(&k.public_key()));
        Identity { key, id }
    }
}

/// What the consensus driver tells the other components when it committed a block.
#[derive(Clone, Debug)]
pub(crate) struct CommitNotice {
    /// The height committed.
    pub(crate) height: Height,
    /// The ids of the block's transactions.
    pub(crate) txs: Vec<TxId>,
    /// The ids of the block's `SwapOut` transactions.
    pub(crate) swaps_out: Vec<TxId>,
    /// Whether it came through block sync (rather than this node's consensus).
    pub(crate) synced: bool,
    /// The time of the commit.
    pub(crate) now_ms: u64,
}

/// The components that follow commits (the host wires them; the consensus driver only knows
/// this interface).
pub(crate) trait CommitFollower<P> {
    /// A block was committed: each follower updates its own state and may gossip.
    fn committed<N: Network<Peer = P>>(
        &mut self,
        notice: &CommitNotice,
        net: &mut N,
    ) -> Result<(), HostError>;
}
