//! One simulated validator: the host around a [`Machine`]. It builds and checks blocks with
//! its own chain, answers sync requests, and turns the machine's outputs into [`Effect`]s the
//! simulator performs (sends, timers, decisions to check).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use flux_chain::block::{Block, BlockId};
use flux_chain::chain::Chain;
use flux_chain::consensus::{
    CommitCertificate, Committee, ConsensusError, Evidence, Height, Input, Machine, Output,
    TimeoutKind,
};
use flux_chain::store::MemStore;
use flux_chain::transition::{apply_block, build_block};
use flux_chain::tx::{Transaction, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{Address, Amount, ChainParams, Hash};
use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;

use super::config::Fault;
use super::error::SimError;
use super::message::Message;

/// Most inputs of later heights a validator buffers.
const MAX_FUTURE: usize = 4_096;
/// Most decided blocks sent in answer to one sync request.
const SYNC_BATCH: u64 = 8;

/// What a validator asks the simulator to do.
#[derive(Debug)]
pub(crate) enum Effect {
    /// Send to every other validator.
    Broadcast(Vec<u8>),
    /// Send to one validator.
    Send(usize, Vec<u8>),
    /// Deliver `input` to this validator after `delay_ms`.
    Timer(u64, Input),
    /// This validator's chain now holds `value` at `height` with state root `root`.
    Applied(Height, BlockId, Hash),
}

/// What survives a crash: the chain and the certificates of its blocks, and the last height
/// the validator may have voted in (so it never votes twice in one height after a restart).
#[derive(Debug)]
pub(crate) struct Storage {
    pub(crate) chain: Chain<MemStore>,
    pub(crate) certs: BTreeMap<Height, CommitCertificate>,
    pub(crate) voted_height: Height,
}

/// Counters of what a validator refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Refusals {
    pub(crate) undecodable: u64,
    pub(crate) rejected: u64,
}

#[derive(Debug)]
pub(crate) struct Validator {
    pub(crate) index: usize,
    pub(crate) fault: Option<Fault>,
    seed: u64,
    key: SecretKey,
    owner: SecretKey,
    params: ChainParams,
    committee: Committee,
    base_ts: u64,
    pub(crate) storage: Storage,
    pub(crate) machine: Option<Machine>,
    pub(crate) running: bool,
    pub(crate) incarnation: u64,
    blocks: BTreeMap<BlockId, Block>,
    future: Vec<Input>,
    evidence: BTreeSet<Evidence>,
    sent: Vec<Vec<u8>>,
    relay: BTreeSet<Vec<u8>>,
    behind: Option<usize>,
    progress_at_last_tick: Height,
    synced_ahead: BTreeMap<Height, (Block, CommitCertificate)>,
    pub(crate) refusals: Refusals,
}

fn height_of(input: &Input) -> Option<Height> {
    match input {
        Input::Proposal(p) => Some(p.proposal.height),
        Input::Vote(v) => Some(v.vote.height),
        _ => None,
    }
}

