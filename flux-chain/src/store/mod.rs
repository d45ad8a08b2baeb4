//! Storage of blocks, receipts, indexes and state behind one small trait.
//!
//! A block, its receipts and its state changes are committed in one write: after a crash the
//! store holds the last committed block and the state after it, never half of a block.
//! [`MemStore`] keeps everything in memory (tests, simulations); [`RedbStore`] keeps it in a redb
//! database file.

mod memory;
mod redb_parallel;
mod redb_store;
mod redb_work;

use std::collections::BTreeMap;
use std::sync::Arc;

use flux_core::Address;
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::{NodeEntry, NodeId};
use flux_nodes::placement::{Placement, PlacementNode};
use flux_nodes::registry::Registry;
use imbl::OrdMap;
use serde::{Deserialize, Serialize};

use crate::apps::AppEntry;
use crate::block::{Block, BlockId};
use crate::consensus::{CommitCertificate, Member, ResumePoint};
use crate::error::StoreError;
use crate::genesis::Genesis;
use crate::state::{Account, Ledger, RECENT_BLOCKS, State, StateDiff, Tip};
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

/// What a store keeps of the state (everything else is derived).
pub(crate) struct StoredState {
    pub(crate) accounts: BTreeMap<Address, Account>,
    pub(crate) nodes: Vec<NodeEntry>,
    pub(crate) apps: Vec<AppEntry>,
    pub(crate) placement: BTreeMap<String, Vec<(u32, NodeId)>>,
    pub(crate) gov: crate::gov::Governance,
    pub(crate) work: crate::work::Work,
    pub(crate) parallel: crate::parallel::Parallel,
    pub(crate) ledger: Ledger,
    pub(crate) tip: Tip,
}

/// The placement of the stored apps on the stored nodes, from the stored assignments
/// (placement is a function of its history, so it is restored, never placed anew).
fn restore_placement(
    seed: flux_core::Hash,
    registry: &Registry,
    apps: &[AppEntry],
    stored: &BTreeMap<String, Vec<(u32, NodeId)>>,
    params: &flux_core::ChainParams,
) -> Result<Placement, StoreError> {
    let nodes = registry
        .iter()
        .filter(|e| e.status == NodeStatus::Confirmed)
        .map(|e| PlacementNode::from_entry(e, params));
    let records = apps.iter().map(|a| {
        let placed = stored.get(&a.name).cloned().unwrap_or_default();
        (a.workload(params), placed)
    });
    Placement::restore(seed, nodes, records).map_err(StoreError::Placement)
}

/// The genesis parameters with every executed governance change applied in the order the
/// chain executed them: by height, then by proposal id. One block's changes may be consistent
/// only in that order (`nodes.expire_after` raised, then `nodes.min_confirm_interval` above
/// its old value), so the order of the parameters would not do.
fn params_after(
    mut params: flux_core::ChainParams,
    gov: &crate::gov::Governance,
) -> Result<flux_core::ChainParams, StoreError> {
    use crate::gov::{Action, ProposalStatus};
    let mut executed: Vec<(u64, u64, flux_core::params::GovernableParam, u64)> = gov
        .proposals
        .values()
        .filter_map(|p| match (&p.status, &p.action) {
            (ProposalStatus::Passed, Action::ParamChange { param, value }) => {
                Some((p.end, p.id, *param, *value))
            }
            _ => None,
        })
        .collect();
    executed.sort_unstable();
    for (_, _, param, value) in executed {
        param.set(&mut params, value).map_err(StoreError::Params)?;
    }
    Ok(params)
}

/// Rebuilds the state from stored parts and checks it against the tip's header. `block_at`
/// reads stored blocks (for the recent block ids and the tip header).
fn rebuild(
    genesis: &Genesis,
    stored: StoredState,
    block_at: impl Fn(u64) -> Result<Option<Block>, StoreError>,
) -> Result<State, StoreError> {
    let StoredState {
        accounts,
        nodes,
        apps,
        placement,
        gov,
        work,
        parallel,
        ledger,
        tip,
    } = stored;
    let params = params_after(genesis.params(), &gov)?;
    let registry = Registry::from_entries(nodes).map_err(StoreError::Registry)?;
    let seed = genesis.id().map_err(Box::new)?.0;
    let placement = restore_placement(seed, &registry, &apps, &placement, &params)?;
    let apps: OrdMap<String, AppEntry> = apps.into_iter().map(|a| (a.name.clone(), a)).collect();
    let mut recent = OrdMap::new();
    let mut tip_block = None;
    for height in tip.height.saturating_sub(RECENT_BLOCKS - 1)..=tip.height {
        if height == 0 {
            recent.insert(0, genesis.id().map_err(Box::new)?);
            continue;
        }
        let block = block_at(height)?.ok_or(StoreError::MissingBlock { height })?;
        recent.insert(height, block.id()?);
        if height == tip.height {
            tip_block = Some(block);
        }
    }
    let state = State::from_parts(
        Arc::new(params),
        accounts,
        registry,
        apps,
        placement,
        gov,
        work,
        ledger,
        tip,
        recent,
    )?
    .with_parallel(parallel)?;
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
