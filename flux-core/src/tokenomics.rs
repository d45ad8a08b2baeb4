//! Tokenomics: the emission schedule, the supply cap and the reward split of each block.
//!
//! Everything here is a pure function of a height and [`ChainParams`], in integer arithmetic
//! (`u64` base units, `u128` where a product could overflow); no protocol number is hard-coded.
//! The schedule, its numbers on mainnet and how it differs from live Flux are explained in
//! `flux-core/docs/tokenomics.md`.
//!
//! # Heights
//!
//! Height 0 is the genesis block: it mints nothing (genesis allocations come from the genesis
//! file, see [`check_genesis`]). Every block at height `h >= 1` mints [`subsidy`]`(h)`, capped by
//! [`mint_for_block`]. The subsidy period of a height is `h / reduction_interval`, so period 0
//! holds heights `1..reduction_interval` (one block fewer than the later periods, whose first
//! block is height `k * reduction_interval`).
//!
//! ```
//! use flux_core::{Amount, ChainParams};
//! use flux_core::tokenomics::{cumulative_emission, split, subsidy};
//!
//! let p = ChainParams::mainnet();
//! assert_eq!(subsidy(0, &p), Amount::ZERO); // genesis mints nothing
//! assert_eq!(subsidy(1_051_199, &p).to_string(), "14");
//! assert_eq!(subsidy(1_051_200, &p).to_string(), "12.6");
//! assert_eq!(cumulative_emission(2, &p).to_string(), "28");
//! let s = split(subsidy(1, &p), &p)?;
//! assert_eq!(s.dev_fund.to_string(), "0.5");
//! assert_eq!(s.work_pool.to_string(), "6.5");
//! # Ok::<(), flux_core::error::TokenomicsError>(())
//! ```
//!
//! # Degenerate parameters
//!
//! [`ChainParams::validate`] refuses a zero `reduction_interval` and a `reduction` ratio that is
//! not below 1. The functions here still never panic on such parameters: a zero interval never
//! reduces the subsidy (it is read as the longest possible interval), and a ratio of 1 or more (or
//! with a zero denominator) keeps the subsidy constant; sums then saturate at [`Amount::MAX`].

use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::error::{AmountError, TokenomicsError};
use crate::params::{ChainParams, Network, Ratio};
use crate::tier::Tier;

/// The denominator of `RewardParams::tier_percent`.
const PERCENT: u64 = 100;

/// Milliseconds in a 365-day year, the calendar unit of [`blocks_per_year`].
const YEAR_MS: u64 = 365 * 24 * 60 * 60 * 1_000;

/// One reduction period of the schedule: a run of heights that all mint the same subsidy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// The period number `k` (`height / reduction_interval`).
    pub index: u64,
    /// First height of the period (1 for period 0: genesis mints nothing).
    pub first_height: u64,
    /// Last height of the period, inclusive (`u64::MAX` if the subsidy never changes again).
    pub last_height: u64,
    /// The subsidy of each block in the period (never zero: the schedule ends at zero).
    pub subsidy: Amount,
}

impl Period {
    /// Number of blocks in the period.
    pub const fn blocks(&self) -> u64 {
        self.last_height - self.first_height + 1
    }

    /// The subsidy of the blocks `first_height..=min(last_height, to)`, saturating at
    /// [`Amount::MAX`]; zero if `to` is before the period.
    pub fn emission_through(&self, to: u64) -> Amount {
        if to < self.first_height {
            return Amount::ZERO;
        }
        let blocks = to.min(self.last_height) - self.first_height + 1;
        saturate(u128::from(self.subsidy.base_units()) * u128::from(blocks))
    }
}

/// The periods of the schedule in order, up to (not including) the first with a zero subsidy.
///
/// Mainnet has 200-odd periods before the floored subsidy reaches zero base units.
///
/// ```
/// use flux_core::ChainParams;
/// use flux_core::tokenomics::periods;
///
/// let p = ChainParams::mainnet();
/// let second = periods(&p).nth(1).unwrap();
/// assert_eq!((second.first_height, second.last_height), (1_051_200, 2_102_399));
/// assert_eq!(second.subsidy.to_string(), "12.6");
/// ```
pub fn periods(params: &ChainParams) -> Periods {
    Periods {
        interval: interval(params),
        reduction: params.supply.reduction,
        index: 0,
        subsidy: params.supply.initial_subsidy,
        done: false,
    }
}

