//! Peer-verified benchmarks (beyond Flux's five foundation keys).
//!
//! A node that confirms names a recent block (the seed). The seed and the node's id select a
//! small set of confirmed peers ([`select_verifiers`]); each challenges the node (a CPU workload
//! it can spot-check cheaply, disk throughput, latency; see `crate::bench`) and, if the node
//! meets what it claims, signs a [`BenchmarkStatement`] of the measured hardware with its
//! operator key. A confirm carries the statement's figures and the signatures
//! ([`BenchmarkEvidence`]); it holds when a quorum of the selected verifiers signed it and the
//! figures meet the tier's minimum ([`check_evidence`]).
//!
//! Selection is a pure function of the confirmed set, the seed and the subject, so every node
//! agrees on it and nobody can pick friendly verifiers. When fewer peers are confirmed than the
//! verifier count, all of them are selected; with none (a network's very first node) the quorum
//! is zero.

use flux_core::crypto::{Domain, PublicKey, SecretKey, Signature};
use flux_core::hash::Hasher;
use flux_core::tier::Hardware;
use flux_core::{ChainId, ChainParams, Hash, Tier, codec};
use imbl::OrdMap;
use serde::{Deserialize, Serialize};

use crate::error::AttestationError;
use crate::node::NodeId;

/// What a verifier signs: it measured `hardware` and `cpu_score` on `subject` for the seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchmarkStatement {
    /// The node measured.
    pub subject: NodeId,
    /// Height of the seed block.
    pub seed_height: u64,
    /// The seed block's id.
    pub seed: Hash,
    /// The hardware found.
    pub hardware: Hardware,
    /// The CPU score found (hash steps per second, all threads).
    pub cpu_score: u64,
}

/// One verifier's signature of a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// The verifier.
    pub verifier: NodeId,
    /// Its operator key's signature over the statement.
    pub signature: Signature,
}

/// What a confirm carries: the attested figures and the signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchmarkEvidence {
    /// Height of the seed block.
    pub seed_height: u64,
    /// The attested hardware.
    pub hardware: Hardware,
    /// The attested CPU score.
    pub cpu_score: u64,
    /// Signatures of selected verifiers.
    pub attestations: Vec<Attestation>,
}

impl BenchmarkEvidence {
    /// The statement the attestations sign.
    pub fn statement(&self, subject: NodeId, seed: Hash) -> BenchmarkStatement {
        BenchmarkStatement {
            subject,
            seed_height: self.seed_height,
            seed,
            hardware: self.hardware,
            cpu_score: self.cpu_score,
        }
    }
}

/// Signs `statement` as a verifier.
///
/// ```
/// use flux_nodes::attestation::{attest, BenchmarkStatement};
/// use flux_nodes::node::NodeId;
/// use flux_core::crypto::{Scheme, SecretKey};
/// use flux_core::{ChainId, Hash};
///
/// let key = SecretKey::from_bytes(Scheme::Ed25519, &[3; 32])?;
/// let statement = BenchmarkStatement {
///     subject: NodeId(Hash::digest(b"node")), seed_height: 7, seed: Hash::digest(b"block 7"),
///     hardware: Default::default(), cpu_score: 1_000_000,
/// };
/// let a = attest(&key, ChainId::DEVNET, &statement)?;
/// assert_eq!(a.verifier, NodeId::of(&key.public_key()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn attest(
    operator: &SecretKey,
    chain_id: ChainId,
    statement: &BenchmarkStatement,
) -> Result<Attestation, AttestationError> {
    let bytes = codec::encode(statement)?;
    Ok(Attestation {
        verifier: NodeId::of(&operator.public_key()),
        signature: operator.sign(Domain::BENCHMARK, chain_id, &bytes),
    })
}

/// Signs `evidence`'s statement about `subject` with every one of `verifiers` (those the seed
/// selects, e.g. [`Registry::verifiers`](crate::registry::Registry::verifiers)), taking their keys
/// from `keys`: what a set of verifiers run by one party (or a test network, or a simulator) hands
/// the confirming node.
///
/// Errors with [`AttestationError::MissingVerifierKey`] if a verifier's key is not in `keys`.
///
/// ```
/// use flux_nodes::attestation::{attest_all, BenchmarkEvidence};
/// use flux_nodes::node::NodeId;
/// use flux_core::crypto::{Scheme, SecretKey};
/// use flux_core::{ChainId, Hash};
///
/// let key = SecretKey::from_bytes(Scheme::Ed25519, &[3; 32])?;
/// let verifier = NodeId::of(&key.public_key());
/// let evidence = BenchmarkEvidence {
///     seed_height: 7, hardware: Default::default(), cpu_score: 1, attestations: vec![],
/// };
/// let subject = NodeId(Hash::digest(b"node"));
/// let seed = Hash::digest(b"block 7");
/// let signed = attest_all(&[verifier], subject, evidence, seed, &[key], ChainId::DEVNET)?;
/// assert_eq!(signed.attestations[0].verifier, verifier);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn attest_all(
    verifiers: &[NodeId],
    subject: NodeId,
    mut evidence: BenchmarkEvidence,
    seed: Hash,
    keys: &[SecretKey],
    chain_id: ChainId,
) -> Result<BenchmarkEvidence, AttestationError> {
    let statement = evidence.statement(subject, seed);
    for &verifier in verifiers {
        let key = keys
            .iter()
            .find(|k| NodeId::of(&k.public_key()) == verifier)
            .ok_or(AttestationError::MissingVerifierKey { verifier })?;
        evidence
            .attestations
            .push(attest(key, chain_id, &statement)?);
    }
    Ok(evidence)
}

