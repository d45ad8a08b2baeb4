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
mod build;
mod ctx;
mod execute;
pub mod gov;
pub mod header;
mod hosting;
mod node;
mod overlay;
pub mod parallel;
pub mod payment;
pub mod reward;
mod slash;
pub mod transfer;
pub mod work;

use std::collections::BTreeSet;

use flux_core::{Address, Amount, codec};
use flux_nodes::node::NodeId;
use flux_nodes::registry::RegistryEvent;
use serde::{Deserialize, Serialize};

use crate::block::Block;
use crate::error::{BlockError, TxError};
use crate::state::{State, StateDiff};
use crate::tx::{Transaction, TxId};

pub use build::{BuildMode, BuiltBlock, CheckedBlock, build_block, propose_block};
pub(crate) use ctx::Ctx;
pub use header::{next_block_time, paced_block_time};
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

/// Transactions whose signatures the caller has already checked: the transition does not
/// check them again (every other rule still runs, and the result is the same as with full
/// verification).
///
/// A transaction's id hashes all of its bytes, its signature among them, and Ed25519
/// verification ([`flux_core::crypto`], ZIP 215 rules, batch or single alike) depends only on
/// those bytes: the same id verified once is the same answer every time. A node's
/// [`crate::mempool::Mempool`] admits only transactions whose signature it checked, so the ids
/// it holds are known good. That halves a validator's signature work: each transaction is
/// checked once on admission, not again in the block that carries it.
///
/// ```
/// use std::collections::BTreeSet;
/// use flux_chain::transition::KnownSignatures;
/// use flux_chain::tx::TxId;
///
/// let seen: BTreeSet<TxId> = [TxId(flux_core::Hash::ZERO)].into();
/// assert!(KnownSignatures::Ids(&seen).contains(&TxId(flux_core::Hash::ZERO)));
/// assert!(!KnownSignatures::None.contains(&TxId(flux_core::Hash::ZERO)));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub enum KnownSignatures<'a> {
    /// None: every signature is checked.
    #[default]
    None,
    /// Every transaction given (a proposer's candidates, all from its own mempool).
    All,
    /// The transactions with these ids.
    Ids(&'a BTreeSet<TxId>),
}

impl KnownSignatures<'_> {
    /// Whether the signature of the transaction `id` is known good.
    pub fn contains(&self, id: &TxId) -> bool {
        match self {
            KnownSignatures::None => false,
            KnownSignatures::All => true,
            KnownSignatures::Ids(ids) => ids.contains(id),
        }
    }
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

/// [`apply_block`] with a choice of [`Verification`]: `Full` is `apply_block`.
pub fn apply_block_with(
    state: &State,
    block: &Block,
    verification: Verification,
) -> Result<(StateDiff, Receipts), BlockError> {
    checked_apply(state, block, verification, &KnownSignatures::None)
}

/// [`apply_block`] that does not check again the signatures `known` names (see
/// [`KnownSignatures`]): a validator checking a proposal whose transactions its mempool
/// already holds. Valid blocks give the same diff and receipts as [`apply_block`]; a block
/// with a bad signature among the unknown transactions is refused the same way.
pub fn apply_block_known(
    state: &State,
    block: &Block,
    known: &KnownSignatures<'_>,
) -> Result<(StateDiff, Receipts), BlockError> {
    checked_apply(state, block, Verification::Full, known)
}

fn checked_apply(
    state: &State,
    block: &Block,
    verification: Verification,
    known: &KnownSignatures<'_>,
) -> Result<(StateDiff, Receipts), BlockError> {
    let (diff, receipts) = execute::execute(state, &block.header, &block.txs, verification, known)?;
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
    let prepared = execute::Prepared {
        id: Transaction::id_of_bytes(&bytes),
        sender: tx.sender_address(),
        bytes,
        payload_len,
    };
    let mut ctx = Ctx::new(state, state.tip().height + 1, Verification::Full);
    let mut account = ctx.overlay.get(&prepared.sender);
    account.nonce = tx.nonce;
    ctx.overlay.set(prepared.sender, account);
    execute::apply_tx(&mut ctx, tx, &prepared).map(drop)
}

#[cfg(test)]
mod tests;
