//! The consensus host: the code around a [`Machine`] that every validator runs, over any
//! [`Network`]. It builds blocks from its mempool, checks proposals with the state transition,
//! commits decided blocks with their certificates, keeps the resume point that makes restarts
//! safe, gossips transactions, re-broadcasts when a height stalls, and syncs decided blocks
//! from peers when it falls behind.
//!
//! The host is sans-IO: every method takes the current time (ms since the Unix epoch on a real
//! node, virtual on the simulator) and a [`Network`] to act on. The chain and the mempool are
//! shared (`Arc<RwLock<..>>`, `Arc<Mutex<..>>`) so the HTTP API can read them while the host
//! runs; the host takes the write lock only to commit a checked block.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use flux_chain::block::{Block, BlockId};
use flux_chain::chain::{Chain, CheckedBlock};
use flux_chain::consensus::{ConsensusError, Evidence, Height, Input, Machine, Step};
use flux_chain::mempool::Mempool;
use flux_chain::store::Store;
use flux_chain::tx::Transaction;
use flux_core::crypto::SecretKey;
use flux_nodes::NodeId;

mod error;
mod gossip;
pub mod held;
pub mod liveness;
mod perform;
pub mod swaps;
mod sync;
pub mod txs;

pub use error::HostError;
pub use gossip::Verdict;
pub use held::MAX_HELD_BLOCKS;
pub use sync::{serve_sync as serve_sync_from, serve_sync_shared};

use crate::message::AttestKind;
use crate::network::{Network, Offence, Topic};

/// A chain shared between the host and readers.
pub type SharedChain<S> = Arc<RwLock<Chain<S>>>;
/// A mempool shared between the host and the API.
pub type SharedMempool = Arc<Mutex<Mempool>>;

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
    pub witness: Option<Arc<dyn swaps::BurnWitness>>,
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

/// Counters of what the host refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refusals {
    /// Messages that did not decode.
    pub undecodable: u64,
    /// Messages that decoded but broke a rule.
    pub rejected: u64,
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
    config: HostConfig,
    id: Option<NodeId>,
    chain: SharedChain<S>,
    mempool: SharedMempool,
    machine: Option<Machine>,
    /// The blocks of proposals (see [`held`]).
    blocks: held::HeldBlocks,
    checked: BTreeMap<BlockId, CheckedBlock>,
    future: Vec<(Input, Option<P>)>,
    evidence: BTreeSet<Evidence>,
    /// This height's verified consensus messages, sent or received, with their rounds:
    /// re-broadcast when the height stalls.
    held: held::HeldMessages,
    behind: Option<P>,
    progress_at_last_tick: Height,
    /// Ticks in a row without a decided height.
    stalled_ticks: u32,
    /// The highest height a committee member signed a vote for (see `network_height`).
    seen_height: Height,
    /// This node's liveness requests waiting for signatures.
    attesting: BTreeMap<AttestKind, liveness::Pending>,
    /// When recent heights were committed here (a verifier times keep-alive answers from it).
    commit_times: BTreeMap<Height, u64>,
    /// Requests this node attested, `(kind, subject, seed height)`.
    attested: BTreeSet<(AttestKind, NodeId, Height)>,
    /// Synced blocks above the next height, each with the peer that sent it (who answers for
    /// it when it is checked).
    synced_ahead: BTreeMap<Height, (Block, flux_chain::consensus::CommitCertificate, P)>,
    pending_txs: Vec<Transaction>,
    /// Transactions refused lately (shared with the node's verifier thread).
    refused_txs: txs::SharedRefusedTxs,
    /// Swap attestations collected here (shared with the API).
    swaps: swaps::SharedSwaps,
    last_resume: Option<flux_chain::consensus::ResumePoint>,
    refusals: Refusals,
}

fn height_of(input: &Input) -> Option<Height> {
    match input {
        Input::Proposal(p) => Some(p.proposal.height),
        Input::Vote(v) => Some(v.vote.height),
        _ => None,
    }
}

impl<S: Store, P: Copy + Ord + std::fmt::Debug> Host<S, P> {
    /// A host over `chain` and `mempool`. Nothing happens until [`Host::start`].
    pub fn new(
        config: HostConfig,
        chain: SharedChain<S>,
        mempool: SharedMempool,
    ) -> Result<Host<S, P>, HostError> {
        let id = config.key.as_ref().map(|k| NodeId::of(&k.public_key()));
        Ok(Host {
            config,
            id,
            chain,
            mempool,
            machine: None,
            blocks: held::HeldBlocks::default(),
            checked: BTreeMap::new(),
            future: Vec::new(),
            evidence: BTreeSet::new(),
            held: held::HeldMessages::default(),
            behind: None,
            progress_at_last_tick: 0,
            stalled_ticks: 0,
            seen_height: 0,
            attesting: BTreeMap::new(),
            commit_times: BTreeMap::new(),
            attested: BTreeSet::new(),
            synced_ahead: BTreeMap::new(),
            pending_txs: Vec::new(),
            refused_txs: txs::SharedRefusedTxs::default(),
            swaps: swaps::SharedSwaps::default(),
            last_resume: None,
            refusals: Refusals::default(),
        })
    }

