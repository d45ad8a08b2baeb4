//! Parallel assets on chain (SPEC "Parallel assets"): the books of the 10 external chains, the
//! swaps out waiting for the other chain, the burn references already released, and the
//! committee attestations both directions rely on.
//!
//! # Books
//!
//! Per [`ExternalChain`] a [`Book`] holds `locked` (native FLUX the protocol holds for that
//! chain) and `issued` (parallel tokens owed or in circulation there). Every change moves both
//! by the same amount, so `issued == locked` always; `locked` counts in the supply (once: the
//! parallel tokens are its 1:1 claims). A `SwapOut` counts `issued` when it locks, since the
//! other chain's contract releases the tokens on the chain's attestation alone.
//!
//! # Attestations
//!
//! An [`Attestation`] is the signatures of members of one epoch's consensus committee, sorted by
//! node id, over one [`Statement`]; it holds when the signers carry strictly more than
//! `parallel.attestation_threshold` (2/3) of the committee's weight ([`verify_attestation`]).
//! Members sign:
//!
//! - a **burn** ([`BurnStatement`], for a `SwapIn`): Ed25519 with the node's operator key, over
//!   the statement's canonical encoding in [`Domain::SWAP`]; verified by this chain.
//! - a **swap out** ([`SwapOutStatement`]) for an Ed25519 chain: the same, verified by the
//!   other chain's program.
//! - a **swap out** for an EVM chain (and Tron): [`flux_core::parallel::sign_evm`] over
//!   [`flux_core::parallel::evm_digest`], with the node's **swap key**, a secp256k1 key the
//!   operator registers with a `SwapKeyRegister` transaction (operator keys are Ed25519, which
//!   `ecrecover` cannot check, and nothing is derived from them). The contract holds the
//!   committee's swap-key addresses and weights.
//!
//! The committee is the one of the attestation's epoch; this chain keeps the current epoch's
//! ([`Parallel::attesters`], drawn at each epoch's first block like `Chain::committee`), so a
//! swap in must be attested by the current committee: an older one is stale.

mod error;

pub use error::SwapError;

use flux_core::crypto::{Domain, PublicKey, SecretKey, Signature};
use flux_core::parallel::{AttestationScheme, EvmSignature, ExternalChain, evm_digest};
use flux_core::params::{GovernableParam, Ratio};
use flux_core::{Address, Amount, ChainId, codec};
use flux_nodes::node::NodeId;
use imbl::OrdMap;
use serde::{Deserialize, Serialize};

use crate::consensus::committee::{Committee, Member};
use crate::ids::TxId;

/// Longest burn reference (an external transaction hash or id), bytes.
pub const MAX_REFERENCE_LEN: usize = 128;

/// Most signatures an attestation may carry: the largest committee governance may vote
/// (`consensus.committee_size`'s upper bound, [`GovernableParam::bounds`]), so every member of
/// any committee may sign. One bound, defined once.
pub const MAX_SIGNATURES: usize = GovernableParam::CommitteeSize.bounds().1 as usize;

/// The books of one external chain. `issued == locked` always.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    /// Native FLUX held by the protocol for the chain.
    pub locked: Amount,
    /// Parallel tokens on the chain.
    pub issued: Amount,
}

/// A swap out kept for the committee to attest and the other chain to release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapOutRecord {
    /// Who locked the FLUX.
    pub from: Address,
    /// The destination chain.
    pub chain: ExternalChain,
    /// The destination address there (checked by [`ExternalChain::check_destination`]).
    pub to: Vec<u8>,
    /// How much, base units.
    pub amount: Amount,
    /// The height of the block that locked it.
    pub height: u64,
    /// The epoch whose committee attests it.
    pub epoch: u64,
}

/// The committee of the current epoch, as the chain keeps it for attestations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attesters {
    /// The epoch.
    pub epoch: u64,
    /// Its members, sorted by id.
    pub members: Vec<Member>,
}

/// Everything the chain keeps of parallel assets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parallel {
    /// The books by chain (absent: zero).
    pub books: OrdMap<ExternalChain, Book>,
    /// Swaps out by id (the `SwapOut` transaction's id).
    pub swaps_out: OrdMap<TxId, SwapOutRecord>,
    /// Burn references released so far → the `SwapIn` that released each.
    pub used_refs: OrdMap<(ExternalChain, Vec<u8>), TxId>,
    /// Nodes' registered secp256k1 swap keys.
    pub swap_keys: OrdMap<NodeId, PublicKey>,
    /// The committee of the current epoch (none before the first confirmed node).
    pub attesters: Option<Attesters>,
}

