//! The parameters governance may change, and the bounds fixed in code that no vote can pass.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{ChainParams, Ratio};
use crate::amount::{Amount, COIN};
use crate::error::ParamsError;

/// A parameter the xDAO may change (SPEC "xDAO governance"). Values are integers: amounts in
/// base units, intervals in blocks, the slash fraction in permille.
///
/// ```
/// use flux_core::params::{ChainParams, GovernableParam};
/// let mut p = ChainParams::mainnet();
/// let cpu: GovernableParam = "app.cpu_price".parse()?;
/// assert_eq!(cpu.get(&p), 3_000_000); // 0.03 FLUX per 0.1 core
/// cpu.set(&mut p, 4_000_000)?;
/// assert_eq!(p.apps.prices.cpu_per_tenth_core.to_string(), "0.04");
/// assert!(cpu.set(&mut p, 0).is_err()); // below the bound fixed in code
/// # Ok::<(), flux_core::error::ParamsError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GovernableParam {
    /// App price per 0.1 CPU core, base units.
    AppCpuPrice,
    /// App price per MB of RAM, base units.
    AppRamPrice,
    /// App price per GB of SSD, base units.
    AppHddPrice,
    /// App surcharge for `nodes[]` targeting, base units.
    AppTargetedNodesPrice,
    /// App surcharge for a static IP, base units.
    AppStaticIpPrice,
    /// Blocks before a keep-alive confirm is accepted.
    MinConfirmInterval,
    /// Blocks without a confirm before a node expires.
    ExpireAfter,
    /// Most validators in a committee.
    CommitteeSize,
    /// Collateral slashed for equivocation, permille.
    SlashPermille,
    /// Deposit of a proposal, base units.
    ProposalDeposit,
    /// Voting period, blocks.
    VotingPeriod,
    /// How many blocks old equivocation evidence may be (at most `unbonding_period` less
    /// `epoch_length`, which [`ChainParams::validate`] checks).
    EvidenceMaxAge,
}

impl GovernableParam {
    /// Every governable parameter.
    pub const ALL: [GovernableParam; 12] = [
        GovernableParam::AppCpuPrice,
        GovernableParam::AppRamPrice,
        GovernableParam::AppHddPrice,
        GovernableParam::AppTargetedNodesPrice,
        GovernableParam::AppStaticIpPrice,
        GovernableParam::MinConfirmInterval,
        GovernableParam::ExpireAfter,
        GovernableParam::CommitteeSize,
        GovernableParam::SlashPermille,
        GovernableParam::ProposalDeposit,
        GovernableParam::VotingPeriod,
        GovernableParam::EvidenceMaxAge,
    ];

