//! The state of swap attestations: the [`SwapDesk`] of entries a node collects (shared with
//! the API, which reads them and queues requests), and the pure rules that open entries and
//! check the signatures offered to them.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use flux_chain::consensus::Height;
use flux_chain::consensus::committee::Committee;
use flux_chain::parallel::{
    Attestation, Statement, SwapOutStatement, SwapSignature, attesting_committee, verify_signature,
};
use flux_chain::state::State;
use flux_chain::tx::TxId;
use flux_core::crypto::PublicKey;
use flux_core::parallel::ExternalChain;
use flux_nodes::NodeId;
use serde::{Deserialize, Serialize};

use crate::host::HostError;

/// Most entries a desk keeps (the oldest is dropped first).
pub const MAX_ENTRIES: usize = 16_384;
/// Most signatures kept for swaps not committed here yet.
pub const MAX_EARLY: usize = 1_024;
/// Heights a signature for a swap not committed here yet is kept.
pub const EARLY_HEIGHTS: Height = 8;

/// What an entry attests: a swap out by id, or a burn by chain and reference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Subject {
    /// The swap out with this id.
    Out(TxId),
    /// The burn with this reference on this chain.
    Burn(ExternalChain, Vec<u8>),
}

impl Subject {
    /// The subject of a statement.
    pub fn of(statement: &Statement) -> Subject {
        match statement {
            Statement::SwapOut(s) => Subject::Out(s.swap_id),
            Statement::Burn(b) => Subject::Burn(b.chain, b.reference.clone()),
        }
    }
}

/// The signatures collected for one statement.
#[derive(Clone, Debug)]
pub struct Collected {
    /// What is attested.
    pub statement: Statement,
    /// The epoch of the committee.
    pub epoch: u64,
    /// The committee (as drawn for the epoch, less the members slashed before the entry).
    pub committee: Committee,
    /// The members' swap keys (EVM statements).
    pub swap_keys: BTreeMap<NodeId, PublicKey>,
    /// The valid signatures so far, by member.
    pub signatures: BTreeMap<NodeId, SwapSignature>,
    /// Their weight.
    pub weight: u64,
    /// The height at which the entry was opened.
    pub since: Height,
}

impl Collected {
    /// Whether the signers carry more than the threshold of the committee's weight.
    pub fn is_attested(&self) -> bool {
        self.committee.is_quorum(self.weight)
    }

    /// The attestation, once attested: every signature collected, sorted by signer.
    pub fn attestation(&self) -> Option<Attestation> {
        self.is_attested().then(|| Attestation {
            epoch: self.epoch,
            signatures: self.signatures.iter().map(|(n, s)| (*n, *s)).collect(),
        })
    }
}

/// A node's swap attestations: the entries it collects, and the requests the API queued for
/// the host to gossip. Shared between the host and the API ([`SharedSwaps`]).
#[derive(Debug, Default)]
pub struct SwapDesk {
    pub(super) entries: BTreeMap<Subject, Collected>,
    /// Statements the API asked to have signed, for the host to gossip.
    pub(super) outbox: Vec<Statement>,
    /// Signatures of swaps not committed here yet, with the height they came at.
    pub(super) early: VecDeque<(Height, Statement, u64, NodeId, SwapSignature)>,
    /// When this node last signed a subject on request.
    pub(super) answered: BTreeMap<Subject, Height>,
}

/// A desk shared between the host and the API.
pub type SharedSwaps = Arc<Mutex<SwapDesk>>;

