//! [`GenesisBuilder`]: a genesis with funded accounts, nodes of each tier and apps, and the keys
//! that control them.

use std::collections::BTreeMap;

use flux_core::crypto::SecretKey;
use flux_core::testkit::keys::{address, key};
use flux_core::{Amount, ChainId, Network, Tier};

use super::error::FixtureError;
use super::fixture::ChainFixture;
use crate::devnet::ValidatorKeys;
use crate::genesis::{Allocation, Genesis, GenesisNode};
use crate::store::{MemStore, Store};

/// The genesis time the builder uses unless told otherwise (2026-01-01, like the devnet
/// example).
pub const DEFAULT_TIMESTAMP_MS: u64 = 1_767_225_600_000;

/// A genesis node and the keys behind it.
#[derive(Clone, Debug)]
pub struct NodeKeys {
    /// The owner (bonds the collateral from its allocation, receives rewards).
    pub owner: SecretKey,
    /// The operator (signs confirms, attestations and consensus votes).
    pub operator: SecretKey,
    /// The tier.
    pub tier: Tier,
}

/// Builds a [`Genesis`] from keys, so tests can sign for every account and node in it.
///
/// Defaults: devnet preset and chain id, [`DEFAULT_TIMESTAMP_MS`], no accounts. Nodes are
/// confirmed at genesis, each in its own /16 (`10.<i>.0.1:16127`) in `EU_DE` unless
/// [`node_at`](GenesisBuilder::node_at) says where; their owners must be funded with at least
/// the tier's collateral. Apps are registered by the first block of a
/// [`ChainFixture`] (a genesis has no apps).
///
/// ```
/// use flux_chain::testkit::GenesisBuilder;
/// use flux_core::testkit::keys::key;
/// use flux_core::{Amount, Tier};
///
/// let genesis = GenesisBuilder::new()
///     .accounts(&[key(1), key(2)], Amount::from_flux(1_000_000)?)
///     .node(&key(2), &key(20), Tier::Nimbus)
///     .build()?;
/// let state = genesis.state()?;
/// assert_eq!(state.registry().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct GenesisBuilder {
    network: Network,
    chain_id: ChainId,
    timestamp_ms: u64,
    accounts: Vec<(SecretKey, Amount)>,
    nodes: Vec<(NodeKeys, String, String)>,
    apps: Vec<(SecretKey, String)>,
    params: BTreeMap<String, u64>,
}

impl Default for GenesisBuilder {
    fn default() -> Self {
        GenesisBuilder::new()
    }
}

impl GenesisBuilder {
    /// An empty devnet genesis.
    pub fn new() -> GenesisBuilder {
        GenesisBuilder {
            network: Network::Devnet,
            chain_id: ChainId::DEVNET,
            timestamp_ms: DEFAULT_TIMESTAMP_MS,
            accounts: Vec::new(),
            nodes: Vec::new(),
            apps: Vec::new(),
            params: BTreeMap::new(),
        }
    }

    /// The parameter preset (the chain id stays what it was; set it with
    /// [`chain_id`](Self::chain_id)).
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// The chain id.
    pub fn chain_id(mut self, chain_id: ChainId) -> Self {
        self.chain_id = chain_id;
        self
    }

    /// Starts the governable parameter `name` at `value` ([`Genesis::params`]: a devnet
    /// genesis only), e.g. `.param("nodes.expire_after", 40)` for nodes that expire quickly.
    pub fn param(mut self, name: &str, value: u64) -> Self {
        self.params.insert(name.to_owned(), value);
        self
    }

    /// The genesis time, ms since the Unix epoch.
    pub fn timestamp_ms(mut self, timestamp_ms: u64) -> Self {
        self.timestamp_ms = timestamp_ms;
        self
    }

    /// Funds `key`'s address with `amount`.
    pub fn account(mut self, key: &SecretKey, amount: Amount) -> Self {
        self.accounts.push((key.clone(), amount));
        self
    }

    /// Funds each of `keys` with `each`.
    pub fn accounts(mut self, keys: &[SecretKey], each: Amount) -> Self {
        self.accounts.extend(keys.iter().map(|k| (k.clone(), each)));
        self
    }

    /// A node of `tier` owned by `owner` (who must be funded) and run with `operator`, in its
    /// own /16 network in `EU_DE`.
    pub fn node(self, owner: &SecretKey, operator: &SecretKey, tier: Tier) -> Self {
        let i = self.nodes.len();
        let endpoint = format!("10.{}.{}.1:16127", 1 + i / 250, i % 250);
        self.node_at(owner, operator, tier, &endpoint, "EU_DE")
    }

    /// A node at `endpoint` (`host:port`) and `geolocation` (e.g. `NA_US`).
    pub fn node_at(
        mut self,
        owner: &SecretKey,
        operator: &SecretKey,
        tier: Tier,
        endpoint: &str,
        geolocation: &str,
    ) -> Self {
        let keys = NodeKeys {
            owner: owner.clone(),
            operator: operator.clone(),
            tier,
        };
        self.nodes
            .push((keys, endpoint.to_owned(), geolocation.to_owned()));
        self
    }

