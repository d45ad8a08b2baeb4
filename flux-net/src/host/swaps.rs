//! Swap attestations over gossip (SPEC "Parallel assets"): the committee signs every swap out
//! once its block is final, and every burn on another chain its members have seen; each node
//! collects the signatures in its [`SwapDesk`], which the API serves.
//!
//! **Swaps out.** When a block with `SwapOut` transactions commits, every node opens an entry
//! for each, with a snapshot of the attesting committee
//! ([`flux_chain::parallel::attesting_committee`]) and the members' swap keys. Each member signs
//! the [`SwapOutStatement`] (Ed25519 with its operator key, or secp256k1 with its swap key for
//! an EVM chain) and gossips [`SwapMessage::Signed`]; every node checks each signature on its
//! own ([`verify_signature`]) and keeps it. With more than the threshold's weight the entry
//! yields the [`Attestation`] the other chain's contract verifies.
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

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use flux_chain::consensus::Height;
use flux_chain::consensus::committee::Committee;
use flux_chain::parallel::{
    Attestation, BurnStatement, Statement, SwapOutStatement, SwapSignature, attesting_committee,
    sign_attestation, verify_signature,
};
use flux_chain::state::State;
use flux_chain::store::Store;
use flux_chain::tx::TxId;
use flux_core::crypto::PublicKey;
use flux_core::parallel::ExternalChain;
use flux_nodes::NodeId;
use serde::{Deserialize, Serialize};

use super::{Host, HostError};
use crate::message::Message;
use crate::network::{Network, Offence, Topic};

/// Most entries a desk keeps (the oldest is dropped first).
pub const MAX_ENTRIES: usize = 16_384;
/// Most signatures kept for swaps not committed here yet.
pub const MAX_EARLY: usize = 1_024;
/// Heights a signature for a swap not committed here yet is kept.
pub const EARLY_HEIGHTS: Height = 8;

/// What nodes gossip about swap attestations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SwapMessage {
    /// A member's signature of a statement, for the committee of `epoch`.
    Signed {
        /// What is signed.
        statement: Statement,
        /// The epoch of the signer's committee.
        epoch: u64,
        /// The member.
        signer: NodeId,
        /// Its signature.
        signature: SwapSignature,
    },
    /// Asks the members to sign (or sign again) a statement: a swap out of the chain, or a
    /// burn they can check on its chain.
    Want(Statement),
}

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

/// A node's view of another chain: whether a burn of parallel FLUX happened there, final, as
/// the statement says. A member signs a burn only when its witness confirms it.
///
/// This SDK ships no light client of the ten chains; an operator plugs one in here. The devnet
/// uses [`FileWitness`].
pub trait BurnWitness: Send + Sync + fmt::Debug {
    /// `true` if `burn` happened on `burn.chain`, final, exactly as stated.
    fn confirms(&self, burn: &BurnStatement) -> bool;
}

/// A [`BurnWitness`] that reads the burns it has seen from a JSON file (an array of
/// [`BurnStatement`]s), read again on every question: the devnet's stand-in for a light client,
/// which a test or an operator's own watcher writes. A missing or unreadable file confirms
/// nothing.
///
/// ```
/// use flux_chain::parallel::BurnStatement;
/// use flux_core::parallel::ExternalChain;
/// use flux_core::{Address, Amount};
/// use flux_net::host::swaps::{BurnWitness, FileWitness};
///
/// let dir = tempfile::tempdir()?;
/// let burn = BurnStatement {
///     chain: ExternalChain::Solana,
///     reference: vec![9; 64],
///     amount: Amount::ONE_FLUX,
///     recipient: Address::from_bytes([3; 20]),
/// };
/// let witness = FileWitness::new(dir.path().join("burns.json"));
/// assert!(!witness.confirms(&burn));
/// std::fs::write(dir.path().join("burns.json"), serde_json::to_vec(&[&burn])?)?;
/// assert!(witness.confirms(&burn));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileWitness {
    path: PathBuf,
    /// The burns last read, with the file's modification time and length then.
    cache: Mutex<Option<(std::time::SystemTime, u64, Vec<BurnStatement>)>>,
}

impl FileWitness {
    /// A witness reading `path`.
    pub fn new(path: impl Into<PathBuf>) -> FileWitness {
        FileWitness {
            path: path.into(),
            cache: Mutex::new(None),
        }
    }

