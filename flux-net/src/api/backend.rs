//! [`Backend`]: what the API needs from a node, and [`ChainBackend`], the implementation over a
//! shared [`Chain`] and [`Mempool`].

use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use flux_chain::chain::Chain;
use flux_chain::gov::Governance;
use flux_chain::mempool::Mempool;
use flux_chain::parallel::{BurnStatement, MAX_REFERENCE_LEN, Statement};
use flux_chain::store::Store;
use flux_chain::tx::{Transaction, TxId};
use flux_chain::work::JobId;
use flux_core::parallel::ExternalChain;
use flux_core::params::GovernableParam;
use flux_core::{Address, ChainId, ChainParams, Network, Tier};
use flux_nodes::NodeId;

use super::error::ApiError;
use super::hosting::HostingView;
use super::views::{
    AccountProofView, AccountView, AppView, AppsView, BlockView, BurnView, JobView, JobsView,
    NodesView, ParamHistoryView, ProposalDetailView, ProposalsView, StatusView, SupplyView,
    SwapView, TxView, WorkUnitsView,
};
use crate::host::swaps::{SharedSwaps, Subject};
use crate::metrics::Metrics;

/// Which block: a height or the tip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockRef {
    /// The block at this height (0 is the genesis: no block).
    Height(u64),
    /// The last block.
    Latest,
}

/// What the HTTP API needs from a node. Methods are synchronous and quick: an implementation
/// holds its locks only for the lookup. `Ok(None)` answers 404.
pub trait Backend: Send + Sync + 'static {
    /// The chain's network (the prefix of its addresses). Fixed for the backend's life.
    fn network(&self) -> Network;
    /// The chain id. Fixed for the backend's life.
    fn chain_id(&self) -> ChainId;
    /// Where the node and its chain are.
    fn status(&self) -> Result<StatusView, ApiError>;
    /// The chain's current parameters (governance may have changed the preset's).
    fn params(&self) -> Result<ChainParams, ApiError>;
    /// The parameters in force at `height` (those block `height` is checked against: the
    /// genesis parameters with every governance change executed before it); `None` above the
    /// next block, whose parameters are the current ones.
    fn params_at(&self, height: u64) -> Result<Option<ChainParams>, ApiError>;
    /// A governable parameter's bounds, genesis value and changes.
    fn param_history(&self, param: GovernableParam) -> Result<ParamHistoryView, ApiError>;
    /// Every xDAO proposal, newest first, with its status and tally.
    fn proposals(&self) -> Result<ProposalsView, ApiError>;
    /// One proposal with its votes and, while the vote is open, its voters.
    fn proposal(&self, id: u64) -> Result<Option<ProposalDetailView>, ApiError>;
    /// A block's header, transaction ids and certificate.
    fn block(&self, at: BlockRef) -> Result<Option<BlockView>, ApiError>;
    /// A finalised or pending transaction.
    fn tx(&self, id: &TxId) -> Result<Option<TxView>, ApiError>;
    /// An account (a never-used address has balance and nonce zero).
    fn account(&self, address: &Address) -> Result<AccountView, ApiError>;
    /// A Merkle proof of an account against the tip's state root.
    fn account_proof(&self, address: &Address) -> Result<AccountProofView, ApiError>;
    /// The registered nodes, optionally of one tier.
    fn nodes(&self, tier: Option<Tier>) -> Result<NodesView, ApiError>;
    /// The registered apps.
    fn apps(&self) -> Result<AppsView, ApiError>;
    /// One app and where its instances run.
    fn app(&self, name: &str) -> Result<Option<AppView>, ApiError>;
    /// The `limit` most recently submitted compute jobs, newest first.
    fn jobs(&self, limit: usize) -> Result<JobsView, ApiError>;
    /// One compute job: its phase, assignees, commitments, reveals and accepted result.
    fn job(&self, id: &JobId) -> Result<Option<JobView>, ApiError>;
    /// The output bytes of a job's accepted result; [`ApiError::NotFound`] (saying which) for
    /// an unknown job or one without an accepted result yet.
    fn job_output(&self, id: &JobId) -> Result<Vec<u8>, ApiError>;
    /// The verified work units per node of `epoch` (default: the current one), and what the
    /// pool paid for them once the epoch is over.
    fn work_units(&self, epoch: Option<u64>) -> Result<WorkUnitsView, ApiError>;
    /// The native supply, the parallel books of every chain and the cap.
    fn supply(&self) -> Result<SupplyView, ApiError>;
    /// A swap out and the committee's attestation of it as this node collected it; asks the
    /// committee to sign (again) when it is not attested here yet.
    fn swap(&self, id: &TxId) -> Result<Option<SwapView>, ApiError>;
    /// A burn on another chain and the attestation of it this node collected.
    fn burn(&self, chain: ExternalChain, reference: &[u8]) -> Result<BurnView, ApiError>;
    /// Asks the committee to attest `burn` (members sign it if they see it on its chain);
    /// [`ApiError::BadRequest`] for a malformed or already released burn.
    fn request_burn(&self, burn: BurnStatement) -> Result<BurnView, ApiError>;
    /// Offers a transaction to the mempool; [`ApiError::Rejected`] says why it was refused.
    fn submit(&self, tx: Transaction) -> Result<TxId, ApiError>;
    /// The metrics, Prometheus text format.
    fn metrics(&self) -> Result<String, ApiError>;
    /// What this node hosts (`None`: it runs without hosting; `/v1/host/*` says so).
    fn hosting(&self) -> Option<Arc<dyn HostingView>> {
        None
    }
}

