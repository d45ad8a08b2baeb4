//! `flux swap ...` and `flux supply`: parallel assets through a node's API (SPEC "Parallel
//! assets").
//!
//! A swap out is checked before anything is sent (a positive amount, a destination address the
//! chain accepts for that chain); `flux swap status` then shows the committee's signatures as
//! the node collects them and, once they carry the threshold, the attestation with the EVM
//! digest and each signer's Ethereum address: the inputs of the destination contract's call.
//! A swap in goes the other way: `flux swap burn` asks the committee to attest a burn it sees
//! on the other chain, and `flux swap in` sends the attested burn.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use flux_chain::parallel::{Attestation, BurnStatement, MAX_REFERENCE_LEN, SwapError};
use flux_chain::tx::{SwapIn, SwapOut, TxKind, check_swap_out};
use flux_core::parallel::{DestinationError, ExternalChain};
use flux_net::api::client::Client;
use flux_net::api::views::{AttestationStatusView, BurnView, SupplyView, SwapView};
use flux_net::api::wait::{self, WaitError};
use serde::{Deserialize, Serialize};

use super::send::{block_on, client, parse_address, print_sent, submit};
use crate::cli::{SupplyArgs, SwapBurnArgs, SwapInArgs, SwapOutArgs, SwapStatusArgs};
use crate::error::CliError;
use crate::output::Output;
use flux_net::api::keyfile;

/// The destination's bytes ([`ExternalChain::parse_destination`]).
///
/// ```
/// use flux_cli::commands::swap::parse_destination;
/// use flux_core::parallel::ExternalChain;
///
/// let to = parse_destination(ExternalChain::Ethereum, "0x00112233445566778899aabbccddeeff00112233")?;
/// assert_eq!(to.len(), 20);
/// assert!(parse_destination(ExternalChain::Ethereum, "0x0011").is_err());
/// # Ok::<(), flux_cli::error::CliError>(())
/// ```
pub fn parse_destination(chain: ExternalChain, text: &str) -> Result<Vec<u8>, CliError> {
    chain.parse_destination(text).map_err(|e| match e {
        DestinationError::NotHex(_) => CliError::SwapArg {
            arg: "to",
            text: text.to_owned(),
            reason: e.to_string(),
        },
        DestinationError::Rule(e) => CliError::SwapRule(SwapError::from(e)),
    })
}

/// Polls `ask` until the attestation it reports is complete ([`wait::wait_attested`]).
async fn wait_attested<T>(
    what: String,
    timeout: Duration,
    ask: impl AsyncFnMut() -> Result<T, CliError>,
    status: impl Fn(&T) -> Option<&AttestationStatusView>,
) -> Result<T, CliError> {
    wait::wait_attested(timeout, ask, status)
        .await
        .map_err(|e| match e {
            WaitError::Ask(e) => e,
            WaitError::TimedOut {
                secs,
                progress: (weight, total),
            } => CliError::AttestTimeout {
                what,
                secs,
                weight,
                total,
            },
        })
}

async fn fetch_swap(client: &Client, id: &flux_chain::tx::TxId) -> Result<SwapView, CliError> {
    client.swap(id).await?.ok_or_else(|| CliError::NotFound {
        what: "swap out",
        id: id.to_string(),
    })
}

/// The rows of an attestation's status.
fn status_rows(status: Option<&AttestationStatusView>) -> Vec<(&'static str, String)> {
    let Some(s) = status else {
        return vec![("attestation", "no signatures yet".to_owned())];
    };
    let mut rows = vec![
        (
            "attestation",
            format!(
                "{} (epoch {}: weight {} of {} signed, needs more than {})",
                if s.attested { "complete" } else { "collecting" },
                s.epoch,
                s.weight,
                s.total_weight,
                s.threshold
            ),
        ),
        ("signers", s.signers.len().to_string()),
    ];
    for signer in &s.signers {
        let who = signer
            .eth_address
            .clone()
            .unwrap_or_else(|| signer.node.to_string());
        rows.push(("  signer", format!("{who} (weight {})", signer.weight)));
    }
    rows
}

