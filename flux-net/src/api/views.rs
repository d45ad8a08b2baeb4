//! What the API answers: one view per route, serde both ways (the server writes them, the
//! [`crate::api::client::Client`] reads them).
//!
//! JSON conventions: amounts are decimal FLUX strings ([`Amount`]'s serde), addresses at the top
//! level of a view are bech32m with the chain's prefix, hashes and ids are hex. Protocol objects
//! embedded whole (`tx`, `receipt`, `certificate`, `proof`) keep their own serde form, in which
//! addresses are 40 hex digits.

use flux_chain::block::BlockId;
use flux_chain::consensus::CommitCertificate;
use flux_chain::state::AccountProof;
use flux_chain::transition::TxReceipt;
use flux_chain::tx::{Transaction, TxId, TxKind};
use flux_core::tier::Hardware;
use flux_core::{Amount, ChainId, Hash, Network, Tier};
use flux_nodes::NodeId;
use flux_nodes::app::Demand;
use flux_nodes::lifecycle::NodeStatus;
use serde::{Deserialize, Serialize};

mod gov;
mod swap;
mod work;

pub use gov::{
    ActionView, ParamChangeView, ParamHistoryView, ProposalDetailView, ProposalView, ProposalsView,
    VoteView, VoterView,
};
pub use swap::{
    AttestationStatusView, BurnView, ChainBookView, SignerView, SupplyView, SwapView,
    destination_text, scheme_name,
};
pub use work::{
    AcceptedView, JobSummaryView, JobView, JobsView, NodeUnitsView, RevealView, WorkUnitsView,
    phase_name, phase_until,
};

/// `GET /v1/status`: where the node and its chain are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusView {
    /// The chain id (bound into every signature).
    pub chain_id: ChainId,
    /// The network preset (`mainnet`, `testnet`, `devnet`).
    pub network: Network,
    /// Height of the last block (0: genesis).
    pub height: u64,
    /// Id of the last block (the genesis id at height 0).
    pub tip: BlockId,
    /// Its timestamp, ms since the Unix epoch.
    pub tip_timestamp_ms: u64,
    /// The state root after the last block.
    pub state_root: Hash,
    /// Connected peers.
    pub peers: u64,
    /// Transactions waiting in the mempool.
    pub mempool_txs: u64,
    /// Their encoded bytes.
    pub mempool_bytes: u64,
    /// Whether the node is catching up with its peers.
    pub syncing: bool,
    /// The highest height the network is known to have reached (from certified blocks and
    /// votes signed by the committee); above `height` while the node catches up.
    #[serde(default)]
    pub network_height: u64,
    /// This node's id, if it runs a FluxNode.
    pub node_id: Option<NodeId>,
    /// The software's version.
    pub version: String,
}

/// `GET /v1/blocks/{height}`: a header, its transaction ids and its commit certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockView {
    /// Height.
    pub height: u64,
    /// Block id.
    pub id: BlockId,
    /// The previous block.
    pub parent: BlockId,
    /// Proposer's time, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// The proposer's key, `scheme:hex`.
    pub proposer: String,
    /// The proposer's address (bech32m).
    pub proposer_address: String,
    /// Root of the transaction ids.
    pub tx_root: Hash,
    /// Root of the state after the block.
    pub state_root: Hash,
    /// The transactions' ids, in block order.
    pub txs: Vec<TxId>,
    /// The precommits that finalised it (absent for blocks applied without consensus).
    pub certificate: Option<CommitCertificate>,
}

/// Whether a transaction is in a block or waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    /// In a finalised block.
    Finalized,
    /// In the mempool.
    Pending,
}

/// `GET /v1/txs/{id}`: a finalised or pending transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxView {
    /// Its id.
    pub id: TxId,
    /// Finalised or pending.
    pub status: TxStatus,
    /// Height of its block (finalised only).
    pub height: Option<u64>,
    /// Position in the block (finalised only).
    pub index: Option<u32>,
    /// The sender's address (bech32m).
    pub sender: String,
    /// The kind of transaction (`Transfer`, `NodeStart`, ...).
    pub kind: String,
    /// The transaction.
    pub tx: Transaction,
    /// What it did (finalised only).
    pub receipt: Option<TxReceipt>,
}

/// `GET /v1/accounts/{address}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// The address (bech32m).
    pub address: String,
    /// Spendable balance.
    pub balance: Amount,
    /// The nonce its next transaction must carry (per the chain).
    pub nonce: u64,
    /// The nonce that follows its transactions pending in this node's mempool: sign the next
    /// transaction at this one to send several before the first is final.
    #[serde(default)]
    pub pending_nonce: u64,
    /// The height this is true at.
    pub height: u64,
}

