//! [`SimNetwork`]: the [`Network`] a simulated validator's [`Host`](crate::host::Host) acts on.
//! It collects what one call of the host asked for; the simulator then performs it over its
//! links and virtual clock. It is also where an equivocating validator's second vote is made
//! and where a byzantine validator's [`Attacker`] sees what its host publishes: the host is the
//! honest code, the fault sits outside it.

use flux_chain::block::BlockId;
use flux_chain::consensus::{CommitCertificate, Committee, Height, Input};
use flux_chain::store::MemStore;
use flux_core::crypto::SecretKey;
use flux_core::{ChainId, Hash};

use super::byzantine::Attacker;
use crate::host::SharedChain;
use crate::message::Message;
use crate::network::{Committed, Network, Offence, Topic};

/// What one host call asked the simulator to do, in the order it asked.
#[derive(Debug)]
pub(crate) enum Effect {
    /// Gossip to every other validator.
    Publish(Vec<u8>),
    /// Gossip to one validator only (a byzantine validator telling peers different things).
    SendTo(usize, Vec<u8>),
    /// Ask a peer (any, if `None`) for at most `max_items` decided blocks from `from` on.
    RequestSync {
        /// The peer.
        peer: Option<usize>,
        /// The first height.
        from: Height,
        /// Most blocks asked for.
        max_items: u64,
    },
    /// The host penalised a peer.
    Penalize(usize, Offence),
    /// Deliver `input` to the host after a delay, ms.
    Timer(u64, Input),
    /// The host committed a block: what the chain stored for it, and the committee that
    /// decides its height (as the chain had it before the block), for the invariant checks.
    Committed {
        /// What the host reported.
        commit: Committed,
        /// The certificate the chain stored with the block.
        certificate: Option<CommitCertificate>,
        /// The committee of the block's height.
        committee: Option<Committee>,
    },
}

/// How an equivocating validator signs a second, conflicting vote.
#[derive(Clone, Debug)]
pub(crate) struct Equivocation {
    /// The height at which it equivocates.
    pub(crate) height: Height,
    /// Its operator key.
    pub(crate) key: SecretKey,
    /// The chain id votes are signed for.
    pub(crate) chain_id: ChainId,
}

impl Equivocation {
    /// For an encoded vote at the equivocation height: the same vote, signed, for a value no
    /// one proposed (one per round, so a rebroadcast repeats the same bytes).
    fn conflicting(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let Ok(Message::Vote(vote)) = Message::from_bytes(bytes) else {
            return None;
        };
        if vote.vote.height != self.height {
            return None;
        }
        let mut other = vote.vote;
        let tag = [b"equivocation".as_slice(), &other.round.to_le_bytes()].concat();
        other.value = Some(BlockId(Hash::digest(&tag)));
        let other = other.sign(&self.key, self.chain_id).ok()?;
        Message::Vote(other).to_bytes().ok()
    }
}

/// The [`Network`] of one simulated validator during one host call (peers are validator
/// indices). Penalties go to the simulator's scores (see [`super::Sim::penalties`]).
#[derive(Debug)]
pub(crate) struct SimNetwork<'a> {
    chain: &'a SharedChain<MemStore>,
    committee: &'a mut Option<Committee>,
    equivocation: Option<&'a Equivocation>,
    attacker: Option<&'a mut Attacker>,
    /// What its sync requests ask for at most (the node's p2p `sync_batch`).
    sync_items: u64,
    effects: Vec<Effect>,
}

impl<'a> SimNetwork<'a> {
    /// A collector for the validator whose chain is `chain`; `committee` is that chain's
    /// committee of its next height, kept up to date across commits.
    pub(crate) fn new(
        chain: &'a SharedChain<MemStore>,
        committee: &'a mut Option<Committee>,
        equivocation: Option<&'a Equivocation>,
        attacker: Option<&'a mut Attacker>,
        sync_items: u64,
    ) -> SimNetwork<'a> {
        SimNetwork {
            chain,
            committee,
            equivocation,
            attacker,
            sync_items,
            effects: Vec::new(),
        }
    }

    /// What the host asked for.
    pub(crate) fn into_effects(self) -> Vec<Effect> {
        self.effects
    }
}

impl Network for SimNetwork<'_> {
    type Peer = usize;

    fn publish(&mut self, _topic: Topic, bytes: Vec<u8>) {
        if let Some(attacker) = self.attacker.as_deref_mut() {
            let effects = attacker.on_publish(bytes, self.chain);
            self.effects.extend(effects);
            return;
        }
        let second = self.equivocation.and_then(|e| e.conflicting(&bytes));
        self.effects.push(Effect::Publish(bytes));
        if let Some(second) = second {
            self.effects.push(Effect::Publish(second));
        }
    }

    fn request_sync(&mut self, peer: Option<usize>, from_height: Height) {
        self.effects.push(Effect::RequestSync {
            peer,
            from: from_height,
            max_items: self.sync_items,
        });
    }

    fn penalize(&mut self, peer: usize, offence: Offence) {
        self.effects.push(Effect::Penalize(peer, offence));
    }

    fn set_timer(&mut self, after_ms: u64, input: Input) {
        self.effects.push(Effect::Timer(after_ms, input));
    }

    fn committed(&mut self, commit: &Committed) {
        let (certificate, next) = match self.chain.read() {
            Ok(chain) => (
                chain.certificate(commit.height).ok().flatten(),
                chain.committee(commit.height + 1).ok(),
            ),
            Err(_) => (None, None),
        };
        let committee = std::mem::replace(self.committee, next);
        self.effects.push(Effect::Committed {
            commit: *commit,
            certificate,
            committee,
        });
    }
}
