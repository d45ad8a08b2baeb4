//! The rules of the app transactions, and what happens to apps at the end of every block:
//! nodes that joined or left change the placement (only the instances of a node that left
//! move), expired apps end, unplaced instances are retried, and each app's escrow streams to
//! the owners of the nodes that host it.

use flux_core::{Address, Amount};
use flux_nodes::app::{AppSpec, update_price};
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeId;
use flux_nodes::placement::PlacementNode;
use serde::{Deserialize, Serialize};

use super::{Ctx, Event};
use crate::apps::{AppEntry, SpecError};
use crate::error::{BlockError, TxError};
use crate::tx::{AppCancel, AppRegister, AppUpdate};

/// What happened to an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppEvent {
    /// Registered; `price` went into escrow.
    Registered {
        /// The app.
        name: String,
        /// Paid into escrow.
        price: Amount,
    },
    /// Updated; `due` was added to the escrow.
    Updated {
        /// The app.
        name: String,
        /// Paid for the update.
        due: Amount,
    },
    /// Cancelled by its owner, or expired: the rest of the escrow went back to the owner.
    Ended {
        /// The app.
        name: String,
        /// Refunded to the owner.
        refund: Amount,
        /// Whether it expired (else it was cancelled).
        expired: bool,
    },
}

fn parse(ctx: &Ctx<'_>, json: &str) -> Result<AppSpec, TxError> {
    AppSpec::from_json_strict(json.as_bytes(), &ctx.state.params().apps)
        .map_err(|e| TxError::AppSpec(SpecError::from(e)))
}

fn spec_err(e: flux_nodes::app::AppError) -> TxError {
    TxError::AppSpec(SpecError::from(e))
}

/// `AppRegister`: validate, charge the exact price into escrow, place the instances.
pub(crate) fn register(
    ctx: &mut Ctx<'_>,
    owner: Address,
    a: &AppRegister,
) -> Result<Vec<Event>, TxError> {
    let spec = parse(ctx, &a.spec)?;
    if ctx.apps.contains_key(&spec.name) {
        return Err(TxError::AppExists(spec.name));
    }
    let expected = spec
        .price(&ctx.state.params().apps.prices)
        .map_err(spec_err)?
        .total;
    if a.price != expected {
        return Err(TxError::PriceMismatch {
            expected,
            offered: a.price,
        });
    }
    let mut account = ctx.overlay.get(&owner);
    account.balance = account.balance.checked_sub(expected)?;
    ctx.overlay.set(owner, account);
    let entry = AppEntry::new(&spec, a.spec.clone(), owner, ctx.height, expected);
    ctx.placement.add_app(entry.workload(ctx.state.params()))?;
    ctx.apps.insert(entry.name.clone(), entry);
    ctx.apps_touched.insert(spec.name.clone());
    Ok(vec![Event::App(AppEvent::Registered {
        name: spec.name,
        price: expected,
    })])
}

/// `AppUpdate`: the owner replaces the spec; pays the new price less the unused part.
pub(crate) fn update(
    ctx: &mut Ctx<'_>,
    owner: Address,
    a: &AppUpdate,
) -> Result<Vec<Event>, TxError> {
    let spec = parse(ctx, &a.spec)?;
    let old = ctx
        .apps
        .get(&spec.name)
        .cloned()
        .ok_or_else(|| TxError::UnknownApp(spec.name.clone()))?;
    if old.owner != owner {
        return Err(TxError::NotAppOwner(spec.name));
    }
    let prices = &ctx.state.params().apps.prices;
    let old_expire = old.expires_at.saturating_sub(old.registered_at);
    let remaining = old.expires_at.saturating_sub(ctx.height);
    let quote = update_price(old.paid, old_expire, remaining, &spec, prices).map_err(spec_err)?;
    if a.price != quote.due {
        return Err(TxError::PriceMismatch {
            expected: quote.due,
            offered: a.price,
        });
    }
    let mut account = ctx.overlay.get(&owner);
    account.balance = account.balance.checked_sub(quote.due)?;
    ctx.overlay.set(owner, account);
    let mut entry = AppEntry::new(&spec, a.spec.clone(), owner, ctx.height, quote.new_price);
    entry.escrow = old.escrow.checked_add(quote.due)?;
    ctx.placement
        .update_app(entry.workload(ctx.state.params()))?;
    ctx.apps.insert(entry.name.clone(), entry);
    ctx.apps_touched.insert(spec.name.clone());
    Ok(vec![Event::App(AppEvent::Updated {
        name: spec.name,
        due: quote.due,
    })])
}

