//! A local devnet on loopback: the layout on disk ([`Layout`]: keys, genesis, one directory and
//! `fluxd.toml` per validator), the `fluxd` processes that run it ([`Layout::spawn`],
//! [`terminate`]), the addresses a started `fluxd` reports ([`Addresses`]) and a watcher that
//! follows the chain and deploys a sample app ([`watch()`]). `flux devnet` prints what these do;
//! the CLI's network tests run on them.
//!
//! ```text
//! DIR/genesis.json
//! DIR/keys/owner-<i>.key      owner of validator i's FluxNode (its collateral and rewards)
//! DIR/keys/faucet.key         a funded account for transfers and load tests
//! DIR/node<i>/fluxd.toml      p2p on 127.0.0.1:(api_port + 1000 + i), API on
//!                             127.0.0.(i+1):(api_port + i); with hosting, a [hosting] section
//!                             (gateway 127.0.0.1:(gateway_port + i), apps published on
//!                             127.0.0.(i+1), node tag n<i>)
//! DIR/node<i>/apps/           the data folders of the apps it hosts
//! DIR/node<i>/validator.key   validator i's operator key
//! DIR/node<i>/fluxd.log       its log
//! DIR/node<i>/fluxd.addrs     the addresses it listens on, while it runs
//! ```
//!
//! With `api_port` 0 the OS chooses every port (no collisions with anything else running,
//! as tests need): [`Layout::spawn`] then points a validator's bootstrap list at the others
//! that run, and returns once the new one wrote its addresses, which [`Layout::api_url`] reads.
//!
//! Where to extend: the layout ([`layout`]) knows nothing of how a validator runs; processes
//! on this host are [`process`]; another way to run them (containers on a Docker network) is
//! one more module beside it, reading the same [`Layout`].
//!
//! ```
//! use flux_net::devnet::Layout;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let layout = Layout::create_or_open(dir.path(), 2, 0)?;
//! assert!(Layout::exists(dir.path()));
//! assert!(layout.node_dir(1).join("fluxd.toml").is_file());
//! // Reopening keeps the keys and the genesis.
//! assert_eq!(Layout::create_or_open(dir.path(), 9, 0)?.validators, 2);
//! # Ok::<(), flux_net::devnet::DevnetError>(())
//! ```

mod addresses;
pub mod hosting;
pub mod layout;
pub mod process;
pub mod watch;

use std::path::PathBuf;

use thiserror::Error;

pub use addresses::Addresses;
pub use layout::DOMAIN_SUFFIX;
pub use layout::{FAUCET_FLUX, Layout};
pub use process::{START_TIMEOUT, fluxd_path, terminate};
pub use watch::{DevnetEvent, SAMPLE_APP, SAMPLE_IMAGE, SAMPLE_NAME, sample_app, watch};

/// Why a devnet could not be set up, started or followed.
#[derive(Debug, Error)]
pub enum DevnetError {
    /// A devnet has 1 to 100 validators.
    #[error("--validators must be between 1 and 100 (got {0})")]
    Validators(usize),
    /// A file or a process could not be read, written or started.
    #[error("{path}: {source}")]
    Io {
        /// The file or program.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The genesis could not be built or encoded.
    #[error(transparent)]
    Genesis(#[from] Box<flux_chain::error::GenesisError>),
    /// A key file could not be written or read.
    #[error(transparent)]
    KeyFile(#[from] crate::api::keyfile::KeyFileError),
    /// A node's config could not be written.
    #[error(transparent)]
    Config(#[from] Box<crate::node::NodeError>),
    /// A validator's `fluxd` stopped before it listened.
    #[error("node{node}'s fluxd exited with {status} (see {log})")]
    Exited {
        /// The validator.
        node: usize,
        /// How it ended.
        status: std::process::ExitStatus,
        /// Its log.
        log: PathBuf,
    },
    /// A validator's `fluxd` did not report its addresses in time.
    #[error("node{node}'s fluxd did not start listening in {timeout:?}")]
    NotListening {
        /// The validator.
        node: usize,
        /// How long it was given.
        timeout: std::time::Duration,
    },
    /// A process could not be signalled.
    #[error("cannot signal process {pid}: {reason}")]
    Signal {
        /// Its id.
        pid: u32,
        /// Why.
        reason: String,
    },
    /// The node's API failed (watching the chain, deploying the sample app).
    #[error(transparent)]
    Api(#[from] crate::api::client::ClientError),
    /// The sample app is not a valid spec for the devnet (a bug of this build).
    #[error("sample app: {0}")]
    SampleApp(#[from] flux_nodes::app::AppError),
    /// The Docker Engine failed (building the sample app's image, removing containers).
    #[error("docker: {0}")]
    Runtime(#[from] crate::runtime::RuntimeError),
    /// An amount overflowed (the faucet or the sample app's price).
    #[error(transparent)]
    Amount(#[from] flux_core::error::AmountError),
}

impl From<flux_chain::error::GenesisError> for DevnetError {
    fn from(e: flux_chain::error::GenesisError) -> DevnetError {
        DevnetError::Genesis(Box::new(e))
    }
}

impl From<crate::node::NodeError> for DevnetError {
    fn from(e: crate::node::NodeError) -> DevnetError {
        DevnetError::Config(Box::new(e))
    }
}

/// An OS error on `path`.
fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> DevnetError + '_ {
    move |source| DevnetError::Io {
        path: path.to_owned(),
        source,
    }
}
