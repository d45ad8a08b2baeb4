//! The state areas (issue 20 point 1): after random blocks mixing the transaction kinds, the
//! root the transition maintains block by block equals the root recomputed from scratch from
//! the areas, and reopening the redb store (and reloading a memory store) gives the same state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use flux_chain::chain::Chain;
use flux_chain::gov::{Action, Choice};
use flux_chain::state::State;
use flux_chain::store::{RedbStore, Store};

use flux_chain::testkit::keys::seeded_keys;
use flux_chain::testkit::{GenesisBuilder, NodeKeys, ops};
use flux_chain::transition::{BuildMode, propose_block};
use flux_chain::tx::{
    AppCancel, GovPropose, GovVote, JobSubmit, NodeExit, NodeStart, NodeUpdateEndpoint,
    SwapKeyRegister, SwapOut, Transaction, Transfer, TxKind,
};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::parallel::ExternalChain;
use flux_core::tier::Tier;
use flux_core::{Address, Amount, Hash};
use flux_nodes::node::NodeId;
use flux_nodes::testkit::strategies::{AppShape, app_spec_json};
use proptest::prelude::*;

const APP: &str = "areasapp";

/// One candidate transaction of the kind `pick` selects (some are refused by the chain and
/// left out of the block: a vote on a missing proposal, a second exit, ...).
fn candidate(
    state: &State,
    users: &[SecretKey],
    nodes: &[NodeKeys],
    nonces: &mut BTreeMap<Address, u64>,
    pick: u64,
) -> Transaction {
    let user = &users[(pick / 16) as usize % users.len()];
    let node = &nodes[(pick / 16) as usize % nodes.len()];
    let node_id = NodeId::of(&node.operator.public_key());
    let height = state.tip().height;
    let extra = extra_operators();
    let op = &extra[(pick / 16) as usize % extra.len()];
    if pick % 13 == 12 {
        // A confirm of a started node, attested by the confirmed nodes' operators.
        let mut operators: Vec<SecretKey> = nodes.iter().map(|n| n.operator.clone()).collect();
        operators.extend(extra.iter().cloned());
        if let Ok(tx) = ops::confirm(op, &operators, state) {
            let sender = Address::from_public_key(&op.public_key());
            if let std::collections::btree_map::Entry::Vacant(e) = nonces.entry(sender) {
                e.insert(tx.nonce + 1);
                return tx;
            }
        }
    }
    let (signer, kind) = match pick % 13 {
        11 => {
            let p = state.params();
            let k = (pick / 16) % 4;
            (
                user,
                TxKind::NodeStart(NodeStart {
                    operator: op.public_key(),
                    tier: Tier::Cumulus,
                    collateral: Tier::Cumulus.collateral(p),
                    endpoint: format!("10.{}.0.1:16127", 200 + k),
                    geolocation: "EU_DE".parse().unwrap(),
                    declared: Tier::Cumulus.minimum(p),
                }),
            )
        }
        0 | 1 => (
            user,
            TxKind::Transfer(Transfer {
                to: Address::from_bytes([(pick % 251) as u8; 20]),
                amount: Amount::from_base_units(1 + pick % 1_000_000),
            }),
        ),
        2 => (
            user,
            TxKind::GovPropose(GovPropose {
                title: format!("upgrade {pick}"),
                text_hash: Hash::digest(&pick.to_le_bytes()),
                action: Action::Upgrade {
                    name: format!("u{pick}"),
                    height: height + 1_000,
                },
            }),
        ),
        3 => (
            &node.owner,
            TxKind::GovVote(GovVote {
                proposal: state.gov().next_id().saturating_sub(1 + pick % 2),
                node: node_id,
                choice: if pick.is_multiple_of(3) {
                    Choice::No
                } else {
                    Choice::Yes
                },
            }),
        ),
        4 => (&node.owner, TxKind::NodeExit(NodeExit { node: node_id })),
        5 => (
            &node.operator,
            TxKind::NodeUpdateEndpoint(NodeUpdateEndpoint {
                node: node_id,
                endpoint: format!("10.9.{}.1:16127", pick % 200),
            }),
        ),
        6 => (
            user,
            TxKind::SwapOut(SwapOut {
                chain: ExternalChain::Base,
                to: vec![(pick % 200) as u8 + 1; 20],
                amount: Amount::ONE_FLUX,
            }),
        ),
        7 => {
            let swap =
                SecretKey::from_bytes(Scheme::Secp256k1, &[(pick % 200) as u8 + 1; 32]).unwrap();
            (
                &node.operator,
                TxKind::SwapKeyRegister(SwapKeyRegister {
                    node: node_id,
                    key: swap.public_key(),
                }),
            )
        }
        8 => (&users[0], TxKind::AppCancel(AppCancel { name: APP.into() })),
        9 => (
            user,
            TxKind::JobSubmit(JobSubmit {
                module: flux_nodes::work::compile_wat(flux_nodes::work::jobs::ECHO_WAT).unwrap(),
                input: pick.to_le_bytes().to_vec(),
                fuel: 1_000_000,
                fee: Amount::ONE_FLUX,
            }),
        ),
        _ => (
            // Refused: a transfer of nothing.
            user,
            TxKind::Transfer(Transfer {
                to: Address::from_bytes([1; 20]),
                amount: Amount::ZERO,
            }),
        ),
    };
    let sender = Address::from_public_key(&signer.public_key());
    let nonce = nonces
        .entry(sender)
        .or_insert_with(|| state.account(&sender).nonce);
    let tx =
        Transaction::sign(signer, state.params().chain_id, *nonce, Amount::ZERO, kind).unwrap();
    *nonce += 1;
    tx
}

