//! Ledger state: accounts, supply and the pools, committed to by the state root.
//!
//! The state is a map of typed entries ([`StateKey`] → value) mirrored in an authenticated trie
//! ([`crate::trie::Trie`]): each entry's trie key is the tagged hash of its [`StateKey`] and its
//! trie value the tagged hash of its canonical bytes. The trie is persistent, so applying a block
//! builds a new trie next to the old one and a rejected block leaves the state as it was. The
//! state root in every header is the trie's root; [`AccountProof`] proves an account against it.

pub mod areas;
mod proof;

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use flux_core::error::CodecError;
use flux_core::hash::Tag;
use flux_core::{Address, Amount, ChainParams, Hash, codec};
use flux_nodes::node::NodeId;
use flux_nodes::placement::Placement;
use flux_nodes::registry::Registry;
use imbl::{OrdMap, OrdSet};

use crate::apps::AppEntry;
use crate::gov::Governance;
use crate::parallel::Parallel;
use crate::work::Work;
use serde::{Deserialize, Serialize};

use crate::block::BlockId;
use crate::trie::Trie;

pub use areas::{AreaDiffs, Areas, StateArea};
pub use proof::{AccountProof, StateProofError};

use areas::{AppsState, Head, ParallelArea};

static STATE_KEY: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/state/key/v1"));
static STATE_VALUE: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/state/value/v1"));
static DEV_FUND: LazyLock<Address> =
    LazyLock::new(|| Address::from_hash(&Hash::tagged("flux/account/dev-fund/v1", b"")));

/// The development fund's account. Nobody holds its key: only xDAO grants move its balance.
pub fn dev_fund_address() -> Address {
    *DEV_FUND
}

/// An account: balance and the nonce its next transaction must carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Spendable balance.
    pub balance: Amount,
    /// Number of transactions sent so far (the next one's nonce).
    pub nonce: u64,
}

/// Chain-wide totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Total supply: every balance, the pools below, bonded collateral, app escrows and the
    /// FLUX locked for parallel assets (counted once: parallel tokens are its claims). Never
    /// above the cap.
    pub supply: Amount,
    /// The useful-work pool: minted each block, paid each epoch for verified work.
    pub work_pool: Amount,
}

/// Where the chain is: the last applied block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tip {
    /// Height of the last block (0: the genesis state).
    pub height: u64,
    /// Its id (the genesis id at height 0).
    pub block_id: BlockId,
    /// Its timestamp, ms.
    pub timestamp_ms: u64,
    /// The committee seed after it (the genesis id at height 0): the parent's seed mixed with
    /// the output of the block's seed proof (see [`crate::transition::header`]).
    pub seed: Hash,
}

/// The name of a state entry. Later features add variants (node entries, apps...).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StateKey {
    /// The chain-wide [`Ledger`].
    Ledger,
    /// An [`Account`].
    Account(Address),
    /// A node's [`flux_nodes::node::NodeEntry`].
    Node(NodeId),
    /// A registered app's [`AppEntry`].
    App(String),
    /// Where an app's instances run: `(instance, node)` pairs.
    Placement(String),
    /// An xDAO proposal.
    Proposal(u64),
    /// A node's vote on a proposal.
    GovVote(u64, NodeId),
    /// A parameter change executed at a height.
    ParamChange(flux_core::params::GovernableParam, u64),
    /// An upgrade signalled by the xDAO: name → height.
    Upgrade(String),
    /// A compute job's [`crate::work::JobEntry`].
    Job(crate::work::JobId),
    /// A node's unpaid work units of an epoch: (epoch, node) → units.
    WorkUnits(u64, NodeId),
    /// A node's strikes.
    Strikes(NodeId),
    /// The seed height of a node's last hosting report.
    Hosted(NodeId),
    /// The [`crate::parallel::Book`] of an external chain.
    Book(flux_core::parallel::ExternalChain),
    /// A [`crate::parallel::SwapOutRecord`] by its id.
    SwapOut(crate::tx::TxId),
    /// A released burn reference → the `SwapIn` that released it.
    BurnRef(flux_core::parallel::ExternalChain, Vec<u8>),
    /// A node's secp256k1 swap key.
    SwapKey(NodeId),
    /// The current epoch's attesting committee.
    Attesters,
    /// The committee seed after the last block ([`Tip::seed`]).
    Seed,
}

