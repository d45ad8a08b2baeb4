//! Node transactions through blocks: bonding, confirms with peer attestations, tier payouts to
//! owners, exits and unbonding, conservation, and a reopen from redb.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{address, genesis, keys};
use flux_chain::chain::Chain;
use flux_chain::error::{BlockError, TxError};
use flux_chain::state::State;
use flux_chain::store::RedbStore;
use flux_chain::transition::{Payee, RewardShare, build_block};
use flux_chain::tx::{NodeExit, NodeStart, Transaction, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{Amount, ChainId, Tier};
use flux_nodes::error::NodeError;
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeId;

fn sign(key: &SecretKey, state: &State, kind: TxKind) -> Transaction {
    let nonce = state.account(&address(key)).nonce;
    Transaction::sign(
        key,
        ChainId::DEVNET,
        nonce,
        Amount::from_base_units(100),
        kind,
    )
    .unwrap()
}

fn start_tx(owner: &SecretKey, operator: &SecretKey, tier: Tier, state: &State) -> Transaction {
    let p = state.params();
    sign(
        owner,
        state,
        TxKind::NodeStart(NodeStart {
            operator: operator.public_key(),
            tier,
            collateral: tier.collateral(p),
            endpoint: "198.51.100.4:16127".into(),
            geolocation: "NA_US_Texas".parse().unwrap(),
            declared: tier.minimum(p),
        }),
    )
}

#[test]
fn nodes_bond_confirm_get_paid_and_unbond() {
    let ks = keys(6); // 0..3 owners, 3..6 operators
    let g = genesis(&ks, 100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let mut chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    let proposer = &ks[0];
    let next = |chain: &mut Chain<RedbStore>, txs: Vec<Transaction>| {
        let time = chain.state().tip().timestamp_ms + 1_000;
        let block = build_block(chain.state(), proposer, time, vec![], txs).unwrap();
        let receipts = chain.apply(&block).unwrap();
        let s = chain.state();
        assert_eq!(s.total_held().unwrap(), s.ledger().supply, "conservation");
        receipts
    };
    let tiers = [Tier::Cumulus, Tier::Nimbus, Tier::Stratus];
    let starts: Vec<Transaction> = (0..3)
        .map(|i| start_tx(&ks[i], &ks[i + 3], tiers[i], chain.state()))
        .collect();
    let before = chain.account(&address(&ks[2])).balance;
    next(&mut chain, starts);
    let after = chain.account(&address(&ks[2])).balance;
    let stratus = Tier::Stratus.collateral(chain.state().params());
    assert_eq!(
        before.checked_sub(after).unwrap(),
        stratus.checked_add(Amount::from_base_units(100)).unwrap()
    );
    assert_eq!(chain.state().registry().len(), 3);

    // The first node confirms alone (no peers yet); the others with their peers' attestations.
    let operators = &ks[3..6];
    let c0 = common::confirm(&ks[3], operators, chain.state());
    next(&mut chain, vec![c0]);
    let c1 = common::confirm(&ks[4], operators, chain.state());
    next(&mut chain, vec![c1]);
    let c2 = common::confirm(&ks[5], operators, chain.state());
    let receipts = next(&mut chain, vec![c2]);
    let confirmed = chain
        .state()
        .registry()
        .iter()
        .filter(|e| e.status == NodeStatus::Confirmed)
        .count();
    assert_eq!(confirmed, 3);
    // Every tier now has a payee: the owner of its only node.
    for r in &receipts.rewards {
        if let RewardShare::Tier(t) = r.share {
            let owner = address(&ks[tiers.iter().position(|x| *x == t).unwrap()]);
            assert_eq!(r.payee, Payee::Account(owner), "{t:?}");
        }
    }

    // A start with the wrong collateral is refused with its own error.
    let mut bad = start_tx(&ks[1], &ks[0], Tier::Nimbus, chain.state());
    if let TxKind::NodeStart(s) = &mut bad.kind {
        s.collateral = Tier::Cumulus.collateral(chain.state().params());
    }
    let bad = Transaction::sign(&ks[1], ChainId::DEVNET, bad.nonce, bad.fee, bad.kind).unwrap();
    let time = chain.state().tip().timestamp_ms + 1_000;
    let err = build_block(chain.state(), proposer, time, vec![], vec![bad]).unwrap_err();
    assert!(
        matches!(
            err,
            BlockError::Tx {
                source: TxError::Node(NodeError::WrongCollateral { .. }),
                ..
            }
        ),
        "{err}"
    );

    // Exit the Stratus node: its collateral returns after the unbonding period.
    let id = NodeId::of(&ks[5].public_key());
    let exit = sign(
        &ks[2],
        chain.state(),
        TxKind::NodeExit(NodeExit { node: id }),
    );
    next(&mut chain, vec![exit]);
    let unbonding = chain.state().params().nodes.unbonding_period;
    let held = chain.account(&address(&ks[2])).balance;
    for _ in 0..unbonding {
        next(&mut chain, vec![]);
    }
    assert!(chain.state().registry().get(&id).is_none());
    assert_eq!(
        chain.account(&address(&ks[2])).balance,
        held.checked_add(stratus).unwrap()
    );

    // Reopen: the registry comes back from storage with the same state root.
    let root = chain.state().state_root();
    let registry = chain.state().registry().clone();
    drop(chain);
    let reopened = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    assert_eq!(reopened.state().state_root(), root);
    assert_eq!(reopened.state().registry(), &registry);
}
