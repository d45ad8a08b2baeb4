//! The consensus driver: the code around a [`Machine`] that every validator runs. It feeds the
//! machine its inputs (gossiped proposals and votes, timers, the start of a height), performs
//! its outputs (gossip, timers, blocks built and checked, decisions committed, evidence kept for
//! its next block), keeps the resume point that makes restarts safe, and re-broadcasts when a
//! height stalls.
//!
//! It owns everything of the heights being decided; the other components hear of a commit
//! through [`CommitFollower`], and block sync hands it decided blocks through
//! [`ConsensusDriver::commit_synced`].
//!
//! - [`inbound`]: proposals and votes from peers, checked before anything of them is kept.
//! - [`perform`]: the machine's outputs, and committing a decided block.
//! - [`build`]: the block this node proposes.
//! - [`held`]: the bounded caches of blocks and messages of the heights being decided.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use flux_chain::block::BlockId;
use flux_chain::chain::CheckedBlock;
use flux_chain::consensus::{
    ConsensusError, Evidence, Height, Input, Machine, ResumePoint, Round, Step,
};
use flux_chain::store::Store;

use super::shared::{CommitFollower, Identity, Ledger};
use super::{FUTURE_WINDOW, HostConfig, HostError, Refusals};
use crate::network::{Network, Offence, Topic};

mod build;
pub mod held;
mod inbound;

pub(crate) use inbound::Arrival;
mod perform;

/// The consensus driver of one node. See the module docs.
#[derive(Debug)]
pub(crate) struct ConsensusDriver<S: Store, P> {
    ledger: Ledger<S>,
    me: Identity,
    /// Most consensus inputs of later heights buffered.
    max_future: usize,
    /// Most transactions put in one block built here.
    max_block_txs: usize,
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
    last_resume: Option<ResumePoint>,
    refusals: Refusals,
}

fn height_of(input: &Input) -> Option<Height> {
    match input {
        Input::Proposal(p) => Some(p.proposal.height),
        Input::Vote(v) => Some(v.vote.height),
        _ => None,
    }
}

impl<S: Store, P: Copy + Ord + std::fmt::Debug> ConsensusDriver<S, P> {
    pub(crate) fn new(config: &HostConfig, ledger: Ledger<S>) -> ConsensusDriver<S, P> {
        ConsensusDriver {
            ledger,
            me: Identity::new(config.key.clone()),
            max_future: config.max_future,
            max_block_txs: config.max_block_txs,
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
            last_resume: None,
            refusals: Refusals::default(),
        }
    }

    /// The consensus machine, once started.
    pub(crate) fn machine(&self) -> Option<&Machine> {
        self.machine.as_ref()
    }

    /// What it refused so far.
    pub(crate) fn refusals(&self) -> Refusals {
        self.refusals
    }

    /// See [`super::Host::network_height`].
    pub(crate) fn network_height(&self) -> Result<Height, HostError> {
        Ok(self.seen_height.max(self.ledger.read()?.height()))
    }

    /// Consensus inputs buffered for later heights (for tests).
    #[cfg(test)]
    pub(crate) fn future_len(&self) -> usize {
        self.future.len()
    }

    /// Starts consensus at the next height. A validator that voted at that height before a
    /// restart resumes it from its stored resume point (a fresh round, its lock kept).
    pub(crate) fn start<N: Network<Peer = P>, F: CommitFollower<P>>(
        &mut self,
        now_ms: u64,
        net: &mut N,
        followers: &mut F,
    ) -> Result<(), HostError> {
        let params = self.ledger.read()?.state().params().clone();
        self.machine = Some(Machine::new(&params, self.me.key.clone()));
        let (next, resume, committee) = {
            let chain = self.ledger.read()?;
            let next = chain.height() + 1;
            (next, chain.resume_point()?, chain.committee(next)?)
        };
        match resume {
            Some(resume) if resume.height == next && self.me.id.is_some() => {
                // The block of the valid value, stored with the resume point: a proposer
                // re-proposes it, and must hold it (and know it valid) to do so.
                let restored = match resume.valid {
                    Some((round, id)) => self
                        .ledger
                        .read()?
                        .resume_block(&id)?
                        .filter(|b| b.header.height == next)
                        .map(|b| (round, id, b)),
                    None => None,
                };
                let mut validity = None;
                if let Some((round, id, block)) = restored {
                    let size = flux_chain::codec::encoded_len(&block)? as usize;
                    let checked = self.ledger.check(&block)?.ok();
                    self.blocks.insert((next, round), id, block, size, &[id]);
                    validity = Some(Input::BlockValidity {
                        value: id,
                        valid: checked.is_some(),
                    });
                    if let Some(c) = checked {
                        self.checked.insert(id, c);
                    }
                }
                self.feed(
                    Input::Resume { resume, committee },
                    None,
                    now_ms,
                    net,
                    followers,
                )?;
                match validity {
                    Some(input) => self.feed(input, None, now_ms, net, followers),
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
                followers,
            ),
        }
    }

    /// After block sync committed blocks: the next height starts at once (the machine
    /// starts, if it had not).
    pub(crate) fn resume_after_sync<N: Network<Peer = P>, F: CommitFollower<P>>(
        &mut self,
        now_ms: u64,
        net: &mut N,
        followers: &mut F,
    ) -> Result<(), HostError> {
        if self.machine.is_none() {
            return self.start(now_ms, net, followers);
        }
        let (height, committee) = {
            let chain = self.ledger.read()?;
            let next = chain.height() + 1;
            (next, chain.committee(next)?)
        };
        self.feed(
            Input::NewHeight { height, committee },
            None,
            now_ms,
            net,
            followers,
        )
    }

    /// A timer set through [`Network::set_timer`] fired.
    pub(crate) fn on_timer<N: Network<Peer = P>, F: CommitFollower<P>>(
        &mut self,
        input: Input,
        now_ms: u64,
        net: &mut N,
        followers: &mut F,
    ) -> Result<(), HostError> {
        self.feed(input, None, now_ms, net, followers)
    }

    /// Feeds one input, and everything it leads to, to the machine.
    fn feed<N: Network<Peer = P>, F: CommitFollower<P>>(
        &mut self,
        first: Input,
        from: Option<P>,
        now_ms: u64,
        net: &mut N,
        followers: &mut F,
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
                        self.perform(output, now_ms, &mut next, net, followers)?;
                    }
                    work.extend(next.into_iter().map(|i| (i, None)));
                }
                Err(ConsensusError::WrongHeight { expected, found }) if found > expected => {
                    // Kept for later only if the committee signed it (anyone can claim a
                    // height), and only a little ahead: farther is for block sync.
                    if self.verify_ahead(&input, found, from, net)? {
                        if found <= expected + FUTURE_WINDOW && self.future.len() < self.max_future
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
                    if verified && self.future.len() < self.max_future {
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

    /// The consensus part of the host's tick (see [`super::Host::on_tick`]): a sync request
    /// when behind (or when not voting), and the stalled height's re-broadcast with back-off.
    pub(crate) fn on_tick<N: Network<Peer = P>>(&mut self, net: &mut N) -> Result<(), HostError> {
        let from_height = self.ledger.read()?.height() + 1;
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

    /// The height being decided and its round, unless it is decided already.
    fn deciding(&self) -> Option<(Height, Round)> {
        self.machine
            .as_ref()
            .filter(|m| m.step() != Step::Commit)
            .map(|m| (m.height(), m.round()))
    }

    /// The ids of the blocks held for the current heights (for tests).
    pub(crate) fn held_blocks(&self) -> Vec<BlockId> {
        self.blocks.ids().copied().collect()
    }
}
