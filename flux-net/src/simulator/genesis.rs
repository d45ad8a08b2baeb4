//! The simulated network's genesis: N confirmed nodes shaped like Flux's (tiers, countries,
//! /16 networks from [`flux_nodes::placement::synthetic`]), their keys derived from the seed,
//! and a treasury account that registers apps and starts the nodes that join later.

use std::collections::BTreeMap;

use flux_chain::devnet::ValidatorKeys;
use flux_chain::genesis::{Allocation, Genesis, GenesisNode};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount, ChainId, ChainParams, Hash, Network, Tier};
use flux_nodes::node::NodeId;
use flux_nodes::placement::synthetic::{self, Rng};

use super::error::SimulatorError;

/// FLUX the treasury holds at genesis for app payments, on top of the collateral of every node
/// that may join.
pub const TREASURY_FLUX: u64 = 20_000_000;

/// Genesis time of every simulation (2026-01-01), ms.
pub const GENESIS_MS: u64 = 1_767_225_600_000;

/// One node the simulation may run: where it is and what it is.
#[derive(Clone, Debug)]
pub struct Profile {
    /// The tier.
    pub tier: Tier,
    /// `host:port`.
    pub endpoint: String,
    /// `CONTINENT_COUNTRY[_REGION]`.
    pub geolocation: String,
}

/// The keys and profiles of a simulated network.
pub struct SimGenesis {
    /// The genesis.
    pub genesis: Genesis,
    /// The treasury key (registers apps, owns joining nodes).
    pub treasury: SecretKey,
    /// Operator keys by node id (every node the simulation has started).
    pub operators: BTreeMap<NodeId, SecretKey>,
    /// Profiles for nodes that join later, in order.
    pub joiners: Vec<Profile>,
    /// The seed keys derive from.
    pub seed: u64,
}

/// The seed as a hash, for the synthetic generators.
pub fn seed_hash(seed: u64, label: &str) -> Hash {
    Hash::tagged(label, &seed.to_le_bytes())
}

/// `count` profiles: places from the synthetic generator, tiers drawn with `shares`.
pub fn profiles(
    count: u32,
    shares: [u64; 3],
    seed: u64,
    params: &ChainParams,
) -> Result<Vec<Profile>, SimulatorError> {
    let nodes = synthetic::nodes(count, 1, seed_hash(seed, "flux/sim/nodes/v1"), params)
        .map_err(|e| SimulatorError::Scenario(e.to_string()))?;
    let mut rng = Rng::new(seed_hash(seed, "flux/sim/tiers/v1"), "flux/sim/tiers/v1");
    Ok(nodes
        .into_iter()
        .map(|n| Profile {
            tier: Tier::ALL[rng.weighted(&shares)],
            endpoint: format!("{}:16127", n.host),
            geolocation: n.geolocation.to_string(),
        })
        .collect())
}

impl SimGenesis {
    /// A testnet genesis (mainnet's numbers: 30 s blocks, subsidy, tiers, node timings) with
    /// `nodes` confirmed nodes (and room for as many to join), keys from `seed`. Not mainnet:
    /// its 220M FLUX locked for parallel assets plus the maximum future emission leave room
    /// for only ~73M FLUX of allocations, less than 13,500 nodes' collateral.
    pub fn build(nodes: u32, shares: [u64; 3], seed: u64) -> Result<SimGenesis, SimulatorError> {
        let network = Network::Testnet;
        let params = ChainParams::for_network(network);
        let mut all = profiles(nodes.saturating_mul(2), shares, seed, &params)?;
        let joiners = all.split_off(nodes as usize);
        let treasury = SecretKey::from_bytes(
            Scheme::Ed25519,
            seed_hash(seed, "flux/sim/treasury/v1").as_bytes(),
        )
        .map_err(|e| SimulatorError::Scenario(e.to_string()))?;
        let amount_err = flux_chain::error::GenesisError::from;
        let mut treasury_funds = Amount::from_flux(TREASURY_FLUX).map_err(amount_err)?;
        for p in &joiners {
            treasury_funds = treasury_funds
                .checked_add(p.tier.collateral(&params))
                .map_err(amount_err)?;
        }
        let mut allocations = vec![Allocation {
            address: Address::from_public_key(&treasury.public_key()).to_bech32(network),
            amount: treasury_funds,
        }];
        let mut genesis_nodes = Vec::with_capacity(all.len());
        let mut operators = BTreeMap::new();
        for (i, p) in all.iter().enumerate() {
            let keys = ValidatorKeys::derive(seed, i as u32)?;
            let owner = keys.owner_address().to_bech32(network);
            allocations.push(Allocation {
                address: owner.clone(),
                amount: p.tier.collateral(&params),
            });
            genesis_nodes.push(GenesisNode {
                owner,
                operator: keys.operator.public_key().to_string(),
                tier: p.tier,
                endpoint: p.endpoint.clone(),
                geolocation: p.geolocation.clone(),
            });
            operators.insert(NodeId::of(&keys.operator.public_key()), keys.operator);
        }
        let genesis = Genesis {
            network,
            chain_id: ChainId::TESTNET,
            timestamp_ms: GENESIS_MS,
            allocations,
            nodes: genesis_nodes,
            params: Default::default(),
        };
        Ok(SimGenesis {
            genesis,
            treasury,
            operators,
            joiners,
            seed,
        })
    }

    /// The operator key of the `j`-th joining node (derived like the genesis nodes', after
    /// them).
    pub fn joiner_key(&self, genesis_nodes: u32, j: u32) -> Result<SecretKey, SimulatorError> {
        Ok(ValidatorKeys::derive(self.seed, genesis_nodes.saturating_add(j))?.operator)
    }
}
