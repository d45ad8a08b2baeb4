//! The starting chain of a simulation: a devnet genesis in which `n` Cumulus nodes are started
//! and confirmed through ordinary transactions, and the committee drawn from its registry.

use flux_chain::chain::Chain;
use flux_chain::consensus::Committee;
use flux_chain::genesis::{Allocation, Genesis};
use flux_chain::state::State;
use flux_chain::store::MemStore;
use flux_chain::transition::build_block;
use flux_chain::tx::{NodeConfirm, NodeStart, Transaction, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount, ChainId, ChainParams, Network, Tier};
use flux_nodes::attestation::{BenchmarkEvidence, attest_all};
use flux_nodes::node::NodeId;

use super::error::SimError;

/// FLUX given to every owner and operator account at genesis.
const FLUX_EACH: u64 = 100_000;

/// The shared starting point of simulations with `n` validators: build it once (it applies
/// `n + 1` setup blocks) and start any number of [`Sim`](super::Sim)s from it.
///
/// Validator `i` runs node `i`, a Cumulus node (all vote weights are equal) whose operator key
/// signs consensus messages and whose owner account (funded at genesis) signs the evidence
/// transactions the validator includes in its blocks. The committee is the real one:
/// [`Committee::draw`] over the chain's registry, seeded by the tip's block id, and it is kept
/// for the whole run (runs are far shorter than an epoch).
#[derive(Clone, Debug)]
pub struct Setup {
    pub(crate) params: ChainParams,
    pub(crate) genesis: Genesis,
    pub(crate) store: MemStore,
    pub(crate) operators: Vec<SecretKey>,
    pub(crate) owners: Vec<SecretKey>,
    pub(crate) committee: Committee,
    pub(crate) start: u64,
}

fn key(i: usize) -> Result<SecretKey, SimError> {
    let mut seed = [0x5au8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    SecretKey::from_bytes(Scheme::Ed25519, &seed).map_err(|e| SimError::Setup(e.to_string()))
}

fn sign(key: &SecretKey, state: &State, kind: TxKind) -> Result<Transaction, SimError> {
    let nonce = state
        .account(&Address::from_public_key(&key.public_key()))
        .nonce;
    Transaction::sign(key, state.params().chain_id, nonce, Amount::ZERO, kind)
        .map_err(|e| SimError::Setup(e.to_string()))
}

fn next(
    chain: &mut Chain<MemStore>,
    proposer: &SecretKey,
    txs: Vec<Transaction>,
) -> Result<(), SimError> {
    let time = chain.state().tip().timestamp_ms + 1_000;
    let block = build_block(chain.state(), proposer.public_key(), time, vec![], txs)?;
    chain.apply(&block)?;
    Ok(())
}

fn confirm(
    operator: &SecretKey,
    operators: &[SecretKey],
    state: &State,
) -> Result<Transaction, SimError> {
    let p = state.params();
    let id = NodeId::of(&operator.public_key());
    let tier = state
        .registry()
        .get(&id)
        .map(|e| e.tier)
        .ok_or(SimError::Config("a started node is missing"))?;
    let seed_height = state.tip().height;
    let seed = state
        .recent_block(seed_height)
        .ok_or(SimError::Config("no tip block id"))?
        .0;
    let evidence = BenchmarkEvidence {
        seed_height,
        hardware: tier.minimum(p),
        cpu_score: 1,
        attestations: vec![],
    };
    let evidence = attest_all(state.registry(), id, evidence, seed, operators, p)
        .map_err(|e| SimError::Setup(e.to_string()))?;
    sign(
        operator,
        state,
        TxKind::NodeConfirm(NodeConfirm { node: id, evidence }),
    )
}

impl Setup {
    /// A devnet chain with `n` confirmed Cumulus nodes (1 ≤ n ≤ committee size) and their
    /// committee.
    pub fn new(n: usize) -> Result<Setup, SimError> {
        let params = ChainParams::devnet();
        if n == 0 || n > params.consensus.committee_size as usize {
            return Err(SimError::Config(
                "validator count must be between 1 and the committee size",
            ));
        }
        let owners: Vec<SecretKey> = (0..n).map(key).collect::<Result<_, _>>()?;
        let operators: Vec<SecretKey> = (n..2 * n).map(key).collect::<Result<_, _>>()?;
        let allocations = owners
            .iter()
            .chain(&operators)
            .map(|k| {
                Ok(Allocation {
                    address: Address::from_public_key(&k.public_key()).to_bech32(Network::Devnet),
                    amount: Amount::from_flux(FLUX_EACH)
                        .map_err(|e| SimError::Setup(e.to_string()))?,
                })
            })
            .collect::<Result<_, SimError>>()?;
        let genesis = Genesis {
            network: Network::Devnet,
            chain_id: ChainId::DEVNET,
            timestamp_ms: 1_000_000,
            allocations,
            nodes: Vec::new(),
        };
        let mut chain = Chain::open_or_create(MemStore::new(), &genesis)?;
        let p = chain.state().params().clone();
        let mut starts = Vec::with_capacity(n);
        for (i, (owner, op)) in owners.iter().zip(&operators).enumerate() {
            let geolocation = "EU_DE"
                .parse()
                .map_err(|_| SimError::Config("geolocation"))?;
            starts.push(sign(
                owner,
                chain.state(),
                TxKind::NodeStart(NodeStart {
                    operator: op.public_key(),
                    tier: Tier::Cumulus,
                    collateral: Tier::Cumulus.collateral(&p),
                    endpoint: format!("10.{}.{}.1:16127", i / 256, i % 256),
                    geolocation,
                    declared: Tier::Cumulus.minimum(&p),
                }),
            )?);
        }
        next(&mut chain, &operators[0], starts)?;
        for op in &operators {
            let c = confirm(op, &operators, chain.state())?;
            next(&mut chain, &operators[0], vec![c])?;
        }
        let tip = chain.state().tip().block_id;
        let committee = Committee::draw(chain.state().registry(), &tip.0, n, &p)?;
        if committee.len() != n {
            return Err(SimError::Config(
                "not every node made it into the committee",
            ));
        }
        let start = chain.height();
        Ok(Setup {
            start,
            params: p,
            genesis,
            store: chain.store().clone(),
            operators,
            owners,
            committee,
        })
    }

    /// Number of validators.
    pub fn len(&self) -> usize {
        self.operators.len()
    }

    /// Always false: a setup has at least one validator.
    pub fn is_empty(&self) -> bool {
        self.operators.is_empty()
    }

    /// The committee every validator uses.
    pub fn committee(&self) -> &Committee {
        &self.committee
    }

    /// The node id of validator `i`.
    pub fn node_id(&self, i: usize) -> Option<NodeId> {
        self.operators.get(i).map(|k| NodeId::of(&k.public_key()))
    }

    /// The chain height the simulation starts from (the setup blocks).
    pub fn start_height(&self) -> u64 {
        self.start
    }
}
