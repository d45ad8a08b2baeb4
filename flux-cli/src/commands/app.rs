//! `flux app validate` and `flux app price`: check and price an app specification file.

use std::io::Write;
use std::path::Path;

use flux_core::{Amount, ChainParams, Network};
use flux_nodes::app::{AppSpec, Demand};
use serde::Serialize;

use crate::error::{AppFileError, CliError};
use crate::output::Output;

/// Which reader to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// v8 registration, every limit checked.
    Strict,
    /// FluxOS's stored form, any version, limits not checked.
    Lenient,
}

/// Summary of a readable spec.
#[derive(Serialize)]
struct Summary<'a> {
    valid: bool,
    file: &'a Path,
    reader: &'static str,
    version: u32,
    name: &'a str,
    components: usize,
    instances: u32,
    expire: u64,
    demand_per_instance: Demand,
    /// Broken registration limits (only listed for `--lenient`; the strict reader stops at one).
    violations: Vec<String>,
}

/// The JSON of `flux app price`.
#[derive(Serialize)]
struct PriceReport<'a> {
    file: &'a Path,
    network: Network,
    name: &'a str,
    instances: u32,
    blocks: u64,
    per_instance_per_period: Amount,
    period_blocks: u64,
    price: Amount,
}

fn read(path: &Path, reader: Reader, params: &ChainParams) -> Result<AppSpec, CliError> {
    let wrap = |source: AppFileError| CliError::App {
        path: path.to_owned(),
        source,
    };
    let bytes = std::fs::read(path).map_err(|e| wrap(e.into()))?;
    match reader {
        Reader::Strict => AppSpec::from_json_strict(&bytes, &params.apps),
        Reader::Lenient => AppSpec::from_json_lenient(&bytes, &params.apps),
    }
    .map_err(|e| wrap(e.into()))
}

/// Reads `path` with `reader` and prints a summary, or fails with the precise reason.
pub fn validate<W: Write>(
    out: &mut Output<W>,
    path: &Path,
    reader: Reader,
    network: Network,
) -> Result<(), CliError> {
    let params = ChainParams::for_network(network);
    let spec = match read(path, reader, &params) {
        Ok(spec) => spec,
        Err(e) => {
            if out.json() {
                #[derive(Serialize)]
                struct Invalid<'a> {
                    valid: bool,
                    file: &'a Path,
                    error: String,
                }
                let error = match &e {
                    CliError::App { source, .. } => source.to_string(),
                    other => other.to_string(),
                };
                out.emit(
                    &Invalid {
                        valid: false,
                        file: path,
                        error,
                    },
                    "",
                )?;
            }
            return Err(e);
        }
    };
    let violations = match reader {
        Reader::Strict => Vec::new(),
        Reader::Lenient => spec
            .violations(&params.apps)
            .iter()
            .map(ToString::to_string)
            .collect(),
    };
    let d = spec.demand();
    let summary = Summary {
        valid: true,
        file: path,
        reader: match reader {
            Reader::Strict => "strict",
            Reader::Lenient => "lenient",
        },
        version: spec.version,
        name: &spec.name,
        components: spec.components.len(),
        instances: spec.instances,
        expire: spec.expire,
        demand_per_instance: d,
        violations,
    };
    let mut text = format!(
        "OK {} (v{}, {} reader): {} component(s), {} instance(s), expire {} blocks\n\
         per instance: cpu {}.{} cores, ram {} MB, hdd {} GB, gpu {} × {} GB",
        spec.name,
        spec.version,
        summary.reader,
        summary.components,
        spec.instances,
        spec.expire,
        d.cpu_tenths / 10,
        d.cpu_tenths % 10,
        d.ram_mb,
        d.hdd_gb,
        d.gpu,
        d.gpu_memory_gb,
    );
    for v in &summary.violations {
        text.push_str(&format!("\nnot registrable as is: {v}"));
    }
    text.push('\n');
    out.emit(&summary, &text)
}

/// Prints the price of running `path`'s spec for `blocks` (default: its `expire`).
pub fn price<W: Write>(
    out: &mut Output<W>,
    path: &Path,
    reader: Reader,
    blocks: Option<u64>,
    network: Network,
) -> Result<(), CliError> {
    let params = ChainParams::for_network(network);
    let spec = read(path, reader, &params)?;
    let blocks = blocks.unwrap_or(spec.expire);
    let price = spec
        .price_for(blocks, &params.apps.prices)
        .map_err(|e| CliError::App {
            path: path.to_owned(),
            source: e.into(),
        })?;
    let report = PriceReport {
        file: path,
        network,
        name: &spec.name,
        instances: price.instances,
        blocks,
        per_instance_per_period: price.per_instance,
        period_blocks: params.apps.prices.period_blocks,
        price: price.total,
    };
    let text = format!(
        "{}: {} FLUX for {} instance(s) over {} blocks ({} FLUX per instance per {} blocks)\n",
        spec.name, price.total, price.instances, blocks, price.per_instance, report.period_blocks,
    );
    out.emit(&report, &text)
}