/// The verifiers of `subject` for `seed`: up to `count` confirmed nodes other than the subject.
///
/// Points `H(seed ‖ subject ‖ j)` on the ring of node ids pick their successor, so each pick is
/// O(log n) and uniform over ids (ids are hashes). When at most `count` peers exist, all are
/// selected. The result is in selection order.
pub fn select_verifiers<V>(
    confirmed: &OrdMap<NodeId, V>,
    seed: &Hash,
    subject: &NodeId,
    count: usize,
) -> Vec<NodeId>
where
    V: Clone,
{
    let peers = confirmed.len() - usize::from(confirmed.contains_key(subject));
    if peers <= count {
        return confirmed
            .keys()
            .filter(|id| *id != subject)
            .copied()
            .collect();
    }
    let mut chosen: Vec<NodeId> = Vec::with_capacity(count);
    let mut j: u64 = 0;
    while chosen.len() < count {
        let mut h = Hasher::new("flux/bench/verifier-pick/v1");
        h.update(seed.as_bytes())
            .update(subject.0.as_bytes())
            .update(&j.to_le_bytes());
        j += 1;
        let point = NodeId(h.finalize());
        let mut candidates = confirmed
            .range(point..)
            .chain(confirmed.iter())
            .map(|(id, _)| *id);
        // Walk forward from the point to the first id not yet taken (bounded by the set).
        if let Some(next) = candidates.find(|id| id != subject && !chosen.contains(id)) {
            chosen.push(next);
        }
    }
    chosen
}

/// Signatures needed from `selected` verifiers: `ceil(selected × quorum)`.
pub fn quorum(selected: usize, params: &ChainParams) -> usize {
    let r = params.nodes.bench_quorum;
    if r.den == 0 {
        return selected;
    }
    let need = (selected as u128 * u128::from(r.num)).div_ceil(u128::from(r.den));
    usize::try_from(need).unwrap_or(selected)
}

/// Checks `evidence` for a confirm of `subject` (tier `tier`) against the selected verifiers.
/// `operator_of` gives a verifier's operator key.
pub fn check_evidence(
    evidence: &BenchmarkEvidence,
    subject: NodeId,
    tier: Tier,
    seed: Hash,
    selected: &[NodeId],
    operator_of: impl Fn(&NodeId) -> Option<PublicKey>,
    params: &ChainParams,
) -> Result<(), AttestationError> {
    if !tier.admits(params, &evidence.hardware) {
        return Err(AttestationError::BelowTierMinimum { tier });
    }
    let bytes = codec::encode(&evidence.statement(subject, seed))?;
    check_quorum(
        &evidence.attestations,
        Domain::BENCHMARK,
        &bytes,
        selected,
        operator_of,
        params,
    )
}

/// Checks that `attestations` are signatures of `message` in `domain` by distinct verifiers
/// among `selected`, at least [`quorum`] of them: the rule of benchmark confirms, and of any
/// other statement peers attest (e.g. hosting reports). `operator_of` gives a verifier's key.
///
/// ```
/// use flux_core::ChainParams;
/// use flux_core::crypto::{Domain, Scheme, SecretKey};
/// use flux_nodes::attestation::{Attestation, check_quorum};
/// use flux_nodes::node::NodeId;
///
/// let params = ChainParams::devnet();
/// let key = SecretKey::from_bytes(Scheme::Ed25519, &[5; 32])?;
/// let verifier = NodeId::of(&key.public_key());
/// let signed = Attestation {
///     verifier,
///     signature: key.sign(Domain::WORK, params.chain_id, b"statement"),
/// };
/// let operator_of = |_: &NodeId| Some(key.public_key());
/// check_quorum(&[signed], Domain::WORK, b"statement", &[verifier], operator_of, &params)?;
/// assert!(check_quorum(&[], Domain::WORK, b"statement", &[verifier], operator_of, &params).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_quorum(
    attestations: &[Attestation],
    domain: Domain,
    message: &[u8],
    selected: &[NodeId],
    operator_of: impl Fn(&NodeId) -> Option<PublicKey>,
    params: &ChainParams,
) -> Result<(), AttestationError> {
    let mut seen: Vec<NodeId> = Vec::with_capacity(attestations.len());
    for a in attestations {
        if !selected.contains(&a.verifier) {
            return Err(AttestationError::NotSelected {
                verifier: a.verifier,
            });
        }
        if seen.contains(&a.verifier) {
            return Err(AttestationError::DuplicateVerifier {
                verifier: a.verifier,
            });
        }
        let key = operator_of(&a.verifier).ok_or(AttestationError::NotSelected {
            verifier: a.verifier,
        })?;
        key.verify(domain, params.chain_id, message, &a.signature)
            .map_err(|source| AttestationError::BadSignature {
                verifier: a.verifier,
                source,
            })?;
        seen.push(a.verifier);
    }
    let need = quorum(selected.len(), params);
    if seen.len() < need {
        return Err(AttestationError::TooFewSignatures {
            have: seen.len(),
            need,
        });
    }
    Ok(())
}
