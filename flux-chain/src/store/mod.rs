//! Storage of blocks, receipts, indexes and state behind one small trait.
//!
//! A block, its receipts and its state changes are committed in one write: after a crash the
//! store holds the last committed block and the state after it, never half of a block.
//! [`MemStore`] keeps everything in memory (tests, simulations); [`RedbStore`] keeps it in a redb
//! database file.

mod memory;
mod redb_store;

use std::sync::Arc;

use imbl::OrdMap;
use serde::{Deserialize, Serialize};

use crate::block::{Block, BlockId};
use crate::consensus::{CommitCertificate, Member, ResumePoint};
use crate::error::StoreError;
use crate::genesis::Genesis;
use crate::state::areas::{AreaReader, Areas, LoadContext};
use crate::state::{RECENT_BLOCKS, State, StateDiff};
use crate::transition::Receipts;
use crate::tx::TxId;

pub use memory::MemStore;
pub use redb_store::RedbStore;

/// The schema version this build writes and reads (2: headers carry a seed proof and the tip
/// the committee seed).
pub const SCHEMA_VERSION: u32 = 2;

/// Where a transaction is: block height and position in the block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxLocation {
    /// Height of the block.
    pub height: u64,
    /// Position in the block body.
    pub index: u32,
}

/// A place to keep a chain. See the module docs.
pub trait Store {
    /// The chain in the store, if any: its genesis and the state after the last committed block.
    /// Checks that the state matches the last header's state root.
    fn load(&self) -> Result<Option<(Genesis, State)>, StoreError>;
    /// Records a genesis and its state in an empty store.
    fn init(&mut self, genesis: &Genesis, state: &State) -> Result<(), StoreError>;
    /// Commits `block`, its receipts and its state changes, all or nothing.
    fn commit_block(
        &mut self,
        block: &Block,
        receipts: &Receipts,
        diff: &StateDiff,
    ) -> Result<(), StoreError>;
    /// The block at `height` (1 and up).
    fn block(&self, height: u64) -> Result<Option<Block>, StoreError>;
    /// The height of the block with id `id`.
    fn height_of(&self, id: &BlockId) -> Result<Option<u64>, StoreError>;
    /// Where transaction `id` was included.
    fn tx_location(&self, id: &TxId) -> Result<Option<TxLocation>, StoreError>;
    /// The receipts of the block at `height`.
    fn receipts(&self, height: u64) -> Result<Option<Receipts>, StoreError>;
    /// Records the commit certificate of a decided block (written before the block itself, so
    /// a stored block of a consensus chain normally has its certificate).
    fn put_certificate(&mut self, certificate: &CommitCertificate) -> Result<(), StoreError>;
    /// The commit certificate of the block at `height`, if it was decided by consensus here.
    fn certificate(&self, height: u64) -> Result<Option<CommitCertificate>, StoreError>;
    /// Records the members of `epoch`'s committee.
    fn put_committee(&mut self, epoch: u64, members: &[Member]) -> Result<(), StoreError>;
    /// The members of `epoch`'s committee, if drawn.
    fn committee(&self, epoch: u64) -> Result<Option<Vec<Member>>, StoreError>;
    /// Records where this validator's consensus machine stands before it broadcasts a vote it
    /// signed (see [`crate::consensus::Input::Resume`]); durable when it returns.
    fn put_resume_point(&mut self, point: &ResumePoint) -> Result<(), StoreError>;
    /// The last recorded resume point, if this validator ever voted.
    fn resume_point(&self) -> Result<Option<ResumePoint>, StoreError>;
    /// Records the block of the resume point's valid value (written before the resume point
    /// that names it), so a restarted proposer can re-propose it; durable when it returns.
    fn put_resume_block(&mut self, block: &Block) -> Result<(), StoreError>;
    /// The last recorded resume block (check its id against the resume point's valid value).
    fn resume_block(&self) -> Result<Option<Block>, StoreError>;
}

/// Rebuilds the state from the areas' stored rows and checks it against the tip's header.
/// `block_at` reads stored blocks (for the recent block ids and the tip header).
fn rebuild(
    genesis: &Genesis,
    rows: &dyn AreaReader,
    block_at: impl Fn(u64) -> Result<Option<Block>, StoreError>,
) -> Result<State, StoreError> {
    let genesis_id = genesis.id().map_err(Box::new)?;
    let mut ctx = LoadContext {
        genesis_seed: genesis_id.0,
        params: genesis.params(),
        registry: None,
    };
    let areas = Areas::load(rows, &mut ctx)?;
    let tip = areas.head.tip;
    let mut recent = OrdMap::new();
    let mut tip_block = None;
    for height in tip.height.saturating_sub(RECENT_BLOCKS - 1)..=tip.height {
        if height == 0 {
            recent.insert(0, genesis_id);
            continue;
        }
        let block = block_at(height)?.ok_or(StoreError::MissingBlock { height })?;
        recent.insert(height, block.id()?);
        if height == tip.height {
            tip_block = Some(block);
        }
    }
    let state = State::from_areas(Arc::new(ctx.params), areas, recent)?;
    let expected = match tip_block {
        Some(b) => b.header.state_root,
        None => genesis.state().map_err(Box::new)?.state_root(),
    };
    if state.state_root() != expected {
        return Err(StoreError::Inconsistent {
            expected,
            computed: state.state_root(),
        });
    }
    Ok(state)
}