fn swap_text(view: &SwapView) -> String {
    let mut rows = vec![
        ("swap", view.id.to_string()),
        ("from", view.from.clone()),
        ("chain", view.chain.to_string()),
        ("to", view.to.clone()),
        ("amount", format!("{} FLUX", view.amount)),
        ("locked at", format!("height {}", view.height)),
        ("scheme", view.scheme.clone()),
    ];
    if let Some(d) = &view.evm_digest {
        rows.push(("evm digest", format!("0x{d}")));
    }
    rows.extend(status_rows(view.status.as_ref()));
    Output::<Vec<u8>>::table(&rows)
}

/// `flux swap out`.
pub fn out<W: Write>(out: &mut Output<W>, args: &SwapOutArgs) -> Result<(), CliError> {
    let swap = SwapOut {
        chain: args.chain,
        to: parse_destination(args.chain, &args.to)?,
        amount: args.amount,
    };
    check_swap_out(&swap).map_err(CliError::SwapRule)?;
    let key = keyfile::read(&args.key)?;
    let client = client(&args.node.url)?;
    let kind = TxKind::SwapOut(swap);
    let (sent, finalized, swap) = block_on(async {
        let (sent, finalized) = submit(&client, &key, &args.tx, kind).await?;
        let swap = match &finalized {
            Some(_) => {
                let timeout = Duration::from_secs(args.tx.timeout);
                let what = format!("swap {}", sent.id);
                let id = sent.id;
                let view = wait_attested(
                    what,
                    timeout,
                    async || fetch_swap(&client, &id).await,
                    |v: &SwapView| v.status.as_ref(),
                )
                .await?;
                Some(view)
            }
            None => None,
        };
        Ok::<_, CliError>((sent, finalized, swap))
    })??;
    #[derive(Serialize)]
    struct Details<'a> {
        chain: ExternalChain,
        to: &'a str,
        amount: flux_core::Amount,
        swap: Option<SwapView>,
    }
    let mut rows = vec![
        ("chain", args.chain.to_string()),
        ("to", args.to.clone()),
        ("amount", format!("{} FLUX", args.amount)),
    ];
    if let Some(view) = &swap {
        rows.extend(status_rows(view.status.as_ref()));
    }
    let details = Details {
        chain: args.chain,
        to: &args.to,
        amount: args.amount,
        swap,
    };
    print_sent(out, "SwapOut", &sent, finalized, details, rows)
}

/// `flux swap status`.
pub fn status<W: Write>(out: &mut Output<W>, args: &SwapStatusArgs) -> Result<(), CliError> {
    let client = client(&args.node.url)?;
    let id = flux_chain::tx::TxId(args.id);
    let view = block_on(async {
        if args.wait {
            wait_attested(
                format!("swap {id}"),
                Duration::from_secs(args.timeout),
                async || fetch_swap(&client, &id).await,
                |v: &SwapView| v.status.as_ref(),
            )
            .await
        } else {
            fetch_swap(&client, &id).await
        }
    })??;
    let text = swap_text(&view);
    out.emit(&view, &text)
}

/// `flux swap burn`.
pub fn burn<W: Write>(out: &mut Output<W>, args: &SwapBurnArgs) -> Result<(), CliError> {
    if args.amount.is_zero() {
        return Err(CliError::SwapRule(SwapError::ZeroAmount));
    }
    let reference =
        flux_core::hex::decode(args.reference.strip_prefix("0x").unwrap_or(&args.reference))
            .map_err(|e| CliError::SwapArg {
                arg: "reference",
                text: args.reference.clone(),
                reason: format!("not hex: {e}"),
            })?;
    if reference.is_empty() || reference.len() > MAX_REFERENCE_LEN {
        return Err(CliError::SwapRule(SwapError::BadReference {
            len: reference.len(),
            max: MAX_REFERENCE_LEN,
        }));
    }
    let client = client(&args.node.url)?;
    let view = block_on(async {
        let network = client.status().await?.network;
        let burn = BurnStatement {
            chain: args.chain,
            reference,
            amount: args.amount,
            recipient: parse_address(&args.to, network)?,
        };
        let first = client.request_burn(&burn).await?;
        if !args.wait {
            return Ok::<_, CliError>(first);
        }
        wait_attested(
            format!("the burn {} on {}", args.reference, args.chain),
            Duration::from_secs(args.timeout),
            async || {
                // Each ask reaches members that joined since (the node asks once per height).
                let view = client.request_burn(&burn).await?;
                Ok(view)
            },
            |v: &BurnView| v.status.as_ref(),
        )
        .await
    })??;
    let mut rows = vec![
        ("chain", view.burn.chain.to_string()),
        ("reference", flux_core::hex::encode(&view.burn.reference)),
        ("amount", format!("{} FLUX", view.burn.amount)),
    ];
    rows.extend(status_rows(view.status.as_ref()));
    let text = Output::<Vec<u8>>::table(&rows);
    out.emit(&view, &text)
}

