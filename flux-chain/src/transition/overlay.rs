//! Accounts as a block sees them while it is applied: the state underneath, changes on top.

use std::collections::BTreeMap;

use flux_core::error::AmountError;
use flux_core::{Address, Amount};

use crate::state::{Account, State};

/// Reads through to the state; writes stay here until the block is accepted.
pub(crate) struct Overlay<'s> {
    base: &'s State,
    changed: BTreeMap<Address, Account>,
}

impl<'s> Overlay<'s> {
    pub(crate) fn new(base: &'s State) -> Overlay<'s> {
        Overlay {
            base,
            changed: BTreeMap::new(),
        }
    }

    pub(crate) fn get(&self, address: &Address) -> Account {
        match self.changed.get(address) {
            Some(a) => *a,
            None => self.base.account(address),
        }
    }

    pub(crate) fn set(&mut self, address: Address, account: Account) {
        self.changed.insert(address, account);
    }

    /// Adds `amount` to `address`'s balance (creating the account). Zero is a no-op.
    pub(crate) fn credit(&mut self, address: Address, amount: Amount) -> Result<(), AmountError> {
        if amount.is_zero() {
            return Ok(());
        }
        let mut account = self.get(&address);
        account.balance = account.balance.checked_add(amount)?;
        self.set(address, account);
        Ok(())
    }

    pub(crate) fn into_changes(self) -> BTreeMap<Address, Account> {
        self.changed
    }
}