    /// The parameter's name, as used on the command line and in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            GovernableParam::AppCpuPrice => "app.cpu_price",
            GovernableParam::AppRamPrice => "app.ram_price",
            GovernableParam::AppHddPrice => "app.hdd_price",
            GovernableParam::AppTargetedNodesPrice => "app.targeted_nodes_price",
            GovernableParam::AppStaticIpPrice => "app.static_ip_price",
            GovernableParam::MinConfirmInterval => "nodes.min_confirm_interval",
            GovernableParam::ExpireAfter => "nodes.expire_after",
            GovernableParam::CommitteeSize => "consensus.committee_size",
            GovernableParam::SlashPermille => "consensus.slash_permille",
            GovernableParam::ProposalDeposit => "governance.proposal_deposit",
            GovernableParam::VotingPeriod => "governance.voting_period",
            GovernableParam::EvidenceMaxAge => "consensus.evidence_max_age",
        }
    }

    /// The inclusive bounds no proposal can leave (fixed in code, not governable).
    pub const fn bounds(self) -> (u64, u64) {
        match self {
            GovernableParam::AppCpuPrice => (COIN / 1_000, COIN),
            GovernableParam::AppRamPrice => (COIN / 100_000_000 * 1_000, COIN / 100),
            GovernableParam::AppHddPrice => (COIN / 10_000, COIN / 10),
            GovernableParam::AppTargetedNodesPrice | GovernableParam::AppStaticIpPrice => {
                (0, 10 * COIN)
            }
            GovernableParam::MinConfirmInterval => (100, 1_000),
            GovernableParam::ExpireAfter => (200, 5_000),
            GovernableParam::CommitteeSize => (4, 200),
            GovernableParam::SlashPermille => (10, 1_000),
            GovernableParam::ProposalDeposit => (10 * COIN, 100_000 * COIN),
            GovernableParam::VotingPeriod => (100, 201_600),
            GovernableParam::EvidenceMaxAge => (10, 100_000),
        }
    }

    /// The parameter's value in `params`.
    pub fn get(self, p: &ChainParams) -> u64 {
        let prices = &p.apps.prices;
        match self {
            GovernableParam::AppCpuPrice => prices.cpu_per_tenth_core.base_units(),
            GovernableParam::AppRamPrice => prices.ram_per_mb.base_units(),
            GovernableParam::AppHddPrice => prices.hdd_per_gb.base_units(),
            GovernableParam::AppTargetedNodesPrice => prices.targeted_nodes.base_units(),
            GovernableParam::AppStaticIpPrice => prices.static_ip.base_units(),
            GovernableParam::MinConfirmInterval => p.nodes.min_confirm_interval,
            GovernableParam::ExpireAfter => p.nodes.expire_after,
            GovernableParam::CommitteeSize => u64::from(p.consensus.committee_size),
            GovernableParam::SlashPermille => {
                let r = p.consensus.slash_fraction;
                (u128::from(r.num) * 1_000)
                    .checked_div(u128::from(r.den))
                    .and_then(|v| u64::try_from(v).ok())
                    .unwrap_or(0)
            }
            GovernableParam::ProposalDeposit => p.governance.proposal_deposit.base_units(),
            GovernableParam::VotingPeriod => p.governance.voting_period,
            GovernableParam::EvidenceMaxAge => p.consensus.evidence_max_age,
        }
    }

    /// Checks `value` against the bounds, and that the changed parameters stay consistent.
    pub fn check(self, p: &ChainParams, value: u64) -> Result<(), ParamsError> {
        let mut copy = p.clone();
        self.set(&mut copy, value)
    }

    /// Sets the parameter to `value` if it is within bounds and leaves `params` consistent.
    pub fn set(self, p: &mut ChainParams, value: u64) -> Result<(), ParamsError> {
        let (min, max) = self.bounds();
        if value < min || value > max {
            return Err(ParamsError::OutOfBounds {
                name: self.name(),
                value,
                min,
                max,
            });
        }
        self.set_unbounded(p, value)
    }

    /// Sets the parameter to `value` if it leaves `params` consistent
    /// ([`ChainParams::validate`]), outside the bounds of [`GovernableParam::bounds`]: for a
    /// devnet's genesis (a test chain whose nodes expire after 40 blocks), never for a vote.
    ///
    /// ```
    /// use flux_core::params::{ChainParams, GovernableParam};
    /// let mut p = ChainParams::devnet();
    /// GovernableParam::MinConfirmInterval.set_unbounded(&mut p, 20)?;
    /// GovernableParam::ExpireAfter.set_unbounded(&mut p, 40)?;
    /// assert_eq!(p.nodes.expire_after, 40);
    /// // Still consistent: a node must be able to confirm before it expires.
    /// assert!(GovernableParam::ExpireAfter.set_unbounded(&mut p, 10).is_err());
    /// # Ok::<(), flux_core::error::ParamsError>(())
    /// ```
    pub fn set_unbounded(self, p: &mut ChainParams, value: u64) -> Result<(), ParamsError> {
        GovernableParam::set_all_unbounded(p, &[(self, value)])
    }

    /// Sets every `(parameter, value)` of `values`, then checks that `params` is consistent
    /// ([`ChainParams::validate`]) as a whole; unchanged on an error. Several parameters that
    /// depend on each other (a keep-alive interval below the expiry) move together, whatever
    /// their order.
    pub fn set_all_unbounded(
        p: &mut ChainParams,
        values: &[(GovernableParam, u64)],
    ) -> Result<(), ParamsError> {
        let mut next = p.clone();
        for &(param, value) in values {
            param.assign(&mut next, value);
        }
        next.validate()?;
        *p = next;
        Ok(())
    }

    fn assign(self, next: &mut ChainParams, value: u64) {
        let amount = Amount::from_base_units(value);
        match self {
            GovernableParam::AppCpuPrice => next.apps.prices.cpu_per_tenth_core = amount,
            GovernableParam::AppRamPrice => next.apps.prices.ram_per_mb = amount,
            GovernableParam::AppHddPrice => next.apps.prices.hdd_per_gb = amount,
            GovernableParam::AppTargetedNodesPrice => next.apps.prices.targeted_nodes = amount,
            GovernableParam::AppStaticIpPrice => next.apps.prices.static_ip = amount,
            GovernableParam::MinConfirmInterval => next.nodes.min_confirm_interval = value,
            GovernableParam::ExpireAfter => next.nodes.expire_after = value,
            GovernableParam::CommitteeSize => {
                next.consensus.committee_size = u32::try_from(value).unwrap_or(u32::MAX)
            }
            GovernableParam::SlashPermille => next.consensus.slash_fraction = reduced(value, 1_000),
            GovernableParam::ProposalDeposit => next.governance.proposal_deposit = amount,
            GovernableParam::VotingPeriod => next.governance.voting_period = value,
            GovernableParam::EvidenceMaxAge => next.consensus.evidence_max_age = value,
        }
    }
}

