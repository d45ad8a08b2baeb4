//! How a validator performs its machine's outputs: sends, timers, blocks built and checked,
//! decisions applied, evidence kept for its next block.

use std::collections::VecDeque;

use flux_chain::block::{Block, BlockId};
use flux_chain::consensus::{Input, Output, TimeoutKind};
use flux_chain::transition::{apply_block, build_block};
use flux_chain::tx::{Transaction, TxKind};
use flux_core::{Address, Amount, Hash};

use super::super::config::Fault;
use super::super::error::SimError;
use super::super::message::Message;
use super::{Effect, Validator};

impl Validator {
    pub(super) fn broadcast(
        &mut self,
        message: &Message,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        let bytes = message.to_bytes()?;
        self.sent.push(bytes.clone());
        fx.push(Effect::Broadcast(bytes));
        Ok(())
    }

    pub(super) fn perform(
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
                work.push_back(Input::BlockValidity { value, valid });
            }
            Output::Decide {
                height,
                value,
                commit,
            } => {
                commit
                    .verify(&self.current_committee()?, self.params.chain_id)
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
                    committee: self.current_committee()?,
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
}
