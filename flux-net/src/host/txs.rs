//! Transaction gossip (`TxGossip`, a component of the host): batches from peers into the
//! mempool, this node's own transactions out. It owns the queue of transactions to gossip and
//! the cache of refused ids (shared with the node's verifier thread); it hears of commits
//! through `TxGossip::on_commit`.
//!
//! A peer chooses how many transactions it sends, and checking a signature is the costly part.
//! So:
//! - signatures are checked apart from the state rules: [`verify_batch`] takes no chain lock
//!   and runs on the node's verifier thread (the simulator calls it inline through
//!   [`Host::on_gossip`](super::Host::on_gossip)); the host's thread then only applies the state
//!   rules ([`Host::on_verified_txs`](super::Host::on_verified_txs));
//! - a refused transaction is remembered by id ([`RefusedTxs`], bounded; an id is the hash of
//!   the whole signed transaction), so a replay costs a lookup, never a second check. Ids
//!   refused as invalid or for a small nonce gap stay until newer refusals push them out; ids
//!   refused by other state rules are forgotten at each commit (the state changed, they may be
//!   valid now);
//! - refusals cost the sender: a transaction invalid on its own is [`Offence::Invalid`] (and
//!   the batch is rejected: not relayed, its deliverers charged by gossipsub); a batch with
//!   transactions the state refuses, or that repeats such refused ones, is
//!   [`Offence::Refused`] (and not relayed). An honest node gossips only what its own mempool
//!   took, once. Two refusals cost nothing, as an honest peer's batch may meet them: a full
//!   mempool, and a small nonce gap, at most [`MAX_UNCHARGED_NONCE_GAP`] ahead of the
//!   sender's next nonce (its batch may arrive before the one it follows, or after one this
//!   node dropped); a small gap is remembered, so its replays cost a lookup. A gap beyond the
//!   window is charged like any state refusal: otherwise a funded account's validly signed
//!   transactions with nonces far ahead would cost every receiver a signature check each, and
//!   their sender nothing;
//! - transactions committed lately (the last [`MAX_RECENT_COMMITTED`] ids) are skipped
//!   unchecked and cost nothing: under load a batch often arrives after the block that carries
//!   its transactions (the verifier's queue is longer than consensus takes), and an honest
//!   peer must not be charged, and in the end banned, for that race. Such a transaction
//!   refused as stale after its signature check (its block committed meanwhile) is free too.
//!   Older committed transactions replayed are stale like any other: charged.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use flux_chain::error::MempoolError;
use flux_chain::mempool::SignatureChecked;
use flux_chain::store::Store;
use flux_chain::tx::{Transaction, TxId};
use flux_core::ChainParams;

use super::shared::Ledger;
use super::{HostError, Refusals, SharedMempool, Verdict};
use crate::message::Message;
use crate::network::{Network, Offence, Topic};

/// Most ids remembered per kind of refusal (invalid; refused by the state).
pub const MAX_REFUSED_TXS: usize = 16_384;

/// How far ahead of a sender's next nonce (the account's, after what the mempool holds of it)
/// a gossiped transaction's nonce may be and still cost its peer nothing: two default gossip
/// batches ([`HostConfig::tx_batch`](super::HostConfig::tx_batch), 1,024). An honest peer
/// gossips only consecutive nonces its own pool took, in order; a batch that overtakes the one
/// before it (or follows one this node dropped) starts at most one batch ahead, and its last
/// transaction one batch further. The mempool itself refuses every gap
/// ([`MempoolError::NonceGap`]); this window only decides who pays for the check.
pub const MAX_UNCHARGED_NONCE_GAP: u64 = 2 * 1_024;

/// Most ids of committed transactions remembered (see the module docs): a few full blocks'
/// worth at the devnet's block size, about 4 MiB at most.
pub const MAX_RECENT_COMMITTED: usize = 65_536;

