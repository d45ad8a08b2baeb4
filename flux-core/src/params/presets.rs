//! The `mainnet()`, `testnet()` and `devnet()` presets, and the consistency check.

use super::*;
use crate::tier::Resources;

const fn flux(n: u64) -> Amount {
    Amount::from_base_units(n * COIN)
}

/// `n` units of `10^-digits` FLUX: `frac(3, 2)` is 0.03 FLUX.
const fn frac(n: u64, digits: u32) -> Amount {
    Amount::from_base_units(n * (COIN / 10u64.pow(digits)))
}

const fn range(start: u16, end: u16) -> PortRange {
    PortRange { start, end }
}

fn banned_ports() -> Vec<PortRange> {
    let mut ports = vec![
        range(16100, 16299),
        range(26100, 26299),
        range(30000, 30099),
    ];
    for p in [
        8384, 27017, 22, 23, 25, 3389, 5900, 5800, 161, 512, 513, 5901, 3388, 4444, 123, 53,
    ] {
        ports.push(range(p, p));
    }
    ports
}

impl ChainParams {
    /// The mainnet preset: the numbers of SPEC.md.
    pub fn mainnet() -> ChainParams {
        ChainParams {
            network: Network::Mainnet,
            chain_id: ChainId::MAINNET,
            block_time_ms: 30_000,
            supply: SupplyParams {
                max_supply: flux(440_000_000),
                initial_subsidy: flux(14),
                reduction_interval: 1_051_200,
                reduction: Ratio::new(9, 10),
            },
            rewards: RewardParams {
                node_share: Ratio::new(1, 2),
                tier_percent: [15, 25, 60],
                dev_fund: Ratio::new(1, 28),
            },
            tiers: TierTable {
                cumulus: TierParams {
                    collateral: flux(1_000),
                    cpu_cores: 2,
                    minimum: Resources {
                        cpu_threads: 4,
                        ram_mb: 8_000,
                        ssd_gb: 220,
                        bandwidth_mbps: 25,
                    },
                },
                nimbus: TierParams {
                    collateral: flux(12_500),
                    cpu_cores: 4,
                    minimum: Resources {
                        cpu_threads: 8,
                        ram_mb: 32_000,
                        ssd_gb: 440,
                        bandwidth_mbps: 50,
                    },
                },
                stratus: TierParams {
                    collateral: flux(40_000),
                    cpu_cores: 8,
                    minimum: Resources {
                        cpu_threads: 16,
                        ram_mb: 64_000,
                        ssd_gb: 880,
                        bandwidth_mbps: 100,
                    },
                },
            },
            nodes: NodeParams {
                confirm_window: 240,
                dos_duration: 720,
                expire_after: 640,
                min_confirm_interval: 500,
                min_endpoint_confirm_interval: 5,
                unbonding_period: 4_320,
                bench_verifiers: 5,
                bench_quorum: Ratio::new(2, 3),
                bench_seed_max_age: 20,
                vote_weight_unit: flux(100),
                reserve: NodeReserve {
                    cpu_cores: 1,
                    ram_mb: 2_000,
                    ssd_gb: 80,
                },
            },
            consensus: ConsensusParams {
                committee_size: 100,
                epoch_length: 2_880,
                commit_threshold: Ratio::new(2, 3),
                slash_fraction: Ratio::new(1, 10),
                timeout_propose_ms: 3_000,
                timeout_prevote_ms: 1_000,
                timeout_precommit_ms: 1_000,
                timeout_delta_ms: 500,
                max_block_drift_ms: ConsensusParams::default_max_block_drift_ms(),
                evidence_max_age: ConsensusParams::default_evidence_max_age(),
            },
            apps: AppParams {
                name_min_len: 3,
                name_max_len: 63,
                description_max_len: 256,
                max_ports_per_component: 5,
                max_env_entries: 20,
                max_env_entry_len: 400,
                max_contacts: 5,
                max_geolocation: 10,
                max_target_nodes: 120,
                min_instances: 3,
                max_instances: 100,
                max_cpu_tenths: 150,
                max_ram_mb: 59_000,
                ram_step_mb: 100,
                max_hdd_gb: 820,
                default_expire: 88_000,
                max_expire: 1_056_000,
                banned_ports: banned_ports(),
                prices: AppPrices {
                    cpu_per_tenth_core: frac(3, 2),
                    ram_per_mb: frac(1, 4),
                    hdd_per_gb: frac(4, 3),
                    targeted_nodes: frac(8, 1),
                    static_ip: frac(4, 1),
                    period_blocks: 88_000,
                    basis_instances: 3,
                    rounding: frac(1, 2),
                },
            },
            work: WorkParams::mainnet(),
            governance: GovernanceParams {
                proposal_deposit: flux(500),
                voting_period: 20_160,
                min_turnout: Ratio::new(3, 10),
            },
            parallel: ParallelParams {
                external_chains: 10,
                initial_locked_per_chain: flux(22_000_000),
                attestation_threshold: Ratio::new(2, 3),
            },
            limits: BlockLimits {
                max_block_bytes: MAX_BLOCK_BYTES_LIMIT,
                max_block_txs: 20_000,
                max_tx_bytes: 128 * 1024,
            },
        }
    }

