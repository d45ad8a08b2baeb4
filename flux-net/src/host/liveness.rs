//! Liveness attested by peers (`Liveness`, a component of the host), over gossip
//! ([`Attest`]), without a clock of its own: keep-alive confirms and hosting reports. It owns
//! this node's requests waiting for signatures, the requests it attested and when recent
//! heights were committed here; it hears of commits through `Liveness::on_commit`.
//!
//! **Keep-alive confirms.** A confirmed validator confirms again before it expires, with its
//! peers' attestations, as any node must (`min_confirm_interval` .. `expire_after` blocks after
//! its last confirm):
//!
//! 1. When its keep-alive is due (see [`due_at`]), the node takes the block it just committed as
//!    the seed, answers the CPU challenge that seed derives for it ([`challenge_for`]: its
//!    attested threads, [`STEPS_PER_THREAD`] steps each) and publishes an [`AttestRequest`]
//!    claiming its attested hardware and the score of an answer within [`MAX_ANSWER_MS`].
//! 2. Each verifier the seed selects ([`flux_nodes::registry::Registry::verifiers`]) spot-checks
//!    the answer ([`SAMPLES`] segments) and times it from the moment it committed the seed
//!    block. If the answer is right, came within [`MAX_ANSWER_MS`] and the claimed hardware is
//!    what the chain attested before, it signs the statement and publishes it.
//! 3. With a quorum of signatures the node puts a `NodeConfirm` signed by its operator key in its
//!    mempool and gossips it.
//!
//! **Hosting reports.** A node that hosts app instances asks the same verifiers, every
//! `hosting_interval` blocks, to attest that it answered for the seed block in time
//! ([`flux_chain::work::HostingStatement`]); with a quorum it sends a `HostingReport`, which
//! credits its instances' resources as useful work.
//!
//! An unanswered request is retried with a fresh seed once the old one is too old. Everything a
//! node claims is a pure function of the chain, so the simulator's runs stay deterministic. The
//! keep-alive is a liveness check (the node is up, computes and answers in time); the first
//! confirm of a node carries a full hardware benchmark (`flux node confirm`).

use std::collections::{BTreeMap, BTreeSet};

use flux_chain::consensus::Height;
use flux_chain::store::Store;
use flux_chain::tx::{HostingReport, NodeConfirm, Transaction, TxKind};
use flux_chain::work::HostingStatement;
use flux_core::crypto::SecretKey;
use flux_core::hash::Hasher;
use flux_core::{Address, Amount, Hash};
use flux_nodes::NodeId;
use flux_nodes::attestation::{Attestation, BenchmarkEvidence, BenchmarkStatement, quorum};
use flux_nodes::bench::cpu;
use flux_nodes::lifecycle::NodeStatus;

use claim::{Claim, OrSkip, hosting_claim, keepalive_claim};
pub use claim::{challenge_for, due_at};

use super::shared::{Identity, Ledger};
use super::{HostError, Refusals};
use crate::message::{Attest, AttestKind, AttestRequest, Message};
use crate::network::{Network, Offence, Topic};

/// Hash steps per challenge thread (2^16: tens of milliseconds per thread).
pub const STEPS_PER_THREAD: u64 = 1 << 16;
/// Steps per checkpoint (64 segments per thread).
pub const CHECKPOINT_INTERVAL: u64 = 1 << 10;
/// Segments a verifier recomputes.
pub const SAMPLES: u32 = 16;
/// The longest a verifier waits, from committing the seed block, for a correct answer.
pub const MAX_ANSWER_MS: u64 = 5_000;

mod claim;

/// A request of this node's, waiting for its verifiers.
#[derive(Clone, Debug)]
struct Pending {
    seed_height: Height,
    claim: Claim,
    selected: Vec<NodeId>,
    signed: Vec<Attestation>,
    submitted: bool,
}