    /// `n` Cumulus validators whose keys derive from `seed` ([`ValidatorKeys::derive`]), owner
    /// and operator each funded with [`crate::devnet::FLUX_PER_ACCOUNT`], on `127.0.0.1:16127`
    /// and up: the genesis of [`Genesis::devnet_with_nodes`] (when added first), plus whatever
    /// else is added.
    ///
    /// ```
    /// use flux_chain::genesis::Genesis;
    /// use flux_chain::testkit::GenesisBuilder;
    ///
    /// let (devnet, _) = Genesis::devnet_with_nodes(3, 9)?;
    /// assert_eq!(GenesisBuilder::new().validators(3, 9)?.build()?, devnet);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validators(mut self, n: u32, seed: u64) -> Result<Self, FixtureError> {
        let each = Amount::from_flux(crate::devnet::FLUX_PER_ACCOUNT)
            .map_err(crate::error::GenesisError::from)?;
        for i in 0..n {
            let ValidatorKeys { owner, operator } = ValidatorKeys::derive(seed, i)?;
            let endpoint = format!("127.0.0.1:{}", 16_127 + i);
            self = self.account(&owner, each).account(&operator, each).node_at(
                &owner,
                &operator,
                Tier::Cumulus,
                &endpoint,
                "EU_DE",
            );
        }
        Ok(self)
    }

    /// An app (FluxOS v8 JSON) that `owner` registers in the fixture's first block; see
    /// [`flux_nodes::testkit::strategies::app_spec_json`]. Its instances are placed on the
    /// genesis nodes, so there must be enough of them.
    pub fn app(mut self, owner: &SecretKey, spec_json: String) -> Self {
        self.apps.push((owner.clone(), spec_json));
        self
    }

    /// The funded keys, in the order they were added.
    pub fn funded_keys(&self) -> Vec<SecretKey> {
        self.accounts.iter().map(|(k, _)| k.clone()).collect()
    }

    /// The genesis nodes' keys, in order.
    pub fn node_keys(&self) -> Vec<NodeKeys> {
        self.nodes.iter().map(|(k, _, _)| k.clone()).collect()
    }

    /// The apps to register, `(owner, spec JSON)`.
    pub fn apps(&self) -> &[(SecretKey, String)] {
        &self.apps
    }

    /// The genesis, checked ([`Genesis::state`]: addresses, collateral, cap).
    pub fn build(&self) -> Result<Genesis, FixtureError> {
        let genesis = Genesis {
            network: self.network,
            chain_id: self.chain_id,
            timestamp_ms: self.timestamp_ms,
            allocations: self
                .accounts
                .iter()
                .map(|(k, amount)| Allocation {
                    address: address(k).to_bech32(self.network),
                    amount: *amount,
                })
                .collect(),
            nodes: self
                .nodes
                .iter()
                .map(|(k, endpoint, geolocation)| GenesisNode {
                    owner: address(&k.owner).to_bech32(self.network),
                    operator: k.operator.public_key().to_string(),
                    tier: k.tier,
                    endpoint: endpoint.clone(),
                    geolocation: geolocation.clone(),
                })
                .collect(),
            params: self.params.clone(),
        };
        genesis.state()?;
        Ok(genesis)
    }

    /// A [`ChainFixture`] on an in-memory store, with the apps registered.
    pub fn fixture(self) -> Result<ChainFixture<MemStore>, FixtureError> {
        self.fixture_on(MemStore::new())
    }

    /// A [`ChainFixture`] on `store` (e.g. a `RedbStore` for crash tests), with the apps
    /// registered.
    pub fn fixture_on<S: Store>(self, store: S) -> Result<ChainFixture<S>, FixtureError> {
        ChainFixture::from_builder(self, store)
    }
}

/// The xDAO example network the governance tests share: keys 1..=5 ([`key`]) hold 1,000,000
/// FLUX each; key 2 owns a Cumulus (operator key 20) and a Nimbus (21), key 3 a Stratus (22),
/// key 4 a Cumulus (23): vote weights 10 + 125 + 400 + 10 = 545. Devnet preset (votes last 120
/// blocks).
///
/// ```
/// use flux_chain::testkit::genesis::xdao_example;
///
/// let state = xdao_example()?.state()?;
/// assert_eq!(state.registry().len(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn xdao_example() -> Result<Genesis, FixtureError> {
    let node = |b: GenesisBuilder, owner: u8, operator: u8, tier: Tier| {
        let endpoint = format!("127.0.0.1:{}", 16_100 + u16::from(operator));
        b.node_at(&key(owner), &key(operator), tier, &endpoint, "EU_DE")
    };
    let each = Amount::from_flux(1_000_000).map_err(crate::error::GenesisError::from)?;
    let b = GenesisBuilder::new().accounts(&(1..=5).map(key).collect::<Vec<_>>(), each);
    let b = node(b, 2, 20, Tier::Cumulus);
    let b = node(b, 2, 21, Tier::Nimbus);
    let b = node(b, 3, 22, Tier::Stratus);
    node(b, 4, 23, Tier::Cumulus).build()
}
