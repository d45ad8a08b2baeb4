//! Typed errors of flux-chain: each variant is one rule a transaction, block, genesis or store
//! can break, with what was expected and what came.
//!
//! It names transactions by [`crate::ids::TxId`], not through `tx`, which returns these errors
//! (no `error <-> tx` module cycle).

use flux_core::error::{AmountError, CodecError, SignatureError};
use flux_core::{Address, Amount, ChainId, Hash};
use thiserror::Error;

use crate::block::BlockId;
use crate::ids::TxId;

/// Why a transaction is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TxError {
    /// Signed for another chain.
    #[error("transaction is for chain {found}, this chain is {expected}")]
    WrongChain {
        /// This chain's id.
        expected: ChainId,
        /// The transaction's chain id.
        found: ChainId,
    },
    /// Larger than `max_tx_bytes`.
    #[error("transaction is {size} bytes, the limit is {max}")]
    TooLarge {
        /// Encoded size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The signature does not verify.
    #[error("bad signature: {0}")]
    Signature(#[from] SignatureError),
    /// The nonce is not the sender's next nonce.
    #[error("nonce {found} is not the sender's next nonce {expected}")]
    BadNonce {
        /// The sender's next nonce.
        expected: u64,
        /// The transaction's nonce.
        found: u64,
    },
    /// The sender cannot pay amount plus fee.
    #[error("sender {sender:?} needs {needed} but has {available}")]
    InsufficientBalance {
        /// The sender.
        sender: Address,
        /// Amount plus fee.
        needed: Amount,
        /// The sender's balance.
        available: Amount,
    },
    /// A transfer of nothing.
    #[error("transfer amount must be positive")]
    ZeroAmount,
    /// A confirm with too many attestations.
    #[error("{count} attestations, at most {max}")]
    TooManyAttestations {
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A node rule is broken.
    #[error(transparent)]
    Node(#[from] flux_nodes::error::NodeError),
    /// The app specification is invalid.
    #[error("app specification: {0}")]
    AppSpec(crate::apps::SpecError),
    /// An app of that name is registered.
    #[error("app {0:?} is already registered")]
    AppExists(String),
    /// No app of that name.
    #[error("no app {0:?}")]
    UnknownApp(String),
    /// Only the app's owner may do this.
    #[error("only the owner of app {0:?} may do this")]
    NotAppOwner(String),
    /// The price offered is not the chain's price (for an update: less than what is due).
    #[error("the price is {expected}, the transaction offers {offered}")]
    PriceMismatch {
        /// The chain's price.
        expected: Amount,
        /// The transaction's.
        offered: Amount,
    },
    /// A proposal title that is empty or too long.
    #[error("proposal title of {len} bytes (1 to {max})")]
    BadTitle {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The proposed parameter value is outside its bounds or inconsistent.
    #[error(transparent)]
    Param(#[from] flux_core::error::ParamsError),
    /// A grant of nothing, or an upgrade for a past height.
    #[error("invalid proposal action: {0}")]
    BadAction(&'static str),
    /// The sender cannot pay the deposit.
    #[error("the proposal deposit is {deposit}; the sender has {available}")]
    NoDeposit {
        /// The deposit.
        deposit: Amount,
        /// The sender's balance.
        available: Amount,
    },
    /// No proposal with that number.
    #[error("no proposal {0}")]
    UnknownProposal(u64),
    /// The proposal's voting period is over.
    #[error("proposal {0} is not open for votes")]
    VotingClosed(u64),
    /// The node was not confirmed when the proposal was made.
    #[error("node {node} is not in proposal {proposal}'s weight snapshot")]
    NotInSnapshot {
        /// The proposal.
        proposal: u64,
        /// The node.
        node: flux_nodes::node::NodeId,
    },
    /// The node is no longer confirmed.
    #[error("node {0} is not confirmed")]
    NodeNotConfirmed(flux_nodes::node::NodeId),
    /// Only the node's owner (at the snapshot) votes for it.
    #[error("only the owner of node {0} may vote for it")]
    NotNodeOwner(flux_nodes::node::NodeId),
    /// Votes are final.
    #[error("node {node} already voted on proposal {proposal}")]
    AlreadyVoted {
        /// The proposal.
        proposal: u64,
        /// The node.
        node: flux_nodes::node::NodeId,
    },
    /// A compute-job rule is broken.
    #[error(transparent)]
    Job(#[from] crate::work::JobError),
    /// A parallel-asset rule.
    #[error(transparent)]
    Swap(#[from] crate::parallel::SwapError),
    /// The evidence does not prove an equivocation.
    #[error("invalid evidence: {0}")]
    Evidence(#[from] crate::consensus::ConsensusError),
    /// Placement refused the app (e.g. a duplicate name inside the engine).
    #[error(transparent)]
    Placement(#[from] flux_nodes::placement::PlacementError),
    /// An amount computation overflowed (e.g. a balance above u64).
    #[error(transparent)]
    Amount(#[from] AmountError),
    /// The transaction could not be encoded or decoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Why a block is invalid. Applying an invalid block changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BlockError {
    /// The header names another chain.
    #[error("block is for chain {found}, this chain is {expected}")]
    WrongChain {
        /// This chain's id.
        expected: ChainId,
        /// The header's chain id.
        found: ChainId,
    },
    /// Not the next height.
    #[error("block height {found}, expected {expected}")]
    WrongHeight {
        /// The next height.
        expected: u64,
        /// The header's height.
        found: u64,
    },
    /// The parent is not the current tip.
    #[error("block parent {found}, expected the tip {expected}")]
    WrongParent {
        /// The tip's id.
        expected: BlockId,
        /// The header's parent.
        found: BlockId,
    },
    /// The timestamp does not move forward.
    #[error("block timestamp {found} ms is not after the parent's {parent} ms")]
    TimestampNotIncreasing {
        /// The parent's timestamp.
        parent: u64,
        /// The header's timestamp.
        found: u64,
    },
    /// The timestamp is more than `max_block_drift_ms` after the parent's.
    #[error(
        "block timestamp {found} ms is past {latest} ms, the parent's {parent} ms plus the drift window"
    )]
    TimestampTooFar {
        /// The parent's timestamp.
        parent: u64,
        /// The latest time allowed: the parent's plus `max_block_drift_ms`.
        latest: u64,
        /// The header's timestamp.
        found: u64,
    },
    /// The parent's timestamp plus the drift window overflows: no block can follow it.
    #[error("the parent's timestamp {parent} ms leaves no room for a block")]
    TimestampOverflow {
        /// The parent's timestamp.
        parent: u64,
    },
    /// The seed proof is not the proposer's VRF proof over the parent's seed and this height
    /// (or the proposer's key is not an Ed25519 key).
    #[error("seed proof refused: {0}")]
    BadSeedProof(SignatureError),
    /// More transactions than `max_block_txs`.
    #[error("block has {count} transactions, the limit is {max}")]
    TooManyTxs {
        /// Transactions in the block.
        count: usize,
        /// The limit.
        max: u32,
    },
    /// Larger than `max_block_bytes`.
    #[error("block is {size} bytes, the limit is {max}")]
    TooLarge {
        /// Encoded size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Consensus data larger than allowed.
    #[error("consensus data is {size} bytes, the limit is {max}")]
    ConsensusDataTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The header's transaction root does not match the transactions.
    #[error("tx root {found} does not match the transactions ({computed})")]
    TxRootMismatch {
        /// Computed from the body.
        computed: Hash,
        /// In the header.
        found: Hash,
    },
    /// The header's state root is not the state after the block.
    #[error("state root {found} does not match the state after the block ({computed})")]
    StateRootMismatch {
        /// Computed by applying the block.
        computed: Hash,
        /// In the header.
        found: Hash,
    },
    /// Transaction `index` breaks a rule.
    #[error("transaction {index} ({id}): {source}")]
    Tx {
        /// Position in the block.
        index: usize,
        /// Its id.
        id: TxId,
        /// The rule it breaks.
        #[source]
        source: TxError,
    },
    /// The end-of-block app settlement failed (a placement inconsistency; never expected).
    #[error("apps at the end of the block: {0}")]
    Apps(TxError),
    /// A node deadline could not be applied (a registry inconsistency; never expected).
    #[error("node deadlines: {0}")]
    Deadlines(TxError),
    /// Batch signature verification failed without naming a transaction (never expected).
    #[error("signature batch failed: {0}")]
    Signatures(SignatureError),
    /// Minting would pass the supply cap (a bug guard: the schedule never asks for it).
    #[error("supply {supply} plus {minted} would exceed the cap {cap}")]
    SupplyCap {
        /// Supply before.
        supply: Amount,
        /// What the block would mint.
        minted: Amount,
        /// The cap.
        cap: Amount,
    },
    /// The reward split is impossible under these parameters.
    #[error(transparent)]
    Tokenomics(#[from] flux_core::error::TokenomicsError),
    /// An amount computation overflowed.
    #[error(transparent)]
    Amount(#[from] AmountError),
    /// The block could not be encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Why a genesis file is refused.
#[derive(Debug, Error)]
pub enum GenesisError {
    /// Not valid genesis JSON (syntax, missing or unknown fields).
    #[error("invalid genesis JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An allocation's address does not parse for the genesis network.
    #[error("allocation {index}: {source}")]
    Address {
        /// Position in the allocation list.
        index: usize,
        /// Why it does not parse.
        #[source]
        source: flux_core::error::AddressError,
    },
    /// Two allocations to one address.
    #[error("allocation {index}: address {address} is allocated twice")]
    Duplicate {
        /// Position of the second one.
        index: usize,
        /// The address.
        address: String,
    },
    /// An allocation of zero.
    #[error("allocation {index} is zero")]
    ZeroAllocation {
        /// Its position.
        index: usize,
    },
    /// A genesis node is malformed or its owner can not bond its collateral.
    #[error("genesis node {index}: {reason}")]
    Node {
        /// Its position in `nodes`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A parameter of [`crate::genesis::Genesis::params`] is unknown, inconsistent, or set on a
    /// network whose parameters are fixed.
    #[error("genesis parameter {name}: {reason}")]
    Params {
        /// The parameter's governance name (empty when the genesis may set none).
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Genesis plus all future emission would pass the cap.
    #[error(transparent)]
    Cap(#[from] flux_core::error::TokenomicsError),
    /// The total overflows.
    #[error(transparent)]
    Amount(#[from] AmountError),
    /// The genesis could not be encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Whose fault a refused transaction is: what a node needs to know to decide whether the peer
/// that relayed it is to blame, without running the checks again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The transaction is bad on its own (a bad signature, another chain, malformed): refused
    /// on every state, so an honest peer never relays it.
    Permanent,
    /// The transaction is refused on this state (a nonce, a balance, a node's or an app's
    /// lifecycle, a governable limit): another node's state may accept it, so relaying it is
    /// no fault.
    StateDependent,
}

impl TxError {
    /// Whether this refusal holds on every state ([`Refusal::Permanent`]) or may depend on the
    /// state it met. A rule whose variant mixes stateless and stateful cases (a node's, a
    /// job's or a swap's rules), or whose bound is governable (the size limit), counts as
    /// state-dependent: a peer is never blamed for a refusal its own state might not give.
    pub fn refusal(&self) -> Refusal {
        match self {
            TxError::WrongChain { .. }
            | TxError::Signature(_)
            | TxError::ZeroAmount
            | TxError::TooManyAttestations { .. }
            | TxError::BadTitle { .. }
            | TxError::Codec(_) => Refusal::Permanent,
            _ => Refusal::StateDependent,
        }
    }
}

impl MempoolError {
    /// See [`TxError::refusal`]: the pool's own refusals (a duplicate, a stale nonce, a gap, a
    /// replacement too cheap, a balance, a full pool) depend on the pool and the state.
    pub fn refusal(&self) -> Refusal {
        match self {
            MempoolError::Invalid(e) => e.refusal(),
            _ => Refusal::StateDependent,
        }
    }
}

/// Why the mempool refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MempoolError {
    /// The transaction breaks a rule on its own (chain, size, signature, kind).
    #[error(transparent)]
    Invalid(#[from] TxError),
    /// Already in the pool.
    #[error("transaction {0} is already in the pool")]
    Duplicate(TxId),
    /// The nonce was already used on chain.
    #[error("nonce {found} is already used (the account's next nonce is {next})")]
    Stale {
        /// The account's next nonce on chain.
        next: u64,
        /// The transaction's nonce.
        found: u64,
    },
    /// A nonce beyond the sender's next one leaves a gap.
    #[error("nonce {found} leaves a gap: the sender's next nonce is {expected}")]
    NonceGap {
        /// The next nonce the pool accepts from this sender.
        expected: u64,
        /// The transaction's nonce.
        found: u64,
    },
    /// A replacement must pay a strictly higher fee.
    #[error("replacement fee {offered} must exceed the pending fee {pending}")]
    ReplacementFeeTooLow {
        /// Fee of the pending transaction.
        pending: Amount,
        /// Fee offered.
        offered: Amount,
    },
    /// The sender cannot pay for this and its earlier pending transactions.
    #[error("sender needs {needed} for its pending transactions but has {available}")]
    InsufficientBalance {
        /// Total cost of the sender's pending transactions up to this one.
        needed: Amount,
        /// The sender's balance.
        available: Amount,
    },
    /// The pool is full of transactions paying at least as much per byte.
    #[error("mempool is full and this transaction's fee rate is too low")]
    Full,
}

/// Why storage failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database engine failed (IO, corruption, locking).
    #[error("database: {0}")]
    Redb(#[from] redb::Error),
    /// The database was written by a schema this build does not read.
    #[error("database schema version {found} is not supported (this build reads {supported})")]
    SchemaVersion {
        /// Version found in the database.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// A stored record does not decode.
    #[error("stored {what} is corrupt: {source}")]
    Corrupt {
        /// Which record.
        what: &'static str,
        /// Why it does not decode.
        #[source]
        source: CodecError,
    },
    /// A block the store should hold is missing.
    #[error("stored block {height} is missing")]
    MissingBlock {
        /// Its height.
        height: u64,
    },
    /// A stored parameter change no longer applies.
    #[error("stored parameter change: {0}")]
    Params(flux_core::error::ParamsError),
    /// The stored apps could not be placed.
    #[error("stored placement: {0}")]
    Placement(flux_nodes::placement::PlacementError),
    /// The stored node entries do not form a registry.
    #[error("stored node registry: {0}")]
    Registry(flux_nodes::error::NodeError),
    /// The stored state does not match the last stored header.
    #[error("stored state root {computed} does not match the tip header's {expected}")]
    Inconsistent {
        /// The tip header's state root.
        expected: Hash,
        /// Recomputed from the stored state.
        computed: Hash,
    },
    /// The stored genesis is not the one given.
    #[error("the database holds another chain (genesis {found}, expected {expected})")]
    OtherChain {
        /// Genesis id asked for.
        expected: BlockId,
        /// Genesis id stored.
        found: BlockId,
    },
    /// A record could not be encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The stored genesis is invalid.
    #[error("stored genesis: {0}")]
    Genesis(#[from] Box<GenesisError>),
}

/// Any failure of the [`crate::chain::Chain`] API.
#[derive(Debug, Error)]
pub enum ChainError {
    /// The block was rejected; nothing changed.
    #[error(transparent)]
    Block(#[from] BlockError),
    /// Storage failed; the last committed block is intact.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The genesis is invalid.
    #[error(transparent)]
    Genesis(#[from] GenesisError),
    /// A committee or certificate is wrong.
    #[error(transparent)]
    Consensus(#[from] crate::consensus::ConsensusError),
    /// The block could not be encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
}
