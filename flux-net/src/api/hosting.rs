//! `/v1/host/*`: what this node hosts, and its containers' logs for their app's owner.
//!
//! - `GET /v1/host/instances` → [`HostInstancesView`]: one [`InstanceStatus`] row per container
//!   of an app instance this node runs (`hosting: "off"` with the reason, and no rows, when it
//!   hosts nothing).
//! - `POST /v1/host/logs` with a [`LogsRequest`] → [`LogsView`]: the last lines of one
//!   container's output, for the app's **owner only**. The request is signed (domain
//!   [`LOGS_DOMAIN`], the node's chain id) over [`logs_message`]: the canonical bytes of
//!   `(app, component, instance, tail, timestamp_ms)`. The node checks, in this order: the body
//!   (400), the app exists in the committed state (404), the timestamp is within
//!   [`MAX_CLOCK_SKEW_MS`] of its clock (403 `stale_request`), the signature for its chain id
//!   (403 `bad_signature`; a request signed for another chain fails here), the key's address is
//!   the app's owner (403 `not_app_owner`). A captured request can be replayed to a node for
//!   at most the skew window; it only reads logs.
//!
//! The node hands the API its hosting through [`super::ChainBackend::with_hosting`] and a
//! [`HostingView`] ([`HostingHandle`] over a running [`crate::hosting::Hosting`]); without one,
//! the node says it hosts nothing. The client side (typed calls, `flux app status` across the
//! hosting nodes, waiting for `serving`) is in [`apps`].
//!
//! ```
//! use flux_core::ChainId;
//! use flux_core::crypto::{Scheme, SecretKey};
//! use flux_net::api::hosting::{LogsQuery, LogsRequest};
//!
//! let owner = SecretKey::from_bytes(Scheme::Ed25519, &[7; 32])?;
//! let query = LogsQuery { app: "web".into(), component: None, instance: None, tail: 100 };
//! let request = LogsRequest::sign(&owner, ChainId(5), &query, 1_700_000_000_000)?;
//! assert_eq!(request.verify(ChainId(5))?, flux_core::Address::from_public_key(&owner.public_key()));
//! assert!(request.verify(ChainId(6)).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod apps;

use std::sync::Arc;

use async_trait::async_trait;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use flux_core::crypto::{Domain, PublicKey, SecretKey, Signature};
use flux_core::error::CodecError;
use flux_core::{Address, ChainId, codec};
use flux_nodes::NodeId;
use flux_nodes::app::AppSpec;
use serde::{Deserialize, Serialize};

use super::backend::Backend;
use super::error::ApiError;
use crate::hosting::{Hosting, InstanceStatus, StatusBoard};
use crate::runtime::{LogLine, LogStream, MAX_LOG_TAIL, Runtime, RuntimeError};

/// The signing domain of a logs request.
pub const LOGS_DOMAIN: Domain = Domain::new("flux/host-logs/v1");

/// How far a logs request's timestamp may be from the node's clock, ms.
pub const MAX_CLOCK_SKEW_MS: u64 = 60_000;

/// What the API needs from the node's hosting service. Implemented by [`HostingHandle`];
/// tests may implement it over anything.
#[async_trait]
pub trait HostingView: Send + Sync + 'static {
    /// Why this node hosts nothing (`None`: hosting runs).
    fn off_reason(&self) -> Option<String>;
    /// Every container of an app instance this node runs, sorted by container name.
    fn instances(&self) -> Vec<InstanceStatus>;
    /// The gateway's domain suffix (`<app>.<suffix>`), if this node runs a gateway.
    fn domain_suffix(&self) -> Option<String>;
    /// The last `tail` lines of the container `container`'s output.
    ///
    /// # Errors
    /// The runtime's ([`RuntimeError::NotFound`], [`RuntimeError::Unreachable`], ...).
    async fn logs(&self, container: &str, tail: u32) -> Result<Vec<LogLine>, RuntimeError>;
}

/// The [`HostingView`] of a running [`Hosting`]: its status board and runtime (cheap clones).
#[derive(Clone)]
pub struct HostingHandle {
    status: StatusBoard,
    runtime: Option<Arc<dyn Runtime>>,
    off: Option<String>,
    domain_suffix: Option<String>,
}

