//! The parallel-asset rules (SPEC "Parallel assets"): `SwapOut` locks, `SwapIn` releases an
//! attested burn once, `SwapKeyRegister` names a node's EVM attestation key, and at each
//! epoch's first block the attesting committee is drawn. Every change of the books moves
//! `locked` and `issued` together, so `issued == locked` holds after every transaction.

use flux_core::crypto::PublicKey;
use flux_core::parallel::ExternalChain;
use flux_core::{Address, Amount};
use flux_nodes::node::NodeId;
use serde::{Deserialize, Serialize};

use super::{Ctx, Event};
use crate::consensus::ConsensusError;
use crate::consensus::committee::{Committee, epoch_of};
use crate::error::TxError;
use crate::parallel::{
    Attesters, Book, Statement, SwapError, SwapOutRecord, attesting_committee, verify_attestation,
};
use crate::state::StateKey;
use crate::tx::{SwapIn, SwapKeyRegister, SwapOut, TxId};
use crate::work::JobError;

/// A parallel-asset change, in receipts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SwapEvent {
    /// FLUX locked for `chain`; the swap waits for its attestation.
    Out {
        /// The swap's id.
        id: TxId,
        /// The destination chain.
        chain: ExternalChain,
        /// How much.
        amount: Amount,
        /// The chain's book after it.
        book: Book,
    },
    /// An attested burn on `chain` released FLUX to `recipient`.
    In {
        /// The chain of the burn.
        chain: ExternalChain,
        /// Who received it.
        recipient: Address,
        /// How much.
        amount: Amount,
        /// The chain's book after it.
        book: Book,
    },
    /// A node's swap key was registered.
    KeyRegistered {
        /// The node.
        node: NodeId,
        /// The key.
        key: PublicKey,
    },
}

/// Draws the attesting committee at the first block of an epoch, exactly as
/// `Chain::committee` does (the registry after the previous epoch's last block, seeded by the
/// committee seed after it); an epoch without confirmed nodes keeps the committee before it.
pub(crate) fn draw_attesters(ctx: &mut Ctx<'_>) -> Result<(), ConsensusError> {
    let params = ctx.state.params();
    let length = params.consensus.epoch_length.max(1);
    let tip = ctx.state.tip();
    if !tip.height.is_multiple_of(length) {
        return Ok(());
    }
    let size = params.consensus.committee_size as usize;
    match Committee::draw(ctx.state.registry(), &ctx.state.seed(), size, params) {
        Ok(c) => {
            ctx.parallel.attesters = Some(Attesters {
                epoch: epoch_of(ctx.height, length),
                members: c.members().to_vec(),
            });
            ctx.parallel_changes.insert(StateKey::Attesters);
            Ok(())
        }
        Err(ConsensusError::EmptyCommittee) => Ok(()),
        Err(e) => Err(e),
    }
}

fn book_mut(
    ctx: &mut Ctx<'_>,
    chain: ExternalChain,
    f: impl Fn(Amount) -> Option<Amount>,
) -> Result<Book, SwapError> {
    let old = ctx.parallel.book(chain);
    let locked = f(old.locked).ok_or(SwapError::Books(chain))?;
    let issued = f(old.issued).ok_or(SwapError::Books(chain))?;
    let book = Book { locked, issued };
    ctx.parallel.books.insert(chain, book);
    ctx.parallel_changes.insert(StateKey::Book(chain));
    Ok(book)
}