/// Called with each transaction the API accepted into the mempool (the node gossips it).
pub type OnAccepted = Arc<dyn Fn(&Transaction) + Send + Sync>;

/// The [`Backend`] of a node: its chain, mempool and metrics, shared with the node.
///
/// Lock discipline: the chain's read lock is held only for one lookup (the node takes the write
/// lock briefly to commit a block). A submission holds the chain's read lock and then the
/// mempool's lock for one `Mempool::insert` (a signature check); the node must take them in the
/// same order (chain, then mempool) if it ever holds both. A poisoned lock answers 500.
pub struct ChainBackend<S: Store + Send + Sync + 'static> {
    chain: Arc<RwLock<Chain<S>>>,
    mempool: Arc<Mutex<Mempool>>,
    metrics: Arc<Metrics>,
    node_id: Option<NodeId>,
    on_accepted: OnAccepted,
    network: Network,
    chain_id: ChainId,
    swaps: Option<SharedSwaps>,
    hosting: Option<Arc<dyn HostingView>>,
}

impl<S: Store + Send + Sync + 'static> ChainBackend<S> {
    /// A backend over the node's shared chain, mempool and metrics. `node_id` is the node's own
    /// FluxNode id (if any); `on_accepted` is called, outside every lock, with each transaction
    /// the API admitted. Fails only if the chain lock is poisoned.
    pub fn new(
        chain: Arc<RwLock<Chain<S>>>,
        mempool: Arc<Mutex<Mempool>>,
        metrics: Arc<Metrics>,
        node_id: Option<NodeId>,
        on_accepted: OnAccepted,
    ) -> Result<ChainBackend<S>, ApiError> {
        let (network, chain_id) = {
            let c = chain.read().map_err(|_| ApiError::Poisoned("chain"))?;
            (c.state().params().network, c.state().params().chain_id)
        };
        Ok(ChainBackend {
            chain,
            mempool,
            metrics,
            node_id,
            on_accepted,
            network,
            chain_id,
            swaps: None,
            hosting: None,
        })
    }

    /// Serves the swap attestations of the node's host ([`crate::host::Host::swaps`]); without
    /// them, swaps show no signatures and burn requests are refused.
    pub fn with_swaps(mut self, swaps: SharedSwaps) -> ChainBackend<S> {
        self.swaps = Some(swaps);
        self
    }

    /// Serves what the node hosts on `/v1/host/*` (see [`super::hosting`]); without it, the
    /// node says it hosts nothing.
    pub fn with_hosting(mut self, hosting: Arc<dyn HostingView>) -> ChainBackend<S> {
        self.hosting = Some(hosting);
        self
    }

    /// A backend whose accepted transactions go nowhere else (tests, single-node use).
    pub fn standalone(
        chain: Arc<RwLock<Chain<S>>>,
        mempool: Arc<Mutex<Mempool>>,
        metrics: Arc<Metrics>,
    ) -> Result<ChainBackend<S>, ApiError> {
        ChainBackend::new(
            chain,
            mempool,
            metrics,
            None,
            Arc::new(|_: &Transaction| {}),
        )
    }

    fn chain(&self) -> Result<RwLockReadGuard<'_, Chain<S>>, ApiError> {
        self.chain.read().map_err(|_| ApiError::Poisoned("chain"))
    }

    fn pool(&self) -> Result<std::sync::MutexGuard<'_, Mempool>, ApiError> {
        self.mempool
            .lock()
            .map_err(|_| ApiError::Poisoned("mempool"))
    }

    /// Governance as of the tip (a cheap persistent-map clone, so the views are built outside
    /// the lock), the genesis parameters and the tip's height.
    fn governance(&self) -> Result<(Governance, ChainParams, u64), ApiError> {
        let chain = self.chain()?;
        Ok((
            chain.state().gov().clone(),
            chain.genesis().params(),
            chain.height(),
        ))
    }

    fn bech32(&self, address: &Address) -> String {
        address.to_bech32(self.network)
    }
}

