//! Arguments of the commands that talk to a node's HTTP API (`--node URL`).

use std::path::PathBuf;

use clap::Args;

use super::TierArg;

/// The node API commands talk to by default.
pub const DEFAULT_NODE_URL: &str = "http://127.0.0.1:18080";

/// `--node URL`: the node whose API a command uses.
#[derive(Debug, Clone, Args)]
pub struct NodeUrl {
    /// The node's HTTP API (also `--api`).
    #[arg(long = "node", visible_alias = "api", value_name = "URL", default_value = DEFAULT_NODE_URL)]
    pub url: String,
}

/// Fee and waiting, for commands that send a transaction.
#[derive(Debug, Clone, Args)]
pub struct TxOptions {
    /// Fee, FLUX.
    #[arg(long, value_name = "FLUX", default_value = "0.00001")]
    pub fee: flux_core::Amount,
    /// Wait until the transaction is in a finalised block.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
}

/// `flux send ...`
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The sender's key file.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The recipient (bech32m with the chain's prefix).
    #[arg(long, value_name = "ADDRESS")]
    pub to: String,
    /// How much, FLUX (e.g. `2.5`).
    #[arg(long, value_name = "FLUX")]
    pub amount: flux_core::Amount,
    /// Fee and waiting.
    #[command(flatten)]
    pub tx: TxOptions,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux balance ...`
#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// The account (bech32m with the chain's prefix, or 40 hex digits).
    pub address: String,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux tx ...`
#[derive(Debug, Args)]
pub struct TxArgs {
    /// The transaction id (64 hex digits).
    pub id: flux_core::Hash,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux block ...`
#[derive(Debug, Args)]
pub struct BlockArgs {
    /// A height, or `latest`.
    #[arg(value_name = "HEIGHT|latest", value_parser = parse_block_ref)]
    pub height: flux_net::api::BlockRef,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// A height or `latest`.
pub fn parse_block_ref(text: &str) -> Result<flux_net::api::BlockRef, String> {
    if text == "latest" {
        return Ok(flux_net::api::BlockRef::Latest);
    }
    text.parse()
        .map(flux_net::api::BlockRef::Height)
        .map_err(|_| format!("{text:?} is neither a height nor `latest`"))
}

/// `flux node start ...`
#[derive(Debug, Args)]
pub struct NodeStartArgs {
    /// The owner's key file: bonds the collateral, receives the rewards.
    #[arg(long, value_name = "OWNER_FILE")]
    pub key: PathBuf,
    /// The operator's public key (`ed25519:<hex>`) or key file.
    #[arg(long, value_name = "OPERATOR_PUBKEY_OR_FILE")]
    pub operator: String,
    /// The tier.
    #[arg(long, value_enum)]
    pub tier: TierArg,
    /// Where peers reach the node.
    #[arg(long, value_name = "HOST:PORT")]
    pub endpoint: String,
    /// Where it is, e.g. `EU_DE` or `NA_US_California`.
    #[arg(long, value_name = "GEO")]
    pub geo: flux_nodes::node::Geolocation,
    /// Declared physical CPU cores (default: the tier's minimum).
    #[arg(long, value_name = "N")]
    pub cpu_cores: Option<u32>,
    /// Declared CPU threads (default: the tier's minimum).
    #[arg(long, value_name = "N")]
    pub threads: Option<u32>,
    /// Declared RAM, MB (default: the tier's minimum).
    #[arg(long, value_name = "MB")]
    pub ram_mb: Option<u64>,
    /// Declared SSD, GB (default: the tier's minimum).
    #[arg(long, value_name = "GB")]
    pub ssd_gb: Option<u64>,
    /// Declared bandwidth, Mbit/s (default: the tier's minimum).
    #[arg(long, value_name = "MBPS")]
    pub bandwidth_mbps: Option<u32>,
    /// Fee and waiting.
    #[command(flatten)]
    pub tx: TxOptions,
    /// The node whose API to use.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux node confirm ...`
#[derive(Debug, Args)]
pub struct NodeConfirmArgs {
    /// The operator's key file (the node's id is its public key's).
    #[arg(long, value_name = "OPERATOR_FILE")]
    pub key: PathBuf,
    /// The attested benchmark (JSON `BenchmarkEvidence`).
    #[arg(long, value_name = "FILE")]
    pub evidence: PathBuf,
    /// Fee and waiting.
    #[command(flatten)]
    pub tx: TxOptions,
    /// The node whose API to use.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux node exit ...` (here `--node` is the node's id and `--api` the API's URL).
#[derive(Debug, Args)]
pub struct NodeExitArgs {
    /// The owner's key file.
    #[arg(long, value_name = "OWNER_FILE")]
    pub key: PathBuf,
    /// The node's id (64 hex digits).
    #[arg(long = "node", value_name = "ID")]
    pub node: flux_core::Hash,
    /// The node API to send through.
    #[arg(long = "api", value_name = "URL", default_value = DEFAULT_NODE_URL)]
    pub api: String,
    /// Fee and waiting.
    #[command(flatten)]
    pub tx: TxOptions,
}

/// `flux app deploy ...`
#[derive(Debug, Args)]
pub struct AppDeployArgs {
    /// The owner's key file (pays the price into escrow).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The specification (FluxOS v8 JSON).
    #[arg(value_name = "SPEC.json")]
    pub spec: PathBuf,
    /// The price to pay, FLUX (default: the chain's price for the spec's `expire`).
    #[arg(long, value_name = "FLUX")]
    pub price: Option<flux_core::Amount>,
    /// Fee and waiting (`--wait`: until finalised and every instance serves; prints the URLs).
    #[command(flatten)]
    pub tx: TxOptions,
    /// Hosting nodes.
    #[command(flatten)]
    pub hosts: super::HostingNodes,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux app status ...`
#[derive(Debug, Args)]
pub struct AppStatusArgs {
    /// The app's name.
    pub name: String,
    /// Hosting nodes.
    #[command(flatten)]
    pub hosts: super::HostingNodes,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux bench-tx ...`
#[derive(Debug, Args)]
pub struct BenchTxArgs {
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
    /// Transactions per second.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: u32,
    /// Seconds to send for.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub duration: u64,
    /// Funded key files: the senders, or (with `--accounts`) the funders.
    #[arg(long = "keys", value_name = "FILE", num_args = 1.., required = true)]
    pub keys: Vec<PathBuf>,
    /// Send from this many accounts derived from the first key, funded from the keys first
    /// (spreads the load; each sender sends in nonce order, one request at a time).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub accounts: Option<usize>,
    /// Fee of each transfer, FLUX.
    #[arg(long, value_name = "FLUX", default_value = "0.00001")]
    pub fee: flux_core::Amount,
    /// Amount of each transfer, FLUX.
    #[arg(long, value_name = "FLUX", default_value = "0.00000001")]
    pub amount: flux_core::Amount,
    /// Seconds to wait for finality after the last submission.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub settle: u64,
}

/// `flux node list ...`
#[derive(Debug, Args)]
pub struct NodeListArgs {
    /// Only this tier.
    #[arg(long, value_enum)]
    pub tier: Option<TierArg>,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}