impl Parallel {
    /// The books of a preset's genesis: on mainnet `initial_locked_per_chain` locked and
    /// issued for every chain, elsewhere none (SPEC: devnet and test genesis may start at 0).
    pub fn genesis(params: &flux_core::ChainParams) -> Parallel {
        let mut p = Parallel::default();
        let per_chain = params.parallel.initial_locked_per_chain;
        if params.network == flux_core::Network::Mainnet && !per_chain.is_zero() {
            for chain in ExternalChain::ALL {
                let book = Book {
                    locked: per_chain,
                    issued: per_chain,
                };
                p.books.insert(chain, book);
            }
        }
        p
    }

    /// The book of `chain` (zero if nothing was ever locked).
    pub fn book(&self, chain: ExternalChain) -> Book {
        self.books.get(&chain).copied().unwrap_or_default()
    }

    /// Σ locked over all chains (part of the supply).
    pub fn locked(&self) -> Result<Amount, flux_core::error::AmountError> {
        Amount::checked_sum(self.books.values().map(|b| b.locked))
    }
}

/// What the committee attests that the burn of `amount` parallel FLUX on `chain` (its
/// transaction `reference`) releases to `recipient` here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnStatement {
    /// The chain of the burn.
    pub chain: ExternalChain,
    /// The burn's reference there (transaction hash or id), 1..=[`MAX_REFERENCE_LEN`] bytes.
    pub reference: Vec<u8>,
    /// How much.
    pub amount: Amount,
    /// Who receives the native FLUX.
    pub recipient: Address,
}

impl BurnStatement {
    /// The burn's stateless rules, which a swap in's burn must meet: a positive amount and a
    /// reference of 1 to [`MAX_REFERENCE_LEN`] bytes.
    pub fn check(&self) -> Result<(), SwapError> {
        if self.amount.is_zero() {
            return Err(SwapError::ZeroAmount);
        }
        let (len, max) = (self.reference.len(), MAX_REFERENCE_LEN);
        if len == 0 || len > max {
            return Err(SwapError::BadReference { len, max });
        }
        Ok(())
    }
}

/// What the committee attests of a swap out, for the destination chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapOutStatement {
    /// The swap's id.
    pub swap_id: TxId,
    /// The destination chain.
    pub chain: ExternalChain,
    /// The destination address.
    pub to: Vec<u8>,
    /// How much.
    pub amount: Amount,
}

impl SwapOutStatement {
    /// The statement of a stored swap out.
    pub fn of(swap_id: TxId, record: &SwapOutRecord) -> SwapOutStatement {
        SwapOutStatement {
            swap_id,
            chain: record.chain,
            to: record.to.clone(),
            amount: record.amount,
        }
    }
}

/// What an attestation is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Statement {
    /// A burn on another chain (verified here by a `SwapIn`).
    Burn(BurnStatement),
    /// A swap out (verified by the destination chain).
    SwapOut(SwapOutStatement),
}

impl Statement {
    /// The external chain concerned.
    pub fn chain(&self) -> ExternalChain {
        match self {
            Statement::Burn(b) => b.chain,
            Statement::SwapOut(s) => s.chain,
        }
    }

    /// How members sign it: burns are always Ed25519 (this chain verifies them); swaps out
    /// follow the destination chain's scheme.
    pub fn scheme(&self) -> AttestationScheme {
        match self {
            Statement::Burn(_) => AttestationScheme::Ed25519,
            Statement::SwapOut(s) => s.chain.scheme(),
        }
    }

    /// The EVM digest of a swap out to an EVM chain (`None` otherwise).
    pub fn evm_digest(&self, flux_chain: ChainId) -> Option<[u8; 32]> {
        match self {
            Statement::SwapOut(s) => {
                let to = s.chain.evm_address(&s.to)?;
                Some(evm_digest(
                    flux_chain,
                    s.chain,
                    s.swap_id.0.as_bytes(),
                    &to,
                    s.amount,
                ))
            }
            Statement::Burn(_) => None,
        }
    }

    /// The canonical bytes an Ed25519 member signs in [`Domain::SWAP`].
    pub fn signing_payload(&self) -> Result<Vec<u8>, flux_core::error::CodecError> {
        codec::encode(self)
    }
}

/// One member's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SwapSignature {
    /// Ed25519 by the operator key over the statement in [`Domain::SWAP`].
    Ed25519(Signature),
    /// Recoverable secp256k1 by the swap key over the EVM digest.
    Evm(EvmSignature),
}

