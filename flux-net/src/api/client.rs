//! [`Client`]: a typed async client of the node API over plain HTTP/1.1 (hyper), reusing its
//! connections; one method per route, answers parsed into the [`super::views`] structs.
//!
//! ```no_run
//! use flux_net::api::client::Client;
//! # async fn run() -> Result<(), flux_net::api::client::ClientError> {
//! let client = Client::new("http://127.0.0.1:18080")?;
//! let status = client.status().await?;
//! let tip = client.block(flux_net::api::BlockRef::Latest).await?;
//! println!("height {} ({:?})", status.height, tip.map(|b| b.id));
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, Uri, header};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use thiserror::Error;

use flux_chain::parallel::BurnStatement;
use flux_chain::tx::{Transaction, TxId};
use flux_chain::work::JobId;
use flux_core::parallel::ExternalChain;
use flux_core::params::GovernableParam;
use flux_core::{ChainParams, Tier, codec};

use super::backend::BlockRef;
use super::error::ErrorBody;
use super::views::{
    AccountProofView, AccountView, AppView, AppsView, BlockView, BurnView, JobView, JobsView,
    NodesView, ParamHistoryView, ProposalDetailView, ProposalsView, StatusView, SubmitTx,
    SubmittedView, SupplyView, SwapView, TxView, WorkUnitsView,
};

/// Largest answer body read, bytes.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// How long a request may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a request failed.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The node URL is not a plain `http://host:port` URL.
    #[error("bad node URL {url:?}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The node could not be reached (refused, reset, DNS).
    #[error("cannot reach {url}: {reason}")]
    Connect {
        /// The request's URL.
        url: String,
        /// The transport error and its causes, e.g. `client error (Connect): tcp connect
        /// error: Connection refused (os error 111)`.
        reason: String,
        /// The transport error.
        #[source]
        source: hyper_util::client::legacy::Error,
    },
    /// No answer in time.
    #[error("{url}: no answer within {after:?}")]
    Timeout {
        /// The request's URL.
        url: String,
        /// The time allowed.
        after: Duration,
    },
    /// The answer's body could not be read (or was larger than [`MAX_RESPONSE_BYTES`]).
    #[error("{url}: reading the answer: {reason}")]
    Body {
        /// The request's URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The node answered with an error status and its JSON error.
    #[error("{status}: {message} ({code})")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The machine-readable code (`nonce_gap`, `not_found`, ...).
        code: String,
        /// The node's message.
        message: String,
    },
    /// The answer is not the JSON expected.
    #[error("{url}: unexpected answer: {source}")]
    Decode {
        /// The request's URL.
        url: String,
        /// What the parser found.
        #[source]
        source: serde_json::Error,
    },
    /// The transaction could not be encoded.
    #[error(transparent)]
    Encode(#[from] flux_core::error::CodecError),
}

impl ClientError {
    /// The node's error code, if the node answered with an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Status { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the node answered 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClientError::Status { status: 404, .. })
    }
}

/// A client of one node's API. Cheap to clone (clones share the connection pool).
#[derive(Clone, Debug)]
pub struct Client {
    http: HttpClient<HttpConnector, Full<Bytes>>,
    base: String,
    timeout: Duration,
}