impl std::fmt::Debug for HostingHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostingHandle")
            .field("off", &self.off)
            .field("domain_suffix", &self.domain_suffix)
            .finish_non_exhaustive()
    }
}

impl HostingHandle {
    /// A view of `hosting`, whose gateway serves `<app>.<domain_suffix>` (the `[hosting]`
    /// config's `domain_suffix`; `None` without a gateway).
    pub fn of(hosting: &Hosting, domain_suffix: Option<String>) -> HostingHandle {
        HostingHandle {
            status: hosting.status().clone(),
            runtime: hosting.runtime().cloned(),
            off: hosting.off_reason().map(str::to_owned),
            domain_suffix,
        }
    }

    /// A view of a status board and a runtime (`None` with the reason `off`: hosts nothing).
    pub fn new(
        status: StatusBoard,
        runtime: Option<Arc<dyn Runtime>>,
        off: Option<String>,
        domain_suffix: Option<String>,
    ) -> HostingHandle {
        HostingHandle {
            status,
            runtime,
            off,
            domain_suffix,
        }
    }
}

#[async_trait]
impl HostingView for HostingHandle {
    fn off_reason(&self) -> Option<String> {
        match (&self.off, &self.runtime) {
            (Some(why), _) => Some(why.clone()),
            (None, None) => Some("this node has no container runtime".to_owned()),
            (None, Some(_)) => None,
        }
    }

    fn instances(&self) -> Vec<InstanceStatus> {
        self.status.snapshot()
    }

    fn domain_suffix(&self) -> Option<String> {
        self.domain_suffix.clone()
    }

    async fn logs(&self, container: &str, tail: u32) -> Result<Vec<LogLine>, RuntimeError> {
        match &self.runtime {
            Some(rt) => rt.logs(container, tail).await,
            None => Err(RuntimeError::NotFound {
                name: container.to_owned(),
            }),
        }
    }
}

/// Whether a node hosts apps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HostingMode {
    /// It runs the instances placed on it.
    On,
    /// It hosts nothing (the reason says why).
    Off,
}

/// `GET /v1/host/instances`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInstancesView {
    /// The node's FluxNode id, if it has one.
    pub node: Option<NodeId>,
    /// Whether it hosts apps.
    pub hosting: HostingMode,
    /// Why it hosts nothing, when off.
    pub reason: Option<String>,
    /// Its gateway's domain suffix, if it runs a gateway.
    pub domain_suffix: Option<String>,
    /// One row per container, sorted by container name.
    pub instances: Vec<InstanceStatus>,
}

/// Which container's logs, and how many lines: the fields a logs request signs (with a
/// timestamp).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsQuery {
    /// The app.
    pub app: String,
    /// The component (default: the spec's first).
    pub component: Option<String>,
    /// The instance (default: the lowest this node runs).
    pub instance: Option<u32>,
    /// Lines from the end, at most [`MAX_LOG_TAIL`].
    pub tail: u32,
}

/// The bytes a logs request's signature covers (framed by [`LOGS_DOMAIN`] and the chain id):
/// `codec::encode(&(app, component, instance, tail, timestamp_ms))`.
///
/// # Errors
/// [`CodecError`] when a field is too large to encode.
pub fn logs_message(query: &LogsQuery, timestamp_ms: u64) -> Result<Vec<u8>, CodecError> {
    codec::encode(&(
        &query.app,
        &query.component,
        query.instance,
        query.tail,
        timestamp_ms,
    ))
}

/// `POST /v1/host/logs` body: a [`LogsQuery`], when it was made, and the owner's signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsRequest {
    /// The app.
    pub app: String,
    /// The component (default: the spec's first).
    #[serde(default)]
    pub component: Option<String>,
    /// The instance (default: the lowest this node runs).
    #[serde(default)]
    pub instance: Option<u32>,
    /// Lines from the end, at most [`MAX_LOG_TAIL`].
    pub tail: u32,
    /// When the request was made, Unix ms (the node accepts ±[`MAX_CLOCK_SKEW_MS`]).
    pub timestamp_ms: u64,
    /// The signer's public key, `scheme:hex`.
    pub key: String,
    /// The signature, 128 hex digits (its scheme is the key's).
    pub signature: String,
}