/// `AppCancel`: the owner stops the app and gets the rest of the escrow back.
pub(crate) fn cancel(
    ctx: &mut Ctx<'_>,
    owner: Address,
    c: &AppCancel,
) -> Result<Vec<Event>, TxError> {
    let app = ctx
        .apps
        .get(&c.name)
        .cloned()
        .ok_or_else(|| TxError::UnknownApp(c.name.clone()))?;
    if app.owner != owner {
        return Err(TxError::NotAppOwner(c.name.clone()));
    }
    Ok(vec![Event::App(end(ctx, &app, false)?)])
}

fn end(ctx: &mut Ctx<'_>, app: &AppEntry, expired: bool) -> Result<AppEvent, TxError> {
    ctx.placement.remove_app(&app.name)?;
    ctx.apps.remove(&app.name);
    ctx.apps_touched.insert(app.name.clone());
    ctx.overlay.credit(app.owner, app.escrow)?;
    ctx.capacity_freed = true;
    Ok(AppEvent::Ended {
        name: app.name.clone(),
        refund: app.escrow,
        expired,
    })
}

/// End of block: placement follows the registry, apps expire, escrows stream to hosts.
/// Returns the apps' lifecycle events and what the hosts were paid in all.
pub(crate) fn settle(ctx: &mut Ctx<'_>) -> Result<(Vec<AppEvent>, Amount), BlockError> {
    let params = ctx.state.params();
    let mut leaving: Vec<NodeId> = Vec::new();
    let mut joining: Vec<NodeId> = Vec::new();
    for id in &ctx.touched {
        let active = ctx
            .registry
            .get(id)
            .is_some_and(|e| e.status == NodeStatus::Confirmed);
        let placed = ctx.placement.node(id).is_some();
        if placed && !active {
            leaving.push(*id);
        } else if active && !placed {
            joining.push(*id);
        }
    }
    if !leaving.is_empty() {
        for m in ctx.placement.remove_nodes(&leaving).map_err(tx_err)? {
            ctx.apps_touched.insert(m.app);
        }
    }
    for id in &joining {
        if let Some(entry) = ctx.registry.get(id) {
            let node = PlacementNode::from_entry(entry, params);
            ctx.placement.add_node(node).map_err(tx_err)?;
            ctx.capacity_freed = true;
        }
    }

    let mut events = Vec::new();
    let expired: Vec<AppEntry> = ctx
        .apps
        .values()
        .filter(|a| a.expires_at <= ctx.height)
        .cloned()
        .collect();
    for app in &expired {
        events.push(end(ctx, app, true).map_err(BlockError::Apps)?);
    }
    if ctx.capacity_freed && !ctx.placement.unplaced().is_empty() {
        for (app, _, _) in ctx.placement.retry_unplaced() {
            ctx.apps_touched.insert(app);
        }
    }

    // Stream each app's due for this block to the owners of its hosts, evenly; what does not
    // divide evenly stays in escrow for later blocks.
    let mut paid = Amount::ZERO;
    let names: Vec<String> = ctx.apps.keys().cloned().collect();
    for name in names {
        let Some(app) = ctx.apps.get(&name).cloned() else {
            continue;
        };
        let hosts: Vec<NodeId> = ctx.placement.where_is(&name).to_vec();
        let due = app.due_at(ctx.height);
        let share = due.checked_div(hosts.len() as u64).unwrap_or(Amount::ZERO);
        if share.is_zero() {
            continue;
        }
        let mut spent = Amount::ZERO;
        for host in &hosts {
            if let Some(owner) = ctx.registry.get(host).map(|e| e.owner) {
                ctx.overlay.credit(owner, share)?;
                spent = spent.checked_add(share)?;
            }
        }
        let mut entry = app;
        entry.escrow = entry.escrow.checked_sub(spent)?;
        ctx.apps.insert(name.clone(), entry);
        ctx.apps_touched.insert(name);
        paid = paid.checked_add(spent)?;
    }
    Ok((events, paid))
}

fn tx_err(e: flux_nodes::placement::PlacementError) -> BlockError {
    BlockError::Apps(TxError::Placement(e))
}
