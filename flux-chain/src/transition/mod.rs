//! The state transition: `apply_block(&state, &block) -> (StateDiff, Receipts)`.
//!
//! Pure and deterministic: the same state and block give the same diff on every node; nothing
//! here reads a clock, a file or a random number. The order of checks is fixed: header, sizes,
//! transaction root, stateless transaction rules, all signatures in one batch, then each
//! transaction against the state in block order, fees to the proposer, the block reward, the
//! state root. The first broken rule rejects the whole block with a [`BlockError`] that says
//! which; the state is never touched (the diff is applied by [`State::commit`]).
//!
//! Each transaction kind has its rule in its own module ([`transfer`]); the block reward is in
//! [`reward`].

pub mod app;
pub mod gov;
pub mod header;
mod hosting;
mod node;
mod overlay;
pub mod parallel;
pub mod reward;
mod slash;
pub mod transfer;
pub mod work;

use flux_core::crypto::{BatchItem, Domain, SecretKey, verify_batch_committed};
use flux_core::error::SignatureError;
use std::collections::{BTreeMap, BTreeSet};

use flux_core::{Address, Amount, codec};
use flux_nodes::node::NodeId;
use flux_nodes::registry::{Registry, RegistryEvent};
use serde::{Deserialize, Serialize};

use crate::block::{Block, Header, tx_root};
use crate::error::{BlockError, TxError};
use crate::state::areas::{AppsDiff, AppsState, GovDiff, Head, NodesDiff, ParallelDiff, WorkDiff};
use crate::state::{AreaDiffs, RECENT_BLOCKS, State, StateDiff, StateKey, Tip};
use crate::tx::{Transaction, TxId, TxKind};

pub use header::next_block_time;
use header::{check_header, next_seed};
use overlay::Overlay;
pub use reward::{Payee, Reward, RewardShare};

/// What a transaction did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Value moved between accounts.
    Transfer {
        /// Payer.
        from: Address,
        /// Payee.
        to: Address,
        /// How much.
        amount: Amount,
    },
    /// A node registry change.
    Node(RegistryEvent),
    /// An app lifecycle change.
    App(app::AppEvent),
    /// A proposal was made.
    Proposed {
        /// Its number.
        id: u64,
    },
    /// A compute-job change (submission, assignment, commitment, reveal).
    Job(work::JobEvent),
    /// A parallel-asset change (swap out, swap in, swap key).
    Swap(parallel::SwapEvent),
    /// A validator was slashed for equivocating; the amount left the supply.
    Slashed {
        /// The offender.
        node: NodeId,
        /// Collateral burned.
        amount: Amount,
    },
}

/// The receipt of one transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxReceipt {
    /// The transaction.
    pub id: TxId,
    /// Fee paid to the proposer.
    pub fee: Amount,
    /// What it did.
    pub events: Vec<Event>,
}

/// Everything a block did, for indexers and wallets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipts {
    /// The block's height.
    pub height: u64,
    /// One receipt per transaction, in block order.
    pub txs: Vec<TxReceipt>,
    /// Fees collected by the proposer.
    pub fees: Amount,
    /// Node deadlines that fired at the start of the block (DoS, expiry, releases).
    pub nodes: Vec<RegistryEvent>,
    /// Apps that expired at the end of the block.
    pub apps: Vec<app::AppEvent>,
    /// Streamed from app escrows to the owners of hosting nodes this block.
    pub hosting: Amount,
    /// The block reward, share by share.
    pub rewards: Vec<Reward>,
    /// Job phases, acceptances, refunds, strikes and pool payouts at the end of the block.
    pub work: Vec<work::JobEvent>,
}

