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
    match build_block(chain.state(), &keys(1)[0], time, vec![], vec![tx]) {
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
    // Evidence is of past heights only.
    while chain.height() < 9 {
        next(&mut chain, vec![]);
    }
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
    let Evidence::Votes { first, .. } =
        Evidence::new(vote(offender, 9, b"x"), vote(offender, 9, b"y")).unwrap()
    else {
        panic!("vote evidence")
    };
    let mut second = vote(&ks[4], 9, b"y");
    second.vote.validator = node;
    let forged = Evidence::Votes { first, second };
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

/// A devnet fixture with four genesis validators (all on epoch 0's committee).
fn validators() -> flux_chain::testkit::ChainFixture<MemStore> {
    flux_chain::testkit::GenesisBuilder::new()
        .validators(4, 19)
        .unwrap()
        .fixture()
        .unwrap()
}

/// Replays issue 19 point 11: a committee member whose owner exits mid-epoch must leave the
/// committee from the next height on (before the fix it kept voting until the epoch's end
/// while its collateral was already on its way out).
#[test]
fn a_member_that_exits_leaves_the_committee_of_the_next_height() {
    let mut fx = validators();
    fx.next_block(vec![]).unwrap();
    let leaving = fx.nodes()[3].clone();
    let node = NodeId::of(&leaving.operator.public_key());
    let h = fx.height();
    assert!(fx.chain().committee(h + 1).unwrap().get(&node).is_some());
    let exit = fx
        .sign(
            &leaving.owner,
            TxKind::NodeExit(flux_chain::tx::NodeExit { node }),
        )
        .unwrap();
    fx.next_block(vec![exit]).unwrap();
    let next = fx.chain().committee(fx.height() + 1).unwrap();
    assert!(
        next.get(&node).is_none(),
        "an exiting node is still on the committee of height {}",
        fx.height() + 1
    );
    assert_eq!(next.len(), 3);
}

/// Replays issue 19 point 11: a member equivocates at the height its owner exits, and the
/// evidence lands 61 blocks later, after the old devnet unbonding period (60 blocks): its
/// unbonding collateral must still be slashed (before the fix the entry was gone and the
/// evidence refused as `UnknownNode`), and the owner gets back only what is left.
#[test]
fn evidence_against_an_exited_member_still_slashes_its_unbonding_collateral() {
    let mut fx = validators();
    fx.next_block(vec![]).unwrap();
    let leaving = fx.nodes()[3].clone();
    let node = NodeId::of(&leaving.operator.public_key());
    let collateral = fx.state().registry().get(&node).unwrap().collateral;
    let exit = fx
        .sign(
            &leaving.owner,
            TxKind::NodeExit(flux_chain::tx::NodeExit { node }),
        )
        .unwrap();
    fx.next_block(vec![exit]).unwrap();
    let offense = fx.height();
    let evidence = Evidence::new(
        vote(&leaving.operator, offense, b"block a"),
        vote(&leaving.operator, offense, b"block b"),
    )
    .unwrap();
    while fx.height() < offense + 60 {
        fx.next_block(vec![]).unwrap();
    }
    let reporter = fx.keys()[0].clone();
    let report = fx.sign(&reporter, TxKind::Evidence(evidence)).unwrap();
    let receipts = fx
        .next_block(vec![report])
        .unwrap_or_else(|e| panic!("evidence 61 blocks old refused: {e}"));
    let slashed = collateral.mul_div_floor(1, 10).unwrap();
    assert!(receipts.txs[0].events.contains(&Event::Slashed {
        node,
        amount: slashed
    }));
    let entry = fx.state().registry().get(&node).unwrap();
    assert_eq!(entry.collateral, collateral.checked_sub(slashed).unwrap());
}

/// Replays issue 19 point 12: the proposer of a round signs two different proposals. A
/// validator's machine that receives both outputs evidence, and the evidence transaction slashes
/// the proposer (before the fix double proposals were no evidence at all).
#[test]
fn a_double_proposal_is_evidence_that_slashes_the_proposer() {
    use flux_chain::consensus::{Input, Machine, Output, Proposal};
    let mut fx = validators();
    fx.next_block(vec![]).unwrap();
    let height = fx.height() + 1;
    let params = fx.state().params().clone();
    let committee = fx.chain().committee(height).unwrap();
    let proposer_id = committee.proposer(height, 0, params.consensus.epoch_length);
    let nodes = fx.nodes().to_vec();
    let operator_of = |id: NodeId| {
        nodes
            .iter()
            .map(|n| n.operator.clone())
            .find(|k| NodeId::of(&k.public_key()) == id)
            .unwrap()
    };
    let proposer = operator_of(proposer_id);
    let me = nodes
        .iter()
        .map(|n| n.operator.clone())
        .find(|k| NodeId::of(&k.public_key()) != proposer_id)
        .unwrap();
    let mut machine = Machine::new(&params, Some(me));
    machine
        .apply(Input::NewHeight { height, committee })
        .unwrap();
    let proposal = |tag: &[u8]| {
        Proposal {
            height,
            round: 0,
            value: BlockId(Hash::digest(tag)),
            pol_round: None,
            proposer: proposer_id,
        }
        .sign(&proposer, params.chain_id)
        .unwrap()
    };
    machine.apply(Input::Proposal(proposal(b"a"))).unwrap();
    let out = machine.apply(Input::Proposal(proposal(b"b"))).unwrap();
    let evidence = out
        .iter()
        .find_map(|o| match o {
            Output::Evidence(e) => Some(*e),
            _ => None,
        })
        .expect("two proposals for one round are evidence");
    assert!(matches!(evidence, Evidence::Proposals { .. }));
    assert_eq!(
        (evidence.validator(), evidence.height()),
        (proposer_id, height)
    );

    // The height is decided (here: the next block); the evidence goes into the one after.
    fx.next_block(vec![]).unwrap();
    let collateral = fx.state().registry().get(&proposer_id).unwrap().collateral;
    let reporter = fx.keys()[0].clone();
    let report = fx.sign(&reporter, TxKind::Evidence(evidence)).unwrap();
    let receipts = fx.next_block(vec![report]).unwrap();
    let slashed = collateral.mul_div_floor(1, 10).unwrap();
    assert!(receipts.txs[0].events.contains(&Event::Slashed {
        node: proposer_id,
        amount: slashed
    }));
    let entry = fx.state().registry().get(&proposer_id).unwrap();
    assert_eq!(entry.slashed, vec![height]);
    // The proposer is out of the committee from then on.
    assert!(
        fx.chain()
            .committee(fx.height() + 1)
            .unwrap()
            .get(&proposer_id)
            .is_none()
    );

    // Proposals signed by someone else under the proposer's id are not evidence against it.
    let Evidence::Proposals { first, .. } = evidence else {
        unreachable!()
    };
    let mut other = proposal(b"c").proposal;
    other.height = height + 1;
    let stranger = &keys(9)[8];
    let mut first_later = first;
    first_later.proposal.height = height + 1;
    let first_later = first_later
        .proposal
        .sign(&proposer, params.chain_id)
        .unwrap();
    let forged =
        Evidence::from_proposals(first_later, other.sign(stranger, params.chain_id).unwrap())
            .unwrap();
    let tx = fx.sign(&reporter, TxKind::Evidence(forged)).unwrap();
    let err = fx.build(vec![tx]).unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
}

/// The evidence window (issue 19 point 11): evidence is accepted up to
/// `consensus.evidence_max_age` blocks after the offence, and never for the current or a later
/// height.
#[test]
fn evidence_is_accepted_within_its_window_only() {
    use flux_chain::consensus::ConsensusError;
    let mut fx = validators();
    let offender = fx.nodes()[1].operator.clone();
    let max_age = fx.state().params().consensus.evidence_max_age;
    let reporter = fx.keys()[0].clone();
    let evidence = |h| Evidence::new(vote(&offender, h, b"x"), vote(&offender, h, b"y")).unwrap();
    fx.next_block(vec![]).unwrap();
    let next = fx.height() + 1;
    let tx = fx
        .sign(&reporter, TxKind::Evidence(evidence(next)))
        .unwrap();
    assert!(matches!(
        fx.build(vec![tx]),
        Err(flux_chain::testkit::FixtureError::Block(BlockError::Tx {
            source: TxError::Evidence(ConsensusError::FutureEvidence { .. }),
            ..
        }))
    ));
    while fx.height() < max_age + 1 {
        fx.next_block(vec![]).unwrap();
    }
    // Offence at height 1, block at max_age + 2: one block too late.
    let tx = fx.sign(&reporter, TxKind::Evidence(evidence(1))).unwrap();
    assert!(matches!(
        fx.build(vec![tx]),
        Err(flux_chain::testkit::FixtureError::Block(BlockError::Tx {
            source: TxError::Evidence(ConsensusError::StaleEvidence { .. }),
            ..
        }))
    ));
    // Offence at height 2: exactly max_age old, accepted.
    let tx = fx.sign(&reporter, TxKind::Evidence(evidence(2))).unwrap();
    fx.next_block(vec![tx]).unwrap();
    let node = NodeId::of(&offender.public_key());
    assert_eq!(fx.state().registry().get(&node).unwrap().slashed, vec![2]);
}
