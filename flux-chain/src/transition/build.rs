//! Building a block: the proposer's side of the transition. The candidate transactions run
//! once: each refused one is rolled back and left out, and the result is the block with its
//! diff and receipts, ready to commit without running it again.

use flux_core::crypto::SecretKey;

use super::execute::{Execution, Prepared, check_size, verify_signatures};
use super::header::{self, check_header, next_seed};
use super::{KnownSignatures, Receipts, RootMode, Verification};
use crate::block::{Block, Header, tx_root};
use crate::error::{BlockError, TxError};
use crate::state::{State, StateDiff};
use crate::tx::{Transaction, TxId};

/// A block [`propose_block`] built, with what applying it does (so the builder need not
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
    /// Whether every rule ran: full verification and the state root in the header.
    checked: bool,
}

impl BuiltBlock {
    /// The block as a [`CheckedBlock`] for [`crate::chain::Chain::commit_checked`]: the
    /// proposer commits what it built without executing it again. `None` if it was built
    /// under [`Verification::AssumeValid`] or [`RootMode::Deferred`] (not every rule ran).
    pub fn into_checked(self) -> Option<CheckedBlock> {
        self.checked
            .then(|| CheckedBlock::new(self.block, self.diff, self.receipts))
    }
}

/// The block of exactly `txs` (in order) on `state`, proposed by `proposer` (an Ed25519 key:
/// it makes the block's seed proof): computes the seed proof and the transaction and state
/// roots. Fails with the same errors `apply_block` would give, a refused transaction's among
/// them (to leave refused transactions out instead, see [`propose_block`]).
pub fn build_block(
    state: &State,
    proposer: &SecretKey,
    timestamp_ms: u64,
    consensus: Vec<u8>,
    txs: Vec<Transaction>,
) -> Result<Block, BlockError> {
    let header = next_header(state, proposer, timestamp_ms, consensus)?;
    let built = build(
        state,
        header,
        txs,
        BuildMode::CHECKED,
        Refusals::RejectBlock,
    )?;
    Ok(built.block)
}

/// The next header on `state` by `proposer`, with its seed proof and zero transaction and
/// state roots (filled in by [`build`]).
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

/// How [`propose_block`] runs the candidates: which rules it checks ([`Verification`]) and
/// when it computes the state root ([`RootMode`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuildMode {
    /// Which rules run (with [`Verification::AssumeValid`] a transaction with a bad signature
    /// is not left out, so give it only transactions whose signatures are known good).
    pub verification: Verification,
    /// Whether the header carries the state root.
    pub root: RootMode,
    /// Whether the caller has checked every candidate's signature already (they come from its
    /// mempool, which admits only checked signatures; see [`super::KnownSignatures`]): the
    /// builder does not check them again. Every other rule still runs, and the block is still
    /// checked ([`BuiltBlock::into_checked`]) under full verification.
    pub candidates_known: bool,
}

impl BuildMode {
    /// Every rule and the state root: the block any validator accepts, which the builder may
    /// commit as is ([`BuiltBlock::into_checked`]). The default.
    pub const CHECKED: BuildMode = BuildMode {
        verification: Verification::Full,
        root: RootMode::EveryBlock,
        candidates_known: false,
    };

    /// [`BuildMode::CHECKED`] for candidates whose signatures the caller checked already (a
    /// proposer's own mempool): the same block, without checking each signature a second time.
    pub const CHECKED_KNOWN: BuildMode = BuildMode {
        candidates_known: true,
        ..BuildMode::CHECKED
    };
}

/// The proposer's block: builds the next block on `state` from candidate transactions (e.g.
/// [`crate::mempool::Mempool::select`], in order), proposed by `proposer`, leaving out each one
/// that breaks a rule (its kind's, a nonce after an earlier drop, ...) with why
/// ([`BuiltBlock::dropped`]). Fails only for errors of the block itself (a header rule, the
/// supply cap), never because of one bad transaction. Returns the block's diff and receipts
/// too: the builder commits the diff (or [`BuiltBlock::into_checked`]) instead of applying its
/// own block again. For a block of exactly the given transactions (an error if one breaks a
/// rule), see [`build_block`].
///
/// The block is executed once: a refused transaction is rolled back and left out, and the
/// ones after it run on the state without it (the block is the one that restarting without
/// it would build).
///
/// ```
/// use flux_chain::genesis::Genesis;
/// use flux_chain::transition::{BuildMode, propose_block};
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
/// let built = propose_block(&state, &alice, time, vec![], vec![good, bad], BuildMode::CHECKED)?;
/// assert_eq!((built.block.txs.len(), built.dropped.len()), (1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn propose_block(
    state: &State,
    proposer: &SecretKey,
    timestamp_ms: u64,
    consensus: Vec<u8>,
    candidates: Vec<Transaction>,
    mode: BuildMode,
) -> Result<BuiltBlock, BlockError> {
    let header = next_header(state, proposer, timestamp_ms, consensus)?;
    build(state, header, candidates, mode, Refusals::LeaveOut)
}

