//! A real [`Node`] for tests: one validator on this machine, a funded account beside it.

use flux_core::Amount;
use flux_core::crypto::SecretKey;
use thiserror::Error;

use super::{FixtureError, GenesisBuilder};
use crate::api::client::{Client, ClientError};
use crate::node::{Node, NodeConfig, NodeError};

/// Why [`start_validator`] failed.
#[derive(Debug, Error)]
pub enum LocalNodeError {
    /// The genesis could not be built.
    #[error(transparent)]
    Genesis(#[from] FixtureError),
    /// The node did not start.
    #[error(transparent)]
    Node(#[from] Box<NodeError>),
    /// The API client could not be made.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Starts a node validating alone in `dir` ([`NodeConfig::local`]: 127.0.0.1, ports chosen by
/// the OS): its keys derive from `seed` ([`GenesisBuilder::validators`]), and `funded` holds
/// `amount` at genesis. Returns the node and a client of its API.
///
/// The genesis is dated now: a block's time may run at most `max_block_drift_ms` ahead of its
/// parent's, so on a genesis dated in the past the node would make blocks back to back until
/// its block times caught up with the clock, and windows counted in blocks (a job's phases)
/// would pass before its worker has done anything.
///
/// ```no_run
/// use flux_net::testkit::keys::key;
/// use flux_net::testkit::node::start_validator;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let (node, client) = start_validator(dir.path(), 7, &key(1), "1000".parse()?).await?;
/// assert!(client.status().await?.height <= 1);
/// node.shutdown().await?;
/// # Ok(()) }
/// ```
pub async fn start_validator(
    dir: &std::path::Path,
    seed: u64,
    funded: &SecretKey,
    amount: Amount,
) -> Result<(Node, Client), LocalNodeError> {
    start_validator_with(dir, seed, funded, amount, |_| {}).await
}

/// [`start_validator`], with `configure` changing the node's config before it starts (e.g. to
/// turn hosting on).
pub async fn start_validator_with(
    dir: &std::path::Path,
    seed: u64,
    funded: &SecretKey,
    amount: Amount,
    configure: impl FnOnce(&mut NodeConfig),
) -> Result<(Node, Client), LocalNodeError> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let builder = GenesisBuilder::new()
        .timestamp_ms(now_ms)
        .validators(1, seed)?
        .account(funded, amount);
    let keys = builder.node_keys();
    let operator = keys.first().map(|k| k.operator.clone());
    let mut config = NodeConfig::local(dir, builder.build()?, operator);
    configure(&mut config);
    let node = Node::start(config).await.map_err(Box::new)?;
    let url = match node.api_addr() {
        Some(addr) => format!("http://{addr}"),
        None => String::new(),
    };
    let client = Client::new(&url)?;
    Ok((node, client))
}
