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
//!
//! A BFT chain needs validators before its first block: `nodes` lists the genesis FluxNodes,
//! confirmed at height 0 with their tier's collateral bonded from their owner's allocation
//! (`"nodes"` may be left out; the first epoch's committee is drawn from these nodes):
//!
//! ```json
//! "nodes": [ { "owner": "tflux1...", "operator": "ed25519:3b6a...", "tier": "cumulus",
//!              "endpoint": "127.0.0.1:16127", "geolocation": "EU_DE" } ]
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use flux_core::crypto::{Scheme, SecretKey};
use flux_core::error::ParamsError;
use flux_core::hash::Tag;
use flux_core::params::GovernableParam;
use flux_core::tokenomics::check_genesis;
use flux_core::{Address, Amount, ChainId, ChainParams, Network, Tier, codec};
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::{Geolocation, NodeEntry, NodeId};
use flux_nodes::registry::Registry;
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
    /// FluxNodes confirmed at genesis (the first committee is drawn from them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<GenesisNode>,
    /// Governable parameters that start at another value than the preset's, by their
    /// governance name (`{"nodes.expire_after": 40}`, see [`GovernableParam`]): for devnets
    /// and test chains (a short expiry, a small committee). Refused on mainnet and testnet,
    /// whose parameters are the protocol's. A vote changes a running chain within bounds
    /// fixed in code; a genesis starts one, so these values are held to the consistency rules
    /// of [`ChainParams::validate`] only. Part of the genesis id when present.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, u64>,
}

/// A FluxNode confirmed at genesis. Its tier's collateral is bonded from the owner's allocation;
/// its declared and attested hardware are the tier's minimum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisNode {
    /// Owner address (bech32m with the network's prefix); must hold an allocation that covers
    /// the collateral.
    pub owner: String,
    /// The operator key, `scheme:hex` (Ed25519 to take part in consensus).
    pub operator: String,
    /// The tier.
    pub tier: Tier,
    /// `host:port` where peers reach it.
    pub endpoint: String,
    /// Where it is, e.g. `EU_DE`.
    pub geolocation: String,
}

