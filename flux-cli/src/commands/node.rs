//! `flux node list`: the registry of the chain a node follows, through its API
//! (`GET /v1/nodes`).

use std::io::Write;

use flux_net::api::views::NodeView;
use serde::Serialize;

use super::send::{block_on, client};
use crate::cli::NodeListArgs;
use crate::error::CliError;
use crate::output::Output;

/// One line of the list: the node's view, and its owner under the name the list has always
/// used (`owner_address`).
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    node: &'a NodeView,
    /// The bech32m owner address (the same as `owner`).
    owner_address: &'a str,
}

/// Lists the nodes the node at `--node` knows: confirmed ones per tier in payout order, then
/// the others by id.
pub fn list<W: Write>(out: &mut Output<W>, args: &NodeListArgs) -> Result<(), CliError> {
    let client = client(&args.node.url)?;
    let tier = args.tier.map(Into::into);
    let (network, view) = block_on(async {
        let network = client.status().await?.network;
        Ok::<_, CliError>((network, client.nodes(tier).await?))
    })??;
    let rows: Vec<Row<'_>> = view
        .nodes
        .iter()
        .map(|node| Row {
            node,
            owner_address: &node.owner,
        })
        .collect();
    let mut text = format!(
        "{} nodes at height {} ({} network)\n",
        rows.len(),
        view.height,
        network
    );
    for n in &view.nodes {
        let id = n.id.to_string();
        text.push_str(&format!(
            "{:>5} {:<8} {:<9} {}  {:<22} {:<16} owner {}\n",
            n.queue_position.map_or("-".to_owned(), |p| p.to_string()),
            n.tier.name(),
            n.status.to_string(),
            &id[..16],
            n.endpoint,
            n.geolocation,
            n.owner,
        ));
    }
    out.emit(&rows, &text)
}
