//! [`ChainParams`]: every protocol number, with `mainnet()`, `testnet()` and `devnet()` presets.
//!
//! Nothing else in the SDK hard-codes a protocol number: rules read them from here, so a test
//! network can shrink times and governance can change the governable ones within bounds.
//! Values are those of `SPEC.md` (mainnet shown there).
//!
//! ```
//! use flux_core::params::{ChainParams, Network};
//! use flux_core::tier::Tier;
//!
//! let p = ChainParams::mainnet();
//! assert_eq!(p.supply.max_supply.to_string(), "440000000");
//! assert_eq!(p.tiers.get(Tier::Nimbus).collateral.to_string(), "12500");
//! assert_eq!(p.vote_weight(Tier::Stratus), Ok(400)); // 40,000 FLUX / 100 FLUX
//! assert_eq!(ChainParams::for_network(Network::Devnet).network, Network::Devnet);
//! assert!(p.validate().is_ok());
//! ```

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, COIN};
use crate::error::{AmountError, ParamsError};
use crate::tier::Tier;

/// The chain id bound into every signature, so nothing signed for one chain is valid on another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChainId(pub u64);

impl ChainId {
    /// Mainnet: ASCII "FLUX".
    pub const MAINNET: ChainId = ChainId(0x464c_5558);
    /// The public testnet.
    pub const TESTNET: ChainId = ChainId(0x464c_5559);
    /// The default local devnet.
    pub const DEVNET: ChainId = ChainId(0x464c_555a);
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A network preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// The main network.
    Mainnet,
    /// The public test network.
    Testnet,
    /// A local development network (short times).
    Devnet,
}

impl Network {
    /// The network's name.
    pub const fn name(self) -> &'static str {
        match self {
            Network::Mainnet => "mainnet",
            Network::Testnet => "testnet",
            Network::Devnet => "devnet",
        }
    }

    /// The bech32m prefix of addresses: `flux` on mainnet, `tflux` elsewhere.
    pub const fn address_prefix(self) -> &'static str {
        match self {
            Network::Mainnet => "flux",
            Network::Testnet | Network::Devnet => "tflux",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Network {
    type Err = ParamsError;

    fn from_str(s: &str) -> Result<Network, ParamsError> {
        match s {
            "mainnet" => Ok(Network::Mainnet),
            "testnet" => Ok(Network::Testnet),
            "devnet" => Ok(Network::Devnet),
            _ => Err(ParamsError::UnknownNetwork(s.to_owned())),
        }
    }
}

/// An exact fraction `num / den`. Applied to amounts with [`Amount::mul_div_floor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ratio {
    /// Numerator.
    pub num: u64,
    /// Denominator (never zero in a valid preset).
    pub den: u64,
}

impl Ratio {
    /// `num / den`.
    pub const fn new(num: u64, den: u64) -> Ratio {
        Ratio { num, den }
    }

    /// `amount * num / den`, rounded down.
    pub fn of(self, amount: Amount) -> Result<Amount, AmountError> {
        amount.mul_div_floor(self.num, self.den)
    }

    /// Whether `part / whole` is strictly greater than this ratio (exact, in 128 bits).
    pub fn exceeded_by(self, part: u64, whole: u64) -> bool {
        u128::from(part) * u128::from(self.den) > u128::from(self.num) * u128::from(whole)
    }
}

/// Supply and emission schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplyParams {
    /// Hard cap on total supply (440,000,000 FLUX).
    pub max_supply: Amount,
    /// Block subsidy of the first reduction period (14 FLUX).
    pub initial_subsidy: Amount,
    /// Blocks per reduction period (1,051,200: one year of 30 s blocks).
    pub reduction_interval: u64,
    /// Each period's subsidy is the previous one times this ratio, floored (9/10).
    pub reduction: Ratio,
}

/// How each block's minted subsidy is split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardParams {
    /// Share of the subsidy paid to node operators (1/2).
    pub node_share: Ratio,
    /// Percent of the node share for Cumulus, Nimbus and Stratus (15, 25, 60).
    pub tier_percent: [u64; 3],
    /// Share of the subsidy paid to the development fund (1/28: 0.5 FLUX of 14).
    pub dev_fund: Ratio,
}

