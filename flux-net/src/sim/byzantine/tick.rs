//! The attacker's tick: the messages its strategies make on their own, and its poisoned sync
//! answers.

use flux_chain::block::Block;
use flux_chain::chain::Chain;
use flux_chain::consensus::{CommitCertificate, Height, Proposal, Round, Vote, VoteKind};
use flux_chain::store::MemStore;
use flux_chain::tx::{Transaction, Transfer, TxKind};
use flux_core::{Address, Amount};
use flux_nodes::NodeId;
use rand_core::RngCore;

use super::super::strategy::Strategy;
use super::{
    Attacker, Effect, FLOOD_PER_TICK, JUNK_PER_ROUND, JUNK_ROUNDS, POISON_AHEAD, POISON_ITEMS,
    REPLAYS_PER_TICK, proposer,
};
use crate::host::{SharedChain, SharedMempool};
use crate::message::{Decided, Message};

impl Attacker {
    /// The periodic tick: the messages its strategies make on their own. `position` is where
    /// its machine stands (height, round), if it runs one.
    pub(crate) fn on_tick(
        &mut self,
        chain: &SharedChain<MemStore>,
        mempool: Option<&SharedMempool>,
        position: Option<(Height, Round)>,
    ) -> Vec<Effect> {
        self.ticks += 1;
        let Ok(chain) = chain.read() else {
            return Vec::new();
        };
        let (h0, r0) = position.unwrap_or((chain.height() + 1, 0));
        let Some(template) = self.template(&chain) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if self.has(Strategy::JunkProposals) {
            self.junk_proposals(&template, h0, r0, &mut out);
        }
        if self.has(Strategy::ForgedGossip) {
            self.forged(&chain, &template, h0, r0, &mut out);
        }
        if self.has(Strategy::ReplayedGossip) {
            self.replay(&chain, &mut out);
        }
        if self.has(Strategy::RoundFlooding) {
            for _ in 0..FLOOD_PER_TICK {
                let far = if self.rng.next_u32().is_multiple_of(2) {
                    r0.saturating_add(2 + self.rng.next_u32() % 1_000)
                } else {
                    self.rng.next_u32().max(r0.saturating_add(2))
                };
                let kind = if self.rng.next_u32().is_multiple_of(2) {
                    VoteKind::Prevote
                } else {
                    VoteKind::Precommit
                };
                out.push(Effect::Publish(self.vote(h0, far, kind, self.id)));
            }
        }
        if self.has(Strategy::SyncAmplification) {
            for p in self.peers() {
                out.push(Effect::RequestSync {
                    peer: Some(p),
                    from: 1,
                    max_items: u64::from(u32::MAX),
                });
            }
        }
        if self.has(Strategy::SyncPoisoning) {
            // A signed vote a few heights ahead: the others think they are behind and ask us.
            out.push(Effect::Publish(self.vote(
                h0 + 5,
                0,
                VoteKind::Prevote,
                self.id,
            )));
        }
        if self.has(Strategy::OversizedBlocks) && self.ticks >= 2 {
            self.nonce(&chain);
            let account = (&self.key, self.chain_id, &mut self.next_nonce);
            for batch in self.jobs.on_tick(self.ticks, &chain, account, mempool) {
                out.push(Effect::Publish(batch));
            }
        }
        out
    }

    /// Proposals with junk blocks for the next heights and rounds, [`JUNK_PER_ROUND`] per
    /// (height, round): more each tick than a host held for all heights.
    fn junk_proposals(&mut self, template: &Block, h0: Height, r0: Round, out: &mut Vec<Effect>) {
        for h in h0..=h0 + 2 {
            for r in r0..r0 + JUNK_ROUNDS {
                for _ in 0..JUNK_PER_ROUND {
                    let block = self.junk_block(template, h);
                    if let Some(bytes) = self.propose(h, r, None, block) {
                        out.push(Effect::Publish(bytes));
                    }
                }
            }
        }
    }