/// Counters of the work transaction gossip caused (for tests and metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxGossipStats {
    /// Signatures checked.
    pub signatures_checked: u64,
    /// Transactions found invalid on their own.
    pub invalid: u64,
    /// Transactions the state refused.
    pub refused: u64,
    /// Transactions skipped unchecked because they were refused before (nonce gaps included).
    pub replayed: u64,
    /// Transactions skipped unchecked (or refused as stale, uncharged) because a block
    /// committed them lately.
    pub committed: u64,
    /// Transactions the mempool took.
    pub admitted: u64,
}

/// Ids in arrival order, at most `MAX_REFUSED_TXS`; the oldest leave first.
#[derive(Debug)]
struct RecentIds {
    ids: BTreeSet<TxId>,
    order: VecDeque<TxId>,
    max: usize,
}

impl Default for RecentIds {
    fn default() -> RecentIds {
        RecentIds::with_max(MAX_REFUSED_TXS)
    }
}

impl RecentIds {
    /// At most `max` ids.
    fn with_max(max: usize) -> RecentIds {
        RecentIds {
            ids: BTreeSet::new(),
            order: VecDeque::new(),
            max,
        }
    }

    fn insert(&mut self, id: TxId) {
        if !self.ids.insert(id) {
            return;
        }
        self.order.push_back(id);
        while self.order.len() > self.max {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
    }

    fn contains(&self, id: &TxId) -> bool {
        self.ids.contains(id)
    }

    fn clear(&mut self) {
        self.ids.clear();
        self.order.clear();
    }
}

/// The transactions refused lately, by id, those committed lately, and the work counters.
/// See the module docs.
#[derive(Debug)]
pub struct RefusedTxs {
    invalid: RecentIds,
    by_state: RecentIds,
    /// Refused for a small nonce gap (at most [`MAX_UNCHARGED_NONCE_GAP`]): maybe no fault of
    /// the sender's (not charged when repeated). Larger gaps are in `by_state`.
    gaps: RecentIds,
    /// Committed lately (at most [`MAX_RECENT_COMMITTED`]): neither checked nor charged.
    committed: RecentIds,
    stats: TxGossipStats,
}

impl Default for RefusedTxs {
    fn default() -> RefusedTxs {
        RefusedTxs {
            invalid: RecentIds::default(),
            by_state: RecentIds::default(),
            gaps: RecentIds::default(),
            committed: RecentIds::with_max(MAX_RECENT_COMMITTED),
            stats: TxGossipStats::default(),
        }
    }
}

impl RefusedTxs {
    /// Whether `id` was refused lately.
    pub fn contains(&self, id: &TxId) -> bool {
        self.invalid.contains(id) || self.by_state.contains(id) || self.gaps.contains(id)
    }

    /// Whether a block committed `id` lately.
    pub fn committed(&self, id: &TxId) -> bool {
        self.committed.contains(id)
    }

    /// Whether `id` was refused lately for a reason its sender answers for.
    fn charged(&self, id: &TxId) -> bool {
        self.invalid.contains(id) || self.by_state.contains(id)
    }

    /// The work counters.
    pub fn stats(&self) -> TxGossipStats {
        self.stats
    }
}

/// The refused ids, shared by the host and the node's verifier thread.
pub type SharedRefusedTxs = Arc<Mutex<RefusedTxs>>;

/// A gossiped batch after [`verify_batch`]: what is left for the state rules.
#[derive(Clone, Debug, Default)]
pub struct VerifiedTxs {
    checked: Vec<SignatureChecked>,
    invalid: usize,
    /// Skipped as refused before, for a reason the sender answers for.
    replayed: usize,
}

impl VerifiedTxs {
    /// Transactions whose signatures verified (and not pooled or refused already).
    pub fn checked(&self) -> usize {
        self.checked.len()
    }

