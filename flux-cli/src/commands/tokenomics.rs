//! `flux tokenomics`: the emission schedule at a height, and optionally an SVG chart of it.

use std::io::Write;
use std::path::Path;

use flux_core::tokenomics::{
    below_one_flux_height, cumulative_emission, max_emission, preset_genesis_supply, split,
    subsidy, supply_at, yearly_summary,
};
use flux_core::{Amount, ChainParams, Network};
use serde::Serialize;

use crate::cli::TokenomicsArgs;
use crate::error::{CliError, write_file};
use crate::output::Output;
use flux_net::simulator::charts::SupplyChart;

/// The report at one height. Amounts are decimal FLUX strings in JSON.
#[derive(Debug, Serialize)]
struct Report {
    network: Network,
    height: u64,
    subsidy: Amount,
    cumulus: Amount,
    nimbus: Amount,
    stratus: Amount,
    dev_fund: Amount,
    work_pool: Amount,
    cumulative_emission: Amount,
    genesis_supply: Amount,
    supply: Amount,
    max_supply: Amount,
    max_emission: Amount,
    below_one_flux_height: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chart: Option<String>,
}

/// Prints the subsidy at `--height` and its split, the cumulative emission and supply there
/// (for the preset's genesis supply), and when the subsidy falls below 1 FLUX. With `--chart`,
/// also writes an SVG of the first `--years` years there.
pub fn run<W: Write>(out: &mut Output<W>, args: &TokenomicsArgs) -> Result<(), CliError> {
    let (network, height, chart) = (args.network.network.into(), args.height, &args.chart);
    let p = ChainParams::for_network(network);
    let genesis_supply = preset_genesis_supply(&p)?;
    let minted = subsidy(height, &p);
    let parts = split(minted, &p)?;
    if let Some(path) = chart {
        write_chart(&p, genesis_supply, args.years, path)?;
    }
    let r = Report {
        network,
        height,
        subsidy: minted,
        cumulus: parts.cumulus,
        nimbus: parts.nimbus,
        stratus: parts.stratus,
        dev_fund: parts.dev_fund,
        work_pool: parts.work_pool,
        cumulative_emission: cumulative_emission(height, &p),
        genesis_supply,
        supply: supply_at(height, genesis_supply, &p),
        max_supply: p.supply.max_supply,
        max_emission: max_emission(&p),
        below_one_flux_height: below_one_flux_height(&p),
        chart: chart.as_ref().map(|c| c.display().to_string()),
    };
    let flux = |a: Amount| format!("{a} FLUX");
    let mut rows = vec![
        ("network", r.network.to_string()),
        ("height", r.height.to_string()),
        ("subsidy", flux(r.subsidy)),
        ("  cumulus", flux(r.cumulus)),
        ("  nimbus", flux(r.nimbus)),
        ("  stratus", flux(r.stratus)),
        ("  dev fund", flux(r.dev_fund)),
        ("  useful-work pool", flux(r.work_pool)),
        ("cumulative emission", flux(r.cumulative_emission)),
        ("genesis supply", flux(r.genesis_supply)),
        ("supply", flux(r.supply)),
        ("max supply", flux(r.max_supply)),
        ("max emission", flux(r.max_emission)),
        (
            "below 1 FLUX/block",
            r.below_one_flux_height
                .map_or_else(|| "never".to_owned(), |h| format!("from height {h}")),
        ),
    ];
    if let Some(c) = &r.chart {
        rows.push(("chart", c.clone()));
    }
    out.emit(&r, &Output::<W>::table(&rows))
}

fn write_chart(
    p: &ChainParams,
    genesis_supply: Amount,
    years: u64,
    path: &Path,
) -> Result<(), CliError> {
    let summary = yearly_summary(years, genesis_supply, p)?;
    let title = format!(
        "flux {}: emission over {years} years (genesis {} FLUX)",
        p.network, genesis_supply
    );
    let svg = SupplyChart {
        title: &title,
        genesis_supply,
        max_supply: p.supply.max_supply,
        final_supply: supply_at(u64::MAX, genesis_supply, p),
        years: &summary,
    }
    .render_svg()?;
    write_file(path, svg.as_bytes(), false)
}
