//! Accounts as a block sees them while it is applied: the state underneath, changes on top.

use std::collections::BTreeMap;

use flux_core::error::AmountError;
use flux_core::{Address, Amount};

use crate::state::{Account, State};

/// Reads through to the state; writes stay here until the block is accepted.
pub(crate) struct Overlay<'s> {
    base: &'s State,
    changed: BTreeMap<Address, Account>,
    /// While a savepoint is open: each write's previous overlay value, oldest first.
    undo: Option<Vec<(Address, Option<Account>)>>,
}

impl<'s> Overlay<'s> {
    pub(crate) fn new(base: &'s State) -> Overlay<'s> {
        Overlay {
            base,
            changed: BTreeMap::new(),
            undo: None,
        }
    }

    pub(crate) fn get(&self, address: &Address) -> Account {
        match self.changed.get(address) {
            Some(a) => *a,
            None => self.base.account(address),
        }
    }

    pub(crate) fn set(&mut self, address: Address, account: Account) {
        let previous = self.changed.insert(address, account);
        if let Some(undo) = &mut self.undo {
            undo.push((address, previous));
        }
    }

    /// Starts recording writes from here (the block builder's per-transaction rollback; only
    /// the latest savepoint can be rolled back to); returns the position to
    /// [`Overlay::rollback`] to.
    pub(crate) fn savepoint(&mut self) -> usize {
        self.undo.get_or_insert_with(Vec::new).clear();
        0
    }

    /// Undoes every write since `point` (from [`Overlay::savepoint`]).
    pub(crate) fn rollback(&mut self, point: usize) {
        let Some(undo) = &mut self.undo else { return };
        while undo.len() > point {
            let Some((address, previous)) = undo.pop() else {
                break;
            };
            match previous {
                Some(account) => self.changed.insert(address, account),
                None => self.changed.remove(&address),
            };
        }
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
