//! Equivocation on chain: an `Evidence` transaction slashes the offender's collateral once,
//! burns it, and refuses duplicates and anything that is not evidence.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{bring_up_nodes, genesis, keys, next, sign};
use flux_chain::block::BlockId;
use flux_chain::chain::Chain;
use flux_chain::consensus::{Evidence, Vote, VoteKind};
use flux_chain::error::{BlockError, TxError};
use flux_chain::store::MemStore;
use flux_chain::transition::{Event, build_block};
use flux_chain::tx::{Transaction, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{ChainId, Hash, Tier};
use flux_nodes::error::NodeError;
use flux_nodes::node::NodeId;

fn vote(key: &SecretKey, height: u64, value: &[u8]) -> flux_chain::consensus::SignedVote {
    Vote {
        height,
        round: 0,
        kind: VoteKind::Precommit,
        value: Some(BlockId(Hash::digest(value))),
        validator: NodeId::of(&key.public_key()),
    }
    .sign(key, ChainId::DEVNET)
    .unwrap()
}

fn refused(chain: &Chain<MemStore>, tx: Transaction) -> TxError {
    let time = chain.state().tip().timestamp_ms + 1_000;
    match build_block(
        chain.state(),
        keys(1)[0].public_key(),
        time,
        vec![],
        vec![tx],
    ) {
        Err(BlockError::Tx { source, .. }) => source,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn an_equivocating_validator_is_slashed_exactly_once() {
    let ks = keys(8);
    let g = genesis(&ks, 100_000);
    let mut chain = Chain::open_or_create(MemStore::new(), &g).unwrap();
    bring_up_nodes(&mut chain, &ks[..3], &ks[3..6]);
    let offender = &ks[3];
    let node = NodeId::of(&offender.public_key());
    let collateral = Tier::Cumulus.collateral(chain.state().params());
    let evidence =
        Evidence::new(vote(offender, 7, b"block a"), vote(offender, 7, b"block b")).unwrap();
    let supply = chain.state().ledger().supply;

    // Anyone may report; the reporter here owns no node.
    let report = sign(&ks[7], chain.state(), TxKind::Evidence(evidence));
    let receipts = next(&mut chain, vec![report]);
    let slashed = collateral.mul_div_floor(1, 10).unwrap();
    assert!(receipts.txs[0].events.contains(&Event::Slashed {
        node,
        amount: slashed
    }));
    let entry = chain.state().registry().get(&node).unwrap();
    assert_eq!(entry.collateral, collateral.checked_sub(slashed).unwrap());
    assert_eq!(entry.slashed, vec![7]);
    // Burned: the supply fell by the slash (and rose by this block's reward only).
    let minted: u64 = receipts
        .rewards
        .iter()
        .filter(|r| r.payee != flux_chain::transition::Payee::NotMinted)
        .map(|r| r.amount.base_units())
        .sum();
    assert_eq!(
        chain.state().ledger().supply.base_units(),
        supply.base_units() - slashed.base_units() + minted
    );

    // The same equivocation again, even in the other order: refused.
    let again =
        Evidence::new(vote(offender, 7, b"block b"), vote(offender, 7, b"block a")).unwrap();
    let tx = sign(&ks[7], chain.state(), TxKind::Evidence(again));
    assert!(matches!(
        refused(&chain, tx),
        TxError::Node(NodeError::AlreadySlashed { height: 7, .. })
    ));

    // Votes signed by someone else under the offender's id are not evidence against it.
    let mut forged = Evidence::new(vote(offender, 9, b"x"), vote(offender, 9, b"y")).unwrap();
    forged.second = vote(&ks[4], 9, b"y");
    forged.second.vote.validator = node;
    let tx = sign(&ks[7], chain.state(), TxKind::Evidence(forged));
    assert!(matches!(refused(&chain, tx), TxError::Evidence(_)));

    // A different height is a different offense.
    let later = Evidence::new(vote(offender, 8, b"c"), vote(offender, 8, b"d")).unwrap();
    let tx = sign(&ks[7], chain.state(), TxKind::Evidence(later));
    next(&mut chain, vec![tx]);
    assert_eq!(
        chain.state().registry().get(&node).unwrap().slashed,
        vec![7, 8]
    );
}

#[test]
fn a_slashed_validator_leaves_the_current_committee() {
    use flux_chain::consensus::{Committee, Member};
    let ks = keys(4);
    let mut members: Vec<Member> = ks
        .iter()
        .map(|k| Member {
            id: NodeId::of(&k.public_key()),
            key: k.public_key(),
            weight: 10,
        })
        .collect();
    members.sort_by_key(|m| m.id);
    let committee = Committee::new(members, flux_core::params::Ratio::new(2, 3)).unwrap();
    let offender = NodeId::of(&ks[2].public_key());
    let rest = committee.without(&offender).unwrap();
    assert_eq!((rest.len(), rest.total_weight()), (3, 30));
    assert!(rest.get(&offender).is_none());
    // 30 of the remaining 30 is a quorum; 20 of 30 is not (strictly more than 2/3).
    assert!(rest.is_quorum(30) && !rest.is_quorum(20));
    let alone =
        Committee::new(vec![rest.members()[0]], flux_core::params::Ratio::new(2, 3)).unwrap();
    assert!(alone.without(&alone.members()[0].id).is_err());
}
