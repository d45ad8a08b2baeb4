//! Errors of the HTTP API: what the server answers (status, machine-readable code, message)
//! and why serving failed.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use flux_chain::error::{MempoolError, TxError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An error of the API. Each variant maps to one HTTP status and one `code` in the JSON body
/// (`{"error":{"code":"...","message":"..."}}`), see [`ApiError::status`] and [`ApiError::code`].
#[derive(Debug, Error)]
pub enum ApiError {
    /// Nothing at this path (an unknown route, block, transaction or app).
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed: `code` says which part (e.g. `bad_address`, `bad_json`).
    #[error("{message}")]
    BadRequest {
        /// Machine-readable reason.
        code: &'static str,
        /// What was wrong, for people.
        message: String,
    },
    /// The method is not allowed on this route.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request is well formed but its signer may not have what it asks (e.g. logs of an
    /// app it does not own, a stale or foreign signature): `code` says which.
    #[error("{message}")]
    Forbidden {
        /// Machine-readable reason (`not_app_owner`, `stale_request`, `bad_signature`).
        code: &'static str,
        /// What was wrong, for people.
        message: String,
    },
    /// Something the node depends on does not answer right now (e.g. its container engine).
    #[error("{message}")]
    Unavailable {
        /// Machine-readable reason (`runtime_unavailable`).
        code: &'static str,
        /// What does not answer, for people.
        message: String,
    },
    /// The body is larger than the API accepts.
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit, bytes.
        limit: usize,
    },
    /// The transaction was refused by the mempool, with the precise reason.
    #[error(transparent)]
    Rejected(#[from] MempoolError),
    /// The node's state is unavailable: a lock was poisoned by a panic elsewhere.
    #[error("node state unavailable: {0} lock poisoned")]
    Poisoned(&'static str),
    /// The chain's storage failed.
    #[error("chain: {0}")]
    Chain(#[from] flux_chain::error::ChainError),
    /// A value could not be encoded.
    #[error(transparent)]
    Codec(#[from] flux_core::error::CodecError),
    /// The chain's parameter history could not be replayed (a node fault: every change was
    /// valid when it executed).
    #[error("parameter history: {0}")]
    Params(#[from] flux_core::error::ParamsError),
    /// The node's books do not add up (a bug: the chain keeps them in range).
    #[error("books: {0}")]
    Amount(#[from] flux_core::error::AmountError),
    /// Binding or serving the listener failed.
    #[error("serving the API: {0}")]
    Io(#[from] std::io::Error),
}

impl ApiError {
    /// A [`ApiError::BadRequest`].
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Rejected(e) => match e {
                MempoolError::Duplicate(_)
                | MempoolError::Stale { .. }
                | MempoolError::NonceGap { .. }
                | MempoolError::ReplacementFeeTooLow { .. } => StatusCode::CONFLICT,
                MempoolError::Full => StatusCode::TOO_MANY_REQUESTS,
                MempoolError::Invalid(_) | MempoolError::InsufficientBalance { .. } => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            },
            ApiError::Poisoned(_)
            | ApiError::Chain(_)
            | ApiError::Codec(_)
            | ApiError::Params(_)
            | ApiError::Amount(_)
            | ApiError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound(_) => "not_found",
            ApiError::BadRequest { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::Unavailable { code, .. } => code,
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::Rejected(e) => rejection_code(e),
            ApiError::Poisoned(_) => "unavailable",
            ApiError::Chain(_)
            | ApiError::Codec(_)
            | ApiError::Params(_)
            | ApiError::Amount(_)
            | ApiError::Io(_) => "internal",
        }
    }

    /// The JSON body of this error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
            },
        }
    }
}

/// The machine-readable reason a transaction was refused: one code per mempool rule, and for
/// transactions invalid on their own, one per transaction rule.
pub fn rejection_code(e: &MempoolError) -> &'static str {
    match e {
        MempoolError::Invalid(tx) => tx_error_code(tx),
        MempoolError::Duplicate(_) => "duplicate",
        MempoolError::Stale { .. } => "stale_nonce",
        MempoolError::NonceGap { .. } => "nonce_gap",
        MempoolError::ReplacementFeeTooLow { .. } => "replacement_fee_too_low",
        MempoolError::InsufficientBalance { .. } => "insufficient_balance",
        MempoolError::Full => "mempool_full",
    }
}

/// The machine-readable code of a transaction rule.
pub fn tx_error_code(e: &TxError) -> &'static str {
    match e {
        TxError::WrongChain { .. } => "wrong_chain",
        TxError::TooLarge { .. } => "tx_too_large",
        TxError::Signature(_) => "bad_signature",
        TxError::BadNonce { .. } => "bad_nonce",
        TxError::InsufficientBalance { .. } => "insufficient_balance",
        TxError::ZeroAmount => "zero_amount",
        TxError::TooManyAttestations { .. } => "too_many_attestations",
        TxError::Node(_) => "node_rule",
        TxError::AppSpec(_) => "bad_app_spec",
        TxError::AppExists(_) => "app_exists",
        TxError::UnknownApp(_) => "unknown_app",
        TxError::NotAppOwner(_) => "not_app_owner",
        TxError::PriceMismatch { .. } => "price_mismatch",
        TxError::BadTitle { .. } => "bad_title",
        TxError::Param(_) => "bad_param",
        TxError::BadAction(_) => "bad_action",
        TxError::NoDeposit { .. } => "no_deposit",
        TxError::UnknownProposal(_) => "unknown_proposal",
        TxError::VotingClosed(_) => "voting_closed",
        TxError::NotInSnapshot { .. } => "not_in_snapshot",
        TxError::NodeNotConfirmed(_) => "node_not_confirmed",
        TxError::NotNodeOwner(_) => "not_node_owner",
        TxError::AlreadyVoted { .. } => "already_voted",
        TxError::Job(_) => "bad_job",
        TxError::Evidence(_) => "bad_evidence",
        TxError::Placement(_) => "placement",
        TxError::Amount(_) => "amount_overflow",
        TxError::Codec(_) => "bad_encoding",
        // A rule added to flux-chain after this list: still refused, with its message.
        #[allow(unreachable_patterns)]
        _ => "invalid_tx",
    }
}

/// The JSON body of every error answer: `{"error":{"code":"...","message":"..."}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The code and message of an error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine-readable reason (`not_found`, `bad_address`, `nonce_gap`, ...).
    pub code: String,
    /// What happened, for people.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status().is_server_error() {
            tracing::warn!(error = %self, "API request failed");
        }
        (self.status(), Json(self.body())).into_response()
    }
}