/// How much of a block the transition checks.
///
/// [`Verification::Full`] is the default and the only mode for blocks from anyone else.
/// [`Verification::AssumeValid`] is an explicit opt-in, like Bitcoin Core's `assumevalid`, for
/// blocks whose signatures carry no information: a simulation that holds every key in one
/// process (`flux sim --fast`), or a block this node built from transactions it has already
/// verified. It skips the signatures, and only them: the batch check of the transactions'
/// signatures, and the peer attestations of confirms and hosting reports (a quorum of
/// signatures, assumed met: a confirm's attestations are ignored). Every other rule runs as in
/// full verification (header, sizes, roots, nonces, balances, each kind's rule, the lifecycle
/// windows, a confirm's seed age and tier minima), so a block valid under full verification
/// yields the same state under either; a block whose signatures or attestations are missing
/// is valid only under `AssumeValid`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verification {
    /// Every rule, every signature.
    #[default]
    Full,
    /// Every rule except the transactions' signatures (assumed valid).
    AssumeValid,
}

/// When the builder computes the state root.
///
/// [`RootMode::EveryBlock`] is the default and what every block that leaves the process needs.
/// [`RootMode::Deferred`] is for simulations that need the root only at checkpoints: the block's
/// header carries a zero state root (so [`apply_block`] would reject it), and its trie changes
/// are queued in the state by [`State::commit`]; the next block built with a root, or
/// [`State::flush_root`], applies them all in one batch (cheaper than block by block: the upper
/// trie levels are hashed once). Everything else about the block is the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RootMode {
    /// The header carries the state root after the block.
    #[default]
    EveryBlock,
    /// The header's state root is zero; the trie changes wait in the state.
    Deferred,
}

/// A block [`build_block_with`] built, with what applying it does (so the builder need not
/// apply it a second time).
#[derive(Clone, Debug)]
pub struct BuiltBlock {
    /// The block.
    pub block: Block,
    /// Its changes to the state ([`State::commit`] them).
    pub diff: StateDiff,
    /// What it did.
    pub receipts: Receipts,
    /// The candidate transactions left out, with the rule each broke.
    pub dropped: Vec<(TxId, TxError)>,
}

/// [`apply_block`] with a choice of [`Verification`]: `Full` is `apply_block`.
pub fn apply_block_with(
    state: &State,
    block: &Block,
    verification: Verification,
) -> Result<(StateDiff, Receipts), BlockError> {
    let (diff, receipts, _) = execute(
        state,
        &block.header,
        &block.txs,
        verification,
        TxRoot::Check,
        RootMode::EveryBlock,
    )?;
    let computed = diff.state_root();
    if computed != block.header.state_root {
        return Err(BlockError::StateRootMismatch {
            computed,
            found: block.header.state_root,
        });
    }
    Ok((diff, receipts))
}

/// Checks `block` against `state` and computes what it changes. See the module docs.
///
/// ```
/// use flux_chain::genesis::Genesis;
/// use flux_chain::transition::{apply_block, build_block};
/// use flux_core::crypto::{Scheme, SecretKey};
///
/// let mut state = Genesis::devnet_example().state()?;
/// let proposer = SecretKey::from_bytes(Scheme::Ed25519, &[9; 32])?;
/// let block = build_block(&state, &proposer, state.tip().timestamp_ms + 1_000, vec![], vec![])?;
/// let (diff, receipts) = apply_block(&state, &block)?;
/// state.commit(diff);
/// assert_eq!(state.tip().height, 1);
/// assert_eq!(state.state_root(), block.header.state_root);
/// assert!(!receipts.rewards.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn apply_block(state: &State, block: &Block) -> Result<(StateDiff, Receipts), BlockError> {
    apply_block_with(state, block, Verification::Full)
}

/// Builds the next block on `state` from `txs` (in order), proposed by `proposer` (an Ed25519
/// key: it makes the block's seed proof): computes the seed proof and the transaction and state
/// roots. Fails with the same errors `apply_block` would give.
pub fn build_block(
    state: &State,
    proposer: &SecretKey,
    timestamp_ms: u64,
    consensus: Vec<u8>,
    txs: Vec<Transaction>,
) -> Result<Block, BlockError> {
    let header = next_header(state, proposer, timestamp_ms, consensus)?;
    let (header, _, _) = build_once(
        state,
        header,
        &txs,
        Verification::Full,
        RootMode::EveryBlock,
    )?;
    Ok(Block { header, txs })
}