/// The liveness attestations of one node, asked and given. See the module docs.
#[derive(Debug)]
pub(crate) struct Liveness<S: Store> {
    ledger: Ledger<S>,
    me: Identity,
    /// This node's liveness requests waiting for signatures.
    attesting: BTreeMap<AttestKind, Pending>,
    /// When recent heights were committed here (a verifier times keep-alive answers from it).
    commit_times: BTreeMap<Height, u64>,
    /// Requests this node attested, `(kind, subject, seed height)`.
    attested: BTreeSet<(AttestKind, NodeId, Height)>,
    refusals: Refusals,
}

impl<S: Store> Liveness<S> {
    /// The liveness of the node `me`.
    pub(crate) fn new(ledger: Ledger<S>, me: Identity) -> Liveness<S> {
        Liveness {
            ledger,
            me,
            attesting: BTreeMap::new(),
            commit_times: BTreeMap::new(),
            attested: BTreeSet::new(),
            refusals: Refusals::default(),
        }
    }

    /// What it refused so far.
    pub(crate) fn refusals(&self) -> Refusals {
        self.refusals
    }

    /// After committing `height` (decided here, not synced): remembers when, and starts this
    /// node's keep-alive or hosting report if one is due.
    pub(crate) fn on_commit<N: Network>(
        &mut self,
        height: Height,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let max_age = self
            .ledger
            .read()?
            .state()
            .params()
            .nodes
            .bench_seed_max_age;
        self.commit_times.insert(height, now_ms);
        self.commit_times
            .retain(|h, _| h.saturating_add(max_age) >= height);
        self.attested
            .retain(|(_, _, h)| h.saturating_add(max_age) >= height);
        // A request whose seed is too old for a transaction is dropped (and retried below).
        self.attesting
            .retain(|_, p| p.seed_height.saturating_add(max_age) > height + 1);
        let Some(key) = self.me.key.clone() else {
            return Ok(());
        };
        for kind in [AttestKind::KeepAlive, AttestKind::Hosting] {
            if !self.attesting.contains_key(&kind) {
                self.start_request(kind, height, &key, net)?;
            }
        }
        Ok(())
    }

    /// Starts this node's request of `kind` seeded by the block at `height`, if one is due.
    fn start_request<N: Network>(
        &mut self,
        kind: AttestKind,
        height: Height,
        key: &SecretKey,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Some(id) = self.me.id else {
            return Ok(());
        };
        let built = {
            let chain = self.ledger.read()?;
            let state = chain.state();
            let (Some(entry), Some(seed)) = (
                state.registry().get(&id),
                state.recent_block(height).map(|b| b.0),
            ) else {
                return Ok(());
            };
            let due = match kind {
                AttestKind::KeepAlive => keepalive_claim(entry, seed, height),
                AttestKind::Hosting => hosting_claim(state, entry, seed, height),
            };
            due.map(|(claim, request)| {
                let pending = Pending {
                    seed_height: height,
                    claim,
                    selected: state.registry().verifiers(&seed, &id, state.params()),
                    signed: Vec::new(),
                    submitted: false,
                };
                (request, pending)
            })
        };
        let Some((request, pending)) = built else {
            return Ok(());
        };
        tracing::debug!(height, ?kind, "asking for attestations");
        self.ask(kind, request, pending, key, net)
    }

    /// Publishes a request and waits for its signatures (submitting at once when no verifier
    /// is needed: a network of one).
    fn ask<N: Network>(
        &mut self,
        kind: AttestKind,
        request: Attest,
        pending: Pending,
        key: &SecretKey,
        net: &mut N,
    ) -> Result<(), HostError> {
        self.attesting.insert(kind, pending);
        net.publish(Topic::Consensus, Message::Attest(request).to_bytes()?);
        self.try_submit(kind, key, net)
    }

