//! `flux app validate|price` (check and price a spec file) and `flux app status|logs|update|cancel`
//! (through the nodes' APIs; the work is `flux_net::api::hosting::apps`'s).

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use flux_chain::tx::{AppCancel, AppUpdate, TxKind};
use flux_core::{Amount, ChainParams, Network};
use flux_net::api::client::Client;
use flux_net::api::hosting::LogsQuery;
use flux_net::api::hosting::apps::{self, AppStatusOptions, AppStatusView, InstanceRow};
use flux_net::api::keyfile;
use flux_net::deploy::{self, Serving};
use flux_nodes::app::{AppSpec, Demand};
use serde::Serialize;

use super::send::{block_on, client, print_sent, submit};
use crate::cli::{AppCancelArgs, AppLogsArgs, AppStatusArgs, AppUpdateArgs, HostingNodes};
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

/// `--node-api` pairs as the library's options.
fn options(hosts: &HostingNodes) -> AppStatusOptions {
    AppStatusOptions {
        node_apis: hosts.node_apis.iter().cloned().collect(),
        ..AppStatusOptions::default()
    }
}

/// One line per instance: instance, node, state, since, restarts, error.
fn rows_text(rows: &[InstanceRow]) -> String {
    let mut text = format!(
        "{:>8}  {:<16}  {:<11}  {:>13}  {:>8}  error\n",
        "instance", "node", "state", "since_ms", "restarts"
    );
    for r in rows {
        let state = serde_json::to_value(r.state).unwrap_or_default();
        text.push_str(&format!(
            "{:>8}  {:<16}  {:<11}  {:>13}  {:>8}  {}\n",
            r.instance,
            r.node
                .map_or("-".to_owned(), |n| n.to_string()[..16].to_owned()),
            state.as_str().unwrap_or("?"),
            r.since_ms.map_or("-".to_owned(), |s| s.to_string()),
            r.restarts,
            r.error.as_deref().unwrap_or(""),
        ));
    }
    text
}

/// `flux app status NAME`: the registration, then one row per instance from its hosting node.
pub fn status<W: Write>(out: &mut Output<W>, args: &AppStatusArgs) -> Result<(), CliError> {
    let client = client(&args.node.url)?;
    let view = block_on(apps::app_status(&client, &args.name, &options(&args.hosts)))??;
    let a = &view.app;
    let rows = vec![
        ("app", a.name.clone()),
        ("owner", a.owner.clone()),
        (
            "instances",
            format!("{} placed of {}", a.placement.len(), a.instances),
        ),
        ("registered_at", a.registered_at.to_string()),
        ("expires_at", a.expires_at.to_string()),
        ("paid", format!("{} FLUX", a.paid)),
        ("escrow", format!("{} FLUX", a.escrow)),
    ];
    let text = Output::<W>::table(&rows) + &rows_text(&view.rows);
    out.emit(&view, &text)
}

/// `flux app logs NAME`: the owner's signed request to the instance's hosting node.
pub fn logs<W: Write>(out: &mut Output<W>, args: &AppLogsArgs) -> Result<(), CliError> {
    let key = keyfile::read(&args.key)?;
    let client = client(&args.node.url)?;
    let query = LogsQuery {
        app: args.name.clone(),
        component: args.component.clone(),
        instance: args.instance,
        tail: args.tail,
    };
    let view = block_on(apps::app_logs(&client, &key, &query, &options(&args.hosts)))??;
    let text: String = view.lines.iter().map(|l| l.text.as_str()).collect();
    out.emit(&view, &text)
}

/// The text rows of what `--wait` saw, for the sent transaction's report.
pub(crate) fn serving_rows(serving: &Serving) -> Vec<(&'static str, String)> {
    let count = format!(
        "{} of {} instance(s)",
        serving.serving(),
        serving.rows.len()
    );
    let mut rows = vec![("serving", count)];
    rows.extend(serving.urls.iter().map(|u| ("url", u.clone())));
    rows
}

/// Waits until every instance of `name` serves ([`deploy::wait_serving`]).
pub(crate) async fn serving(
    client: &Client,
    name: &str,
    hosts: &HostingNodes,
    timeout: Duration,
    baseline: Option<&AppStatusView>,
) -> Result<Serving, CliError> {
    let suffix = hosts.domain_suffix.as_deref();
    let options = options(hosts);
    Ok(deploy::wait_serving(client, name, &options, suffix, timeout, baseline).await?)
}

#[derive(Serialize)]
struct Sent<'a> {
    app: &'a str,
    price: Option<Amount>,
    serving: Option<Serving>,
}

/// `flux app update SPEC`: an AppUpdate at the chain's figure; `--wait`: until every instance
/// serves the new spec.
pub fn update<W: Write>(out: &mut Output<W>, args: &AppUpdateArgs) -> Result<(), CliError> {
    let key = keyfile::read(&args.key)?;
    let spec_json = crate::error::read_text(&args.spec)?;
    let client = client(&args.node.url)?;
    let timeout = Duration::from_secs(args.tx.timeout);
    let (sent, name, due, finalized, serving) = block_on(async {
        let (spec, quote) = apps::quote_update(&client, &spec_json).await?;
        let baseline = match args.tx.wait {
            true => Some(apps::app_status(&client, &spec.name, &options(&args.hosts)).await?),
            false => None,
        };
        let kind = TxKind::AppUpdate(AppUpdate {
            spec: spec_json.clone(),
            price: quote.due,
        });
        let (sent, finalized) = submit(&client, &key, &args.tx, kind).await?;
        let serving = match (&finalized, &baseline) {
            (Some(_), Some(b)) => {
                Some(serving(&client, &spec.name, &args.hosts, timeout, Some(b)).await?)
            }
            _ => None,
        };
        Ok::<_, CliError>((sent, spec.name, quote.due, finalized, serving))
    })??;
    let mut rows = vec![("app", name.clone()), ("price", format!("{due} FLUX"))];
    rows.extend(serving.iter().flat_map(serving_rows));
    let details = Sent {
        app: &name,
        price: Some(due),
        serving,
    };
    print_sent(out, "AppUpdate", &sent, finalized, details, rows)
}

/// `flux app cancel NAME`: an AppCancel; `--wait`: until every hosting node that answered
/// removed the app's containers.
pub fn cancel<W: Write>(out: &mut Output<W>, args: &AppCancelArgs) -> Result<(), CliError> {
    let key = keyfile::read(&args.key)?;
    let client = client(&args.node.url)?;
    let timeout = Duration::from_secs(args.tx.timeout);
    let (sent, finalized) = block_on(async {
        let hosts = match args.tx.wait {
            true => deploy::answering_hosts(&client, &args.name, &options(&args.hosts)).await?,
            false => Vec::new(),
        };
        let kind = TxKind::AppCancel(AppCancel {
            name: args.name.clone(),
        });
        let (sent, finalized) = submit(&client, &key, &args.tx, kind).await?;
        if finalized.is_some() {
            apps::wait_removed(&client, &args.name, &hosts, timeout).await?;
        }
        Ok::<_, CliError>((sent, finalized))
    })??;
    let rows = vec![("app", args.name.clone())];
    let details = Sent {
        app: &args.name,
        price: None,
        serving: None,
    };
    print_sent(out, "AppCancel", &sent, finalized, details, rows)
}
