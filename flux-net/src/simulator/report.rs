//! `report.json`: one row per report period and the run's totals. Integers only (base units,
//! per mille), ordered fields and vectors, so one seed gives the same bytes every time.

use flux_chain::state::State;
use flux_chain::transition::Receipts;
use flux_chain::transition::reward::{Payee, RewardShare};
use flux_core::Tier;
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::registry::RegistryEvent;
use serde::Serialize;

/// Node counts by status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NodeCounts {
    /// Started, not yet confirmed.
    pub started: u64,
    /// Confirmed (eligible for rewards and apps).
    pub confirmed: u64,
    /// Expired (missed a keep-alive).
    pub expired: u64,
    /// On the DoS list.
    pub dos: u64,
    /// Exiting.
    pub exiting: u64,
}

/// One tier's placement use at the end of a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TierUse {
    /// The tier.
    pub tier: Tier,
    /// Its nodes in the placement.
    pub nodes: u64,
    /// Instances on them.
    pub instances: u64,
    /// CPU used, per mille of capacity.
    pub cpu_permille: u64,
    /// RAM used, per mille of capacity.
    pub ram_permille: u64,
    /// SSD used, per mille of capacity.
    pub hdd_permille: u64,
}

/// One report period (base units for amounts).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Last block of the period.
    pub end_height: u64,
    /// Supply after it.
    pub supply: u64,
    /// Minted during the period.
    pub emission: u64,
    /// Paid to each tier's operators (Cumulus, Nimbus, Stratus).
    pub tier_rewards: [u64; 3],
    /// Paid to the development fund.
    pub dev_fund: u64,
    /// Added to the useful-work pool.
    pub to_work_pool: u64,
    /// Not minted (no eligible payee).
    pub not_minted: u64,
    /// The useful-work pool's balance after the period.
    pub work_pool: u64,
    /// Streamed from app escrows to hosts.
    pub hosting: u64,
    /// Nodes by status at the end.
    pub nodes: NodeCounts,
    /// Placement use per tier at the end.
    pub utilisation: Vec<TierUse>,
    /// Apps registered at the end.
    pub apps: u64,
    /// Instances placed at the end.
    pub placed_instances: u64,
    /// Instances with no node at the end.
    pub unplaced_instances: u64,
    /// Most instances without a node after any block of the period.
    pub max_unplaced_instances: u64,
    /// Blocks of the period that ended with instances without a node.
    pub blocks_with_unplaced: u64,
    /// Nodes that expired during the period.
    pub expirations: u64,
    /// Transactions included during the period.
    pub txs: u64,
    /// Transactions the block builder left out (each with a rule it broke).
    pub dropped_txs: u64,
    /// Instances whose node left (expired, exited, slashed) during the period.
    pub displaced_instances: u64,
    /// Longest time, in blocks, displaced instances waited for a node (0: re-placed in the
    /// block their node left).
    pub max_healing_blocks: u64,
    /// Compute jobs submitted.
    pub jobs_submitted: u64,
    /// Jobs whose majority result was accepted.
    pub jobs_accepted: u64,
    /// Jobs refunded (no majority twice, or no eligible node).
    pub jobs_refunded: u64,
    /// Fuel of the accepted results (work units per agreeing node).
    pub job_fuel: u64,
    /// Job fees paid to agreeing nodes' owners.
    pub job_fees_paid: u64,
    /// Strikes of the scenario's cheaters (wrong or missing results).
    pub strikes_cheaters: u64,
    /// Strikes of honest nodes (a missing commit or reveal, e.g. a node that stopped).
    pub strikes_honest: u64,
    /// Paid from the useful-work pool to the owners of nodes with work units (hosting reports
    /// and accepted jobs), at epoch ends.
    pub pool_paid: u64,
    /// Equivocations slashed.
    pub slashes: u64,
    /// Collateral burned by them.
    pub slashed: u64,
}