    /// A keep-alive request from `peer`: checked and signed if this node is one of its
    /// verifiers. A wrong answer costs the sender.
    pub(crate) fn on_request<N: Network>(
        &mut self,
        peer: N::Peer,
        request: AttestRequest,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Some(id) = self.me.id else {
            return Ok(());
        };
        let Some(seed) = self.verifier_check(
            AttestKind::KeepAlive,
            request.subject,
            request.seed_height,
            now_ms,
        )?
        else {
            return Ok(());
        };
        let statement = {
            let chain = self.ledger.read()?;
            let Some(subject) = chain.state().registry().get(&request.subject) else {
                return Ok(());
            };
            let hardware = subject.attested.unwrap_or(subject.declared);
            if request.hardware != hardware {
                return Ok(());
            }
            let Ok(challenge) =
                challenge_for(&seed, &request.subject, hardware.resources.cpu_threads).or_skip()
            else {
                return Ok(());
            };
            if request.cpu_score > cpu::cpu_score(&challenge, MAX_ANSWER_MS) {
                return Ok(()); // claims more than an answer in time shows
            }
            let mut h = Hasher::new("flux/keepalive/samples/v1");
            h.update(seed.as_bytes()).update(id.0.as_bytes());
            if cpu::verify(&challenge, &request.proof, SAMPLES, &h.finalize()).is_err() {
                drop(chain);
                self.refusals.rejected += 1;
                net.penalize(peer, Offence::Invalid);
                return Ok(());
            }
            Claim::KeepAlive(BenchmarkStatement {
                subject: request.subject,
                seed_height: request.seed_height,
                seed,
                hardware,
                cpu_score: request.cpu_score,
            })
        };
        self.sign_and_publish(
            AttestKind::KeepAlive,
            request.subject,
            request.seed_height,
            &statement,
            net,
        )
    }

    /// A hosting request: signed if this node is one of its verifiers, the node hosts
    /// instances and asked in time.
    pub(crate) fn on_hosting_request<N: Network>(
        &mut self,
        node: NodeId,
        seed_height: Height,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Some(seed) = self.verifier_check(AttestKind::Hosting, node, seed_height, now_ms)?
        else {
            return Ok(());
        };
        let hosts = self
            .ledger
            .read()?
            .state()
            .placement()
            .used_on(&node)
            .is_some_and(|d| flux_chain::work::hosting_units_per_block(&d) > 0);
        if !hosts {
            return Ok(());
        }
        let claim = Claim::Hosting(HostingStatement {
            node,
            seed_height,
            seed,
        });
        self.sign_and_publish(AttestKind::Hosting, node, seed_height, &claim, net)
    }

    /// The checks every verifier makes before it signs: not signed yet, the seed block decided
    /// here within [`MAX_ANSWER_MS`], the subject confirmed and this node among its selected
    /// verifiers. The seed's block id if they pass.
    fn verifier_check(
        &self,
        kind: AttestKind,
        subject: NodeId,
        seed_height: Height,
        now_ms: u64,
    ) -> Result<Option<Hash>, HostError> {
        let (Some(id), Some(_)) = (self.me.id, &self.me.key) else {
            return Ok(None);
        };
        if self.attested.contains(&(kind, subject, seed_height)) {
            return Ok(None);
        }
        let Some(&seen_at) = self.commit_times.get(&seed_height) else {
            return Ok(None); // a seed this node did not decide, or too old
        };
        if now_ms.saturating_sub(seen_at) > MAX_ANSWER_MS {
            return Ok(None);
        }
        let chain = self.ledger.read()?;
        let state = chain.state();
        let Some(seed) = state.recent_block(seed_height).map(|b| b.0) else {
            return Ok(None);
        };
        let ok = state
            .registry()
            .get(&subject)
            .is_some_and(|e| e.status == NodeStatus::Confirmed)
            && state
                .registry()
                .verifiers(&seed, &subject, state.params())
                .contains(&id);
        Ok(ok.then_some(seed))
    }