impl Validator {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        index: usize,
        fault: Option<Fault>,
        seed: u64,
        key: SecretKey,
        owner: SecretKey,
        params: ChainParams,
        committee: Committee,
        chain: Chain<MemStore>,
    ) -> Validator {
        let base_ts = chain.state().tip().timestamp_ms;
        Validator {
            index,
            fault,
            seed,
            key,
            owner,
            params,
            committee,
            base_ts,
            storage: Storage {
                chain,
                certs: BTreeMap::new(),
                voted_height: 0,
            },
            machine: None,
            running: false,
            incarnation: 0,
            blocks: BTreeMap::new(),
            future: Vec::new(),
            evidence: BTreeSet::new(),
            sent: Vec::new(),
            relay: BTreeSet::new(),
            behind: None,
            progress_at_last_tick: 0,
            synced_ahead: BTreeMap::new(),
            refusals: Refusals::default(),
        }
    }

    fn runs_consensus(&self) -> bool {
        !matches!(self.fault, Some(Fault::Silent | Fault::Garbage))
    }

    fn invalid(&self, height: Height, reason: String) -> SimError {
        SimError::InvalidDecision {
            seed: self.seed,
            validator: self.index,
            height,
            reason,
        }
    }

    /// Starts (or restarts from storage). A restarted validator first syncs past the height it
    /// may have voted in, then rejoins at the next one.
    pub(crate) fn start(&mut self, now: u64, fx: &mut Vec<Effect>) -> Result<(), SimError> {
        self.running = true;
        self.incarnation += 1;
        if self.runs_consensus() && self.storage.chain.height() >= self.storage.voted_height {
            self.machine = Some(Machine::new(&self.params, Some(self.key.clone())));
            self.next_height(now, fx)?;
        }
        Ok(())
    }

    /// Stops: everything but [`Storage`] is lost.
    pub(crate) fn crash(&mut self) {
        if let Some(m) = &self.machine {
            self.storage.voted_height = self.storage.voted_height.max(m.height());
        }
        self.running = false;
        self.machine = None;
        self.blocks.clear();
        self.future.clear();
        self.evidence.clear();
        self.sent.clear();
        self.relay.clear();
        self.behind = None;
        self.synced_ahead.clear();
    }

    fn next_height(&mut self, now: u64, fx: &mut Vec<Effect>) -> Result<(), SimError> {
        let input = Input::NewHeight {
            height: self.storage.chain.height() + 1,
            committee: self.committee.clone(),
        };
        self.feed(input, None, now, fx)
    }

    /// Bytes from `from`.
    pub(crate) fn receive(
        &mut self,
        from: usize,
        bytes: &[u8],
        now: u64,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        if !self.running || !self.runs_consensus() {
            return Ok(());
        }
        let Ok(message) = Message::from_bytes(bytes) else {
            self.refusals.undecodable += 1;
            return Ok(());
        };
        // Gossip: votes and proposals of the current height are relayed when it stalls (a
        // vote lost on its way from a validator that then crashed reaches everyone anyway).
        let current = self.machine.as_ref().map(|m| m.height());
        let height = match &message {
            Message::Proposal { proposal, .. } => Some(proposal.proposal.height),
            Message::Vote(v) => Some(v.vote.height),
            _ => None,
        };
        if height.is_some() && height == current && self.relay.len() < MAX_FUTURE {
            self.relay.insert(bytes.to_vec());
        }
        match message {
            Message::Proposal { proposal, block } => {
                if block.id().ok() != Some(proposal.proposal.value) {
                    self.refusals.rejected += 1;
                    return Ok(());
                }
                let h = block.header.height;
                let next = self.storage.chain.height() + 1;
                if h >= next && h <= next + 2 {
                    self.blocks.insert(proposal.proposal.value, block);
                }
                self.feed(Input::Proposal(proposal), Some(from), now, fx)
            }
            Message::Vote(v) => self.feed(Input::Vote(v), Some(from), now, fx),
            Message::SyncRequest { from_height } => self.answer_sync(from, from_height, fx),
            Message::Decided { block, commit } => self.synced(block, commit, now, fx),
        }
    }

    fn answer_sync(
        &mut self,
        to: usize,
        from: Height,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        let last = self
            .storage
            .chain
            .height()
            .min(from.saturating_add(SYNC_BATCH - 1));
        for h in from..=last {
            let (Ok(Some(block)), Some(commit)) = (
                self.storage.chain.block_by_height(h),
                self.storage.certs.get(&h).cloned(),
            ) else {
                continue;
            };
            fx.push(Effect::Send(
                to,
                Message::Decided { block, commit }.to_bytes()?,
            ));
        }
        Ok(())
    }

    fn synced(
        &mut self,
        block: Block,
        commit: CommitCertificate,
        now: u64,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        let next = self.storage.chain.height() + 1;
        let h = block.header.height;
        if commit.height != h || h < next {
            return Ok(());
        }
        if h > next {
            // Arrived out of order: keep it (a few) until the heights before it are in.
            if h <= next + 2 * SYNC_BATCH {
                self.synced_ahead.insert(h, (block, commit));
            }
            return Ok(());
        }
        if block.id().ok() != Some(commit.value)
            || commit
                .verify(&self.committee, self.params.chain_id)
                .is_err()
        {
            self.refusals.rejected += 1;
            return Ok(());
        }
        self.commit_block(block, commit, fx)?;
        if self.machine.is_none() && self.storage.chain.height() >= self.storage.voted_height {
            self.machine = Some(Machine::new(&self.params, Some(self.key.clone())));
        }
        if self.machine.is_some() {
            self.next_height(now, fx)?;
        }
        let next = self.storage.chain.height() + 1;
        self.synced_ahead.retain(|h, _| *h >= next);
        if let Some((block, commit)) = self.synced_ahead.remove(&next) {
            return self.synced(block, commit, now, fx);
        }
        Ok(())
    }

    /// Appends a decided block to the chain (it must apply) and forgets the finished height.
    fn commit_block(
        &mut self,
        block: Block,
        commit: CommitCertificate,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        let height = block.header.height;
        let value = commit.value;
        self.storage
            .chain
            .apply(&block)
            .map_err(|e| self.invalid(height, e.to_string()))?;
        self.storage.certs.insert(height, commit);
        fx.push(Effect::Applied(
            height,
            value,
            self.storage.chain.state().state_root(),
        ));
        self.blocks.retain(|_, b| b.header.height > height);
        let registry = self.storage.chain.state().registry();
        self.evidence.retain(|e| {
            registry
                .get(&e.validator())
                .is_some_and(|n| !n.slashed.contains(&e.first.vote.height))
        });
        self.sent.clear();
        self.relay.clear();
        Ok(())
    }

    /// A timeout fired.
    pub(crate) fn feed_timer(
        &mut self,
        input: Input,
        now: u64,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        self.feed(input, None, now, fx)
    }

    /// Feeds one input, and everything it leads to, to the machine.
    fn feed(
        &mut self,
        first: Input,
        from: Option<usize>,
        now: u64,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        let mut work = VecDeque::from([first]);
        while let Some(input) = work.pop_front() {
            let Some(machine) = self.machine.as_mut() else {
                self.behind = from.or(self.behind);
                return Ok(());
            };
            let new_height = matches!(input, Input::NewHeight { .. });
            match machine.apply(input.clone()) {
                Ok(outputs) => {
                    if new_height {
                        work.extend(std::mem::take(&mut self.future));
                    }
                    for output in outputs {
                        self.perform(output, now, &mut work, fx)?;
                    }
                }
                Err(ConsensusError::WrongHeight { expected, found }) if found > expected => {
                    if self.future.len() < MAX_FUTURE {
                        self.future.push(input);
                    }
                    self.behind = from.or(self.behind);
                }
                Err(ConsensusError::NotStarted) => {
                    if self.future.len() < MAX_FUTURE {
                        self.future.push(input);
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

    fn broadcast(&mut self, message: &Message, fx: &mut Vec<Effect>) -> Result<(), SimError> {
        let bytes = message.to_bytes()?;
        self.sent.push(bytes.clone());
        fx.push(Effect::Broadcast(bytes));
        Ok(())
    }

    fn perform(
        &mut self,
        output: Output,
        now: u64,
        work: &mut VecDeque<Input>,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        match output {
            Output::BroadcastProposal(proposal) => {
                if let Some(block) = self.blocks.get(&proposal.proposal.value).cloned() {
                    self.broadcast(&Message::Proposal { proposal, block }, fx)?;
                }
            }
            Output::BroadcastVote(vote) => {
                self.broadcast(&Message::Vote(vote), fx)?;
                if let Some(Fault::Equivocating { height }) = self.fault
                    && vote.vote.height == height
                {
                    let mut other = vote.vote;
                    let tag = [b"equivocation".as_slice(), &vote.vote.round.to_le_bytes()].concat();
                    other.value = Some(BlockId(Hash::digest(&tag)));
                    let other = other.sign(&self.key, self.params.chain_id)?;
                    self.broadcast(&Message::Vote(other), fx)?;
                }
            }
            Output::ScheduleTimeout {
                kind,
                height,
                round,
                duration_ms,
            } => {
                let input = match kind {
                    TimeoutKind::Propose => Input::TimeoutPropose { height, round },
                    TimeoutKind::Prevote => Input::TimeoutPrevote { height, round },
                    TimeoutKind::Precommit => Input::TimeoutPrecommit { height, round },
                };
                fx.push(Effect::Timer(duration_ms, input));
            }
            Output::RequestBlock { height, round } => {
                let block = self.build(now)?;
                if block.header.height == height {
                    let value = block.id()?;
                    self.blocks.insert(value, block);
                    work.push_back(Input::ProposeValue {
                        height,
                        round,
                        value,
                    });
                }
            }
            Output::ValidateBlock { height, value, .. } => {
                let state = self.storage.chain.state();
                let valid = self
                    .blocks
                    .get(&value)
                    .is_some_and(|b| b.header.height == height && apply_block(state, b).is_ok());
                if !valid {
                    eprintln!(
                        "DBG {} invalid {:?} held {} err {:?}",
                        self.index,
                        height,
                        self.blocks.contains_key(&value),
                        self.blocks.get(&value).map(|b| apply_block(state, b).err())
                    );
                }
                work.push_back(Input::BlockValidity { value, valid });
            }
            Output::Decide {
                height,
                value,
                commit,
            } => {
                commit
                    .verify(&self.committee, self.params.chain_id)
                    .map_err(|source| SimError::BadCertificate {
                        seed: self.seed,
                        validator: self.index,
                        height,
                        source,
                    })?;
                if commit.value != value || commit.height != height {
                    return Err(self.invalid(height, "certificate of another value".into()));
                }
                let block = self
                    .blocks
                    .get(&value)
                    .cloned()
                    .ok_or_else(|| self.invalid(height, "decided block not held".into()))?;
                self.commit_block(block, commit, fx)?;
                work.push_back(Input::NewHeight {
                    height: self.storage.chain.height() + 1,
                    committee: self.committee.clone(),
                });
            }
            Output::Evidence(e) => {
                self.evidence.insert(e);
            }
        }
        Ok(())
    }

    /// The evidence transaction to include next, if any (one per block: the owner's nonce).
    fn evidence_tx(&self) -> Option<Transaction> {
        let state = self.storage.chain.state();
        let e = self.evidence.iter().find(|e| {
            state
                .registry()
                .get(&e.validator())
                .is_some_and(|n| !n.slashed.contains(&e.first.vote.height))
        })?;
        let nonce = state
            .account(&Address::from_public_key(&self.owner.public_key()))
            .nonce;
        Transaction::sign(
            &self.owner,
            self.params.chain_id,
            nonce,
            Amount::ZERO,
            TxKind::Evidence(*e),
        )
        .ok()
    }

    /// Builds the next block on this validator's chain (with pending evidence if it applies).
    fn build(&self, now: u64) -> Result<Block, SimError> {
        let state = self.storage.chain.state();
        let ts = (state.tip().timestamp_ms + 1).max(self.base_ts.saturating_add(now));
        let proposer = self.key.public_key();
        if let Some(tx) = self.evidence_tx()
            && let Ok(block) = build_block(state, proposer, ts, vec![], vec![tx])
        {
            return Ok(block);
        }
        Ok(build_block(state, proposer, ts, vec![], vec![])?)
    }

    /// The periodic tick: garbage for a garbage sender; for others, a sync request when
    /// behind and a rebroadcast of this height's messages when no progress was made since
    /// the last tick (the network may have lost them).
    pub(crate) fn tick(
        &mut self,
        n: usize,
        rng: &mut ChaCha8Rng,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        match self.fault {
            Some(Fault::Silent) => return Ok(()),
            Some(Fault::Garbage) => {
                let len = (rng.next_u32() % 256) as usize;
                let mut bytes = vec![0u8; len];
                rng.fill_bytes(&mut bytes);
                fx.push(Effect::Broadcast(bytes));
                return Ok(());
            }
            _ => {}
        }
        let peer = match (self.behind.take(), &self.machine) {
            (Some(p), _) => Some(p),
            (None, None) if n > 1 => {
                let p = (rng.next_u64() % (n as u64 - 1)) as usize;
                Some(if p >= self.index { p + 1 } else { p })
            }
            _ => None,
        };
        if let Some(p) = peer {
            let from_height = self.storage.chain.height() + 1;
            fx.push(Effect::Send(
                p,
                Message::SyncRequest { from_height }.to_bytes()?,
            ));
        }
        if let Some(m) = &self.machine {
            let progress = m.height();
            if progress == self.progress_at_last_tick {
                fx.extend(self.sent.iter().cloned().map(Effect::Broadcast));
                fx.extend(self.relay.iter().cloned().map(Effect::Broadcast));
            }
            self.progress_at_last_tick = progress;
        }
        Ok(())
    }
}
