//! The mempool: valid transactions waiting for a block, bounded in count and bytes.
//!
//! - Admission checks everything that can be checked before a block: chain id, size, signature,
//!   the kind's rules, nonce (no reuse, no gaps) and that the sender can pay for all its pending
//!   transactions. A refusal says why ([`MempoolError`]).
//! - A pending transaction is replaced by one with the same sender and nonce only for a strictly
//!   higher fee.
//! - When full, the transaction with the lowest fee rate (fee per encoded byte) leaves, with the
//!   sender's later transactions (they could no longer run); a newcomer that pays no more than
//!   the lowest is refused instead.
//! - [`Mempool::select`] returns a sequence whose nonces, balances, sizes and signatures are
//!   valid for the next block: per sender, consecutive nonces from the account's next one,
//!   highest fee rate first across senders, within the block's count and byte limits. Rules
//!   that depend on more state (an app's spec and price, a node's lifecycle, a vote's
//!   eligibility) are decided when the block is built: build with
//!   [`crate::transition::propose_block`], which leaves out what they refuse.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use flux_core::{Address, Amount, ChainParams, codec};

use crate::error::{MempoolError, TxError};
use crate::state::{Account, State};
use crate::transition::payment::fee_nonce_balance;
use crate::tx::{Transaction, TxId};

/// Limits of a mempool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MempoolConfig {
    /// Most transactions held.
    pub max_txs: usize,
    /// Most encoded bytes held.
    pub max_bytes: u64,
}