/// How many recent block ids the state keeps (seeds of benchmark attestations).
pub const RECENT_BLOCKS: u64 = 64;

impl StateKey {
    /// The key of this entry in the trie.
    pub fn trie_key(&self) -> Result<Hash, CodecError> {
        match self {
            StateKey::Account(address) => Ok(account_key(address)),
            other => Ok(STATE_KEY.hash(&codec::encode(other)?)),
        }
    }
}

/// `StateKey::Account(address).trie_key()` without an allocation: the canonical encoding is the
/// variant index (u32 LE, 1) and the 20 address bytes (a test checks they agree).
pub(crate) fn account_key(address: &Address) -> Hash {
    let mut bytes = [0u8; 24];
    bytes[0] = 1;
    bytes[4..].copy_from_slice(address.as_bytes());
    STATE_KEY.hash(&bytes)
}

/// `value_hash(account)` without an allocation: balance and nonce, u64 LE each.
pub(crate) fn account_value_hash(account: &Account) -> Hash {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&account.balance.base_units().to_le_bytes());
    bytes[8..].copy_from_slice(&account.nonce.to_le_bytes());
    STATE_VALUE.hash(&bytes)
}

/// The trie value of an entry already encoded: the tagged hash of `bytes`.
pub(crate) fn value_of_bytes(bytes: &[u8]) -> Hash {
    STATE_VALUE.hash(bytes)
}

/// The trie value of an entry: the tagged hash of its canonical bytes.
pub fn value_hash<T: Serialize>(value: &T) -> Result<Hash, CodecError> {
    Ok(STATE_VALUE.hash(&codec::encode(value)?))
}

/// The ledger state at one height.
///
/// ```
/// use flux_chain::genesis::Genesis;
/// let genesis = Genesis::devnet_example();
/// let state = genesis.state()?;
/// assert_eq!(state.tip().height, 0);
/// assert_eq!(state.ledger().supply, genesis.total()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct State {
    params: Arc<ChainParams>,
    areas: Areas,
    recent: OrdMap<u64, BlockId>,
    trie: Trie,
    /// Trie changes of blocks built with a deferred root, not yet in `trie`.
    pending: Vec<(Hash, Option<Hash>)>,
}

/// The changes one block makes, computed without touching the state; see [`State::commit`].
#[derive(Clone, Debug)]
pub struct StateDiff {
    /// What the block changes in each area of the state.
    pub areas: AreaDiffs,
    /// The parameters from the next block on, if a proposal changed them.
    pub params: Option<Arc<ChainParams>>,
    /// Recent block ids after the block.
    pub recent: OrdMap<u64, BlockId>,
    /// The state trie after the block (shares all untouched nodes with the old one); with a
    /// deferred root, the trie before it (the changes are in `pending`).
    pub trie: Trie,
    /// With a deferred root ([`crate::transition::RootMode::Deferred`]): the block's trie
    /// changes, queued by [`State::commit`] until a block with a root or
    /// [`State::flush_root`].
    pub pending: Vec<(Hash, Option<Hash>)>,
}

impl StateDiff {
    /// The state root after the block.
    pub fn state_root(&self) -> Hash {
        self.trie.root()
    }

    /// The block as the new tip.
    pub fn tip(&self) -> Tip {
        self.areas.head.tip
    }

    /// Totals after the block.
    pub fn ledger(&self) -> Ledger {
        self.areas.head.ledger
    }
}

