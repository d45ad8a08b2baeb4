//! `flux sim --fast`: a FluxNode network of N nodes driven block by block through the real
//! state transition (`flux_chain::transition`), with a committee that always commits, and
//! invariants checked as it goes. Writes `report.json`, SVG charts (supply and cap, rewards per
//! tier, RAM use per tier, expirations and unplaced instances) and `report.md` to the output
//! directory.
//!
//! The genesis has N confirmed nodes (testnet preset: mainnet's numbers without the 220M
//! FLUX parallel-asset lock, which would leave no room under the cap for 13,500 nodes'
//! collateral) shaped like Flux's network: tiers
//! drawn with the scenario's shares, countries and /16 networks from
//! [`flux_nodes::placement::synthetic`], keys derived from the seed. Each block carries the
//! scenario's activity as signed transactions: app registrations (FluxOS v8 specs with the
//! synthetic generator's sizes, expiring after their `expire`), keep-alive confirms of the
//! living nodes (attested by the verifiers the chain selects; the simulation holds every
//! operator key), nodes that stop confirming (they expire), new nodes that start and confirm.
//!
//! Every block: supply ≤ cap, conservation (everything held equals the supply), no tier over
//! capacity. Every `full_check_interval` blocks and at the end: no node over capacity, every
//! placed instance on a confirmed node with at most one instance of an app per node. A broken
//! invariant stops the run with the height and the seed ([`SimError::Invariant`]).
//!
//! # Scenario files (TOML; every field optional, defaults are the baseline's)
//!
//! ```toml
//! name = "baseline"              # copied into the report
//! tier_shares = [60, 25, 15]     # Cumulus, Nimbus, Stratus weights
//! report_interval = 2880         # blocks per report.json row (one epoch)
//! full_check_interval = 100      # blocks between per-node / per-instance checks
//!
//! [apps]
//! initial = 2000                 # registered in the first blocks, max_per_block at a time
//! per_1000_blocks = 100          # then this many per 1,000 blocks
//! max_per_block = 50
//! expire_min = 5000              # each app's `expire` is drawn in [min, max] blocks
//! expire_max = 88000
//!
//! [churn]
//! stop_permille_per_period = 5   # of the living nodes, per report period, stop keep-alives
//! join_permille_per_period = 5   # of the genesis node count, per period, start and confirm
//! keep_alive_every = 560         # blocks between a node's confirms (500 < x < 640)
//!
//! [[outages]]                    # any number; every node whose geolocation starts with
//! at = 1000                      # `place` stops its keep-alives at `at` (expires <= 640
//! place = "EU_FR"                # blocks later; its instances are re-placed then)
//! ```
//!
//! Scenarios shipped: `flux-cli/scenarios/baseline.toml`, `country-outage.toml`.
//!
//! Not simulated yet (issue 12): compute jobs, exits, network (/16) outages, misbehaving
//! nodes, per-node income histograms, and the run without `--fast` (real consensus).

pub mod activity;
pub mod charts;
pub mod driver;
pub mod error;
pub mod invariants;
pub mod jobs;
pub mod network;
pub mod report;
pub mod scenario;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use driver::Simulation;
pub use error::{SimError, Violation};
pub use report::Report;
pub use scenario::Scenario;

use crate::cli::SimArgs;
use crate::error::CliError;
use crate::output::Output;

/// Runs a simulation of `blocks` blocks and returns its report (no files, no progress bar).
pub fn simulate(
    nodes: u32,
    blocks: u64,
    scenario: Scenario,
    seed: u64,
    mut on_block: impl FnMut(u64),
) -> Result<Report, SimError> {
    let mut sim = Simulation::new(nodes, scenario, seed)?;
    for h in 1..=blocks {
        sim.step()?;
        on_block(h);
    }
    sim.finish()
}

/// Writes `report` as `report.json` in `dir` (pretty JSON, trailing newline).
pub fn write_report(dir: &Path, report: &Report) -> Result<(), SimError> {
    let io = |source| SimError::Io {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    let path = dir.join("report.json");
    std::fs::write(&path, text).map_err(|source| SimError::Io { path, source })
}

/// `flux sim`.
pub fn run<W: Write>(out: &mut Output<W>, args: &SimArgs) -> Result<(), CliError> {
    if !args.fast {
        return Err(SimError::ConsensusNotImplemented.into());
    }
    let scenario = match &args.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::from_toml(scenario::BASELINE)?,
    };
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(args.blocks), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} blocks  {per_sec}  eta {eta}")
    {
        bar.set_style(style);
    }
    let started = Instant::now();
    let report = simulate(args.nodes, args.blocks, scenario, args.seed, |h| {
        if h % 64 == 0 {
            bar.set_position(h);
        }
    })?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    write_report(&args.out, &report)?;
    charts::write_charts(&args.out, &report)?;
    let t = &report.totals;
    let text = Output::<W>::table(&[
        ("blocks", report.blocks.to_string()),
        ("wall time", format!("{secs:.1} s")),
        (
            "blocks/s",
            format!("{:.0}", report.blocks as f64 / secs.max(1e-9)),
        ),
        ("supply", t.supply.to_string()),
        ("emission", t.emission.to_string()),
        ("confirmed nodes", t.nodes.confirmed.to_string()),
        ("expired nodes", t.nodes.expired.to_string()),
        ("apps", t.apps.to_string()),
        ("placed instances", t.placed_instances.to_string()),
        ("unplaced instances", t.unplaced_instances.to_string()),
        ("report", args.out.join("report.json").display().to_string()),
    ]);
    out.emit(&report.totals, &text)
}