/// Applies a swap out by `sender` (fee taken, balance checked by the caller).
pub(crate) fn swap_out(
    ctx: &mut Ctx<'_>,
    sender: Address,
    id: TxId,
    s: &SwapOut,
) -> Result<Vec<Event>, TxError> {
    if s.amount.is_zero() {
        return Err(SwapError::ZeroAmount.into());
    }
    s.chain.check_destination(&s.to).map_err(SwapError::from)?;
    let mut from = ctx.overlay.get(&sender);
    from.balance = from.balance.checked_sub(s.amount)?;
    ctx.overlay.set(sender, from);
    let book = book_mut(ctx, s.chain, |v| v.checked_add(s.amount).ok())?;
    let length = ctx.state.params().consensus.epoch_length;
    let record = SwapOutRecord {
        from: sender,
        chain: s.chain,
        to: s.to.clone(),
        amount: s.amount,
        height: ctx.height,
        epoch: epoch_of(ctx.height, length),
    };
    ctx.parallel.swaps_out.insert(id, record);
    ctx.parallel_changes.insert(StateKey::SwapOut(id));
    Ok(vec![Event::Swap(SwapEvent::Out {
        id,
        chain: s.chain,
        amount: s.amount,
        book,
    })])
}

/// The current attesting committee, without the members slashed since it was drawn.
fn current_committee(ctx: &Ctx<'_>) -> Result<(u64, Committee), SwapError> {
    let attesters = ctx
        .parallel
        .attesters
        .as_ref()
        .ok_or(SwapError::NoCommittee)?;
    let threshold = ctx.state.params().parallel.attestation_threshold;
    let committee = attesting_committee(attesters, &ctx.registry, threshold)?;
    Ok((attesters.epoch, committee))
}

/// Applies a swap in: the burn reference is new, the current committee attests the burn, the
/// chain has that much locked; the recipient is credited.
pub(crate) fn swap_in(ctx: &mut Ctx<'_>, id: TxId, s: &SwapIn) -> Result<Vec<Event>, TxError> {
    let burn = &s.burn;
    if burn.amount.is_zero() {
        return Err(SwapError::ZeroAmount.into());
    }
    let key = (burn.chain, burn.reference.clone());
    if ctx.parallel.used_refs.contains_key(&key) {
        return Err(SwapError::ReferenceUsed { chain: burn.chain }.into());
    }
    let (epoch, committee) = current_committee(ctx)?;
    let params = ctx.state.params();
    verify_attestation(
        &s.attestation,
        &Statement::Burn(burn.clone()),
        &committee,
        epoch,
        params.parallel.attestation_threshold,
        params.chain_id,
        |_| None,
    )?;
    let locked = ctx.parallel.book(burn.chain).locked;
    if locked < burn.amount {
        return Err(SwapError::InsufficientLocked {
            chain: burn.chain,
            amount: burn.amount,
            locked,
        }
        .into());
    }
    let book = book_mut(ctx, burn.chain, |v| v.checked_sub(burn.amount).ok())?;
    ctx.overlay.credit(burn.recipient, burn.amount)?;
    ctx.parallel.used_refs.insert(key, id);
    ctx.parallel_changes
        .insert(StateKey::BurnRef(burn.chain, burn.reference.clone()));
    Ok(vec![Event::Swap(SwapEvent::In {
        chain: burn.chain,
        recipient: burn.recipient,
        amount: burn.amount,
        book,
    })])
}

/// Registers a node's swap key, sent by its operator.
pub(crate) fn register_key(
    ctx: &mut Ctx<'_>,
    sender: &PublicKey,
    r: &SwapKeyRegister,
) -> Result<Vec<Event>, TxError> {
    if NodeId::of(sender) != r.node {
        return Err(JobError::NotOperator(r.node).into());
    }
    if ctx.registry.get(&r.node).is_none() {
        return Err(JobError::NotConfirmed(r.node).into());
    }
    if !matches!(r.key, PublicKey::Secp256k1(_)) || r.key.validate().is_err() {
        return Err(SwapError::BadSwapKey.into());
    }
    ctx.parallel.swap_keys.insert(r.node, r.key);
    ctx.parallel_changes.insert(StateKey::SwapKey(r.node));
    Ok(vec![Event::Swap(SwapEvent::KeyRegistered {
        node: r.node,
        key: r.key,
    })])
}
