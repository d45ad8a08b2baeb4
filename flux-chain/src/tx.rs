//! Transactions: a signed envelope around one [`TxKind`].
//!
//! A transaction is `{ chain_id, sender, nonce, fee, kind, signature }`. The signature covers the
//! canonical encoding of everything but itself, in the [`Domain::TRANSACTION`] domain and for the
//! chain id (so it cannot be replayed on another chain or as another kind of message); the nonce
//! makes each transaction usable once. Its id is the tagged BLAKE3 of its canonical bytes.
//!
//! New kinds of transaction are new variants of [`TxKind`], each with its rule in its own module
//! of the state transition and its own error variants.

use flux_core::crypto::{Domain, PublicKey, SecretKey, Signature};
use flux_core::error::CodecError;
use flux_core::params::WorkParams;
use flux_core::{Address, Amount, ChainId, ChainParams, Hash, codec};
use flux_nodes::attestation::BenchmarkEvidence;
use flux_nodes::node::{NodeId, check_endpoint};
use flux_nodes::registry::NodeOffer;
use serde::{Deserialize, Serialize};

use crate::error::TxError;
pub use crate::ids::TxId;
use crate::work::JobError;

/// Moves `amount` from the sender to `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The recipient.
    pub to: Address,
    /// How much (positive).
    pub amount: Amount,
}

/// Registers a FluxNode: the sender (owner) bonds exactly the tier's collateral.
pub type NodeStart = NodeOffer;

/// Confirms a node (first confirm or keep-alive), sent by its operator key, with the peers'
/// benchmark attestations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeConfirm {
    /// The node.
    pub node: NodeId,
    /// The attested benchmark.
    pub evidence: BenchmarkEvidence,
}

/// Changes a node's endpoint, sent by its operator key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeUpdateEndpoint {
    /// The node.
    pub node: NodeId,
    /// The new `host:port`.
    pub endpoint: String,
}

/// Starts a node's exit, sent by its owner: the collateral returns after unbonding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeExit {
    /// The node.
    pub node: NodeId,
}

/// Registers an app: the FluxOS JSON specification and the price the sender agrees to pay
/// into escrow (it must equal the price the chain computes, so a price change never surprises).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRegister {
    /// The specification (FluxOS v8 JSON), validated strictly.
    pub spec: String,
    /// The price: exactly the chain's price for the spec's `expire`.
    pub price: Amount,
}

/// Replaces a registered app's specification (same name), sent by its owner. What it costs is
/// the new price minus the credit for the unused part of the old payment (at least zero), at the
/// block that includes it; `price` is the most the owner pays (the credit shrinks every block,
/// so a quote for the next block suffices), and the owner pays exactly what is due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUpdate {
    /// The new specification (FluxOS v8 JSON).
    pub spec: String,
    /// The most the update may cost (at least the chain's figure at the including block).
    pub price: Amount,
}

/// Stops an app, sent by its owner: the rest of the escrow returns to the owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppCancel {
    /// The app's name.
    pub name: String,
}

/// Makes an xDAO proposal; the sender pays the deposit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovPropose {
    /// Title (at most [`crate::gov::MAX_TITLE_LEN`] bytes).
    pub title: String,
    /// Hash of the full text.
    pub text_hash: flux_core::Hash,
    /// What it does.
    pub action: crate::gov::Action,
}

/// Votes on a proposal for one node, sent by the node's owner. Final.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovVote {
    /// The proposal.
    pub proposal: u64,
    /// The node voting.
    pub node: NodeId,
    /// The vote.
    pub choice: crate::gov::Choice,
}

/// Submits a compute job, sent by the submitter: `fee` is escrowed from the sender's balance
/// (besides the transaction fee) and paid to the nodes that agree on the result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSubmit {
    /// The WebAssembly module (binary), checked by the engine at submission.
    pub module: Vec<u8>,
    /// The input the module reads.
    pub input: Vec<u8>,
    /// Fuel limit.
    pub fuel: u64,
    /// Fee for the agreeing nodes.
    pub fee: Amount,
}

