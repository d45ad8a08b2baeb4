//! `flux bench-tx`: a transaction load against a node ([`flux_net::api::load`] does the work).

use std::io::Write;
use std::time::Duration;

use flux_core::crypto::SecretKey;
use flux_net::api::load::{self, LoadConfig, LoadReport};

use super::send::client;
use crate::cli::BenchTxArgs;
use crate::error::CliError;
use crate::output::Output;
use flux_net::api::keyfile;

/// How long funding the extra accounts may take.
const FUNDING_TIMEOUT: Duration = Duration::from_secs(120);

/// The run's configuration from the arguments.
pub fn config(args: &BenchTxArgs) -> LoadConfig {
    let mut config = LoadConfig::new(args.rate, Duration::from_secs(args.duration));
    config.fee = args.fee;
    config.amount = args.amount;
    config.settle = Duration::from_secs(args.settle);
    config
}

/// Sends the load and prints the report.
pub fn run<W: Write>(out: &mut Output<W>, args: &BenchTxArgs) -> Result<(), CliError> {
    let keys = args
        .keys
        .iter()
        .map(|p| keyfile::read(p))
        .collect::<Result<Vec<SecretKey>, _>>()?;
    let client = client(&args.node.url)?;
    let config = config(args);
    // Two workers: signing and the tracker keep up with the senders at high rates.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let report = runtime.block_on(async {
        let senders = match (args.accounts, keys.first()) {
            (Some(n), Some(seed)) => {
                let accounts = load::derive_accounts(seed, n)?;
                let each = config.budget_per_sender(n);
                load::fund(&client, &keys, &accounts, each, config.fee, FUNDING_TIMEOUT).await?;
                accounts
            }
            _ => keys,
        };
        load::run(&client, senders, &config).await
    })?;
    out.emit(&report, &text(&report))
}

/// The report for people.
pub fn text(r: &LoadReport) -> String {
    let rejected: u64 = r.rejected.values().sum();
    let reasons = r
        .rejected
        .iter()
        .map(|(code, n)| format!("{code} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut text = format!(
        "bench-tx against {}: {} sender(s), target {} tx/s\n\
         submitted {}, accepted {} ({:.1}/s over {:.1} s), rejected {}{}\n\
         finalised {} ({:.1}/s), heights {}..={}\n",
        r.node,
        r.senders,
        r.target_rate,
        r.submitted,
        r.accepted,
        r.accepted_per_second,
        r.send_seconds,
        rejected,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({reasons})")
        },
        r.finalized,
        r.finalized_per_second,
        r.start_height + 1,
        r.end_height,
    );
    match &r.finality_ms {
        Some(p) => text.push_str(&format!(
            "time to finality: p50 {} ms, p90 {} ms, p99 {} ms, max {} ms\n",
            p.p50, p.p90, p.p99, p.max
        )),
        None => text.push_str("time to finality: no transaction finalised\n"),
    }
    text
}