    /// This validator's node id, if it has a key.
    pub fn id(&self) -> Option<NodeId> {
        self.id
    }

    /// What it refused so far.
    pub fn refusals(&self) -> Refusals {
        self.refusals
    }

    /// The consensus machine, once started.
    pub fn machine(&self) -> Option<&Machine> {
        self.machine.as_ref()
    }

    /// The highest height the network is known to have reached: this chain's next height, or
    /// more when a member of the current committee signed a vote for a later one (a node that
    /// starts behind learns how far it has to sync; a progress bar shows it). Unverified claims
    /// do not count.
    pub fn network_height(&self) -> Result<Height, HostError> {
        Ok(self.seen_height.max(self.read()?.height()))
    }

    /// The shared chain.
    pub fn chain(&self) -> &SharedChain<S> {
        &self.chain
    }

    pub(crate) fn read(&self) -> Result<RwLockReadGuard<'_, Chain<S>>, HostError> {
        self.chain.read().map_err(|_| HostError::Poisoned)
    }

    pub(crate) fn write(&self) -> Result<RwLockWriteGuard<'_, Chain<S>>, HostError> {
        self.chain.write().map_err(|_| HostError::Poisoned)
    }

    pub(crate) fn pool(&self) -> Result<MutexGuard<'_, Mempool>, HostError> {
        self.mempool.lock().map_err(|_| HostError::Poisoned)
    }

    /// Starts consensus at the next height. A validator that voted at that height before a
    /// restart resumes it from its stored resume point (a fresh round, its lock kept).
    pub fn start<N: Network<Peer = P>>(
        &mut self,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let params = self.read()?.state().params().clone();
        self.machine = Some(Machine::new(&params, self.config.key.clone()));
        let (next, resume, committee) = {
            let chain = self.read()?;
            let next = chain.height() + 1;
            (next, chain.resume_point()?, chain.committee(next)?)
        };
        match resume {
            Some(resume) if resume.height == next && self.id.is_some() => {
                // The block of the valid value, stored with the resume point: a proposer
                // re-proposes it, and must hold it (and know it valid) to do so.
                let restored = match resume.valid {
                    Some((round, id)) => self
                        .read()?
                        .resume_block(&id)?
                        .filter(|b| b.header.height == next)
                        .map(|b| (round, id, b)),
                    None => None,
                };
                let mut validity = None;
                if let Some((round, id, block)) = restored {
                    let size = flux_chain::codec::encoded_len(&block)? as usize;
                    let checked = self.read()?.check(&block).ok();
                    self.blocks.insert((next, round), id, block, size, &[id]);
                    validity = Some(Input::BlockValidity {
                        value: id,
                        valid: checked.is_some(),
                    });
                    if let Some(c) = checked {
                        self.checked.insert(id, c);
                    }
                }
                self.feed(Input::Resume { resume, committee }, None, now_ms, net)?;
                match validity {
                    Some(input) => self.feed(input, None, now_ms, net),
                    None => Ok(()),
                }
            }
            _ => self.feed(
                Input::NewHeight {
                    height: next,
                    committee,
                },
                None,
                now_ms,
                net,
            ),
        }
    }

    fn next_height<N: Network<Peer = P>>(
        &mut self,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let (height, committee) = {
            let chain = self.read()?;
            let next = chain.height() + 1;
            (next, chain.committee(next)?)
        };
        self.feed(Input::NewHeight { height, committee }, None, now_ms, net)
    }

    /// A timer set through [`Network::set_timer`] fired.
    pub fn on_timer<N: Network<Peer = P>>(
        &mut self,
        input: Input,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        self.feed(input, None, now_ms, net)
    }

    /// Feeds one input, and everything it leads to, to the machine.
    fn feed<N: Network<Peer = P>>(
        &mut self,
        first: Input,
        from: Option<P>,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let mut work = VecDeque::from([(first, from)]);
        while let Some((input, from)) = work.pop_front() {
            let Some(machine) = self.machine.as_mut() else {
                self.behind = from.or(self.behind);
                return Ok(());
            };
            let new_height = matches!(input, Input::NewHeight { .. } | Input::Resume { .. });
            let before = (machine.height(), machine.round());
            match machine.apply(input.clone()) {
                Ok(outputs) => {
                    let after = (machine.height(), machine.round());
                    if after != before {
                        tracing::debug!(height = after.0, round = after.1, "consensus round");
                    }
                    if new_height {
                        work.extend(std::mem::take(&mut self.future));
                    }
                    let mut next = VecDeque::new();
                    for output in outputs {
                        self.perform(output, now_ms, &mut next, net)?;
                    }
                    work.extend(next.into_iter().map(|i| (i, None)));
                }
                Err(ConsensusError::WrongHeight { expected, found }) if found > expected => {
                    // Kept for later only if the committee signed it (anyone can claim a
                    // height), and only a little ahead: farther is for block sync.
                    if self.verify_ahead(&input, found, from, net)? {
                        if found <= expected + FUTURE_WINDOW
                            && self.future.len() < self.config.max_future
                        {
                            self.future.push((input, from));
                        }
                        self.behind = from.or(self.behind);
                    }
                }
                Err(ConsensusError::NotStarted) => {
                    // Kept for the first height only if verified (nothing unverified is kept).
                    let verified = match (from, height_of(&input)) {
                        (Some(_), Some(h)) => self.signed_by_committee(&input, h)? == Some(true),
                        _ => true,
                    };
                    if verified && self.future.len() < self.config.max_future {
                        self.future.push((input, from));
                    }
                }
                Err(ConsensusError::BadSignature { .. } | ConsensusError::NotMember { .. }) => {
                    self.refusals.rejected += 1;
                    if let Some(peer) = from {
                        net.penalize(peer, Offence::Invalid);
                    }
                }
                Err(_) => {
                    if height_of(&input).is_some() {
                        self.refusals.rejected += 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// The periodic tick (about once per propose timeout): a sync request when behind (or when
    /// not voting), and a re-broadcast of this height's messages of the current and previous
    /// round, and a sync request for this height (a peer may have decided it), when no height
    /// was decided since the last tick (the network may have lost messages). While the height
    /// stays stalled these back off (ticks 1, 2, 4, 8, then every 8th), so a slow network is not
    /// flooded by its own repeats. A decided height waiting for the next is not stalled.
    pub fn on_tick<N: Network<Peer = P>>(&mut self, net: &mut N) -> Result<(), HostError> {
        self.swaps_flush(net)?;
        let from_height = self.read()?.height() + 1;
        match self.behind.take() {
            Some(p) => net.request_sync(Some(p), from_height),
            None if self.machine.is_none() => net.request_sync(None, from_height),
            None => {}
        }
        if let Some(m) = &self.machine {
            let progress = m.height();
            if m.step() == Step::Commit {
                // Decided; the next height starts on its timer. Nothing is stalled.
                self.stalled_ticks = 0;
            } else if progress == self.progress_at_last_tick {
                self.stalled_ticks = self.stalled_ticks.saturating_add(1);
                let n = self.stalled_ticks;
                if n.is_power_of_two() || n.is_multiple_of(8) {
                    let oldest = m.round().saturating_sub(1);
                    for bytes in self.held.since_round(oldest) {
                        net.publish(Topic::Consensus, bytes.clone());
                    }
                    // Others may have decided this height while its last votes never reached
                    // us (they do not repeat a decided height's votes): ask for the block with
                    // its certificate.
                    net.request_sync(None, from_height);
                }
            } else {
                self.stalled_ticks = 0;
            }
            self.progress_at_last_tick = progress;
        }
        Ok(())
    }
}

/// A [`Network`] that records what the host asked for (for tests, examples and tools that
/// drive a host by hand).
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// Published `(topic, bytes)`.
    pub published: Vec<(Topic, Vec<u8>)>,
    /// Sync requests `(peer, from_height)`.
    pub sync_requests: Vec<(Option<u8>, Height)>,
    /// Penalties.
    pub penalties: Vec<(u8, Offence)>,
    /// Timers `(after_ms, input)`.
    pub timers: Vec<(u64, Input)>,
    /// Committed blocks.
    pub committed: Vec<crate::network::Committed>,
}

impl Network for Recorder {
    type Peer = u8;

    fn publish(&mut self, topic: Topic, bytes: Vec<u8>) {
        self.published.push((topic, bytes));
    }

    fn request_sync(&mut self, peer: Option<u8>, from_height: Height) {
        self.sync_requests.push((peer, from_height));
    }

    fn penalize(&mut self, peer: u8, offence: Offence) {
        self.penalties.push((peer, offence));
    }

    fn set_timer(&mut self, after_ms: u64, input: Input) {
        self.timers.push((after_ms, input));
    }

    fn committed(&mut self, commit: &crate::network::Committed) {
        self.committed.push(*commit);
    }
}

#[cfg(test)]
mod tests;
