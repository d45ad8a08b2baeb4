//! How the consensus driver performs its machine's outputs: gossip, timers, blocks built and
//! checked, decisions committed (and announced to the [`CommitFollower`]s), evidence kept for
//! its next block.

use std::collections::VecDeque;

use flux_chain::block::Block;
use flux_chain::consensus::{CommitCertificate, Height, Input, Output};
use flux_chain::store::Store;

use super::{ConsensusDriver, build};
use crate::host::HostError;
use crate::host::shared::{CommitFollower, CommitNotice};
use crate::message::Message;
use crate::network::{Committed, Network, Topic};

impl<S: Store, P: Copy + Ord + std::fmt::Debug> ConsensusDriver<S, P> {
    fn broadcast<N: Network<Peer = P>>(
        &mut self,
        message: &Message,
        net: &mut N,
    ) -> Result<(), HostError> {
        let bytes = message.to_bytes()?;
        let round = match message {
            Message::Proposal { proposal, .. } => proposal.proposal.round,
            Message::Vote(v) => v.vote.round,
            Message::Txs(_) | Message::Attest(_) | Message::Swap(_) => 0,
        };
        self.held.insert(round, bytes.clone());
        net.publish(Topic::Consensus, bytes);
        Ok(())
    }

    /// Persists where the machine stands before a proposal or vote leaves (see
    /// [`Input::Resume`]), with the block of its valid value first: restarted, a proposer
    /// re-proposes that block, so it must have it.
    fn persist_resume_point(&mut self) -> Result<(), HostError> {
        let Some(point) = self.machine.as_ref().map(|m| m.resume_point()) else {
            return Ok(());
        };
        if self.last_resume == Some(point) {
            return Ok(());
        }
        let valid = point.valid.map(|(_, id)| id);
        let block = valid
            .filter(|id| self.last_resume.and_then(|r| r.valid).map(|(_, v)| v) != Some(*id))
            .and_then(|id| self.blocks.get(&id));
        let mut chain = self.ledger.write()?;
        if let Some(block) = block {
            chain.put_resume_block(block)?;
        }
        chain.put_resume_point(&point)?;
        drop(chain);
        self.last_resume = Some(point);
        Ok(())
    }

    pub(super) fn perform<N: Network<Peer = P>, F: CommitFollower<P>>(
        &mut self,
        output: Output,
        now_ms: u64,
        work: &mut VecDeque<Input>,
        // (decisions start the next height through a timer, see `Output::Decide`)
        net: &mut N,
        followers: &mut F,
    ) -> Result<(), HostError> {
        match output {
            Output::BroadcastProposal(proposal) => {
                if let Some(block) = self.blocks.get(&proposal.proposal.value).cloned() {
                    // Stored first: restarted after its proposal left, the proposer starts the
                    // next round and never signs a second proposal for this one (evidence).
                    self.persist_resume_point()?;
                    self.broadcast(&Message::Proposal { proposal, block }, net)?;
                }
            }
            Output::BroadcastVote(vote) => {
                self.persist_resume_point()?;
                self.broadcast(&Message::Vote(vote), net)?;
            }
            Output::ScheduleTimeout {
                kind,
                height,
                round,
                duration_ms,
            } => {
                let input = Input::timeout(kind, height, round);
                net.set_timer(duration_ms, input);
            }
            Output::RequestBlock { height, round } => {
                let (block, checked) = build::next_block(
                    &self.ledger,
                    self.me.key.as_ref(),
                    &self.evidence,
                    self.max_block_txs,
                    now_ms,
                )?;
                if block.header.height == height {
                    let value = block.id()?;
                    // The proposer built (executed) it: checked, it commits without a second run.
                    if let Some(c) = checked {
                        self.checked.insert(value, c);
                    }
                    let size = flux_chain::codec::encoded_len(&block)? as usize;
                    let keep = self.pinned_blocks();
                    self.blocks
                        .insert((height, round), value, block, size, &keep);
                    work.push_back(Input::ProposeValue {
                        height,
                        round,
                        value,
                    });
                }
            }
            Output::ValidateBlock { height, value, .. } => {
                // This node's own proposal was checked when it was built.
                let built_here = self
                    .checked
                    .get(&value)
                    .is_some_and(|c| c.block().header.height == height);
                let checked = match self.blocks.get(&value) {
                    _ if built_here => None,
                    Some(b) if b.header.height == height => match self.ledger.check(b)? {
                        Ok(c) => Some(c),
                        Err(e) => {
                            tracing::warn!(height, block = %value, error = %e, "proposal refused");
                            None
                        }
                    },
                    _ => {
                        tracing::debug!(height, block = %value, "proposal's block not held");
                        None
                    }
                };
                let valid = built_here || checked.is_some();
                if let Some(c) = checked {
                    self.checked.insert(value, c);
                }
                work.push_back(Input::BlockValidity { value, valid });
            }
            Output::Decide {
                height,
                value,
                commit,
            } => {
                let block =
                    self.blocks
                        .get(&value)
                        .cloned()
                        .ok_or_else(|| HostError::InvalidDecision {
                            height,
                            reason: "decided block not held".into(),
                        })?;
                let timestamp = block.header.timestamp_ms;
                self.commit_block(block, commit, false, now_ms, net, followers)?;
                let (height, committee, block_time) = {
                    let chain = self.ledger.read()?;
                    let next = chain.height() + 1;
                    (
                        next,
                        chain.committee(next)?,
                        chain.state().params().block_time_ms,
                    )
                };
                // The next height starts one block time after this block's (Tendermint's
                // timeout_commit): blocks come at the chain's pace, and late votes for this
                // height still reach the others' certificates.
                let delay = timestamp
                    .saturating_add(block_time)
                    .saturating_sub(now_ms)
                    .clamp(1, block_time.max(1));
                net.set_timer(delay, Input::NewHeight { height, committee });
            }
            Output::Evidence(e) => {
                self.evidence.insert(e);
            }
        }
        Ok(())
    }

