//! The rule every transaction follows before its kind's own: it carries its sender's next
//! nonce, and the sender can pay its most cost. Written once, used by the transition (on the
//! account as the block left it so far) and by mempool admission (on the account less what the
//! sender's earlier pending transactions may spend).

use flux_core::{Address, ChainParams};

use crate::error::TxError;
use crate::state::Account;
use crate::tx::Transaction;

/// Checks that `tx` from `sender` carries `payer.nonce` and that `payer.balance` covers its most
/// cost ([`Transaction::max_cost`]: the fee plus what it moves, bonds, escrows or deposits);
/// returns that cost. Errors: [`TxError::BadNonce`], [`TxError::InsufficientBalance`],
/// [`TxError::Amount`] on an overflow.
pub fn fee_nonce_balance(
    tx: &Transaction,
    sender: Address,
    payer: Account,
    params: &ChainParams,
) -> Result<flux_core::Amount, TxError> {
    if tx.nonce != payer.nonce {
        return Err(TxError::BadNonce {
            expected: payer.nonce,
            found: tx.nonce,
        });
    }
    let needed = tx.max_cost(params)?;
    if payer.balance < needed {
        return Err(TxError::InsufficientBalance {
            sender,
            needed,
            available: payer.balance,
        });
    }
    Ok(needed)
}
