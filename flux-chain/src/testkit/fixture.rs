//! [`ChainFixture`]: a real [`Chain`] from a [`GenesisBuilder`], the keys that control it, and
//! steps that advance it with realistic activity.

use flux_core::crypto::SecretKey;
use flux_core::testkit::Gen;
use flux_nodes::app::AppSpec;

use super::error::FixtureError;
use super::generate::{TransferPlan, valid_block_on};
use super::genesis::{GenesisBuilder, NodeKeys};
use super::ops::{check_conservation, confirm, sign_next};
use crate::block::Block;
use crate::chain::Chain;
use crate::genesis::Genesis;
use crate::state::State;
use crate::store::Store;
use crate::transition::{
    BuildMode, Receipts, build_block, next_block_time, paced_block_time, propose_block,
};
use crate::tx::{AppRegister, Transaction, TxKind};

/// A chain with its genesis, its funded keys and its nodes' keys.
///
/// Built by [`GenesisBuilder::fixture`] (in memory) or [`GenesisBuilder::fixture_on`] (any
/// [`Store`]); the builder's apps are registered by block 1. Every block the fixture applies
/// is checked for conservation (balances plus pools equal the supply).
///
/// ```
/// use flux_chain::testkit::GenesisBuilder;
/// use flux_core::testkit::keys::seeded_keys;
/// use flux_core::Amount;
///
/// let mut fx = GenesisBuilder::new().accounts(&seeded_keys(4), Amount::from_flux(1_000)?).fixture()?;
/// fx.advance(5, 42)?; // five blocks of random valid transfers, seed 42
/// assert_eq!(fx.height(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ChainFixture<S: Store> {
    chain: Chain<S>,
    keys: Vec<SecretKey>,
    nodes: Vec<NodeKeys>,
    proposer: SecretKey,
}

impl<S: Store> ChainFixture<S> {
    pub(super) fn from_builder(builder: GenesisBuilder, store: S) -> Result<Self, FixtureError> {
        let genesis = builder.build()?;
        let keys = builder.funded_keys();
        let proposer = keys.first().cloned().ok_or(FixtureError::NoFundedKey)?;
        let chain = Chain::open_or_create(store, &genesis)?;
        let mut fx = ChainFixture {
            chain,
            keys,
            nodes: builder.node_keys(),
            proposer,
        };
        if !builder.apps().is_empty() && fx.height() == 0 {
            let mut txs = Vec::new();
            let mut nonces = std::collections::BTreeMap::new();
            for (owner, json) in builder.apps() {
                let p = fx.state().params();
                let spec = AppSpec::from_json_strict(json.as_bytes(), &p.apps)?;
                let price = spec.price(&p.apps.prices)?.total;
                let kind = TxKind::AppRegister(AppRegister {
                    spec: json.clone(),
                    price,
                });
                let mut tx = sign_next(owner, fx.state(), kind.clone())?;
                // Several apps of one owner in one block: consecutive nonces.
                let nonce = nonces.entry(tx.sender).or_insert(tx.nonce);
                if *nonce != tx.nonce {
                    tx = Transaction::sign(owner, tx.chain_id, *nonce, tx.fee, kind)?;
                }
                *nonce += 1;
                txs.push(tx);
            }
            fx.next_block(txs)?;
        }
        Ok(fx)
    }

    /// Reopens a fixture over an existing chain (e.g. a redb store after a crash) with the keys
    /// that control it.
    pub fn reopen(
        chain: Chain<S>,
        keys: Vec<SecretKey>,
        nodes: Vec<NodeKeys>,
    ) -> Result<Self, FixtureError> {
        let proposer = keys.first().cloned().ok_or(FixtureError::NoFundedKey)?;
        Ok(ChainFixture {
            chain,
            keys,
            nodes,
            proposer,
        })
    }

    /// The chain.
    pub fn chain(&self) -> &Chain<S> {
        &self.chain
    }

    /// The chain, mutably (apply your own blocks).
    pub fn chain_mut(&mut self) -> &mut Chain<S> {
        &mut self.chain
    }

    /// Gives the chain back (e.g. to drop a redb store and reopen it).
    pub fn into_chain(self) -> Chain<S> {
        self.chain
    }

    /// The current state.
    pub fn state(&self) -> &State {
        self.chain.state()
    }

    /// The genesis.
    pub fn genesis(&self) -> &Genesis {
        self.chain.genesis()
    }

    /// The tip height.
    pub fn height(&self) -> u64 {
        self.chain.height()
    }

    /// The funded keys, in the builder's order.
    pub fn keys(&self) -> &[SecretKey] {
        &self.keys
    }

    /// The genesis nodes' keys.
    pub fn nodes(&self) -> &[NodeKeys] {
        &self.nodes
    }