impl State {
    /// A state from its parts; computes the trie. Used by genesis and by tests; parallel
    /// assets are added by [`State::with_parallel`]. `recent` holds the ids of the last
    /// [`RECENT_BLOCKS`] blocks by height (0: genesis).
    #[allow(clippy::too_many_arguments)] // the parts of the state, each named
    pub fn from_parts(
        params: Arc<ChainParams>,
        accounts: BTreeMap<Address, Account>,
        registry: Registry,
        apps: OrdMap<String, AppEntry>,
        placement: Placement,
        gov: Governance,
        work: Work,
        ledger: Ledger,
        tip: Tip,
        recent: OrdMap<u64, BlockId>,
    ) -> Result<State, CodecError> {
        let areas = Areas {
            head: Head { ledger, tip },
            accounts,
            nodes: registry,
            gov,
            work,
            parallel: Parallel::default(),
            apps: AppsState::new(apps, placement),
        };
        State::from_areas(params, areas, recent)
    }

    /// A state from its areas; computes the trie from every area's entries. Used by storage
    /// on reopen. `recent` holds the ids of the last [`RECENT_BLOCKS`] blocks by height.
    pub fn from_areas(
        params: Arc<ChainParams>,
        areas: Areas,
        recent: OrdMap<u64, BlockId>,
    ) -> Result<State, CodecError> {
        let mut changes = Vec::with_capacity(areas.accounts.len() + areas.nodes.len() + 2);
        areas.trie_entries(&mut changes)?;
        Ok(State {
            params,
            trie: Trie::new().update(changes),
            areas,
            recent,
            pending: Vec::new(),
        })
    }

    /// This state with `parallel` as its parallel-asset entries (genesis books, or what
    /// storage kept); the ledger's supply must already count their locked FLUX.
    pub fn with_parallel(mut self, parallel: Parallel) -> Result<State, CodecError> {
        let mut changes = Vec::new();
        ParallelArea::entries(&parallel, &mut changes)?;
        self.trie = self.trie.update(changes);
        self.areas.parallel = parallel;
        Ok(self)
    }

    /// The state's areas.
    pub fn areas(&self) -> &Areas {
        &self.areas
    }

    /// Parallel assets: books, swaps out, used burn references, swap keys, attesters.
    pub fn parallel(&self) -> &Parallel {
        &self.areas.parallel
    }

    /// The node registry.
    pub fn registry(&self) -> &Registry {
        &self.areas.nodes
    }

    /// Registered apps by name.
    pub fn apps(&self) -> &OrdMap<String, AppEntry> {
        &self.areas.apps.apps
    }

    /// Registered apps by expiry height, then name.
    pub fn expiries(&self) -> &OrdSet<(u64, String)> {
        &self.areas.apps.expiries
    }

    /// Where apps run.
    pub fn placement(&self) -> &Placement {
        &self.areas.apps.placement
    }

    /// xDAO governance: proposals, votes, parameter history, upgrades.
    pub fn gov(&self) -> &Governance {
        &self.areas.gov
    }

    /// Useful work: jobs, unpaid work units, strikes.
    pub fn work(&self) -> &Work {
        &self.areas.work
    }

    /// The id of the block at `height`, if it is among the recent ones.
    pub fn recent_block(&self, height: u64) -> Option<BlockId> {
        self.recent.get(&height).copied()
    }

    /// The recent block ids by height.
    pub fn recent_blocks(&self) -> &OrdMap<u64, BlockId> {
        &self.recent
    }

    /// Total value held: balances, the work pool, bonded collateral, app escrows, proposal
    /// deposits, job fees in escrow and FLUX locked for parallel assets. Equals the supply.
    pub fn total_held(&self) -> Result<Amount, flux_core::error::AmountError> {
        Amount::checked_sum(self.areas.accounts.values().map(|a| a.balance))?
            .checked_add(self.areas.head.ledger.work_pool)?
            .checked_add(self.areas.nodes.bonded())?
            .checked_add(Amount::checked_sum(
                self.areas.apps.apps.values().map(|a| a.escrow),
            )?)?
            .checked_add(self.areas.gov.deposits()?)?
            .checked_add(self.areas.work.escrow()?)?
            .checked_add(self.areas.parallel.locked()?)
    }

    /// The chain parameters.
    pub fn params(&self) -> &ChainParams {
        &self.params
    }

