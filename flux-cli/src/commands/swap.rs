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
use std::time::Duration;

use flux_chain::tx::{SwapOut, TxKind, check_swap_out};
use flux_core::parallel::ExternalChain;
use flux_net::api::keyfile;
use flux_net::api::views::{AttestationStatusView, SupplyView, SwapView};
use flux_net::swaps::{self, SwapFlowError, burn_statement, parse_destination};
use serde::Serialize;

use super::send::{block_on, client, parse_address, print_sent, submit};
use crate::cli::{SupplyArgs, SwapBurnArgs, SwapInArgs, SwapOutArgs, SwapStatusArgs};
use crate::error::CliError;
use crate::output::Output;

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
    check_swap_out(&swap).map_err(SwapFlowError::from)?;
    let key = keyfile::read(&args.key)?;
    let client = client(&args.node.url)?;
    let kind = TxKind::SwapOut(swap);
    let (sent, finalized, swap) = block_on(async {
        let (sent, finalized) = submit(&client, &key, &args.tx, kind).await?;
        let swap = match &finalized {
            Some(_) => {
                let wait = Some(Duration::from_secs(args.tx.timeout));
                Some(client.wait_swap(&sent.id, wait).await?)
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
    let wait = args.wait.then(|| Duration::from_secs(args.timeout));
    let view = block_on(client.wait_swap(&flux_chain::tx::TxId(args.id), wait))??;
    let text = swap_text(&view);
    out.emit(&view, &text)
}

/// `flux swap burn`.
pub fn burn<W: Write>(out: &mut Output<W>, args: &SwapBurnArgs) -> Result<(), CliError> {
    let client = client(&args.node.url)?;
    let view = block_on(async {
        let network = client.status().await?.network;
        let to = parse_address(&args.to, network)?;
        let burn = burn_statement(args.chain, &args.reference, args.amount, to)?;
        let wait = args.wait.then(|| Duration::from_secs(args.timeout));
        Ok::<_, CliError>(client.attest_burn(&burn, wait).await?)
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

/// `flux swap in`.
pub fn swap_in<W: Write>(out: &mut Output<W>, args: &SwapInArgs) -> Result<(), CliError> {
    let swap = swaps::read_attested(&args.file, &crate::error::read_file(&args.file)?)?;
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