    fn sign_and_publish<N: Network>(
        &mut self,
        kind: AttestKind,
        subject: NodeId,
        seed_height: Height,
        claim: &Claim,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Some(key) = &self.me.key else {
            return Ok(());
        };
        let chain_id = self.ledger.read()?.state().params().chain_id;
        let (domain, bytes) = claim.signed_bytes()?;
        let attestation = Attestation {
            verifier: NodeId::of(&key.public_key()),
            signature: key.sign(domain, chain_id, &bytes),
        };
        self.attested.insert((kind, subject, seed_height));
        let message = Message::Attest(Attest::Signed {
            kind,
            subject,
            seed_height,
            attestation,
        });
        net.publish(Topic::Consensus, message.to_bytes()?);
        Ok(())
    }

    /// A verifier's signature: kept if it is for one of this node's pending requests and
    /// verifies; at a quorum the transaction goes to the mempool and out.
    pub(crate) fn on_signed<N: Network>(
        &mut self,
        kind: AttestKind,
        subject: NodeId,
        seed_height: Height,
        attestation: Attestation,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Some(key) = self.me.key.clone() else {
            return Ok(());
        };
        let (chain_id, operator) = {
            let chain = self.ledger.read()?;
            let state = chain.state();
            (
                state.params().chain_id,
                state
                    .registry()
                    .get(&attestation.verifier)
                    .map(|e| e.operator),
            )
        };
        let Some(pending) = self.attesting.get(&kind) else {
            return Ok(());
        };
        if Some(subject) != self.me.id
            || seed_height != pending.seed_height
            || pending.submitted
            || !pending.selected.contains(&attestation.verifier)
            || pending
                .signed
                .iter()
                .any(|a| a.verifier == attestation.verifier)
        {
            return Ok(());
        }
        let (domain, bytes) = pending.claim.signed_bytes()?;
        let valid = operator.is_some_and(|k| {
            k.verify(domain, chain_id, &bytes, &attestation.signature)
                .is_ok()
        });
        if !valid {
            self.refusals.rejected += 1;
            return Ok(());
        }
        if let Some(p) = self.attesting.get_mut(&kind) {
            p.signed.push(attestation);
        }
        self.try_submit(kind, &key, net)
    }

    /// Submits a pending request's transaction once a quorum signed it.
    fn try_submit<N: Network>(
        &mut self,
        kind: AttestKind,
        key: &SecretKey,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Some(id) = self.me.id else {
            return Ok(());
        };
        let tx = {
            let chain = self.ledger.read()?;
            let state = chain.state();
            let params = state.params();
            let Some(pending) = self.attesting.get_mut(&kind) else {
                return Ok(());
            };
            if pending.submitted || pending.signed.len() < quorum(pending.selected.len(), params) {
                return Ok(());
            }
            pending.submitted = true;
            let tx_kind = match &pending.claim {
                Claim::KeepAlive(s) => TxKind::NodeConfirm(NodeConfirm {
                    node: id,
                    evidence: BenchmarkEvidence {
                        seed_height: pending.seed_height,
                        hardware: s.hardware,
                        cpu_score: s.cpu_score,
                        attestations: pending.signed.clone(),
                    },
                }),
                Claim::Hosting(_) => TxKind::HostingReport(HostingReport {
                    node: id,
                    seed_height: pending.seed_height,
                    attestations: pending.signed.clone(),
                }),
            };
            let sender = Address::from_public_key(&key.public_key());
            let mut pool = self.ledger.pool()?;
            let nonce = pool.next_nonce(&sender, state.account(&sender).nonce);
            let Ok(tx) =
                Transaction::sign(key, params.chain_id, nonce, Amount::ZERO, tx_kind).or_skip()
            else {
                return Ok(());
            };
            if let Err(e) = pool.insert(tx.clone(), state) {
                tracing::warn!(error = %e, ?kind, "the mempool refused a liveness transaction");
                return Ok(());
            }
            tx
        };
        tracing::info!(node = %id, ?kind, "liveness transaction sent");
        net.publish(Topic::Txs, Message::Txs(vec![tx]).to_bytes()?);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
