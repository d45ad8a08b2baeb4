//! `flux bench`: measure this machine and say which node tiers it meets.

use std::io::Write;
use std::path::PathBuf;

use flux_core::{ChainParams, Network, Tier};
use flux_nodes::bench::{self, BenchConfig, BenchReport, TierCheck};
use serde::Serialize;

use crate::cli::BenchArgs;
use crate::error::CliError;
use crate::output::Output;

/// The JSON document.
#[derive(Debug, Serialize)]
struct Document {
    network: Network,
    dir: PathBuf,
    report: BenchReport,
    tiers_met: Vec<Tier>,
    highest_tier: Option<Tier>,
    tiers: Vec<TierCheck>,
}

/// Runs the local benchmark and prints the figures and the tiers met (and, for each tier not
/// met, the minima that fail).
pub fn run<W: Write>(out: &mut Output<W>, args: &BenchArgs) -> Result<(), CliError> {
    let defaults = BenchConfig::default();
    let config = BenchConfig {
        dir: args.dir.clone().unwrap_or(defaults.dir),
        disk_bytes: args.disk_mb.saturating_mul(1024 * 1024),
        bandwidth_mbps: args.bandwidth,
        ..defaults
    };
    let network: Network = args.network.network.into();
    let params = ChainParams::for_network(network);
    let report = bench::measure(&config)?;
    let doc = Document {
        network,
        dir: config.dir,
        tiers_met: report.tiers_met(&params),
        highest_tier: report.highest_tier(&params),
        tiers: report.tier_checks(&params),
        report,
    };
    let text = text(&doc);
    out.emit(&doc, &text)
}

fn text(doc: &Document) -> String {
    let r = &doc.report;
    let hw = &r.hardware;
    let cores_note = match r.cores_source {
        bench::CoresSource::Cpuinfo => "",
        bench::CoresSource::AssumedFromThreads => " (assumed from threads)",
    };
    let bandwidth = if r.bandwidth_declared {
        format!(
            "{} Mbit/s (declared, not measured)",
            hw.resources.bandwidth_mbps
        )
    } else {
        "not declared (use --bandwidth; peers measure it)".to_owned()
    };
    let c = &r.cpu_challenge;
    let mut s = Output::<Vec<u8>>::table(&[
        ("CPU cores", format!("{}{cores_note}", hw.cpu_cores)),
        ("CPU threads", hw.resources.cpu_threads.to_string()),
        (
            "CPU score",
            format!(
                "{} hash steps/s ({} threads x {} steps in {} ms)",
                r.cpu_score, c.threads, c.steps_per_thread, r.cpu_elapsed_ms
            ),
        ),
        ("RAM", format!("{} MB", hw.resources.ram_mb)),
        (
            "SSD available",
            format!("{} GB in {}", hw.resources.ssd_gb, doc.dir.display()),
        ),
        (
            "disk write",
            format!(
                "{} MB/s ({} MiB with fsync)",
                r.disk_write_mbps,
                r.disk_bytes_written / (1024 * 1024)
            ),
        ),
        ("bandwidth", bandwidth),
    ]);
    s.push_str(&format!("\ntiers on {}:\n", doc.network));
    for check in &doc.tiers {
        if check.met {
            s.push_str(&format!("  {:<8} met\n", check.tier.name()));
            continue;
        }
        let missing: Vec<String> = check
            .shortfalls
            .iter()
            .map(|f| format!("{} {} < {}", f.requirement.name(), f.measured, f.required))
            .collect();
        s.push_str(&format!(
            "  {:<8} not met: {}\n",
            check.tier.name(),
            missing.join(", ")
        ));
    }
    s.push_str(&match doc.highest_tier {
        Some(t) => format!("highest tier met: {t}\n"),
        None => "this machine meets no tier\n".to_owned(),
    });
    s
}