/// The signatures of one epoch's committee members over a statement, sorted by node id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// The committee's epoch.
    pub epoch: u64,
    /// `(signer, signature)`, strictly increasing by signer.
    pub signatures: Vec<(NodeId, SwapSignature)>,
}

/// A member's signature of `statement`: Ed25519 with `operator` (a burn, or a swap out to an
/// Ed25519 chain), or EVM with `swap_key` (a swap out to an EVM chain).
///
/// ```
/// use flux_chain::parallel::{BurnStatement, Statement, SwapSignature, sign_attestation};
/// use flux_core::crypto::{Scheme, SecretKey};
/// use flux_core::parallel::ExternalChain;
/// use flux_core::{Address, Amount, ChainId};
///
/// let operator = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
/// let burn = Statement::Burn(BurnStatement {
///     chain: ExternalChain::Solana,
///     reference: vec![7; 64],
///     amount: Amount::ONE_FLUX,
///     recipient: Address::from_bytes([2; 20]),
/// });
/// let sig = sign_attestation(&operator, None, ChainId::DEVNET, &burn)?;
/// assert!(matches!(sig, SwapSignature::Ed25519(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_attestation(
    operator: &SecretKey,
    swap_key: Option<&SecretKey>,
    flux_chain: ChainId,
    statement: &Statement,
) -> Result<SwapSignature, SwapError> {
    match statement.scheme() {
        AttestationScheme::Ed25519 => {
            let payload = statement.signing_payload()?;
            Ok(SwapSignature::Ed25519(operator.sign(
                Domain::SWAP,
                flux_chain,
                &payload,
            )))
        }
        AttestationScheme::EvmSecp256k1 => {
            let key = swap_key.ok_or(SwapError::BadSwapKey)?;
            let digest = statement
                .evm_digest(flux_chain)
                .ok_or(SwapError::WrongScheme {
                    chain: statement.chain(),
                })?;
            Ok(SwapSignature::Evm(flux_core::parallel::sign_evm(
                key, &digest,
            )?))
        }
    }
}

/// Checks `attestation` of `statement` against `committee`, the committee of `epoch`:
/// the attestation is of that epoch ([`SwapError::StaleCommittee`]); at most
/// [`MAX_SIGNATURES`]; signers strictly increasing by id (so distinct), each a member, each
/// signature valid in the statement's scheme (EVM: recovers the address of the member's swap
/// key from `swap_key`); and the signers' weight is strictly more than `threshold` of the
/// committee's total. Returns that weight. Never panics.
pub fn verify_attestation(
    attestation: &Attestation,
    statement: &Statement,
    committee: &Committee,
    epoch: u64,
    threshold: Ratio,
    flux_chain: ChainId,
    swap_key: impl Fn(&NodeId) -> Option<PublicKey>,
) -> Result<u64, SwapError> {
    if attestation.epoch != epoch {
        return Err(SwapError::StaleCommittee {
            expected: epoch,
            found: attestation.epoch,
        });
    }
    let count = attestation.signatures.len();
    if count > MAX_SIGNATURES {
        let max = MAX_SIGNATURES;
        return Err(SwapError::TooManySignatures { count, max });
    }
    if attestation.signatures.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(SwapError::UnsortedSigners);
    }
    let checker = SignatureCheck::new(statement, flux_chain)?;
    let mut weight = 0u64;
    for (node, signature) in &attestation.signatures {
        let w = checker.check(node, signature, committee, swap_key(node))?;
        weight = weight.saturating_add(w);
    }
    let total = committee.total_weight();
    if !threshold.exceeded_by(weight, total) {
        return Err(SwapError::InsufficientWeight {
            weight,
            total,
            num: threshold.num,
            den: threshold.den,
        });
    }
    Ok(weight)
}

