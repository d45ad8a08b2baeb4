//! `fluxd --data-dir D [--config fluxd.toml]`: runs a node until SIGINT or SIGTERM, then stops
//! it cleanly (the block being written is finished and the database closed). While the node
//! catches up with the network ([`flux_net::sync_progress`]) it shows a progress bar on a
//! terminal (a log line every few seconds otherwise). Once started it writes the addresses it listens on to `D/fluxd.addrs`
//! ([`flux_net::devnet::Addresses`]: the ports the OS chose when the config asks for port 0),
//! and removes the file when it stops cleanly.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use flux_net::devnet::Addresses;
use flux_net::node::{DataDir, Node, NodeConfig, NodeError};
use flux_net::sync_progress::{SyncProgress, SyncState};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// fluxd: run a flux node.
#[derive(Debug, Parser)]
#[command(name = "fluxd", version, about)]
pub struct FluxdArgs {
    /// The node's directory: chain database, network key, and by default its config.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The config file (default: DATA_DIR/fluxd.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Shows `state` on the sync bar (on standard error; hidden when it is not a terminal): set up
/// when a sync starts, so its first frame shows where the node starts from, cleared when done.
fn draw(bar: &mut Option<ProgressBar>, state: SyncState) {
    let SyncState::Syncing { height, target } = state else {
        if let Some(bar) = bar.take() {
            bar.finish_and_clear();
        }
        return;
    };
    let bar = bar.get_or_insert_with(|| {
        let mut bar = ProgressBar::hidden().with_position(height);
        bar.set_length(target);
        let template = "syncing [{bar:40}] {pos}/{len} blocks, {per_sec}, eta {eta}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar = bar.with_style(style.progress_chars("=> "));
        }
        bar.reset_eta();
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar
    });
    bar.set_length(target);
    bar.set_position(height);
}

async fn run(config: NodeConfig) -> Result<(), NodeError> {
    let data_dir = config.data_dir.clone();
    let addresses_file = DataDir::new(&data_dir).addresses();
    // A file left by a run that did not stop cleanly names ports that may be gone.
    let _ = std::fs::remove_file(&addresses_file);
    let node = Node::start(config).await?;
    if let Some(addr) = node.api_addr() {
        tracing::info!(api = %addr, peer = %node.p2p().local_peer_id(), "node started");
    }
    Addresses::of(&node).write(&data_dir)?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|source| NodeError::Io {
            path: "SIGTERM handler".into(),
            source,
        })?;
    let mut watch = tokio::time::interval(std::time::Duration::from_millis(500));
    let (mut progress, mut bar) = (SyncProgress::default(), None);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            _ = watch.tick() => {
                if !node.is_running() {
                    tracing::error!("the consensus host stopped");
                    break;
                }
                let (metrics, now) = (node.metrics(), Instant::now());
                let state = progress.update(metrics.height(), metrics.network_height(), now);
                draw(&mut bar, state);
                let drawn = bar.as_ref().is_some_and(|b| !b.is_hidden());
                match state {
                    SyncState::Syncing { height, target } if !drawn && progress.log_due(now) => {
                        tracing::info!(height, target, "syncing");
                    }
                    SyncState::CaughtUp { blocks, secs } => {
                        tracing::info!(blocks, secs, "caught up with the network");
                    }
                    _ => {}
                }
            }
        }
    }
    tracing::info!("stopping");
    let _ = std::fs::remove_file(&addresses_file);
    node.shutdown().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Runs `fluxd` with `args`; returns the exit code.
pub fn main<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match FluxdArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,libp2p=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
    let config = match NodeConfig::load(&args.data_dir, args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fluxd: {e}");
            return 1;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fluxd: {e}");
            return 1;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("fluxd: {e}");
            1
        }
    }
}