    /// Transactions invalid on their own.
    pub fn invalid(&self) -> usize {
        self.invalid
    }
}

/// Checks the signatures of a gossiped batch, skipping (unchecked) the transactions `pool`
/// holds and those `refused` remembers; the invalid ones are remembered. Takes no chain lock
/// (the caller passes a copy of the parameters), and the pool's and the cache's locks only
/// briefly.
pub fn verify_batch(
    txs: Vec<Transaction>,
    params: &ChainParams,
    refused: &SharedRefusedTxs,
    pool: &SharedMempool,
) -> VerifiedTxs {
    let mut out = VerifiedTxs::default();
    let ids: Vec<Option<TxId>> = txs.iter().map(|tx| tx.id().ok()).collect();
    // Per transaction: in the pool or committed lately, refused before, and whether that
    // refusal is charged.
    let seen: Vec<(Known, bool, bool)> = {
        let pool = pool.lock().ok();
        let cache = refused.lock().ok();
        ids.iter()
            .map(|id| match id {
                Some(id) => (
                    if pool.as_ref().is_some_and(|p| p.contains(id)) {
                        Known::Pooled
                    } else if cache.as_ref().is_some_and(|c| c.committed(id)) {
                        Known::Committed
                    } else {
                        Known::New
                    },
                    cache.as_ref().is_some_and(|c| c.contains(id)),
                    cache.as_ref().is_some_and(|c| c.charged(id)),
                ),
                None => (Known::New, false, false),
            })
            .collect()
    };
    let mut invalid = Vec::new();
    let (mut checked, mut skipped, mut committed) = (0u64, 0u64, 0u64);
    for ((tx, id), (known, refused_before, charged)) in txs.into_iter().zip(ids).zip(seen) {
        match known {
            Known::Pooled => continue,
            Known::Committed => {
                committed += 1;
                continue;
            }
            Known::New => {}
        }
        if refused_before {
            skipped += 1;
            out.replayed += usize::from(charged);
            continue;
        }
        checked += 1;
        match SignatureChecked::check(tx, params) {
            Ok(tx) => out.checked.push(tx),
            Err(_) => {
                out.invalid += 1;
                invalid.extend(id);
            }
        }
    }
    if let Ok(mut cache) = refused.lock() {
        for id in invalid {
            cache.invalid.insert(id);
        }
        let s = &mut cache.stats;
        s.signatures_checked = s.signatures_checked.saturating_add(checked);
        s.invalid = s.invalid.saturating_add(out.invalid as u64);
        s.replayed = s.replayed.saturating_add(skipped);
        s.committed = s.committed.saturating_add(committed);
    }
    out
}

/// Where a gossiped transaction stands before its signature is checked.
#[derive(Clone, Copy)]
enum Known {
    /// In the mempool: nothing new.
    Pooled,
    /// In a block committed lately: nothing new, and no fault of the sender's.
    Committed,
    /// To check.
    New,
}

/// The transaction gossip of one node: its queue of transactions to gossip and its cache of
/// refused ids. See the module docs.
#[derive(Debug)]
pub(crate) struct TxGossip<S: Store> {
    ledger: Ledger<S>,
    /// Most transactions in one gossiped batch.
    batch: usize,
    pending: Vec<Transaction>,
    /// Transactions refused lately (shared with the node's verifier thread).
    refused: SharedRefusedTxs,
    refusals: Refusals,
}

impl<S: Store> TxGossip<S> {
    /// Gossips in batches of at most `batch` transactions.
    pub(crate) fn new(ledger: Ledger<S>, batch: usize) -> TxGossip<S> {
        TxGossip {
            ledger,
            batch,
            pending: Vec::new(),
            refused: SharedRefusedTxs::default(),
            refusals: Refusals::default(),
        }
    }

    /// The refused transaction ids and work counters (shared with the node's verifier).
    pub(crate) fn refused_txs(&self) -> SharedRefusedTxs {
        self.refused.clone()
    }

    /// What it refused so far.
    pub(crate) fn refusals(&self) -> Refusals {
        self.refusals
    }

    /// What transaction gossip cost so far.
    pub(crate) fn stats(&self) -> TxGossipStats {
        self.refused.lock().map(|c| c.stats()).unwrap_or_default()
    }

