//! Genesis files with validators, for local networks, simulations and tests.
//!
//! A BFT chain decides its first block with the committee of its genesis nodes, so a local
//! network needs a genesis listing them. [`ValidatorKeys`] holds what one validator signs with:
//! its owner account (collateral, rewards, transactions) and its operator key (consensus).

use flux_core::crypto::{Scheme, SecretKey};
use flux_core::hash::Tag;
use flux_core::{Address, Amount, ChainId, Network, Tier};

use crate::error::GenesisError;
use crate::genesis::{Allocation, Genesis, GenesisNode};

/// FLUX each validator's owner and operator account holds at genesis (before the owner bonds
/// its collateral).
pub const FLUX_PER_ACCOUNT: u64 = 100_000;

/// The keys of one validator.
#[derive(Clone, Debug)]
pub struct ValidatorKeys {
    /// Owns the node: bonds the collateral, receives the rewards.
    pub owner: SecretKey,
    /// Runs the node: signs votes, proposals and confirms.
    pub operator: SecretKey,
}

impl ValidatorKeys {
    /// Keys derived from `seed` and `index` (reproducible; for tests and simulations, never
    /// for value).
    pub fn derive(seed: u64, index: u32) -> Result<ValidatorKeys, GenesisError> {
        let tag = Tag::new("flux/devnet-keys/v1");
        let key = |role: u8| {
            let mut input = [0u8; 13];
            input[..8].copy_from_slice(&seed.to_le_bytes());
            input[8..12].copy_from_slice(&index.to_le_bytes());
            input[12] = role;
            SecretKey::from_bytes(Scheme::Ed25519, tag.hash(&input).as_bytes()).map_err(|e| {
                GenesisError::Node {
                    index: index as usize,
                    reason: e.to_string(),
                }
            })
        };
        Ok(ValidatorKeys {
            owner: key(0)?,
            operator: key(1)?,
        })
    }

    /// The owner's address.
    pub fn owner_address(&self) -> Address {
        Address::from_public_key(&self.owner.public_key())
    }

    /// The operator's address (it pays for the node's own transactions, e.g. confirms).
    pub fn operator_address(&self) -> Address {
        Address::from_public_key(&self.operator.public_key())
    }
}

impl Genesis {
    /// A genesis of `network` whose nodes are `validators` (Cumulus, on 127.0.0.1), each owner
    /// and operator funded with [`FLUX_PER_ACCOUNT`], plus the `funded` allocations.
    ///
    /// ```
    /// use flux_chain::devnet::ValidatorKeys;
    /// use flux_chain::genesis::Genesis;
    /// use flux_core::{ChainId, Network};
    ///
    /// let keys: Vec<ValidatorKeys> =
    ///     (0..4).map(|i| ValidatorKeys::derive(1, i)).collect::<Result<_, _>>()?;
    /// let genesis = Genesis::with_validators(Network::Devnet, ChainId::DEVNET, 1_000, &keys, &[])?;
    /// assert_eq!(genesis.state()?.registry().len(), 4);
    /// # Ok::<(), flux_chain::error::GenesisError>(())
    /// ```
    pub fn with_validators(
        network: Network,
        chain_id: ChainId,
        timestamp_ms: u64,
        validators: &[ValidatorKeys],
        funded: &[(Address, Amount)],
    ) -> Result<Genesis, GenesisError> {
        let each = Amount::from_flux(FLUX_PER_ACCOUNT)?;
        let mut allocations = Vec::new();
        let mut nodes = Vec::new();
        for (i, v) in validators.iter().enumerate() {
            for address in [v.owner_address(), v.operator_address()] {
                allocations.push(Allocation {
                    address: address.to_bech32(network),
                    amount: each,
                });
            }
            nodes.push(GenesisNode {
                owner: v.owner_address().to_bech32(network),
                operator: v.operator.public_key().to_string(),
                tier: Tier::Cumulus,
                endpoint: format!("127.0.0.1:{}", 16_127 + i),
                geolocation: "EU_DE".into(),
            });
        }
        for (address, amount) in funded {
            allocations.push(Allocation {
                address: address.to_bech32(network),
                amount: *amount,
            });
        }
        let genesis = Genesis {
            network,
            chain_id,
            timestamp_ms,
            allocations,
            nodes,
            params: Default::default(),
        };
        genesis.state()?;
        Ok(genesis)
    }

    /// A devnet genesis with `n` validators whose keys derive from `seed`, and the keys.
    pub fn devnet_with_nodes(
        n: u32,
        seed: u64,
    ) -> Result<(Genesis, Vec<ValidatorKeys>), GenesisError> {
        let keys: Vec<ValidatorKeys> = (0..n)
            .map(|i| ValidatorKeys::derive(seed, i))
            .collect::<Result<_, _>>()?;
        let genesis = Genesis::with_validators(
            Network::Devnet,
            ChainId::DEVNET,
            1_767_225_600_000,
            &keys,
            &[],
        )?;
        Ok((genesis, keys))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_nodes::lifecycle::NodeStatus;

    #[test]
    fn genesis_nodes_are_confirmed_and_bonded() {
        let (genesis, keys) = Genesis::devnet_with_nodes(3, 9).unwrap();
        let state = genesis.state().unwrap();
        let p = state.params();
        assert_eq!(state.registry().len(), 3);
        for k in &keys {
            let id = flux_nodes::NodeId::of(&k.operator.public_key());
            let e = state.registry().get(&id).unwrap();
            assert_eq!(e.status, NodeStatus::Confirmed);
            let left = Amount::from_flux(FLUX_PER_ACCOUNT)
                .unwrap()
                .checked_sub(Tier::Cumulus.collateral(p))
                .unwrap();
            assert_eq!(state.account(&k.owner_address()).balance, left);
        }
        // Bonding moves value, it creates none.
        assert_eq!(state.total_held().unwrap(), state.ledger().supply);
        for k in &keys {
            let id = flux_nodes::NodeId::of(&k.operator.public_key());
            assert!(state.placement().node(&id).is_some());
        }
    }

    #[test]
    fn a_node_whose_owner_can_not_bond_is_refused() {
        let (mut genesis, _) = Genesis::devnet_with_nodes(1, 9).unwrap();
        genesis.allocations[0].amount = Amount::from_flux(1).unwrap();
        assert!(matches!(
            genesis.state(),
            Err(GenesisError::Node { index: 0, .. })
        ));
        let (mut genesis, _) = Genesis::devnet_with_nodes(1, 9).unwrap();
        genesis.nodes[0].operator = "ed25519:00".into();
        assert!(genesis.state().is_err());
        let (mut genesis, _) = Genesis::devnet_with_nodes(2, 9).unwrap();
        genesis.nodes[1].operator = genesis.nodes[0].operator.clone();
        assert!(genesis.state().is_err());
    }

    #[test]
    fn genesis_with_nodes_round_trips_through_json() {
        let (genesis, _) = Genesis::devnet_with_nodes(2, 9).unwrap();
        let again = Genesis::from_json(&genesis.to_json().unwrap()).unwrap();
        assert_eq!(again, genesis);
        assert_eq!(again.id().unwrap(), genesis.id().unwrap());
    }
}