    /// Votes in every other member's name and a proposal in the proposer's, signed with its
    /// own key.
    fn forged(
        &mut self,
        chain: &Chain<MemStore>,
        template: &Block,
        h0: Height,
        r0: Round,
        out: &mut Vec<Effect>,
    ) {
        let Ok(committee) = chain.committee(h0) else {
            return;
        };
        let others: Vec<NodeId> = committee
            .members()
            .iter()
            .map(|m| m.id)
            .filter(|id| *id != self.id)
            .collect();
        for id in others {
            let value = Some(flux_chain::block::BlockId(self.random_hash()));
            let vote = Vote {
                height: h0,
                round: r0,
                kind: VoteKind::Prevote,
                value,
                validator: id,
            };
            if let Some(bytes) = vote
                .sign(&self.key, self.chain_id)
                .ok()
                .and_then(|v| Message::Vote(v).to_bytes().ok())
            {
                out.push(Effect::Publish(bytes));
            }
        }
        if let Some(proposer) = proposer(chain, h0, r0).filter(|p| *p != self.id) {
            let block = self.junk_block(template, h0);
            let Ok(value) = block.id() else { return };
            let proposal = Proposal {
                height: h0,
                round: r0,
                value,
                pol_round: None,
                proposer,
            };
            if let Some(bytes) = self.proposal_as(proposal, block) {
                out.push(Effect::Publish(bytes));
            }
        }
    }

    /// Old messages again, and every fourth tick a new batch of its own small transfers (to
    /// have valid, soon included, transactions to replay).
    fn replay(&mut self, chain: &Chain<MemStore>, out: &mut Vec<Effect>) {
        if self.ticks % 4 == 1 {
            let nonce = self.nonce(chain);
            let txs: Vec<Transaction> = (0..8)
                .filter_map(|k| {
                    let to = Address::from_bytes([(self.ticks as u8).wrapping_add(k); 20]);
                    let kind = TxKind::Transfer(Transfer {
                        to,
                        amount: Amount::from_base_units(1),
                    });
                    Transaction::sign(
                        &self.key,
                        self.chain_id,
                        nonce + u64::from(k),
                        Amount::from_base_units(1_000),
                        kind,
                    )
                    .ok()
                })
                .collect();
            self.next_nonce = nonce + txs.len() as u64;
            if let Ok(bytes) = Message::Txs(txs).to_bytes() {
                out.push(Effect::Publish(bytes.clone()));
                self.seen.push_back(bytes);
            }
        }
        if self.seen.is_empty() {
            return;
        }
        for _ in 0..REPLAYS_PER_TICK {
            let k = (self.rng.next_u64() % self.seen.len() as u64) as usize;
            if let Some(bytes) = self.seen.get(k) {
                out.push(Effect::Publish(bytes.clone()));
            }
        }
    }

    /// Its answer to a sync request from `from` on, if it poisons sync: undecided junk blocks
    /// with made-up certificates for heights just above the asker's next (none at its next,
    /// which would be checked at once).
    pub(crate) fn poisoned_answer(
        &mut self,
        chain: &SharedChain<MemStore>,
        from: Height,
    ) -> Option<Vec<Vec<u8>>> {
        if !self.has(Strategy::SyncPoisoning) {
            return None;
        }
        let chain = chain.read().ok()?;
        let template = self.template(&chain)?;
        let precommits = chain
            .certificate(chain.height())
            .ok()
            .flatten()
            .map(|c| c.precommits)
            .unwrap_or_default();
        let mut items = Vec::new();
        for h in from + POISON_AHEAD..from + POISON_AHEAD + POISON_ITEMS {
            let block = self.junk_block(&template, h);
            let Ok(value) = block.id() else { continue };
            let commit = CommitCertificate {
                height: h,
                round: 0,
                value,
                precommits: precommits.clone(),
            };
            if let Ok(bytes) = (Decided { block, commit }).to_bytes() {
                items.push(bytes);
            }
        }
        Some(items)
    }
}