impl JobSubmit {
    /// The chain's submission limits ([`WorkParams`]) a job must meet, checked in the chain's
    /// order: module size, input size, fuel (positive, at most the maximum), fee. This is the
    /// cheap part of the rule [`Transaction::check_stateless`] applies to a job; the engine's
    /// check of the module itself comes after it.
    ///
    /// ```
    /// use flux_chain::tx::JobSubmit;
    /// use flux_chain::work::JobError;
    /// use flux_core::ChainParams;
    ///
    /// let work = ChainParams::devnet().work;
    /// let job = JobSubmit { module: vec![], input: vec![], fuel: 0, fee: work.min_job_fee };
    /// assert!(matches!(job.check_limits(&work), Err(JobError::BadFuel { fuel: 0, .. })));
    /// let job = JobSubmit { fuel: 1, ..job };
    /// assert_eq!(job.check_limits(&work), Ok(()));
    /// ```
    pub fn check_limits(&self, work: &WorkParams) -> Result<(), JobError> {
        let size = self.module.len() as u64;
        if size > work.max_module_bytes {
            let max = work.max_module_bytes;
            return Err(JobError::ModuleTooLarge { size, max });
        }
        let size = self.input.len() as u64;
        if size > work.max_input_bytes {
            let max = work.max_input_bytes;
            return Err(JobError::InputTooLarge { size, max });
        }
        if self.fuel == 0 || self.fuel > work.max_job_fuel {
            let (fuel, max) = (self.fuel, work.max_job_fuel);
            return Err(JobError::BadFuel { fuel, max });
        }
        if self.fee < work.min_job_fee {
            let (fee, min) = (self.fee, work.min_job_fee);
            return Err(JobError::FeeTooLow { fee, min });
        }
        Ok(())
    }
}

/// Commits an assigned node to a job's result, sent by the node's operator key. The commitment
/// is [`crate::work::commitment`] of the job, the node, the result hash and a secret salt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkCommit {
    /// The job.
    pub job: crate::work::JobId,
    /// The node.
    pub node: NodeId,
    /// The commitment.
    pub commitment: Hash,
}

/// Reveals a committed node's result and salt, sent by the node's operator key, once the
/// commit phase is over. Carries the output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkReveal {
    /// The job.
    pub job: crate::work::JobId,
    /// The node.
    pub node: NodeId,
    /// What the node computed.
    pub outcome: crate::work::engine::Outcome,
    /// The salt of the commitment.
    pub salt: [u8; 32],
}

/// A hosting node's liveness report, sent by its operator key: peers selected by the seed block
/// attest that it answered in time ([`crate::work::HostingStatement`]). Credits the node's hosted
/// instances' resources for the blocks since its last report as work units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostingReport {
    /// The node.
    pub node: NodeId,
    /// The height of the seed block the verifiers were selected by.
    pub seed_height: u64,
    /// The verifiers' signatures of the statement.
    pub attestations: Vec<flux_nodes::attestation::Attestation>,
}

/// Locks native FLUX for a parallel asset on another chain: the sender's `amount` moves to the
/// chain's book (`locked` and `issued` grow by it) and a swap-out record keyed by this
/// transaction's id waits for the committee's attestation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapOut {
    /// The destination chain.
    pub chain: flux_core::parallel::ExternalChain,
    /// The destination address's raw bytes (EVM: 20 bytes; see
    /// [`flux_core::parallel::ExternalChain::check_destination`]).
    pub to: Vec<u8>,
    /// How much (positive).
    pub amount: Amount,
}

/// Releases native FLUX for a burn of parallel tokens on another chain, attested by the current
/// committee; any account may send it (a relayer pays the fee). Each burn reference is usable
/// once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapIn {
    /// The burn.
    pub burn: crate::parallel::BurnStatement,
    /// The committee's attestation of it.
    pub attestation: crate::parallel::Attestation,
}

