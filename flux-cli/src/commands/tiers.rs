//! `flux tiers`: the node tier table of a network preset.

use std::io::Write;

use flux_core::params::NodeReserve;
use flux_core::{Amount, ChainParams, Network, Tier};
use serde::Serialize;

use crate::error::CliError;
use crate::output::Output;

/// One tier's row.
#[derive(Debug, Serialize)]
struct Row {
    tier: Tier,
    collateral: Amount,
    cpu_cores: u32,
    cpu_threads: u32,
    ram_mb: u64,
    ssd_gb: u64,
    bandwidth_mbps: u32,
    /// Fixed point: collateral / `vote_weight_unit`.
    vote_weight: u64,
    reserve: NodeReserve,
}

/// The JSON document.
#[derive(Debug, Serialize)]
struct Table {
    network: Network,
    vote_weight_unit: Amount,
    tiers: Vec<Row>,
}

/// Prints the tier table of `network`: collateral, minimum hardware, vote weight, reserve.
pub fn run<W: Write>(out: &mut Output<W>, network: Network) -> Result<(), CliError> {
    let p = ChainParams::for_network(network);
    let tiers = Tier::ALL
        .into_iter()
        .map(|t| {
            let min = t.minimum(&p);
            Ok(Row {
                tier: t,
                collateral: t.collateral(&p),
                cpu_cores: min.cpu_cores,
                cpu_threads: min.resources.cpu_threads,
                ram_mb: min.resources.ram_mb,
                ssd_gb: min.resources.ssd_gb,
                bandwidth_mbps: min.resources.bandwidth_mbps,
                vote_weight: t.vote_weight(&p)?,
                reserve: t.reserve(&p),
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let mut text = format!(
        "{:<8} {:>11} {:>13} {:>9} {:>8} {:>11} {:>11}\n",
        "tier", "collateral", "cores/threads", "RAM (MB)", "SSD (GB)", "bandwidth", "vote weight"
    );
    for r in &tiers {
        text.push_str(&format!(
            "{:<8} {:>11} {:>13} {:>9} {:>8} {:>11} {:>11}\n",
            r.tier.name(),
            r.collateral.to_string(),
            format!("{} / {}", r.cpu_cores, r.cpu_threads),
            r.ram_mb,
            r.ssd_gb,
            format!("{} Mbit/s", r.bandwidth_mbps),
            r.vote_weight,
        ));
    }
    let reserve = p.nodes.reserve;
    text.push_str(&format!(
        "\ncollateral in FLUX; vote weight in units of {} FLUX of collateral.\n\
         Every node keeps {} CPU core(s), {} MB RAM and {} GB SSD for itself; the rest is offered to apps.\n",
        p.nodes.vote_weight_unit, reserve.cpu_cores, reserve.ram_mb, reserve.ssd_gb
    ));
    out.emit(
        &Table {
            network,
            vote_weight_unit: p.nodes.vote_weight_unit,
            tiers,
        },
        &text,
    )
}