/// Operators of nodes the blocks start (and confirm).
fn extra_operators() -> Vec<SecretKey> {
    (0..4u8)
        .map(|i| SecretKey::from_bytes(Scheme::Ed25519, &[200 + i; 32]).unwrap())
        .collect()
}

/// The areas' values that compare, and the root.
fn same_state(a: &State, b: &State) {
    assert_eq!(a.state_root(), b.state_root());
    assert_eq!(a.tip(), b.tip());
    assert_eq!(a.ledger(), b.ledger());
    assert_eq!(a.accounts(), b.accounts());
    assert_eq!(a.registry(), b.registry());
    assert_eq!(a.apps(), b.apps());
    assert_eq!(a.expiries(), b.expiries());
    assert_eq!(a.gov(), b.gov());
    assert_eq!(a.work().jobs, b.work().jobs);
    assert_eq!(a.work().units, b.work().units);
    assert_eq!(a.parallel(), b.parallel());
    assert_eq!(a.params(), b.params());
    assert_eq!(a.recent_blocks(), b.recent_blocks());
    for name in a.apps().keys() {
        assert_eq!(
            a.placement().instances_of(name),
            b.placement().instances_of(name)
        );
    }
}

/// Runs the blocks; returns the kinds the blocks included (by the kind's variant index).
fn run(picks: Vec<Vec<u64>>) -> std::collections::BTreeSet<u64> {
    let mut included = std::collections::BTreeSet::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let users = seeded_keys(4);
    let builder = GenesisBuilder::new()
        .accounts(&users, Amount::from_flux(1_000_000).unwrap())
        .validators(5, 3)
        .unwrap()
        .app(&users[0], app_spec_json(&AppShape::small(APP)));
    let nodes = builder.node_keys();
    let proposer = users[0].clone();
    let fixture = builder
        .clone()
        .fixture_on(RedbStore::open(&path).unwrap())
        .unwrap();
    let mut chain = fixture.into_chain();
    let mut memory = builder.fixture().unwrap().into_chain();
    for block_picks in picks {
        let state = chain.state();
        let mut nonces = BTreeMap::new();
        let txs = block_picks
            .iter()
            .map(|p| candidate(state, &users, &nodes, &mut nonces, *p))
            .collect();
        let time = state.tip().timestamp_ms + 1_000;
        let block = propose_block(state, &proposer, time, vec![], txs, BuildMode::CHECKED)
            .unwrap()
            .block;
        for tx in &block.txs {
            included.insert(kind_index(&tx.kind));
        }
        chain.apply(&block).unwrap();
        memory.apply(&block).unwrap();
        let state = chain.state();
        assert_eq!(state.recomputed_root().unwrap(), state.state_root());
    }
    let (_, reloaded) = memory.store().load().unwrap().unwrap();
    same_state(memory.state(), &reloaded);
    let before = chain.state().clone();
    drop(chain);
    let reopened = Chain::open(RedbStore::open(&path).unwrap())
        .unwrap()
        .unwrap();
    same_state(&before, reopened.state());
    same_state(&before, memory.state());
    included
}

/// The candidate kind `candidate` makes for a pick of this index.
fn kind_index(kind: &TxKind) -> u64 {
    match kind {
        TxKind::Transfer(_) => 0,
        TxKind::GovPropose(_) => 2,
        TxKind::GovVote(_) => 3,
        TxKind::NodeExit(_) => 4,
        TxKind::NodeUpdateEndpoint(_) => 5,
        TxKind::SwapOut(_) => 6,
        TxKind::SwapKeyRegister(_) => 7,
        TxKind::AppCancel(_) => 8,
        TxKind::JobSubmit(_) => 9,
        TxKind::NodeStart(_) => 11,
        TxKind::NodeConfirm(_) => 12,
        _ => 100,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    /// Issue 20 point 1: the incremental root is the recomputed root after every block, and
    /// a reopened store holds the same state.
    #[test]
    fn incremental_root_equals_recomputed_root_and_stores_reopen(
        picks in prop::collection::vec(prop::collection::vec(any::<u64>(), 0..12), 1..10),
    ) {
        run(picks);
    }
}

/// A fixed run long enough for proposals to be tallied and jobs to be judged.
#[test]
fn a_long_mixed_run_keeps_the_roots_equal() {
    let picks = (0..130u64)
        .map(|b| (0..8u64).map(|i| b * 7_919 + i * 104_729).collect())
        .collect();
    let included = run(picks);
    assert_eq!(
        included,
        [0, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12].into_iter().collect(),
        "every kind the candidates make is included in some block"
    );
}
