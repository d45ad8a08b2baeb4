//! The consensus host: everything a node runs around its chain, over any [`Network`]. It is
//! the same code on a real node ([`crate::node`], on a thread of its own) and on the simulated
//! network ([`crate::sim`]).
//!
//! The host is sans-IO: every call takes the current time (ms since the Unix epoch on a real
//! node, virtual on the simulator) and a [`Network`] to act on. The chain and the mempool are
//! shared (`Arc<RwLock<..>>`, `Arc<Mutex<..>>`) so the HTTP API can read them while the host
//! runs; only the consensus driver takes the write lock, to commit a checked block.
//!
//! # Components
//!
//! [`Host`] is a thin composer: it routes each input to the component whose protocol it is and
//! wires the components' narrow interfaces. Each component owns its state; none reads
//! another's.
//!
//! | component | file | owns | talks through |
//! |---|---|---|---|
//! | `ConsensusDriver` | `consensus/` | the [`Machine`], held blocks and messages, checked blocks, buffered future inputs, evidence, resume point, stall counters | proposals and votes in; outputs performed on the [`Network`]; commits announced to the `CommitFollower`s; decided blocks in from block sync (`commit_synced`) |
//! | `TxGossip` | [`txs`] | the queue of transactions to gossip, the cache of refused ids (shared with the node's verifier thread) | batches in ([`txs::verify_batch`] first), [`Verdict`] out; `on_commit` |
//! | `BlockSync` | `sync.rs` | decided blocks that came ahead of their turn, with their senders | sync answers in; verified blocks out to the `CommitDecided` target (the consensus driver) |
//! | `Liveness` | [`liveness`] | this node's attestation requests, the requests it attested, recent commit times | [`Attest`](crate::message::Attest) messages in and out; `on_commit` |
//! | `SwapAttestor` | [`swaps`] | the [`swaps::SwapDesk`] (shared with the API), the swap key and burn witness | [`SwapMessage`](crate::message::SwapMessage)s in and out; `on_commit`; the API's queued requests on each tick |
//!
//! What they share is not state of each other's: the chain and the mempool (`shared::Ledger`),
//! the node's identity, and the commit notice (`shared::CommitNotice`) that the consensus driver
//! sends to the other components through the `CommitFollower` interface, which the host
//! implements by handing the notice to each follower in turn: transaction gossip, swaps, then
//! (for blocks decided here) liveness.
//!
//! ```text
//!  gossip ──route──► ConsensusDriver ──commit──► TxGossip / SwapAttestor / Liveness
//!    │                     ▲
//!    ├─► TxGossip          │ commit_synced
//!    ├─► Liveness     BlockSync ◄── sync answers
//!    └─► SwapAttestor
//!  ticks ──► SwapAttestor (API requests), ConsensusDriver (sync when behind, re-broadcast)
//! ```

use flux_chain::block::{Block, BlockId};
use flux_chain::consensus::{CommitCertificate, Height, Input, Machine};
use flux_chain::store::Store;
use flux_chain::tx::Transaction;
use flux_core::crypto::SecretKey;
use flux_nodes::NodeId;

mod consensus;
mod error;
pub mod liveness;
mod recorder;
mod route;
mod shared;
pub mod swaps;
mod sync;
pub mod txs;

pub use consensus::held;
pub use error::HostError;
pub use held::MAX_HELD_BLOCKS;
pub use recorder::Recorder;
pub use route::Verdict;
pub use shared::{SharedChain, SharedMempool};
pub use sync::{serve_sync as serve_sync_from, serve_sync_shared};

use crate::network::Network;
use consensus::ConsensusDriver;
use liveness::Liveness;
use shared::{CommitFollower, CommitNotice, Identity, Ledger};
use swaps::SwapAttestor;
use sync::{BlockSync, CommitDecided};
use txs::TxGossip;

/// How a host behaves.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// The operator key: signs votes, proposals and evidence transactions (its account pays
    /// their fees). `None`: a follower that never votes.
    pub key: Option<SecretKey>,
    /// Most consensus inputs of later heights buffered.
    pub max_future: usize,
    /// Most decided blocks served in answer to one sync request.
    pub sync_batch: u64,
    /// Most transactions put in one block built here.
    pub max_block_txs: usize,
    /// Most transactions in one gossiped batch.
    pub tx_batch: usize,
    /// The node's secp256k1 swap key: signs its swap attestations for EVM chains (registered
    /// on chain with `SwapKeyRegister`). `None`: it signs only Ed25519 statements.
    pub swap_key: Option<SecretKey>,
    /// The node's view of the other chains: which burns it attests. `None`: none.
    pub witness: Option<std::sync::Arc<dyn swaps::BurnWitness>>,
}

impl HostConfig {
    /// Defaults for a validator with `key`.
    pub fn new(key: Option<SecretKey>) -> HostConfig {
        HostConfig {
            key,
            max_future: 4_096,
            sync_batch: 32,
            max_block_txs: 10_000,
            tx_batch: 1_024,
            swap_key: None,
            witness: None,
        }
    }
}