/// Iterator of the schedule's [`Period`]s; see [`periods`].
#[derive(Clone, Debug)]
pub struct Periods {
    interval: u64,
    reduction: Ratio,
    index: u64,
    subsidy: Amount,
    done: bool,
}

impl Iterator for Periods {
    type Item = Period;

    fn next(&mut self) -> Option<Period> {
        loop {
            if self.done || self.subsidy.is_zero() {
                return None;
            }
            let index = self.index;
            let Some(start) = index.checked_mul(self.interval) else {
                self.done = true;
                return None;
            };
            let subsidy = self.subsidy;
            let reduced = reduce(subsidy, self.reduction);
            let last_height = if reduced == subsidy {
                u64::MAX
            } else {
                index
                    .checked_add(1)
                    .and_then(|n| n.checked_mul(self.interval))
                    .map_or(u64::MAX, |end| end - 1)
            };
            self.done = last_height == u64::MAX;
            self.subsidy = reduced;
            self.index = index.saturating_add(1);
            let first_height = start.max(1);
            // Only period 0 of a one-block interval is empty: it holds genesis alone.
            if first_height <= last_height {
                return Some(Period {
                    index,
                    first_height,
                    last_height,
                    subsidy,
                });
            }
        }
    }
}

/// The block subsidy at `height`: `initial_subsidy` reduced `height / reduction_interval` times
/// by `reduction` (each step floored in base units), and zero at height 0 (genesis).
///
/// ```
/// use flux_core::ChainParams;
/// use flux_core::tokenomics::subsidy;
/// let p = ChainParams::mainnet();
/// assert_eq!(subsidy(2_102_400, &p).to_string(), "11.34");
/// ```
pub fn subsidy(height: u64, params: &ChainParams) -> Amount {
    if height == 0 {
        return Amount::ZERO;
    }
    periods(params)
        .take_while(|p| p.first_height <= height)
        .find(|p| height <= p.last_height)
        .map_or(Amount::ZERO, |p| p.subsidy)
}

/// Everything the schedule mints in heights `0..=height` (the sum of [`subsidy`] over them),
/// before the supply cap. Runs in time proportional to the number of periods, not to `height`;
/// saturates at [`Amount::MAX`] (never reached by a valid schedule).
///
/// ```
/// use flux_core::ChainParams;
/// use flux_core::tokenomics::cumulative_emission;
/// let p = ChainParams::mainnet();
/// // 1,051,199 blocks of 14 FLUX, then one of 12.6.
/// assert_eq!(cumulative_emission(1_051_200, &p).to_string(), "14716798.6");
/// ```
pub fn cumulative_emission(height: u64, params: &ChainParams) -> Amount {
    let total = periods(params)
        .take_while(|p| p.first_height <= height)
        .map(|p| u128::from(p.emission_through(height).base_units()))
        .sum::<u128>();
    saturate(total)
}

/// The total the schedule will ever mint: [`cumulative_emission`] to infinity. Saturates at
/// [`Amount::MAX`] if the subsidy never reaches zero (degenerate parameters only).
///
/// ```
/// use flux_core::ChainParams;
/// use flux_core::tokenomics::max_emission;
/// let cap = ChainParams::mainnet().supply.max_supply;
/// assert!(max_emission(&ChainParams::mainnet()) < cap);
/// ```
pub fn max_emission(params: &ChainParams) -> Amount {
    cumulative_emission(u64::MAX, params)
}

