//! Keep-alive confirms: a confirmed validator confirms again before it expires, with its peers'
//! attestations, as any node must (`min_confirm_interval` .. `expire_after` blocks after its last
//! confirm).
//!
//! The exchange runs over gossip ([`Attest`]), without a clock of its own:
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
//!    mempool and gossips it. An unanswered request is retried with a fresh seed once the old
//!    one is too old for a confirm.
//!
//! Everything a node claims is a pure function of the chain, so the simulator's runs stay
//! deterministic. This is a liveness check (the node is up, computes and answers in time);
//! the first confirm of a node carries a full hardware benchmark (`flux node confirm`).

use flux_chain::consensus::Height;
use flux_chain::store::Store;
use flux_chain::tx::{NodeConfirm, Transaction, TxKind};
use flux_core::hash::Hasher;
use flux_core::{Address, Amount, ChainParams, Hash};
use flux_nodes::NodeId;
use flux_nodes::attestation::Attestation;
use flux_nodes::attestation::{BenchmarkEvidence, BenchmarkStatement, attest, quorum};
use flux_nodes::bench::{CpuChallenge, cpu};
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeEntry;

use super::{Host, HostError};
use crate::message::{Attest, AttestRequest, Message};
use crate::network::{Network, Offence, Topic};

/// Hash steps per challenge thread (2^16: tens of milliseconds per thread).
pub const STEPS_PER_THREAD: u64 = 1 << 16;
/// Steps per checkpoint (64 segments per thread).
pub const CHECKPOINT_INTERVAL: u64 = 1 << 10;
/// Segments a verifier recomputes.
pub const SAMPLES: u32 = 16;
/// The longest a verifier waits, from committing the seed block, for a correct answer.
pub const MAX_ANSWER_MS: u64 = 5_000;

/// A keep-alive this node asked its verifiers for.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    seed_height: Height,
    statement: BenchmarkStatement,
    selected: Vec<NodeId>,
    signed: Vec<Attestation>,
    submitted: bool,
}

/// The height from which `entry` sends its keep-alive: `min_confirm_interval` after its last
/// confirm, plus a spread of up to half the remaining window drawn from its id (so a network
/// confirmed at once does not benchmark at once). `None` if it is not confirmed.
pub fn due_at(entry: &NodeEntry, params: &ChainParams) -> Option<Height> {
    if entry.status != NodeStatus::Confirmed {
        return None;
    }
    let last = entry.last_confirm?;
    let n = &params.nodes;
    let window = n.expire_after.saturating_sub(n.min_confirm_interval) / 2;
    let spread = u64::from(entry.id.0.as_bytes()[0]) % window.max(1);
    Some(last + n.min_confirm_interval + spread)
}

/// The challenge the seed block `seed` sets `subject`, answering with `threads` threads.
pub fn challenge_for(
    seed: &Hash,
    subject: &NodeId,
    threads: u32,
) -> Result<CpuChallenge, flux_nodes::bench::BenchError> {
    let mut h = Hasher::new("flux/keepalive/challenge/v1");
    h.update(seed.as_bytes()).update(subject.0.as_bytes());
    CpuChallenge::new(
        h.finalize(),
        threads.clamp(1, cpu::MAX_THREADS),
        STEPS_PER_THREAD,
        CHECKPOINT_INTERVAL,
    )
}

/// A keep-alive step that failed locally (a challenge this node can not answer or sign): logged
/// and skipped, never fatal to the host; the next block retries.
#[derive(Debug)]
struct Skip;

trait OrSkip<T> {
    fn or_skip(self) -> Result<T, Skip>;
}

impl<T, E: std::fmt::Display> OrSkip<T> for Result<T, E> {
    fn or_skip(self) -> Result<T, Skip> {
        self.map_err(|e| {
            tracing::warn!(error = %e, "keep-alive step failed");
            Skip
        })
    }
}