impl SwapDesk {
    /// The signatures collected for `subject`, if any.
    pub fn get(&self, subject: &Subject) -> Option<&Collected> {
        self.entries.get(subject)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the desk holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Statements asked of the committee that the host has not taken up yet (it takes them
    /// all on its next tick, then answers and gossips them).
    pub fn requests_waiting(&self) -> usize {
        self.outbox.len()
    }

    /// Queues `statement` to be asked of the committee (the host gossips it on its next tick).
    /// At most [`MAX_EARLY`] requests wait; more are dropped (the caller asks again).
    pub fn request(&mut self, statement: Statement) {
        if self.outbox.len() < MAX_EARLY && !self.outbox.contains(&statement) {
            self.outbox.push(statement);
        }
    }

    pub(super) fn open(&mut self, subject: Subject, entry: Collected) {
        if self.entries.len() >= MAX_ENTRIES
            && !self.entries.contains_key(&subject)
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(s, e)| (e.since, (*s).clone()))
                .map(|(s, _)| s.clone())
        {
            self.entries.remove(&oldest);
        }
        self.entries.insert(subject, entry);
    }
}

/// How a signature offered to the desk fared.
pub(super) enum Offer {
    /// Kept (or already held).
    Kept,
    /// For no entry here (yet).
    Unknown,
    /// For another epoch's committee or another statement: not ours to judge.
    Other,
    /// A bad signature, or a signer outside the committee.
    Invalid,
}

pub(super) fn lock(swaps: &SharedSwaps) -> Result<MutexGuard<'_, SwapDesk>, HostError> {
    swaps.lock().map_err(|_| HostError::Poisoned)
}

/// The statement a swap out in `state` is attested by, if `id` is one.
pub fn swap_out_statement(state: &State, id: &TxId) -> Option<Statement> {
    let record = state.parallel().swaps_out.get(id)?;
    Some(Statement::SwapOut(SwapOutStatement::of(*id, record)))
}

/// An empty entry for `statement` with the current attesting committee of `state` (`None`
/// before the first committee).
pub(super) fn fresh_entry(
    state: &State,
    statement: Statement,
    height: Height,
) -> Option<Collected> {
    let parallel = state.parallel();
    let attesters = parallel.attesters.as_ref()?;
    let threshold = state.params().parallel.attestation_threshold;
    let committee = attesting_committee(attesters, state.registry(), threshold).ok()?;
    let swap_keys = committee
        .members()
        .iter()
        .filter_map(|m| parallel.swap_keys.get(&m.id).map(|k| (m.id, *k)))
        .collect();
    Some(Collected {
        statement,
        epoch: attesters.epoch,
        committee,
        swap_keys,
        signatures: BTreeMap::new(),
        weight: 0,
        since: height,
    })
}

/// Whether `statement` may be attested now: a swap out of the chain (exactly as recorded), or
/// a burn whose reference is not used yet.
pub(super) fn is_open(state: &State, statement: &Statement) -> bool {
    match statement {
        Statement::SwapOut(s) => swap_out_statement(state, &s.swap_id).as_ref() == Some(statement),
        Statement::Burn(b) => {
            !b.amount.is_zero()
                && !b.reference.is_empty()
                && b.reference.len() <= flux_chain::parallel::MAX_REFERENCE_LEN
                && !state
                    .parallel()
                    .used_refs
                    .contains_key(&(b.chain, b.reference.clone()))
        }
    }
}

impl Offer {
    pub(super) fn is_kept(&self) -> bool {
        matches!(self, Offer::Kept)
    }
}

/// Offers one signature to the desk: checked against the entry's committee and kept.
pub(super) fn offer(
    desk: &mut SwapDesk,
    statement: &Statement,
    epoch: u64,
    signer: NodeId,
    signature: SwapSignature,
    state: &State,
) -> Offer {
    let Some(entry) = desk.entries.get_mut(&Subject::of(statement)) else {
        return Offer::Unknown;
    };
    if entry.epoch != epoch || &entry.statement != statement {
        return Offer::Other;
    }
    if entry.signatures.contains_key(&signer) {
        return Offer::Kept;
    }
    let chain_id = state.params().chain_id;
    let key = entry.swap_keys.get(&signer).copied().or_else(|| {
        // Registered after the entry was opened.
        state.parallel().swap_keys.get(&signer).copied()
    });
    match verify_signature(
        statement,
        &signer,
        &signature,
        &entry.committee,
        chain_id,
        key,
    ) {
        Ok(weight) => {
            if let Some(k) = key {
                entry.swap_keys.insert(signer, k);
            }
            entry.signatures.insert(signer, signature);
            entry.weight = entry.weight.saturating_add(weight);
            Offer::Kept
        }
        Err(e) => {
            tracing::debug!(error = %e, ?signer, "refused a swap signature");
            Offer::Invalid
        }
    }
}

#[cfg(test)]
mod tests;