/// Registers (or replaces) a node's secp256k1 swap key, which signs its EVM attestations; sent
/// by the node's operator key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapKeyRegister {
    /// The node.
    pub node: NodeId,
    /// The swap key (secp256k1).
    pub key: PublicKey,
}

/// Most attestations a confirm may carry.
pub const MAX_ATTESTATIONS: usize = 64;

/// What a transaction does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TxKind {
    /// A payment.
    Transfer(Transfer),
    /// Register a node.
    NodeStart(NodeStart),
    /// Confirm a node.
    NodeConfirm(NodeConfirm),
    /// Change a node's endpoint.
    NodeUpdateEndpoint(NodeUpdateEndpoint),
    /// Exit a node.
    NodeExit(NodeExit),
    /// Register an app.
    AppRegister(AppRegister),
    /// Update an app.
    AppUpdate(AppUpdate),
    /// Cancel an app.
    AppCancel(AppCancel),
    /// Make an xDAO proposal.
    GovPropose(GovPropose),
    /// Vote on a proposal.
    GovVote(GovVote),
    /// Report a validator that signed two conflicting votes: it is slashed.
    Evidence(crate::consensus::Evidence),
    /// Submit a compute job.
    JobSubmit(JobSubmit),
    /// Commit to a job's result.
    WorkCommit(WorkCommit),
    /// Reveal a job's result.
    WorkReveal(WorkReveal),
    /// Report the apps a node hosted, attested by its peers.
    HostingReport(HostingReport),
    /// Lock FLUX for a parallel asset on another chain.
    SwapOut(SwapOut),
    /// Release FLUX for an attested burn on another chain.
    SwapIn(SwapIn),
    /// Register a node's swap key.
    SwapKeyRegister(SwapKeyRegister),
}

/// The signed part of a transaction, borrowed (encodes exactly like the owned fields).
#[derive(Serialize)]
struct SigningPayload<'a> {
    chain_id: ChainId,
    sender: &'a PublicKey,
    nonce: u64,
    fee: Amount,
    kind: &'a TxKind,
}

/// A signed transaction.
///
/// ```
/// use flux_chain::tx::{Transaction, TxKind, Transfer};
/// use flux_core::crypto::{Scheme, SecretKey};
/// use flux_core::{Address, Amount, ChainParams};
///
/// let params = ChainParams::devnet();
/// let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
/// let bob = Address::from_bytes([2; 20]);
/// let kind = TxKind::Transfer(Transfer { to: bob, amount: "1.5".parse()? });
/// let tx = Transaction::sign(&alice, params.chain_id, 0, Amount::from_base_units(1_000), kind)?;
/// tx.check(&params)?;          // chain id, size, signature, kind rules
/// assert_eq!(tx.sender_address(), Address::from_public_key(&alice.public_key()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The chain this transaction is for.
    pub chain_id: ChainId,
    /// Who signs and pays.
    pub sender: PublicKey,
    /// The sender's next nonce.
    pub nonce: u64,
    /// Fee for the block's proposer.
    pub fee: Amount,
    /// What it does.
    pub kind: TxKind,
    /// The sender's signature over all of the above.
    pub signature: Signature,
}

impl Transaction {
    /// Builds and signs a transaction.
    pub fn sign(
        key: &SecretKey,
        chain_id: ChainId,
        nonce: u64,
        fee: Amount,
        kind: TxKind,
    ) -> Result<Transaction, CodecError> {
        let sender = key.public_key();
        let payload = codec::encode(&SigningPayload {
            chain_id,
            sender: &sender,
            nonce,
            fee,
            kind: &kind,
        })?;
        let signature = key.sign(Domain::TRANSACTION, chain_id, &payload);
        Ok(Transaction {
            chain_id,
            sender,
            nonce,
            fee,
            kind,
            signature,
        })
    }