/// How many heights ahead of its own a host keeps consensus messages for later (farther ahead,
/// it syncs the decided blocks instead).
pub const FUTURE_WINDOW: Height = 2;

/// Counters of what the host refused (each component counts its own; the host adds them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refusals {
    /// Messages that did not decode.
    pub undecodable: u64,
    /// Messages that decoded but broke a rule.
    pub rejected: u64,
}

impl std::ops::Add for Refusals {
    type Output = Refusals;

    fn add(self, other: Refusals) -> Refusals {
        Refusals {
            undecodable: self.undecodable.saturating_add(other.undecodable),
            rejected: self.rejected.saturating_add(other.rejected),
        }
    }
}

/// The host of one node. See the module docs.
///
/// ```
/// use std::sync::{Arc, Mutex, RwLock};
/// use flux_chain::chain::Chain;
/// use flux_chain::genesis::Genesis;
/// use flux_chain::mempool::{Mempool, MempoolConfig};
/// use flux_chain::store::MemStore;
/// use flux_net::host::{Host, HostConfig};
///
/// // One validator decides alone; its network only needs timers.
/// let (genesis, keys) = Genesis::devnet_with_nodes(1, 1)?;
/// let chain = Arc::new(RwLock::new(Chain::open_or_create(MemStore::new(), &genesis)?));
/// let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
/// let mut host: Host<MemStore, u8> =
///     Host::new(HostConfig::new(Some(keys[0].operator.clone())), chain.clone(), pool)?;
/// let mut net = flux_net::host::Recorder::default();
/// host.start(genesis.timestamp_ms + 1_000, &mut net)?;
/// assert_eq!(chain.read().unwrap().height(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Host<S: Store, P> {
    id: Option<NodeId>,
    ledger: Ledger<S>,
    consensus: ConsensusDriver<S, P>,
    txs: TxGossip<S>,
    sync: BlockSync<S, P>,
    liveness: Liveness<S>,
    swaps: SwapAttestor<S>,
    /// Gossip that did not decode (before any component saw it).
    undecodable: u64,
}

/// The components that follow commits, as the consensus driver sees them.
struct Followers<'a, S: Store> {
    txs: &'a mut TxGossip<S>,
    swaps: &'a mut SwapAttestor<S>,
    liveness: &'a mut Liveness<S>,
}

impl<S: Store, P> CommitFollower<P> for Followers<'_, S> {
    fn committed<N: Network<Peer = P>>(
        &mut self,
        notice: &CommitNotice,
        net: &mut N,
    ) -> Result<(), HostError> {
        self.txs.on_commit(&notice.txs);
        self.swaps
            .on_commit(notice.height, &notice.swaps_out, net)?;
        if !notice.synced {
            self.liveness.on_commit(notice.height, notice.now_ms, net)?;
        }
        Ok(())
    }
}

/// The consensus driver as block sync sees it: where verified decided blocks commit.
struct SyncTarget<'a, S: Store, P> {
    consensus: &'a mut ConsensusDriver<S, P>,
    followers: Followers<'a, S>,
}

impl<S: Store, P: Copy + Ord + std::fmt::Debug> CommitDecided<P> for SyncTarget<'_, S, P> {
    fn commit_decided<N: Network<Peer = P>>(
        &mut self,
        block: Block,
        commit: CommitCertificate,
        net: &mut N,
    ) -> Result<(), HostError> {
        self.consensus
            .commit_synced(block, commit, net, &mut self.followers)
    }
}

impl<S: Store, P: Copy + Ord + std::fmt::Debug> Host<S, P> {
    /// A host over `chain` and `mempool`. Nothing happens until [`Host::start`].
    pub fn new(
        config: HostConfig,
        chain: SharedChain<S>,
        mempool: SharedMempool,
    ) -> Result<Host<S, P>, HostError> {
        let ledger = Ledger::new(chain, mempool);
        let me = Identity::new(config.key.clone());
        Ok(Host {
            id: me.id,
            consensus: ConsensusDriver::new(&config, ledger.clone()),
            txs: TxGossip::new(ledger.clone(), config.tx_batch),
            sync: BlockSync::new(ledger.clone(), config.sync_batch),
            liveness: Liveness::new(ledger.clone(), me.clone()),
            swaps: SwapAttestor::new(ledger.clone(), me, config.swap_key, config.witness),
            ledger,
            undecodable: 0,
        })
    }

    /// The consensus driver and the components that follow its commits, borrowed apart.
    fn consensus_and_followers(&mut self) -> (&mut ConsensusDriver<S, P>, Followers<'_, S>) {
        (
            &mut self.consensus,
            Followers {
                txs: &mut self.txs,
                swaps: &mut self.swaps,
                liveness: &mut self.liveness,
            },
        )
    }

    /// This validator's node id, if it has a key.
    pub fn id(&self) -> Option<NodeId> {
        self.id
    }

    /// What it refused so far (all components together).
    pub fn refusals(&self) -> Refusals {
        Refusals {
            undecodable: self.undecodable,
            rejected: 0,
        } + self.consensus.refusals()
            + self.txs.refusals()
            + self.sync.refusals()
            + self.liveness.refusals()
            + self.swaps.refusals()
    }