impl Client {
    /// A client of the node at `base_url` (`http://host:port`, optionally with a path prefix).
    pub fn new(base_url: &str) -> Result<Client, ClientError> {
        let bad = |reason: &str| ClientError::BadUrl {
            url: base_url.to_owned(),
            reason: reason.to_owned(),
        };
        let base = base_url.trim_end_matches('/').to_owned();
        let uri: Uri = base
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?;
        if uri.scheme_str() != Some("http") {
            return Err(bad("only http:// URLs are supported"));
        }
        if uri.host().is_none() {
            return Err(bad("no host"));
        }
        if uri.query().is_some() {
            return Err(bad("a node URL has no query"));
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = HttpClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Client {
            http,
            base,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The same client with another request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// The node's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/status`.
    pub async fn status(&self) -> Result<StatusView, ClientError> {
        self.get("/v1/status").await
    }

    /// `GET /v1/params`: the chain's current parameters.
    pub async fn params(&self) -> Result<ChainParams, ClientError> {
        self.get("/v1/params").await
    }

    /// `GET /v1/params?height=H`: the parameters in force at block `height` (the genesis
    /// parameters with every governance change executed before it); `None` above the next
    /// block.
    pub async fn params_at(&self, height: u64) -> Result<Option<ChainParams>, ClientError> {
        not_found_as_none(self.get(&format!("/v1/params?height={height}")).await)
    }

    /// `GET /v1/params/{name}/history`: a governable parameter's bounds, genesis value and
    /// changes.
    ///
    /// ```no_run
    /// # use flux_net::api::client::Client;
    /// use flux_core::params::GovernableParam;
    /// # async fn run(client: Client) -> Result<(), flux_net::api::client::ClientError> {
    /// let cpu = client.param_history(GovernableParam::AppCpuPrice).await?;
    /// for change in &cpu.changes {
    ///     println!("{} = {} from block {}", cpu.name, change.value, change.effective_from);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn param_history(
        &self,
        param: GovernableParam,
    ) -> Result<ParamHistoryView, ClientError> {
        self.get(&format!("/v1/params/{}/history", segment(param.name())))
            .await
    }

    /// `GET /v1/gov/proposals`: every xDAO proposal, newest first.
    pub async fn proposals(&self) -> Result<ProposalsView, ClientError> {
        self.get("/v1/gov/proposals").await
    }

    /// `GET /v1/gov/proposals/{id}`: a proposal, its votes and its voters; `None` if there is
    /// no such proposal.
    pub async fn proposal(&self, id: u64) -> Result<Option<ProposalDetailView>, ClientError> {
        not_found_as_none(self.get(&format!("/v1/gov/proposals/{id}")).await)
    }

    /// `GET /v1/blocks/{height|latest}`; `None` if there is no such block (yet).
    pub async fn block(&self, at: BlockRef) -> Result<Option<BlockView>, ClientError> {
        let path = match at {
            BlockRef::Height(h) => format!("/v1/blocks/{h}"),
            BlockRef::Latest => "/v1/blocks/latest".to_owned(),
        };
        not_found_as_none(self.get(&path).await)
    }

    /// `GET /v1/txs/{id}`; `None` if the node knows no such transaction.
    pub async fn tx(&self, id: &TxId) -> Result<Option<TxView>, ClientError> {
        not_found_as_none(self.get(&format!("/v1/txs/{id}")).await)
    }

    /// `GET /v1/accounts/{address}` (`address`: bech32m with the chain's prefix, or 40 hex).
    pub async fn account(&self, address: &str) -> Result<AccountView, ClientError> {
        self.get(&format!("/v1/accounts/{}", segment(address)))
            .await
    }

    /// `GET /v1/accounts/{address}/proof`.
    pub async fn account_proof(&self, address: &str) -> Result<AccountProofView, ClientError> {
        self.get(&format!("/v1/accounts/{}/proof", segment(address)))
            .await
    }

    /// `GET /v1/nodes[?tier=...]`.
    pub async fn nodes(&self, tier: Option<Tier>) -> Result<NodesView, ClientError> {
        match tier {
            Some(t) => self.get(&format!("/v1/nodes?tier={}", t.name())).await,
            None => self.get("/v1/nodes").await,
        }
    }

    /// `GET /v1/apps`.
    pub async fn apps(&self) -> Result<AppsView, ClientError> {
        self.get("/v1/apps").await
    }

    /// `GET /v1/apps/{name}`; `None` if no such app is registered.
    pub async fn app(&self, name: &str) -> Result<Option<AppView>, ClientError> {
        not_found_as_none(self.get(&format!("/v1/apps/{}", segment(name))).await)
    }

    /// `GET /v1/jobs?limit=N`: the newest `limit` compute jobs (the node caps it at
    /// [`super::MAX_JOBS_LISTED`]).
    pub async fn jobs(&self, limit: usize) -> Result<JobsView, ClientError> {
        self.get(&format!("/v1/jobs?limit={limit}")).await
    }

    /// `GET /v1/jobs/{id}`: a compute job; `None` if the chain has no such job.
    pub async fn job(&self, id: &JobId) -> Result<Option<JobView>, ClientError> {
        not_found_as_none(self.get(&format!("/v1/jobs/{id}")).await)
    }

    /// `GET /v1/jobs/{id}/output`: the accepted output's bytes; `None` if there is no such job
    /// or it has no accepted result yet ([`Client::job`] says which).
    ///
    /// ```no_run
    /// # use flux_net::api::client::Client;
    /// # async fn run(client: Client, id: flux_chain::work::JobId) -> Result<(), flux_net::api::client::ClientError> {
    /// if let Some(bytes) = client.job_output(&id).await? {
    ///     std::fs::write("out.ppm", bytes).ok();
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn job_output(&self, id: &JobId) -> Result<Option<Vec<u8>>, ClientError> {
        let url = self.url(&format!("/v1/jobs/{id}/output"));
        not_found_as_none(
            self.raw(Method::GET, &url, Vec::new())
                .await
                .map(|b| b.to_vec()),
        )
    }

    /// `GET /v1/work/units[?epoch=E]`: the verified work units per node of an epoch (default:
    /// the current one).
    pub async fn work_units(&self, epoch: Option<u64>) -> Result<WorkUnitsView, ClientError> {
        match epoch {
            Some(e) => self.get(&format!("/v1/work/units?epoch={e}")).await,
            None => self.get("/v1/work/units").await,
        }
    }

    /// `POST /v1/txs`: offers a transaction; its id once the node's mempool accepted it.
    pub async fn submit(&self, tx: &Transaction) -> Result<TxId, ClientError> {
        self.submit_bytes(&codec::encode(tx)?).await
    }

    /// `POST /v1/txs` with a transaction's canonical bytes (already encoded).
    pub async fn submit_bytes(&self, bytes: &[u8]) -> Result<TxId, ClientError> {
        let body = serde_json::to_vec(&SubmitTx {
            tx: flux_core::hex::encode(bytes),
        })
        .map_err(|source| ClientError::Decode {
            url: self.url("/v1/txs"),
            source,
        })?;
        let answer: SubmittedView = self.call(Method::POST, "/v1/txs", body).await?;
        Ok(answer.id)
    }

    /// `GET /v1/supply`: the native supply, the parallel books and the cap.
    pub async fn supply(&self) -> Result<SupplyView, ClientError> {
        self.get("/v1/supply").await
    }

    /// `GET /v1/swaps/{id}`: a swap out and the committee's attestation of it (`None`: no such
    /// swap out).
    pub async fn swap(&self, id: &TxId) -> Result<Option<SwapView>, ClientError> {
        not_found_as_none(self.get(&format!("/v1/swaps/{id}")).await)
    }

    /// `GET /v1/swaps/burns/{chain}/{reference}`: the attestation of a burn this node
    /// collected (`None`: none yet).
    pub async fn burn(
        &self,
        chain: ExternalChain,
        reference: &[u8],
    ) -> Result<Option<BurnView>, ClientError> {
        let path = format!(
            "/v1/swaps/burns/{}/{}",
            chain.name(),
            flux_core::hex::encode(reference)
        );
        not_found_as_none(self.get(&path).await)
    }

    /// `POST /v1/swaps/burns`: asks the committee to attest `burn`.
    pub async fn request_burn(&self, burn: &BurnStatement) -> Result<BurnView, ClientError> {
        let body = serde_json::to_vec(burn).map_err(|source| ClientError::Decode {
            url: self.url("/v1/swaps/burns"),
            source,
        })?;
        self.call(Method::POST, "/v1/swaps/burns", body).await
    }

    /// `GET /metrics`: the Prometheus text.
    pub async fn metrics(&self) -> Result<String, ClientError> {
        let url = self.url("/metrics");
        let bytes = self.raw(Method::GET, &url, Vec::new()).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.call(Method::GET, path, Vec::new()).await
    }

    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T, ClientError> {
        let url = self.url(path);
        let bytes = self.raw(method, &url, body).await?;
        serde_json::from_slice(&bytes).map_err(|source| ClientError::Decode { url, source })
    }

    /// Sends one request; the body of a success, or the node's error.
    async fn raw(&self, method: Method, url: &str, body: Vec<u8>) -> Result<Bytes, ClientError> {
        let bad_url = |reason: String| ClientError::BadUrl {
            url: url.to_owned(),
            reason,
        };
        let uri: Uri = url
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| bad_url(e.to_string()))?;
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::ACCEPT, "application/json");
        if !body.is_empty() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| bad_url(e.to_string()))?;
        let exchange = async {
            let response =
                self.http
                    .request(request)
                    .await
                    .map_err(|source| ClientError::Connect {
                        url: url.to_owned(),
                        reason: causes(&source),
                        source,
                    })?;
            let status = response.status();
            let bytes = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| ClientError::Body {
                    url: url.to_owned(),
                    reason: e.to_string(),
                })?
                .to_bytes();
            Ok::<_, ClientError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| ClientError::Timeout {
                url: url.to_owned(),
                after: self.timeout,
            })??;
        if status.is_success() {
            return Ok(bytes);
        }
        Err(status_error(status, &bytes))
    }
}

/// The error of a non-success answer: the node's JSON error, or the status alone.
fn status_error(status: StatusCode, body: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => ClientError::Status {
            status: status.as_u16(),
            code: e.error.code,
            message: e.error.message,
        },
        Err(_) => ClientError::Status {
            status: status.as_u16(),
            code: "http_error".to_owned(),
            message: String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned(),
        },
    }
}

/// An error and its causes, `: `-separated.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = e.source();
    }
    text
}

fn not_found_as_none<T>(result: Result<T, ClientError>) -> Result<Option<T>, ClientError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// `text` as one path segment: unreserved characters kept, everything else percent-encoded.
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(Client::new("http://127.0.0.1:18080").is_ok());
        assert_eq!(
            Client::new("http://127.0.0.1:18080/").unwrap().base_url(),
            "http://127.0.0.1:18080"
        );
        for bad in [
            "https://x:1",
            "127.0.0.1:18080",
            "http://",
            "http://h:1/?q",
            "::",
        ] {
            assert!(
                matches!(Client::new(bad), Err(ClientError::BadUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn segments_are_escaped() {
        assert_eq!(segment("tflux1abc"), "tflux1abc");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
        assert_eq!(segment(".."), "..");
    }
}