impl Genesis {
    /// Parses and checks a genesis file.
    pub fn from_json(text: &str) -> Result<Genesis, GenesisError> {
        let genesis: Genesis = serde_json::from_str(text)?;
        genesis.check_params()?;
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
            nodes: Vec::new(),
            params: BTreeMap::new(),
        }
    }

    /// The chain parameters: the network's preset with this chain id and the file's
    /// [`Genesis::params`] (checked by [`Genesis::from_json`] and [`Genesis::state`]; one that
    /// does not apply is left at the preset's value here).
    pub fn params(&self) -> ChainParams {
        let mut p = ChainParams::for_network(self.network);
        p.chain_id = self.chain_id;
        let _ = self.apply_params(&mut p);
        p
    }

    /// Applies [`Genesis::params`] to `p`, in name order.
    fn apply_params(&self, p: &mut ChainParams) -> Result<(), GenesisError> {
        if !self.params.is_empty() && self.network != Network::Devnet {
            return Err(GenesisError::Params {
                name: String::new(),
                reason: format!(
                    "only a devnet genesis may set parameters, not {}",
                    self.network
                ),
            });
        }
        let mut values = Vec::with_capacity(self.params.len());
        for (name, value) in &self.params {
            let param: GovernableParam =
                name.parse()
                    .map_err(|e: ParamsError| GenesisError::Params {
                        name: name.clone(),
                        reason: e.to_string(),
                    })?;
            values.push((param, *value));
        }
        GovernableParam::set_all_unbounded(p, &values).map_err(|e| GenesisError::Params {
            name: match &e {
                ParamsError::Invalid { name, .. } => (*name).to_owned(),
                _ => String::new(),
            },
            reason: e.to_string(),
        })?;
        Ok(())
    }

    /// Checks [`Genesis::params`]: known names, a devnet genesis, consistent values.
    pub fn check_params(&self) -> Result<ChainParams, GenesisError> {
        let mut p = ChainParams::for_network(self.network);
        p.chain_id = self.chain_id;
        self.apply_params(&mut p)?;
        Ok(p)
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

    /// The genesis supply: the allocations plus the FLUX locked for parallel assets (on
    /// mainnet 22,000,000 per external chain, [`crate::parallel::Parallel::genesis`]; zero on
    /// devnet and testnet). This, plus the maximum future emission, must fit under the cap.
    pub fn supply(&self) -> Result<Amount, GenesisError> {
        let locked = crate::parallel::Parallel::genesis(&self.params()).locked()?;
        Ok(self.total()?.checked_add(locked)?)
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
        check_genesis(self.supply()?, &self.params())?;
        Ok(accounts)
    }

    /// The genesis nodes as confirmed registry entries, their collateral taken from `accounts`.
    fn registry(
        &self,
        accounts: &mut BTreeMap<Address, Account>,
        params: &ChainParams,
    ) -> Result<Registry, GenesisError> {
        let mut entries: BTreeMap<NodeId, NodeEntry> = BTreeMap::new();
        for (index, n) in self.nodes.iter().enumerate() {
            let bad = |reason: String| GenesisError::Node { index, reason };
            let owner =
                Address::parse(&n.owner, self.network).map_err(|e| bad(format!("owner: {e}")))?;
            let operator: flux_core::crypto::PublicKey = n
                .operator
                .parse()
                .map_err(|e| bad(format!("operator key: {e}")))?;
            let geolocation: Geolocation = n
                .geolocation
                .parse()
                .map_err(|e| bad(format!("geolocation: {e}")))?;
            flux_nodes::node::check_endpoint(&n.endpoint)
                .map_err(|e| bad(format!("endpoint: {e}")))?;
            let collateral = n.tier.collateral(params);
            let account = accounts
                .get_mut(&owner)
                .ok_or_else(|| bad(format!("owner {} has no allocation", n.owner)))?;
            account.balance = account.balance.checked_sub(collateral).map_err(|_| {
                bad(format!(
                    "owner's allocation {} does not cover the collateral {collateral}",
                    account.balance
                ))
            })?;
            let id = NodeId::of(&operator);
            let hardware = n.tier.minimum(params);
            let entry = NodeEntry {
                id,
                owner,
                operator,
                tier: n.tier,
                collateral,
                endpoint: n.endpoint.clone(),
                geolocation,
                declared: hardware,
                attested: Some(hardware),
                status: NodeStatus::Confirmed,
                started_at: 0,
                confirmed_at: Some(0),
                last_confirm: Some(0),
                last_paid: None,
                endpoint_changed_at: None,
                status_since: 0,
                deadline: Some(params.nodes.expire_after.saturating_add(1)),
                keepalive_from: Some(params.nodes.min_confirm_interval),
                slashed: Vec::new(),
            };
            if entries.insert(id, entry).is_some() {
                return Err(bad("operator key listed twice".into()));
            }
        }
        Registry::from_entries(entries.into_values()).map_err(|e| GenesisError::Node {
            index: 0,
            reason: e.to_string(),
        })
    }

    /// The state at height 0.
    pub fn state(&self) -> Result<State, GenesisError> {
        let params = self.check_params()?;
        let mut accounts = self.balances()?;
        let registry = self.registry(&mut accounts, &params)?;
        let ledger = Ledger {
            supply: self.supply()?,
            work_pool: Amount::ZERO,
        };
        // The first committee seed is the genesis id (the genesis is trusted as a whole).
        let id = self.id()?;
        let tip = Tip {
            height: 0,
            block_id: id,
            timestamp_ms: self.timestamp_ms,
            seed: id.0,
        };
        let recent = imbl::OrdMap::unit(0, tip.block_id);
        let mut placement = flux_nodes::placement::Placement::new(tip.block_id.0);
        for entry in registry.iter() {
            placement
                .add_node(flux_nodes::placement::PlacementNode::from_entry(
                    entry, &params,
                ))
                .map_err(|e| GenesisError::Node {
                    index: 0,
                    reason: e.to_string(),
                })?;
        }
        Ok(State::from_parts(
            Arc::new(params.clone()),
            accounts,
            registry,
            imbl::OrdMap::new(),
            placement,
            Default::default(),
            Default::default(),
            ledger,
            tip,
            recent,
        )?
        .with_parallel(crate::parallel::Parallel::genesis(&params))?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn with_params(network: Network, params: &[(&str, u64)]) -> Genesis {
        let mut g = Genesis::devnet_example();
        g.network = network;
        g.params = params.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect();
        g
    }

    /// A devnet genesis may start nodes on a short expiry (issue 21's re-placement test runs
    /// on one); the values are in the parameters, the JSON and the genesis id, and a genesis
    /// without any keeps its id (the field is not encoded when empty).
    #[test]
    fn a_devnet_genesis_sets_governable_parameters() {
        let plain = Genesis::devnet_example();
        let short = with_params(
            Network::Devnet,
            &[
                ("nodes.expire_after", 40),
                ("nodes.min_confirm_interval", 20),
            ],
        );
        let p = short.check_params().unwrap();
        assert_eq!(
            (p.nodes.expire_after, p.nodes.min_confirm_interval),
            (40, 20)
        );
        assert_eq!(short.params().nodes.expire_after, 40);
        assert_eq!(short.state().unwrap().params().nodes.expire_after, 40);
        let back = Genesis::from_json(&short.to_json().unwrap()).unwrap();
        assert_eq!(back, short);
        assert_ne!(short.id().unwrap(), plain.id().unwrap());
        assert!(!plain.to_json().unwrap().contains("\"params\""));
        let mut empty = plain.clone();
        empty.params = BTreeMap::new();
        assert_eq!(empty.id().unwrap(), plain.id().unwrap());
    }

    /// Unknown names, inconsistent values and parameters on a network whose parameters are the
    /// protocol's are refused with the parameter's name.
    #[test]
    fn bad_genesis_parameters_are_refused() {
        let unknown = with_params(Network::Devnet, &[("nodes.expire_soon", 40)]);
        let e = unknown.check_params().unwrap_err().to_string();
        assert!(e.contains("nodes.expire_soon"), "{e}");
        // A node could never confirm before it expires.
        let inconsistent = with_params(Network::Devnet, &[("nodes.expire_after", 10)]);
        let e = inconsistent.state().unwrap_err();
        assert!(matches!(e, GenesisError::Params { .. }), "{e}");
        assert!(e.to_string().contains("expire_after"), "{e}");
        let json = inconsistent.to_json().unwrap();
        assert!(Genesis::from_json(&json).is_err());
        for network in [Network::Mainnet, Network::Testnet] {
            let g = with_params(network, &[("app.cpu_price", 4_000_000)]);
            assert!(matches!(g.check_params(), Err(GenesisError::Params { .. })));
        }
    }
}