/// The next header on `state` by `proposer`, with its seed proof and zero transaction and
/// state roots (filled in by [`build_once`]).
fn next_header(
    state: &State,
    proposer: &SecretKey,
    timestamp_ms: u64,
    consensus: Vec<u8>,
) -> Result<Header, BlockError> {
    Ok(Header {
        chain_id: state.params().chain_id,
        height: state.tip().height.saturating_add(1),
        parent: state.tip().block_id,
        timestamp_ms,
        proposer: proposer.public_key(),
        seed_proof: header::seed_proof(state, proposer)?,
        tx_root: flux_core::Hash::ZERO,
        state_root: flux_core::Hash::ZERO,
        consensus,
    })
}

/// Executes `txs` under `header` and fills in its roots; the diff's tip then carries the
/// finished header's id (execution saw the header without its roots).
fn build_once(
    state: &State,
    mut header: Header,
    txs: &[Transaction],
    verification: Verification,
    root: RootMode,
) -> Result<(Header, StateDiff, Receipts), BlockError> {
    let (mut diff, receipts, tx_root) =
        execute(state, &header, txs, verification, TxRoot::Compute, root)?;
    header.tx_root = tx_root;
    header.state_root = match root {
        RootMode::EveryBlock => diff.state_root(),
        RootMode::Deferred => flux_core::Hash::ZERO,
    };
    let id = header.id()?;
    diff.areas.head.tip.block_id = id;
    diff.recent.insert(header.height, id);
    Ok((header, diff, receipts))
}

/// Builds the next block from candidate transactions (e.g. [`crate::mempool::Mempool::select`]),
/// leaving out each one that breaks a rule (its kind's, a nonce after an earlier drop, ...):
/// returns the block and what was left out, with why. Fails only for errors of the block itself
/// (a header rule, the supply cap), never because of one bad transaction.
///
/// ```
/// use flux_chain::genesis::Genesis;
/// use flux_chain::transition::build_block_from;
/// use flux_chain::tx::{Transaction, TxKind, Transfer};
/// use flux_core::crypto::{Scheme, SecretKey};
/// use flux_core::{Address, Amount};
///
/// let state = Genesis::devnet_example().state()?;
/// let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
/// let pay = |amount| TxKind::Transfer(Transfer { to: Address::from_bytes([5; 20]), amount });
/// let good = Transaction::sign(&alice, state.params().chain_id, 0, Amount::ZERO, pay(Amount::ONE_FLUX))?;
/// let bad = Transaction::sign(&alice, state.params().chain_id, 1, Amount::ZERO, pay(Amount::ZERO))?;
/// let time = state.tip().timestamp_ms + 1_000;
/// let (block, dropped) = build_block_from(&state, &alice, time, vec![], vec![good, bad])?;
/// assert_eq!((block.txs.len(), dropped.len()), (1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_block_from(
    state: &State,
    proposer: &SecretKey,
    timestamp_ms: u64,
    consensus: Vec<u8>,
    txs: Vec<Transaction>,
) -> Result<(Block, Vec<(TxId, TxError)>), BlockError> {
    let built = build_block_with(
        state,
        proposer,
        timestamp_ms,
        consensus,
        txs,
        Verification::Full,
        RootMode::EveryBlock,
    )?;
    Ok((built.block, built.dropped))
}

/// [`build_block_from`] with a choice of [`Verification`] and [`RootMode`], returning the
/// block's diff and receipts too: the builder commits the diff instead of applying its own
/// block again. With `Full` and `EveryBlock` the block is the one `build_block_from` builds
/// (with [`Verification::AssumeValid`] a transaction with a bad signature is not left out, so
/// give it only transactions whose signatures are known good).
pub fn build_block_with(
    state: &State,
    proposer: &SecretKey,
    timestamp_ms: u64,
    consensus: Vec<u8>,
    mut txs: Vec<Transaction>,
    verification: Verification,
    root: RootMode,
) -> Result<BuiltBlock, BlockError> {
    let mut dropped = Vec::new();
    let header = next_header(state, proposer, timestamp_ms, consensus)?;
    loop {
        match build_once(state, header.clone(), &txs, verification, root) {
            Ok((header, diff, receipts)) => {
                return Ok(BuiltBlock {
                    block: Block { header, txs },
                    diff,
                    receipts,
                    dropped,
                });
            }
            Err(BlockError::Tx { index, id, source }) if index < txs.len() => {
                txs.remove(index);
                dropped.push((id, source));
            }
            Err(other) => return Err(other),
        }
    }
}

