//! The rules of the app transactions, and what happens to apps at the end of every block:
//! nodes that joined or left change the placement (only the instances of a node that left
//! move), expired apps end, unplaced instances are retried, and each app's escrow streams to
//! the owners of the nodes that host it.
//!
//! The stream is settled lazily, with the same result on every node: an app's escrow is
//! streamed for the blocks since its last settlement ([`AppEntry::stream_through`]) to the
//! hosts it had during them, just before those hosts change (a host leaves, its unplaced
//! instances are placed, the app is updated), when it ends (cancel, expiry), and for every
//! app at each epoch boundary. Between those events its hosts are constant, so the result is
//! the per-block stream's without touching every app and every host's owner in every block.

use std::collections::BTreeSet;

use flux_core::error::AmountError;
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
    ctx.expiries.insert((entry.expires_at, entry.name.clone()));
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
    // The credit for the unused part shrinks every block, so the owner cannot know the exact
    // figure of the block that will include the update: `price` is the most it pays.
    if a.price < quote.due {
        return Err(TxError::PriceMismatch {
            expected: quote.due,
            offered: a.price,
        });
    }
    let mut account = ctx.overlay.get(&owner);
    account.balance = account.balance.checked_sub(quote.due)?;
    ctx.overlay.set(owner, account);
    // The old hosts are paid up to the block before the update.
    stream(ctx, &spec.name, ctx.height.saturating_sub(1))?;
    let escrow = ctx.apps.get(&spec.name).map_or(old.escrow, |a| a.escrow);
    let mut entry = AppEntry::new(&spec, a.spec.clone(), owner, ctx.height, quote.new_price);
    entry.escrow = escrow.checked_add(quote.due)?;
    ctx.placement
        .update_app(entry.workload(ctx.state.params()))?;
    ctx.expiries.remove(&(old.expires_at, old.name.clone()));
    ctx.expiries.insert((entry.expires_at, entry.name.clone()));
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
    // The hosts are paid up to the block before this one; the owner gets the rest.
    stream(ctx, &app.name, ctx.height.saturating_sub(1))?;
    let escrow = ctx.apps.get(&app.name).map_or(app.escrow, |a| a.escrow);
    ctx.placement.remove_app(&app.name)?;
    ctx.expiries.remove(&(app.expires_at, app.name.clone()));
    ctx.apps.remove(&app.name);
    ctx.apps_touched.insert(app.name.clone());
    ctx.overlay.credit(app.owner, escrow)?;
    ctx.capacity_freed = true;
    Ok(AppEvent::Ended {
        name: app.name.clone(),
        refund: escrow,
        expired,
    })
}

/// Streams `name`'s escrow for the blocks after its last settlement up to `through` to the
/// owners of its current hosts, evenly; what does not divide evenly (or belongs to a host no
/// longer registered) stays in escrow for later. With no host placed, nothing is paid and the
/// escrow spreads over the blocks left.
fn stream(ctx: &mut Ctx<'_>, name: &str, through: u64) -> Result<(), AmountError> {
    let Some(app) = ctx.apps.get(name) else {
        return Ok(());
    };
    let (due, settled) = app.stream_through(through);
    if settled == app.settled {
        return Ok(());
    }
    let mut entry = app.clone();
    let hosts = ctx.placement.where_is(name);
    let share = due.checked_div(hosts.len() as u64).unwrap_or(Amount::ZERO);
    let mut spent = Amount::ZERO;
    if !share.is_zero() {
        for host in hosts {
            if let Some(owner) = ctx.registry.get(host).map(|e| e.owner) {
                ctx.overlay.credit(owner, share)?;
                spent = spent.checked_add(share)?;
            }
        }
    }
    entry.escrow = entry.escrow.checked_sub(spent)?;
    entry.settled = settled;
    ctx.hosting = ctx.hosting.checked_add(spent)?;
    ctx.apps.insert(name.to_owned(), entry);
    ctx.apps_touched.insert(name.to_owned());
    Ok(())
}

/// End of block: placement follows the registry, apps expire, escrows stream to hosts (lazily:
/// the apps whose hosts change first, every app at an epoch boundary). Returns the apps'
/// lifecycle events and what the hosts were paid in all during the block.
pub(crate) fn settle(ctx: &mut Ctx<'_>) -> Result<(Vec<AppEvent>, Amount), BlockError> {
    let params = ctx.state.params();
    let before = ctx.height.saturating_sub(1);
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
        // The apps on the leaving nodes pay their hosts up to the last block first.
        let mut moving: BTreeSet<String> = BTreeSet::new();
        for id in &leaving {
            moving.extend(ctx.placement.on_node(id).into_iter().map(|(app, _)| app));
        }
        for app in &moving {
            stream(ctx, app, before)?;
        }
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
    // Every app whose expiry is at or before this height ((h + 1, "") sorts after them all).
    let due: Vec<String> = ctx
        .expiries
        .range(..(ctx.height.saturating_add(1), String::new()))
        .map(|(_, name)| name.clone())
        .collect();
    for name in &due {
        if let Some(app) = ctx.apps.get(name).cloned() {
            events.push(end(ctx, &app, true).map_err(BlockError::Apps)?);
        }
    }
    if ctx.capacity_freed {
        let unplaced = ctx.placement.unplaced();
        if !unplaced.is_empty() {
            // Their hosts may change: pay the current ones up to the last block first.
            for u in &unplaced {
                stream(ctx, &u.app, before)?;
            }
            for (app, _, _) in ctx.placement.retry_unplaced() {
                ctx.apps_touched.insert(app);
            }
        }
    }

    // At an epoch boundary every app pays its hosts up to this block.
    let epoch_length = params.consensus.epoch_length.max(1);
    if ctx.height.is_multiple_of(epoch_length) {
        let names: Vec<String> = ctx.apps.keys().cloned().collect();
        for name in names {
            stream(ctx, &name, ctx.height)?;
        }
    }
    Ok((events, ctx.hosting))
}

fn tx_err(e: flux_nodes::placement::PlacementError) -> BlockError {
    BlockError::Apps(TxError::Placement(e))
}
