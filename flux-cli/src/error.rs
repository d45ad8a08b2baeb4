//! Errors of the `flux` and `fluxd` binaries. Depends on no command module (the commands
//! depend on it): each error type a command needs is defined here or in a library.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why an app specification file could not be used.
#[derive(Debug, Error)]
pub enum AppFileError {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Read(#[from] std::io::Error),
    /// The file is not a valid specification.
    #[error(transparent)]
    Spec(#[from] flux_nodes::app::AppError),
}

/// Any error a `flux` command can end with.
#[derive(Debug, Error)]
pub enum CliError {
    /// A simulation stopped.
    #[error(transparent)]
    Sim(Box<flux_net::simulator::SimulatorError>),
    /// A proposal or a vote refused before sending, or its sending failed.
    #[error(transparent)]
    Gov(#[from] flux_net::governance::GovError),
    /// A swap refused before sending, or not attested.
    #[error(transparent)]
    Swap(#[from] flux_net::swaps::SwapFlowError),
    /// A job refused before sending, not finished in time, or without a result.
    #[error(transparent)]
    Job(#[from] flux_net::jobs::JobFlowError),
    /// A placement operation was refused.
    #[error(transparent)]
    Placement(#[from] flux_nodes::placement::PlacementError),
    /// A key file problem.
    #[error(transparent)]
    KeyFile(#[from] flux_net::api::keyfile::KeyFileError),
    /// Output could not be encoded as JSON.
    #[error("cannot encode output as JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Writing to standard output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// The emission schedule refused the parameters.
    #[error(transparent)]
    Tokenomics(#[from] flux_core::error::TokenomicsError),
    /// An amount computation overflowed.
    #[error(transparent)]
    Amount(#[from] flux_core::error::AmountError),
    /// The chart could not be drawn.
    #[error("cannot draw the chart: {0}")]
    Chart(#[from] flux_net::simulator::charts::ChartError),
    /// The local benchmark failed.
    #[error("benchmark failed: {0}")]
    Bench(#[from] flux_nodes::bench::BenchError),
    /// An app specification file could not be read, or is not valid.
    #[error("{path}: {source}")]
    App {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: AppFileError,
    },
    /// The devnet could not be set up or run.
    #[error("devnet: {0}")]
    Devnet(#[from] flux_net::devnet::DevnetError),
    /// The node's API refused the request or could not be reached.
    #[error(transparent)]
    Api(#[from] flux_net::api::client::ClientError),
    /// An app-wide hosting query or wait failed.
    #[error(transparent)]
    Hosting(#[from] flux_net::api::hosting::apps::AppStatusError),
    /// An app update could not be priced.
    #[error(transparent)]
    Quote(#[from] flux_net::api::hosting::apps::QuoteError),
    /// A load run could not start or finish.
    #[error(transparent)]
    Load(#[from] flux_net::api::load::LoadError),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// An address argument is not valid for the node's network.
    #[error("address {text:?}: {source}")]
    Address {
        /// The argument.
        text: String,
        /// Why it does not parse.
        #[source]
        source: flux_core::error::AddressError,
    },
    /// A file (or directory) could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A benchmark evidence file is not evidence JSON.
    #[error("{path}: not benchmark evidence JSON: {source}")]
    Evidence {
        /// The file.
        path: PathBuf,
        /// What the parser found.
        #[source]
        source: serde_json::Error,
    },
    /// The node has no such object.
    #[error("no {what} {id}")]
    NotFound {
        /// What was asked for (`transaction`, `block`, `app`).
        what: &'static str,
        /// Which.
        id: String,
    },
}

impl From<flux_net::simulator::SimulatorError> for CliError {
    fn from(e: flux_net::simulator::SimulatorError) -> CliError {
        CliError::Sim(Box::new(e))
    }
}

/// The error of an OS call on `path`, naming the file ([`CliError::File`]).
fn file(path: &Path) -> impl FnOnce(std::io::Error) -> CliError {
    let path = path.to_owned();
    |source| CliError::File { path, source }
}

/// Reads a file the user named; its error names the file.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(file(path))
}

/// [`read_file`] for a text file.
pub(crate) fn read_text(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(file(path))
}

/// Writes a file the user named (creating its directory first with `create_dir`); its error
/// names the file or the directory.
pub(crate) fn write_file(path: &Path, bytes: &[u8], create_dir: bool) -> Result<(), CliError> {
    if let Some(dir) = path.parent().filter(|_| create_dir) {
        std::fs::create_dir_all(dir).map_err(file(dir))?;
    }
    std::fs::write(path, bytes).map_err(file(path))
}