/// What the block at `height` mints when the supply before it is `supply_before`:
/// `min(subsidy(height), max_supply - supply_before)`, and zero once the supply is at or above
/// the cap. Minting this never takes the supply past `max_supply`.
///
/// ```
/// use flux_core::{Amount, ChainParams};
/// use flux_core::tokenomics::mint_for_block;
/// let p = ChainParams::mainnet();
/// let one_short = p.supply.max_supply.checked_sub(Amount::ONE_FLUX)?;
/// assert_eq!(mint_for_block(1, one_short, &p), Amount::ONE_FLUX);
/// assert_eq!(mint_for_block(1, p.supply.max_supply, &p), Amount::ZERO);
/// # Ok::<(), flux_core::error::AmountError>(())
/// ```
pub fn mint_for_block(height: u64, supply_before: Amount, params: &ChainParams) -> Amount {
    subsidy(height, params).min(params.supply.max_supply.saturating_sub(supply_before))
}

/// The total supply after the block at `height` when genesis allocated `genesis_supply` and every
/// block minted [`mint_for_block`]: `min(genesis + cumulative_emission(height), max_supply)`, or
/// the genesis supply itself if that is already at or above the cap (nothing is then minted).
///
/// ```
/// use flux_core::{Amount, ChainParams};
/// use flux_core::tokenomics::supply_at;
/// let p = ChainParams::mainnet();
/// assert_eq!(supply_at(10, Amount::ZERO, &p).to_string(), "140");
/// ```
pub fn supply_at(height: u64, genesis_supply: Amount, params: &ChainParams) -> Amount {
    let cap = params.supply.max_supply;
    if genesis_supply >= cap {
        return genesis_supply;
    }
    let uncapped = u128::from(genesis_supply.base_units())
        + u128::from(cumulative_emission(height, params).base_units());
    saturate(uncapped).min(cap)
}

/// Checks the genesis rule: the genesis allocations plus [`max_emission`] must not exceed
/// `max_supply`. The error says by how much they do.
///
/// ```
/// use flux_core::ChainParams;
/// use flux_core::tokenomics::check_genesis;
/// let p = ChainParams::mainnet();
/// assert!(check_genesis("220000000".parse()?, &p).is_ok());
/// assert!(check_genesis("300000000".parse()?, &p).is_err());
/// # Ok::<(), flux_core::error::AmountError>(())
/// ```
pub fn check_genesis(genesis_total: Amount, params: &ChainParams) -> Result<(), TokenomicsError> {
    let max_emission = max_emission(params);
    let cap = params.supply.max_supply;
    let total = u128::from(genesis_total.base_units()) + u128::from(max_emission.base_units());
    let cap_units = u128::from(cap.base_units());
    if total > cap_units {
        return Err(TokenomicsError::GenesisExceedsCap {
            genesis: genesis_total,
            max_emission,
            cap,
            excess: saturate(total - cap_units),
        });
    }
    Ok(())
}

/// The genesis supply of a preset until genesis files exist: on mainnet the parallel-asset
/// reserve (`external_chains * initial_locked_per_chain`, 220,000,000 FLUX), elsewhere zero
/// (SPEC.md: "Devnet and test genesis files may start at 0").
pub fn preset_genesis_supply(params: &ChainParams) -> Result<Amount, TokenomicsError> {
    match params.network {
        Network::Mainnet => Ok(params
            .parallel
            .initial_locked_per_chain
            .checked_mul(u64::from(params.parallel.external_chains))?),
        Network::Testnet | Network::Devnet => Ok(Amount::ZERO),
    }
}

/// The first height `h >= 1` whose subsidy is below `threshold`, or `None` if the subsidy
/// never falls below it.
pub fn first_height_below(threshold: Amount, params: &ChainParams) -> Option<u64> {
    let mut next_height = 1;
    for p in periods(params) {
        if p.subsidy < threshold {
            return Some(p.first_height);
        }
        next_height = p.last_height.checked_add(1)?;
    }
    // The schedule ended: from `next_height` on the subsidy is zero.
    (!threshold.is_zero()).then_some(next_height)
}

/// The first height at which the block subsidy is below 1 FLUX (27,331,200 on mainnet, the
/// start of year 27).
///
/// ```
/// use flux_core::ChainParams;
/// use flux_core::tokenomics::below_one_flux_height;
/// assert_eq!(below_one_flux_height(&ChainParams::mainnet()), Some(27_331_200));
/// ```
pub fn below_one_flux_height(params: &ChainParams) -> Option<u64> {
    first_height_below(Amount::ONE_FLUX, params)
}

