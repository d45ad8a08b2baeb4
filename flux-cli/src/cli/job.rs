//! Arguments of `flux job ...`: compute jobs submitted, followed and fetched through a node's
//! API, and the example jobs written out to try.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::NodeUrl;

/// `flux job ...`
#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Submit a WebAssembly job (text or binary): checked locally first (no floats, only the
    /// host ABI's imports, the chain's size, fuel and fee limits), then sent; prints its id.
    Submit(JobSubmitArgs),
    /// A job's phase, assigned nodes, commitments, reveals and accepted result.
    Status(JobStatusArgs),
    /// Write a job's accepted output to a file (with `--png`, a PPM output as PNG).
    Result(JobResultArgs),
    /// The most recently submitted jobs, newest first.
    List(JobListArgs),
    /// Write an example job (WebAssembly text and an input file) to a directory.
    Example(JobExampleArgs),
}

/// `flux job submit ...`
#[derive(Debug, Args)]
pub struct JobSubmitArgs {
    /// The module: WebAssembly text (`.wat`) or binary (`.wasm`).
    #[arg(value_name = "FILE.wat|FILE.wasm")]
    pub module: PathBuf,
    /// The input the job reads (default: none).
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Fuel limit (the work the nodes may spend; a run that reaches it ends `out of fuel`).
    #[arg(long, value_name = "N")]
    pub fuel: u64,
    /// The job's fee, FLUX: escrowed, and split by the nodes that agree on the result.
    #[arg(long, value_name = "FLUX")]
    pub fee: flux_core::Amount,
    /// The submitter's key file: pays the job fee and the transaction fee.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The transaction's fee, FLUX.
    #[arg(long, value_name = "FLUX", default_value = "0.00001")]
    pub tx_fee: flux_core::Amount,
    /// Wait until the job is accepted (or refunded) and print its result.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub timeout: u64,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux job status ...`
#[derive(Debug, Args)]
pub struct JobStatusArgs {
    /// The job's id (its submit transaction's id, 64 hex digits).
    pub id: flux_core::Hash,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux job result ...`
#[derive(Debug, Args)]
pub struct JobResultArgs {
    /// The job's id.
    pub id: flux_core::Hash,
    /// Where to write the output.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The output is a PPM image (as the Mandelbrot example's): write it as PNG.
    #[arg(long)]
    pub png: bool,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux job list ...`
#[derive(Debug, Args)]
pub struct JobListArgs {
    /// How many jobs (the node lists at most 500).
    #[arg(long, default_value_t = 20, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=500))]
    pub limit: usize,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// An example job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExampleJob {
    /// The Mandelbrot renderer: writes a PPM image.
    Mandelbrot,
    /// Integer neural-network inference: logits and a class per input vector.
    Nn,
}

/// `flux job example ...`
#[derive(Debug, Args)]
pub struct JobExampleArgs {
    /// Which example.
    #[arg(value_enum)]
    pub which: ExampleJob,
    /// The directory to write `<example>.wat` and `<example>.input` into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Mandelbrot: image width, pixels.
    #[arg(long, default_value_t = 160, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub width: u32,
    /// Mandelbrot: image height, pixels.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub height: u32,
    /// Mandelbrot: iterations per pixel.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub iterations: u32,
    /// Neural network: input vectors.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub vectors: u32,
}