/// One transaction, encoded once: its id, size and signed payload.
struct Prepared {
    id: TxId,
    sender: Address,
    /// The canonical bytes; the signed payload is `bytes[..payload_len]`.
    bytes: Vec<u8>,
    payload_len: usize,
}

impl<'a> Ctx<'a> {
    /// A fresh context for the block at `height` on `state` (the maps are persistent, so the
    /// clones are cheap).
    fn new(state: &'a State, height: u64, verification: Verification) -> Ctx<'a> {
        Ctx {
            state,
            height,
            verification,
            assumed_params: None,
            overlay: Overlay::new(state),
            registry: state.registry().clone(),
            touched: BTreeSet::new(),
            apps: state.apps().clone(),
            expiries: state.expiries().clone(),
            hosting: Amount::ZERO,
            placement: state.placement().clone(),
            apps_touched: BTreeSet::new(),
            capacity_freed: false,
            gov: state.gov().clone(),
            gov_changes: gov::GovChanges::default(),
            work: state.work().clone(),
            work_changes: work::WorkChanges::default(),
            work_events: Vec::new(),
            parallel: state.parallel().clone(),
            parallel_changes: BTreeSet::new(),
            burned: Amount::ZERO,
        }
    }
}

/// Checks `tx`'s own rule against `state` as if it were the next block's first transaction
/// from its sender at its nonce: what a node's API runs before it admits a transaction whose
/// kind depends on the state (an app's price, a vote's snapshot, a job's phase...), so the
/// submitter hears why at once instead of waiting for a block that leaves it out. Signatures
/// and the sender's nonce are not checked here (the mempool does both); the block's deadlines
/// are not run first, so a rule that depends on them may still differ in the block.
///
/// ```
/// use flux_chain::genesis::Genesis;
/// use flux_chain::transition::dry_run;
/// use flux_chain::tx::{Transaction, TxKind, Transfer};
/// use flux_core::crypto::{Scheme, SecretKey};
/// use flux_core::{Address, Amount};
///
/// let state = Genesis::devnet_example().state()?;
/// let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
/// let pay = |amount| TxKind::Transfer(Transfer { to: Address::from_bytes([5; 20]), amount });
/// let ok = Transaction::sign(&alice, state.params().chain_id, 0, Amount::ZERO, pay(Amount::ONE_FLUX))?;
/// assert!(dry_run(&state, &ok).is_ok());
/// let zero = Transaction::sign(&alice, state.params().chain_id, 0, Amount::ZERO, pay(Amount::ZERO))?;
/// assert!(dry_run(&state, &zero).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dry_run(state: &State, tx: &Transaction) -> Result<(), TxError> {
    let bytes = codec::encode(tx)?;
    let payload_len = tx.payload_of_bytes(&bytes)?.len();
    let prepared = Prepared {
        id: Transaction::id_of_bytes(&bytes),
        sender: tx.sender_address(),
        bytes,
        payload_len,
    };
    let mut ctx = Ctx::new(state, state.tip().height + 1, Verification::Full);
    let mut account = ctx.overlay.get(&prepared.sender);
    account.nonce = tx.nonce;
    ctx.overlay.set(prepared.sender, account);
    apply_tx(&mut ctx, tx, &prepared).map(drop)
}

/// Whether `execute` checks the header's transaction root (applying a block) or computes it
/// (building one: the caller puts it in the header).
#[derive(Clone, Copy, PartialEq, Eq)]
enum TxRoot {
    Check,
    Compute,
}

