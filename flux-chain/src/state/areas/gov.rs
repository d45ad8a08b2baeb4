//! xDAO governance: proposals, votes, executed parameter changes, upgrades (in the trie) and
//! the open proposals' weight snapshots (stored, not in the trie).

use flux_core::error::CodecError;
use flux_core::{Address, ChainParams};
use flux_nodes::node::NodeId;

use super::rows::{AreaReader, RowKey, Table, WriteBatch, decode, decode_state_key, wrong_key};
use super::{LoadContext, StateArea, TrieChanges, entry};
use crate::error::StoreError;
use crate::gov::{Action, Choice, Governance, ProposalStatus};
use crate::state::StateKey;

/// Governance entries by their encoded `StateKey` (proposals, votes, parameter changes,
/// upgrades).
const GOV: Table = Table::bytes("gov");
/// Snapshots by proposal id, written once per proposal.
const GOV_SNAPSHOTS: Table = Table::numbers("gov_snapshots");

/// What changed in governance this block (for the state root and storage).
#[derive(Clone, Debug, Default)]
pub struct GovChanges {
    /// Proposals created or updated.
    pub proposals: imbl::OrdSet<u64>,
    /// Votes cast.
    pub votes: Vec<((u64, NodeId), Choice)>,
    /// Parameter changes executed.
    pub params: Vec<((flux_core::params::GovernableParam, u64), u64)>,
    /// Upgrades signalled.
    pub upgrades: Vec<(String, u64)>,
    /// Snapshots taken (proposals made) this block.
    pub snapshots_added: Vec<u64>,
    /// Snapshots dropped (proposals tallied) this block.
    pub snapshots_removed: Vec<u64>,
}

/// What a block did to governance.
#[derive(Clone, Debug)]
pub struct GovDiff {
    /// Governance after the block.
    pub gov: Governance,
    /// What changed.
    pub changes: GovChanges,
}

/// The governance area: trie entries [`StateKey::Proposal`], [`StateKey::GovVote`],
/// [`StateKey::ParamChange`] and [`StateKey::Upgrade`].
pub struct GovArea;

impl StateArea for GovArea {
    type Value = Governance;
    type Diff = GovDiff;

    fn entries(gov: &Governance, out: &mut TrieChanges) -> Result<(), CodecError> {
        for (id, p) in gov.proposals.iter() {
            out.push(entry(&StateKey::Proposal(*id), Some(p))?);
        }
        for ((id, node), choice) in gov.votes.iter() {
            out.push(entry(&StateKey::GovVote(*id, *node), Some(choice))?);
        }
        for ((param, at), value) in gov.param_changes.iter() {
            out.push(entry(&StateKey::ParamChange(*param, *at), Some(value))?);
        }
        for (name, at) in gov.upgrades.iter() {
            out.push(entry(&StateKey::Upgrade(name.clone()), Some(at))?);
        }
        Ok(())
    }

    fn trie_changes(diff: &GovDiff, out: &mut TrieChanges) -> Result<(), CodecError> {
        let changes = &diff.changes;
        for id in &changes.proposals {
            out.push(entry(&StateKey::Proposal(*id), diff.gov.proposals.get(id))?);
        }
        for ((id, node), choice) in &changes.votes {
            out.push(entry(&StateKey::GovVote(*id, *node), Some(choice))?);
        }
        for ((param, at), value) in &changes.params {
            out.push(entry(&StateKey::ParamChange(*param, *at), Some(value))?);
        }
        for (name, at) in &changes.upgrades {
            out.push(entry(&StateKey::Upgrade(name.clone()), Some(at))?);
        }
        Ok(())
    }

    fn apply(value: &mut Governance, diff: GovDiff) {
        *value = diff.gov;
    }

