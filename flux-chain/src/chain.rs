//! [`Chain`]: the ledger for integrators: a state, a store, and the queries on both.

use flux_core::Address;

use crate::block::{Block, BlockId, Header};
use crate::error::{ChainError, StoreError};
use crate::genesis::Genesis;
use crate::state::{Account, AccountProof, State};
use crate::store::{Store, TxLocation};
use crate::transition::{Receipts, apply_block};
use crate::tx::{Transaction, TxId};

/// A chain: the current state in memory and every block, receipt and index in a [`Store`].
///
/// ```
/// use flux_chain::chain::Chain;
/// use flux_chain::genesis::Genesis;
/// use flux_chain::store::MemStore;
/// use flux_chain::transition::build_block;
/// use flux_core::crypto::{Scheme, SecretKey};
///
/// let genesis = Genesis::devnet_example();
/// let mut chain = Chain::open_or_create(MemStore::new(), &genesis)?;
/// let proposer = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?.public_key();
/// let block = build_block(chain.state(), proposer, genesis.timestamp_ms + 1_000, vec![], vec![])?;
/// chain.apply(&block)?;
/// assert_eq!(chain.height(), 1);
/// assert_eq!(chain.block_by_height(1)?, Some(block));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Chain<S: Store> {
    genesis: Genesis,
    state: State,
    store: S,
}

impl<S: Store> Chain<S> {
    /// Opens the chain in `store`, or creates it from `genesis` if the store is empty. A store
    /// holding another chain is refused.
    pub fn open_or_create(mut store: S, genesis: &Genesis) -> Result<Chain<S>, ChainError> {
        if let Some((stored, state)) = store.load()? {
            let (expected, found) = (genesis.id()?, stored.id()?);
            if expected != found {
                return Err(StoreError::OtherChain { expected, found }.into());
            }
            return Ok(Chain {
                genesis: stored,
                state,
                store,
            });
        }
        let state = genesis.state()?;
        store.init(genesis, &state)?;
        Ok(Chain {
            genesis: genesis.clone(),
            state,
            store,
        })
    }

    /// Opens the chain already in `store`; `None` if the store is empty.
    pub fn open(store: S) -> Result<Option<Chain<S>>, ChainError> {
        Ok(store.load()?.map(|(genesis, state)| Chain {
            genesis,
            state,
            store,
        }))
    }

    /// Validates `block` on the current state and, if valid, commits it to the store and the
    /// state. A rejected block, or a failed write, changes nothing.
    pub fn apply(&mut self, block: &Block) -> Result<Receipts, ChainError> {
        let (diff, receipts) = apply_block(&self.state, block)?;
        self.store.commit_block(block, &receipts, &diff)?;
        self.state.commit(diff);
        Ok(receipts)
    }

    /// The genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Height of the last block (0 before the first).
    pub fn height(&self) -> u64 {
        self.state.tip().height
    }

    /// The account at `address`.
    pub fn account(&self, address: &Address) -> Account {
        self.state.account(address)
    }

    /// Proof of `address`'s account against the tip header's state root.
    pub fn prove_account(&self, address: &Address) -> Result<AccountProof, ChainError> {
        Ok(self
            .state
            .prove_account(address)
            .map_err(StoreError::from)?)
    }

    /// The block at `height`.
    pub fn block_by_height(&self, height: u64) -> Result<Option<Block>, ChainError> {
        Ok(self.store.block(height)?)
    }

    /// The header at `height`.
    pub fn header(&self, height: u64) -> Result<Option<Header>, ChainError> {
        Ok(self.block_by_height(height)?.map(|b| b.header))
    }

    /// The block with id `id`.
    pub fn block_by_id(&self, id: &BlockId) -> Result<Option<Block>, ChainError> {
        match self.store.height_of(id)? {
            Some(h) => self.block_by_height(h),
            None => Ok(None),
        }
    }

    /// A committed transaction and where it is.
    pub fn tx(&self, id: &TxId) -> Result<Option<(Transaction, TxLocation)>, ChainError> {
        let Some(location) = self.store.tx_location(id)? else {
            return Ok(None);
        };
        let tx = self
            .block_by_height(location.height)?
            .and_then(|b| b.txs.into_iter().nth(location.index as usize));
        Ok(tx.map(|tx| (tx, location)))
    }

    /// The receipts of the block at `height`.
    pub fn receipts(&self, height: u64) -> Result<Option<Receipts>, ChainError> {
        Ok(self.store.receipts(height)?)
    }
}