/// What `flux swap in` reads: a burn and its attestation (a [`BurnView`] has both).
#[derive(Deserialize)]
struct AttestedBurn {
    burn: BurnStatement,
    attestation: Option<Attestation>,
}

/// Reads an attested burn from `path`.
fn read_attested(path: &Path) -> Result<SwapIn, CliError> {
    let bytes = crate::error::read_file(path)?;
    let bad = |reason: String| CliError::SwapFile {
        path: path.to_owned(),
        reason,
    };
    let file: AttestedBurn = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    let attestation = file.attestation.ok_or_else(|| {
        bad("no attestation yet (the committee's signatures are still below the threshold)".into())
    })?;
    Ok(SwapIn {
        burn: file.burn,
        attestation,
    })
}

/// `flux swap in`.
pub fn swap_in<W: Write>(out: &mut Output<W>, args: &SwapInArgs) -> Result<(), CliError> {
    let swap = read_attested(&args.file)?;
    let key = keyfile::read(&args.key)?;
    let client = client(&args.node.url)?;
    let (burn, signers) = (swap.burn.clone(), swap.attestation.signatures.len());
    let (sent, finalized, recipient) = block_on(async {
        let network = client.status().await?.network;
        let recipient = burn.recipient.to_bech32(network);
        let (sent, finalized) = submit(&client, &key, &args.tx, TxKind::SwapIn(swap)).await?;
        Ok::<_, CliError>((sent, finalized, recipient))
    })??;
    #[derive(Serialize)]
    struct Details<'a> {
        chain: ExternalChain,
        reference: String,
        amount: flux_core::Amount,
        recipient: &'a str,
        signers: usize,
    }
    let reference = flux_core::hex::encode(&burn.reference);
    let rows = vec![
        ("chain", burn.chain.to_string()),
        ("reference", reference.clone()),
        ("amount", format!("{} FLUX", burn.amount)),
        ("recipient", recipient.clone()),
        ("signers", signers.to_string()),
    ];
    let details = Details {
        chain: burn.chain,
        reference,
        amount: burn.amount,
        recipient: &recipient,
        signers,
    };
    print_sent(out, "SwapIn", &sent, finalized, details, rows)
}

fn supply_text(view: &SupplyView) -> String {
    let mut text = Output::<Vec<u8>>::table(&[
        ("height", view.height.to_string()),
        ("cap", format!("{} FLUX", view.cap)),
        ("total", format!("{} FLUX", view.total)),
        ("native", format!("{} FLUX", view.native)),
        ("locked", format!("{} FLUX", view.locked)),
        ("issued", format!("{} FLUX", view.issued)),
        ("reserve left", format!("{} FLUX", view.reserve_left)),
    ]);
    text.push_str(&format!(
        "\n{:<10} {:>24} {:>24} {:>24}\n",
        "chain", "locked", "issued", "genesis reserve"
    ));
    for c in &view.chains {
        text.push_str(&format!(
            "{:<10} {:>24} {:>24} {:>24}\n",
            c.chain.to_string(),
            c.locked.to_string(),
            c.issued.to_string(),
            c.genesis_reserve.to_string()
        ));
    }
    text
}

/// `flux supply`.
pub fn supply<W: Write>(out: &mut Output<W>, args: &SupplyArgs) -> Result<(), CliError> {
    let client = client(&args.node.url)?;
    let view = block_on(async { client.supply().await })??;
    let text = supply_text(&view);
    out.emit(&view, &text)
}
