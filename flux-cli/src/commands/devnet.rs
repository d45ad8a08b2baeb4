//! `flux devnet`: a local network of `fluxd` processes on loopback.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use flux_chain::tx::{AppRegister, TxKind};
use flux_core::{Amount, ChainParams};
use flux_net::api::BlockRef;
use flux_net::api::client::Client;
use flux_nodes::app::AppSpec;

use crate::devnet::{Layout, fluxd_path, terminate};
use crate::error::CliError;
use crate::output::Output;

/// The app the devnet deploys.
const SAMPLE_APP: &str = include_str!("../../assets/devnet-app.json");

fn err(e: impl std::fmt::Display) -> CliError {
    CliError::Devnet(e.to_string())
}

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
        .map_err(err)?;
    let result = runtime.block_on(watch(out, &layout, !resumed));
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
    )?;
    Ok(())
}

/// Prints finalised blocks from node 0 until Ctrl-C or SIGTERM; deploys the sample app once
/// the chain runs.
async fn watch<W: Write>(
    out: &mut Output<W>,
    layout: &Layout,
    deploy: bool,
) -> Result<(), CliError> {
    let client = Client::new(&layout.api_url(0)).map_err(err)?;
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(err)?;
    let mut next = 1u64;
    let mut deployed = !deploy;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            _ = tick.tick() => {}
        }
        let Ok(status) = client.status().await else {
            continue;
        };
        if next == 1 {
            next = status.height.saturating_sub(5).max(1);
        }
        while next <= status.height {
            let Ok(Some(b)) = client.block(BlockRef::Height(next)).await else {
                break;
            };
            let text = format!(
                "height {:>6}  txs {:>5}  block {}  state {}\n",
                b.height,
                b.txs.len(),
                b.id,
                b.state_root
            );
            out.emit(&b, &text)?;
            next += 1;
        }
        if !deployed && status.height >= 2 {
            deployed = true;
            let text = match deploy_sample(&client, layout).await {
                Ok(id) => format!("deployed the sample app 'hellodevnet' (tx {id})\n"),
                Err(e) => format!("could not deploy the sample app: {e}\n"),
            };
            out.emit(&serde_json::json!({ "deploy": text }), &text)?;
        }
    }
    Ok(())
}

async fn deploy_sample(client: &Client, layout: &Layout) -> Result<String, CliError> {
    let key = crate::keyfile::read(&layout.dir.join("keys").join("owner-0.key"))?;
    let params = ChainParams::devnet();
    let spec = AppSpec::from_json_strict(SAMPLE_APP.as_bytes(), &params.apps).map_err(err)?;
    let price = spec.price(&params.apps.prices).map_err(err)?.total;
    let kind = TxKind::AppRegister(AppRegister {
        spec: SAMPLE_APP.to_owned(),
        price,
    });
    let sent = client
        .sign_and_submit(&key, Amount::from_base_units(10_000), kind)
        .await
        .map_err(err)?;
    Ok(sent.id.to_string())
}
