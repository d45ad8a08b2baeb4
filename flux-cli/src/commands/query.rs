//! Queries of a node's API: `flux balance`, `flux tx`, `flux block`.

use std::io::Write;

use flux_chain::tx::TxId;
use flux_net::api::BlockRef;

use super::send::{block_on, client};
use crate::cli::{BalanceArgs, BlockArgs, TxArgs};
use crate::error::CliError;
use crate::output::Output;

fn not_found(what: &'static str, id: String) -> CliError {
    CliError::NotFound { what, id }
}

/// `flux balance ADDRESS`.
pub fn balance<W: Write>(out: &mut Output<W>, args: &BalanceArgs) -> Result<(), CliError> {
    let client = client(&args.node.url)?;
    let account = block_on(client.account(&args.address))??;
    let text = format!(
        "{}: {} FLUX (next nonce {}, height {})\n",
        account.address, account.balance, account.nonce, account.height
    );
    out.emit(&account, &text)
}

/// `flux tx ID`: a finalised or pending transaction.
pub fn tx<W: Write>(out: &mut Output<W>, args: &TxArgs) -> Result<(), CliError> {
    let client = client(&args.node.url)?;
    let id = TxId(args.id);
    let view =
        block_on(client.tx(&id))??.ok_or_else(|| not_found("transaction", id.to_string()))?;
    let mut rows = vec![
        ("tx", view.id.to_string()),
        ("status", format!("{:?}", view.status).to_lowercase()),
        ("kind", view.kind.clone()),
        ("sender", view.sender.clone()),
        ("nonce", view.tx.nonce.to_string()),
        ("fee", format!("{} FLUX", view.tx.fee)),
    ];
    if let (Some(h), Some(i)) = (view.height, view.index) {
        rows.push(("block", format!("height {h}, index {i}")));
    }
    if let Some(r) = &view.receipt {
        rows.push(("events", r.events.len().to_string()));
    }
    out.emit(&view, &Output::<W>::table(&rows))
}

/// `flux block HEIGHT|latest`.
pub fn block<W: Write>(out: &mut Output<W>, args: &BlockArgs) -> Result<(), CliError> {
    let client = client(&args.node.url)?;
    let at = args.height;
    let view = block_on(client.block(at))??.ok_or_else(|| {
        let id = match at {
            BlockRef::Height(h) => h.to_string(),
            BlockRef::Latest => "latest (the chain has no block yet)".to_owned(),
        };
        not_found("block", id)
    })?;
    let certificate = view.certificate.as_ref().map_or("none".to_owned(), |c| {
        format!("round {}, {} precommits", c.round, c.precommits.len())
    });
    let rows = vec![
        ("height", view.height.to_string()),
        ("id", view.id.to_string()),
        ("parent", view.parent.to_string()),
        ("timestamp_ms", view.timestamp_ms.to_string()),
        ("proposer", view.proposer_address.clone()),
        ("state_root", view.state_root.to_string()),
        ("txs", view.txs.len().to_string()),
        ("certificate", certificate),
    ];
    let mut text = Output::<W>::table(&rows);
    for id in &view.txs {
        text.push_str(&format!("  {id}\n"));
    }
    out.emit(&view, &text)
}
