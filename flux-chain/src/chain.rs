//! [`Chain`]: the ledger for integrators: a state, a store, and the queries on both.

use flux_core::Address;

use crate::block::{Block, BlockId, Header};
use crate::consensus::committee::{Committee, epoch_of};
use crate::consensus::{CommitCertificate, ConsensusError, ResumePoint};
use crate::error::BlockError;
use crate::error::{ChainError, StoreError};
use crate::genesis::Genesis;
use crate::state::{Account, AccountProof, State};
use crate::store::{Store, TxLocation};
pub use crate::transition::CheckedBlock;
use crate::transition::{KnownSignatures, Receipts, apply_block_known};
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
/// let proposer = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
/// let block = build_block(chain.state(), &proposer, genesis.timestamp_ms + 1_000, vec![], vec![])?;
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
            let mut chain = Chain {
                genesis: stored,
                state,
                store,
            };
            chain.draw_committee_if_due()?;
            return Ok(chain);
        }
        let state = genesis.state()?;
        store.init(genesis, &state)?;
        let mut chain = Chain {
            genesis: genesis.clone(),
            state,
            store,
        };
        chain.draw_committee_if_due()?;
        Ok(chain)
    }

    /// Opens the chain already in `store`; `None` if the store is empty.
    pub fn open(store: S) -> Result<Option<Chain<S>>, ChainError> {
        let Some((genesis, state)) = store.load()? else {
            return Ok(None);
        };
        let mut chain = Chain {
            genesis,
            state,
            store,
        };
        chain.draw_committee_if_due()?;
        Ok(Some(chain))
    }

    /// Validates `block` on the current state and, if valid, commits it to the store and the
    /// state. A rejected block, or a failed write, changes nothing. At the last block of an
    /// epoch it also draws and stores the next epoch's committee.
    pub fn apply(&mut self, block: &Block) -> Result<Receipts, ChainError> {
        let checked = self.check(block)?;
        self.commit_checked(checked, None)
    }

    /// Applies a block decided by consensus: checks that `certificate` commits this block at
    /// its height (its signatures are the consensus layer's to check against
    /// [`Chain::committee`]), stores the certificate, then applies the block like
    /// [`Chain::apply`].
    pub fn apply_decided(
        &mut self,
        block: &Block,
        certificate: &CommitCertificate,
    ) -> Result<Receipts, ChainError> {
        let checked = self.check(block)?;
        self.commit_checked(checked, Some(certificate))
    }

    /// Validates `block` on the current state without changing anything: the state transition
    /// is run once, and [`Chain::commit_checked`] later commits its result without running it
    /// again (a validator checks a proposal when it arrives and commits it when decided).
    pub fn check(&self, block: &Block) -> Result<CheckedBlock, ChainError> {
        self.check_known(block, &KnownSignatures::None)
    }

    /// [`Chain::check`] without checking again the transaction signatures `known` names
    /// (the ids in this node's mempool, whose signatures it checked on admission; see
    /// [`KnownSignatures`]). The same answer as [`Chain::check`], for less work.
    pub fn check_known(
        &self,
        block: &Block,
        known: &KnownSignatures<'_>,
    ) -> Result<CheckedBlock, ChainError> {
        let (diff, receipts) = apply_block_known(&self.state, block, known)?;
        Ok(CheckedBlock::new(block.clone(), diff, receipts))
    }

    /// Commits a block checked by [`Chain::check`] on the current tip (with the certificate
    /// that decided it, if any). Refused if the tip moved since the check, or if the
    /// certificate commits another block or height.
    pub fn commit_checked(
        &mut self,
        checked: CheckedBlock,
        certificate: Option<&CommitCertificate>,
    ) -> Result<Receipts, ChainError> {
        let CheckedBlock {
            block,
            diff,
            receipts,
        } = checked;
        let tip = self.state.tip();
        if block.header.parent != tip.block_id || block.header.height != tip.height + 1 {
            return Err(ChainError::Block(BlockError::WrongParent {
                expected: tip.block_id,
                found: block.header.parent,
            }));
        }
        if let Some(c) = certificate {
            if c.height != block.header.height || c.value != block.id()? {
                return Err(ChainError::Consensus(ConsensusError::CertificateMismatch {
                    height: block.header.height,
                }));
            }
            self.store.put_certificate(c)?;
        }
        self.store.commit_block(&block, &receipts, &diff)?;
        self.state.commit(diff);
        self.draw_committee_if_due()?;
        Ok(receipts)
    }

    /// Records this validator's resume point (see [`Store::put_resume_point`]).
    pub fn put_resume_point(&mut self, point: &ResumePoint) -> Result<(), ChainError> {
        Ok(self.store.put_resume_point(point)?)
    }

    /// This validator's last resume point.
    pub fn resume_point(&self) -> Result<Option<ResumePoint>, ChainError> {
        Ok(self.store.resume_point()?)
    }

    /// Records the block of the resume point's valid value (see [`Store::put_resume_block`]).
    pub fn put_resume_block(&mut self, block: &Block) -> Result<(), ChainError> {
        Ok(self.store.put_resume_block(block)?)
    }

    /// The last recorded resume block, if its id is `id` (the resume point's valid value).
    pub fn resume_block(&self, id: &BlockId) -> Result<Option<Block>, ChainError> {
        Ok(self
            .store
            .resume_block()?
            .filter(|b| b.id().ok().as_ref() == Some(id)))
    }

    /// The commit certificate of the block at `height`, if it was decided by consensus.
    pub fn certificate(&self, height: u64) -> Result<Option<CommitCertificate>, ChainError> {
        Ok(self.store.certificate(height)?)
    }

    /// The committee that decides `height` (the tip's height plus one, or any earlier height
    /// of the current or a stored epoch): the members drawn for its epoch
    /// ([`Committee::draw`] over the registry after the previous epoch's last block, seeded by
    /// the committee seed after it, [`State::seed`]) that still sit ([`committee::sits`](crate::consensus::committee::sits):
    /// not slashed for equivocation, not exiting, still registered; a member that leaves or
    /// equivocates is out from the next height). An epoch whose draw found no confirmed node
    /// keeps the committee of the epoch before it.
    ///
    /// ```
    /// # use flux_chain::chain::Chain;
    /// # use flux_chain::store::MemStore;
    /// let (genesis, _keys) = flux_chain::genesis::Genesis::devnet_with_nodes(4, 7)?;
    /// let chain = Chain::open_or_create(MemStore::new(), &genesis)?;
    /// assert_eq!(chain.committee(1)?.len(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn committee(&self, height: u64) -> Result<Committee, ChainError> {
        let params = self.state.params();
        let mut epoch = epoch_of(height, params.consensus.epoch_length);
        let members = loop {
            if let Some(m) = self.store.committee(epoch)? {
                break m;
            }
            if epoch == 0 {
                return Err(ChainError::Consensus(ConsensusError::EmptyCommittee));
            }
            epoch -= 1;
        };
        let registry = self.state.registry();
        let members = members
            .into_iter()
            .filter(|m| {
                registry
                    .get(&m.id)
                    .is_some_and(crate::consensus::committee::sits)
            })
            .collect();
        Ok(Committee::new(members, params.consensus.commit_threshold)?)
    }

    /// Draws the next epoch's committee when the tip is the last block of an epoch (or the
    /// genesis) and it is not stored yet. Idempotent, so a crash between the block's commit
    /// and this write is repaired on reopen.
    fn draw_committee_if_due(&mut self) -> Result<(), ChainError> {
        let params = self.state.params();
        let length = params.consensus.epoch_length.max(1);
        let tip = self.state.tip();
        if !tip.height.is_multiple_of(length) {
            return Ok(());
        }
        let epoch = tip.height / length;
        if self.store.committee(epoch)?.is_some() {
            return Ok(());
        }
        let size = params.consensus.committee_size as usize;
        match Committee::draw(self.state.registry(), &self.state.seed(), size, params) {
            Ok(c) => Ok(self.store.put_committee(epoch, c.members())?),
            Err(ConsensusError::EmptyCommittee) => Ok(()),
            Err(e) => Err(e.into()),
        }
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
