//! The block reward (SPEC "Emission"): mint `min(subsidy, cap - supply)` and split it.
//!
//! Node operators' shares go to the head of each tier's payout queue; the development fund's share
//! to the dev fund account; the useful-work pool's share into the pool, which pays verified work
//! each epoch. A share with no payee (e.g. a tier with no confirmed node) is not minted at all.
//! The amounts come from [`flux_core::tokenomics`]; this module only pays them.

use flux_core::tokenomics::{RewardSplit, mint_for_block, split};
use flux_core::{Address, Amount, ChainParams, Tier};
use serde::{Deserialize, Serialize};

use super::Ctx;
use crate::error::BlockError;
use crate::state::{Ledger, dev_fund_address};

/// A part of the block reward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RewardShare {
    /// The node operators' share of a tier.
    Tier(Tier),
    /// The development fund.
    DevFund,
    /// The useful-work pool.
    WorkPool,
}

/// Where a share went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payee {
    /// Credited to an account.
    Account(Address),
    /// Added to the useful-work pool.
    WorkPool,
    /// Nobody was eligible: not minted.
    NotMinted,
}

/// One share of one block's reward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    /// Which share.
    pub share: RewardShare,
    /// Its amount.
    pub amount: Amount,
    /// Where it went.
    pub payee: Payee,
}

/// Mints and pays the reward of the block at `height`, updating `ledger`.
/// Each tier's share goes to the owner of the head of that tier's payout queue, which moves to
/// the back; a tier with no confirmed node is not paid and its share not minted.
pub(crate) fn pay_block_reward(
    ctx: &mut Ctx<'_>,
    ledger: &mut Ledger,
    params: &ChainParams,
) -> Result<Vec<Reward>, BlockError> {
    let height = ctx.height;
    let minted = mint_for_block(height, ledger.supply, params);
    let RewardSplit {
        cumulus,
        nimbus,
        stratus,
        dev_fund,
        work_pool,
    } = split(minted, params)?;
    let mut rewards = Vec::with_capacity(5);
    let mut paid = Amount::ZERO;
    for (tier, amount) in [
        (Tier::Cumulus, cumulus),
        (Tier::Nimbus, nimbus),
        (Tier::Stratus, stratus),
    ] {
        let payee = match ctx.registry.pay(tier, height) {
            Some((node, owner)) => {
                ctx.touched.insert(node);
                ctx.overlay.credit(owner, amount)?;
                paid = paid.checked_add(amount)?;
                Payee::Account(owner)
            }
            None => Payee::NotMinted,
        };
        rewards.push(Reward {
            share: RewardShare::Tier(tier),
            amount,
            payee,
        });
    }
    let fund = dev_fund_address();
    ctx.overlay.credit(fund, dev_fund)?;
    paid = paid.checked_add(dev_fund)?;
    rewards.push(Reward {
        share: RewardShare::DevFund,
        amount: dev_fund,
        payee: Payee::Account(fund),
    });
    ledger.work_pool = ledger.work_pool.checked_add(work_pool)?;
    paid = paid.checked_add(work_pool)?;
    rewards.push(Reward {
        share: RewardShare::WorkPool,
        amount: work_pool,
        payee: Payee::WorkPool,
    });
    let supply = ledger.supply.checked_add(paid)?;
    if supply > params.supply.max_supply {
        return Err(BlockError::SupplyCap {
            supply: ledger.supply,
            minted: paid,
            cap: params.supply.max_supply,
        });
    }
    ledger.supply = supply;
    Ok(rewards)
}
