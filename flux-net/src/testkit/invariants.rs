//! Invariants a [`NetworkFixture`](super::NetworkFixture) can check after every step of a
//! simulation, each a function of the [`Sim`] returning why it broke. The fixture always runs
//! [`conservation`], [`supply_under_cap`] and [`honest_never_banned`]; add these or your own
//! with
//! [`NetworkFixture::invariant`](super::NetworkFixture::invariant).

use crate::sim::Sim;

/// Every validator's chain holds exactly its supply: balances plus pools equal the ledger's
/// supply (no FLUX created or lost by any block the network decided).
pub fn conservation(sim: &Sim, validators: usize) -> Result<(), String> {
    for i in 0..validators {
        let Some(chain) = sim.chain(i) else { continue };
        let state = chain.state();
        let held = state
            .total_held()
            .map_err(|e| format!("validator {i}: balances overflow: {e}"))?;
        let supply = state.ledger().supply;
        if held != supply {
            return Err(format!(
                "validator {i} at height {}: held {held}, supply {supply}",
                state.tip().height
            ));
        }
    }
    Ok(())
}

/// No validator's supply is over the chain's cap.
pub fn supply_under_cap(sim: &Sim, validators: usize) -> Result<(), String> {
    for i in 0..validators {
        let Some(chain) = sim.chain(i) else { continue };
        let state = chain.state();
        let (supply, cap) = (state.ledger().supply, state.params().supply.max_supply);
        if supply > cap {
            return Err(format!("validator {i}: supply {supply} over the cap {cap}"));
        }
    }
    Ok(())
}

/// Validators in `group` never differ by more than `lag` heights (e.g. a partition's majority
/// side keeps together).
pub fn heights_within(sim: &Sim, group: &[usize], lag: u64) -> Result<(), String> {
    let heights: Vec<(usize, u64)> = group
        .iter()
        .filter_map(|&i| sim.chain(i).map(|c| (i, c.height())))
        .collect();
    let (Some(lo), Some(hi)) = (
        heights.iter().min_by_key(|(_, h)| *h),
        heights.iter().max_by_key(|(_, h)| *h),
    ) else {
        return Ok(());
    };
    if hi.1 - lo.1 > lag {
        return Err(format!(
            "validator {} at height {} is more than {lag} behind validator {} at {}",
            lo.0, lo.1, hi.0, hi.1
        ));
    }
    Ok(())
}

/// No honest validator bans another: a host penalises a peer only for data that is provably
/// bad, which an honest peer never sends (not even when it relays what it received).
pub fn honest_never_banned(sim: &Sim, _validators: usize) -> Result<(), String> {
    match sim
        .bans()
        .iter()
        .find(|(by, peer)| sim.is_honest(*by) && sim.is_honest(*peer))
    {
        Some((by, peer)) => Err(format!(
            "honest validator {by} banned honest validator {peer} ({} penalty points)",
            sim.penalties(*by, *peer)
        )),
        None => Ok(()),
    }
}