    /// The consensus machine, once started.
    pub fn machine(&self) -> Option<&Machine> {
        self.consensus.machine()
    }

    /// The highest height the network is known to have reached: this chain's next height, or
    /// more when a member of the current committee signed a vote for a later one (a node that
    /// starts behind learns how far it has to sync; a progress bar shows it). Unverified claims
    /// do not count.
    pub fn network_height(&self) -> Result<Height, HostError> {
        self.consensus.network_height()
    }

    /// The shared chain.
    pub fn chain(&self) -> &SharedChain<S> {
        self.ledger.chain()
    }

    #[cfg(test)]
    pub(crate) fn read(
        &self,
    ) -> Result<std::sync::RwLockReadGuard<'_, flux_chain::chain::Chain<S>>, HostError> {
        self.ledger.read()
    }

    #[cfg(test)]
    pub(crate) fn pool(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, flux_chain::mempool::Mempool>, HostError> {
        self.ledger.pool()
    }

    /// Starts consensus at the next height. A validator that voted at that height before a
    /// restart resumes it from its stored resume point (a fresh round, its lock kept).
    pub fn start<N: Network<Peer = P>>(
        &mut self,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let (consensus, mut followers) = self.consensus_and_followers();
        consensus.start(now_ms, net, &mut followers)
    }

    /// A timer set through [`Network::set_timer`] fired.
    pub fn on_timer<N: Network<Peer = P>>(
        &mut self,
        input: Input,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let (consensus, mut followers) = self.consensus_and_followers();
        consensus.on_timer(input, now_ms, net, &mut followers)
    }

    /// The periodic tick (about once per propose timeout): the swap requests the API queued
    /// go out; a sync request when behind (or when not voting), and a re-broadcast of this
    /// height's messages of the current and previous round, and a sync request for this
    /// height (a peer may have decided it), when no height was decided since the last tick
    /// (the network may have lost messages). While the height stays stalled these back off
    /// (ticks 1, 2, 4, 8, then every 8th), so a slow network is not flooded by its own
    /// repeats. A decided height waiting for the next is not stalled.
    pub fn on_tick<N: Network<Peer = P>>(&mut self, net: &mut N) -> Result<(), HostError> {
        self.swaps.flush(net)?;
        self.consensus.on_tick(net)
    }

    /// Decided blocks from `from_height` on, encoded, at most the configured batch.
    pub fn serve_sync(&self, from_height: Height) -> Result<Vec<Vec<u8>>, HostError> {
        self.sync.serve(from_height)
    }

    /// `peer`'s answer to a sync request: commits each block that extends the chain and whose
    /// certificate verifies; then (re)starts consensus at the next height. Items for later
    /// heights are kept a little (the first copy of each height), with the peer that sent
    /// them: when a kept item's turn comes and it is invalid, that peer is charged, not the
    /// one being served. Undecodable or invalid items cost the peer.
    pub fn on_sync_response<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        items: Vec<Vec<u8>>,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let mut target = SyncTarget {
            consensus: &mut self.consensus,
            followers: Followers {
                txs: &mut self.txs,
                swaps: &mut self.swaps,
                liveness: &mut self.liveness,
            },
        };
        if self.sync.on_response(peer, items, &mut target, net)? {
            target
                .consensus
                .resume_after_sync(now_ms, net, &mut target.followers)?;
            // More may be waiting.
            self.sync.ask_more(peer, net)?;
        }
        Ok(())
    }

    /// A batch from `peer` whose signatures [`txs::verify_batch`] checked: the state rules
    /// decide what the mempool takes; refusals are remembered and cost the peer (see
    /// [`txs`]). Returns whether the batch should be relayed.
    pub fn on_verified_txs<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        batch: txs::VerifiedTxs,
        net: &mut N,
    ) -> Result<Verdict, HostError> {
        self.txs.on_verified(peer, batch, net)
    }

    /// Queues a transaction the node accepted (from its API) for gossip; see [`Host::flush`].
    pub fn gossip_tx(&mut self, tx: Transaction) {
        self.txs.queue(tx);
    }

    /// Gossips the queued transactions in batches.
    pub fn flush<N: Network<Peer = P>>(&mut self, net: &mut N) -> Result<(), HostError> {
        self.txs.flush(net)
    }

    /// The refused transaction ids and work counters (shared with the node's verifier).
    pub fn refused_txs(&self) -> txs::SharedRefusedTxs {
        self.txs.refused_txs()
    }

    /// What transaction gossip cost so far.
    pub fn tx_gossip_stats(&self) -> txs::TxGossipStats {
        self.txs.stats()
    }

    /// The node's swap attestations (the API reads them).
    pub fn swaps(&self) -> swaps::SharedSwaps {
        self.swaps.desk()
    }

    /// The ids of the blocks held for the current heights (for tests).
    #[doc(hidden)]
    pub fn held_blocks(&self) -> Vec<BlockId> {
        self.consensus.held_blocks()
    }
}

#[cfg(test)]
mod tests;
