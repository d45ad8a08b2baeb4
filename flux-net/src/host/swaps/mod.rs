//! Swap attestations over gossip (SPEC "Parallel assets"): the committee signs every swap out
//! once its block is final, and every burn on another chain its members have seen; each node
//! collects the signatures in its [`SwapDesk`], which the API serves.
//!
//! **Swaps out.** When a block with `SwapOut` transactions commits, every node opens an entry
//! for each, with a snapshot of the attesting committee
//! ([`flux_chain::parallel::attesting_committee`]) and the members' swap keys. Each member signs
//! the [`SwapOutStatement`](flux_chain::parallel::SwapOutStatement) (Ed25519 with its operator key, or secp256k1 with its swap key for
//! an EVM chain) and gossips [`SwapMessage::Signed`]; every node checks each signature on its
//! own ([`verify_signature`](flux_chain::parallel::verify_signature)) and keeps it. With more
//! than the threshold's weight the entry yields the
//! [`Attestation`](flux_chain::parallel::Attestation) the other chain's contract verifies.
//!
//! **Burns.** Anyone asks for a burn to be attested with [`SwapMessage::Want`]; a member signs it
//! only if its [`BurnWitness`] (its view of the other chain) confirms the burn and its
//! reference is not used yet. The attested burn is what a `SwapIn` carries.
//!
//! **Late and restarted nodes.** Entries live in memory. A signature for a swap this node has not
//! committed yet waits (a bounded number, a few heights); a node that missed signatures, or
//! restarted, asks again with [`SwapMessage::Want`], which members answer at most once per
//! height; an entry whose committee's epoch is over is reopened with the current committee
//! when asked again.
//!
//! The component (`SwapAttestor`) signs and gossips; its state is the [`SwapDesk`]
//! (`desk`: entries and the rules of offering a signature), the node's view of other chains
//! is a [`BurnWitness`] (`witness`).

use flux_chain::consensus::Height;
use flux_chain::parallel::{Statement, sign_attestation};
use flux_chain::state::State;
use flux_chain::store::Store;
use flux_chain::tx::TxId;
use flux_core::crypto::SecretKey;
use std::sync::Arc;

use super::shared::{Identity, Ledger};
use super::{HostError, Refusals};
use crate::message::Message;
use crate::network::{Network, Offence, Topic};
use desk::{Offer, fresh_entry, is_open, lock, offer};

mod desk;
mod witness;

pub use crate::message::SwapMessage;
pub use desk::{
    Collected, EARLY_HEIGHTS, MAX_EARLY, MAX_ENTRIES, SharedSwaps, Subject, SwapDesk,
    swap_out_statement,
};
pub use witness::{BurnWitness, FileWitness};

/// The swap attestations of one node: it signs what its committee seat and its keys allow,
/// and collects everyone's signatures on its desk. See the module docs.
#[derive(Debug)]
pub(crate) struct SwapAttestor<S: Store> {
    ledger: Ledger<S>,
    me: Identity,
    /// The node's secp256k1 swap key (EVM statements).
    swap_key: Option<SecretKey>,
    /// The node's view of the other chains.
    witness: Option<Arc<dyn BurnWitness>>,
    /// The entries collected here (shared with the API).
    desk: SharedSwaps,
    refusals: Refusals,
}

impl<S: Store> SwapAttestor<S> {
    /// The attestor of the node `me`, with its swap key and witness.
    pub(crate) fn new(
        ledger: Ledger<S>,
        me: Identity,
        swap_key: Option<SecretKey>,
        witness: Option<Arc<dyn BurnWitness>>,
    ) -> SwapAttestor<S> {
        SwapAttestor {
            ledger,
            me,
            swap_key,
            witness,
            desk: SharedSwaps::default(),
            refusals: Refusals::default(),
        }
    }

    /// The node's swap attestations (the API reads them).
    pub(crate) fn desk(&self) -> SharedSwaps {
        self.desk.clone()
    }

    /// What it refused so far.
    pub(crate) fn refusals(&self) -> Refusals {
        self.refusals
    }

