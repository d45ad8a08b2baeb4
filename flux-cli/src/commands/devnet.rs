//! `flux devnet`: a local network of `fluxd` processes on loopback ([`flux_net::devnet`]),
//! printing each finalised block until Ctrl-C or SIGTERM.

use std::io::Write;
use std::path::Path;

use flux_net::devnet::{DevnetEvent, Layout, fluxd_path, terminate, watch};

use crate::error::CliError;
use crate::output::Output;

/// Creates (or resumes) the devnet in `dir`, runs its validators until Ctrl-C (or SIGTERM),
/// printing each finalised block; then stops them cleanly.
pub fn run<W: Write>(
    out: &mut Output<W>,
    dir: &Path,
    validators: usize,
    api_port: u16,
) -> Result<(), CliError> {
    let resumed = Layout::exists(dir);
    let layout = Layout::create_or_open(dir, validators, api_port)?;
    let fluxd = fluxd_path();
    let mut children = Vec::new();
    for i in 0..layout.validators {
        children.push(layout.spawn(i, &fluxd)?);
    }
    let intro = format!(
        "{} devnet in {} with {} validators (logs: node<i>/fluxd.log)\n{}",
        if resumed { "resumed" } else { "created" },
        dir.display(),
        layout.validators,
        (0..layout.validators)
            .map(|i| format!("  node{i}: {}/v1/status", layout.api_url(i)))
            .collect::<Vec<_>>()
            .join("\n")
    ) + "\n";
    out.emit(
        &serde_json::json!({ "dir": dir, "validators": layout.validators }),
        &intro,
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let result = runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(CliError::Runtime)?;
        let stop = async {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        watch(&layout, !resumed, stop, |event| print(out, event)).await
    });
    for c in &children {
        let _ = terminate(c);
    }
    let mut unclean = Vec::new();
    for (i, mut c) in children.into_iter().enumerate() {
        match c.wait() {
            Ok(status) if status.success() => {}
            Ok(status) => unclean.push(format!("node{i}: {status}")),
            Err(e) => unclean.push(format!("node{i}: {e}")),
        }
    }
    result?;
    let text = if unclean.is_empty() {
        format!(
            "stopped {} validators cleanly; run again to resume\n",
            layout.validators
        )
    } else {
        format!("stopped; not cleanly: {}\n", unclean.join(", "))
    };
    out.emit(
        &serde_json::json!({ "stopped": layout.validators, "unclean": unclean }),
        &text,
    )
}

/// Prints one thing the watch saw.
fn print<W: Write>(out: &mut Output<W>, event: DevnetEvent) -> Result<(), CliError> {
    let deploy = match event {
        DevnetEvent::Block(b) => {
            let text = format!(
                "height {:>6}  txs {:>5}  block {}  state {}\n",
                b.height,
                b.txs.len(),
                b.id,
                b.state_root
            );
            return out.emit(&b, &text);
        }
        DevnetEvent::Deployed(id) => format!("deployed the sample app 'hellodevnet' (tx {id})\n"),
        DevnetEvent::DeployFailed(e) => format!("could not deploy the sample app: {e}\n"),
    };
    out.emit(&serde_json::json!({ "deploy": deploy }), &deploy)
}