/// A block in which nodes that hosted instances left, and how long their instances waited.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Healing {
    /// The block.
    pub height: u64,
    /// Nodes that left in it (hosting or not).
    pub nodes_left: u64,
    /// Instances that were on them.
    pub displaced: u64,
    /// Instances without a node after the block (all apps).
    pub unplaced_after: u64,
    /// Blocks until the unplaced count was back to its level before this block (0: every
    /// displaced instance was re-placed in this block); `None` if it never was.
    pub healed_in_blocks: Option<u64>,
}

/// One tier's distribution of per-node income over the run (genesis nodes, each with its own
/// owner account: rewards, hosting and useful-work payouts; joining nodes share the treasury's
/// account and are not counted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TierIncome {
    /// The tier.
    pub tier: Tier,
    /// Nodes counted.
    pub nodes: u64,
    /// Smallest income (base units).
    pub min: u64,
    /// Median income (base units).
    pub median: u64,
    /// Largest income (base units).
    pub max: u64,
    /// Sum over the tier's nodes (base units).
    pub total: u64,
    /// Width of a histogram bucket (base units); bucket `i` counts incomes in
    /// `[min + i·width, min + (i+1)·width)` (the last one includes `max`).
    pub bucket_width: u64,
    /// Nodes per bucket.
    pub buckets: Vec<u64>,
}

/// A run of the real consensus over the simulated network (without `--fast`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConsensusRun {
    /// Validators (the committee).
    pub validators: u64,
    /// Of them, equivocating.
    pub equivocators: u64,
    /// Simulated time, ms.
    pub elapsed_ms: u64,
    /// Fewest heights an honest validator decided.
    pub min_honest_heights: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Messages lost.
    pub dropped: u64,
    /// Messages refused (stale, duplicate, bad signature...).
    pub rejected: u64,
    /// Hash of every honest validator's (height, state root): equal across runs of one seed.
    pub digest: String,
}

/// Buckets of the income histograms.
pub const INCOME_BUCKETS: u64 = 24;

impl TierIncome {
    /// The distribution of `incomes` (any order).
    pub fn of(tier: Tier, mut incomes: Vec<u64>) -> TierIncome {
        incomes.sort_unstable();
        let min = incomes.first().copied().unwrap_or(0);
        let max = incomes.last().copied().unwrap_or(0);
        let width = (max - min) / INCOME_BUCKETS + 1;
        let mut buckets = vec![0u64; INCOME_BUCKETS as usize];
        for v in &incomes {
            let i = ((v - min) / width).min(INCOME_BUCKETS - 1) as usize;
            buckets[i] += 1;
        }
        TierIncome {
            tier,
            nodes: incomes.len() as u64,
            min,
            median: incomes.get(incomes.len() / 2).copied().unwrap_or(0),
            max,
            total: incomes.iter().sum(),
            bucket_width: width,
            buckets,
        }
    }
}

/// The whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// Genesis nodes.
    pub genesis_nodes: u32,
    /// Blocks simulated.
    pub blocks: u64,
    /// Supply at genesis.
    pub genesis_supply: u64,
    /// The supply cap.
    pub max_supply: u64,
    /// The chain parameters used.
    pub preset: String,
    /// The state root after the last block (hex).
    pub state_root: String,
    /// The periods.
    pub periods: Vec<Period>,
    /// Blocks in which hosting nodes left, with the healing time of their instances.
    pub healing: Vec<Healing>,
    /// Per-node income over the run, per tier.
    pub income: Vec<TierIncome>,
    /// Without `--fast`: how the consensus run went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consensus: Option<ConsensusRun>,
    /// Sums over the periods (the end state's figures for the stock fields).
    pub totals: Period,
}

