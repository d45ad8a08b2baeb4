//! One simulated validator: the host around a [`Machine`]. It builds and checks blocks with
//! its own chain, answers sync requests, and turns the machine's outputs into [`Effect`]s the
//! simulator performs (sends, timers, decisions to check).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use flux_chain::block::{Block, BlockId};
use flux_chain::chain::Chain;
use flux_chain::consensus::{
    CommitCertificate, Committee, ConsensusError, Evidence, Height, Input, Machine,
};
use flux_chain::store::MemStore;
use flux_core::crypto::SecretKey;
use flux_core::{ChainParams, Hash};
use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;

mod outputs;
mod sync;

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

    /// The committee of the next height: the epoch's committee without the members this
    /// validator's chain has slashed for equivocation (an equivocator leaves at once). Derived
    /// from the chain, so a validator that restarts or syncs agrees with the others.
    pub(crate) fn current_committee(&self) -> Result<Committee, SimError> {
        let registry = self.storage.chain.state().registry();
        let mut committee = self.committee.clone();
        for member in self.committee.members() {
            if registry
                .get(&member.id)
                .is_some_and(|e| !e.slashed.is_empty())
            {
                committee = committee.without(&member.id)?;
            }
        }
        Ok(committee)
    }

    fn next_height(&mut self, now: u64, fx: &mut Vec<Effect>) -> Result<(), SimError> {
        let input = Input::NewHeight {
            height: self.storage.chain.height() + 1,
            committee: self.current_committee()?,
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