/// Node lifecycle timing (in blocks), benchmark attestation and vote weight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeParams {
    /// A started node must confirm within this many blocks (240).
    pub confirm_window: u64,
    /// A collateral that missed its confirm window cannot restart for this long (720).
    pub dos_duration: u64,
    /// A confirmed node expires if it does not confirm again within this many blocks (640).
    pub expire_after: u64,
    /// A keep-alive confirm is refused within this many blocks of the last one (500).
    pub min_confirm_interval: u64,
    /// ...except after an endpoint change, which may confirm after this many (5).
    pub min_endpoint_confirm_interval: u64,
    /// Exiting collateral returns after this many blocks, slashable meanwhile (4,320: at least
    /// `consensus.epoch_length + consensus.evidence_max_age`).
    pub unbonding_period: u64,
    /// Peers that check a node's benchmark (5).
    pub bench_verifiers: u32,
    /// Fraction of them whose signatures a confirm needs (2/3, rounded up: 4 of 5).
    pub bench_quorum: Ratio,
    /// A confirm's attestations must name a seed block at most this many blocks old (20).
    pub bench_seed_max_age: u64,
    /// Collateral per unit of vote weight (100 FLUX, so 1,000 FLUX weigh 10: fixed point).
    pub vote_weight_unit: Amount,
    /// Resources every node keeps for itself.
    pub reserve: NodeReserve,
}

/// Consensus committee, finality and slashing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsensusParams {
    /// Most validators in one epoch's committee (100).
    pub committee_size: u32,
    /// Blocks per epoch (2,880); the committee is re-drawn at each epoch.
    pub epoch_length: u64,
    /// A block is final when committed by strictly more than this fraction of weight (2/3).
    pub commit_threshold: Ratio,
    /// Fraction of collateral slashed for equivocation (1/10).
    pub slash_fraction: Ratio,
    /// Propose timeout of round 0, ms; each later round adds `timeout_delta_ms`.
    pub timeout_propose_ms: u64,
    /// Prevote timeout of round 0, ms.
    pub timeout_prevote_ms: u64,
    /// Precommit timeout of round 0, ms.
    pub timeout_precommit_ms: u64,
    /// Added to each timeout per round, ms.
    pub timeout_delta_ms: u64,
    /// Latest a block's time may be after its parent's, ms (300,000: five minutes). A block's
    /// time is after its parent's and at most this much later, so no proposer can push the
    /// chain's clock to the end of time; at least `block_time_ms`, so a chain that stalled
    /// catches up with the wall clock. Fixed by the preset, not governable. Defaults to the
    /// mainnet value when absent.
    #[serde(default = "ConsensusParams::default_max_block_drift_ms")]
    pub max_block_drift_ms: u64,
    /// Evidence of an equivocation at height `h` is accepted in blocks up to
    /// `h + evidence_max_age` (1,440: half a day). `nodes.unbonding_period` must be at least
    /// `epoch_length + evidence_max_age`, so a member that exits is slashable for every offence
    /// it could commit on the committee. Governable. Defaults to the mainnet value when absent.
    #[serde(default = "ConsensusParams::default_evidence_max_age")]
    pub evidence_max_age: u64,
}

impl ConsensusParams {
    /// Longest `max_block_drift_ms` [`ChainParams::validate`] accepts: a day.
    pub const MAX_BLOCK_DRIFT_LIMIT_MS: u64 = 24 * 60 * 60 * 1_000;

    fn default_max_block_drift_ms() -> u64 {
        300_000
    }

    fn default_evidence_max_age() -> u64 {
        1_440
    }
}

/// A closed range of TCP/UDP ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRange {
    /// First port.
    pub start: u16,
    /// Last port (inclusive).
    pub end: u16,
}

impl PortRange {
    /// Whether `port` is in the range.
    pub const fn contains(self, port: u16) -> bool {
        self.start <= port && port <= self.end
    }
}

/// App price list (FluxOS formula, exact base units).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPrices {
    /// Per 0.1 CPU core (0.03 FLUX: 0.3 per core).
    pub cpu_per_tenth_core: Amount,
    /// Per MB of RAM (0.0001 FLUX).
    pub ram_per_mb: Amount,
    /// Per GB of SSD (0.004 FLUX).
    pub hdd_per_gb: Amount,
    /// Surcharge when `nodes[]` targets specific nodes (0.8 FLUX).
    pub targeted_nodes: Amount,
    /// Surcharge for a static IP (0.4 FLUX).
    pub static_ip: Amount,
    /// The prices are for this many blocks (88,000 ≈ 30 days).
    pub period_blocks: u64,
    /// ...and for this many instances (3).
    pub basis_instances: u64,
    /// Per-instance prices are rounded up to a multiple of this (0.01 FLUX).
    pub rounding: Amount,
}