/// Why a logs request is refused (the API answers 400 for the first two, 403 for the rest).
#[derive(Debug, thiserror::Error)]
pub enum LogsRefusal {
    /// The key is not `scheme:hex`.
    #[error("bad key: {0}")]
    BadKey(flux_core::error::SignatureError),
    /// The signature is not 128 hex digits.
    #[error("the signature is not 128 hex digits")]
    BadSignatureFormat,
    /// The signature does not verify for this chain.
    #[error("the signature does not verify for chain {chain_id}: {reason}")]
    BadSignature {
        /// The chain id checked against.
        chain_id: u64,
        /// The verifier's reason.
        reason: flux_core::error::SignatureError,
    },
    /// The fields could not be encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

impl LogsRequest {
    /// Signs `query` at `timestamp_ms` with `key` for `chain_id`.
    ///
    /// # Errors
    /// [`CodecError`] when a field is too large to encode.
    pub fn sign(
        key: &SecretKey,
        chain_id: ChainId,
        query: &LogsQuery,
        timestamp_ms: u64,
    ) -> Result<LogsRequest, CodecError> {
        let signature = key.sign(LOGS_DOMAIN, chain_id, &logs_message(query, timestamp_ms)?);
        Ok(LogsRequest {
            app: query.app.clone(),
            component: query.component.clone(),
            instance: query.instance,
            tail: query.tail,
            timestamp_ms,
            key: key.public_key().to_string(),
            signature: flux_core::hex::encode(signature.as_bytes()),
        })
    }

    /// The signed query.
    pub fn query(&self) -> LogsQuery {
        LogsQuery {
            app: self.app.clone(),
            component: self.component.clone(),
            instance: self.instance,
            tail: self.tail,
        }
    }

    /// Checks the signature for `chain_id`; the signer's address.
    ///
    /// # Errors
    /// [`LogsRefusal`] saying which part is wrong.
    pub fn verify(&self, chain_id: ChainId) -> Result<Address, LogsRefusal> {
        let key: PublicKey = self.key.parse().map_err(LogsRefusal::BadKey)?;
        let bytes: [u8; 64] = flux_core::hex::decode(&self.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(LogsRefusal::BadSignatureFormat)?;
        let signature = match key {
            PublicKey::Ed25519(_) => Signature::Ed25519(bytes),
            PublicKey::Secp256k1(_) => Signature::Secp256k1(bytes),
        };
        let message = logs_message(&self.query(), self.timestamp_ms)?;
        key.verify(LOGS_DOMAIN, chain_id, &message, &signature)
            .map_err(|reason| LogsRefusal::BadSignature {
                chain_id: chain_id.0,
                reason,
            })?;
        Ok(Address::from_public_key(&key))
    }
}

/// One line of a container's output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLineView {
    /// `stdout` or `stderr`.
    pub stream: String,
    /// The text (normally one line with its newline).
    pub text: String,
}

/// `POST /v1/host/logs` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsView {
    /// The app.
    pub app: String,
    /// The component shown.
    pub component: String,
    /// The instance shown.
    pub instance: u32,
    /// Its container.
    pub container: String,
    /// The lines, oldest first.
    pub lines: Vec<LogLineView>,
}

fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Forbidden {
        code,
        message: message.into(),
    }
}

pub(crate) async fn instances<B: Backend>(
    State(b): State<Arc<B>>,
) -> Result<Json<HostInstancesView>, ApiError> {
    let node = b.status()?.node_id;
    let view = match b.hosting() {
        Some(h) => {
            let reason = h.off_reason();
            HostInstancesView {
                node,
                hosting: if reason.is_some() {
                    HostingMode::Off
                } else {
                    HostingMode::On
                },
                reason,
                domain_suffix: h.domain_suffix(),
                instances: h.instances(),
            }
        }
        None => HostInstancesView {
            node,
            hosting: HostingMode::Off,
            reason: Some("this node runs without hosting".to_owned()),
            domain_suffix: None,
            instances: Vec::new(),
        },
    };
    Ok(Json(view))
}