/// `GET /v1/accounts/{address}/proof`: a Merkle proof of the account against a state root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountProofView {
    /// The address (bech32m).
    pub address: String,
    /// The height of the state proved.
    pub height: u64,
    /// The block at that height (its header carries `state_root`).
    pub block: BlockId,
    /// The state root the proof leads to.
    pub state_root: Hash,
    /// The proof: check it with [`AccountProof::verify_root`] against `state_root`.
    pub proof: AccountProof,
}

/// A node in `GET /v1/nodes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    /// Its id.
    pub id: NodeId,
    /// Position in its tier's payout queue (1 = paid next), if confirmed.
    pub queue_position: Option<u64>,
    /// Owner address (bech32m).
    pub owner: String,
    /// Operator key, `scheme:hex`.
    pub operator: String,
    /// Tier.
    pub tier: Tier,
    /// Lifecycle status.
    pub status: NodeStatus,
    /// Bonded collateral.
    pub collateral: Amount,
    /// `host:port`.
    pub endpoint: String,
    /// Geolocation, e.g. `EU_DE`.
    pub geolocation: String,
    /// Declared hardware.
    pub declared: Hardware,
    /// Hardware attested at the last confirm.
    pub attested: Option<Hardware>,
    /// Height of the (re)start.
    pub started_at: u64,
    /// Height of the first confirm.
    pub confirmed_at: Option<u64>,
    /// Height of the last confirm.
    pub last_confirm: Option<u64>,
    /// Height of the last payout.
    pub last_paid: Option<u64>,
}

/// `GET /v1/nodes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodesView {
    /// The height this is true at.
    pub height: u64,
    /// Confirmed nodes per tier in payout order, then the others by id.
    pub nodes: Vec<NodeView>,
}

/// An app in `GET /v1/apps`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSummaryView {
    /// Its name.
    pub name: String,
    /// Owner address (bech32m).
    pub owner: String,
    /// Instances asked for.
    pub instances: u32,
    /// Instances placed on nodes.
    pub placed: u32,
    /// Height of the registration or last update.
    pub registered_at: u64,
    /// First height at which it no longer runs.
    pub expires_at: u64,
    /// What is left in escrow.
    pub escrow: Amount,
}

/// `GET /v1/apps`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppsView {
    /// The height this is true at.
    pub height: u64,
    /// Every registered app, by name.
    pub apps: Vec<AppSummaryView>,
}

/// Where one instance of an app runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceView {
    /// Instance number.
    pub instance: u32,
    /// The node hosting it.
    pub node: NodeId,
    /// The node's `host:port`, if the node is registered.
    pub endpoint: Option<String>,
}

/// `GET /v1/apps/{name}`: the specification and where its instances run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppView {
    /// Its name.
    pub name: String,
    /// Owner address (bech32m).
    pub owner: String,
    /// The specification as registered (FluxOS JSON).
    pub spec: serde_json::Value,
    /// Instances asked for.
    pub instances: u32,
    /// What each instance needs.
    pub demand: Demand,
    /// Height of the registration or last update.
    pub registered_at: u64,
    /// First height at which it no longer runs.
    pub expires_at: u64,
    /// Price paid for the current specification.
    pub paid: Amount,
    /// What is left in escrow.
    pub escrow: Amount,
    /// The placed instances, ascending.
    pub placement: Vec<InstanceView>,
    /// Instances without a node.
    pub unplaced: u32,
}

/// `POST /v1/txs` body: the hex of a transaction's canonical bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitTx {
    /// `flux_core::codec` bytes of a [`Transaction`], hex.
    pub tx: String,
}

/// `POST /v1/txs` answer (202 Accepted): the transaction is pending.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmittedView {
    /// Its id.
    pub id: TxId,
}

/// The name of a transaction's kind, as in [`TxView::kind`].
pub fn kind_name(kind: &TxKind) -> &'static str {
    match kind {
        TxKind::Transfer(_) => "Transfer",
        TxKind::NodeStart(_) => "NodeStart",
        TxKind::NodeConfirm(_) => "NodeConfirm",
        TxKind::NodeUpdateEndpoint(_) => "NodeUpdateEndpoint",
        TxKind::NodeExit(_) => "NodeExit",
        TxKind::AppRegister(_) => "AppRegister",
        TxKind::AppUpdate(_) => "AppUpdate",
        TxKind::AppCancel(_) => "AppCancel",
        TxKind::GovPropose(_) => "GovPropose",
        TxKind::GovVote(_) => "GovVote",
        TxKind::Evidence(_) => "Evidence",
        TxKind::JobSubmit(_) => "JobSubmit",
        TxKind::WorkCommit(_) => "WorkCommit",
        TxKind::WorkReveal(_) => "WorkReveal",
        TxKind::HostingReport(_) => "HostingReport",
        TxKind::SwapOut(_) => "SwapOut",
        TxKind::SwapIn(_) => "SwapIn",
        TxKind::SwapKeyRegister(_) => "SwapKeyRegister",
        #[allow(unreachable_patterns)]
        _ => "Other",
    }
}