    /// Commits a block decided elsewhere, whose certificate block sync verified.
    pub(crate) fn commit_synced<N: Network<Peer = P>, F: CommitFollower<P>>(
        &mut self,
        block: Block,
        commit: CommitCertificate,
        net: &mut N,
        followers: &mut F,
    ) -> Result<(), HostError> {
        self.checked.clear();
        self.commit_block(block, commit, true, 0, net, followers)
    }

    /// Commits a decided block (checked before if this host validated it), forgets the
    /// finished height and tells the followers.
    fn commit_block<N: Network<Peer = P>, F: CommitFollower<P>>(
        &mut self,
        block: Block,
        commit: CommitCertificate,
        synced: bool,
        now_ms: u64,
        net: &mut N,
        followers: &mut F,
    ) -> Result<(), HostError> {
        let height: Height = block.header.height;
        let value = commit.value;
        let invalid = |e: flux_chain::error::ChainError| HostError::InvalidDecision {
            height,
            reason: e.to_string(),
        };
        let checked = match self.checked.remove(&value) {
            Some(c) => c,
            None => self.ledger.check(&block)?.map_err(invalid)?,
        };
        let (mut committed_txs, mut swaps_out) = (Vec::with_capacity(block.txs.len()), Vec::new());
        for tx in &block.txs {
            let Ok(id) = tx.id() else { continue };
            committed_txs.push(id);
            if matches!(tx.kind, flux_chain::tx::TxKind::SwapOut(_)) {
                swaps_out.push(id);
            }
        }
        let (state_root, txs, timestamp_ms) = (
            checked.state_root(),
            block.txs.len(),
            block.header.timestamp_ms,
        );
        self.ledger
            .write()?
            .commit_checked(checked, Some(&commit))
            .map_err(invalid)?;
        net.committed(&Committed {
            height,
            block: value,
            state_root,
            txs,
            timestamp_ms,
            synced,
        });
        self.blocks.forget_through(height);
        self.checked.clear();
        {
            let chain = self.ledger.read()?;
            let state = chain.state();
            self.ledger.pool()?.prune(state);
            let registry = state.registry();
            let max_age = state.params().consensus.evidence_max_age;
            self.evidence.retain(|e| {
                e.height().saturating_add(max_age) > height
                    && registry
                        .get(&e.validator())
                        .is_some_and(|n| !n.slashed.contains(&e.height()))
            });
        }
        self.held.clear();
        self.stalled_ticks = 0;
        let notice = CommitNotice {
            height,
            txs: committed_txs,
            swaps_out,
            synced,
            now_ms,
        };
        followers.committed(&notice, net)
    }
}
