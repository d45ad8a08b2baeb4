//! `flux job ...`: compute jobs through a node's API ([`flux_net::jobs`] does the work).
//!
//! A job is checked before anything is sent, with the rules the chain applies at submission:
//! the module must compile (WebAssembly text) and pass the engine's
//! `flux_nodes::work::validate` (no floating point, only the host ABI's imports, no
//! start function, exports `memory` and `run`), and the module, input, fuel and fee must be
//! within the chain's `work.*` parameters (read from the node). A refused module is named with
//! its first offending function and instruction.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flux_chain::tx::JobSubmit;
use flux_chain::work::JobId;
use flux_core::{Amount, Hash};
use flux_net::api::keyfile;
use flux_net::api::views::{JobView, JobsView};
use flux_net::jobs::{EXAMPLE_FUEL, Example, JobFlowError, load_module, write_example};
use flux_nodes::work::Status;
use serde::Serialize;

use super::send::{block_on, client, print_sent};
use crate::cli::{
    ExampleJob, JobExampleArgs, JobListArgs, JobResultArgs, JobStatusArgs, JobSubmitArgs,
};
use crate::error::{CliError, read_file, write_file};
use crate::output::Output;

/// `flux job submit`: checks the job locally and against the chain's limits, sends it, and
/// prints its id (with `--wait`, also its result once accepted).
pub fn submit<W: Write>(out: &mut Output<W>, args: &JobSubmitArgs) -> Result<(), CliError> {
    let module = load_module(&args.module, read_file(&args.module)?)?;
    let input = match &args.input {
        Some(path) => read_file(path)?,
        None => Vec::new(),
    };
    let job = JobSubmit {
        module,
        input,
        fuel: args.fuel,
        fee: args.fee,
    };
    let key = keyfile::read(&args.key)?;
    let client = client(&args.node.url)?;
    let (module_hash, input_hash) = (Hash::digest(&job.module), Hash::digest(&job.input));
    let (module_bytes, input_bytes) = (job.module.len(), job.input.len());
    let wait = args.wait.then(|| Duration::from_secs(args.timeout));
    let submitted = block_on(client.submit_job(&key, job, args.tx_fee, wait))??;
    let (sent, done, waited) = (submitted.sent, submitted.done, submitted.waited);
    #[derive(Serialize)]
    struct Details<'a> {
        job: JobId,
        module_hash: Hash,
        module_bytes: usize,
        input_hash: Hash,
        input_bytes: usize,
        fuel: u64,
        job_fee: Amount,
        waited_ms: Option<u128>,
        result: Option<&'a JobView>,
    }
    let mut rows = vec![
        ("job", sent.id.to_string()),
        ("module", format!("{module_hash} ({module_bytes} bytes)")),
        ("input", format!("{input_hash} ({input_bytes} bytes)")),
        ("fuel", args.fuel.to_string()),
        ("job fee", format!("{} FLUX", args.fee)),
    ];
    if let Some(view) = &done {
        rows.push((
            "result",
            format!("{} after {:.1} s", view.phase, waited.as_secs_f64()),
        ));
        if let Some(a) = &view.accepted {
            rows.push(("result hash", a.result_hash.to_string()));
            rows.push(("fuel used", a.fuel_used.to_string()));
        }
    }
    let details = Details {
        job: sent.id,
        module_hash,
        module_bytes,
        input_hash,
        input_bytes,
        fuel: args.fuel,
        job_fee: args.fee,
        waited_ms: done.as_ref().map(|_| waited.as_millis()),
        result: done.as_ref(),
    };
    print_sent(out, "JobSubmit", &sent, submitted.finalized, details, rows)
}

