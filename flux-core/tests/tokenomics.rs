//! The emission schedule and the reward split: fixed vectors of the mainnet schedule, and
//! properties over random heights, schedules and genesis supplies (checked against brute force).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use flux_core::error::TokenomicsError;
use flux_core::params::{ChainParams, Ratio};
use flux_core::tokenomics::{
    below_one_flux_height, check_genesis, cumulative_emission, first_height_below, max_emission,
    mint_for_block, periods, preset_genesis_supply, split, split_range, subsidy, supply_at,
    yearly_summary,
};
use flux_core::{Amount, COIN};
use proptest::prelude::*;

fn flux(s: &str) -> Amount {
    s.parse().unwrap()
}

/// Mainnet's economics shrunk so brute force is cheap: small subsidy, short periods, small cap.
fn small(initial: u64, interval: u64, reduction: Ratio, cap: u64) -> ChainParams {
    let mut p = ChainParams::devnet();
    p.supply.initial_subsidy = Amount::from_base_units(initial);
    p.supply.reduction_interval = interval;
    p.supply.reduction = reduction;
    p.supply.max_supply = Amount::from_base_units(cap);
    p
}

/// The subsidy by its definition: reduce `height / interval` times, one floored step at a time.
fn naive_subsidy(height: u64, p: &ChainParams) -> Amount {
    if height == 0 {
        return Amount::ZERO;
    }
    let r = p.supply.reduction;
    let mut s = p.supply.initial_subsidy;
    for _ in 0..height / p.supply.reduction_interval {
        s = s.mul_div_floor(r.num, r.den).unwrap();
    }
    s
}

// ---- vectors (mainnet) ----

#[test]
fn subsidy_vectors() {
    let p = ChainParams::mainnet();
    // Height 0 is genesis: it mints nothing.
    assert_eq!(subsidy(0, &p), Amount::ZERO);
    assert_eq!(subsidy(1, &p), flux("14"));
    assert_eq!(subsidy(1_051_199, &p), flux("14"));
    assert_eq!(subsidy(1_051_200, &p), flux("12.6"));
    assert_eq!(subsidy(2_102_399, &p), flux("12.6"));
    assert_eq!(subsidy(2_102_400, &p), flux("11.34"));
    assert_eq!(subsidy(3_153_600, &p), flux("10.206"));
    assert_eq!(subsidy(u64::MAX, &p), Amount::ZERO);
}

#[test]
fn split_vectors() {
    let p = ChainParams::mainnet();
    let s = split(flux("14"), &p).unwrap();
    assert_eq!(s.cumulus, flux("1.05"));
    assert_eq!(s.nimbus, flux("1.75"));
    assert_eq!(s.stratus, flux("4.2"));
    assert_eq!(s.dev_fund, flux("0.5"));
    assert_eq!(s.work_pool, flux("6.5"));
    assert_eq!(s.total().unwrap(), flux("14"));
    // The dev fund scales with the subsidy.
    assert_eq!(split(flux("12.6"), &p).unwrap().dev_fund, flux("0.45"));
    // An odd base unit: the node half is floored, the pool takes the remainder.
    let odd = split(Amount::from_base_units(101), &p).unwrap();
    assert_eq!(odd.node_operators().unwrap(), Amount::from_base_units(50));
    assert_eq!(
        (
            odd.cumulus,
            odd.nimbus,
            odd.stratus,
            odd.dev_fund,
            odd.work_pool
        ),
        [7, 12, 31, 3, 48].map(Amount::from_base_units).into()
    );
}

#[test]
fn emission_vectors() {
    let p = ChainParams::mainnet();
    assert_eq!(cumulative_emission(0, &p), Amount::ZERO);
    assert_eq!(cumulative_emission(1, &p), flux("14"));
    assert_eq!(cumulative_emission(1_051_199, &p), flux("14716786"));
    assert_eq!(cumulative_emission(1_051_200, &p), flux("14716798.6"));
    let total = max_emission(&p);
    assert_eq!(total, cumulative_emission(1_000_000_000, &p));
    // About 14 * 1,051,200 * 10 FLUX, minus the missing genesis block and the floors.
    assert!(
        total > flux("147100000") && total < flux("147168000"),
        "{total}"
    );
    assert_eq!(total, flux("147167977.254016"));
    assert_eq!(periods(&p).count(), 184);
    assert_eq!(below_one_flux_height(&p), Some(27_331_200));
    assert!(subsidy(27_331_199, &p) >= Amount::ONE_FLUX);
    assert!(subsidy(27_331_200, &p) < Amount::ONE_FLUX);
}