/// One member's signature of `statement`, checked against `committee` (the member's swap key
/// for an EVM statement is `swap_key`): returns the member's weight. This is the check
/// [`verify_attestation`] makes of each signature, for a node that collects signatures one by
/// one as members gossip them.
///
/// ```
/// use flux_chain::consensus::committee::{Committee, Member};
/// use flux_chain::parallel::{BurnStatement, Statement, sign_attestation, verify_signature};
/// use flux_core::crypto::{Scheme, SecretKey};
/// use flux_core::parallel::ExternalChain;
/// use flux_core::params::Ratio;
/// use flux_core::{Address, Amount, ChainId};
/// use flux_nodes::node::NodeId;
///
/// let operator = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
/// let id = NodeId::of(&operator.public_key());
/// let member = Member { id, key: operator.public_key(), weight: 5 };
/// let committee = Committee::new(vec![member], Ratio { num: 2, den: 3 })?;
/// let burn = Statement::Burn(BurnStatement {
///     chain: ExternalChain::Solana,
///     reference: vec![7; 64],
///     amount: Amount::ONE_FLUX,
///     recipient: Address::from_bytes([2; 20]),
/// });
/// let sig = sign_attestation(&operator, None, ChainId::DEVNET, &burn)?;
/// assert_eq!(verify_signature(&burn, &id, &sig, &committee, ChainId::DEVNET, None)?, 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_signature(
    statement: &Statement,
    signer: &NodeId,
    signature: &SwapSignature,
    committee: &Committee,
    flux_chain: ChainId,
    swap_key: Option<PublicKey>,
) -> Result<u64, SwapError> {
    SignatureCheck::new(statement, flux_chain)?.check(signer, signature, committee, swap_key)
}

/// What every signature of one statement is checked against, computed once.
struct SignatureCheck<'a> {
    statement: &'a Statement,
    flux_chain: ChainId,
    payload: Vec<u8>,
    digest: Option<[u8; 32]>,
}

impl<'a> SignatureCheck<'a> {
    fn new(statement: &'a Statement, flux_chain: ChainId) -> Result<SignatureCheck<'a>, SwapError> {
        Ok(SignatureCheck {
            statement,
            flux_chain,
            payload: statement.signing_payload()?,
            digest: statement.evm_digest(flux_chain),
        })
    }

    /// `node`'s signature: valid, by a member; its weight.
    fn check(
        &self,
        node: &NodeId,
        signature: &SwapSignature,
        committee: &Committee,
        swap_key: Option<PublicKey>,
    ) -> Result<u64, SwapError> {
        let member = committee.get(node).ok_or(SwapError::NotMember(*node))?;
        match (self.statement.scheme(), signature, self.digest) {
            (AttestationScheme::Ed25519, SwapSignature::Ed25519(sig), _) => member
                .key
                .verify(Domain::SWAP, self.flux_chain, &self.payload, sig)
                .map_err(|source| SwapError::BadSignature {
                    node: *node,
                    source,
                })?,
            (AttestationScheme::EvmSecp256k1, SwapSignature::Evm(sig), Some(digest)) => {
                let key = swap_key.ok_or(SwapError::NoSwapKey(*node))?;
                let expected =
                    flux_core::parallel::eth_address(&key).ok_or(SwapError::NoSwapKey(*node))?;
                if flux_core::parallel::recover_evm(&digest, sig)? != expected {
                    return Err(SwapError::WrongSigner(*node));
                }
            }
            _ => {
                return Err(SwapError::WrongScheme {
                    chain: self.statement.chain(),
                });
            }
        }
        Ok(member.weight)
    }
}

/// The committee that attests swaps now: the [`Attesters`] drawn at the epoch's first block,
/// without the members slashed since (`registry` is the current one). Its threshold is
/// `threshold` (`parallel.attestation_threshold`).
pub fn attesting_committee(
    attesters: &Attesters,
    registry: &flux_nodes::registry::Registry,
    threshold: Ratio,
) -> Result<Committee, SwapError> {
    let members = attesters
        .members
        .iter()
        .filter(|m| registry.get(&m.id).is_none_or(|e| e.slashed.is_empty()))
        .copied()
        .collect();
    Committee::new(members, threshold).map_err(|_| SwapError::NoCommittee)
}

/// Checks `attestation` of `statement` against the current attesting committee (the
/// [`Attesters`] of `parallel`, less the members `registry` shows slashed since; EVM signers
/// through the swap keys registered in `parallel`): what a relayer checks before it sends a
/// `SwapIn`, or a watcher of a node's swap attestations. Returns the signers' weight. With a
/// [`State`](crate::state::State): `verify_current(state.parallel(), state.registry(),
/// state.params(), ..)`.
pub fn verify_current(
    parallel: &Parallel,
    registry: &flux_nodes::registry::Registry,
    params: &flux_core::ChainParams,
    attestation: &Attestation,
    statement: &Statement,
) -> Result<u64, SwapError> {
    let attesters = parallel.attesters.as_ref().ok_or(SwapError::NoCommittee)?;
    let threshold = params.parallel.attestation_threshold;
    let committee = attesting_committee(attesters, registry, threshold)?;
    verify_attestation(
        attestation,
        statement,
        &committee,
        attesters.epoch,
        threshold,
        params.chain_id,
        |n| parallel.swap_keys.get(n).copied(),
    )
}