impl<S: Store, P: Copy + Ord + std::fmt::Debug> Host<S, P> {
    /// After committing `height` (decided here, not synced): remembers when, and starts this
    /// node's keep-alive if it is due.
    pub(super) fn keepalive_on_commit<N: Network<Peer = P>>(
        &mut self,
        height: Height,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let max_age = self.read()?.state().params().nodes.bench_seed_max_age;
        self.commit_times.insert(height, now_ms);
        self.commit_times
            .retain(|h, _| h.saturating_add(max_age) >= height);
        self.attested
            .retain(|(_, h)| h.saturating_add(max_age) >= height);
        let (Some(id), Some(key)) = (self.id, self.config.key.clone()) else {
            return Ok(());
        };
        let (request, pending) = {
            let shared = self.chain.clone();
            let chain = shared.read().map_err(|_| HostError::Poisoned)?;
            let state = chain.state();
            let params = state.params();
            let Some(entry) = state.registry().get(&id) else {
                return Ok(());
            };
            let due = due_at(entry, params).is_some_and(|at| height >= at);
            let waiting = self.keepalive.as_ref().is_some_and(|p| {
                p.seed_height
                    .saturating_add(params.nodes.bench_seed_max_age)
                    > height + 1
            });
            if !due || waiting {
                if !due {
                    self.keepalive = None;
                }
                return Ok(());
            }
            let Some(seed) = state.recent_block(height).map(|b| b.0) else {
                return Ok(());
            };
            let hardware = entry.attested.unwrap_or(entry.declared);
            let Ok(challenge) = challenge_for(&seed, &id, hardware.resources.cpu_threads).or_skip()
            else {
                return Ok(());
            };
            let Ok(proof) = cpu::solve(&challenge).or_skip() else {
                return Ok(());
            };
            let statement = BenchmarkStatement {
                subject: id,
                seed_height: height,
                seed,
                hardware,
                cpu_score: cpu::cpu_score(&challenge, MAX_ANSWER_MS),
            };
            let selected = state.registry().verifiers(&seed, &id, params);
            let request = AttestRequest {
                subject: id,
                seed_height: height,
                hardware,
                cpu_score: statement.cpu_score,
                proof,
            };
            let pending = Pending {
                seed_height: height,
                statement,
                selected,
                signed: Vec::new(),
                submitted: false,
            };
            (request, pending)
        };
        tracing::debug!(height, "keep-alive: asking for attestations");
        self.keepalive = Some(pending);
        net.publish(
            Topic::Consensus,
            Message::Attest(Attest::Request(request)).to_bytes()?,
        );
        // With no verifier to ask (a network of one), the quorum is already there.
        self.keepalive_try_submit(&key, net)
    }