#[test]
fn genesis_rule() {
    let p = ChainParams::mainnet();
    let reserve = preset_genesis_supply(&p).unwrap();
    assert_eq!(reserve, flux("220000000"));
    check_genesis(reserve, &p).unwrap();
    assert_eq!(
        preset_genesis_supply(&ChainParams::devnet()),
        Ok(Amount::ZERO)
    );
    let room = p.supply.max_supply.checked_sub(max_emission(&p)).unwrap();
    check_genesis(room, &p).unwrap();
    let over = room.checked_add(Amount::from_base_units(5)).unwrap();
    match check_genesis(over, &p) {
        Err(TokenomicsError::GenesisExceedsCap { excess, cap, .. }) => {
            assert_eq!(excess, Amount::from_base_units(5));
            assert_eq!(cap, p.supply.max_supply);
        }
        other => panic!("expected GenesisExceedsCap, got {other:?}"),
    }
    assert!(check_genesis(Amount::MAX, &p).is_err());
}

#[test]
fn bad_split_params_are_typed_errors() {
    let mut p = ChainParams::mainnet();
    p.rewards.tier_percent = [15, 25, 61];
    assert!(matches!(
        split(flux("14"), &p),
        Err(TokenomicsError::TierPercent { .. })
    ));
    let mut p = ChainParams::mainnet();
    p.rewards.dev_fund = Ratio::new(2, 3);
    assert!(matches!(
        split(flux("14"), &p),
        Err(TokenomicsError::SharesExceedMinted { .. })
    ));
    let mut p = ChainParams::mainnet();
    p.rewards.node_share = Ratio::new(1, 0);
    assert!(matches!(
        split(flux("14"), &p),
        Err(TokenomicsError::Amount(_))
    ));
}

#[test]
fn degenerate_schedules_do_not_hang_or_panic() {
    let constant = small(COIN, 10, Ratio::new(1, 1), u64::MAX);
    assert_eq!(subsidy(1_000_000_000, &constant), Amount::ONE_FLUX);
    assert_eq!(max_emission(&constant), Amount::MAX);
    assert_eq!(first_height_below(Amount::ONE_FLUX, &constant), None);
    let zero_interval = small(COIN, 0, Ratio::new(9, 10), u64::MAX);
    assert_eq!(subsidy(u64::MAX - 1, &zero_interval), Amount::ONE_FLUX);
    let no_den = small(COIN, 10, Ratio::new(9, 0), u64::MAX);
    assert_eq!(
        cumulative_emission(100, &no_den),
        Amount::from_base_units(100 * COIN)
    );
}

#[test]
fn yearly_summary_adds_up() {
    let p = ChainParams::mainnet();
    let genesis = preset_genesis_supply(&p).unwrap();
    let years = yearly_summary(50, genesis, &p).unwrap();
    assert_eq!(years.len(), 50);
    // Year 1 is heights 1..=1,051,200: its last block is the first of period 1.
    assert_eq!(years[0].minted.total().unwrap(), flux("14716798.6"));
    let minted = years
        .iter()
        .map(|y| y.minted.total().unwrap())
        .fold(Amount::ZERO, |a, b| a.checked_add(b).unwrap());
    assert_eq!(genesis.checked_add(minted).unwrap(), years[49].supply);
    assert!(years.windows(2).all(|w| w[0].supply < w[1].supply));
}

// ---- properties ----