/// The text of a job's status.
fn status_text<W: Write>(job: &JobView) -> String {
    let until = job
        .phase_until
        .map_or(String::new(), |h| format!(" (until block {h})"));
    let rows = vec![
        ("job", job.id.to_string()),
        ("phase", format!("{}{until}", job.phase)),
        ("submitter", job.submitter.clone()),
        (
            "submitted",
            job.submitted_at
                .map_or("?".to_owned(), |h| format!("block {h}")),
        ),
        ("fuel limit", job.fuel.to_string()),
        ("fee", format!("{} FLUX", job.fee)),
        ("module", job.module_hash.to_string()),
        ("input", job.input_hash.to_string()),
        ("attempt", job.attempt.to_string()),
        ("height", job.height.to_string()),
    ];
    let mut text = Output::<W>::table(&rows);
    text.push_str(&format!("assigned ({}):\n", job.assigned.len()));
    for node in &job.assigned {
        let committed = if job.committed.contains(node) {
            "committed"
        } else {
            "-"
        };
        let revealed = job
            .reveals
            .iter()
            .find(|r| r.node == *node)
            .map_or("not revealed".to_owned(), |r| {
                format!("revealed {} fuel {}", r.result_hash, r.fuel_used)
            });
        text.push_str(&format!("  {node} {committed} {revealed}\n"));
    }
    if let Some(a) = &job.accepted {
        text.push_str(&format!(
            "accepted: {} fuel {} ({}), {} output bytes in tx {}\n  agreeing: {}\n",
            a.result_hash,
            a.fuel_used,
            a.status.as_deref().unwrap_or("?"),
            a.output_len.map_or("?".to_owned(), |n| n.to_string()),
            a.output_tx,
            a.agreeing
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    text
}

/// `flux job status ID`.
pub fn status<W: Write>(out: &mut Output<W>, args: &JobStatusArgs) -> Result<(), CliError> {
    let id = flux_chain::tx::TxId(args.id);
    let job = block_on(client(&args.node.url)?.job(&id))??.ok_or(JobFlowError::NoJob(id))?;
    let text = status_text::<W>(&job);
    out.emit(&job, &text)
}

/// `flux job list`.
pub fn list<W: Write>(out: &mut Output<W>, args: &JobListArgs) -> Result<(), CliError> {
    let view: JobsView = block_on(client(&args.node.url)?.jobs(args.limit))??;
    let mut text = format!(
        "{} jobs ({} open) at height {}\n",
        view.total, view.open, view.height
    );
    for j in &view.jobs {
        text.push_str(&format!(
            "{} block {:>6} {:<8} fuel {:>12} fee {} FLUX  {}/{}/{} assigned/committed/revealed\n",
            j.id, j.submitted_at, j.phase, j.fuel, j.fee, j.assigned, j.committed, j.revealed
        ));
    }
    out.emit(&view, &text)
}

/// `flux job result ID --out FILE [--png]`: writes the accepted output (a PPM output as PNG
/// with `--png`).
pub fn result<W: Write>(out: &mut Output<W>, args: &JobResultArgs) -> Result<(), CliError> {
    let id = flux_chain::tx::TxId(args.id);
    let result = block_on(client(&args.node.url)?.job_result(&id, args.png))??;
    let (written, format, size) = (result.bytes, result.format, result.image);
    write_file(&args.out, &written, false)?;
    #[derive(Serialize)]
    struct Report<'a> {
        job: JobId,
        out: &'a Path,
        format: &'static str,
        bytes: usize,
        image: Option<(u32, u32)>,
        result_hash: Option<Hash>,
        fuel_used: Option<u64>,
    }
    let accepted = result.job.accepted.as_ref();
    let report = Report {
        job: id,
        out: &args.out,
        format,
        bytes: written.len(),
        image: size,
        result_hash: accepted.map(|a| a.result_hash),
        fuel_used: accepted.map(|a| a.fuel_used),
    };
    let image = size.map_or(String::new(), |(w, h)| format!(", a {w}x{h} image"));
    let text = format!(
        "wrote {} ({} bytes, {format}{image})\n",
        args.out.display(),
        written.len()
    );
    out.emit(&report, &text)
}

/// `flux job example mandelbrot|nn --out DIR`: writes `<name>.wat` and `<name>.input` and says
/// how much fuel a local run of the job used.
pub fn example<W: Write>(out: &mut Output<W>, args: &JobExampleArgs) -> Result<(), CliError> {
    let example = match args.which {
        ExampleJob::Mandelbrot => Example::Mandelbrot(args.width, args.height, args.iterations),
        ExampleJob::Nn => Example::Nn(args.vectors),
    };
    let run = write_example(example, &args.out)?;
    let (module_path, input_path, outcome) = (run.module, run.input, run.outcome);
    let fuel_used = (outcome.status == Status::Completed).then_some(outcome.fuel_used);
    #[derive(Serialize)]
    struct Report {
        module: PathBuf,
        input: PathBuf,
        fuel_used: Option<u64>,
        output_bytes: usize,
    }
    let fuel = fuel_used.map_or(EXAMPLE_FUEL, |f| f.saturating_add(f / 4));
    let text = format!(
        "wrote {} and {}\na local run: {}, {} fuel, {} output bytes\ntry: flux job submit {} --input {} --fuel {fuel} --fee 0.1 --key KEY --wait\n",
        module_path.display(),
        input_path.display(),
        outcome.status,
        outcome.fuel_used,
        outcome.output.len(),
        module_path.display(),
        input_path.display(),
    );
    let report = Report {
        module: module_path,
        input: input_path,
        fuel_used,
        output_bytes: outcome.output.len(),
    };
    out.emit(&report, &text)
}