/// App specification limits and prices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppParams {
    /// Shortest app name (3).
    pub name_min_len: usize,
    /// Longest app name (63).
    pub name_max_len: usize,
    /// Longest description (256).
    pub description_max_len: usize,
    /// Most ports per component (5).
    pub max_ports_per_component: usize,
    /// Most environment parameters, and most commands, per component (20).
    pub max_env_entries: usize,
    /// Longest environment parameter or command (400).
    pub max_env_entry_len: usize,
    /// Most contacts (5).
    pub max_contacts: usize,
    /// Most geolocation rules (10).
    pub max_geolocation: usize,
    /// Most targeted nodes (120).
    pub max_target_nodes: usize,
    /// Fewest instances (3).
    pub min_instances: u32,
    /// Most instances (100).
    pub max_instances: u32,
    /// Most CPU per component, in tenths of a core (150: 15 cores).
    pub max_cpu_tenths: u32,
    /// Most RAM per component, MB (59,000).
    pub max_ram_mb: u64,
    /// RAM must be a multiple of this, MB (100).
    pub ram_step_mb: u64,
    /// Most SSD per component, GB (820).
    pub max_hdd_gb: u64,
    /// Default lifetime in blocks (88,000).
    pub default_expire: u64,
    /// Longest lifetime in blocks (1,056,000).
    pub max_expire: u64,
    /// Ports no app may use.
    pub banned_ports: Vec<PortRange>,
    /// The price list.
    pub prices: AppPrices,
}

/// Useful work: compute jobs and their verification by commit and reveal.
///
/// Every field but `job_redundancy` defaults to the mainnet value when absent, so parameter
/// files written before compute jobs existed still load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkParams {
    /// Nodes that run each compute job (3).
    pub job_redundancy: u32,
    /// Blocks an assigned node has to commit to its result after the assignment (20).
    #[serde(default = "WorkParams::default_commit_blocks")]
    pub commit_blocks: u64,
    /// Blocks a committed node has to reveal its result after the commit phase ends (20).
    #[serde(default = "WorkParams::default_reveal_blocks")]
    pub reveal_blocks: u64,
    /// Largest job module, bytes (64 KiB).
    #[serde(default = "WorkParams::default_max_module_bytes")]
    pub max_module_bytes: u64,
    /// Largest job input, bytes (16 KiB).
    #[serde(default = "WorkParams::default_max_input_bytes")]
    pub max_input_bytes: u64,
    /// Largest job output, bytes (96 KiB): a reveal carries it, so it must fit a transaction.
    #[serde(default = "WorkParams::default_max_output_bytes")]
    pub max_output_bytes: u64,
    /// Most fuel a job may ask for (10,000,000,000 instructions).
    #[serde(default = "WorkParams::default_max_job_fuel")]
    pub max_job_fuel: u64,
    /// Smallest job fee (0.01 FLUX).
    #[serde(default = "WorkParams::default_min_job_fee")]
    pub min_job_fee: Amount,
    /// Blocks between a hosting node's liveness reports (120, an hour).
    #[serde(default = "WorkParams::default_hosting_interval")]
    pub hosting_interval: u64,
    /// Most blocks one hosting report credits (240): hosting not reported in time is not paid.
    #[serde(default = "WorkParams::default_hosting_window")]
    pub hosting_window: u64,
}

impl WorkParams {
    /// Room a transaction needs around a module and input, or an output (keys, ids, lengths).
    pub const TX_OVERHEAD_BYTES: u64 = 1_024;

    fn default_commit_blocks() -> u64 {
        20
    }
    fn default_reveal_blocks() -> u64 {
        20
    }
    fn default_max_module_bytes() -> u64 {
        64 * 1024
    }
    fn default_max_input_bytes() -> u64 {
        16 * 1024
    }
    fn default_max_output_bytes() -> u64 {
        96 * 1024
    }
    fn default_max_job_fuel() -> u64 {
        10_000_000_000
    }
    fn default_min_job_fee() -> Amount {
        Amount::from_base_units(COIN / 100)
    }
    fn default_hosting_interval() -> u64 {
        120
    }
    fn default_hosting_window() -> u64 {
        240
    }

