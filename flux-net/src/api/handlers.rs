//! The route handlers: parse the request strictly, ask the [`Backend`], answer JSON. Every
//! refusal is an [`ApiError`], so every answer is JSON.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use flux_chain::parallel::BurnStatement;
use flux_chain::tx::{Transaction, TxId};
use flux_core::parallel::ExternalChain;
use flux_core::params::GovernableParam;
use flux_core::{Address, ChainParams, Tier, codec};
use serde::Deserialize;

use super::MAX_BODY_BYTES;
use super::backend::{Backend, BlockRef};
use super::error::{ApiError, ErrorBody};
use super::views::{
    AccountProofView, AccountView, AppView, AppsView, BlockView, BurnView, JobView, JobsView,
    NodesView, ParamHistoryView, ProposalDetailView, ProposalsView, StatusView, SubmitTx,
    SubmittedView, SupplyView, SwapView, TxView, WorkUnitsView,
};

type Answer<T> = Result<Json<T>, ApiError>;

/// The content type of the Prometheus text format.
const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

fn path_param(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(p)| p)
        .map_err(|e| ApiError::bad_request("bad_path", e.body_text()))
}

/// An address in bech32m with the chain's prefix, or as 40 hex digits ([`Address::parse_user`]).
fn parse_address<B: Backend>(backend: &B, text: &str) -> Result<Address, ApiError> {
    Address::parse_user(text, backend.network())
        .map_err(|e| ApiError::bad_request("bad_address", format!("address {text:?}: {e}")))
}

pub(crate) async fn status<B: Backend>(State(b): State<Arc<B>>) -> Answer<StatusView> {
    Ok(Json(b.status()?))
}

/// `?height=H`.
#[derive(Deserialize)]
pub(crate) struct ParamsQuery {
    height: Option<String>,
}

pub(crate) async fn params<B: Backend>(
    State(b): State<Arc<B>>,
    query: Result<Query<ParamsQuery>, QueryRejection>,
) -> Answer<ChainParams> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let Some(raw) = q.height else {
        return Ok(Json(b.params()?));
    };
    let height: u64 = raw.parse().map_err(|_| {
        ApiError::bad_request("bad_height", format!("{raw:?} is not a block height"))
    })?;
    b.params_at(height)?.map(Json).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no parameters for height {height} yet: only up to the next block are known"
        ))
    })
}

pub(crate) async fn param_history<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<String>, PathRejection>,
) -> Answer<ParamHistoryView> {
    let name = path_param(path)?;
    let param: GovernableParam = name.parse().map_err(|_| {
        let known: Vec<&str> = GovernableParam::ALL.iter().map(|p| p.name()).collect();
        ApiError::NotFound(format!(
            "no governable parameter {name:?} (known: {})",
            known.join(", ")
        ))
    })?;
    Ok(Json(b.param_history(param)?))
}

pub(crate) async fn proposals<B: Backend>(State(b): State<Arc<B>>) -> Answer<ProposalsView> {
    Ok(Json(b.proposals()?))
}

pub(crate) async fn proposal<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<String>, PathRejection>,
) -> Answer<ProposalDetailView> {
    let raw = path_param(path)?;
    let id: u64 = raw.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_proposal_id",
            format!("{raw:?} is not a proposal number"),
        )
    })?;
    b.proposal(id)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no proposal {id}")))
}

pub(crate) async fn block<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<String>, PathRejection>,
) -> Answer<BlockView> {
    let raw = path_param(path)?;
    let at = if raw == "latest" {
        BlockRef::Latest
    } else {
        BlockRef::Height(raw.parse().map_err(|_| {
            ApiError::bad_request(
                "bad_height",
                format!("{raw:?} is not a block height (a number or `latest`)"),
            )
        })?)
    };
    b.block(at)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no block at height {raw}")))
}

pub(crate) async fn tx<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<String>, PathRejection>,
) -> Answer<TxView> {
    let raw = path_param(path)?;
    let id =
        TxId(raw.parse().map_err(|e| {
            ApiError::bad_request("bad_tx_id", format!("transaction id {raw:?}: {e}"))
        })?);
    b.tx(&id)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no transaction {id}")))
}

pub(crate) async fn account<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<String>, PathRejection>,
) -> Answer<AccountView> {
    let raw = path_param(path)?;
    let address = parse_address(&*b, &raw)?;
    Ok(Json(b.account(&address)?))
}

pub(crate) async fn account_proof<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<String>, PathRejection>,
) -> Answer<AccountProofView> {
    let raw = path_param(path)?;
    let address = parse_address(&*b, &raw)?;
    Ok(Json(b.account_proof(&address)?))
}

/// `?tier=cumulus|nimbus|stratus`.
#[derive(Deserialize)]
pub(crate) struct NodesQuery {
    tier: Option<String>,
}

pub(crate) async fn nodes<B: Backend>(
    State(b): State<Arc<B>>,
    query: Result<Query<NodesQuery>, QueryRejection>,
) -> Answer<NodesView> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let tier = q
        .tier
        .map(|t| t.parse::<Tier>())
        .transpose()
        .map_err(|e| ApiError::bad_request("bad_tier", e.to_string()))?;
    Ok(Json(b.nodes(tier)?))
}

pub(crate) async fn apps<B: Backend>(State(b): State<Arc<B>>) -> Answer<AppsView> {
    Ok(Json(b.apps()?))
}

pub(crate) async fn app<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<String>, PathRejection>,
) -> Answer<AppView> {
    let name = path_param(path)?;
    b.app(&name)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no app {name:?}")))
}