fn execute(
    state: &State,
    header: &Header,
    txs: &[Transaction],
    verification: Verification,
    tx_root_mode: TxRoot,
    root: RootMode,
) -> Result<(StateDiff, Receipts, flux_core::Hash), BlockError> {
    let params = state.params();
    check_header(state, header, txs.len())?;
    let seed = next_seed(state, header, verification)?;

    // Encode each transaction once: size, id, signed payload.
    let mut prepared = Vec::with_capacity(txs.len());
    let mut size = codec::encoded_len(header)? + 8;
    for (index, tx) in txs.iter().enumerate() {
        let bytes = codec::encode(tx)?;
        let id = Transaction::id_of_bytes(&bytes);
        let tx_err = |source: TxError| BlockError::Tx { index, id, source };
        size += bytes.len() as u64;
        tx.check_stateless(params, bytes.len() as u64)
            .map_err(tx_err)?;
        let payload_len = tx
            .payload_of_bytes(&bytes)
            .map_err(|e| tx_err(e.into()))?
            .len();
        prepared.push(Prepared {
            id,
            sender: tx.sender_address(),
            bytes,
            payload_len,
        });
    }
    if size > params.limits.max_block_bytes {
        return Err(BlockError::TooLarge {
            size,
            max: params.limits.max_block_bytes,
        });
    }
    let ids: Vec<TxId> = prepared.iter().map(|p| p.id).collect();
    let computed = tx_root(&ids);
    if tx_root_mode == TxRoot::Check && computed != header.tx_root {
        return Err(BlockError::TxRootMismatch {
            computed,
            found: header.tx_root,
        });
    }

    // Every signature, in one batch. The transaction root commits to every transaction's full
    // bytes (key, payload with chain id, signature), so it seeds the batch coefficients.
    if verification == Verification::Full {
        verify_signatures(txs, &prepared, &ids, &computed)?;
    }
    let (diff, receipts) =
        execute_checked(state, header, txs, &prepared, verification, root, seed)?;
    Ok((diff, receipts, computed))
}

fn verify_signatures(
    txs: &[Transaction],
    prepared: &[Prepared],
    ids: &[TxId],
    computed: &flux_core::Hash,
) -> Result<(), BlockError> {
    let items: Vec<BatchItem<'_>> = txs
        .iter()
        .zip(prepared)
        .map(|(tx, p)| BatchItem {
            domain: Domain::TRANSACTION,
            chain_id: tx.chain_id,
            message: &p.bytes[..p.payload_len],
            public_key: &tx.sender,
            signature: &tx.signature,
        })
        .collect();
    verify_batch_committed(&items, computed).map_err(|e| match e {
        SignatureError::BatchItem { index, source } => BlockError::Tx {
            index,
            id: ids[index],
            source: TxError::Signature(*source),
        },
        other => BlockError::Signatures(other),
    })
}

