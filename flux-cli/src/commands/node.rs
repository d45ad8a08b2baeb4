//! `flux node list`: the registry of a chain's data directory.

use std::io::Write;
use std::path::Path;

use flux_chain::chain::Chain;
use flux_chain::store::RedbStore;
use flux_core::Tier;
use flux_nodes::NodeEntry;
use serde::Serialize;

use crate::error::CliError;
use crate::output::Output;

/// The file of the chain database inside a data directory.
pub const CHAIN_FILE: &str = "chain.redb";

/// One line of the list.
#[derive(Serialize)]
struct Row<'a> {
    /// Position in its tier's payout queue (1 = paid next); none if not confirmed.
    queue_position: Option<usize>,
    /// The bech32m owner address.
    owner_address: String,
    #[serde(flatten)]
    entry: &'a NodeEntry,
}

/// Lists the nodes in `data_dir`'s chain: confirmed ones per tier in payout order, then the
/// others by id.
pub fn list<W: Write>(
    out: &mut Output<W>,
    data_dir: &Path,
    tier: Option<Tier>,
) -> Result<(), CliError> {
    let path = data_dir.join(CHAIN_FILE);
    if !path.is_file() {
        return Err(CliError::NoChain(data_dir.to_owned()));
    }
    let store = RedbStore::open(&path).map_err(flux_chain::error::ChainError::from)?;
    let chain = Chain::open(store)?.ok_or_else(|| CliError::NoChain(data_dir.to_owned()))?;
    let state = chain.state();
    let registry = state.registry();
    let network = state.params().network;
    let tiers: Vec<Tier> = tier.map_or(Tier::ALL.to_vec(), |t| vec![t]);
    let mut rows = Vec::new();
    for t in &tiers {
        for (i, (_, id)) in registry.payout().iter(*t).enumerate() {
            if let Some(entry) = registry.get(id) {
                rows.push(Row {
                    queue_position: Some(i + 1),
                    owner_address: entry.owner.to_bech32(network),
                    entry,
                });
            }
        }
    }
    for entry in registry
        .iter()
        .filter(|e| tiers.contains(&e.tier) && !registry.payout().contains(&e.id))
    {
        rows.push(Row {
            queue_position: None,
            owner_address: entry.owner.to_bech32(network),
            entry,
        });
    }
    let mut text = format!(
        "{} nodes at height {} ({} network)\n",
        rows.len(),
        state.tip().height,
        network
    );
    for r in &rows {
        let e = r.entry;
        let id = e.id.to_string();
        text.push_str(&format!(
            "{:>5} {:<8} {:<9} {}  {:<22} {:<16} owner {}\n",
            r.queue_position.map_or("-".to_owned(), |p| p.to_string()),
            e.tier.name(),
            e.status.to_string(),
            &id[..16],
            e.endpoint,
            e.geolocation,
            r.owner_address,
        ));
    }
    out.emit(&rows, &text)
}
