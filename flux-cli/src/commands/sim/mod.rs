//! `flux sim --fast`: a FluxNode network of N nodes driven block by block through the real
//! state transition (`flux_chain::transition`), with a committee that always commits, and
//! invariants checked as it goes. Writes `report.json`, SVG charts (supply and cap, rewards per
//! tier, RAM use per tier, expirations, healing of displaced instances, per-node income by
//! tier) and `report.md` to the output directory.
//!
//! The genesis has N confirmed nodes (testnet preset: mainnet's numbers without the 220M
//! FLUX parallel-asset lock, which would leave no room under the cap for 13,500 nodes'
//! collateral) shaped like Flux's network: tiers drawn with the scenario's shares, countries
//! and /16 networks from [`flux_nodes::placement::synthetic`], keys derived from the seed. Each
//! block carries the scenario's activity as transactions: app registrations (FluxOS v8 specs
//! with the synthetic generator's sizes, expiring after their `expire`), keep-alive confirms
//! of the living nodes, nodes that stop confirming (they expire), new nodes that start and
//! confirm, hosting reports ([`hosting`]), compute jobs with their commits and reveals
//! (cheaters reveal wrong results), equivocation evidence ([`jobs`]).
//!
//! # How a year fits in minutes
//!
//! - Every key lives in this process, so a signature proves nothing: transactions carry
//!   placeholder signatures and confirms no peer attestations ([`activity::Signing::Assumed`]),
//!   and blocks are built under [`flux_chain::transition::Verification::AssumeValid`], which
//!   skips exactly the signature checks; every other rule of the transition runs.
//! - Each block is executed once: [`flux_chain::transition::build_block_with`] returns the
//!   diff the builder computed, and the simulation commits it (no second apply).
//! - App escrows settle lazily in the transition (on a host change, an update, the app's end,
//!   and every epoch), so a block touches only what happened in it; the state root is still
//!   computed every block.
//! - The invariants cost O(what the block changed) per block (see [`invariants`]); the full
//!   O(state) recount runs every `full_check_interval` blocks and at the end.
//!
//! Every block: supply ≤ cap, conservation (everything held, tracked from the diffs, equals the
//! supply), no tier over capacity, and for what changed, no node over capacity and every placed
//! instance on a distinct confirmed node. Every `full_check_interval` blocks and at the end, the
//! same from scratch over the whole state. A broken invariant stops the run with the height and
//! the seed ([`SimError::Invariant`]).
//!
//! # Scenario files (TOML; every field optional, defaults are the baseline's)
//!
//! ```toml
//! name = "baseline"              # copied into the report
//! tier_shares = [60, 25, 15]     # Cumulus, Nimbus, Stratus weights
//! report_interval = 2880         # blocks per report.json row (one epoch)
//! full_check_interval = 2880     # blocks between full (O(state)) invariant checks
//!
//! [apps]
//! initial = 2000                 # registered in the first blocks, max_per_block at a time
//! per_1000_blocks = 100          # then this many per 1,000 blocks
//! max_per_block = 50
//! expire_min = 5000              # each app's `expire` is drawn in [min, max] blocks
//! expire_max = 88000
//!
//! [churn]
//! stop_permille_per_period = 1   # of the living nodes, per report period, stop keep-alives
//! join_permille_per_period = 1   # of the genesis node count, per period, start and confirm
//! keep_alive_every = 560         # blocks between a node's confirms (500 < x < 640)
//!
//! [jobs]
//! per_1000_blocks = 0            # compute jobs (echo module) submitted by the treasury
//! input_bytes = 256              # random input of each
//! fuel = 1000000                 # fuel limit of each
//! fee_base_units = 10000000      # fee of each (at least the chain's min_job_fee)
//! cheaters = 0                   # genesis nodes that reveal wrong results
//! cheat_permille = 1000          # how often they do
//!
//! [hosting]
//! reports = false                # hosting nodes report every hosting_window blocks: their
//!                                # hosted resources earn work units from the useful-work pool
//!                                # (without, the pool pays job work only; about 2x slower)
//!
//! [[outages]]                    # any number; every node whose geolocation starts with
//! at = 1000                      # `place` stops its keep-alives at `at` (expires <= 640
//! place = "EU_FR"                # blocks later; its instances are re-placed then), or
//!                                # `network = "23.7"`: every node of that /16 (endpoint
//!                                # 23.7.x.y) instead of a place
//!
//! [[equivocations]]              # any number; at `at`, `nodes` living nodes sign two
//! at = 10000                     # different prevotes for the previous height and are
//! nodes = 1                      # reported (and slashed)
//! ```
//!
//! Scenarios shipped in `flux-cli/scenarios/`: `baseline.toml`, `country-outage.toml`,
//! `cheating-workers.toml`, `growth.toml` (each commented).
//!
//! Without `--fast`, the real consensus runs among a committee of the first K nodes (at most
//! the committee size) over flux-net's deterministic simulated network ([`consensus`]), with
//! the scenario's equivocations; the report has the same format plus a `consensus` section.
//!
//! Not simulated yet (issue 12): node exits, and in the consensus run any activity besides
//! equivocation.

pub mod activity;
pub mod charts;
pub mod consensus;
pub mod driver;
pub mod error;
pub mod hosting;
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
    let report = if args.fast {
        simulate(args.nodes, args.blocks, scenario, args.seed, |h| {
            if h % 64 == 0 {
                bar.set_position(h);
            }
        })?
    } else {
        // Real consensus: a committee of the first K nodes (at most the committee size).
        let k = args.nodes.clamp(1, consensus::max_validators());
        consensus::simulate_consensus(k, args.blocks, &scenario, args.seed)?
    };
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