/// The state part of the transition, once the block's form and signatures are checked.
fn execute_checked(
    state: &State,
    header: &Header,
    txs: &[Transaction],
    prepared: &[Prepared],
    verification: Verification,
    root: RootMode,
    seed: flux_core::Hash,
) -> Result<(StateDiff, Receipts), BlockError> {
    let params = state.params();

    // Node deadlines due at this height fire before the transactions.
    let mut ctx = Ctx::new(state, header.height, verification);
    let node_events = ctx
        .registry
        .on_block(header.height, params)
        .map_err(|e| BlockError::Deadlines(e.into()))?;
    parallel::draw_attesters(&mut ctx).map_err(|e| BlockError::Deadlines(e.into()))?;
    for event in &node_events {
        ctx.touched.insert(event.node());
        if let RegistryEvent::Released { owner, amount, .. } = event {
            ctx.overlay.credit(*owner, *amount)?;
        }
    }

    // Transactions against the state, in order.
    let mut receipts = Vec::with_capacity(txs.len());
    let mut fees = Amount::ZERO;
    for (index, (tx, p)) in txs.iter().zip(prepared).enumerate() {
        let receipt = apply_tx(&mut ctx, tx, p).map_err(|source| BlockError::Tx {
            index,
            id: p.id,
            source,
        })?;
        fees = fees.checked_add(tx.fee)?;
        receipts.push(receipt);
    }
    let proposer = Address::from_public_key(&header.proposer);
    ctx.overlay.credit(proposer, fees)?;
    let (app_events, hosting) = app::settle(&mut ctx)?;

    let mut ledger = state.ledger();
    ledger.supply = ledger.supply.checked_sub(ctx.burned)?;
    let rewards = reward::pay_block_reward(&mut ctx, &mut ledger, params)?;
    let mut next_params = None;
    gov::settle(&mut ctx, &mut next_params)?;
    work::settle(&mut ctx)?;
    work::pay_pool(&mut ctx, &mut ledger)?;

    let Ctx {
        overlay,
        registry,
        touched,
        apps,
        expiries,
        placement,
        apps_touched,
        gov,
        gov_changes,
        work,
        work_changes,
        work_events,
        parallel,
        parallel_changes,
        ..
    } = ctx;
    let apps_changed: BTreeMap<String, _> = apps_touched
        .iter()
        .map(|name| (name.clone(), apps.get(name).cloned()))
        .collect();
    let placement_changed: BTreeMap<String, _> = apps_touched
        .into_iter()
        .map(|name| {
            let placed = placement.instances_of(&name);
            (name, placed)
        })
        .collect();
    let nodes: BTreeMap<NodeId, _> = touched
        .into_iter()
        .map(|id| (id, registry.get(&id).cloned()))
        .collect();
    let tip = Tip {
        height: header.height,
        block_id: header.id()?,
        timestamp_ms: header.timestamp_ms,
        seed,
    };
    let areas = AreaDiffs {
        head: Head { ledger, tip },
        accounts: overlay.into_changes(),
        nodes: NodesDiff {
            registry,
            changed: nodes,
        },
        gov: GovDiff {
            gov,
            changes: gov_changes,
        },
        work: WorkDiff {
            work,
            changes: work_changes,
        },
        parallel: ParallelDiff {
            parallel,
            changes: parallel_changes,
        },
        apps: AppsDiff {
            after: AppsState {
                apps,
                expiries,
                placement,
            },
            changed: apps_changed,
            placement_changed,
        },
    };
    let mut changes = Vec::with_capacity(areas.accounts.len() + areas.nodes.changed.len() + 2);
    areas.trie_changes(&mut changes)?;
    let (trie, pending) = match root {
        // Earlier deferred blocks' changes first, then this block's (the last change of a key
        // wins).
        RootMode::EveryBlock if state.root_pending() => {
            let mut all = state.pending_trie_changes().to_vec();
            all.extend(changes);
            (state.trie().update(all), Vec::new())
        }
        RootMode::EveryBlock => (state.trie().update(changes), Vec::new()),
        // Never empty (the ledger changes every block), which tells `State::commit` to queue.
        RootMode::Deferred => (state.trie().clone(), changes),
    };
    let tip = areas.head.tip;
    let mut recent = state.recent_blocks().clone();
    recent.insert(tip.height, tip.block_id);
    if let Some(old) = tip.height.checked_sub(RECENT_BLOCKS) {
        recent.remove(&old);
    }
    Ok((
        StateDiff {
            areas,
            params: next_params.map(std::sync::Arc::new),
            recent,
            trie,
            pending,
        },
        Receipts {
            height: header.height,
            txs: receipts,
            fees,
            nodes: node_events,
            apps: app_events,
            hosting,
            rewards,
            work: work_events,
        },
    ))
}

