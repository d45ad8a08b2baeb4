//! Accounts: balance and nonce by address.

use std::collections::BTreeMap;

use flux_core::Address;
use flux_core::error::CodecError;

use super::rows::{AreaReader, RowKey, Table, WriteBatch, decode, wrong_key};
use super::{LoadContext, StateArea, TrieChanges};
use crate::error::StoreError;
use crate::state::{Account, account_key, account_value_hash};

/// Accounts by their 20 address bytes.
const ACCOUNTS: Table = Table::bytes("accounts");

/// The accounts area: trie entries [`crate::state::StateKey::Account`]; a block's diff is the
/// new value of every account it touched (accounts are never removed).
pub struct AccountsArea;

impl StateArea for AccountsArea {
    type Value = BTreeMap<Address, Account>;
    type Diff = BTreeMap<Address, Account>;

    fn entries(value: &Self::Value, out: &mut TrieChanges) -> Result<(), CodecError> {
        Self::trie_changes(value, out)
    }

    fn trie_changes(diff: &Self::Diff, out: &mut TrieChanges) -> Result<(), CodecError> {
        out.extend(
            diff.iter()
                .map(|(addr, acc)| (account_key(addr), Some(account_value_hash(acc)))),
        );
        Ok(())
    }

    fn apply(value: &mut Self::Value, diff: Self::Diff) {
        value.extend(diff);
    }

    fn save(diff: &Self::Diff, batch: &mut WriteBatch) -> Result<(), StoreError> {
        batch.create(ACCOUNTS);
        for (addr, acc) in diff {
            batch.put(ACCOUNTS, RowKey::Bytes(addr.as_bytes().to_vec()), Some(acc))?;
        }
        Ok(())
    }

    fn save_all(value: &Self::Value, batch: &mut WriteBatch) -> Result<(), StoreError> {
        Self::save(value, batch)
    }

    fn load(rows: &dyn AreaReader, _: &mut LoadContext) -> Result<Self::Value, StoreError> {
        let mut accounts = BTreeMap::new();
        for (key, value) in rows.rows(ACCOUNTS)? {
            let RowKey::Bytes(bytes) = key else {
                return Err(wrong_key("account key"));
            };
            let addr: [u8; 20] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt {
                    what: "account key",
                    source: CodecError::Truncated,
                })?;
            accounts.insert(Address::from_bytes(addr), decode("account", &value)?);
        }
        Ok(accounts)
    }
}
