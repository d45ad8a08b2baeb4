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
use flux_chain::consensus::{ConsensusError, Evidence, Height, Input, Machine, Round, Step};
use flux_chain::mempool::Mempool;
use flux_chain::store::Store;
use flux_chain::tx::Transaction;
use flux_core::crypto::SecretKey;
use flux_nodes::NodeId;

mod error;
pub mod liveness;
mod perform;
pub mod swaps;
mod sync;

pub use error::HostError;
pub use sync::serve_sync as serve_sync_from;

use crate::message::{Attest, AttestKind, Message};
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

/// Most blocks of proposals a host holds for the heights it is deciding (a proposer may
/// propose once per round; anything beyond is refused).
pub const MAX_HELD_BLOCKS: usize = 64;

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
    blocks: BTreeMap<BlockId, Block>,
    checked: BTreeMap<BlockId, CheckedBlock>,
    future: Vec<(Input, Option<P>)>,
    evidence: BTreeSet<Evidence>,
    /// This height's consensus messages, sent or received, with their rounds: re-broadcast
    /// when the height stalls.
    held: BTreeSet<(Round, Vec<u8>)>,
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
    synced_ahead: BTreeMap<Height, (Block, flux_chain::consensus::CommitCertificate)>,
    pending_txs: Vec<Transaction>,
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
            blocks: BTreeMap::new(),
            checked: BTreeMap::new(),
            future: Vec::new(),
            evidence: BTreeSet::new(),
            held: BTreeSet::new(),
            behind: None,
            progress_at_last_tick: 0,
            stalled_ticks: 0,
            seen_height: 0,
            attesting: BTreeMap::new(),
            commit_times: BTreeMap::new(),
            attested: BTreeSet::new(),
            synced_ahead: BTreeMap::new(),
            pending_txs: Vec::new(),
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
                self.feed(Input::Resume { resume, committee }, None, now_ms, net)
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

    /// Gossip bytes from `peer` on `topic`.
    pub fn on_gossip<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        bytes: &[u8],
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Ok(message) = Message::from_bytes(bytes) else {
            self.refusals.undecodable += 1;
            net.penalize(peer, Offence::Undecodable);
            return Ok(());
        };
        // (A decided height's late messages are not kept: nobody needs them re-broadcast.)
        let current = self
            .machine
            .as_ref()
            .filter(|m| m.step() != Step::Commit)
            .map(|m| m.height());
        let position = match &message {
            Message::Proposal { proposal, .. } => {
                Some((proposal.proposal.height, proposal.proposal.round))
            }
            Message::Vote(v) => Some((v.vote.height, v.vote.round)),
            Message::Txs(_) | Message::Attest(_) | Message::Swap(_) => None,
        };
        // Votes and proposals of the current height are relayed when it stalls (a vote lost on
        // its way from a validator that then crashed reaches everyone anyway).
        if let Some((height, round)) = position
            && Some(height) == current
            && self.held.len() < self.config.max_future
        {
            self.held.insert((round, bytes.to_vec()));
        }
        match message {
            Message::Proposal { proposal, block } => {
                if block.id().ok() != Some(proposal.proposal.value) {
                    self.refusals.rejected += 1;
                    net.penalize(peer, Offence::Invalid);
                    return Ok(());
                }
                let h = block.header.height;
                let next = self.read()?.height() + 1;
                if h != proposal.proposal.height || h < next || h > next + FUTURE_WINDOW {
                    // Another height's block, or one too old or too far ahead to hold.
                    self.refusals.rejected += u64::from(h != proposal.proposal.height);
                    return Ok(());
                }
                // The block is held before the machine sees the proposal, so check the
                // signature first: nobody else gets a block into memory.
                let input = Input::Proposal(proposal);
                match self.signed_by_committee(&input, h)? {
                    Some(true) => {}
                    Some(false) => {
                        self.refusals.rejected += 1;
                        net.penalize(peer, Offence::Invalid);
                        return Ok(());
                    }
                    None => {
                        self.refusals.rejected += 1;
                        if h == next {
                            net.penalize(peer, Offence::Invalid);
                        }
                        return Ok(());
                    }
                }
                if self.blocks.len() >= MAX_HELD_BLOCKS
                    && !self.blocks.contains_key(&proposal.proposal.value)
                {
                    self.refusals.rejected += 1;
                    return Ok(());
                }
                self.blocks.insert(proposal.proposal.value, block);
                self.feed(input, Some(peer), now_ms, net)
            }
            Message::Vote(v) => self.feed(Input::Vote(v), Some(peer), now_ms, net),
            Message::Txs(txs) => self.receive_txs(peer, txs, net),
            Message::Attest(Attest::Request(request)) => {
                self.on_attest_request(peer, request, now_ms, net)
            }
            Message::Attest(Attest::Hosting { node, seed_height }) => {
                self.on_hosting_request(node, seed_height, now_ms, net)
            }
            Message::Attest(Attest::Signed {
                kind,
                subject,
                seed_height,
                attestation,
            }) => self.on_attested(kind, subject, seed_height, attestation, net),
            Message::Swap(message) => self.on_swap(peer, message, net),
        }
    }

    /// Transactions gossiped by `peer`: each one the mempool takes is kept; a transaction that
    /// breaks a rule on its own (a bad signature, another chain) costs the peer.
    fn receive_txs<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        txs: Vec<Transaction>,
        net: &mut N,
    ) -> Result<(), HostError> {
        let chain = self.read()?;
        let mut pool = self.pool()?;
        let mut invalid = false;
        for tx in txs {
            let refused = pool.insert(tx.clone(), chain.state());
            // Only a transaction invalid on its own costs the peer: one refused by a rule that
            // reads the state may have been valid where the peer stands.
            if let Err(flux_chain::error::MempoolError::Invalid(_)) = refused
                && tx.check(chain.state().params()).is_err()
            {
                invalid = true;
            }
        }
        drop(pool);
        drop(chain);
        if invalid {
            self.refusals.rejected += 1;
            net.penalize(peer, Offence::Invalid);
        }
        Ok(())
    }

    /// Queues a transaction the node accepted (from its API) for gossip; see [`Host::flush`].
    pub fn gossip_tx(&mut self, tx: Transaction) {
        self.pending_txs.push(tx);
    }

    /// Gossips the queued transactions in batches.
    pub fn flush<N: Network<Peer = P>>(&mut self, net: &mut N) -> Result<(), HostError> {
        while !self.pending_txs.is_empty() {
            let n = self.pending_txs.len().min(self.config.tx_batch.max(1));
            let batch: Vec<Transaction> = self.pending_txs.drain(..n).collect();
            net.publish(Topic::Txs, Message::Txs(batch).to_bytes()?);
        }
        Ok(())
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
                    if self.future.len() < self.config.max_future {
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

    /// Whether a member of `height`'s committee (as far as this chain knows it) signed a
    /// proposal or vote: `None` if the signer is not a member.
    fn signed_by_committee(
        &self,
        input: &Input,
        height: Height,
    ) -> Result<Option<bool>, HostError> {
        let chain = self.read()?;
        let committee = chain.committee(height)?;
        let chain_id = chain.state().params().chain_id;
        Ok(match input {
            Input::Vote(v) => committee
                .get(&v.vote.validator)
                .map(|m| v.verify(&m.key, chain_id).is_ok()),
            Input::Proposal(p) => committee
                .get(&p.proposal.proposer)
                .map(|m| p.verify(&m.key, chain_id).is_ok()),
            _ => Some(true),
        })
    }

    /// A proposal or vote for a later `height`: `true` if a member of that height's committee
    /// (as far as this chain knows it) signed it, which also counts toward
    /// [`Host::network_height`]. A bad signature costs the sender; a signer outside the
    /// committee is ignored without a penalty (at an epoch's turn an honest peer may already
    /// follow a committee this node has not drawn yet).
    fn verify_ahead<N: Network<Peer = P>>(
        &mut self,
        input: &Input,
        height: Height,
        from: Option<P>,
        net: &mut N,
    ) -> Result<bool, HostError> {
        match self.signed_by_committee(input, height)? {
            Some(true) => {
                self.seen_height = self.seen_height.max(height);
                Ok(true)
            }
            Some(false) => {
                self.refusals.rejected += 1;
                if let Some(peer) = from {
                    net.penalize(peer, Offence::Invalid);
                }
                Ok(false)
            }
            None => {
                self.refusals.rejected += 1;
                Ok(false)
            }
        }
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
                    for (_, bytes) in self.held.range((oldest, Vec::new())..) {
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
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use flux_chain::consensus::{Vote, VoteKind};
    use flux_chain::genesis::Genesis;
    use flux_chain::mempool::MempoolConfig;
    use flux_chain::store::MemStore;
    use flux_core::crypto::Scheme;

    fn host() -> (
        Host<MemStore, u8>,
        Vec<flux_chain::devnet::ValidatorKeys>,
        u64,
    ) {
        let (genesis, keys) = Genesis::devnet_with_nodes(4, 3).unwrap();
        let chain = Chain::open_or_create(MemStore::new(), &genesis).unwrap();
        let chain = Arc::new(RwLock::new(chain));
        let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
        let config = HostConfig::new(Some(keys[0].operator.clone()));
        (
            Host::new(config, chain, pool).unwrap(),
            keys,
            genesis.timestamp_ms,
        )
    }

    fn vote_bytes(key: &SecretKey, height: Height) -> Vec<u8> {
        let chain_id = flux_core::ChainId::DEVNET;
        let vote = Vote {
            height,
            round: 0,
            kind: VoteKind::Prevote,
            value: None,
            validator: NodeId::of(&key.public_key()),
        };
        Message::Vote(vote.sign(key, chain_id).unwrap())
            .to_bytes()
            .unwrap()
    }

    #[test]
    fn a_committee_vote_for_a_later_height_raises_the_network_height() {
        let (mut host, keys, t0) = host();
        let mut net = Recorder::default();
        host.start(t0 + 1, &mut net).unwrap();
        assert_eq!(host.network_height().unwrap(), 0);
        host.on_gossip(2, &vote_bytes(&keys[1].operator, 40), t0 + 2, &mut net)
            .unwrap();
        assert_eq!(host.network_height().unwrap(), 40);
        assert!(net.penalties.is_empty());
        // A lower claim changes nothing.
        host.on_gossip(2, &vote_bytes(&keys[2].operator, 30), t0 + 3, &mut net)
            .unwrap();
        assert_eq!(host.network_height().unwrap(), 40);
    }

    #[test]
    fn a_stranger_or_a_forged_vote_does_not_count_and_a_forgery_costs_its_sender() {
        let (mut host, keys, t0) = host();
        let mut net = Recorder::default();
        host.start(t0 + 1, &mut net).unwrap();
        let stranger = SecretKey::from_bytes(Scheme::Ed25519, &[77; 32]).unwrap();
        host.on_gossip(5, &vote_bytes(&stranger, 1_000), t0 + 2, &mut net)
            .unwrap();
        assert_eq!(host.network_height().unwrap(), 0);
        // A committee member's id with another key's signature.
        let chain_id = flux_core::ChainId::DEVNET;
        let vote = Vote {
            height: 1_000,
            round: 0,
            kind: VoteKind::Prevote,
            value: None,
            validator: NodeId::of(&keys[1].operator.public_key()),
        };
        let forged = Message::Vote(vote.sign(&stranger, chain_id).unwrap())
            .to_bytes()
            .unwrap();
        host.on_gossip(6, &forged, t0 + 3, &mut net).unwrap();
        assert_eq!(host.network_height().unwrap(), 0);
        assert_eq!(net.penalties, vec![(6, Offence::Invalid)]);
    }

    #[test]
    fn a_far_ahead_vote_is_not_buffered_but_makes_the_host_sync_from_its_sender() {
        let (mut host, keys, t0) = host();
        let mut net = Recorder::default();
        host.start(t0 + 1, &mut net).unwrap();
        let near = vote_bytes(&keys[1].operator, 1 + FUTURE_WINDOW);
        let far = vote_bytes(&keys[1].operator, 500);
        host.on_gossip(3, &near, t0 + 2, &mut net).unwrap();
        host.on_gossip(4, &far, t0 + 2, &mut net).unwrap();
        assert_eq!(
            host.future.len(),
            1,
            "only the near one waits for its height"
        );
        host.on_tick(&mut net).unwrap();
        assert_eq!(net.sync_requests.last(), Some(&(Some(4), 1)));
        // A stranger's far claims neither buffer nor steer the sync.
        let stranger = SecretKey::from_bytes(Scheme::Ed25519, &[78; 32]).unwrap();
        for h in 2..100 {
            host.on_gossip(9, &vote_bytes(&stranger, h), t0 + 3, &mut net)
                .unwrap();
        }
        assert_eq!(host.future.len(), 1);
        let requests = net.sync_requests.len();
        host.on_tick(&mut net).unwrap();
        assert!(
            net.sync_requests[requests..]
                .iter()
                .all(|(p, _)| *p != Some(9))
        );
    }

    #[test]
    fn a_proposal_signed_by_a_stranger_is_not_held() {
        let (mut host, _keys, t0) = host();
        let mut net = Recorder::default();
        host.start(t0 + 1, &mut net).unwrap();
        let stranger = SecretKey::from_bytes(Scheme::Ed25519, &[79; 32]).unwrap();
        let state = host.read().unwrap().state().clone();
        let block = flux_chain::transition::build_block(
            &state,
            stranger.public_key(),
            t0 + 1_000,
            vec![],
            vec![],
        )
        .unwrap();
        let proposal = flux_chain::consensus::Proposal {
            height: 1,
            round: 0,
            value: block.id().unwrap(),
            pol_round: None,
            proposer: NodeId::of(&stranger.public_key()),
        }
        .sign(&stranger, flux_core::ChainId::DEVNET)
        .unwrap();
        let held = host.held_blocks().len();
        let bytes = Message::Proposal { proposal, block }.to_bytes().unwrap();
        host.on_gossip(7, &bytes, t0 + 2, &mut net).unwrap();
        assert_eq!(host.held_blocks().len(), held);
        assert_eq!(net.penalties, vec![(7, Offence::Invalid)]);
    }

    #[test]
    fn a_stalled_height_is_rebroadcast_with_backoff() {
        let (mut host, _keys, t0) = host();
        let mut net = Recorder::default();
        host.start(t0 + 1, &mut net).unwrap();
        // Nobody answers: the height stalls. Count the re-broadcasting ticks.
        let mut rebroadcasts = Vec::new();
        for tick in 1..=16u32 {
            let before = net.published.len();
            host.on_tick(&mut net).unwrap();
            if net.published.len() > before {
                rebroadcasts.push(tick);
            }
        }
        // The first tick only records where the machine stands; then stalled ticks 1, 2, 4
        // and 8 re-broadcast (ticks 2, 3, 5, 9), then every 8th.
        assert_eq!(rebroadcasts, vec![2, 3, 5, 9]);
    }

    #[test]
    fn a_decided_height_waiting_for_the_next_is_not_stalled() {
        let (genesis, keys) = Genesis::devnet_with_nodes(1, 3).unwrap();
        let chain = Chain::open_or_create(MemStore::new(), &genesis).unwrap();
        let chain = Arc::new(RwLock::new(chain));
        let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
        let config = HostConfig::new(Some(keys[0].operator.clone()));
        let mut host: Host<MemStore, u8> = Host::new(config, chain, pool).unwrap();
        let mut net = Recorder::default();
        // Alone, it decides height 1 at once and waits for the next height's timer.
        host.start(genesis.timestamp_ms + 1, &mut net).unwrap();
        assert_eq!(host.machine().map(Machine::step), Some(Step::Commit));
        // Late copies of the decided height's messages arrive.
        let late: Vec<Vec<u8>> = net.published.iter().map(|(_, b)| b.clone()).collect();
        assert!(!late.is_empty());
        for bytes in &late {
            host.on_gossip(1, bytes, genesis.timestamp_ms + 2, &mut net)
                .unwrap();
        }
        let published = net.published.len();
        for _ in 0..10 {
            host.on_tick(&mut net).unwrap();
        }
        assert_eq!(net.published.len(), published);
    }
}
