//! `flux job ...`: compute jobs through a node's API.
//!
//! A job is checked before anything is sent, with the rules the chain applies at submission:
//! the module must compile (WebAssembly text) and pass the engine's
//! `flux_nodes::work::validate` (no floating point, only the host ABI's imports, no
//! start function, exports `memory` and `run`), and the module, input, fuel and fee must be
//! within the chain's `work.*` parameters (read from the node). A refused module is named with
//! its first offending function and instruction.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flux_chain::tx::{JobSubmit, TxKind};
use flux_chain::work::JobId;
use flux_core::{Amount, Hash};
use flux_net::api::views::{JobView, JobsView};
use flux_net::api::wait::WaitError;
use flux_nodes::work::jobs::{self, Ppm};
use flux_nodes::work::{Status, execute, module_from_bytes, nn_example_vectors, validate};
use serde::Serialize;

use super::send::{block_on, client, print_sent};
use crate::cli::{
    ExampleJob, JobExampleArgs, JobListArgs, JobResultArgs, JobStatusArgs, JobSubmitArgs,
};
use crate::error::{CliError, read_file};
use crate::output::Output;
use flux_net::api::keyfile;

/// Fuel of the local run `flux job example` makes to say how much a job needs.
const EXAMPLE_FUEL: u64 = 2_000_000_000;

/// The module in `path`, checked by the engine ([`module_from_bytes`]).
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("float.wat");
/// std::fs::write(&path, r#"(module (memory (export "memory") 1)
///   (func (export "run") (drop (f32.add (f32.const 1) (f32.const 2)))))"#).unwrap();
/// let refused = flux_cli::commands::job::load_module(&path).unwrap_err();
/// assert!(refused.to_string().contains("floating point is not allowed"), "{refused}");
/// ```
pub fn load_module(path: &Path) -> Result<Vec<u8>, CliError> {
    module_from_bytes(read_file(path)?).map_err(|source| CliError::JobModule {
        path: path.to_owned(),
        source,
    })
}

/// `flux job submit`: checks the job locally and against the chain's limits, sends it, and
/// prints its id (with `--wait`, also its result once accepted).
pub fn submit<W: Write>(out: &mut Output<W>, args: &JobSubmitArgs) -> Result<(), CliError> {
    let module = load_module(&args.module)?;
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
    let (sent, done, finalized, waited) = block_on(async {
        let params = client.params().await?;
        job.check_limits(&params.work).map_err(CliError::JobRule)?;
        let sent = client
            .sign_and_submit(&key, args.tx_fee, TxKind::JobSubmit(job))
            .await?;
        let started = Instant::now();
        let (done, finalized) = if args.wait {
            let timeout = Duration::from_secs(args.timeout);
            let done = client
                .wait_job(&sent.id, timeout)
                .await
                .map_err(|e| match e {
                    WaitError::Ask(e) => CliError::from(e),
                    WaitError::TimedOut { secs, progress } => CliError::JobTimeout {
                        id: sent.id,
                        phase: progress,
                        secs,
                    },
                })?;
            // On chain, so finalised: where, for the report.
            (Some(done), client.tx(&sent.id).await?)
        } else {
            (None, None)
        };
        Ok::<_, CliError>((sent, done, finalized, started.elapsed()))
    })??;
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
    print_sent(out, "JobSubmit", &sent, finalized, details, rows)
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
    let job = block_on(client(&args.node.url)?.job(&id))??.ok_or_else(|| CliError::NotFound {
        what: "job",
        id: id.to_string(),
    })?;
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
    let client = client(&args.node.url)?;
    let (job, bytes) = block_on(async {
        let job = client.job(&id).await?.ok_or_else(|| CliError::NotFound {
            what: "job",
            id: id.to_string(),
        })?;
        let bytes = client.job_output(&id).await?;
        Ok::<_, CliError>((job, bytes))
    })??;
    let Some(output) = bytes else {
        return Err(CliError::NoJobResult {
            id,
            phase: job.phase,
        });
    };
    let (written, format, size) = if args.png {
        let image = Ppm::parse(&output).ok_or(CliError::NotPpm {
            id,
            len: output.len(),
        })?;
        (image.to_png(), "png", Some((image.width, image.height)))
    } else {
        let size = Ppm::parse(&output).map(|i| (i.width, i.height));
        (output, "raw", size)
    };
    std::fs::write(&args.out, &written).map_err(|source| CliError::WriteFile {
        path: args.out.clone(),
        source,
    })?;
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
    let accepted = job.accepted.as_ref();
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
    let (name, wat, input) = match args.which {
        ExampleJob::Mandelbrot => (
            "mandelbrot",
            jobs::MANDELBROT_WAT,
            jobs::mandelbrot_input(args.width, args.height, args.iterations),
        ),
        ExampleJob::Nn => (
            "nn",
            jobs::NN_WAT,
            jobs::nn_input(&nn_example_vectors(args.vectors)),
        ),
    };
    std::fs::create_dir_all(&args.out).map_err(|source| CliError::WriteFile {
        path: args.out.clone(),
        source,
    })?;
    let module_path = args.out.join(format!("{name}.wat"));
    let input_path = args.out.join(format!("{name}.input"));
    for (path, bytes) in [(&module_path, wat.as_bytes()), (&input_path, &input[..])] {
        std::fs::write(path, bytes).map_err(|source| CliError::WriteFile {
            path: path.clone(),
            source,
        })?;
    }
    let module = load_module(&module_path)?;
    let outcome = execute(
        &validate(&module).map_err(|source| CliError::JobModule {
            path: module_path.clone(),
            source,
        })?,
        &input,
        EXAMPLE_FUEL,
    )
    .map_err(|source| CliError::JobModule {
        path: module_path.clone(),
        source,
    })?;
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
