//! Compute jobs through a node's API, as `flux job` does them: a module checked by the engine
//! before anything is sent ([`load_module`]), a job checked against the chain's `work.*`
//! limits, sent and awaited ([`Client::submit_job`]), its accepted output fetched (a PPM image
//! optionally as PNG, [`Client::job_result`]), and the example jobs written out and tried
//! locally ([`write_example`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flux_chain::tx::{JobSubmit, TxId, TxKind};
use flux_chain::work::{JobError, JobId};
use flux_core::Amount;
use flux_core::crypto::SecretKey;
use flux_nodes::work::jobs::{self, Ppm};
use flux_nodes::work::{Outcome, WorkError, execute, module_from_bytes, validate};
use thiserror::Error;

use crate::api::client::{Client, ClientError};
use crate::api::views::{JobView, TxView};
use crate::api::wait::WaitError;
use crate::api::wallet::Sent;

/// Fuel of the local run [`write_example`] makes to say how much a job needs.
pub const EXAMPLE_FUEL: u64 = 2_000_000_000;

/// Why a job was not sent, awaited or fetched.
#[derive(Debug, Error)]
pub enum JobFlowError {
    /// Asking the node failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A module refused locally, before anything was sent: it does not compile, or the engine
    /// refuses it (floating point, an import outside the job ABI, ...).
    #[error("{path}: refused before sending: {source}")]
    Module {
        /// The module file.
        path: PathBuf,
        /// The engine's reason.
        #[source]
        source: WorkError,
    },
    /// A job outside the chain's limits (module or input size, fuel, fee), refused before
    /// sending.
    #[error("refused before sending: {0}")]
    Rule(#[from] JobError),
    /// The node knows no such job.
    #[error("no job {0}")]
    NoJob(JobId),
    /// The job has no accepted result (yet).
    #[error("job {id} has no accepted result yet (phase {phase})")]
    NoResult {
        /// The job.
        id: JobId,
        /// Its phase.
        phase: String,
    },
    /// A PNG asked of an output that is not a PPM image.
    #[error("job {id}: the output ({len} bytes) is not a PPM image; --png converts PPM only")]
    NotPpm {
        /// The job.
        id: JobId,
        /// The output's length.
        len: usize,
    },
    /// The wait gave up before the job was accepted or refunded.
    #[error("job {id} is still in phase {phase} after {secs} s")]
    Timeout {
        /// The job.
        id: JobId,
        /// Its last phase seen (`pending` before it is on chain).
        phase: String,
        /// The time waited.
        secs: u64,
    },
    /// An example file could not be written.
    #[error("{path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// The module in `bytes` (read from `path`: WebAssembly text or binary), checked by the
/// engine ([`module_from_bytes`]).
///
/// ```
/// let float = r#"(module (memory (export "memory") 1)
///   (func (export "run") (drop (f32.add (f32.const 1) (f32.const 2)))))"#;
/// let path = std::path::Path::new("float.wat");
/// let refused = flux_net::jobs::load_module(path, float.as_bytes().to_vec()).unwrap_err();
/// assert!(refused.to_string().contains("floating point is not allowed"), "{refused}");
/// ```
pub fn load_module(path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>, JobFlowError> {
    module_from_bytes(bytes).map_err(|source| JobFlowError::Module {
        path: path.to_owned(),
        source,
    })
}

/// A job sent, and what a wait for it saw.
#[derive(Clone, Debug)]
pub struct SubmittedJob {
    /// The transaction (its id is the job's).
    pub sent: Sent,
    /// The job once accepted or refunded, when waited for.
    pub done: Option<JobView>,
    /// Its transaction, once finalised, when waited for.
    pub finalized: Option<TxView>,
    /// How long the wait took.
    pub waited: Duration,
}

/// A job's accepted output, as fetched.
#[derive(Clone, Debug)]
pub struct JobResult {
    /// The job.
    pub job: JobView,
    /// The output (as PNG when asked and it is a PPM image).
    pub bytes: Vec<u8>,
    /// `png` or `raw`.
    pub format: &'static str,
    /// Its size when the output is an image.
    pub image: Option<(u32, u32)>,
}

impl Client {
    /// Checks `job` against the chain's `work.*` limits (read from the node), sends it from
    /// `key` with `fee`, and with `wait`, waits up to that long for it to be accepted or
    /// refunded.
    pub async fn submit_job(
        &self,
        key: &SecretKey,
        job: JobSubmit,
        fee: Amount,
        wait: Option<Duration>,
    ) -> Result<SubmittedJob, JobFlowError> {
        job.check_limits(&self.params().await?.work)?;
        let sent = self
            .sign_and_submit(key, fee, TxKind::JobSubmit(job))
            .await?;
        let started = Instant::now();
        let (done, finalized) = match wait {
            Some(timeout) => {
                let done = self
                    .wait_job(&sent.id, timeout)
                    .await
                    .map_err(|e| match e {
                        WaitError::Ask(e) => JobFlowError::from(e),
                        WaitError::TimedOut { secs, progress } => JobFlowError::Timeout {
                            id: sent.id,
                            phase: progress,
                            secs,
                        },
                    })?;
                // On chain, so finalised: where, for the report.
                (Some(done), self.tx(&sent.id).await?)
            }
            None => (None, None),
        };
        let waited = started.elapsed();
        Ok(SubmittedJob {
            sent,
            done,
            finalized,
            waited,
        })
    }

    /// Job `id` and its accepted output; with `png`, a PPM output converted to PNG.
    pub async fn job_result(&self, id: &TxId, png: bool) -> Result<JobResult, JobFlowError> {
        let job = self.job(id).await?.ok_or(JobFlowError::NoJob(*id))?;
        let Some(output) = self.job_output(id).await? else {
            let phase = job.phase;
            return Err(JobFlowError::NoResult { id: *id, phase });
        };
        let (bytes, format, image) = if png {
            let len = output.len();
            let image = Ppm::parse(&output).ok_or(JobFlowError::NotPpm { id: *id, len })?;
            (image.to_png(), "png", Some((image.width, image.height)))
        } else {
            let image = Ppm::parse(&output).map(|i| (i.width, i.height));
            (output, "raw", image)
        };
        Ok(JobResult {
            job,
            bytes,
            format,
            image,
        })
    }
}

/// An example job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Example {
    /// The Mandelbrot renderer (writes a PPM image): width, height, iterations per pixel.
    Mandelbrot(u32, u32, u32),
    /// Integer neural-network inference on this many input vectors.
    Nn(u32),
}

/// An example written out, and a local run of it.
#[derive(Debug)]
pub struct ExampleRun {
    /// The module (`<name>.wat`).
    pub module: PathBuf,
    /// The input (`<name>.input`).
    pub input: PathBuf,
    /// The local run with [`EXAMPLE_FUEL`].
    pub outcome: Outcome,
}

/// Writes `example`'s `<name>.wat` and `<name>.input` into `dir` (created if needed) and runs
/// it locally, to say how much fuel it needs.
pub fn write_example(example: Example, dir: &Path) -> Result<ExampleRun, JobFlowError> {
    let (name, wat, input) = match example {
        Example::Mandelbrot(width, height, iterations) => (
            "mandelbrot",
            jobs::MANDELBROT_WAT,
            jobs::mandelbrot_input(width, height, iterations),
        ),
        Example::Nn(vectors) => (
            "nn",
            jobs::NN_WAT,
            jobs::nn_input(&flux_nodes::work::nn_example_vectors(vectors)),
        ),
    };
    let write = |path: &Path, source| JobFlowError::Write {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| write(dir, e))?;
    let module_path = dir.join(format!("{name}.wat"));
    let input_path = dir.join(format!("{name}.input"));
    for (path, bytes) in [(&module_path, wat.as_bytes()), (&input_path, &input[..])] {
        std::fs::write(path, bytes).map_err(|e| write(path, e))?;
    }
    let refused = |source| JobFlowError::Module {
        path: module_path.clone(),
        source,
    };
    let module = load_module(&module_path, wat.as_bytes().to_vec())?;
    let outcome =
        execute(&validate(&module).map_err(refused)?, &input, EXAMPLE_FUEL).map_err(refused)?;
    Ok(ExampleRun {
        module: module_path,
        input: input_path,
        outcome,
    })
}