pub(crate) async fn logs<B: Backend>(
    State(b): State<Arc<B>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<LogsView>, ApiError> {
    let body = body.map_err(|e| ApiError::bad_request("bad_body", e.body_text()))?;
    let request: LogsRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("bad_json", format!("logs request: {e}")))?;
    if request.tail > MAX_LOG_TAIL {
        return Err(ApiError::bad_request(
            "bad_tail",
            format!("tail {} is above {MAX_LOG_TAIL}", request.tail),
        ));
    }
    let key_parses = request.key.parse::<PublicKey>();
    if let Err(e) = key_parses {
        return Err(ApiError::bad_request("bad_key", format!("key: {e}")));
    }
    let app = b
        .app(&request.app)?
        .ok_or_else(|| ApiError::NotFound(format!("no app named {:?}", request.app)))?;
    let now = crate::hosting::status::now_ms();
    if now.abs_diff(request.timestamp_ms) > MAX_CLOCK_SKEW_MS {
        return Err(forbidden(
            "stale_request",
            format!(
                "the request's timestamp {} is more than {MAX_CLOCK_SKEW_MS} ms from this \
                 node's clock ({now})",
                request.timestamp_ms
            ),
        ));
    }
    let signer = request.verify(b.chain_id()).map_err(|e| match e {
        LogsRefusal::BadKey(_) | LogsRefusal::BadSignatureFormat | LogsRefusal::Codec(_) => {
            ApiError::bad_request("bad_signature_format", e.to_string())
        }
        LogsRefusal::BadSignature { .. } => forbidden("bad_signature", e.to_string()),
    })?;
    let owner = Address::parse_user(&app.owner, b.network()).map_err(|e| {
        ApiError::NotFound(format!(
            "the app's owner {:?} does not parse: {e}",
            app.owner
        ))
    })?;
    if signer != owner {
        return Err(forbidden(
            "not_app_owner",
            format!("only the owner of {} may read its logs", app.name),
        ));
    }
    let hosting = b
        .hosting()
        .ok_or_else(|| ApiError::NotFound("this node runs without hosting".to_owned()))?;
    let rows: Vec<InstanceStatus> = hosting
        .instances()
        .into_iter()
        .filter(|r| r.app == app.name)
        .collect();
    let component = match request.component {
        Some(c) => c,
        None => first_component(&app.spec, &app.name, &b.params()?.apps),
    };
    let row = rows
        .iter()
        .filter(|r| r.component == component && request.instance.is_none_or(|i| r.instance == i))
        .min_by_key(|r| r.instance)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no container of {}/{component}{} on this node",
                app.name,
                request
                    .instance
                    .map_or(String::new(), |i| format!(" instance {i}"))
            ))
        })?;
    let lines = hosting
        .logs(&row.container, request.tail)
        .await
        .map_err(|e| match e {
            RuntimeError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            other => ApiError::Unavailable {
                code: "runtime_unavailable",
                message: other.to_string(),
            },
        })?;
    Ok(Json(LogsView {
        app: app.name,
        component,
        instance: row.instance,
        container: row.container.clone(),
        lines: lines
            .into_iter()
            .map(|l| LogLineView {
                stream: match l.stream {
                    LogStream::Stdout => "stdout",
                    LogStream::Stderr => "stderr",
                }
                .to_owned(),
                text: l.text,
            })
            .collect(),
    }))
}

/// The spec's first component (the app's name for a spec that does not read: v1–v3 apps have
/// one component named after the app).
fn first_component(
    spec: &serde_json::Value,
    app: &str,
    params: &flux_core::params::AppParams,
) -> String {
    serde_json::to_vec(spec)
        .ok()
        .and_then(|json| AppSpec::from_json_lenient(&json, params).ok())
        .and_then(|s| s.components.first().map(|c| c.name.clone()))
        .unwrap_or_else(|| app.to_owned())
}