/// Default of `GET /v1/jobs?limit=N`.
const DEFAULT_JOBS_LISTED: usize = 50;

/// `?limit=N`.
#[derive(Deserialize)]
pub(crate) struct JobsQuery {
    limit: Option<String>,
}

pub(crate) async fn jobs<B: Backend>(
    State(b): State<Arc<B>>,
    query: Result<Query<JobsQuery>, QueryRejection>,
) -> Answer<JobsView> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let limit = match q.limit {
        None => DEFAULT_JOBS_LISTED,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=super::jobs::MAX_JOBS_LISTED).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(
                    "bad_limit",
                    format!(
                        "limit {raw:?} is not a number from 1 to {}",
                        super::jobs::MAX_JOBS_LISTED
                    ),
                ));
            }
        },
    };
    Ok(Json(b.jobs(limit)?))
}

fn job_id(path: Result<Path<String>, PathRejection>) -> Result<TxId, ApiError> {
    let raw = path_param(path)?;
    Ok(TxId(raw.parse().map_err(|e| {
        ApiError::bad_request("bad_job_id", format!("job id {raw:?}: {e}"))
    })?))
}

pub(crate) async fn job<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<String>, PathRejection>,
) -> Answer<JobView> {
    let id = job_id(path)?;
    b.job(&id)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no job {id}")))
}

pub(crate) async fn job_output<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = job_id(path)?;
    let bytes = b.job_output(&id)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// `?epoch=E`.
#[derive(Deserialize)]
pub(crate) struct UnitsQuery {
    epoch: Option<String>,
}

pub(crate) async fn work_units<B: Backend>(
    State(b): State<Arc<B>>,
    query: Result<Query<UnitsQuery>, QueryRejection>,
) -> Answer<WorkUnitsView> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let epoch = q
        .epoch
        .map(|raw| {
            raw.parse::<u64>().map_err(|_| {
                ApiError::bad_request("bad_epoch", format!("{raw:?} is not an epoch number"))
            })
        })
        .transpose()?;
    Ok(Json(b.work_units(epoch)?))
}

/// Decodes `{"tx":"<hex>"}` into a transaction, saying precisely what is wrong.
pub(crate) fn decode_submission(body: &[u8]) -> Result<Transaction, ApiError> {
    let SubmitTx { tx } = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("bad_json", format!("expected {{\"tx\":\"<hex>\"}}: {e}"))
    })?;
    let bytes = flux_core::hex::decode(&tx)
        .map_err(|e| ApiError::bad_request("bad_hex", format!("tx: {e}")))?;
    codec::decode(&bytes).map_err(|e| ApiError::bad_request("bad_tx_encoding", format!("tx: {e}")))
}

pub(crate) async fn submit<B: Backend>(
    State(b): State<Arc<B>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<SubmittedView>), ApiError> {
    let body = body_bytes(body)?;
    let tx = decode_submission(&body)?;
    let id = b.submit(tx)?;
    Ok((StatusCode::ACCEPTED, Json(SubmittedView { id })))
}

pub(crate) async fn metrics<B: Backend>(State(b): State<Arc<B>>) -> Result<Response, ApiError> {
    let text = b.metrics()?;
    Ok(([(header::CONTENT_TYPE, PROMETHEUS)], text).into_response())
}

pub(crate) async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {method} {}", uri.path()))
}

/// Gives every error answer a JSON body: those made by the router itself (405, a body limit
/// hit before a handler ran) arrive without one. Answers that are already JSON pass through.
pub(crate) async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = status
        .canonical_reason()
        .unwrap_or("request refused")
        .to_ascii_lowercase();
    let body = ErrorBody {
        error: super::error::ErrorDetail {
            code: code.to_owned(),
            message,
        },
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// A request body, or the error that says why it could not be read.
fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::BodyTooLarge {
                limit: MAX_BODY_BYTES,
            }
        } else {
            ApiError::bad_request("bad_body", e.body_text())
        }
    })
}

pub(crate) async fn supply<B: Backend>(State(b): State<Arc<B>>) -> Answer<SupplyView> {
    Ok(Json(b.supply()?))
}

pub(crate) async fn swap<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<String>, PathRejection>,
) -> Answer<SwapView> {
    let raw = path_param(path)?;
    let id = TxId(
        raw.parse()
            .map_err(|e| ApiError::bad_request("bad_swap_id", format!("swap id {raw:?}: {e}")))?,
    );
    b.swap(&id)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no swap out {id}")))
}

pub(crate) async fn burn<B: Backend>(
    State(b): State<Arc<B>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Answer<BurnView> {
    let Path((chain, reference)) =
        path.map_err(|e| ApiError::bad_request("bad_path", e.body_text()))?;
    let chain: ExternalChain = chain
        .parse()
        .map_err(|e| ApiError::bad_request("bad_chain", format!("{e}")))?;
    let reference = flux_core::hex::decode(&reference)
        .map_err(|e| ApiError::bad_request("bad_reference", format!("reference: {e}")))?;
    Ok(Json(b.burn(chain, &reference)?))
}

pub(crate) async fn request_burn<B: Backend>(
    State(b): State<Arc<B>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<BurnView>), ApiError> {
    let body = body_bytes(body)?;
    let burn: BurnStatement = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request("bad_json", format!("expected a burn statement: {e}"))
    })?;
    Ok((StatusCode::ACCEPTED, Json(b.request_burn(burn)?)))
}
