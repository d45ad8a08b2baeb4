//! How the host performs its machine's outputs: gossip, timers, blocks built and checked,
//! decisions committed, evidence kept for its next block.

use std::collections::VecDeque;

use flux_chain::block::{Block, BlockId};
use flux_chain::chain::CheckedBlock;
use flux_chain::consensus::{CommitCertificate, Height, Input, Output};
use flux_chain::store::Store;
use flux_chain::transition::{RootMode, Verification, build_block_with};
use flux_chain::tx::{Transaction, TxKind};
use flux_core::{Address, Amount};

use super::{Host, HostError};
use crate::message::Message;
use crate::network::{Committed, Network, Topic};

impl<S: Store, P: Copy + Ord + std::fmt::Debug> Host<S, P> {
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
        let mut chain = self.write()?;
        if let Some(block) = block {
            chain.put_resume_block(block)?;
        }
        chain.put_resume_point(&point)?;
        drop(chain);
        self.last_resume = Some(point);
        Ok(())
    }

    pub(super) fn perform<N: Network<Peer = P>>(
        &mut self,
        output: Output,
        now_ms: u64,
        work: &mut VecDeque<Input>,
        // (decisions start the next height through a timer, see `Output::Decide`)
        net: &mut N,
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
                let (block, checked) = self.build(now_ms)?;
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
                    Some(b) if b.header.height == height => match self.read()?.check(b) {
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
                self.commit_block(block, commit, false, now_ms, net)?;
                let (height, committee, block_time) = {
                    let chain = self.read()?;
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

    /// Commits a decided block (checked before if this host validated it) and forgets the
    /// finished height.
    pub(super) fn commit_block<N: Network<Peer = P>>(
        &mut self,
        block: Block,
        commit: CommitCertificate,
        synced: bool,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let height: Height = block.header.height;
        let value = commit.value;
        let invalid = |e: flux_chain::error::ChainError| HostError::InvalidDecision {
            height,
            reason: e.to_string(),
        };
        let checked = match self.checked.remove(&value) {
            Some(c) => c,
            None => self.read()?.check(&block).map_err(invalid)?,
        };
        let swaps_out: Vec<flux_chain::tx::TxId> = block
            .txs
            .iter()
            .filter(|tx| matches!(tx.kind, flux_chain::tx::TxKind::SwapOut(_)))
            .filter_map(|tx| tx.id().ok())
            .collect();
        let (state_root, txs, timestamp_ms) = (
            checked.state_root(),
            block.txs.len(),
            block.header.timestamp_ms,
        );
        self.write()?
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
        self.txs_on_commit();
        {
            let shared = self.chain.clone();
            let chain = shared.read().map_err(|_| HostError::Poisoned)?;
            let state = chain.state();
            self.pool()?.prune(state);
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
        self.swaps_on_commit(height, &swaps_out, net)?;
        if !synced {
            self.liveness_on_commit(height, now_ms, net)?;
        }
        Ok(())
    }

    /// The evidence transaction to include next, if any (one per block: the key's nonce).
    fn evidence_tx(&self) -> Result<Option<Transaction>, HostError> {
        let Some(key) = &self.config.key else {
            return Ok(None);
        };
        let chain = self.read()?;
        let state = chain.state();
        let (next, max_age) = (
            state.tip().height.saturating_add(1),
            state.params().consensus.evidence_max_age,
        );
        let Some(e) = self.evidence.iter().find(|e| {
            e.check_age(next, max_age).is_ok()
                && state
                    .registry()
                    .get(&e.validator())
                    .is_some_and(|n| !n.slashed.contains(&e.height()))
        }) else {
            return Ok(None);
        };
        let nonce = state
            .account(&Address::from_public_key(&key.public_key()))
            .nonce;
        Ok(Transaction::sign(
            key,
            state.params().chain_id,
            nonce,
            Amount::ZERO,
            TxKind::Evidence(*e),
        )
        .ok())
    }

    /// Builds the next block on this host's chain: pending evidence first, then the mempool's
    /// best transactions; a transaction the block refuses is left out (and dropped from the
    /// pool).
    fn build(&mut self, now_ms: u64) -> Result<(Block, Option<CheckedBlock>), HostError> {
        let Some(key) = &self.config.key else {
            return Err(HostError::InvalidDecision {
                height: 0,
                reason: "asked to propose without a key".into(),
            });
        };
        // The key makes the block's seed proof (a clone: the borrow of the config ends here).
        let proposer = key.clone();
        let evidence = self.evidence_tx()?;
        let chain = self.read()?;
        let state = chain.state();
        let mut txs: Vec<Transaction> = evidence.into_iter().collect();
        let evidence_sender = txs.first().map(|t| t.sender_address());
        let pool = self.pool()?;
        txs.extend(
            pool.select(state, self.config.max_block_txs)
                .into_iter()
                .filter(|t| Some(t.sender_address()) != evidence_sender),
        );
        drop(pool);
        // The clock, clamped into the window the header rules accept (never wraps).
        let ts = flux_chain::transition::next_block_time(state, now_ms).map_err(|e| {
            HostError::InvalidDecision {
                height: state.tip().height.saturating_add(1),
                reason: e.to_string(),
            }
        })?;
        let built = build_block_with(
            state,
            &proposer,
            ts,
            vec![],
            txs,
            Verification::Full,
            RootMode::EveryBlock,
        );
        let block = match built {
            Ok(built) => {
                let refused = &built.dropped;
                // Refused now is refused in every later block on this state: out of the pool,
                // with its sender's later transactions (they wait on its nonce).
                if !refused.is_empty() {
                    let mut pool = self.pool()?;
                    for (id, reason) in refused {
                        tracing::debug!(tx = %id, %reason, "left out of the block and the mempool");
                        pool.remove(id);
                    }
                }
                built
            }
            // Whatever went wrong with the transactions, an empty block keeps the chain going.
            Err(_) => build_block_with(
                state,
                &proposer,
                ts,
                vec![],
                vec![],
                Verification::Full,
                RootMode::EveryBlock,
            )
            .map_err(|e| HostError::InvalidDecision {
                height: state.tip().height + 1,
                reason: e.to_string(),
            })?,
        };
        let out = block.block.clone();
        Ok((out, block.into_checked()))
    }

    /// The ids of the blocks held for the current heights (for tests).
    #[doc(hidden)]
    pub fn held_blocks(&self) -> Vec<BlockId> {
        self.blocks.ids().copied().collect()
    }
}