/// Blocks in a 365-day year at the preset's block time (1,051,200 at 30 s).
pub fn blocks_per_year(params: &ChainParams) -> u64 {
    (YEAR_MS / params.block_time_ms.max(1)).max(1)
}

/// Who receives a minted amount; see [`split`]. The parts sum exactly to the minted amount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardSplit {
    /// The Cumulus tier's share of the node operators' part.
    pub cumulus: Amount,
    /// The Nimbus tier's share of the node operators' part.
    pub nimbus: Amount,
    /// The Stratus tier's share of the node operators' part (with its rounding remainder).
    pub stratus: Amount,
    /// The development fund.
    pub dev_fund: Amount,
    /// The useful-work pool (everything else, including all other rounding remainders).
    pub work_pool: Amount,
}

impl RewardSplit {
    /// The sum of the parts (equal to the minted amount for a split made by [`split`]).
    pub fn total(&self) -> Result<Amount, AmountError> {
        Amount::checked_sum([
            self.cumulus,
            self.nimbus,
            self.stratus,
            self.dev_fund,
            self.work_pool,
        ])
    }

    /// The node operators' part: Cumulus + Nimbus + Stratus.
    pub fn node_operators(&self) -> Result<Amount, AmountError> {
        Amount::checked_sum([self.cumulus, self.nimbus, self.stratus])
    }

    /// The share of one tier.
    pub const fn tier(&self, tier: Tier) -> Amount {
        match tier {
            Tier::Cumulus => self.cumulus,
            Tier::Nimbus => self.nimbus,
            Tier::Stratus => self.stratus,
        }
    }

    /// Part-wise `self + other`.
    pub fn checked_add(&self, other: &RewardSplit) -> Result<RewardSplit, AmountError> {
        Ok(RewardSplit {
            cumulus: self.cumulus.checked_add(other.cumulus)?,
            nimbus: self.nimbus.checked_add(other.nimbus)?,
            stratus: self.stratus.checked_add(other.stratus)?,
            dev_fund: self.dev_fund.checked_add(other.dev_fund)?,
            work_pool: self.work_pool.checked_add(other.work_pool)?,
        })
    }

    /// Part-wise `self * blocks`: the split of `blocks` blocks that each mint the same amount.
    pub fn checked_mul(&self, blocks: u64) -> Result<RewardSplit, AmountError> {
        Ok(RewardSplit {
            cumulus: self.cumulus.checked_mul(blocks)?,
            nimbus: self.nimbus.checked_mul(blocks)?,
            stratus: self.stratus.checked_mul(blocks)?,
            dev_fund: self.dev_fund.checked_mul(blocks)?,
            work_pool: self.work_pool.checked_mul(blocks)?,
        })
    }
}

/// Splits the amount `minted` by a block.
///
/// - Node operators get `node_share` of it, floored (`m / 2`). Of that part Cumulus and Nimbus
///   get their `tier_percent`, each floored, and Stratus gets the rest of the part, so the three
///   tiers always add up to exactly `floor(m * node_share)` (Stratus receives at most 2 base
///   units more than its floored percentage).
/// - The dev fund gets `dev_fund` of it, floored (`m / 28`).
/// - The useful-work pool gets the rest, including every other rounding remainder.
///
/// Errors if `tier_percent` does not sum to 100, if the node share and dev fund exceed `minted`,
/// or on a zero ratio denominator.
///
/// ```
/// use flux_core::ChainParams;
/// use flux_core::tokenomics::split;
/// let s = split("14".parse()?, &ChainParams::mainnet())?;
/// let parts = [s.cumulus, s.nimbus, s.stratus, s.dev_fund, s.work_pool].map(|a| a.to_string());
/// assert_eq!(parts, ["1.05", "1.75", "4.2", "0.5", "6.5"]);
/// assert_eq!(s.total()?.to_string(), "14");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn split(minted: Amount, params: &ChainParams) -> Result<RewardSplit, TokenomicsError> {
    let r = &params.rewards;
    let [cumulus_pct, nimbus_pct, stratus_pct] = r.tier_percent;
    let pct_sum = cumulus_pct
        .checked_add(nimbus_pct)
        .and_then(|s| s.checked_add(stratus_pct));
    if pct_sum != Some(PERCENT) {
        return Err(TokenomicsError::TierPercent {
            found: r.tier_percent,
        });
    }
    let node = r.node_share.of(minted)?;
    let cumulus = node.mul_div_floor(cumulus_pct, PERCENT)?;
    let nimbus = node.mul_div_floor(nimbus_pct, PERCENT)?;
    // cumulus + nimbus <= node, as their percentages sum to at most 100.
    let stratus = node.checked_sub(cumulus)?.checked_sub(nimbus)?;
    let dev_fund = r.dev_fund.of(minted)?;
    let work_pool = minted
        .checked_sub(node)
        .and_then(|rest| rest.checked_sub(dev_fund))
        .map_err(|_| TokenomicsError::SharesExceedMinted {
            minted,
            node_operators: node,
            dev_fund,
        })?;
    Ok(RewardSplit {
        cumulus,
        nimbus,
        stratus,
        dev_fund,
        work_pool,
    })
}

