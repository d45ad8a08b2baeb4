//! `flux sim`: runs [`flux_net::simulator`] (the network-scale simulator: see its docs for the
//! scenario files and what is checked) with a progress bar, then writes `report.json`, the SVG
//! charts and `report.md` ([`flux_net::simulator::charts`]) to the output directory and prints
//! the totals.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use flux_net::simulator::{self, Mode, Report, Scenario, charts};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::SimArgs;
use crate::error::{CliError, write_file};
use crate::output::Output;

/// Writes `report` as `report.json` in `dir` (pretty JSON, trailing newline).
pub fn write_report(dir: &Path, report: &Report) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    write_file(&dir.join("report.json"), text.as_bytes(), true)
}

/// `flux sim`.
pub fn run<W: Write>(out: &mut Output<W>, args: &SimArgs) -> Result<(), CliError> {
    let scenario = match &args.scenario {
        Some(path) => Scenario::load(path)?,
        None => Scenario::baseline(),
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
    let mode = if args.fast {
        Mode::Fast
    } else {
        Mode::Consensus
    };
    let started = Instant::now();
    let report = simulator::run(args.nodes, args.blocks, scenario, args.seed, mode, |h| {
        if h % 64 == 0 {
            bar.set_position(h);
        }
    })?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    write_report(&args.out, &report)?;
    for (file, text) in charts::report_files(&report)? {
        write_file(&args.out.join(file), text.as_bytes(), false)?;
    }
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