    /// The bytes the signature covers (before domain and chain framing).
    pub fn signing_payload(&self) -> Result<Vec<u8>, CodecError> {
        codec::encode(&SigningPayload {
            chain_id: self.chain_id,
            sender: &self.sender,
            nonce: self.nonce,
            fee: self.fee,
            kind: &self.kind,
        })
    }

    /// The transaction's id.
    pub fn id(&self) -> Result<TxId, CodecError> {
        Ok(TxId::of_canonical_bytes(&codec::encode(self)?))
    }

    /// The id of a transaction from its canonical bytes (no re-encoding).
    pub fn id_of_bytes(bytes: &[u8]) -> TxId {
        TxId::of_canonical_bytes(bytes)
    }

    /// The signed payload within the transaction's canonical bytes: the fields come first and
    /// the signature last, so the payload is the encoding minus the signature's.
    pub fn payload_of_bytes<'b>(&self, bytes: &'b [u8]) -> Result<&'b [u8], CodecError> {
        let sig_len = codec::encoded_len(&self.signature)? as usize;
        bytes
            .len()
            .checked_sub(sig_len)
            .map(|end| &bytes[..end])
            .ok_or(CodecError::Truncated)
    }

    /// The sender's address.
    pub fn sender_address(&self) -> Address {
        Address::from_public_key(&self.sender)
    }

    /// Everything that can be checked without state, except the signature: chain id, size and
    /// the kind's own rules. `size` is the encoded length.
    pub fn check_stateless(&self, params: &ChainParams, size: u64) -> Result<(), TxError> {
        if self.chain_id != params.chain_id {
            return Err(TxError::WrongChain {
                expected: params.chain_id,
                found: self.chain_id,
            });
        }
        if size > params.limits.max_tx_bytes {
            return Err(TxError::TooLarge {
                size,
                max: params.limits.max_tx_bytes,
            });
        }
        match &self.kind {
            TxKind::Transfer(t) if t.amount.is_zero() => Err(TxError::ZeroAmount),
            TxKind::Transfer(_) | TxKind::NodeExit(_) | TxKind::AppCancel(_) => Ok(()),
            TxKind::AppRegister(_) | TxKind::AppUpdate(_) | TxKind::GovVote(_) => Ok(()),
            TxKind::Evidence(_) => Ok(()),
            TxKind::GovPropose(g) => crate::gov::check_title(&g.title),
            TxKind::NodeStart(s) => Ok(check_endpoint(&s.endpoint)?),
            TxKind::NodeUpdateEndpoint(u) => Ok(check_endpoint(&u.endpoint)?),
            TxKind::NodeConfirm(c) if c.evidence.attestations.len() > MAX_ATTESTATIONS => {
                Err(TxError::TooManyAttestations {
                    count: c.evidence.attestations.len(),
                    max: MAX_ATTESTATIONS,
                })
            }
            TxKind::HostingReport(r) if r.attestations.len() > MAX_ATTESTATIONS => {
                Err(TxError::TooManyAttestations {
                    count: r.attestations.len(),
                    max: MAX_ATTESTATIONS,
                })
            }
            TxKind::NodeConfirm(_) | TxKind::WorkCommit(_) | TxKind::HostingReport(_) => Ok(()),
            TxKind::JobSubmit(j) => check_job(j, params),
            TxKind::SwapOut(s) => Ok(check_swap_out(s)?),
            TxKind::SwapIn(s) => Ok(check_swap_in(s)?),
            TxKind::SwapKeyRegister(r) => match r.key {
                PublicKey::Secp256k1(_) if r.key.validate().is_ok() => Ok(()),
                _ => Err(crate::parallel::SwapError::BadSwapKey.into()),
            },
            TxKind::WorkReveal(r) => {
                let (size, max) = (r.outcome.output.len() as u64, params.work.max_output_bytes);
                if size > max {
                    return Err(JobError::OutputTooLarge { size, max }.into());
                }
                Ok(())
            }
        }
    }

    /// Stateless checks plus the signature (one verification; blocks verify in batches).
    pub fn check(&self, params: &ChainParams) -> Result<(), TxError> {
        self.check_stateless(params, codec::encoded_len(self)?)?;
        let payload = self.signing_payload()?;
        self.sender.verify(
            Domain::TRANSACTION,
            self.chain_id,
            &payload,
            &self.signature,
        )?;
        Ok(())
    }

    /// The most the sender can lose to this transaction under `params`: fee plus what it moves
    /// or bonds (a proposal's deposit included).
    pub fn max_cost(&self, params: &ChainParams) -> Result<Amount, TxError> {
        let moved = match &self.kind {
            TxKind::Transfer(t) => t.amount,
            TxKind::NodeStart(s) => s.collateral,
            TxKind::AppRegister(a) => a.price,
            TxKind::AppUpdate(a) => a.price,
            TxKind::JobSubmit(j) => j.fee,
            TxKind::SwapOut(s) => s.amount,
            TxKind::GovPropose(_) => params.governance.proposal_deposit,
            TxKind::NodeConfirm(_)
            | TxKind::NodeUpdateEndpoint(_)
            | TxKind::NodeExit(_)
            | TxKind::AppCancel(_)
            | TxKind::GovVote(_)
            | TxKind::Evidence(_)
            | TxKind::WorkCommit(_)
            | TxKind::WorkReveal(_)
            | TxKind::HostingReport(_)
            | TxKind::SwapIn(_)
            | TxKind::SwapKeyRegister(_) => Amount::ZERO,
        };
        Ok(self.fee.checked_add(moved)?)
    }
}

