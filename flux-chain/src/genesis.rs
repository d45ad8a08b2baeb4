//! Genesis: the chain's first state, from a JSON file.
//!
//! ```json
//! { "network": "devnet", "chain_id": 1179407706, "timestamp_ms": 1767225600000,
//!   "allocations": [ { "address": "tflux1...", "amount": "1000000" } ] }
//! ```
//!
//! The parameters are the network's preset with the file's chain id. A genesis is refused when
//! its total plus the schedule's maximum future emission exceeds the supply cap, so no later
//! block can ever be asked to pass it.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use flux_core::crypto::{Scheme, SecretKey};
use flux_core::hash::Tag;
use flux_core::tokenomics::check_genesis;
use flux_core::{Address, Amount, ChainId, ChainParams, Network, codec};
use serde::{Deserialize, Serialize};

use crate::block::BlockId;
use crate::error::GenesisError;
use crate::state::{Account, Ledger, State, Tip};

static GENESIS_ID: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/genesis-id/v1"));

/// An initial balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// bech32m address with the network's prefix.
    pub address: String,
    /// Amount, decimal FLUX.
    pub amount: Amount,
}

/// A genesis file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The parameter preset.
    pub network: Network,
    /// The chain id (overrides the preset's, so several devnets can coexist).
    pub chain_id: ChainId,
    /// Genesis time, ms since the Unix epoch; the first block must be later.
    pub timestamp_ms: u64,
    /// Initial balances.
    pub allocations: Vec<Allocation>,
}

impl Genesis {
    /// Parses and checks a genesis file.
    pub fn from_json(text: &str) -> Result<Genesis, GenesisError> {
        let genesis: Genesis = serde_json::from_str(text)?;
        genesis.balances()?;
        Ok(genesis)
    }

    /// The genesis as pretty JSON.
    pub fn to_json(&self) -> Result<String, GenesisError> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// A devnet genesis with 1,000,000 FLUX for each of the keys `SecretKey(Ed25519, [i; 32])`,
    /// i = 1..=4: a fixed example for docs and tests.
    pub fn devnet_example() -> Genesis {
        let allocations = (1..=4u8)
            .filter_map(|i| SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).ok())
            .map(|k| Allocation {
                address: Address::from_public_key(&k.public_key()).to_bech32(Network::Devnet),
                amount: Amount::from_base_units(1_000_000 * flux_core::COIN),
            })
            .collect();
        Genesis {
            network: Network::Devnet,
            chain_id: ChainId::DEVNET,
            timestamp_ms: 1_767_225_600_000,
            allocations,
        }
    }

    /// The chain parameters: the network's preset with this chain id.
    pub fn params(&self) -> ChainParams {
        let mut p = ChainParams::for_network(self.network);
        p.chain_id = self.chain_id;
        p
    }

    /// The genesis id, parent of block 1: the tagged hash of the canonical encoding.
    pub fn id(&self) -> Result<BlockId, GenesisError> {
        Ok(BlockId(GENESIS_ID.hash(&codec::encode(self)?)))
    }

    /// The sum of the allocations.
    pub fn total(&self) -> Result<Amount, GenesisError> {
        Ok(Amount::checked_sum(
            self.allocations.iter().map(|a| a.amount),
        )?)
    }

    /// The checked initial balances: addresses parse, no duplicates, no zeros, cap respected.
    pub fn balances(&self) -> Result<BTreeMap<Address, Account>, GenesisError> {
        let mut accounts = BTreeMap::new();
        for (index, a) in self.allocations.iter().enumerate() {
            let address = Address::parse(&a.address, self.network)
                .map_err(|source| GenesisError::Address { index, source })?;
            if a.amount.is_zero() {
                return Err(GenesisError::ZeroAllocation { index });
            }
            let account = Account {
                balance: a.amount,
                nonce: 0,
            };
            if accounts.insert(address, account).is_some() {
                return Err(GenesisError::Duplicate {
                    index,
                    address: a.address.clone(),
                });
            }
        }
        check_genesis(self.total()?, &self.params())?;
        Ok(accounts)
    }

    /// The state at height 0.
    pub fn state(&self) -> Result<State, GenesisError> {
        let accounts = self.balances()?;
        let ledger = Ledger {
            supply: self.total()?,
            work_pool: Amount::ZERO,
        };
        let tip = Tip {
            height: 0,
            block_id: self.id()?,
            timestamp_ms: self.timestamp_ms,
        };
        let recent = imbl::OrdMap::unit(0, tip.block_id);
        Ok(State::from_parts(
            Arc::new(self.params()),
            accounts,
            flux_nodes::registry::Registry::new(),
            imbl::OrdMap::new(),
            flux_nodes::placement::Placement::new(tip.block_id.0),
            Default::default(),
            ledger,
            tip,
            recent,
        )?)
    }
}