    /// `kind` signed by `key` with its next nonce and no fee.
    pub fn sign(&self, key: &SecretKey, kind: TxKind) -> Result<Transaction, FixtureError> {
        sign_next(key, self.state(), kind)
    }

    /// The next block with `txs` in order, proposed by the first funded key one second after
    /// the tip (not applied).
    pub fn build(&self, txs: Vec<Transaction>) -> Result<Block, FixtureError> {
        let time = next_block_time(
            self.state(),
            self.state().tip().timestamp_ms.saturating_add(1_000),
        )?;
        Ok(build_block(
            self.state(),
            &self.proposer,
            time,
            vec![],
            txs,
        )?)
    }

    /// Builds and applies the next block with `txs`, and checks conservation.
    pub fn next_block(&mut self, txs: Vec<Transaction>) -> Result<Receipts, FixtureError> {
        let block = self.build(txs)?;
        self.apply(&block)
    }

    /// Applies `block` and checks conservation.
    pub fn apply(&mut self, block: &Block) -> Result<Receipts, FixtureError> {
        let receipts = self.chain.apply(block)?;
        check_conservation(self.state())?;
        Ok(receipts)
    }

    /// Advances `blocks` blocks of realistic activity drawn from `seed`: each block carries 0
    /// to 15 valid transfers between the funded keys and to fresh addresses (see
    /// [`valid_block_on`]) and the keep-alive confirms of the builder's nodes once they are
    /// due (attested by the other nodes' operators), so nodes stay confirmed and are paid,
    /// apps stream their escrow to their hosts, and the reward is minted every block.
    pub fn advance(&mut self, blocks: u64, seed: u64) -> Result<(), FixtureError> {
        let mut rng = Gen::new(seed);
        for _ in 0..blocks {
            let txs = rng.index(16);
            let mut body = self.keep_alives()?;
            let mut plan = TransferPlan::new(self.chain.state(), &self.keys);
            for _ in 0..txs {
                match plan.next(&mut rng)? {
                    Some(tx) => body.push(tx),
                    None => break,
                }
            }
            let state = self.chain.state();
            let time = paced_block_time(state)?;
            // A confirm the registry refuses (e.g. a verifier set the fixture cannot attest
            // for) is dropped rather than stopping the run.
            let block = propose_block(
                state,
                &self.proposer,
                time,
                vec![],
                body,
                BuildMode::CHECKED,
            )?
            .block;
            self.apply(&block)?;
        }
        Ok(())
    }

    /// Keep-alive confirms of the builder's confirmed nodes whose minimum interval has passed.
    fn keep_alives(&self) -> Result<Vec<Transaction>, FixtureError> {
        let state = self.chain.state();
        let height = state.tip().height;
        let operators: Vec<SecretKey> = self.nodes.iter().map(|n| n.operator.clone()).collect();
        let mut out = Vec::new();
        for op in &operators {
            let id = flux_nodes::node::NodeId::of(&op.public_key());
            let Some(entry) = state.registry().get(&id) else {
                continue;
            };
            // The window the last confirm fixed (governance may have changed the parameters).
            let due = entry
                .keepalive_window()
                .is_some_and(|(from, _)| height >= from);
            if due && let Ok(tx) = confirm(op, &operators, state) {
                out.push(tx);
            }
        }
        Ok(out)
    }

    /// The next valid block with `txs` transfers drawn from `gen` (not applied).
    pub fn valid_block(&self, txs: usize, rng: &mut Gen) -> Result<Block, FixtureError> {
        valid_block_on(self.state(), &self.keys, txs, rng)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flux_core::testkit::keys::key;
    use flux_core::{Amount, Tier};
    use flux_nodes::lifecycle::NodeStatus;

    use super::super::GenesisBuilder;

    /// Past the expiry window, the fixture's keep-alives keep every genesis node confirmed.
    #[test]
    fn advanced_nodes_stay_confirmed() {
        let owners = [key(1), key(2), key(3)];
        let mut fx = GenesisBuilder::new()
            .accounts(&owners, Amount::from_flux(100_000).unwrap())
            .node(&owners[0], &key(11), Tier::Cumulus)
            .node(&owners[1], &key(12), Tier::Nimbus)
            .node(&owners[2], &key(13), Tier::Cumulus)
            .fixture()
            .unwrap();
        let blocks = fx.state().params().nodes.expire_after + 10;
        fx.advance(blocks, 3).unwrap();
        let registry = fx.state().registry();
        for n in fx.nodes() {
            let id = flux_nodes::node::NodeId::of(&n.operator.public_key());
            assert_eq!(registry.get(&id).unwrap().status, NodeStatus::Confirmed);
        }
    }
}
