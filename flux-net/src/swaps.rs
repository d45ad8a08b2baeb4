//! Parallel-asset swaps through a node's API, as `flux swap` does them: the arguments checked
//! with the chain's rules before anything is sent ([`parse_destination`], [`burn_statement`]),
//! the committee's attestation awaited ([`Client::wait_swap`], [`Client::attest_burn`]), and the
//! attested burn a swap in sends read back ([`read_attested`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use flux_chain::parallel::{Attestation, BurnStatement, SwapError};
use flux_chain::tx::{SwapIn, TxId};
use flux_core::parallel::{DestinationError, ExternalChain};
use flux_core::{Address, Amount};
use serde::Deserialize;
use thiserror::Error;

use crate::api::client::{Client, ClientError};
use crate::api::views::{AttestationStatusView, BurnView, SwapView};
use crate::api::wait::{WaitError, wait_attested};

/// Why a swap was not sent or not attested.
#[derive(Debug, Error)]
pub enum SwapFlowError {
    /// Asking the node failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A swap the chain would refuse (a destination it refuses, a zero amount, a burn
    /// reference that is empty or too long).
    #[error("refused before sending: {0}")]
    Rule(#[from] SwapError),
    /// An argument that does not parse for the chain it names.
    #[error("--{arg} {text:?}: {reason}")]
    Arg {
        /// The argument.
        arg: &'static str,
        /// Its text.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// A file that is not an attested burn.
    #[error(
        "{path}: not an attested burn (the JSON `flux swap burn --json --wait` prints): {reason}"
    )]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The node knows no such swap out.
    #[error("no swap out {0}")]
    NoSwap(TxId),
    /// The wait gave up before the committee's signatures reached the threshold.
    #[error("{what} is not attested after {secs} s (weight {weight} of {total} signed)")]
    NotAttested {
        /// What was waited for.
        what: String,
        /// Seconds waited.
        secs: u64,
        /// The signers' weight at the end.
        weight: u64,
        /// The committee's weight.
        total: u64,
    },
}

/// The destination's bytes ([`ExternalChain::parse_destination`]).
///
/// ```
/// use flux_net::swaps::parse_destination;
/// use flux_core::parallel::ExternalChain;
///
/// let to = parse_destination(ExternalChain::Ethereum, "0x00112233445566778899aabbccddeeff00112233")?;
/// assert_eq!(to.len(), 20);
/// assert!(parse_destination(ExternalChain::Ethereum, "0x0011").is_err());
/// # Ok::<(), flux_net::swaps::SwapFlowError>(())
/// ```
pub fn parse_destination(chain: ExternalChain, text: &str) -> Result<Vec<u8>, SwapFlowError> {
    chain.parse_destination(text).map_err(|e| match e {
        DestinationError::NotHex(_) => SwapFlowError::Arg {
            arg: "to",
            text: text.to_owned(),
            reason: e.to_string(),
        },
        DestinationError::Rule(e) => SwapFlowError::Rule(SwapError::from(e)),
    })
}

/// The burn of `amount` on `chain` (its transaction `reference`, hex with or without `0x`) for
/// `recipient`, checked by the chain's rule ([`BurnStatement::check`]).
pub fn burn_statement(
    chain: ExternalChain,
    reference: &str,
    amount: Amount,
    recipient: Address,
) -> Result<BurnStatement, SwapFlowError> {
    let hex = reference.strip_prefix("0x").unwrap_or(reference);
    let burn = BurnStatement {
        chain,
        reference: flux_core::hex::decode(hex).map_err(|e| SwapFlowError::Arg {
            arg: "reference",
            text: reference.to_owned(),
            reason: format!("not hex: {e}"),
        })?,
        amount,
        recipient,
    };
    burn.check()?;
    Ok(burn)
}

/// Polls `ask` until the attestation it reports is complete ([`wait_attested`]).
async fn attested<T>(
    what: String,
    timeout: Duration,
    ask: impl AsyncFnMut() -> Result<T, SwapFlowError>,
    status: impl Fn(&T) -> Option<&AttestationStatusView>,
) -> Result<T, SwapFlowError> {
    wait_attested(timeout, ask, status)
        .await
        .map_err(|e| match e {
            WaitError::Ask(e) => e,
            WaitError::TimedOut {
                secs,
                progress: (weight, total),
            } => SwapFlowError::NotAttested {
                what,
                secs,
                weight,
                total,
            },
        })
}

impl Client {
    /// The swap out `id` ([`SwapFlowError::NoSwap`] if the node knows none); with `wait`, once
    /// the committee's signatures carry the threshold (giving up after that long).
    pub async fn wait_swap(
        &self,
        id: &TxId,
        wait: Option<Duration>,
    ) -> Result<SwapView, SwapFlowError> {
        let fetch = async || self.swap(id).await?.ok_or(SwapFlowError::NoSwap(*id));
        let Some(timeout) = wait else {
            return fetch().await;
        };
        let what = format!("swap {id}");
        attested(what, timeout, fetch, |v: &SwapView| v.status.as_ref()).await
    }

    /// Asks the committee to attest `burn`; with `wait`, asks again until its signatures carry
    /// the threshold (each ask reaches members that joined since: the node asks once per
    /// height).
    pub async fn attest_burn(
        &self,
        burn: &BurnStatement,
        wait: Option<Duration>,
    ) -> Result<BurnView, SwapFlowError> {
        let first = self.request_burn(burn).await?;
        let Some(timeout) = wait else {
            return Ok(first);
        };
        let reference = flux_core::hex::encode(&burn.reference);
        let what = format!("the burn {reference} on {}", burn.chain);
        let ask = async || Ok(self.request_burn(burn).await?);
        attested(what, timeout, ask, |v: &BurnView| v.status.as_ref()).await
    }
}

/// What a swap in reads: a burn and its attestation (a [`BurnView`] has both).
#[derive(Deserialize)]
struct AttestedBurn {
    burn: BurnStatement,
    attestation: Option<Attestation>,
}

/// The swap in of the attested burn in `bytes` (JSON, as `flux swap burn --json --wait` prints
/// it), read from `path`.
pub fn read_attested(path: &Path, bytes: &[u8]) -> Result<SwapIn, SwapFlowError> {
    let bad = |reason: String| SwapFlowError::File {
        path: path.to_owned(),
        reason,
    };
    let file: AttestedBurn = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    let attestation = file.attestation.ok_or_else(|| {
        bad("no attestation yet (the committee's signatures are still below the threshold)".into())
    })?;
    Ok(SwapIn {
        burn: file.burn,
        attestation,
    })
}