/// The sum of the per-block [`split`]s of the scheduled subsidy over heights
/// `first_height..=last_height` (before the supply cap), in time proportional to the number of
/// periods. An empty range gives an all-zero split.
///
/// ```
/// use flux_core::ChainParams;
/// use flux_core::tokenomics::{cumulative_emission, split_range};
/// let p = ChainParams::mainnet();
/// let s = split_range(1, 2_000_000, &p)?;
/// assert_eq!(s.total()?, cumulative_emission(2_000_000, &p));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn split_range(
    first_height: u64,
    last_height: u64,
    params: &ChainParams,
) -> Result<RewardSplit, TokenomicsError> {
    let mut total = RewardSplit::default();
    for p in periods(params).take_while(|p| p.first_height <= last_height) {
        let from = p.first_height.max(first_height);
        let to = p.last_height.min(last_height);
        if from > to {
            continue;
        }
        let part = split(p.subsidy, params)?.checked_mul(to - from + 1)?;
        total = total.checked_add(&part)?;
    }
    Ok(total)
}

/// One year of the schedule, for charts and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearSummary {
    /// The year, from 1.
    pub year: u64,
    /// The last height of the year (`year * blocks_per_year`).
    pub last_height: u64,
    /// The supply after that height ([`supply_at`]).
    pub supply: Amount,
    /// What the schedule mints during the year, by recipient ([`split_range`], before the cap).
    pub minted: RewardSplit,
}

/// The first `years` years of the schedule (of [`blocks_per_year`] blocks each) for a chain
/// whose genesis allocated `genesis_supply`.
pub fn yearly_summary(
    years: u64,
    genesis_supply: Amount,
    params: &ChainParams,
) -> Result<Vec<YearSummary>, TokenomicsError> {
    let per_year = blocks_per_year(params);
    (1..=years)
        .map(|year| {
            let last_height = year.saturating_mul(per_year);
            let first_height = (year - 1).saturating_mul(per_year).saturating_add(1);
            Ok(YearSummary {
                year,
                last_height,
                supply: supply_at(last_height, genesis_supply, params),
                minted: split_range(first_height, last_height, params)?,
            })
        })
        .collect()
}

/// The interval in force: a zero interval (refused by `validate`) never reduces.
fn interval(params: &ChainParams) -> u64 {
    match params.supply.reduction_interval {
        0 => u64::MAX,
        n => n,
    }
}

/// One reduction step, `s * num / den` floored; a ratio that would not reduce keeps `s`.
fn reduce(s: Amount, reduction: Ratio) -> Amount {
    if reduction.den == 0 || reduction.num >= reduction.den {
        return s;
    }
    // num < den: the result is below `s`, so it cannot overflow.
    s.mul_div_floor(reduction.num, reduction.den).unwrap_or(s)
}

fn saturate(units: u128) -> Amount {
    Amount::from_base_units(u64::try_from(units).unwrap_or(u64::MAX))
}