proptest! {
    #[test]
    fn split_sums_to_minted(m in any::<u64>()) {
        let p = ChainParams::mainnet();
        let minted = Amount::from_base_units(m);
        let s = split(minted, &p).unwrap();
        prop_assert_eq!(s.total().unwrap(), minted);
        // The node operators get exactly floor(m / 2): Stratus takes the tiers' rounding.
        let nodes = s.node_operators().unwrap().base_units();
        prop_assert_eq!(nodes, m / 2);
        prop_assert!(m / 2 - nodes < 1);
        let half = m / 2;
        prop_assert_eq!(u128::from(s.cumulus.base_units()), u128::from(half) * 15 / 100);
        prop_assert_eq!(s.nimbus.base_units(), half / 4);
        prop_assert!(s.stratus.base_units() - (u128::from(half) * 60 / 100) as u64 <= 2);
        prop_assert_eq!(s.dev_fund.base_units(), m / 28);
        prop_assert!(s.work_pool.base_units() >= m - m / 2 - m / 28);
    }

    #[test]
    fn split_range_is_the_sum_of_block_splits(interval in 1u64..20, from in 0u64..200, len in 0u64..200) {
        let p = small(1_000_003, interval, Ratio::new(9, 10), u64::MAX);
        let to = from + len;
        let mut brute = flux_core::RewardSplit::default();
        for h in from.max(1)..=to {
            brute = brute.checked_add(&split(subsidy(h, &p), &p).unwrap()).unwrap();
        }
        prop_assert_eq!(split_range(from, to, &p).unwrap(), brute);
    }

    #[test]
    fn subsidy_follows_its_definition(height in any::<u64>()) {
        let p = ChainParams::mainnet();
        let capped = height.min(300 * p.supply.reduction_interval);
        prop_assert_eq!(subsidy(capped, &p), naive_subsidy(capped, &p));
        prop_assert!(subsidy(height, &p) <= p.supply.initial_subsidy);
    }

    #[test]
    fn cumulative_emission_is_the_sum_of_subsidies(
        initial in 0u64..5_000,
        interval in 1u64..50,
        num in 0u64..10,
        height in 0u64..3_000,
    ) {
        let p = small(initial, interval, Ratio::new(num, 10), u64::MAX);
        let mut sum = Amount::ZERO;
        for h in 0..=height {
            prop_assert_eq!(subsidy(h, &p), naive_subsidy(h, &p));
            sum = sum.checked_add(subsidy(h, &p)).unwrap();
            prop_assert_eq!(cumulative_emission(h, &p), sum);
        }
        prop_assert!(cumulative_emission(height, &p) <= max_emission(&p));
    }

    #[test]
    fn first_height_below_is_the_boundary(
        initial in 1u64..5_000,
        interval in 1u64..50,
        threshold in 1u64..6_000,
    ) {
        let p = small(initial, interval, Ratio::new(9, 10), u64::MAX);
        let h = first_height_below(Amount::from_base_units(threshold), &p).unwrap();
        prop_assert!(subsidy(h, &p).base_units() < threshold);
        if h > 1 {
            prop_assert!(subsidy(h - 1, &p).base_units() >= threshold);
        }
    }

    #[test]
    fn supply_never_exceeds_the_cap(
        initial in 1u64..5_000,
        interval in 1u64..50,
        cap in 1u64..400_000,
        genesis in 0u64..500_000,
        height in 1u64..2_000,
    ) {
        let p = small(initial, interval, Ratio::new(9, 10), cap);
        let cap = p.supply.max_supply;
        let genesis = Amount::from_base_units(genesis);
        let mut supply = genesis;
        for h in 1..=height {
            let minted = mint_for_block(h, supply, &p);
            prop_assert!(minted <= subsidy(h, &p));
            supply = supply.checked_add(minted).unwrap();
            prop_assert!(supply <= cap.max(genesis));
            prop_assert_eq!(supply, supply_at(h, genesis, &p));
        }
        // The cap is reached only if the schedule gets there.
        let uncapped = genesis.checked_add(cumulative_emission(height, &p)).unwrap();
        if genesis < cap {
            prop_assert_eq!(supply == cap, uncapped >= cap);
        } else {
            prop_assert_eq!(supply, genesis);
        }
        prop_assert_eq!(
            check_genesis(genesis, &p).is_ok(),
            genesis.checked_add(max_emission(&p)).unwrap() <= cap
        );
    }

    #[test]
    fn mainnet_supply_at_random_heights(height in any::<u64>(), genesis in any::<u64>()) {
        let p = ChainParams::mainnet();
        let genesis = Amount::from_base_units(genesis);
        let s = supply_at(height, genesis, &p);
        prop_assert!(s <= p.supply.max_supply.max(genesis));
        prop_assert!(s >= genesis);
        let before = supply_at(height.saturating_sub(1), genesis, &p);
        let next = height.saturating_add(1);
        prop_assert!(
            before.checked_add(mint_for_block(height, before, &p)).unwrap() == s || height == 0
        );
        prop_assert!(supply_at(next, genesis, &p) >= s);
    }
}
