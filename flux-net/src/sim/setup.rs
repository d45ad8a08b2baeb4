//! The starting chain of a simulation: a devnet genesis whose `n` nodes are the validators.

use flux_chain::chain::Chain;
use flux_chain::consensus::Committee;
use flux_chain::devnet::ValidatorKeys;
use flux_chain::genesis::Genesis;
use flux_chain::store::MemStore;
use flux_core::ChainParams;
use flux_nodes::node::NodeId;

use super::error::SimError;

/// The seed the validators' keys derive from ([`ValidatorKeys::derive`]).
const KEY_SEED: u64 = 0x5a5a;

/// The shared starting point of simulations with `n` validators: build it once and start any
/// number of [`Sim`](super::Sim)s from it.
///
/// The chain is [`Genesis::devnet_with_nodes`]: validator `i` runs genesis node `i`, a Cumulus
/// node (all vote weights are equal), confirmed and bonded at height 0. Its operator key signs
/// consensus messages and the evidence transactions its blocks carry (the operator account is
/// funded at genesis). The committee is the chain's own: drawn for the first epoch from the
/// genesis registry, without the members a validator's chain slashes later.
#[derive(Clone, Debug)]
pub struct Setup {
    pub(crate) genesis: Genesis,
    pub(crate) store: MemStore,
    pub(crate) keys: Vec<ValidatorKeys>,
    pub(crate) committee: Committee,
    pub(crate) start: u64,
}

impl Setup {
    /// A devnet chain with `n` genesis validators (1 ≤ n ≤ the devnet committee size) and
    /// their committee.
    pub fn new(n: usize) -> Result<Setup, SimError> {
        let size = ChainParams::devnet().consensus.committee_size as usize;
        if n == 0 || n > size {
            return Err(SimError::Config(
                "validator count must be between 1 and the committee size",
            ));
        }
        let count = u32::try_from(n)
            .map_err(|_| SimError::Config("validator count does not fit in a u32"))?;
        let (genesis, keys) = Genesis::devnet_with_nodes(count, KEY_SEED)?;
        let chain = Chain::open_or_create(MemStore::new(), &genesis)?;
        let start = chain.height();
        let committee = chain.committee(start + 1)?;
        if committee.len() != n {
            return Err(SimError::Config(
                "not every node made it into the committee",
            ));
        }
        Ok(Setup {
            start,
            genesis,
            store: chain.store().clone(),
            keys,
            committee,
        })
    }

    /// Number of validators.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a setup has at least one validator.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The committee every validator starts with.
    pub fn committee(&self) -> &Committee {
        &self.committee
    }

    /// The genesis every validator's chain starts from.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The node id of validator `i`.
    pub fn node_id(&self, i: usize) -> Option<NodeId> {
        self.keys
            .get(i)
            .map(|k| NodeId::of(&k.operator.public_key()))
    }

    /// The chain height the simulation starts from (0: the genesis).
    pub fn start_height(&self) -> u64 {
        self.start
    }
}
