//! `flux devnet`: a local network of `fluxd` processes on loopback ([`flux_net::devnet`]),
//! printing each finalised block until Ctrl-C or SIGTERM. With a Docker Engine, its nodes host
//! the sample app (image built from this very binary, run as `flux sample-app`) and the
//! command prints how to reach it through a node's gateway; stopping removes the containers.

use std::io::Write;

use flux_net::devnet::hosting::{build_sample_image, docker, remove_containers};
use flux_net::devnet::{DevnetEvent, Layout, SAMPLE_IMAGE, fluxd_path, terminate, watch};
use flux_net::runtime::DockerRuntime;

use crate::cli::DevnetArgs;
use crate::error::CliError;
use crate::output::Output;

/// Creates (or resumes) the devnet in `args.dir`, runs its validators until Ctrl-C (or
/// SIGTERM), printing each finalised block; then stops them cleanly and removes the
/// containers they ran.
pub fn run<W: Write>(out: &mut Output<W>, args: &DevnetArgs) -> Result<(), CliError> {
    let dir = args.dir.as_path();
    let resumed = Layout::exists(dir);
    let mut layout = Layout::create_or_open(dir, args.validators, args.api_port)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let docker = match runtime.block_on(start_hosting(&mut layout, args)) {
        Ok(docker) => Some(docker),
        Err(why) => {
            layout.set_hosting(None)?;
            let text = format!("hosting is off: {why}; the chain runs without it\n");
            out.emit(&serde_json::json!({ "hosting": "off", "why": why }), &text)?;
            None
        }
    };
    let fluxd = fluxd_path();
    let mut children = Vec::new();
    for i in 0..layout.validators {
        match layout.spawn(i, &fluxd) {
            Ok(child) => children.push(child),
            Err(e) => {
                stop(&children);
                return Err(e.into());
            }
        }
    }
    let intro = format!(
        "{} devnet in {} with {} validators (logs: node<i>/fluxd.log)\n{}",
        if resumed { "resumed" } else { "created" },
        dir.display(),
        layout.validators,
        (0..layout.validators)
            .map(|i| {
                let gateway = layout
                    .gateway_addr(i)
                    .map(|g| format!("  gateway http://{g}/"))
                    .unwrap_or_default();
                format!("  node{i}: {}/v1/status{gateway}", layout.api_url(i))
            })
            .collect::<Vec<_>>()
            .join("\n")
    ) + "\n";
    out.emit(
        &serde_json::json!({ "dir": dir, "validators": layout.validators }),
        &intro,
    )?;
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
    let unclean = stop(&children);
    let mut children_unclean = Vec::new();
    for (i, mut c) in children.into_iter().enumerate() {
        match c.wait() {
            Ok(status) if status.success() => {}
            Ok(status) => children_unclean.push(format!("node{i}: {status}")),
            Err(e) => children_unclean.push(format!("node{i}: {e}")),
        }
    }
    let unclean: Vec<String> = unclean.into_iter().chain(children_unclean).collect();
    let removed = docker
        .as_ref()
        .map(|docker| runtime.block_on(remove_containers(&layout, docker)));
    result?;
    let containers = match removed {
        Some(Ok(n)) => format!("; removed {n} containers"),
        Some(Err(e)) => format!("; could not remove the containers: {e}"),
        None => String::new(),
    };
    let text = if unclean.is_empty() {
        format!(
            "stopped {} validators cleanly{containers}; run again to resume\n",
            layout.validators
        )
    } else {
        format!("stopped; not cleanly: {}{containers}\n", unclean.join(", "))
    };
    out.emit(
        &serde_json::json!({
            "stopped": layout.validators,
            "unclean": unclean,
            "containers": containers.trim_start_matches("; "),
        }),
        &text,
    )
}

/// Turns hosting on when a Docker Engine answers and the sample app's image builds; else why
/// not.
async fn start_hosting(layout: &mut Layout, args: &DevnetArgs) -> Result<DockerRuntime, String> {
    let docker = docker()
        .await
        .map_err(|e| format!("no Docker Engine answers ({e})"))?;
    let gateway = match (args.gateway_port, args.api_port) {
        (Some(g), _) => g,
        (None, 0) => 0,
        (None, api) => api
            .checked_add(2000)
            .ok_or_else(|| format!("no gateway port above --api-port {api}"))?,
    };
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    build_sample_image(&docker, &exe)
        .await
        .map_err(|e| format!("cannot build the sample app's image {SAMPLE_IMAGE}: {e}"))?;
    layout
        .set_hosting(Some(gateway))
        .map_err(|e| e.to_string())?;
    Ok(docker)
}

/// Asks every validator to stop; the ones that could not be signalled.
fn stop(children: &[std::process::Child]) -> Vec<String> {
    children
        .iter()
        .enumerate()
        .filter_map(|(i, c)| terminate(c).err().map(|e| format!("node{i}: {e}")))
        .collect()
}

/// Prints one thing the watch saw.
fn print<W: Write>(out: &mut Output<W>, event: DevnetEvent) -> Result<(), CliError> {
    let text = match event {
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
        DevnetEvent::Serving { curl, url } => {
            let text = format!("the sample app serves ({url}); try:\n  {curl}\n");
            return out.emit(&serde_json::json!({ "serving": url, "curl": curl }), &text);
        }
        DevnetEvent::NotServing(why) => format!("the sample app does not serve: {why}\n"),
    };
    out.emit(&serde_json::json!({ "deploy": text }), &text)
}
