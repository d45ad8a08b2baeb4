//! What a node claims in its liveness requests, as pure functions of the chain: when its
//! keep-alive is due, the challenge a seed block sets it, and the claims it makes.

use flux_chain::consensus::Height;
use flux_chain::work::HostingStatement;
use flux_core::Hash;
use flux_core::crypto::Domain;
use flux_core::hash::Hasher;
use flux_nodes::NodeId;
use flux_nodes::attestation::BenchmarkStatement;
use flux_nodes::bench::{CpuChallenge, cpu};
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeEntry;

use super::{CHECKPOINT_INTERVAL, MAX_ANSWER_MS, STEPS_PER_THREAD};
use crate::host::HostError;
use crate::message::{Attest, AttestRequest};

/// What a pending request claims.
#[derive(Clone, Debug)]
pub(super) enum Claim {
    KeepAlive(BenchmarkStatement),
    Hosting(HostingStatement),
}

impl Claim {
    /// The domain and bytes verifiers sign.
    pub(super) fn signed_bytes(&self) -> Result<(Domain, Vec<u8>), HostError> {
        Ok(match self {
            Claim::KeepAlive(s) => (Domain::BENCHMARK, flux_chain::codec::encode(s)?),
            Claim::Hosting(s) => (Domain::WORK, flux_chain::codec::encode(s)?),
        })
    }
}

/// The height from which `entry` sends its keep-alive: the start of the window its last confirm
/// fixed ([`NodeEntry::keepalive_window`]: `min_confirm_interval` after it, as the parameters
/// were then), plus a spread of up to half the window drawn from its id (so a network confirmed
/// at once does not benchmark at once). `None` if it is not confirmed.
///
/// ```
/// use flux_chain::genesis::Genesis;
/// use flux_net::host::liveness::due_at;
///
/// let (genesis, _) = Genesis::devnet_with_nodes(1, 1)?;
/// let (state, params) = (genesis.state()?, genesis.params());
/// let entry = state.registry().iter().next().unwrap();
/// let due = due_at(entry).unwrap();
/// assert!(due >= params.nodes.min_confirm_interval && due < params.nodes.expire_after);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn due_at(entry: &NodeEntry) -> Option<Height> {
    let (from, last) = entry.keepalive_window()?;
    let window = last.saturating_sub(from) / 2;
    let spread = u64::from(entry.id.0.as_bytes()[0]) % window.max(1);
    Some(from.saturating_add(spread))
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

/// The keep-alive `entry` sends for the seed block `seed` at `height`, if it is due: its claim
/// and the request carrying its answer to the challenge.
pub(super) fn keepalive_claim(
    entry: &NodeEntry,
    seed: Hash,
    height: Height,
) -> Option<(Claim, Attest)> {
    if due_at(entry).is_none_or(|at| height < at) {
        return None;
    }
    let hardware = entry.attested.unwrap_or(entry.declared);
    let challenge = challenge_for(&seed, &entry.id, hardware.resources.cpu_threads)
        .or_skip()
        .ok()?;
    let proof = cpu::solve(&challenge).or_skip().ok()?;
    let statement = BenchmarkStatement {
        subject: entry.id,
        seed_height: height,
        seed,
        hardware,
        cpu_score: cpu::cpu_score(&challenge, MAX_ANSWER_MS),
    };
    let request = AttestRequest {
        subject: entry.id,
        seed_height: height,
        hardware,
        cpu_score: statement.cpu_score,
        proof,
    };
    Some((Claim::KeepAlive(statement), Attest::Request(request)))
}

/// The hosting report `entry` asks for at `height`, if it hosts instances and
/// `hosting_interval` blocks passed since its last report (or its first confirm).
pub(super) fn hosting_claim(
    state: &flux_chain::state::State,
    entry: &NodeEntry,
    seed: Hash,
    height: Height,
) -> Option<(Claim, Attest)> {
    let id = entry.id;
    let hosts = state
        .placement()
        .used_on(&id)
        .is_some_and(|d| flux_chain::work::hosting_units_per_block(&d) > 0);
    let last = state.work().hosted.get(&id).copied().or(entry.confirmed_at);
    let due = last.is_some_and(|l| height >= l + state.params().work.hosting_interval);
    if entry.status != NodeStatus::Confirmed || !hosts || !due {
        return None;
    }
    let claim = Claim::Hosting(HostingStatement {
        node: id,
        seed_height: height,
        seed,
    });
    let request = Attest::Hosting {
        node: id,
        seed_height: height,
    };
    Some((claim, request))
}

/// A liveness step that failed locally (a challenge this node can not answer or sign): logged
/// and skipped, never fatal to the host; the next block retries.
#[derive(Debug)]
pub(super) struct Skip;

pub(super) trait OrSkip<T> {
    fn or_skip(self) -> Result<T, Skip>;
}

impl<T, E: std::fmt::Display> OrSkip<T> for Result<T, E> {
    fn or_skip(self) -> Result<T, Skip> {
        self.map_err(|e| {
            tracing::warn!(error = %e, "liveness step failed");
            Skip
        })
    }
}
