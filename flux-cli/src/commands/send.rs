//! `flux send`, and what every command that sends a transaction shares: a runtime, the node's
//! client, waiting for finality and the report of a sent transaction.

use std::future::Future;
use std::io::Write;
use std::time::Duration;

use flux_chain::tx::{Transfer, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{Address, Network};
use flux_net::api::client::Client;
use flux_net::api::views::TxView;
use flux_net::api::wallet::Sent;
use serde::Serialize;

use crate::cli::{SendArgs, TxOptions};
use crate::error::CliError;
use crate::output::Output;
use flux_net::api::keyfile;

/// Runs `future` to completion on a current-thread runtime.
pub(crate) fn block_on<F: Future>(future: F) -> Result<F::Output, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    Ok(runtime.block_on(future))
}

/// The client of the node at `url`.
pub(crate) fn client(url: &str) -> Result<Client, CliError> {
    Ok(Client::new(url)?)
}

/// An address in bech32m with `network`'s prefix, or as 40 hex digits ([`Address::parse_user`]).
pub(crate) fn parse_address(text: &str, network: Network) -> Result<Address, CliError> {
    Address::parse_user(text, network).map_err(|source| CliError::Address {
        text: text.to_owned(),
        source,
    })
}

/// Signs `kind` with `key` at the sender's next nonce, submits it and, with `--wait`, waits
/// until it is finalised: what every command that sends a transaction does.
pub(crate) async fn submit(
    client: &Client,
    key: &SecretKey,
    options: &TxOptions,
    kind: TxKind,
) -> Result<(Sent, Option<TxView>), CliError> {
    let sent = client.sign_and_submit(key, options.fee, kind).await?;
    if !options.wait {
        return Ok((sent, None));
    }
    let timeout = Duration::from_secs(options.timeout);
    let finalized = client.wait_finalized(&sent.id, timeout).await?;
    Ok((sent, Some(finalized)))
}

/// Where a finalised transaction is.
#[derive(Serialize)]
struct Finalized {
    height: Option<u64>,
    index: Option<u32>,
}

#[derive(Serialize)]
struct SentReport<'a, D: Serialize> {
    kind: &'static str,
    #[serde(flatten)]
    sent: &'a Sent,
    finalized: Option<Finalized>,
    #[serde(flatten)]
    details: D,
}

/// Prints a sent transaction: its id, sender, nonce, fee, the command's `details` (JSON) and
/// `rows` (text), and where it was finalised if waited for.
pub(crate) fn print_sent<W: Write, D: Serialize>(
    out: &mut Output<W>,
    kind: &'static str,
    sent: &Sent,
    finalized: Option<TxView>,
    details: D,
    rows: Vec<(&str, String)>,
) -> Result<(), CliError> {
    let finalized = finalized.map(|v| Finalized {
        height: v.height,
        index: v.index,
    });
    let mut table = vec![
        ("tx", sent.id.to_string()),
        ("sender", sent.sender.clone()),
        ("nonce", sent.nonce.to_string()),
        ("fee", format!("{} FLUX", sent.fee)),
    ];
    table.extend(rows);
    let state = match &finalized {
        Some(f) => format!(
            "finalised at height {}",
            f.height.map_or("?".to_owned(), |h| h.to_string())
        ),
        None => "accepted (pending)".to_owned(),
    };
    table.push(("status", state));
    let text = format!("{kind} sent\n{}", Output::<W>::table(&table));
    let report = SentReport {
        kind,
        sent,
        finalized,
        details,
    };
    out.emit(&report, &text)
}

/// `flux send`: a transfer from the key file's account.
pub fn send<W: Write>(out: &mut Output<W>, args: &SendArgs) -> Result<(), CliError> {
    let key = keyfile::read(&args.key)?;
    let client = client(&args.node.url)?;
    let (sent, to, finalized) = block_on(async {
        let network = client.status().await?.network;
        let to = parse_address(&args.to, network)?;
        let kind = TxKind::Transfer(Transfer {
            to,
            amount: args.amount,
        });
        let (sent, finalized) = submit(&client, &key, &args.tx, kind).await?;
        Ok::<_, CliError>((sent, to.to_bech32(network), finalized))
    })??;
    #[derive(Serialize)]
    struct Details<'a> {
        to: &'a str,
        amount: flux_core::Amount,
    }
    let rows = vec![
        ("to", to.clone()),
        ("amount", format!("{} FLUX", args.amount)),
    ];
    let details = Details {
        to: &to,
        amount: args.amount,
    };
    print_sent(out, "Transfer", &sent, finalized, details, rows)
}