/// What a block's transactions and reward work on.
pub(crate) struct Ctx<'s> {
    pub(crate) state: &'s State,
    pub(crate) height: u64,
    /// Whether signatures are checked.
    pub(crate) verification: Verification,
    /// Under [`Verification::AssumeValid`]: the parameters with no attestation quorum, made
    /// on the first confirm of the block.
    pub(crate) assumed_params: Option<std::sync::Arc<flux_core::ChainParams>>,
    pub(crate) overlay: Overlay<'s>,
    pub(crate) registry: Registry,
    /// Nodes whose entries changed.
    pub(crate) touched: BTreeSet<NodeId>,
    pub(crate) apps: imbl::OrdMap<String, crate::apps::AppEntry>,
    /// Apps by expiry height.
    pub(crate) expiries: imbl::OrdSet<(u64, String)>,
    /// Streamed from app escrows to hosts' owners during the block.
    pub(crate) hosting: Amount,
    pub(crate) placement: flux_nodes::placement::Placement,
    /// Apps whose entry or placement changed.
    pub(crate) apps_touched: BTreeSet<String>,
    /// Whether capacity appeared (a node joined, an app ended): unplaced instances are retried.
    pub(crate) capacity_freed: bool,
    pub(crate) gov: crate::gov::Governance,
    pub(crate) gov_changes: gov::GovChanges,
    pub(crate) work: crate::work::Work,
    pub(crate) work_changes: work::WorkChanges,
    /// End-of-block job and pool events.
    pub(crate) work_events: Vec<work::JobEvent>,
    pub(crate) parallel: crate::parallel::Parallel,
    /// Parallel-asset entries that changed.
    pub(crate) parallel_changes: BTreeSet<StateKey>,
    /// Slashed collateral, burned: it leaves the supply.
    pub(crate) burned: Amount,
}

