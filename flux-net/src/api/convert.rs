//! Views built from chain state (pure functions; the caller holds the chain lock).

use flux_chain::gov::Governance;
use flux_chain::state::State;
use flux_chain::store::TxLocation;
use flux_chain::transition::TxReceipt;
use flux_chain::tx::{Transaction, TxId};
use flux_core::error::ParamsError;
use flux_core::params::GovernableParam;
use flux_core::{ChainParams, Network, Tier};
use flux_nodes::NodeEntry;

use super::views::{
    AppSummaryView, AppView, AppsView, InstanceView, NodeView, NodesView, TxStatus, TxView,
    kind_name,
};

/// The view of a transaction, finalised at `at` or pending.
pub(crate) fn tx_view(
    id: TxId,
    tx: Transaction,
    at: Option<TxLocation>,
    receipt: Option<TxReceipt>,
    network: Network,
) -> TxView {
    TxView {
        id,
        status: if at.is_some() {
            TxStatus::Finalized
        } else {
            TxStatus::Pending
        },
        height: at.map(|a| a.height),
        index: at.map(|a| a.index),
        sender: tx.sender_address().to_bech32(network),
        kind: kind_name(&tx.kind).to_owned(),
        tx,
        receipt,
    }
}

fn node_view(entry: &NodeEntry, queue_position: Option<u64>, network: Network) -> NodeView {
    NodeView {
        id: entry.id,
        queue_position,
        owner: entry.owner.to_bech32(network),
        operator: entry.operator.to_string(),
        tier: entry.tier,
        status: entry.status,
        collateral: entry.collateral,
        endpoint: entry.endpoint.clone(),
        geolocation: entry.geolocation.to_string(),
        declared: entry.declared,
        attested: entry.attested,
        started_at: entry.started_at,
        confirmed_at: entry.confirmed_at,
        last_confirm: entry.last_confirm,
        last_paid: entry.last_paid,
    }
}

/// The registry's nodes (of `tier`, or all): confirmed ones per tier in payout order, then the
/// others by id.
pub(crate) fn nodes_view(state: &State, tier: Option<Tier>) -> NodesView {
    let network = state.params().network;
    let registry = state.registry();
    let tiers: &[Tier] = match &tier {
        Some(t) => std::slice::from_ref(t),
        None => &Tier::ALL,
    };
    let mut nodes = Vec::new();
    for t in tiers {
        for (i, (_, id)) in registry.payout().iter(*t).enumerate() {
            if let Some(entry) = registry.get(id) {
                nodes.push(node_view(entry, Some(i as u64 + 1), network));
            }
        }
    }
    nodes.extend(
        registry
            .iter()
            .filter(|e| tiers.contains(&e.tier) && !registry.payout().contains(&e.id))
            .map(|e| node_view(e, None, network)),
    );
    NodesView {
        height: state.tip().height,
        nodes,
    }
}

/// Every registered app, by name.
pub(crate) fn apps_view(state: &State) -> AppsView {
    let network = state.params().network;
    let placement = state.placement();
    let apps = state
        .apps()
        .iter()
        .map(|(name, a)| AppSummaryView {
            name: name.clone(),
            owner: a.owner.to_bech32(network),
            instances: a.instances,
            placed: placement.where_is(name).len() as u32,
            registered_at: a.registered_at,
            expires_at: a.expires_at,
            escrow: a.escrow,
        })
        .collect();
    AppsView {
        height: state.tip().height,
        apps,
    }
}

/// One app with its specification and the nodes of its instances; `None` if not registered.
pub(crate) fn app_view(state: &State, name: &str) -> Option<AppView> {
    let a = state.apps().get(name)?;
    let registry = state.registry();
    let placement: Vec<InstanceView> = state
        .placement()
        .instances_of(name)
        .into_iter()
        .map(|(instance, node)| InstanceView {
            instance,
            node,
            endpoint: registry.get(&node).map(|e| e.endpoint.clone()),
        })
        .collect();
    // The registered JSON was validated at registration; should it ever not parse, it is
    // shown as the string it is rather than failing the request.
    let spec = serde_json::from_str(&a.spec_json)
        .unwrap_or_else(|_| serde_json::Value::String(a.spec_json.clone()));
    Some(AppView {
        name: a.name.clone(),
        owner: a.owner.to_bech32(state.params().network),
        spec,
        instances: a.instances,
        demand: a.demand,
        registered_at: a.registered_at,
        expires_at: a.expires_at,
        paid: a.paid,
        escrow: a.escrow,
        unplaced: a.instances.saturating_sub(placement.len() as u32),
        placement,
    })
}

/// The parameters in force at `height` (those block `height` is checked against): the
/// genesis parameters with every change governance executed before `height`.
///
/// Each change was consistent with the others when it executed, but setting a block's changes
/// one by one may pass through an inconsistent pair (e.g. `nodes.min_confirm_interval` must
/// stay below `nodes.expire_after`), so a refused one is retried after the others.
pub(crate) fn params_at(
    gov: &Governance,
    genesis: &ChainParams,
    height: u64,
) -> Result<ChainParams, ParamsError> {
    let mut params = genesis.clone();
    let mut pending: Vec<(GovernableParam, u64)> = GovernableParam::ALL
        .into_iter()
        .map(|p| (p, gov.param_at(p, height, p.get(genesis))))
        .filter(|(p, v)| p.get(genesis) != *v)
        .collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut refused = None;
        pending.retain(|(p, v)| match p.set(&mut params, *v) {
            Ok(()) => false,
            Err(e) => {
                refused = Some(e);
                true
            }
        });
        if let Some(e) = refused
            && pending.len() == before
        {
            return Err(e);
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn params_at_replays_changes_in_an_order_that_stays_consistent() {
        let genesis = ChainParams::devnet();
        let (confirm, expire) = (
            GovernableParam::MinConfirmInterval,
            GovernableParam::ExpireAfter,
        );
        assert_eq!((confirm.get(&genesis), expire.get(&genesis)), (500, 640));
        // Block 10 raised expire_after, block 20 then raised min_confirm_interval above the
        // old expire_after: set first (the order of `GovernableParam::ALL`), it is refused.
        let mut gov = Governance::default();
        gov.param_changes.insert((expire, 10), 1_000);
        gov.param_changes.insert((confirm, 20), 900);
        let at = |h| params_at(&gov, &genesis, h).unwrap();
        assert_eq!(at(0), genesis);
        assert_eq!(at(10), genesis);
        assert_eq!((confirm.get(&at(11)), expire.get(&at(11))), (500, 1_000));
        assert_eq!((confirm.get(&at(21)), expire.get(&at(21))), (900, 1_000));
        // A history no sequence of valid changes could make is an error, not a guess.
        gov.param_changes.insert((expire, 30), 800);
        assert!(params_at(&gov, &genesis, 31).is_err());
    }
}