    /// The testnet preset: mainnet's economics with its own chain id and a 12-hour vote.
    pub fn testnet() -> ChainParams {
        let mut p = ChainParams::mainnet();
        p.network = Network::Testnet;
        p.chain_id = ChainId::TESTNET;
        p.governance.voting_period = 1_440;
        p
    }

    /// The devnet preset: 1 s blocks and short epochs, votes and unbonding, for local networks.
    pub fn devnet() -> ChainParams {
        let mut p = ChainParams::mainnet();
        p.network = Network::Devnet;
        p.chain_id = ChainId::DEVNET;
        p.block_time_ms = 1_000;
        p.nodes.unbonding_period = 240;
        p.consensus.epoch_length = 120;
        p.consensus.evidence_max_age = 120;
        p.consensus.timeout_propose_ms = 1_000;
        p.consensus.timeout_prevote_ms = 300;
        p.consensus.timeout_precommit_ms = 300;
        p.consensus.timeout_delta_ms = 200;
        p.governance.voting_period = 120;
        p.work.commit_blocks = 5;
        p.work.reveal_blocks = 5;
        p.work.hosting_interval = 20;
        p.work.hosting_window = 40;
        p
    }

    /// The preset of `network`.
    pub fn for_network(network: Network) -> ChainParams {
        match network {
            Network::Mainnet => ChainParams::mainnet(),
            Network::Testnet => ChainParams::testnet(),
            Network::Devnet => ChainParams::devnet(),
        }
    }

    /// Vote weight of one node of `tier`: collateral / `vote_weight_unit` (fixed point).
    pub fn vote_weight(&self, tier: Tier) -> Result<u64, AmountError> {
        let unit = self.nodes.vote_weight_unit.base_units();
        if unit == 0 {
            return Err(AmountError::DivisionByZero);
        }
        Ok(self.tiers.get(tier).collateral.base_units() / unit)
    }