/// A block validated on a chain's tip, ready to commit
/// ([`Chain::check`](crate::chain::Chain::check), [`BuiltBlock::into_checked`]; committed by
/// [`Chain::commit_checked`](crate::chain::Chain::commit_checked)).
#[derive(Clone, Debug)]
pub struct CheckedBlock {
    pub(crate) block: Block,
    pub(crate) diff: StateDiff,
    pub(crate) receipts: Receipts,
}

impl CheckedBlock {
    /// A block with the diff and receipts the full transition gave on the current tip (the
    /// caller vouches for it: [`Chain::check`](crate::chain::Chain::check), or the builder's
    /// [`BuiltBlock::into_checked`]).
    pub(crate) fn new(block: Block, diff: StateDiff, receipts: Receipts) -> CheckedBlock {
        CheckedBlock {
            block,
            diff,
            receipts,
        }
    }

    /// The block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// The state root after it.
    pub fn state_root(&self) -> flux_core::Hash {
        self.diff.state_root()
    }
}

/// What the builder does with a refused transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Refusals {
    /// Fail with the error [`super::apply_block`] would give.
    RejectBlock,
    /// Leave it out (rolled back) and go on.
    LeaveOut,
}

/// Executes `txs` under `header` once and fills in its roots; the diff's tip then carries the
/// finished header's id (execution saw the header without its roots).
fn build(
    state: &State,
    mut header: Header,
    txs: Vec<Transaction>,
    mode: BuildMode,
    refusals: Refusals,
) -> Result<BuiltBlock, BlockError> {
    let BuildMode {
        verification,
        root,
        candidates_known,
    } = mode;
    let params = state.params();
    check_header(state, &header, txs.len())?;
    let seed = next_seed(state, &header, verification)?;
    let mut dropped = Vec::new();
    let mut refuse = |index: usize, id: TxId, source: TxError| match refusals {
        Refusals::RejectBlock => Err(BlockError::Tx { index, id, source }),
        Refusals::LeaveOut => {
            dropped.push((id, source));
            Ok(())
        }
    };

    // Stateless rules, each transaction encoded once.
    let mut kept = Vec::with_capacity(txs.len());
    let mut prepared = Vec::with_capacity(txs.len());
    for (index, tx) in txs.into_iter().enumerate() {
        match Prepared::of(&tx, params) {
            Ok(p) => {
                kept.push(tx);
                prepared.push(p);
            }
            Err((id, source)) => refuse(index, id, source)?,
        }
    }
    check_size(&header, &prepared, params)?;

    // Signatures in one batch; a bad one is left out and the batch checked again without it
    // (a batch fails only on a bad signature, which the mempool never admits).
    if verification == Verification::Full && !candidates_known {
        loop {
            let ids: Vec<TxId> = prepared.iter().map(|p| p.id).collect();
            let none = KnownSignatures::None;
            match verify_signatures(&kept, &prepared, &ids, &tx_root(&ids), &none) {
                Ok(()) => break,
                Err(BlockError::Tx { index, id, source }) if index < kept.len() => {
                    refuse(index, id, source)?;
                    kept.remove(index);
                    prepared.remove(index);
                }
                Err(other) => return Err(other),
            }
        }
    }

    // The state part, once: a refused transaction is rolled back.
    let mut run = Execution::begin(state, &header, verification)?;
    let mut txs = Vec::with_capacity(kept.len());
    let mut ids = Vec::with_capacity(kept.len());
    for (index, (tx, p)) in kept.into_iter().zip(&prepared).enumerate() {
        match run.try_apply(&tx, p) {
            Ok(()) => {
                txs.push(tx);
                ids.push(p.id);
            }
            Err(source) => refuse(index, p.id, source)?,
        }
    }
    let (mut diff, receipts) = run.finish(&header, root, seed)?;
    header.tx_root = tx_root(&ids);
    header.state_root = match root {
        RootMode::EveryBlock => diff.state_root(),
        RootMode::Deferred => flux_core::Hash::ZERO,
    };
    let id = header.id()?;
    diff.areas.head.tip.block_id = id;
    diff.recent.insert(header.height, id);
    Ok(BuiltBlock {
        block: Block { header, txs },
        diff,
        receipts,
        dropped,
        checked: verification == Verification::Full && root == RootMode::EveryBlock,
    })
}