impl<S: Store + Send + Sync + 'static> Backend for ChainBackend<S> {
    fn network(&self) -> Network {
        self.network
    }

    fn chain_id(&self) -> ChainId {
        self.chain_id
    }

    fn status(&self) -> Result<StatusView, ApiError> {
        let (tip, state_root) = {
            let chain = self.chain()?;
            (chain.state().tip(), chain.state().state_root())
        };
        let (mempool_txs, mempool_bytes) = {
            let pool = self.pool()?;
            (pool.len() as u64, pool.bytes())
        };
        Ok(StatusView {
            chain_id: self.chain_id,
            network: self.network,
            height: tip.height,
            tip: tip.block_id,
            tip_timestamp_ms: tip.timestamp_ms,
            state_root,
            peers: self.metrics.peers(),
            mempool_txs,
            mempool_bytes,
            syncing: self.metrics.syncing(),
            network_height: self.metrics.network_height().max(tip.height),
            node_id: self.node_id,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    }

    fn params(&self) -> Result<ChainParams, ApiError> {
        Ok(self.chain()?.state().params().clone())
    }

    fn params_at(&self, height: u64) -> Result<Option<ChainParams>, ApiError> {
        let (gov, genesis, tip) = self.governance()?;
        if height > tip.saturating_add(1) {
            return Ok(None);
        }
        Ok(Some(super::convert::params_at(&gov, &genesis, height)?))
    }

    fn param_history(&self, param: GovernableParam) -> Result<ParamHistoryView, ApiError> {
        let (gov, genesis, tip) = self.governance()?;
        Ok(ParamHistoryView::from_governance(
            &gov,
            param,
            param.get(&genesis),
            tip,
        ))
    }

    fn proposals(&self) -> Result<ProposalsView, ApiError> {
        let (gov, _, tip) = self.governance()?;
        Ok(ProposalsView::from_governance(&gov, tip, self.network))
    }

    fn proposal(&self, id: u64) -> Result<Option<ProposalDetailView>, ApiError> {
        let (gov, _, tip) = self.governance()?;
        Ok(ProposalDetailView::from_governance(
            &gov,
            id,
            tip,
            self.network,
        ))
    }

    fn block(&self, at: BlockRef) -> Result<Option<BlockView>, ApiError> {
        let (block, certificate) = {
            let chain = self.chain()?;
            let height = match at {
                BlockRef::Height(h) => h,
                BlockRef::Latest => chain.height(),
            };
            if height == 0 || height > chain.height() {
                return Ok(None);
            }
            let Some(block) = chain.block_by_height(height)? else {
                return Ok(None);
            };
            (block, chain.certificate(height)?)
        };
        let txs = block
            .txs
            .iter()
            .map(Transaction::id)
            .collect::<Result<Vec<_>, _>>()?;
        let h = block.header;
        Ok(Some(BlockView {
            height: h.height,
            id: h.id()?,
            parent: h.parent,
            timestamp_ms: h.timestamp_ms,
            proposer_address: self.bech32(&Address::from_public_key(&h.proposer)),
            proposer: h.proposer.to_string(),
            tx_root: h.tx_root,
            state_root: h.state_root,
            txs,
            certificate,
        }))
    }

    fn tx(&self, id: &TxId) -> Result<Option<TxView>, ApiError> {
        let found = {
            let chain = self.chain()?;
            match chain.tx(id)? {
                Some((tx, at)) => {
                    let receipt = chain
                        .receipts(at.height)?
                        .and_then(|r| r.txs.into_iter().nth(at.index as usize));
                    Some((tx, Some(at), receipt))
                }
                None => None,
            }
        };
        let found = match found {
            Some(f) => Some(f),
            None => self.pool()?.get(id).cloned().map(|tx| (tx, None, None)),
        };
        Ok(found
            .map(|(tx, at, receipt)| super::convert::tx_view(*id, tx, at, receipt, self.network)))
    }

    fn account(&self, address: &Address) -> Result<AccountView, ApiError> {
        let (account, height) = {
            let chain = self.chain()?;
            (chain.account(address), chain.height())
        };
        let pending_nonce = self.pool()?.next_nonce(address, account.nonce);
        Ok(AccountView {
            address: self.bech32(address),
            balance: account.balance,
            nonce: account.nonce,
            pending_nonce,
            height,
        })
    }

    fn account_proof(&self, address: &Address) -> Result<AccountProofView, ApiError> {
        let (proof, tip, state_root) = {
            let chain = self.chain()?;
            let state = chain.state();
            (
                chain.prove_account(address)?,
                state.tip(),
                state.state_root(),
            )
        };
        Ok(AccountProofView {
            address: self.bech32(address),
            height: tip.height,
            block: tip.block_id,
            state_root,
            proof,
        })
    }

    fn nodes(&self, tier: Option<Tier>) -> Result<NodesView, ApiError> {
        let chain = self.chain()?;
        Ok(super::convert::nodes_view(chain.state(), tier))
    }

    fn apps(&self) -> Result<AppsView, ApiError> {
        let chain = self.chain()?;
        Ok(super::convert::apps_view(chain.state()))
    }

    fn app(&self, name: &str) -> Result<Option<AppView>, ApiError> {
        let chain = self.chain()?;
        Ok(super::convert::app_view(chain.state(), name))
    }

    fn jobs(&self, limit: usize) -> Result<JobsView, ApiError> {
        let chain = self.chain()?;
        super::jobs::jobs_view(&*chain, limit)
    }

    fn job(&self, id: &JobId) -> Result<Option<JobView>, ApiError> {
        let chain = self.chain()?;
        super::jobs::job_view(&*chain, id)
    }

    fn job_output(&self, id: &JobId) -> Result<Vec<u8>, ApiError> {
        let chain = self.chain()?;
        super::jobs::job_output(&*chain, id)
    }

    fn work_units(&self, epoch: Option<u64>) -> Result<WorkUnitsView, ApiError> {
        let chain = self.chain()?;
        super::jobs::work_units_view(&*chain, epoch)
    }

    fn supply(&self) -> Result<SupplyView, ApiError> {
        let chain = self.chain()?;
        let state = chain.state();
        SupplyView::new(
            chain.height(),
            state.ledger().supply,
            state.parallel(),
            state.params(),
        )
        .map_err(ApiError::from)
    }

    fn swap(&self, id: &TxId) -> Result<Option<SwapView>, ApiError> {
        let chain = self.chain()?;
        let state = chain.state();
        let Some(record) = state.parallel().swaps_out.get(id) else {
            return Ok(None);
        };
        let mut desk = match &self.swaps {
            Some(s) => Some(s.lock().map_err(|_| ApiError::Poisoned("swaps"))?),
            None => None,
        };
        let entry = desk
            .as_ref()
            .and_then(|d| d.get(&Subject::Out(*id)).cloned());
        let view = SwapView::new(*id, record, entry.as_ref(), state.params());
        if view.attestation.is_none()
            && let Some(d) = desk.as_mut()
        {
            d.request(view.statement.clone());
        }
        Ok(Some(view))
    }

    fn burn(&self, chain_name: ExternalChain, reference: &[u8]) -> Result<BurnView, ApiError> {
        let chain = self.chain()?;
        let released_by = chain
            .state()
            .parallel()
            .used_refs
            .get(&(chain_name, reference.to_vec()))
            .copied();
        let subject = Subject::Burn(chain_name, reference.to_vec());
        let entry = match &self.swaps {
            Some(s) => s
                .lock()
                .map_err(|_| ApiError::Poisoned("swaps"))?
                .get(&subject)
                .cloned(),
            None => None,
        };
        let burn = match &entry {
            Some(e) => match &e.statement {
                Statement::Burn(b) => b.clone(),
                Statement::SwapOut(_) => return Err(ApiError::NotFound("no such burn".into())),
            },
            None => {
                return Err(ApiError::NotFound(format!(
                    "no attestation of a burn on {chain_name} with that reference on this node"
                )));
            }
        };
        Ok(BurnView::new(burn, released_by, entry.as_ref()))
    }

    fn request_burn(&self, burn: BurnStatement) -> Result<BurnView, ApiError> {
        let bad = |message: String| ApiError::BadRequest {
            code: "bad_burn",
            message,
        };
        if burn.amount.is_zero() {
            return Err(bad("a burn moves a positive amount".into()));
        }
        if burn.reference.is_empty() || burn.reference.len() > MAX_REFERENCE_LEN {
            return Err(bad(format!(
                "burn reference of {} bytes, expected 1..={MAX_REFERENCE_LEN}",
                burn.reference.len()
            )));
        }
        let Some(swaps) = &self.swaps else {
            return Err(bad("this node does not collect swap attestations".into()));
        };
        let chain = self.chain()?;
        let released_by = chain
            .state()
            .parallel()
            .used_refs
            .get(&(burn.chain, burn.reference.clone()))
            .copied();
        if let Some(tx) = released_by {
            return Err(bad(format!("the burn was already released by {tx}")));
        }
        drop(chain);
        let mut desk = swaps.lock().map_err(|_| ApiError::Poisoned("swaps"))?;
        let subject = Subject::Burn(burn.chain, burn.reference.clone());
        let entry = desk.get(&subject).cloned();
        let view = BurnView::new(burn.clone(), None, entry.as_ref());
        if view.attestation.is_none() {
            desk.request(Statement::Burn(burn));
        }
        Ok(view)
    }

    fn submit(&self, tx: Transaction) -> Result<TxId, ApiError> {
        // Admission needs the state the pool checks against: chain, then mempool (the order
        // the node keeps too), both released before the gossip hook runs.
        let id = {
            let chain = self.chain()?;
            let mut pool = self.pool()?;
            let id = pool.insert(tx.clone(), chain.state())?;
            self.metrics.set_mempool(pool.len() as u64);
            id
        };
        (self.on_accepted)(&tx);
        Ok(id)
    }

    fn metrics(&self) -> Result<String, ApiError> {
        let height = self.chain()?.height();
        let pending = self.pool()?.len() as u64;
        self.metrics.set_height(height);
        self.metrics.set_mempool(pending);
        Ok(self.metrics.render_prometheus(self.chain_id))
    }

    fn hosting(&self) -> Option<Arc<dyn HostingView>> {
        self.hosting.clone()
    }
}