/// A swap out's stateless rules: a positive amount, a destination the chain accepts.
///
/// ```
/// use flux_chain::tx::{SwapOut, check_swap_out};
/// let s = SwapOut { chain: flux_core::parallel::ExternalChain::Kadena, to: b"k:alice".to_vec(), amount: flux_core::Amount::ZERO };
/// assert!(check_swap_out(&s).is_err()); // nothing to swap
/// ```
pub fn check_swap_out(s: &SwapOut) -> Result<(), crate::parallel::SwapError> {
    if s.amount.is_zero() {
        return Err(crate::parallel::SwapError::ZeroAmount);
    }
    Ok(s.chain.check_destination(&s.to)?)
}

/// A swap in's stateless rules: the burn's ([`BurnStatement::check`]), a bounded attestation.
///
/// [`BurnStatement::check`]: crate::parallel::BurnStatement::check
fn check_swap_in(s: &SwapIn) -> Result<(), crate::parallel::SwapError> {
    use crate::parallel::{MAX_SIGNATURES, SwapError};
    s.burn.check()?;
    let count = s.attestation.signatures.len();
    if count > MAX_SIGNATURES {
        let max = MAX_SIGNATURES;
        return Err(SwapError::TooManySignatures { count, max });
    }
    Ok(())
}

/// A job's stateless rules: sizes, fuel and fee first (cheap, [`JobSubmit::check_limits`]), then
/// the engine's check of the module (it parses the whole module).
fn check_job(j: &JobSubmit, params: &ChainParams) -> Result<(), TxError> {
    j.check_limits(&params.work)?;
    Ok(crate::work::engine::validate_module(&j.module)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::crypto::Scheme;

    #[test]
    fn payload_is_the_encoding_without_the_signature() {
        for scheme in [Scheme::Ed25519, Scheme::Secp256k1] {
            let key = SecretKey::from_bytes(scheme, &[4; 32]).unwrap();
            let kind = TxKind::Transfer(Transfer {
                to: Address::from_bytes([1; 20]),
                amount: Amount::ONE_FLUX,
            });
            let tx = Transaction::sign(&key, ChainId::DEVNET, 7, Amount::ZERO, kind).unwrap();
            let bytes = codec::encode(&tx).unwrap();
            assert_eq!(
                tx.payload_of_bytes(&bytes).unwrap(),
                tx.signing_payload().unwrap().as_slice()
            );
            assert_eq!(tx.id().unwrap(), Transaction::id_of_bytes(&bytes));
        }
    }
}
