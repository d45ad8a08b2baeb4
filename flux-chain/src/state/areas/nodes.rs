//! The node registry: node entries by id (queues and deadlines are derived from them).

use std::collections::BTreeMap;

use flux_core::error::CodecError;
use flux_nodes::node::{NodeEntry, NodeId};
use flux_nodes::registry::Registry;

use super::rows::{AreaReader, RowKey, Table, WriteBatch, decode};
use super::{LoadContext, StateArea, TrieChanges, entry};
use crate::error::StoreError;
use crate::state::StateKey;

/// Node entries by their 32 id bytes.
const NODES: Table = Table::bytes("nodes");

/// What a block changed in the registry.
#[derive(Clone, Debug)]
pub struct NodesDiff {
    /// The registry after the block.
    pub registry: Registry,
    /// New values of the node entries the block touched (`None`: the node left).
    pub changed: BTreeMap<NodeId, Option<NodeEntry>>,
}

/// The registry area: trie entries [`StateKey::Node`].
pub struct NodesArea;

fn row(id: &NodeId) -> RowKey {
    RowKey::Bytes(id.0.as_bytes().to_vec())
}

impl StateArea for NodesArea {
    type Value = Registry;
    type Diff = NodesDiff;

    fn entries(value: &Registry, out: &mut TrieChanges) -> Result<(), CodecError> {
        for e in value.iter() {
            out.push(entry(&StateKey::Node(e.id), Some(e))?);
        }
        Ok(())
    }

    fn trie_changes(diff: &NodesDiff, out: &mut TrieChanges) -> Result<(), CodecError> {
        for (id, e) in &diff.changed {
            out.push(entry(&StateKey::Node(*id), e.as_ref())?);
        }
        Ok(())
    }

    fn apply(value: &mut Registry, diff: NodesDiff) {
        *value = diff.registry;
    }

    fn save(diff: &NodesDiff, batch: &mut WriteBatch) -> Result<(), StoreError> {
        batch.create(NODES);
        for (id, e) in &diff.changed {
            batch.put(NODES, row(id), e.as_ref())?;
        }
        Ok(())
    }

    fn save_all(value: &Registry, batch: &mut WriteBatch) -> Result<(), StoreError> {
        batch.create(NODES);
        for e in value.iter() {
            batch.put(NODES, row(&e.id), Some(e))?;
        }
        Ok(())
    }

    fn load(rows: &dyn AreaReader, ctx: &mut LoadContext) -> Result<Registry, StoreError> {
        let entries = rows
            .rows(NODES)?
            .into_iter()
            .map(|(_, v)| decode::<NodeEntry>("node entry", &v))
            .collect::<Result<Vec<_>, _>>()?;
        let registry = Registry::from_entries(entries).map_err(StoreError::Registry)?;
        ctx.registry = Some(registry.clone());
        Ok(registry)
    }
}
