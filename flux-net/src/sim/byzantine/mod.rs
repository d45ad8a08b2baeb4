//! The messages of a byzantine committee member running [`Strategies`]: an [`Attacker`] sits
//! outside the member's honest host, like the equivocator. It sees what the host publishes
//! (and may drop, change or split it), what the member receives (to replay it), and on each
//! tick makes messages of its own with the member's operator key, reading the member's chain
//! for what makes them plausible: the height, the committee, the proposer schedule.

mod jobs;
mod tick;

use std::collections::{BTreeMap, VecDeque};

use flux_chain::block::Block;
use flux_chain::chain::Chain;
use flux_chain::consensus::{Height, Proposal, Round, SignedProposal, Vote, VoteKind};
use flux_chain::store::MemStore;
use flux_chain::tx::Transaction;
use flux_core::crypto::SecretKey;
use flux_core::{Address, ChainId, Hash};
use flux_nodes::NodeId;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::network::Effect;
use super::strategy::{Strategies, Strategy};
use crate::host::SharedChain;
use crate::message::Message;

/// Old messages kept for replay.
const REPLAY_BUFFER: usize = 512;
/// Rounds from the current one that junk proposals are signed for.
const JUNK_ROUNDS: Round = 8;
/// Junk proposals per (height, round) and tick.
const JUNK_PER_ROUND: usize = 3;
/// Messages replayed per tick.
const REPLAYS_PER_TICK: usize = 16;
/// Signed votes for far rounds per tick.
const FLOOD_PER_TICK: u32 = 32;
/// How far above the asker's next height poisoned sync items start.
const POISON_AHEAD: u64 = 1;
/// Poisoned items per sync answer.
const POISON_ITEMS: u64 = 3;
/// A year, ms: how far ahead a far-future block is stamped when it is not `u64::MAX`.
const YEAR_MS: u64 = 365 * 24 * 3_600_000;

/// One byzantine validator's attacks. See the module docs.
#[derive(Debug)]
pub(crate) struct Attacker {
    strategies: Strategies,
    key: SecretKey,
    id: NodeId,
    chain_id: ChainId,
    /// Its own index and the number of validators.
    me: usize,
    n: usize,
    rng: ChaCha8Rng,
    ticks: u64,
    /// Received proposals, votes and transaction batches, newest last.
    seen: VecDeque<Vec<u8>>,
    /// Its own proposals as it sent them instead, by (height, round): repeats send the same.
    rewritten: BTreeMap<(Height, Round), Vec<Vec<u8>>>,
    /// The next nonce of its operator account it has not used.
    next_nonce: u64,
    /// A valid empty block on its chain's tip (junk blocks are made from it), by tip height.
    template: Option<(Height, Block)>,
    /// The large jobs of [`Strategy::OversizedBlocks`].
    jobs: jobs::JobFeed,
}

/// What a rewritten proposal goes to.
enum Sends {
    All(Vec<u8>),
    Split(Vec<u8>, Vec<u8>),
}

impl Attacker {
    /// The attacker of validator `me` of `n`, with its operator key; `seed` makes its choices.
    pub(crate) fn new(
        strategies: Strategies,
        key: SecretKey,
        chain_id: ChainId,
        me: usize,
        n: usize,
        seed: u64,
    ) -> Attacker {
        let id = NodeId::of(&key.public_key());
        let seed = seed ^ (me as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Attacker {
            strategies,
            key,
            id,
            chain_id,
            me,
            n,
            rng: ChaCha8Rng::seed_from_u64(seed),
            ticks: 0,
            seen: VecDeque::new(),
            rewritten: BTreeMap::new(),
            next_nonce: 0,
            template: None,
            jobs: jobs::JobFeed::new(seed, me),
        }
    }

    fn has(&self, s: Strategy) -> bool {
        self.strategies.contains(s)
    }

    fn peers(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.n).filter(move |p| *p != self.me)
    }

    fn random_hash(&mut self) -> Hash {
        let mut bytes = [0u8; 32];
        self.rng.fill_bytes(&mut bytes);
        Hash::digest(&bytes)
    }