    /// Checks that the numbers are consistent (e.g. loaded from a file or changed by governance).
    pub fn validate(&self) -> Result<(), ParamsError> {
        let bad = |name, reason| Err(ParamsError::Invalid { name, reason });
        for (name, r) in [
            ("supply.reduction", self.supply.reduction),
            ("rewards.node_share", self.rewards.node_share),
            ("rewards.dev_fund", self.rewards.dev_fund),
            ("nodes.bench_quorum", self.nodes.bench_quorum),
            (
                "consensus.commit_threshold",
                self.consensus.commit_threshold,
            ),
            ("consensus.slash_fraction", self.consensus.slash_fraction),
            ("governance.min_turnout", self.governance.min_turnout),
            (
                "parallel.attestation_threshold",
                self.parallel.attestation_threshold,
            ),
        ] {
            if r.den == 0 || r.num > r.den {
                return bad(name, "must be a fraction between 0 and 1");
            }
        }
        if self.supply.reduction.num == self.supply.reduction.den {
            return bad("supply.reduction", "must reduce the subsidy (below 1)");
        }
        let node_plus_dev = u128::from(self.rewards.node_share.num)
            * u128::from(self.rewards.dev_fund.den)
            + u128::from(self.rewards.dev_fund.num) * u128::from(self.rewards.node_share.den);
        if node_plus_dev
            > u128::from(self.rewards.node_share.den) * u128::from(self.rewards.dev_fund.den)
        {
            return bad("rewards", "node share plus dev fund exceed the subsidy");
        }
        if self.rewards.tier_percent.iter().sum::<u64>() != 100 {
            return bad("rewards.tier_percent", "must sum to 100");
        }
        if self.supply.initial_subsidy > self.supply.max_supply || self.supply.max_supply.is_zero()
        {
            return bad("supply", "cap must be positive and above the subsidy");
        }
        if self.supply.reduction_interval == 0 {
            return bad("supply.reduction_interval", "must be positive");
        }
        if self.nodes.vote_weight_unit.is_zero() {
            return bad("nodes.vote_weight_unit", "must be positive");
        }
        let c = [&self.tiers.cumulus, &self.tiers.nimbus, &self.tiers.stratus];
        if c.windows(2).any(|w| w[0].collateral >= w[1].collateral) || c[0].collateral.is_zero() {
            return bad("tiers", "collaterals must be positive and increase by tier");
        }
        if self.nodes.min_confirm_interval >= self.nodes.expire_after {
            return bad(
                "nodes.min_confirm_interval",
                "must be below expire_after, or no node could stay alive",
            );
        }
        if self.consensus.committee_size == 0 || self.consensus.epoch_length == 0 {
            return bad(
                "consensus",
                "committee size and epoch length must be positive",
            );
        }
        if self.block_time_ms == 0 {
            return bad("block_time_ms", "must be positive");
        }
        let drift = self.consensus.max_block_drift_ms;
        if drift < self.block_time_ms || drift > ConsensusParams::MAX_BLOCK_DRIFT_LIMIT_MS {
            return bad(
                "consensus.max_block_drift_ms",
                "must be at least block_time_ms and at most a day",
            );
        }
        // Issue 19 point 11: a member leaves the committee at the height after its exit and
        // its collateral stays bonded `unbonding_period` blocks; an offence at most one epoch
        // before the exit must stay slashable for the whole evidence window.
        let c = &self.consensus;
        if c.evidence_max_age == 0 {
            return bad("consensus.evidence_max_age", "must be positive");
        }
        if self.nodes.unbonding_period < c.epoch_length.saturating_add(c.evidence_max_age) {
            return bad(
                "nodes.unbonding_period",
                "must be at least consensus.epoch_length plus consensus.evidence_max_age",
            );
        }
        let a = &self.apps;
        if a.name_min_len > a.name_max_len || a.min_instances > a.max_instances {
            return bad("apps", "a minimum exceeds its maximum");
        }
        if a.ram_step_mb == 0 || a.prices.period_blocks == 0 || a.prices.basis_instances == 0 {
            return bad("apps", "steps and price bases must be positive");
        }
        if a.default_expire > a.max_expire {
            return bad("apps.default_expire", "exceeds max_expire");
        }
        if a.banned_ports.iter().any(|r| r.start > r.end) {
            return bad("apps.banned_ports", "a range ends before it starts");
        }
        if self.work.job_redundancy == 0 || self.nodes.bench_verifiers == 0 {
            return bad("work", "job redundancy and verifier count must be positive");
        }
        let w = &self.work;
        if w.job_redundancy > 255 {
            return bad("work.job_redundancy", "at most 255 nodes per job");
        }
        if w.commit_blocks == 0 || w.reveal_blocks == 0 {
            return bad("work", "commit and reveal windows must be positive");
        }
        if w.max_job_fuel == 0 || w.max_module_bytes == 0 {
            return bad("work", "job fuel and module size limits must be positive");
        }
        let submit = w
            .max_module_bytes
            .saturating_add(w.max_input_bytes)
            .saturating_add(WorkParams::TX_OVERHEAD_BYTES);
        if submit > self.limits.max_tx_bytes {
            return bad(
                "work.max_module_bytes",
                "module plus input exceed max_tx_bytes",
            );
        }
        let reveal = w
            .max_output_bytes
            .saturating_add(WorkParams::TX_OVERHEAD_BYTES);
        if reveal > self.limits.max_tx_bytes {
            return bad(
                "work.max_output_bytes",
                "a reveal with the output exceeds max_tx_bytes",
            );
        }
        if self.limits.max_block_bytes > MAX_BLOCK_BYTES_LIMIT {
            return bad(
                "limits.max_block_bytes",
                "a block and its proposal must fit one gossip message (MAX_BLOCK_BYTES_LIMIT)",
            );
        }
        if self.limits.max_tx_bytes > self.limits.max_block_bytes {
            return bad("limits.max_tx_bytes", "exceeds max_block_bytes");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_consistent() {
        for n in [Network::Mainnet, Network::Testnet, Network::Devnet] {
            let p = ChainParams::for_network(n);
            assert_eq!(p.network, n);
            p.validate().unwrap();
        }
        assert_ne!(
            ChainParams::mainnet().chain_id,
            ChainParams::devnet().chain_id
        );
    }

    #[test]
    fn mainnet_matches_spec() {
        let p = ChainParams::mainnet();
        assert_eq!(p.supply.max_supply.base_units(), 44_000_000_000_000_000);
        assert_eq!(p.supply.initial_subsidy.to_string(), "14");
        assert_eq!(
            p.rewards
                .dev_fund
                .of(p.supply.initial_subsidy)
                .unwrap()
                .to_string(),
            "0.5"
        );
        assert_eq!(p.apps.prices.cpu_per_tenth_core.to_string(), "0.03");
        assert_eq!(p.apps.prices.ram_per_mb.to_string(), "0.0001");
        assert_eq!(p.apps.prices.hdd_per_gb.to_string(), "0.004");
        assert_eq!(p.apps.prices.targeted_nodes.to_string(), "0.8");
        assert_eq!(p.apps.prices.static_ip.to_string(), "0.4");
        assert_eq!(p.apps.prices.rounding.to_string(), "0.01");
        assert_eq!(Tier::ALL.map(|t| p.vote_weight(t).unwrap()), [10, 125, 400]);
        let banned = |port| p.apps.banned_ports.iter().any(|r| r.contains(port));
        assert!(banned(16100) && banned(16299) && banned(22) && banned(30099));
        assert!(!banned(16300) && !banned(80) && !banned(443));
    }

    #[test]
    fn validate_names_the_bad_parameter() {
        let mut p = ChainParams::mainnet();
        p.rewards.tier_percent = [15, 25, 61];
        assert!(matches!(
            p.validate(),
            Err(ParamsError::Invalid {
                name: "rewards.tier_percent",
                ..
            })
        ));
        let mut p = ChainParams::mainnet();
        p.consensus.commit_threshold.den = 0;
        assert!(p.validate().is_err());
        let mut p = ChainParams::mainnet();
        p.tiers.nimbus.collateral = p.tiers.stratus.collateral;
        assert!(p.validate().is_err());
    }

    /// Replays issue 19 point 3: blocks of up to 8 MiB while gossip carries 4 MiB, so a
    /// proposer fed large transactions built blocks nobody could receive. Every preset's block
    /// cap leaves room for the proposal around it in one gossip message, and `validate` (which
    /// every governance change goes through) refuses a cap above that.
    #[test]
    fn the_block_cap_fits_a_gossip_message() {
        const GOSSIP: u64 = 4 * 1024 * 1024;
        for n in [Network::Mainnet, Network::Testnet, Network::Devnet] {
            let p = ChainParams::for_network(n);
            assert!(p.limits.max_block_bytes < GOSSIP, "{n}");
            let mut over = p.clone();
            over.limits.max_block_bytes = GOSSIP;
            assert!(
                matches!(
                    over.validate(),
                    Err(ParamsError::Invalid {
                        name: "limits.max_block_bytes",
                        ..
                    })
                ),
                "{n}: {:?}",
                over.validate()
            );
        }
    }

    /// Replays issue 19 point 11: an unbonding period shorter than an epoch lets a committee
    /// member leave with its collateral while still voting, out of reach of evidence. It must
    /// cover an epoch plus the evidence window.
    #[test]
    fn unbonding_must_outlast_an_epoch() {
        for n in [Network::Mainnet, Network::Devnet] {
            let mut p = ChainParams::for_network(n);
            let c = &p.consensus;
            assert!(p.nodes.unbonding_period >= c.epoch_length + c.evidence_max_age);
            p.nodes.unbonding_period = c.epoch_length + c.evidence_max_age;
            p.validate().unwrap();
            p.nodes.unbonding_period -= 1;
            assert!(p.validate().is_err());
            p.nodes.unbonding_period = p.consensus.epoch_length - 1;
            assert!(
                matches!(
                    p.validate(),
                    Err(ParamsError::Invalid {
                        name: "nodes.unbonding_period",
                        ..
                    })
                ),
                "{n:?}: {:?}",
                p.validate()
            );
        }
    }

    #[test]
    fn work_params_default_when_absent() {
        let mut json = serde_json::to_value(ChainParams::mainnet()).unwrap();
        json["work"] = serde_json::json!({ "job_redundancy": 3 });
        let p: ChainParams = serde_json::from_value(json).unwrap();
        assert_eq!(p.work, WorkParams::mainnet());
        let mut p = ChainParams::mainnet();
        p.work.max_output_bytes = p.limits.max_tx_bytes;
        assert!(matches!(
            p.validate(),
            Err(ParamsError::Invalid {
                name: "work.max_output_bytes",
                ..
            })
        ));
    }

    #[test]
    fn serde_round_trips() {
        let p = ChainParams::devnet();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<ChainParams>(&json).unwrap(), p);
        let bytes = crate::codec::encode(&p).unwrap();
        assert_eq!(crate::codec::decode::<ChainParams>(&bytes).unwrap(), p);
        assert_eq!("devnet".parse::<Network>(), Ok(Network::Devnet));
        assert!("moon".parse::<Network>().is_err());
    }

    #[test]
    fn ratio_threshold_is_strict() {
        let two_thirds = Ratio::new(2, 3);
        assert!(!two_thirds.exceeded_by(2, 3));
        assert!(two_thirds.exceeded_by(3, 4));
        assert!(!two_thirds.exceeded_by(66, 100));
        assert!(two_thirds.exceeded_by(67, 100));
    }
}
