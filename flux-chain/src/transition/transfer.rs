//! The rule of [`crate::tx::TxKind::Transfer`]: move a positive amount the sender has.

use flux_core::Address;

use super::Event;
use super::overlay::Overlay;
use crate::error::TxError;
use crate::tx::Transfer;

/// Moves `t.amount` from `sender` to `t.to`. The caller has checked nonce and that the sender
/// can pay fee plus amount, and has taken the fee.
pub(crate) fn apply(
    overlay: &mut Overlay<'_>,
    sender: Address,
    t: &Transfer,
) -> Result<Vec<Event>, TxError> {
    if t.amount.is_zero() {
        return Err(TxError::ZeroAmount);
    }
    let mut from = overlay.get(&sender);
    from.balance = from.balance.checked_sub(t.amount)?;
    overlay.set(sender, from);
    overlay.credit(t.to, t.amount)?;
    Ok(vec![Event::Transfer {
        from: sender,
        to: t.to,
        amount: t.amount,
    }])
}