    /// Whether the file lists `burn`; read again only when it changed (a gossiped request
    /// costs a `stat`, not a parse).
    fn lists(&self, burn: &BurnStatement) -> bool {
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return false;
        };
        let stamp = (meta.modified().ok(), meta.len());
        let Ok(mut cache) = self.cache.lock() else {
            return false;
        };
        if let (Some(modified), Some((at, len, seen))) = (stamp.0, cache.as_ref())
            && *at == modified
            && *len == stamp.1
        {
            return seen.contains(burn);
        }
        let seen = match std::fs::read(&self.path)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                serde_json::from_slice::<Vec<BurnStatement>>(&b).map_err(|e| e.to_string())
            }) {
            Ok(seen) => seen,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "unreadable burns file");
                Vec::new()
            }
        };
        let listed = seen.contains(burn);
        *cache = stamp.0.map(|m| (m, stamp.1, seen));
        listed
    }
}

impl BurnWitness for FileWitness {
    fn confirms(&self, burn: &BurnStatement) -> bool {
        self.lists(burn)
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
    entries: BTreeMap<Subject, Collected>,
    /// Statements the API asked to have signed, for the host to gossip.
    outbox: Vec<Statement>,
    /// Signatures of swaps not committed here yet, with the height they came at.
    early: VecDeque<(Height, Statement, u64, NodeId, SwapSignature)>,
    /// When this node last signed a subject on request.
    answered: BTreeMap<Subject, Height>,
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

    fn open(&mut self, subject: Subject, entry: Collected) {
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
enum Offer {
    /// Kept (or already held).
    Kept,
    /// For no entry here (yet).
    Unknown,
    /// For another epoch's committee or another statement: not ours to judge.
    Other,
    /// A bad signature, or a signer outside the committee.
    Invalid,
}

fn lock(swaps: &SharedSwaps) -> Result<MutexGuard<'_, SwapDesk>, HostError> {
    swaps.lock().map_err(|_| HostError::Poisoned)
}

/// The statement a swap out in `state` is attested by, if `id` is one.
pub fn swap_out_statement(state: &State, id: &TxId) -> Option<Statement> {
    let record = state.parallel().swaps_out.get(id)?;
    Some(Statement::SwapOut(SwapOutStatement::of(*id, record)))
}

/// An empty entry for `statement` with the current attesting committee of `state` (`None`
/// before the first committee).
fn fresh_entry(state: &State, statement: Statement, height: Height) -> Option<Collected> {
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
fn is_open(state: &State, statement: &Statement) -> bool {
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

impl<S: Store, P: Copy + Ord + fmt::Debug> Host<S, P> {
    /// The node's swap attestations (the API reads them).
    pub fn swaps(&self) -> SharedSwaps {
        self.swaps.clone()
    }

    /// After committing the block at `height`: opens an entry for each of its swaps out,
    /// signs them if this node attests, and takes the signatures that came early.
    pub(super) fn swaps_on_commit<N: Network<Peer = P>>(
        &mut self,
        height: Height,
        swaps_out: &[TxId],
        net: &mut N,
    ) -> Result<(), HostError> {
        let chain = self.read()?;
        let state = chain.state();
        let mut desk = lock(&self.swaps)?;
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
        let (id, key) = (self.id?, self.config.key.as_ref()?);
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
        let signature =
            match sign_attestation(key, self.config.swap_key.as_ref(), chain_id, &statement) {
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
    pub(super) fn on_swap<N: Network<Peer = P>>(
        &mut self,
        peer: P,
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
                let chain = self.read()?;
                let state = chain.state();
                let mut desk = lock(&self.swaps)?;
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
    fn answer_want<N: Network<Peer = P>>(
        &mut self,
        statement: Statement,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Some(id) = self.id else {
            return Ok(());
        };
        let chain = self.read()?;
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
        let mut desk = lock(&self.swaps)?;
        if !in_committee || desk.answered.get(&subject) == Some(&height) {
            return Ok(());
        }
        if let Statement::Burn(burn) = &statement {
            let seen = self
                .config
                .witness
                .as_ref()
                .is_some_and(|w| w.confirms(burn));
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
    pub(super) fn swaps_flush<N: Network<Peer = P>>(
        &mut self,
        net: &mut N,
    ) -> Result<(), HostError> {
        let asked = std::mem::take(&mut lock(&self.swaps)?.outbox);
        for statement in asked {
            {
                // A node that is behind reopens a stale entry with the current committee.
                let chain = self.read()?;
                let state = chain.state();
                let mut desk = lock(&self.swaps)?;
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

impl Offer {
    fn is_kept(&self) -> bool {
        matches!(self, Offer::Kept)
    }
}

/// Offers one signature to the desk: checked against the entry's committee and kept.
fn offer(
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