    /// Gossip the member received: kept for replay.
    pub(crate) fn observe(&mut self, bytes: &[u8]) {
        if !self.has(Strategy::ReplayedGossip) {
            return;
        }
        if matches!(
            Message::from_bytes(bytes),
            Ok(Message::Proposal { .. } | Message::Vote(_) | Message::Txs(_))
        ) {
            if self.seen.len() >= REPLAY_BUFFER {
                self.seen.pop_front();
            }
            self.seen.push_back(bytes.to_vec());
        }
    }

    /// What its host publishes, as it goes out: its own proposals rewritten, split or
    /// withheld, its precommits withheld; everything else as is.
    pub(crate) fn on_publish(
        &mut self,
        bytes: Vec<u8>,
        chain: &SharedChain<MemStore>,
    ) -> Vec<Effect> {
        let message = Message::from_bytes(&bytes);
        if let Ok(Message::Vote(v)) = &message
            && v.vote.kind == VoteKind::Precommit
            && v.vote.validator == self.id
            && self.has(Strategy::Withholding)
        {
            return Vec::new();
        }
        let Ok(Message::Proposal { proposal, block }) = message else {
            return vec![Effect::Publish(bytes)];
        };
        let (h, r) = (proposal.proposal.height, proposal.proposal.round);
        if proposal.proposal.proposer != self.id {
            return vec![Effect::Publish(bytes)];
        }
        let sends = match self.rewritten.get(&(h, r)) {
            Some(sent) => match sent.as_slice() {
                [one] => Sends::All(one.clone()),
                [a, b, ..] => Sends::Split(a.clone(), b.clone()),
                [] => Sends::All(bytes),
            },
            None => {
                let sends = match chain.try_read() {
                    Ok(chain) => self.rewrite(&chain, proposal, block, bytes),
                    Err(_) => Sends::All(bytes),
                };
                self.rewritten.retain(|(height, _), _| *height + 2 >= h);
                let kept = match &sends {
                    Sends::All(b) => vec![b.clone()],
                    Sends::Split(a, b) => vec![a.clone(), b.clone()],
                };
                self.rewritten.insert((h, r), kept);
                sends
            }
        };
        let mut out: Vec<(usize, Vec<u8>)> = match sends {
            Sends::All(b) => self.peers().map(|p| (p, b.clone())).collect(),
            // Half the peers get one, half the other, and the first peer both (gossip relays
            // what it receives, so in a real network some peer always sees both).
            Sends::Split(a, b) => {
                let witness = self.peers().next();
                let mut out = Vec::new();
                for p in self.peers() {
                    if p % 2 == 0 || Some(p) == witness {
                        out.push((p, a.clone()));
                    }
                    if p % 2 == 1 || Some(p) == witness {
                        out.push((p, b.clone()));
                    }
                }
                out
            }
        };
        if self.has(Strategy::Withholding) {
            // Nobody in even rounds; one peer in odd rounds.
            let only = self
                .peers()
                .nth((h as usize + r as usize) % (self.n - 1).max(1));
            out.retain(|(p, _)| r % 2 == 1 && Some(*p) == only);
        }
        out.into_iter()
            .map(|(p, bytes)| Effect::SendTo(p, bytes))
            .collect()
    }

    /// Its own proposal, rewritten by the strategies that change it.
    fn rewrite(
        &mut self,
        chain: &Chain<MemStore>,
        proposal: SignedProposal,
        block: Block,
        bytes: Vec<u8>,
    ) -> Sends {
        let p = proposal.proposal;
        let (first, first_bytes) = if self.has(Strategy::FarFutureTimestamps) {
            let ts = if p.round.is_multiple_of(2) {
                u64::MAX
            } else {
                chain.state().tip().timestamp_ms.saturating_add(YEAR_MS)
            };
            match self.restamped(chain, &block, ts, p) {
                Some((b, m)) => (b, m),
                None => (block, bytes),
            }
        } else {
            (block, bytes)
        };
        if !self.has(Strategy::DoubleProposals) {
            return Sends::All(first_bytes);
        }
        let ts = first.header.timestamp_ms.saturating_add(1);
        match self.restamped(chain, &first, ts, p) {
            Some((_, second)) => Sends::Split(first_bytes, second),
            None => Sends::All(first_bytes),
        }
    }

