//! App prices, in exact integer arithmetic on base units (no floats).
//!
//! With the price list `p = params.apps.prices` (SPEC.md, Apps):
//!
//! 1. `basis` = `Σ cpu_tenths·p.cpu_per_tenth_core + Σ ram_MB·p.ram_per_mb + Σ hdd_GB·p.hdd_per_gb`
//!    (+ `p.targeted_nodes` when `nodes[]` is not empty, + `p.static_ip` when `staticip`): the
//!    price of `p.basis_instances` (3) instances for `p.period_blocks` (88,000) blocks. A tiered
//!    v1–v7 component counts the exact average of its three tiers: the sum is taken in thirds
//!    (`3·plain + Σ tiers`) and nothing is rounded before step 2.
//! 2. `per_instance` = `basis / p.basis_instances`, rounded **up** to a multiple of
//!    `p.rounding` (0.01 FLUX).
//! 3. `total` = `per_instance · instances · blocks / p.period_blocks`, **floored** to a base
//!    unit, where `blocks` is the spec's `expire` (or any lifetime asked for).
//!
//! An update ([`update_price`]) pays the new spec's price minus a credit for the unused part of
//! what was paid: `credit = old_paid · blocks_remaining / old_expire`, floored;
//! `due = max(new_price − credit, 0)` (a credit larger than the new price is not refunded).
//! GPUs are not priced: the price list has no GPU entry.

use flux_core::Amount;
use flux_core::params::AppPrices;
use serde::{Deserialize, Serialize};

use super::error::AppError;
use super::spec::AppSpec;

/// The price of running an app for some blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    /// Price per instance per period (`p.period_blocks`), rounded up to `p.rounding`.
    pub per_instance: Amount,
    /// Instances paid for.
    pub instances: u32,
    /// Blocks paid for.
    pub blocks: u64,
    /// What is paid: `per_instance · instances · blocks / period`, floored.
    pub total: Amount,
}

/// The price of an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePrice {
    /// Price of the new spec for its `expire`.
    pub new_price: Amount,
    /// Credit for the unused part of the old payment.
    pub credit: Amount,
    /// What the update costs: `new_price − credit`, at least zero.
    pub due: Amount,
}

impl AppSpec {
    /// The registration price: [`AppSpec::price_for`] the spec's own `expire`.
    pub fn price(&self, prices: &AppPrices) -> Result<Price, AppError> {
        self.price_for(self.expire, prices)
    }

    /// The price of running this spec for `blocks` blocks (see the module docs).
    pub fn price_for(&self, blocks: u64, prices: &AppPrices) -> Result<Price, AppError> {
        let per_instance = self.per_instance(prices)?;
        let total = per_instance
            .mul_div_floor(self.instances.into(), 1)?
            .mul_div_floor(blocks, prices.period_blocks)?;
        Ok(Price {
            per_instance,
            instances: self.instances,
            blocks,
            total,
        })
    }

    /// Step 1 and 2: the per-instance price per period, rounded up.
    fn per_instance(&self, p: &AppPrices) -> Result<Amount, AppError> {
        let overflow = || {
            AppError::Amount(flux_core::error::AmountError::Overflow {
                lhs: u64::MAX,
                op: "*",
                rhs: 3,
            })
        };
        let cost = |cpu: u128, ram: u128, hdd: u128| -> Option<u128> {
            cpu.checked_mul(p.cpu_per_tenth_core.base_units().into())?
                .checked_add(ram.checked_mul(p.ram_per_mb.base_units().into())?)?
                .checked_add(hdd.checked_mul(p.hdd_per_gb.base_units().into())?)
        };
        // In thirds of a base unit, so a tier average stays exact.
        let mut thirds: u128 = 0;
        for c in &self.components {
            let part = match &c.tiers {
                Some(t) => cost(
                    t.cpu_tenths.iter().map(|&v| u128::from(v)).sum(),
                    t.ram_mb.iter().map(|&v| u128::from(v)).sum(),
                    t.hdd_gb.iter().map(|&v| u128::from(v)).sum(),
                ),
                None => cost(c.cpu_tenths.into(), c.ram_mb.into(), c.hdd_gb.into())
                    .and_then(|v| v.checked_mul(3)),
            };
            thirds = part
                .and_then(|v| thirds.checked_add(v))
                .ok_or_else(overflow)?;
        }
        let mut extra = 0u128;
        if !self.nodes.is_empty() {
            extra += u128::from(p.targeted_nodes.base_units());
        }
        if self.staticip {
            extra += u128::from(p.static_ip.base_units());
        }
        thirds = thirds.checked_add(extra * 3).ok_or_else(overflow)?;
        let step = u128::from(p.rounding.base_units().max(1));
        let den = 3 * u128::from(p.basis_instances.max(1)) * step;
        let steps = thirds.div_ceil(den);
        let units = steps.checked_mul(step).ok_or_else(overflow)?;
        Ok(Amount::from_base_units(
            u64::try_from(units).map_err(|_| overflow())?,
        ))
    }
}

/// The price of replacing a spec for which `old_paid` was paid for `old_expire` blocks, with
/// `blocks_remaining` of them unused, by `new` (see the module docs).
///
/// Errors if `blocks_remaining > old_expire` or on overflow.
pub fn update_price(
    old_paid: Amount,
    old_expire: u64,
    blocks_remaining: u64,
    new: &AppSpec,
    prices: &AppPrices,
) -> Result<UpdatePrice, AppError> {
    if blocks_remaining > old_expire {
        return Err(AppError::RemainingBeyondExpire {
            remaining: blocks_remaining,
            expire: old_expire,
        });
    }
    let new_price = new.price(prices)?.total;
    let credit = old_paid.mul_div_floor(blocks_remaining, old_expire.max(1))?;
    let due = new_price.saturating_sub(credit);
    Ok(UpdatePrice {
        new_price,
        credit,
        due,
    })
}