impl Period {
    /// Adds one block's flows.
    pub fn add_block(&mut self, r: &Receipts, included: usize, dropped: usize) {
        for reward in &r.rewards {
            let a = reward.amount.base_units();
            if reward.payee == Payee::NotMinted {
                self.not_minted += a;
                continue;
            }
            self.emission += a;
            match reward.share {
                RewardShare::Tier(t) => self.tier_rewards[t.index()] += a,
                RewardShare::DevFund => self.dev_fund += a,
                RewardShare::WorkPool => self.to_work_pool += a,
            }
        }
        self.hosting += r.hosting.base_units();
        self.expirations += r
            .nodes
            .iter()
            .filter(|e| matches!(e, RegistryEvent::Expired { .. }))
            .count() as u64;
        self.txs += included as u64;
        self.dropped_txs += dropped as u64;
    }

    /// Records the instances left without a node after a block (O(apps missing some)) and
    /// returns their number.
    pub fn add_unplaced(&mut self, state: &State) -> u64 {
        let missing: u64 = state
            .placement()
            .unplaced()
            .iter()
            .map(|u| u64::from(u.missing))
            .sum();
        self.max_unplaced_instances = self.max_unplaced_instances.max(missing);
        if missing > 0 {
            self.blocks_with_unplaced += 1;
        }
        missing
    }

    /// Records the stock figures of `state` (O(nodes + apps)).
    pub fn close(&mut self, state: &State) {
        let ledger = state.ledger();
        self.end_height = state.tip().height;
        self.supply = ledger.supply.base_units();
        self.work_pool = ledger.work_pool.base_units();
        let mut n = NodeCounts::default();
        for e in state.registry().iter() {
            match e.status {
                NodeStatus::Started => n.started += 1,
                NodeStatus::Confirmed => n.confirmed += 1,
                NodeStatus::Expired => n.expired += 1,
                NodeStatus::DoS => n.dos += 1,
                NodeStatus::Exiting => n.exiting += 1,
            }
        }
        self.nodes = n;
        let permille = |u: u64, c: u64| u.saturating_mul(1000).checked_div(c).unwrap_or(0);
        let placement = state.placement();
        self.utilisation = placement
            .utilisation()
            .iter()
            .map(|t| TierUse {
                tier: t.tier,
                nodes: t.nodes,
                instances: t.instances,
                cpu_permille: permille(t.used.cpu_tenths, t.capacity.cpu_tenths),
                ram_permille: permille(t.used.ram_mb, t.capacity.ram_mb),
                hdd_permille: permille(t.used.hdd_gb, t.capacity.hdd_gb),
            })
            .collect();
        self.apps = state.apps().len() as u64;
        self.placed_instances = placement.placed_instances();
        self.unplaced_instances = placement
            .unplaced()
            .iter()
            .map(|u| u64::from(u.missing))
            .sum();
    }

    /// Adds `other`'s flows to these totals.
    pub fn accumulate(&mut self, other: &Period) {
        self.emission += other.emission;
        for i in 0..3 {
            self.tier_rewards[i] += other.tier_rewards[i];
        }
        self.dev_fund += other.dev_fund;
        self.to_work_pool += other.to_work_pool;
        self.not_minted += other.not_minted;
        self.hosting += other.hosting;
        self.max_unplaced_instances = self
            .max_unplaced_instances
            .max(other.max_unplaced_instances);
        self.blocks_with_unplaced += other.blocks_with_unplaced;
        self.expirations += other.expirations;
        self.txs += other.txs;
        self.dropped_txs += other.dropped_txs;
        self.displaced_instances += other.displaced_instances;
        self.jobs_submitted += other.jobs_submitted;
        self.jobs_accepted += other.jobs_accepted;
        self.jobs_refunded += other.jobs_refunded;
        self.job_fuel += other.job_fuel;
        self.job_fees_paid += other.job_fees_paid;
        self.strikes_cheaters += other.strikes_cheaters;
        self.strikes_honest += other.strikes_honest;
        self.pool_paid += other.pool_paid;
        self.slashes += other.slashes;
        self.slashed += other.slashed;
        self.max_healing_blocks = self.max_healing_blocks.max(other.max_healing_blocks);
    }
}