/// The rules every transaction follows (nonce, fee), then its kind's own rule.
fn apply_tx(ctx: &mut Ctx<'_>, tx: &Transaction, p: &Prepared) -> Result<TxReceipt, TxError> {
    let overlay = &mut ctx.overlay;
    let mut account = overlay.get(&p.sender);
    if tx.nonce != account.nonce {
        return Err(TxError::BadNonce {
            expected: account.nonce,
            found: tx.nonce,
        });
    }
    let needed = tx.max_cost(ctx.state.params())?;
    if account.balance < needed {
        return Err(TxError::InsufficientBalance {
            sender: p.sender,
            needed,
            available: account.balance,
        });
    }
    account.balance = account.balance.checked_sub(tx.fee)?;
    account.nonce = account.nonce.checked_add(1).ok_or(TxError::BadNonce {
        expected: account.nonce,
        found: tx.nonce,
    })?;
    overlay.set(p.sender, account);
    let events = match &tx.kind {
        TxKind::Transfer(t) => transfer::apply(overlay, p.sender, t)?,
        TxKind::NodeStart(s) => node::start(ctx, p.sender, s)?,
        TxKind::NodeConfirm(c) => node::confirm(ctx, &tx.sender, c)?,
        TxKind::NodeUpdateEndpoint(u) => node::update_endpoint(ctx, &tx.sender, u)?,
        TxKind::NodeExit(x) => node::exit(ctx, p.sender, x)?,
        TxKind::AppRegister(a) => app::register(ctx, p.sender, a)?,
        TxKind::AppUpdate(a) => app::update(ctx, p.sender, a)?,
        TxKind::AppCancel(c) => app::cancel(ctx, p.sender, c)?,
        TxKind::GovPropose(g) => gov::propose(ctx, p.sender, g)?,
        TxKind::GovVote(v) => gov::vote(ctx, p.sender, v)?,
        TxKind::Evidence(e) => slash::apply(ctx, e)?,
        TxKind::JobSubmit(j) => work::submit(ctx, p.sender, p.id, j)?,
        TxKind::WorkCommit(c) => work::commit(ctx, &tx.sender, c)?,
        TxKind::WorkReveal(r) => work::reveal(ctx, &tx.sender, p.id, r)?,
        TxKind::HostingReport(r) => hosting::report(ctx, &tx.sender, r)?,
        TxKind::SwapOut(s) => parallel::swap_out(ctx, p.sender, p.id, s)?,
        TxKind::SwapIn(s) => parallel::swap_in(ctx, p.id, s)?,
        TxKind::SwapKeyRegister(r) => parallel::register_key(ctx, &tx.sender, r)?,
    };
    Ok(TxReceipt {
        id: p.id,
        fee: tx.fee,
        events,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::genesis::Genesis;
    use crate::tx::Transfer;
    use flux_core::crypto::{Scheme, SecretKey, Signature};

    /// The builder's diff is the one applying its block gives, under either verification.
    #[test]
    fn built_diff_equals_applied_diff() {
        let state = Genesis::devnet_example().state().unwrap();
        let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32]).unwrap();
        let pay = TxKind::Transfer(Transfer {
            to: Address::from_bytes([5; 20]),
            amount: Amount::ONE_FLUX,
        });
        let chain_id = state.params().chain_id;
        let tx = Transaction::sign(&alice, chain_id, 0, Amount::ZERO, pay.clone()).unwrap();
        let time = state.tip().timestamp_ms + 1_000;
        for verification in [Verification::Full, Verification::AssumeValid] {
            let built = build_block_with(
                &state,
                &alice,
                time,
                vec![],
                vec![tx.clone()],
                verification,
                RootMode::EveryBlock,
            )
            .unwrap();
            let (diff, receipts) = apply_block(&state, &built.block).unwrap();
            assert_eq!(built.diff.tip(), diff.tip());
            assert_eq!(built.diff.state_root(), diff.state_root());
            assert_eq!(built.diff.recent, diff.recent);
            assert_eq!(built.receipts, receipts);
        }
        // A placeholder signature passes only when signatures are assumed valid.
        let mut unsigned = tx;
        unsigned.signature = Signature::Ed25519([0; 64]);
        let built = build_block_with(
            &state,
            &alice,
            time,
            vec![],
            vec![unsigned.clone()],
            Verification::AssumeValid,
            RootMode::EveryBlock,
        )
        .unwrap();
        assert_eq!(built.block.txs.len(), 1);
        assert!(apply_block(&state, &built.block).is_err());
        let (_, dropped) = build_block_from(&state, &alice, time, vec![], vec![unsigned]).unwrap();
        assert_eq!(dropped.len(), 1);
    }

    /// Deferred roots: blocks with a zero root, then a block with a root, end at the root the
    /// same blocks built every-block give (block ids differ: the headers do).
    #[test]
    fn a_deferred_root_catches_up() {
        let genesis = Genesis::devnet_example();
        let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32]).unwrap();
        let chain_id = genesis.state().unwrap().params().chain_id;
        let run = |modes: &[RootMode]| {
            let mut state = genesis.state().unwrap();
            for (i, mode) in modes.iter().enumerate() {
                let pay = TxKind::Transfer(Transfer {
                    to: Address::from_bytes([5 + i as u8; 20]),
                    amount: Amount::ONE_FLUX,
                });
                let tx = Transaction::sign(&alice, chain_id, i as u64, Amount::ZERO, pay).unwrap();
                let time = state.tip().timestamp_ms + 1_000;
                let built = build_block_with(
                    &state,
                    &alice,
                    time,
                    vec![],
                    vec![tx],
                    Verification::Full,
                    *mode,
                )
                .unwrap();
                if *mode == RootMode::Deferred {
                    assert_eq!(built.block.header.state_root, flux_core::Hash::ZERO);
                }
                state.commit(built.diff);
            }
            state
        };
        use RootMode::{Deferred, EveryBlock};
        let every = run(&[EveryBlock, EveryBlock, EveryBlock]);
        let caught_up = run(&[Deferred, Deferred, EveryBlock]);
        assert!(!caught_up.root_pending());
        assert_eq!(caught_up.state_root(), every.state_root());
        let mut flushed = run(&[EveryBlock, Deferred, Deferred]);
        assert!(flushed.root_pending());
        assert_eq!(flushed.flush_root(), every.state_root());
        // The root is a function of the state: recomputed from its parts, the same.
        assert_eq!(flushed.recomputed_root().unwrap(), every.state_root());
    }
}