    /// A keep-alive request from `peer`: checked and signed if this node is one of its
    /// verifiers. A wrong answer costs the sender.
    pub(super) fn on_attest_request<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        request: AttestRequest,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let (Some(id), Some(key)) = (self.id, self.config.key.clone()) else {
            return Ok(());
        };
        let key_seed = (request.subject, request.seed_height);
        if self.attested.contains(&key_seed) {
            return Ok(());
        }
        let Some(&seen_at) = self.commit_times.get(&request.seed_height) else {
            return Ok(()); // a seed this node did not decide, or too old
        };
        let statement = {
            let shared = self.chain.clone();
            let chain = shared.read().map_err(|_| HostError::Poisoned)?;
            let state = chain.state();
            let params = state.params();
            let Some(seed) = state.recent_block(request.seed_height).map(|b| b.0) else {
                return Ok(());
            };
            let Some(subject) = state.registry().get(&request.subject) else {
                return Ok(());
            };
            let hardware = subject.attested.unwrap_or(subject.declared);
            if subject.status != NodeStatus::Confirmed
                || request.hardware != hardware
                || !state
                    .registry()
                    .verifiers(&seed, &request.subject, params)
                    .contains(&id)
            {
                return Ok(());
            }
            let Ok(challenge) =
                challenge_for(&seed, &request.subject, hardware.resources.cpu_threads).or_skip()
            else {
                return Ok(());
            };
            let mut h = Hasher::new("flux/keepalive/samples/v1");
            h.update(seed.as_bytes()).update(id.0.as_bytes());
            if cpu::verify(&challenge, &request.proof, SAMPLES, &h.finalize()).is_err() {
                self.refusals.rejected += 1;
                net.penalize(peer, Offence::Invalid);
                return Ok(());
            }
            let elapsed = now_ms.saturating_sub(seen_at);
            if elapsed > MAX_ANSWER_MS
                || request.cpu_score > cpu::cpu_score(&challenge, MAX_ANSWER_MS)
            {
                return Ok(()); // too late, or claims more than it showed
            }
            BenchmarkStatement {
                subject: request.subject,
                seed_height: request.seed_height,
                seed,
                hardware,
                cpu_score: request.cpu_score,
            }
        };
        let chain_id = self.read()?.state().params().chain_id;
        let Ok(attestation) = attest(&key, chain_id, &statement).or_skip() else {
            return Ok(());
        };
        self.attested.insert(key_seed);
        let message = Message::Attest(Attest::Signed {
            subject: request.subject,
            seed_height: request.seed_height,
            attestation,
        });
        net.publish(Topic::Consensus, message.to_bytes()?);
        Ok(())
    }

    /// A verifier's signature: kept if it is for this node's pending keep-alive and verifies;
    /// at a quorum the confirm goes to the mempool and out.
    pub(super) fn on_attested<N: Network<Peer = P>>(
        &mut self,
        subject: NodeId,
        seed_height: Height,
        attestation: Attestation,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Some(key) = self.config.key.clone() else {
            return Ok(());
        };
        let chain_id = self.read()?.state().params().chain_id;
        let operator = {
            let chain = self.read()?;
            chain
                .state()
                .registry()
                .get(&attestation.verifier)
                .map(|e| e.operator)
        };
        let Some(pending) = self.keepalive.as_mut() else {
            return Ok(());
        };
        if Some(subject) != self.id
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
        let bytes = flux_chain::codec::encode(&pending.statement)?;
        let valid = operator.is_some_and(|k| {
            k.verify(
                flux_core::crypto::Domain::BENCHMARK,
                chain_id,
                &bytes,
                &attestation.signature,
            )
            .is_ok()
        });
        if !valid {
            self.refusals.rejected += 1;
            return Ok(());
        }
        pending.signed.push(attestation);
        self.keepalive_try_submit(&key, net)
    }

    /// Submits the pending keep-alive once a quorum signed it.
    fn keepalive_try_submit<N: Network<Peer = P>>(
        &mut self,
        key: &flux_core::crypto::SecretKey,
        net: &mut N,
    ) -> Result<(), HostError> {
        let Some(id) = self.id else {
            return Ok(());
        };
        let tx = {
            let shared = self.chain.clone();
            let chain = shared.read().map_err(|_| HostError::Poisoned)?;
            let state = chain.state();
            let params = state.params();
            let Some(pending) = self.keepalive.as_mut() else {
                return Ok(());
            };
            if pending.submitted || pending.signed.len() < quorum(pending.selected.len(), params) {
                return Ok(());
            }
            pending.submitted = true;
            let evidence = BenchmarkEvidence {
                seed_height: pending.seed_height,
                hardware: pending.statement.hardware,
                cpu_score: pending.statement.cpu_score,
                attestations: pending.signed.clone(),
            };
            let sender = Address::from_public_key(&key.public_key());
            let nonce = self
                .mempool
                .lock()
                .map_err(|_| HostError::Poisoned)?
                .next_nonce(&sender, state.account(&sender).nonce);
            let Ok(tx) = Transaction::sign(
                key,
                params.chain_id,
                nonce,
                Amount::ZERO,
                TxKind::NodeConfirm(NodeConfirm { node: id, evidence }),
            )
            .or_skip() else {
                return Ok(());
            };
            match self
                .mempool
                .lock()
                .map_err(|_| HostError::Poisoned)?
                .insert(tx.clone(), state)
            {
                Ok(_) => tx,
                Err(e) => {
                    tracing::warn!(error = %e, "keep-alive: the mempool refused the confirm");
                    return Ok(());
                }
            }
        };
        tracing::info!(node = %id, "keep-alive: confirm sent");
        net.publish(Topic::Txs, Message::Txs(vec![tx]).to_bytes()?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use flux_chain::genesis::Genesis;

    #[test]
    fn keep_alives_are_due_inside_the_window_and_spread() {
        let (genesis, _) = Genesis::devnet_with_nodes(8, 5).unwrap();
        let params = genesis.params();
        let state = genesis.state().unwrap();
        let n = &params.nodes;
        let mut dues = Vec::new();
        for entry in state.registry().iter() {
            let at = due_at(entry, &params).unwrap();
            assert!(at >= n.min_confirm_interval);
            assert!(at < n.expire_after - 10, "due at {at}: too close to expiry");
            dues.push(at);
        }
        dues.sort_unstable();
        dues.dedup();
        assert!(dues.len() > 1, "all due at once: {dues:?}");
    }

    #[test]
    fn a_challenge_is_the_seed_and_the_subject_s_and_its_answer_verifies() {
        let seed = Hash::digest(b"block");
        let a = NodeId(Hash::digest(b"a"));
        let b = NodeId(Hash::digest(b"b"));
        let ca = challenge_for(&seed, &a, 2).unwrap();
        assert_eq!(ca, challenge_for(&seed, &a, 2).unwrap());
        assert_ne!(ca.seed, challenge_for(&seed, &b, 2).unwrap().seed);
        let proof = cpu::solve(&ca).unwrap();
        let samples = Hash::digest(b"verifier");
        cpu::verify(&ca, &proof, SAMPLES, &samples).unwrap();
        // Another node's answer does not pass for this one.
        let other = cpu::solve(&challenge_for(&seed, &b, 2).unwrap()).unwrap();
        assert!(cpu::verify(&ca, &other, SAMPLES, &samples).is_err());
    }
}