    /// `block` with the timestamp `ts` (rebuilt on the chain when the builder takes it, else
    /// just restamped), proposed again at `p`'s height and round.
    fn restamped(
        &self,
        chain: &Chain<MemStore>,
        block: &Block,
        ts: u64,
        p: Proposal,
    ) -> Option<(Block, Vec<u8>)> {
        let block = build(chain, &self.key, ts, block.txs.clone()).unwrap_or_else(|| {
            let mut b = block.clone();
            b.header.timestamp_ms = ts;
            b
        });
        let bytes = self.propose(p.height, p.round, p.pol_round, block.clone())?;
        Some((block, bytes))
    }

    /// A proposal of `block` at `(height, round)` signed with its key, encoded.
    fn propose(
        &self,
        height: Height,
        round: Round,
        pol_round: Option<Round>,
        block: Block,
    ) -> Option<Vec<u8>> {
        let proposal = Proposal {
            height,
            round,
            value: block.id().ok()?,
            pol_round,
            proposer: self.id,
        };
        self.proposal_as(proposal, block)
    }

    fn proposal_as(&self, proposal: Proposal, block: Block) -> Option<Vec<u8>> {
        let proposal = proposal.sign(&self.key, self.chain_id).ok()?;
        Message::Proposal { proposal, block }.to_bytes().ok()
    }

    fn vote(&self, height: Height, round: Round, kind: VoteKind, validator: NodeId) -> Vec<u8> {
        let vote = Vote {
            height,
            round,
            kind,
            value: None,
            validator,
        };
        vote.sign(&self.key, self.chain_id)
            .ok()
            .and_then(|v| Message::Vote(v).to_bytes().ok())
            .unwrap_or_default()
    }

    /// A valid empty block on `chain`'s tip.
    fn template(&mut self, chain: &Chain<MemStore>) -> Option<Block> {
        let tip = chain.state().tip();
        match &self.template {
            Some((h, block)) if *h == tip.height => Some(block.clone()),
            _ => {
                let block = build(chain, &self.key, tip.timestamp_ms.saturating_add(1), vec![])?;
                self.template = Some((tip.height, block.clone()));
                Some(block)
            }
        }
    }

    /// A block for `height` that nobody can apply: the next block's header with a random
    /// parent and state root, no transactions.
    fn junk_block(&mut self, template: &Block, height: Height) -> Block {
        let mut block = template.clone();
        block.header.height = height;
        block.header.parent = flux_chain::block::BlockId(self.random_hash());
        block.header.state_root = self.random_hash();
        block.txs.clear();
        block
    }

    /// The next unused nonce of its operator account.
    fn nonce(&mut self, chain: &Chain<MemStore>) -> u64 {
        let address = Address::from_public_key(&self.key.public_key());
        self.next_nonce = self.next_nonce.max(chain.account(&address).nonce);
        self.next_nonce
    }
}

/// The proposer of `(height, round)` as `chain` sees it.
fn proposer(chain: &Chain<MemStore>, height: Height, round: Round) -> Option<NodeId> {
    let committee = chain.committee(height).ok()?;
    let epoch = chain.state().params().consensus.epoch_length;
    Some(committee.proposer(height, round, epoch))
}

/// The next block on `chain` stamped `ts` with `txs` (those the state refuses left out), as
/// the proposer with `key` builds it; `None` if the builder refuses.
fn build(
    chain: &Chain<MemStore>,
    key: &SecretKey,
    ts: u64,
    txs: Vec<Transaction>,
) -> Option<Block> {
    let mode = flux_chain::transition::BuildMode::CHECKED;
    flux_chain::transition::propose_block(chain.state(), key, ts, vec![], txs, mode)
        .ok()
        .map(|built| built.block)
}