/// `num / den` in lowest terms, so equal fractions are equal values.
fn reduced(num: u64, den: u64) -> Ratio {
    let (mut a, mut b) = (num, den);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    match a {
        0 => Ratio::new(num, den),
        g => Ratio::new(num / g, den / g),
    }
}

impl fmt::Display for GovernableParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for GovernableParam {
    type Err = ParamsError;

    fn from_str(s: &str) -> Result<GovernableParam, ParamsError> {
        GovernableParam::ALL
            .into_iter()
            .find(|g| g.name() == s)
            .ok_or_else(|| ParamsError::UnknownParam(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_value_is_within_its_bounds_and_round_trips() {
        for p in [ChainParams::mainnet(), ChainParams::devnet()] {
            for g in GovernableParam::ALL {
                let v = g.get(&p);
                let (min, max) = g.bounds();
                assert!(min <= v && v <= max, "{g}: {v} not in {min}..={max}");
                let mut q = p.clone();
                g.set(&mut q, v).unwrap();
                assert_eq!(q, p, "{g}");
                assert_eq!(g.name().parse::<GovernableParam>(), Ok(g));
            }
        }
    }

    #[test]
    fn out_of_bounds_and_inconsistent_values_are_refused() {
        let mut p = ChainParams::mainnet();
        let before = p.clone();
        assert!(matches!(
            GovernableParam::CommitteeSize.set(&mut p, 3),
            Err(ParamsError::OutOfBounds { .. })
        ));
        // min_confirm_interval must stay below expire_after.
        assert!(
            GovernableParam::MinConfirmInterval
                .set(&mut p, 700)
                .is_err()
        );
        assert_eq!(
            p, before,
            "a refused change leaves the parameters as they were"
        );
        assert!("nope".parse::<GovernableParam>().is_err());
    }

    /// Issue 19 point 11: governance can not widen the evidence window past what the unbonding
    /// period covers after an epoch (a member could leave with its collateral before evidence
    /// against it is due), but can narrow it.
    #[test]
    fn a_vote_can_not_outgrow_the_unbonding_period_with_the_evidence_window() {
        for mut p in [ChainParams::mainnet(), ChainParams::devnet()] {
            let room = p.nodes.unbonding_period - p.consensus.epoch_length;
            let before = p.clone();
            assert!(matches!(
                GovernableParam::EvidenceMaxAge.set(&mut p, room + 1),
                Err(ParamsError::Invalid {
                    name: "nodes.unbonding_period",
                    ..
                })
            ));
            assert_eq!(p, before);
            GovernableParam::EvidenceMaxAge.set(&mut p, room).unwrap();
            GovernableParam::EvidenceMaxAge.set(&mut p, 10).unwrap();
        }
    }
}