    fn save(diff: &GovDiff, batch: &mut WriteBatch) -> Result<(), StoreError> {
        batch.create(GOV);
        batch.create(GOV_SNAPSHOTS);
        let changes = &diff.changes;
        let gov = &diff.gov;
        for id in &changes.proposals {
            if let Some(p) = gov.proposals.get(id) {
                batch.put(GOV, RowKey::state_key(&StateKey::Proposal(*id))?, Some(p))?;
            }
        }
        for ((id, node), choice) in &changes.votes {
            let key = RowKey::state_key(&StateKey::GovVote(*id, *node))?;
            batch.put(GOV, key, Some(choice))?;
        }
        for ((param, at), value) in &changes.params {
            let key = RowKey::state_key(&StateKey::ParamChange(*param, *at))?;
            batch.put(GOV, key, Some(value))?;
        }
        for (name, at) in &changes.upgrades {
            let key = RowKey::state_key(&StateKey::Upgrade(name.clone()))?;
            batch.put(GOV, key, Some(at))?;
        }
        for id in &changes.snapshots_added {
            if let Some(s) = gov.snapshots.get(id) {
                let rows: Vec<_> = s.iter().map(|(n, (o, w))| (*n, *o, *w)).collect();
                batch.put(GOV_SNAPSHOTS, RowKey::Number(*id), Some(&rows))?;
            }
        }
        for id in &changes.snapshots_removed {
            batch.put_bytes(GOV_SNAPSHOTS, RowKey::Number(*id), None);
        }
        Ok(())
    }

    fn save_all(gov: &Governance, batch: &mut WriteBatch) -> Result<(), StoreError> {
        let changes = GovChanges {
            proposals: gov.proposals.keys().copied().collect(),
            votes: gov.votes.iter().map(|(k, v)| (*k, *v)).collect(),
            params: gov.param_changes.iter().map(|(k, v)| (*k, *v)).collect(),
            upgrades: gov.upgrades.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            snapshots_added: gov.snapshots.keys().copied().collect(),
            snapshots_removed: Vec::new(),
        };
        Self::save(
            &GovDiff {
                gov: gov.clone(),
                changes,
            },
            batch,
        )
    }

    fn load(rows: &dyn AreaReader, ctx: &mut LoadContext) -> Result<Governance, StoreError> {
        let mut gov = Governance::default();
        for (k, v) in rows.rows(GOV)? {
            match decode_state_key("governance key", &k)? {
                StateKey::Proposal(id) => {
                    gov.proposals.insert(id, decode("proposal", &v)?);
                }
                StateKey::GovVote(id, node) => {
                    gov.votes.insert((id, node), decode("vote", &v)?);
                }
                StateKey::ParamChange(param, at) => {
                    gov.param_changes
                        .insert((param, at), decode("parameter change", &v)?);
                }
                StateKey::Upgrade(name) => {
                    gov.upgrades.insert(name, decode("upgrade", &v)?);
                }
                _ => return Err(wrong_key("governance key")),
            }
        }
        for (k, v) in rows.rows(GOV_SNAPSHOTS)? {
            let RowKey::Number(id) = k else {
                return Err(wrong_key("snapshot key"));
            };
            let rows: Vec<(NodeId, Address, u64)> = decode("snapshot", &v)?;
            let snapshot = rows.into_iter().map(|(n, o, w)| (n, (o, w))).collect();
            gov.snapshots.insert(id, snapshot);
        }
        ctx.params = params_after(ctx.params.clone(), &gov)?;
        Ok(gov)
    }
}

/// The genesis parameters with every executed governance change applied in the order the
/// chain executed them: by height, then by proposal id. One block's changes may be consistent
/// only in that order (`nodes.expire_after` raised, then `nodes.min_confirm_interval` above
/// its old value), so the order of the parameters would not do.
fn params_after(mut params: ChainParams, gov: &Governance) -> Result<ChainParams, StoreError> {
    let mut executed: Vec<(u64, u64, flux_core::params::GovernableParam, u64)> = gov
        .proposals
        .values()
        .filter_map(|p| match (&p.status, &p.action) {
            (ProposalStatus::Passed, Action::ParamChange { param, value }) => {
                Some((p.end, p.id, *param, *value))
            }
            _ => None,
        })
        .collect();
    executed.sort_unstable();
    for (_, _, param, value) in executed {
        param.set(&mut params, value).map_err(StoreError::Params)?;
    }
    Ok(params)
}