    /// Transactions gossiped by `peer`, checked here (the simulator's path; a node checks
    /// signatures on its verifier thread and calls [`TxGossip::on_verified`]).
    pub(crate) fn receive<N: Network>(
        &mut self,
        peer: N::Peer,
        txs: Vec<Transaction>,
        net: &mut N,
    ) -> Result<Verdict, HostError> {
        let params = self.ledger.read()?.state().params().clone();
        let batch = verify_batch(txs, &params, &self.refused, self.ledger.mempool());
        self.on_verified(peer, batch, net)
    }

    /// A batch from `peer` whose signatures [`verify_batch`] checked: the state rules decide
    /// what the mempool takes; refusals are remembered and cost the peer (see the module
    /// docs). Returns whether the batch should be relayed.
    pub(crate) fn on_verified<N: Network>(
        &mut self,
        peer: N::Peer,
        batch: VerifiedTxs,
        net: &mut N,
    ) -> Result<Verdict, HostError> {
        let (mut refused, mut gaps, mut stale) = (Vec::new(), Vec::new(), Vec::new());
        let mut admitted = 0u64;
        {
            let chain = self.ledger.read()?;
            let mut pool = self.ledger.pool()?;
            for tx in batch.checked {
                let id = tx.id();
                match pool.insert_checked(tx, chain.state()) {
                    Ok(_) => admitted += 1,
                    // Another peer's copy: nothing new. A full pool: no fault of the sender's.
                    Err(MempoolError::Duplicate(_) | MempoolError::Full) => {}
                    // An honest batch may arrive out of order; one far ahead is not that.
                    Err(MempoolError::NonceGap { expected, found })
                        if found.saturating_sub(expected) <= MAX_UNCHARGED_NONCE_GAP =>
                    {
                        gaps.push(id)
                    }
                    // Committed while its signature was checked, or long ago: see below.
                    Err(MempoolError::Stale { .. }) => stale.push(id),
                    Err(_) => refused.push(id),
                }
            }
        }
        if let Ok(mut cache) = self.refused.lock() {
            // A stale transaction a block committed lately is the race of the module docs.
            let (lately, old): (Vec<TxId>, Vec<TxId>) =
                stale.into_iter().partition(|id| cache.committed(id));
            refused.extend(old);
            cache.stats.committed = cache.stats.committed.saturating_add(lately.len() as u64);
            let n = (refused.len() + gaps.len()) as u64;
            cache.stats.refused = cache.stats.refused.saturating_add(n);
            cache.stats.admitted = cache.stats.admitted.saturating_add(admitted);
            for id in &refused {
                cache.by_state.insert(*id);
            }
            for id in gaps {
                cache.gaps.insert(id);
            }
        }
        Ok(if batch.invalid > 0 {
            self.refusals.rejected += 1;
            net.penalize(peer, Offence::Invalid);
            Verdict::Reject
        } else if !refused.is_empty() || batch.replayed > 0 {
            self.refusals.rejected += 1;
            net.penalize(peer, Offence::Refused);
            Verdict::Ignore
        } else if admitted > 0 {
            Verdict::Accept
        } else {
            Verdict::Ignore
        })
    }

    /// A block with the transactions `txs` was committed: they are remembered as committed,
    /// and the transactions the state refused may be valid now.
    pub(crate) fn on_commit(&mut self, txs: &[TxId]) {
        if let Ok(mut cache) = self.refused.lock() {
            cache.by_state.clear();
            for id in txs {
                cache.committed.insert(*id);
            }
        }
    }

    /// Queues a transaction the node accepted (from its API) for gossip; see
    /// [`TxGossip::flush`].
    pub(crate) fn queue(&mut self, tx: Transaction) {
        self.pending.push(tx);
    }

    /// Gossips the queued transactions in batches.
    pub(crate) fn flush<N: Network>(&mut self, net: &mut N) -> Result<(), HostError> {
        while !self.pending.is_empty() {
            let n = self.pending.len().min(self.batch.max(1));
            let batch: Vec<Transaction> = self.pending.drain(..n).collect();
            net.publish(Topic::Txs, Message::Txs(batch).to_bytes()?);
        }
        Ok(())
    }
}