    /// A shared handle to the chain parameters.
    pub fn params_arc(&self) -> Arc<ChainParams> {
        Arc::clone(&self.params)
    }

    /// The account at `address` (the default, empty account if it never received anything).
    pub fn account(&self, address: &Address) -> Account {
        self.areas
            .accounts
            .get(address)
            .copied()
            .unwrap_or_default()
    }

    /// All accounts that exist, in address order.
    pub fn accounts(&self) -> &BTreeMap<Address, Account> {
        &self.areas.accounts
    }

    /// Chain-wide totals.
    pub fn ledger(&self) -> Ledger {
        self.areas.head.ledger
    }

    /// The last applied block.
    pub fn tip(&self) -> Tip {
        self.areas.head.tip
    }

    /// The committee seed after the last applied block: the committee of an epoch is drawn
    /// from the seed after the previous epoch's last block. A function of the chain's seed
    /// proofs only, so no proposer chooses it (see [`crate::consensus::committee`]).
    pub fn seed(&self) -> Hash {
        self.areas.head.tip.seed
    }

    /// The state root (the root of the state trie). After blocks built with a deferred root
    /// it is the root before them until [`State::flush_root`] (see [`State::root_pending`]).
    pub fn state_root(&self) -> Hash {
        self.trie.root()
    }

    /// The state root computed from scratch from the state's parts (what a node reopening
    /// the state from storage computes): a check of the root the transition maintains
    /// incrementally ([`State::state_root`]). Costs a full trie build.
    ///
    /// ```
    /// use flux_chain::genesis::Genesis;
    ///
    /// let state = Genesis::devnet_example().state()?;
    /// assert_eq!(state.recomputed_root()?, state.state_root());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recomputed_root(&self) -> Result<Hash, CodecError> {
        let rebuilt = State::from_areas(
            Arc::clone(&self.params),
            self.areas.clone(),
            self.recent.clone(),
        )?;
        Ok(rebuilt.state_root())
    }

    /// Whether trie changes of deferred-root blocks wait for [`State::flush_root`].
    pub fn root_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The trie changes of deferred-root blocks not yet in the trie, oldest first.
    pub fn pending_trie_changes(&self) -> &[(Hash, Option<Hash>)] {
        &self.pending
    }

    /// Applies the trie changes of deferred-root blocks: [`State::state_root`] is then this
    /// state's root again. Returns it.
    pub fn flush_root(&mut self) -> Hash {
        if !self.pending.is_empty() {
            self.trie = self.trie.update(std::mem::take(&mut self.pending));
        }
        self.trie.root()
    }

    /// The state trie.
    pub fn trie(&self) -> &Trie {
        &self.trie
    }

    /// A proof of `address`'s account (or of its absence) against [`State::state_root`].
    pub fn prove_account(&self, address: &Address) -> Result<AccountProof, CodecError> {
        let key = StateKey::Account(*address).trie_key()?;
        Ok(AccountProof {
            address: *address,
            account: self.areas.accounts.get(address).copied(),
            proof: self.trie.prove(&key),
        })
    }

    /// Applies a diff computed by [`crate::transition::apply_block`] on this state.
    pub fn commit(&mut self, diff: StateDiff) {
        self.areas.apply(diff.areas);
        if let Some(params) = diff.params {
            self.params = params;
        }
        self.recent = diff.recent;
        self.trie = diff.trie;
        if diff.pending.is_empty() {
            // A block with a root: its trie already holds every earlier pending change.
            self.pending.clear();
        } else {
            self.pending.extend(diff.pending);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_fast_paths_equal_the_codec() {
        let address = Address::from_bytes([0xab; 20]);
        let account = Account {
            balance: Amount::from_base_units(123_456_789),
            nonce: 42,
        };
        let generic_key = STATE_KEY.hash(&codec::encode(&StateKey::Account(address)).unwrap());
        assert_eq!(StateKey::Account(address).trie_key().unwrap(), generic_key);
        assert_eq!(account_value_hash(&account), value_hash(&account).unwrap());
    }
}