impl Default for MempoolConfig {
    /// 50,000 transactions or 64 MiB.
    fn default() -> MempoolConfig {
        MempoolConfig {
            max_txs: 50_000,
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Fee per byte, compared exactly (cross-multiplied in 128 bits); ties broken by id.
#[derive(Clone, Copy, Debug)]
struct Rate {
    fee: u64,
    size: u64,
    id: TxId,
}

impl Ord for Rate {
    fn cmp(&self, other: &Rate) -> Ordering {
        let lhs = u128::from(self.fee) * u128::from(other.size);
        let rhs = u128::from(other.fee) * u128::from(self.size);
        lhs.cmp(&rhs).then_with(|| other.id.cmp(&self.id))
    }
}

impl PartialOrd for Rate {
    fn partial_cmp(&self, other: &Rate) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Rate {
    fn eq(&self, other: &Rate) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Rate {}

/// A transaction whose signature (and stateless rules) [`Transaction::check`] accepted: the
/// pool admits it without checking the signature again ([`Mempool::insert_checked`]), so a
/// node can check gossiped signatures away from the thread that holds the pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureChecked {
    tx: Transaction,
    id: TxId,
}

impl SignatureChecked {
    /// Checks `tx` against `params` ([`Transaction::check`]).
    ///
    /// # Errors
    /// Why `tx` is invalid on its own.
    pub fn check(tx: Transaction, params: &ChainParams) -> Result<SignatureChecked, TxError> {
        tx.check(params)?;
        let id = tx.id()?;
        Ok(SignatureChecked { tx, id })
    }

    /// The transaction.
    pub fn tx(&self) -> &Transaction {
        &self.tx
    }

    /// Its id.
    pub fn id(&self) -> TxId {
        self.id
    }
}

#[derive(Clone, Debug)]
struct Entry {
    tx: Transaction,
    sender: Address,
    rate: Rate,
    cost: Amount,
}

/// Pending transactions. See the module docs.
///
/// ```
/// use flux_chain::genesis::Genesis;
/// use flux_chain::mempool::{Mempool, MempoolConfig};
/// use flux_chain::tx::{Transaction, TxKind, Transfer};
/// use flux_core::crypto::{Scheme, SecretKey};
/// use flux_core::{Address, Amount};
///
/// let state = Genesis::devnet_example().state()?;
/// let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
/// let pay = |nonce, fee| Transaction::sign(&alice, state.params().chain_id, nonce,
///     Amount::from_base_units(fee),
///     TxKind::Transfer(Transfer { to: Address::from_bytes([7; 20]), amount: Amount::ONE_FLUX }));
///
/// let mut pool = Mempool::new(MempoolConfig::default());
/// pool.insert(pay(0, 100)?, &state)?;
/// pool.insert(pay(1, 100)?, &state)?;
/// assert!(pool.insert(pay(3, 100)?, &state).is_err()); // gap
/// assert!(pool.insert(pay(1, 50)?, &state).is_err());  // replacement must pay more
/// pool.insert(pay(1, 200)?, &state)?;                  // ...and may when it does
/// assert_eq!(pool.select(&state, 100).len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Mempool {
    config: MempoolConfig,
    entries: BTreeMap<TxId, Entry>,
    by_sender: BTreeMap<Address, BTreeMap<u64, TxId>>,
    by_rate: BTreeSet<Rate>,
    bytes: u64,
}

impl Mempool {
    /// An empty pool.
    pub fn new(config: MempoolConfig) -> Mempool {
        Mempool {
            config,
            entries: BTreeMap::new(),
            by_sender: BTreeMap::new(),
            by_rate: BTreeSet::new(),
            bytes: 0,
        }
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Encoded bytes held.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether `id` is pending.
    pub fn contains(&self, id: &TxId) -> bool {
        self.entries.contains_key(id)
    }

    /// A pending transaction.
    pub fn get(&self, id: &TxId) -> Option<&Transaction> {
        self.entries.get(id).map(|e| &e.tx)
    }

    /// The nonce `sender`'s next transaction should carry to follow its pending ones: the
    /// account's `nonce` (from the chain) plus the run of consecutive pending nonces from it.
    /// A wallet that sends several transactions before the first is final signs at this nonce.
    ///
    /// ```
    /// use flux_chain::genesis::Genesis;
    /// use flux_chain::mempool::{Mempool, MempoolConfig};
    /// use flux_chain::tx::{Transaction, TxKind, Transfer};
    /// use flux_core::crypto::{Scheme, SecretKey};
    /// use flux_core::{Address, Amount};
    ///
    /// let state = Genesis::devnet_example().state()?;
    /// let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
    /// let sender = Address::from_public_key(&alice.public_key());
    /// let mut pool = Mempool::new(MempoolConfig::default());
    /// let pay = TxKind::Transfer(Transfer { to: Address::from_bytes([5; 20]), amount: Amount::ONE_FLUX });
    /// for nonce in 0..3 {
    ///     let tx = Transaction::sign(&alice, state.params().chain_id, nonce, Amount::ZERO, pay.clone())?;
    ///     pool.insert(tx, &state)?;
    /// }
    /// assert_eq!(pool.next_nonce(&sender, state.account(&sender).nonce), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_nonce(&self, sender: &Address, account_nonce: u64) -> u64 {
        let mut next = account_nonce;
        if let Some(queue) = self.by_sender.get(sender) {
            for nonce in queue.range(account_nonce..).map(|(n, _)| *n) {
                if nonce != next {
                    break;
                }
                next += 1;
            }
        }
        next
    }

    /// Admits `tx` if it is valid against `state` (the chain's current state). Returns its id.
    pub fn insert(&mut self, tx: Transaction, state: &State) -> Result<TxId, MempoolError> {
        self.admit(tx, state, true)
    }

    /// [`Mempool::insert`] of a transaction whose signature is checked already: the stateless
    /// rules are checked again (cheap, and the parameters may have changed), the signature
    /// is not.
    pub fn insert_checked(
        &mut self,
        tx: SignatureChecked,
        state: &State,
    ) -> Result<TxId, MempoolError> {
        self.admit(tx.tx, state, false)
    }

    fn admit(
        &mut self,
        tx: Transaction,
        state: &State,
        verify: bool,
    ) -> Result<TxId, MempoolError> {
        let bytes = codec::encode(&tx).map_err(TxError::from)?;
        let id = Transaction::id_of_bytes(&bytes);
        if self.entries.contains_key(&id) {
            return Err(MempoolError::Duplicate(id));
        }
        let size = bytes.len() as u64;
        if verify {
            tx.check(state.params())?;
        } else {
            tx.check_stateless(state.params(), size)?;
        }
        let sender = tx.sender_address();
        let account = state.account(&sender);
        if tx.nonce < account.nonce {
            return Err(MempoolError::Stale {
                next: account.nonce,
                found: tx.nonce,
            });
        }
        // What this transaction costs at the least (its fee, and a transfer's amount), against
        // the balance before anything pending: a sender that cannot pay even that is refused
        // for its balance before any nonce rule. A node charges the peer that relays a balance
        // refusal and not a small nonce gap, so without this an unfunded key's transactions
        // with gaps would each cost every receiver a signature check, and their sender nothing.
        let least = match &tx.kind {
            crate::tx::TxKind::Transfer(t) => {
                tx.fee.checked_add(t.amount).map_err(TxError::from)?
            }
            _ => tx.fee,
        };
        if least > account.balance {
            return Err(MempoolError::InsufficientBalance {
                needed: least,
                available: account.balance,
            });
        }
        let pending = self.by_sender.get(&sender);
        let next = account.nonce + pending.map_or(0, |p| p.len() as u64);
        if tx.nonce > next {
            return Err(MempoolError::NonceGap {
                expected: next,
                found: tx.nonce,
            });
        }
        let replaced = pending.and_then(|p| p.get(&tx.nonce)).copied();
        if let Some(old) = replaced.and_then(|old| self.entries.get(&old))
            && tx.fee <= old.tx.fee
        {
            return Err(MempoolError::ReplacementFeeTooLow {
                pending: old.tx.fee,
                offered: tx.fee,
            });
        }
        // The sender must afford every pending transaction up to and including this one: the
        // transition's rule, on the balance the earlier pending ones leave.
        let mut earlier = Amount::ZERO;
        for (_, other) in pending
            .into_iter()
            .flatten()
            .filter(|(n, _)| **n < tx.nonce)
        {
            if let Some(e) = self.entries.get(other) {
                earlier = earlier.checked_add(e.cost).map_err(TxError::from)?;
            }
        }
        let short = |needed: Amount| -> Result<MempoolError, TxError> {
            Ok(MempoolError::InsufficientBalance {
                needed: needed.checked_add(earlier)?,
                available: account.balance,
            })
        };
        let Ok(left) = account.balance.checked_sub(earlier) else {
            return Err(short(tx.max_cost(state.params())?)?);
        };
        let payer = Account {
            nonce: tx.nonce,
            balance: left,
        };
        let cost = match fee_nonce_balance(&tx, sender, payer, state.params()) {
            Ok(cost) => cost,
            Err(TxError::InsufficientBalance { needed, .. }) => return Err(short(needed)?),
            Err(e) => return Err(e.into()),
        };
        // A kind whose rule reads the state (an app's price, a vote's snapshot, a job's phase)
        // is tried against it now, so a submitter hears why at once. Transfers (the bulk) need
        // nothing beyond the balance and nonce checks above.
        if !matches!(tx.kind, crate::tx::TxKind::Transfer(_)) {
            crate::transition::dry_run(state, &tx)?;
        }
        let rate = Rate {
            fee: tx.fee.base_units(),
            size,
            id,
        };
        self.make_room(size, rate, &sender, tx.nonce, replaced)?;
        if let Some(old) = replaced {
            self.remove_one(&sender, tx.nonce, &old);
        }
        self.by_rate.insert(rate);
        self.by_sender
            .entry(sender)
            .or_default()
            .insert(tx.nonce, id);
        self.bytes += size;
        self.entries.insert(
            id,
            Entry {
                tx,
                sender,
                rate,
                cost,
            },
        );
        if replaced.is_some() {
            // A dearer replacement may leave later transactions unaffordable.
            self.settle(&sender, account);
        }
        Ok(id)
    }

    fn remove_one(&mut self, sender: &Address, nonce: u64, id: &TxId) {
        if let Some(queue) = self.by_sender.get_mut(sender) {
            queue.remove(&nonce);
        }
        if let Some(e) = self.entries.remove(id) {
            self.by_rate.remove(&e.rate);
            self.bytes -= e.rate.size;
        }
    }

    /// Evicts the lowest-rate transactions until `size` more bytes and one more transaction fit.
    fn make_room(
        &mut self,
        size: u64,
        rate: Rate,
        sender: &Address,
        nonce: u64,
        replaced: Option<TxId>,
    ) -> Result<(), MempoolError> {
        let freed = replaced
            .and_then(|id| self.entries.get(&id))
            .map_or((0, 0), |e| (1, e.rate.size));
        while self.entries.len() - freed.0 + 1 > self.config.max_txs
            || self.bytes - freed.1 + size > self.config.max_bytes
        {
            let Some(lowest) = self.by_rate.first().copied() else {
                return Err(MempoolError::Full);
            };
            let Some(victim) = self.entries.get(&lowest.id) else {
                return Err(MempoolError::Full);
            };
            // Evicting our own predecessor (or the one we replace) would leave us with a gap.
            if lowest >= rate || (victim.sender == *sender && victim.tx.nonce <= nonce) {
                return Err(MempoolError::Full);
            }
            let (victim_sender, victim_nonce) = (victim.sender, victim.tx.nonce);
            self.remove_from(&victim_sender, victim_nonce);
        }
        Ok(())
    }

    /// Removes the sender's transaction at `nonce` and all its later ones.
    fn remove_from(&mut self, sender: &Address, nonce: u64) {
        let Some(queue) = self.by_sender.get_mut(sender) else {
            return;
        };
        let removed = queue.split_off(&nonce);
        if queue.is_empty() {
            self.by_sender.remove(sender);
        }
        for id in removed.values() {
            if let Some(e) = self.entries.remove(id) {
                self.by_rate.remove(&e.rate);
                self.bytes -= e.rate.size;
            }
        }
    }

    /// Removes transaction `id` and its sender's later ones (which would wait on its nonce):
    /// what a block builder refused. Returns how many left the pool.
    pub fn remove(&mut self, id: &TxId) -> usize {
        let Some((sender, nonce)) = self.entries.get(id).map(|e| (e.sender, e.tx.nonce)) else {
            return 0;
        };
        let before = self.entries.len();
        self.remove_from(&sender, nonce);
        before - self.entries.len()
    }

    /// Drops what `state` has made obsolete: transactions whose nonce is used, and those whose
    /// sender can no longer pay for them. Call after each committed block.
    pub fn prune(&mut self, state: &State) {
        let senders: Vec<Address> = self.by_sender.keys().copied().collect();
        for sender in senders {
            self.settle(&sender, state.account(&sender));
        }
    }

    /// Makes `sender`'s queue valid for `account`: drops used nonces, then keeps the longest run
    /// of consecutive, affordable transactions from the account's next nonce.
    fn settle(&mut self, sender: &Address, account: Account) {
        let Some(queue) = self.by_sender.get_mut(sender) else {
            return;
        };
        let kept = queue.split_off(&account.nonce);
        let stale = std::mem::replace(queue, kept);
        let mut expected = account.nonce;
        let mut spent = Amount::ZERO;
        let mut cut = None;
        for (nonce, id) in queue.iter() {
            let cost = self.entries.get(id).map_or(Amount::MAX, |e| e.cost);
            match spent.checked_add(cost) {
                Ok(total) if *nonce == expected && total <= account.balance => {
                    spent = total;
                    expected += 1;
                }
                _ => {
                    cut = Some(*nonce);
                    break;
                }
            }
        }
        for id in stale.values() {
            if let Some(e) = self.entries.remove(id) {
                self.by_rate.remove(&e.rate);
                self.bytes -= e.rate.size;
            }
        }
        match cut {
            Some(nonce) => self.remove_from(sender, nonce),
            None => {
                if self.by_sender.get(sender).is_some_and(BTreeMap::is_empty) {
                    self.by_sender.remove(sender);
                }
            }
        }
    }

    /// Up to `limit` transactions forming a valid sequence for the next block on `state`:
    /// highest fee rate first, each sender's nonces in order, within the block limits.
    pub fn select(&self, state: &State, limit: usize) -> Vec<Transaction> {
        let params = state.params();
        let limit = limit.min(params.limits.max_block_txs as usize);
        // Room for the header and the length prefix of the body.
        let mut bytes_left = params.limits.max_block_bytes.saturating_sub(64 * 1024);
        let mut heap: BinaryHeap<(Rate, Address)> = BinaryHeap::new();
        let mut cursor: BTreeMap<Address, (u64, Amount)> = BTreeMap::new();
        for (sender, queue) in &self.by_sender {
            let account = state.account(sender);
            if let Some(e) = queue
                .get(&account.nonce)
                .and_then(|id| self.entries.get(id))
            {
                heap.push((e.rate, *sender));
                cursor.insert(*sender, (account.nonce, account.balance));
            }
        }
        let mut out = Vec::new();
        while let Some((rate, sender)) = heap.pop() {
            if out.len() >= limit {
                break;
            }
            let (Some(e), Some((nonce, balance))) =
                (self.entries.get(&rate.id), cursor.get_mut(&sender))
            else {
                continue;
            };
            if e.cost > *balance || rate.size > bytes_left {
                continue; // this sender's sequence stops here
            }
            *balance = balance.saturating_sub(e.cost);
            bytes_left -= rate.size;
            *nonce += 1;
            out.push(e.tx.clone());
            let next = self
                .by_sender
                .get(&sender)
                .and_then(|q| q.get(nonce))
                .and_then(|id| self.entries.get(id));
            if let Some(n) = next {
                heap.push((n.rate, sender));
            }
        }
        out
    }
}
