//! Arguments of `flux app logs|update|cancel` and the hosting options `status` and `deploy`
//! share.

use std::path::PathBuf;

use clap::Args;
use flux_nodes::NodeId;

use super::api::{NodeUrl, TxOptions};

/// How to reach the nodes that host an app.
#[derive(Debug, Clone, Default, Args)]
pub struct HostingNodes {
    /// The API of a hosting node whose registered endpoint is not its API (repeatable).
    #[arg(long = "node-api", value_name = "NODE_ID=URL", value_parser = parse_node_api)]
    pub node_apis: Vec<(NodeId, String)>,
    /// The gateway domain suffix for the printed URLs (default: what a hosting node reports,
    /// else `app.localhost`).
    #[arg(long, value_name = "SUFFIX")]
    pub domain_suffix: Option<String>,
}

/// `NODE_ID=URL`.
pub fn parse_node_api(text: &str) -> Result<(NodeId, String), String> {
    let (id, url) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NODE_ID=URL"))?;
    let id = id
        .parse::<flux_core::Hash>()
        .map_err(|e| format!("node id {id:?}: {e}"))?;
    Ok((NodeId(id), url.to_owned()))
}

/// `flux app logs ...`
#[derive(Debug, Args)]
pub struct AppLogsArgs {
    /// The app's name.
    pub name: String,
    /// The owner's key file (signs the request).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The instance (default: the first placed).
    #[arg(long, value_name = "N")]
    pub instance: Option<u32>,
    /// The component (default: the spec's first).
    #[arg(long, value_name = "NAME")]
    pub component: Option<String>,
    /// Lines from the end.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(flux_net::runtime::MAX_LOG_TAIL)))]
    pub tail: u32,
    /// Hosting nodes.
    #[command(flatten)]
    pub hosts: HostingNodes,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux app update ...`
#[derive(Debug, Args)]
pub struct AppUpdateArgs {
    /// The owner's key file (pays the difference).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The new specification (FluxOS v8 JSON, same name).
    #[arg(value_name = "SPEC.json")]
    pub spec: PathBuf,
    /// Fee and waiting (`--wait`: until finalised and every instance serves the new spec).
    #[command(flatten)]
    pub tx: TxOptions,
    /// Hosting nodes.
    #[command(flatten)]
    pub hosts: HostingNodes,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux app cancel ...`
#[derive(Debug, Args)]
pub struct AppCancelArgs {
    /// The app's name.
    pub name: String,
    /// The owner's key file.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Fee and waiting (`--wait`: until finalised and every hosting node removed it).
    #[command(flatten)]
    pub tx: TxOptions,
    /// Hosting nodes.
    #[command(flatten)]
    pub hosts: HostingNodes,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}