    /// The mainnet values.
    pub fn mainnet() -> WorkParams {
        WorkParams {
            job_redundancy: 3,
            commit_blocks: WorkParams::default_commit_blocks(),
            reveal_blocks: WorkParams::default_reveal_blocks(),
            max_module_bytes: WorkParams::default_max_module_bytes(),
            max_input_bytes: WorkParams::default_max_input_bytes(),
            max_output_bytes: WorkParams::default_max_output_bytes(),
            max_job_fuel: WorkParams::default_max_job_fuel(),
            min_job_fee: WorkParams::default_min_job_fee(),
            hosting_interval: WorkParams::default_hosting_interval(),
            hosting_window: WorkParams::default_hosting_window(),
        }
    }
}

/// xDAO governance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernanceParams {
    /// Deposit to make a proposal (500 FLUX).
    pub proposal_deposit: Amount,
    /// Voting period in blocks (20,160 ≈ 7 days).
    pub voting_period: u64,
    /// A proposal needs turnout strictly above this fraction of total weight (3/10).
    pub min_turnout: Ratio,
}

/// Parallel assets on other chains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParallelParams {
    /// Number of external chains (10).
    pub external_chains: u32,
    /// Locked (= issued) per chain at a mainnet genesis (22,000,000 FLUX).
    pub initial_locked_per_chain: Amount,
    /// An attestation needs strictly more than this fraction of committee weight (2/3).
    pub attestation_threshold: Ratio,
}

/// Largest gossip message, and largest block-sync item, a node sends or decodes: 4 MiB. The
/// network layer's limits are this number (flux-net's `message::MAX_MESSAGE_BYTES` and its
/// peer-to-peer default), so a block and what travels with it are sized against one figure.
pub const MAX_GOSSIP_MESSAGE_BYTES: u64 = 4 * 1024 * 1024;

/// Room kept in one gossip message for what travels with a block: a signed proposal with the
/// message's framing (under 200 bytes), or a block-sync item's commit certificate (at most
/// flux-chain's `MAX_CONSENSUS_DATA`, 64 KiB, which flux-chain checks against this at compile
/// time). 128 KiB bounds both with room to spare; flux-net's tests encode the largest of each
/// around a block at the cap.
pub const BLOCK_ENVELOPE_BYTES: u64 = 128 * 1024;

/// The largest `limits.max_block_bytes` [`ChainParams::validate`] accepts: a gossip message
/// less the envelope, so a block at the cap always reaches every peer.
pub const MAX_BLOCK_BYTES_LIMIT: u64 = MAX_GOSSIP_MESSAGE_BYTES - BLOCK_ENVELOPE_BYTES;

/// Size limits of blocks and transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockLimits {
    /// Largest encoded block, bytes (at most [`MAX_BLOCK_BYTES_LIMIT`]).
    pub max_block_bytes: u64,
    /// Most transactions in a block.
    pub max_block_txs: u32,
    /// Largest encoded transaction, bytes.
    pub max_tx_bytes: u64,
}

/// Every protocol number. See the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainParams {
    /// Which preset this is.
    pub network: Network,
    /// The chain id bound into signatures.
    pub chain_id: ChainId,
    /// Target time between blocks, ms (30,000 on mainnet).
    pub block_time_ms: u64,
    /// Supply cap and emission schedule.
    pub supply: SupplyParams,
    /// Reward split.
    pub rewards: RewardParams,
    /// Tier collateral and minimum hardware.
    pub tiers: TierTable,
    /// Node lifecycle.
    pub nodes: NodeParams,
    /// Consensus.
    pub consensus: ConsensusParams,
    /// Apps.
    pub apps: AppParams,
    /// Useful work.
    pub work: WorkParams,
    /// Governance.
    pub governance: GovernanceParams,
    /// Parallel assets.
    pub parallel: ParallelParams,
    /// Block and transaction limits.
    pub limits: BlockLimits,
}

mod governable;
mod presets;
mod tiers;

pub use governable::GovernableParam;
pub use tiers::{NodeReserve, TierParams, TierTable};
