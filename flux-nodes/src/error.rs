//! Typed errors of flux-nodes: one variant per rule of registration, lifecycle and attestation.
//!
//! The `error <-> {node, lifecycle}` module cycles are kept on purpose: the variants carry
//! domain values (node ids, statuses, lifecycle events: what was expected and what came, as the
//! architecture asks), and those modules return these errors.

use flux_core::error::{AmountError, CodecError, SignatureError};
use flux_core::{Amount, Tier};
use thiserror::Error;

use crate::lifecycle::{LifecycleEvent, NodeStatus};
use crate::node::NodeId;

/// A status change the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LifecycleError {
    /// `event` cannot happen to a node in status `from`.
    #[error("a {from} node cannot {event:?}")]
    IllegalTransition {
        /// The node's status.
        from: NodeStatus,
        /// The event refused.
        event: LifecycleEvent,
    },
}

/// Why a benchmark attestation does not support a confirm.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AttestationError {
    /// The seed block is too old or in the future.
    #[error(
        "attestation seed height {seed_height} is not within the last {max_age} blocks of {height}"
    )]
    StaleSeed {
        /// Height of the seed block named.
        seed_height: u64,
        /// The current height.
        height: u64,
        /// Oldest seed accepted, in blocks.
        max_age: u64,
    },
    /// Fewer valid signatures from selected verifiers than the quorum.
    #[error("{have} valid verifier signatures, {need} needed")]
    TooFewSignatures {
        /// Valid signatures from selected verifiers.
        have: usize,
        /// The quorum.
        need: usize,
    },
    /// A signer that the seed did not select.
    #[error("node {verifier} was not selected to verify")]
    NotSelected {
        /// The signer.
        verifier: NodeId,
    },
    /// A selected verifier whose key the signer does not hold.
    #[error("no key for selected verifier {verifier}")]
    MissingVerifierKey {
        /// The verifier.
        verifier: NodeId,
    },
    /// The same verifier twice.
    #[error("verifier {verifier} signed twice")]
    DuplicateVerifier {
        /// The signer.
        verifier: NodeId,
    },
    /// A verifier's signature does not verify.
    #[error("verifier {verifier}: {source}")]
    BadSignature {
        /// The signer.
        verifier: NodeId,
        /// Why.
        #[source]
        source: SignatureError,
    },
    /// The attested hardware is below the tier's minimum.
    #[error("attested hardware is below the {tier} minimum")]
    BelowTierMinimum {
        /// The node's tier.
        tier: Tier,
    },
    /// The statement could not be encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Why a node operation is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NodeError {
    /// Not `CONTINENT_COUNTRY[_REGION]`.
    #[error("invalid geolocation {0:?} (expected CONTINENT_COUNTRY[_REGION], e.g. EU_DE_Bavaria)")]
    Geolocation(String),
    /// Not `ac<CONTINENT>[_<COUNTRY>[_<REGION>]]` or `a!c...`.
    #[error("invalid geolocation rule {0:?} (expected acEU_DE or a!cEU_DE style)")]
    GeoRule(String),
    /// Not `host:port`.
    #[error("invalid endpoint {0:?} (expected host:port)")]
    Endpoint(String),
    /// The collateral is not exactly the tier's.
    #[error("a {tier} node bonds exactly {expected} FLUX, not {found}")]
    WrongCollateral {
        /// The tier asked for.
        tier: Tier,
        /// Its collateral.
        expected: Amount,
        /// The amount offered.
        found: Amount,
    },
    /// Operator keys are Ed25519.
    #[error("node operator keys must be Ed25519")]
    OperatorScheme,
    /// A node with this operator key exists.
    #[error("node {id} is already registered")]
    AlreadyRegistered {
        /// Its id.
        id: NodeId,
    },
    /// The collateral is on the DoS list.
    #[error("node {id} is on the DoS list until height {until}")]
    DosListed {
        /// Its id.
        id: NodeId,
        /// First height at which it may start again.
        until: u64,
    },
    /// No such node.
    #[error("no node {id}")]
    UnknownNode {
        /// The id asked for.
        id: NodeId,
    },
    /// Only the owner may do this.
    #[error("only the owner of node {id} may do this")]
    NotOwner {
        /// The node.
        id: NodeId,
    },
    /// Only the operator key may do this.
    #[error("only the operator key of node {id} may do this")]
    NotOperator {
        /// The node.
        id: NodeId,
    },
    /// A keep-alive too soon after the last confirm.
    #[error("node {id} confirmed at {last}; the next confirm is allowed from height {allowed}")]
    ConfirmTooEarly {
        /// The node.
        id: NodeId,
        /// Height of its last confirm.
        last: u64,
        /// First height a keep-alive is accepted.
        allowed: u64,
    },
    /// A stored entry whose deadline does not fit its status (only an expired node has none).
    #[error("node {id} is {status} with deadline {deadline:?}")]
    Deadline {
        /// The node.
        id: NodeId,
        /// Its status.
        status: NodeStatus,
        /// Its deadline.
        deadline: Option<u64>,
    },
    /// The declared hardware is below the tier's minimum.
    #[error("declared hardware is below the {tier} minimum")]
    DeclaredBelowTier {
        /// The tier asked for.
        tier: Tier,
    },
    /// The node was already slashed for this height.
    #[error("node {id} was already slashed for height {height}")]
    AlreadySlashed {
        /// The node.
        id: NodeId,
        /// The offense's consensus height.
        height: u64,
    },
    /// The node's status does not allow this operation.
    #[error("node {id} is {status}: it cannot do this")]
    NotActive {
        /// The node.
        id: NodeId,
        /// Its status.
        status: NodeStatus,
    },
    /// The status does not allow the operation.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// The benchmark evidence does not hold.
    #[error(transparent)]
    Attestation(#[from] AttestationError),
    /// An amount computation overflowed.
    #[error(transparent)]
    Amount(#[from] AmountError),
}
