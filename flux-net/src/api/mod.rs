//! The node's HTTP JSON API (axum): queries, transaction submission and Prometheus metrics.
//!
//! Routes (all answers JSON except `/metrics`; see `flux-net/docs/api.md` for examples):
//!
//! | route | answer |
//! |---|---|
//! | `GET /v1/status` | [`views::StatusView`] |
//! | `GET /v1/params` | the chain's current [`flux_core::ChainParams`] |
//! | `GET /v1/params?height=H` | the [`flux_core::ChainParams`] in force at block `H` |
//! | `GET /v1/params/{name}/history` | [`views::ParamHistoryView`] of a governable parameter |
//! | `GET /v1/gov/proposals` | [`views::ProposalsView`] (newest first) |
//! | `GET /v1/gov/proposals/{id}` | [`views::ProposalDetailView`] |
//! | `GET /v1/blocks/{height}` (or `latest`) | [`views::BlockView`] |
//! | `GET /v1/txs/{id}` | [`views::TxView`] (finalised or pending) |
//! | `POST /v1/txs` `{"tx":"<hex>"}` | 202 [`views::SubmittedView`] |
//! | `GET /v1/accounts/{address}` | [`views::AccountView`] |
//! | `GET /v1/accounts/{address}/proof` | [`views::AccountProofView`] |
//! | `GET /v1/nodes?tier=cumulus` | [`views::NodesView`] |
//! | `GET /v1/apps` | [`views::AppsView`] |
//! | `GET /v1/apps/{name}` | [`views::AppView`] |
//! | `GET /v1/jobs?limit=N` | [`views::JobsView`] (newest first, default 50, at most 500) |
//! | `GET /v1/jobs/{id}` | [`views::JobView`] |
//! | `GET /v1/jobs/{id}/output` | the accepted output, `application/octet-stream` (404 until accepted) |
//! | `GET /v1/work/units?epoch=E` | [`views::WorkUnitsView`] (default: the current epoch) |
//! | `GET /v1/supply` | [`views::SupplyView`]: native, locked and issued per chain, reserve left, cap |
//! | `GET /v1/swaps/{id}` | [`views::SwapView`]: a swap out, its EVM digest and the committee's signatures (asks the committee again while not attested) |
//! | `POST /v1/swaps/burns` (a [`flux_chain::parallel::BurnStatement`]) | 202 [`views::BurnView`]: asks the committee to attest a burn |
//! | `GET /v1/swaps/burns/{chain}/{reference}` | [`views::BurnView`]; once attested, the file `flux swap in` reads |
//! | `GET /v1/host/instances` | [`hosting::HostInstancesView`]: the app containers this node runs |
//! | `POST /v1/host/logs` (a signed [`hosting::LogsRequest`]) | [`hosting::LogsView`], for the app's owner only |
//! | `GET /metrics` | Prometheus text ([`crate::metrics::Metrics`]) |
//!
//! Every refusal is `{"error":{"code":"...","message":"..."}}` with a 4xx status (5xx only when
//! the node itself fails), see [`ApiError`]. The node's side is the [`Backend`] trait;
//! [`ChainBackend`] implements it over the node's shared chain, mempool and metrics.
//! [`client::Client`] is the typed client ([`wallet`] adds signing and waiting, [`keyfile`] the
//! key files it signs with), [`load`] a load generator built on it.
//!
//! ```no_run
//! use std::sync::{Arc, Mutex, RwLock};
//! use flux_chain::{chain::Chain, genesis::Genesis, mempool::{Mempool, MempoolConfig}, store::MemStore};
//! use flux_net::api::{ChainBackend, serve};
//! use flux_net::metrics::Metrics;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let chain = Chain::open_or_create(MemStore::new(), &Genesis::devnet_example())?;
//! let backend = ChainBackend::standalone(
//!     Arc::new(RwLock::new(chain)),
//!     Arc::new(Mutex::new(Mempool::new(MempoolConfig::default()))),
//!     Arc::new(Metrics::new()),
//! )?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:18080").await?;
//! serve(listener, Arc::new(backend), std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```

mod backend;
pub mod client;
mod convert;
mod error;
mod handlers;
pub mod hosting;
mod jobs;
pub mod keyfile;
pub mod load;
pub mod views;
pub mod wait;
pub mod wallet;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::serve::ListenerExt;

pub use backend::{Backend, BlockRef, ChainBackend, OnAccepted};
pub use error::{ApiError, ErrorBody, ErrorDetail, rejection_code, tx_error_code};
pub use jobs::MAX_JOBS_LISTED;

/// Largest request body accepted, bytes (a transaction is at most 128 KiB, 256 KiB in hex).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The API's routes over `backend`, ready to serve (or to nest in a larger router).
pub fn router<B: Backend>(backend: Arc<B>) -> Router {
    Router::new()
        .route("/v1/status", get(handlers::status::<B>))
        .route("/v1/params", get(handlers::params::<B>))
        .route(
            "/v1/params/{name}/history",
            get(handlers::param_history::<B>),
        )
        .route("/v1/gov/proposals", get(handlers::proposals::<B>))
        .route("/v1/gov/proposals/{id}", get(handlers::proposal::<B>))
        .route("/v1/blocks/{height}", get(handlers::block::<B>))
        .route("/v1/txs", axum::routing::post(handlers::submit::<B>))
        .route("/v1/txs/{id}", get(handlers::tx::<B>))
        .route("/v1/accounts/{address}", get(handlers::account::<B>))
        .route(
            "/v1/accounts/{address}/proof",
            get(handlers::account_proof::<B>),
        )
        .route("/v1/nodes", get(handlers::nodes::<B>))
        .route("/v1/apps", get(handlers::apps::<B>))
        .route("/v1/apps/{name}", get(handlers::app::<B>))
        .route("/v1/jobs", get(handlers::jobs::<B>))
        .route("/v1/jobs/{id}", get(handlers::job::<B>))
        .route("/v1/jobs/{id}/output", get(handlers::job_output::<B>))
        .route("/v1/work/units", get(handlers::work_units::<B>))
        .route("/v1/supply", get(handlers::supply::<B>))
        .route(
            "/v1/swaps/burns",
            axum::routing::post(handlers::request_burn::<B>),
        )
        .route(
            "/v1/swaps/burns/{chain}/{reference}",
            get(handlers::burn::<B>),
        )
        .route("/v1/swaps/{id}", get(handlers::swap::<B>))
        .route("/v1/host/instances", get(hosting::instances::<B>))
        .route("/v1/host/logs", axum::routing::post(hosting::logs::<B>))
        .route("/metrics", get(handlers::metrics::<B>))
        .fallback(handlers::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(handlers::json_errors))
        .with_state(backend)
}

/// Serves the API on `listener` until `shutdown` completes, then finishes the requests in
/// flight. Errors only if accepting connections fails for good.
pub async fn serve<B: Backend>(
    listener: tokio::net::TcpListener,
    backend: Arc<B>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    // Small JSON answers: send them at once rather than waiting for Nagle's algorithm.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
    });
    axum::serve(listener, router(backend))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