    /// After committing the block at `height`: opens an entry for each of its swaps out,
    /// signs them if this node attests, and takes the signatures that came early.
    pub(crate) fn on_commit<N: Network>(
        &mut self,
        height: Height,
        swaps_out: &[TxId],
        net: &mut N,
    ) -> Result<(), HostError> {
        let chain = self.ledger.read()?;
        let state = chain.state();
        let mut desk = lock(&self.desk)?;
        let mut mine = Vec::new();
        for id in swaps_out {
            let Some(statement) = swap_out_statement(state, id) else {
                continue;
            };
            if let Some(entry) = fresh_entry(state, statement.clone(), height) {
                desk.open(Subject::Out(*id), entry);
                mine.push(statement);
            }
        }
        desk.answered
            .retain(|_, h| h.saturating_add(EARLY_HEIGHTS) >= height);
        let early = std::mem::take(&mut desk.early);
        for (at, statement, epoch, signer, signature) in early {
            match offer(&mut desk, &statement, epoch, signer, signature, state) {
                Offer::Unknown if at.saturating_add(EARLY_HEIGHTS) >= height => {
                    desk.early
                        .push_back((at, statement, epoch, signer, signature));
                }
                _ => {}
            }
        }
        let signed: Vec<SwapMessage> = mine
            .into_iter()
            .filter_map(|s| self.sign(&mut desk, state, s, height))
            .collect();
        drop(desk);
        drop(chain);
        for message in signed {
            net.publish(Topic::Consensus, Message::Swap(message).to_bytes()?);
        }
        Ok(())
    }

    /// This node's signature of `statement` (kept on its own desk), if it is a member of the
    /// entry's committee and holds the key the statement needs.
    fn sign(
        &self,
        desk: &mut SwapDesk,
        state: &State,
        statement: Statement,
        height: Height,
    ) -> Option<SwapMessage> {
        let (id, key) = (self.me.id?, self.me.key.as_ref()?);
        let subject = Subject::of(&statement);
        let entry = desk.entries.get_mut(&subject)?;
        entry.committee.get(&id)?;
        if entry.signatures.contains_key(&id) {
            let signature = entry.signatures.get(&id).copied()?;
            let epoch = entry.epoch;
            return Some(SwapMessage::Signed {
                statement,
                epoch,
                signer: id,
                signature,
            });
        }
        let chain_id = state.params().chain_id;
        let signature = match sign_attestation(key, self.swap_key.as_ref(), chain_id, &statement) {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "not signing a swap statement");
                return None;
            }
        };
        // The entry's snapshot of swap keys may predate this node's registration: check
        // against the chain's now.
        if let Some(k) = state.parallel().swap_keys.get(&id) {
            entry.swap_keys.insert(id, *k);
        }
        let epoch = entry.epoch;
        if offer(desk, &statement, epoch, id, signature, state).is_kept() {
            desk.answered.insert(subject, height);
            tracing::info!(?id, "signed a swap statement");
            Some(SwapMessage::Signed {
                statement,
                epoch,
                signer: id,
                signature,
            })
        } else {
            None
        }
    }

    /// A swap message gossiped by `peer`.
    pub(crate) fn on_message<N: Network>(
        &mut self,
        peer: N::Peer,
        message: SwapMessage,
        net: &mut N,
    ) -> Result<(), HostError> {
        match message {
            SwapMessage::Signed {
                statement,
                epoch,
                signer,
                signature,
            } => {
                let chain = self.ledger.read()?;
                let state = chain.state();
                let mut desk = lock(&self.desk)?;
                let height = chain.height();
                let verdict = match offer(&mut desk, &statement, epoch, signer, signature, state) {
                    Offer::Unknown if is_open(state, &statement) => {
                        // A swap committed before this node started, or a burn first seen here.
                        match fresh_entry(state, statement.clone(), height) {
                            Some(entry) if entry.epoch == epoch => {
                                let subject = Subject::of(&statement);
                                let had = desk.entries.insert(subject.clone(), entry);
                                let verdict =
                                    offer(&mut desk, &statement, epoch, signer, signature, state);
                                // Nobody opens an entry with a bad signature.
                                if !verdict.is_kept() {
                                    match had {
                                        Some(e) => desk.entries.insert(subject, e),
                                        None => desk.entries.remove(&subject),
                                    };
                                } else if desk.entries.len() > MAX_ENTRIES
                                    && let Some(entry) = desk.entries.remove(&subject)
                                {
                                    desk.open(subject, entry);
                                }
                                verdict
                            }
                            _ => Offer::Other,
                        }
                    }
                    Offer::Unknown if matches!(statement, Statement::SwapOut(_)) => {
                        if desk.early.len() >= MAX_EARLY {
                            desk.early.pop_front();
                        }
                        desk.early
                            .push_back((height, statement, epoch, signer, signature));
                        Offer::Other
                    }
                    other => other,
                };
                drop(desk);
                drop(chain);
                if matches!(verdict, Offer::Invalid) {
                    self.refusals.rejected += 1;
                    net.penalize(peer, Offence::Invalid);
                }
                Ok(())
            }
            SwapMessage::Want(statement) => self.answer_want(statement, net),
        }
    }

    /// Signs `statement` on request, if this node attests it now (at most once per height).
    fn answer_want<N: Network>(
        &mut self,
        statement: Statement,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Some(id) = self.me.id else {
            return Ok(());
        };
        let chain = self.ledger.read()?;
        let state = chain.state();
        let height = chain.height();
        if !is_open(state, &statement) {
            return Ok(());
        }
        let in_committee = state
            .parallel()
            .attesters
            .as_ref()
            .is_some_and(|a| a.members.iter().any(|m| m.id == id));
        let subject = Subject::of(&statement);
        let mut desk = lock(&self.desk)?;
        if !in_committee || desk.answered.get(&subject) == Some(&height) {
            return Ok(());
        }
        if let Statement::Burn(burn) = &statement {
            let seen = self.witness.as_ref().is_some_and(|w| w.confirms(burn));
            if !seen {
                return Ok(());
            }
        }
        let current = state.parallel().attesters.as_ref().map(|a| a.epoch);
        let stale = desk
            .entries
            .get(&subject)
            .is_none_or(|e| Some(e.epoch) != current && !e.is_attested());
        if stale && let Some(entry) = fresh_entry(state, statement.clone(), height) {
            desk.open(subject.clone(), entry);
        }
        desk.answered.insert(subject, height);
        let signed = self.sign(&mut desk, state, statement, height);
        drop(desk);
        drop(chain);
        if let Some(message) = signed {
            net.publish(Topic::Consensus, Message::Swap(message).to_bytes()?);
        }
        Ok(())
    }

    /// Gossips what the API asked of the committee, and answers it here too.
    pub(crate) fn flush<N: Network>(&mut self, net: &mut N) -> Result<(), HostError> {
        let asked = std::mem::take(&mut lock(&self.desk)?.outbox);
        for statement in asked {
            {
                // A node that is behind reopens a stale entry with the current committee.
                let chain = self.ledger.read()?;
                let state = chain.state();
                let mut desk = lock(&self.desk)?;
                let subject = Subject::of(&statement);
                let current = state.parallel().attesters.as_ref().map(|a| a.epoch);
                // A burn gets an entry only with a member's signature: asking costs nothing.
                let reopen = match desk.entries.get(&subject) {
                    Some(e) => Some(e.epoch) != current && !e.is_attested(),
                    None => matches!(statement, Statement::SwapOut(_)),
                };
                if reopen
                    && is_open(state, &statement)
                    && let Some(entry) = fresh_entry(state, statement.clone(), chain.height())
                {
                    desk.open(subject, entry);
                }
            }
            let bytes = Message::Swap(SwapMessage::Want(statement.clone())).to_bytes()?;
            net.publish(Topic::Consensus, bytes);
            self.answer_want(statement, net)?;
        }
        Ok(())
    }
}
