//! Governance changing a parameter that times the node registry (`nodes.expire_after`, and
//! `nodes.min_confirm_interval` beside it) while nodes are confirmed: no block becomes invalid,
//! and a store reopened at any height equals the running state.
//!
//! Replays issue 19 point 4: the expiry index was keyed by `last_confirm + expire_after`,
//! built with the old value and removed with the new one, so a stale entry fired an illegal
//! transition (every block at that height invalid), and a restarted node rebuilt the index with
//! the new value and diverged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::{confirm, next, sign};
use flux_chain::chain::Chain;
use flux_chain::gov::{Action, Choice, ProposalStatus};
use flux_chain::store::{RedbStore, Store};
use flux_chain::testkit::genesis::xdao_example;
use flux_chain::testkit::keys::{address, key};
use flux_chain::testkit::{GenesisBuilder, ops};
use flux_chain::transition::{BuildMode, propose_block};
use flux_chain::tx::{
    GovPropose, GovVote, NodeExit, NodeStart, NodeUpdateEndpoint, Transaction, TxKind,
};
use flux_core::crypto::SecretKey;
use flux_core::params::GovernableParam;
use flux_core::{Amount, Hash, Tier};
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeId;
use proptest::prelude::*;

/// The xDAO example (key 3's Stratus, operator 22, carries 400 of the 545 vote weight) on a
/// redb file.
struct Net {
    chain: Chain<RedbStore>,
    _dir: tempfile::TempDir,
    path: PathBuf,
    operators: Vec<SecretKey>,
}

fn net() -> Net {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let genesis = xdao_example().unwrap();
    let chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &genesis).unwrap();
    Net {
        chain,
        _dir: dir,
        path,
        operators: (20..=23).map(key).collect(),
    }
}

fn node(operator: u8) -> NodeId {
    NodeId::of(&key(operator).public_key())
}

/// A proposal to set `param` to `value`, from `proposer` with `nonce`.
fn proposal(
    net: &Net,
    proposer: u8,
    nonce_offset: u64,
    param: GovernableParam,
    value: u64,
) -> Transaction {
    let kind = TxKind::GovPropose(GovPropose {
        title: format!("{param} = {value}"),
        text_hash: Hash::digest(b"the text"),
        action: Action::ParamChange { param, value },
    });
    let tx = sign(&key(proposer), net.chain.state(), kind.clone());
    if nonce_offset == 0 {
        return tx;
    }
    Transaction::sign(
        &key(proposer),
        tx.chain_id,
        tx.nonce + nonce_offset,
        tx.fee,
        kind,
    )
    .unwrap()
}

/// Key 3 votes yes on each of `ids` with its Stratus (enough to pass alone).
fn pass(net: &mut Net, ids: &[u64]) {
    let txs = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let kind = TxKind::GovVote(GovVote {
                proposal: *id,
                node: node(22),
                choice: Choice::Yes,
            });
            let tx = sign(&key(3), net.chain.state(), kind.clone());
            Transaction::sign(&key(3), tx.chain_id, tx.nonce + i as u64, tx.fee, kind).unwrap()
        })
        .collect();
    next(&mut net.chain, txs);
}

fn last_proposals(net: &Net, n: usize) -> Vec<u64> {
    let ids: Vec<u64> = net.chain.state().gov().proposals.keys().copied().collect();
    ids[ids.len() - n..].to_vec()
}

/// Drops the running chain, reopens its redb file and checks that the reopened state equals
/// the running one (root, registry, parameters); the chain goes on from the reopened store.
fn reopen_and_compare(net: &mut Net) {
    let state = net.chain.state().clone();
    let genesis = net.chain.genesis().clone();
    let placeholder = Chain::open_or_create(
        RedbStore::open(net.path.with_extension("scratch")).unwrap(),
        &genesis,
    )
    .unwrap();
    drop(std::mem::replace(&mut net.chain, placeholder));
    let reopened = Chain::open(RedbStore::open(&net.path).unwrap())
        .unwrap_or_else(|e| panic!("reopening at height {}: {e}", state.tip().height))
        .unwrap();
    assert_eq!(reopened.state().state_root(), state.state_root());
    assert_eq!(reopened.state().params(), state.params());
    assert_eq!(reopened.state().registry(), state.registry());
    net.chain = reopened;
}

/// `nodes.expire_after` goes from 640 to 1,000 at block 121 while the genesis nodes are
/// confirmed (their deadlines were set with 640). Nodes 20 to 22 keep alive at 500, 1,000 and
/// 1,500; node 23 never does. Every block up to 1,700 applies (past the deadlines computed
/// with either value), node 23 expires when its deadline says (641: set before the change),
/// the others stay confirmed, and the redb store reopens to the running state along the way.
#[test]
fn an_expire_after_change_never_invalidates_a_block() {
    let mut net = net();
    let tx = proposal(&net, 1, 0, GovernableParam::ExpireAfter, 1_000);
    next(&mut net.chain, vec![tx]);
    let ids = last_proposals(&net, 1);
    pass(&mut net, &ids);
    while net.chain.height() < 1_700 {
        let height = net.chain.height();
        let mut txs = Vec::new();
        if [500, 1_000, 1_500].contains(&height) {
            for op in &net.operators[..3] {
                txs.push(confirm(op, &net.operators, net.chain.state()));
            }
        }
        next(&mut net.chain, txs);
        let p = &net.chain.state().gov().proposals[&ids[0]];
        if net.chain.height() == p.end {
            assert_eq!(p.status, ProposalStatus::Passed);
        }
        if [130, 641, 700, 1_142, 1_502].contains(&net.chain.height()) {
            reopen_and_compare(&mut net);
        }
    }
    assert_eq!(net.chain.state().params().nodes.expire_after, 1_000);
    let registry = net.chain.state().registry();
    for op in 20..=22 {
        assert_eq!(
            registry.get(&node(op)).unwrap().status,
            NodeStatus::Confirmed
        );
    }
    let late = registry.get(&node(23)).unwrap();
    assert_eq!((late.status, late.status_since), (NodeStatus::Expired, 641));
    reopen_and_compare(&mut net);
    next(&mut net.chain, vec![]);
}

/// Two changes that execute in one block, in an order only their proposal ids record:
/// `expire_after` back up to 1,000, then `min_confirm_interval` to 900 (valid only once
/// `expire_after` is above it). A store reopened after that block must replay them in that
/// order, not in the parameters' order.
#[test]
fn changes_executed_in_one_block_reopen_in_their_order() {
    let mut net = net();
    // Block 1: expire_after 640 -> 1,000 (in force from 122).
    let tx = proposal(&net, 1, 0, GovernableParam::ExpireAfter, 1_000);
    next(&mut net.chain, vec![tx]);
    let first = last_proposals(&net, 1);
    pass(&mut net, &first);
    while net.chain.height() < 122 {
        next(&mut net.chain, vec![]);
    }
    // Block 123: expire_after back to 640 (executes at 243).
    let tx = proposal(&net, 1, 0, GovernableParam::ExpireAfter, 640);
    next(&mut net.chain, vec![tx]);
    // Block 124: expire_after 1,000, then min_confirm_interval 900 (both execute at 244).
    let txs = vec![
        proposal(&net, 1, 0, GovernableParam::ExpireAfter, 1_000),
        proposal(&net, 1, 1, GovernableParam::MinConfirmInterval, 900),
    ];
    next(&mut net.chain, txs);
    let ids = last_proposals(&net, 3);
    pass(&mut net, &ids);
    while net.chain.height() < 246 {
        next(&mut net.chain, vec![]);
    }
    let gov = net.chain.state().gov();
    for id in ids {
        assert_eq!(gov.proposals[&id].status, ProposalStatus::Passed, "{id}");
    }
    let nodes = &net.chain.state().params().nodes;
    assert_eq!(
        (nodes.expire_after, nodes.min_confirm_interval),
        (1_000, 900)
    );
    reopen_and_compare(&mut net);
    next(&mut net.chain, vec![]);
}

/// The governable parameters that time something the chain keeps in an index: the node
/// registry's deadlines (`expire_after`, and `min_confirm_interval` beside it), a proposal's end
/// (`voting_period`) and the committee drawn per epoch (`committee_size`).
const TIMING: [GovernableParam; 4] = [
    GovernableParam::ExpireAfter,
    GovernableParam::MinConfirmInterval,
    GovernableParam::VotingPeriod,
    GovernableParam::CommitteeSize,
];

/// New nodes the property test starts (operators `key(40 + i)`, owners `key(60 + i)`).
const NEW_NODES: u8 = 4;

/// One step of the property test.
#[derive(Clone, Debug)]
enum Step {
    /// Key 1 proposes `TIMING[param] = value` (key 3 votes yes in the next block).
    Propose(usize, u64),
    /// New node `i` starts (or restarts, if expired).
    Start(u8),
    /// New node `i` confirms (first confirm or keep-alive).
    Confirm(u8),
    /// New node `i` moves.
    Endpoint(u8),
    /// New node `i` exits.
    Exit(u8),
    /// Empty blocks (the genesis nodes still keep alive), so deadlines fire.
    Wait(u64),
    /// Drop the chain and reopen its store.
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    let value = |p: GovernableParam| {
        let (min, max) = p.bounds();
        // Near the lower bounds, where the deadlines fall inside a run (votes within 200).
        let span = if p == GovernableParam::VotingPeriod {
            2
        } else {
            5
        };
        min..=max.min(min.saturating_mul(span))
    };
    // expire_after most often: it keys the expiry index.
    let param =
        prop_oneof![3 => Just(0usize), 1 => Just(1usize), 1 => Just(2usize), 1 => Just(3usize)];
    let propose =
        param.prop_flat_map(move |i| value(TIMING[i]).prop_map(move |v| Step::Propose(i, v)));
    prop_oneof![
        3 => propose,
        2 => (0..NEW_NODES).prop_map(Step::Start),
        3 => (0..NEW_NODES).prop_map(Step::Confirm),
        1 => (0..NEW_NODES).prop_map(Step::Endpoint),
        1 => (0..NEW_NODES).prop_map(Step::Exit),
        4 => (1u64..=150).prop_map(Step::Wait),
        1 => Just(Step::Reopen),
    ]
}

/// The xDAO example's nodes and accounts, plus a funded owner for each new node.
fn lifecycle_genesis() -> flux_chain::genesis::Genesis {
    let each = Amount::from_flux(1_000_000).unwrap();
    let mut b = GenesisBuilder::new().accounts(&(1..=5).map(key).collect::<Vec<_>>(), each);
    for i in 0..NEW_NODES {
        b = b.account(&key(60 + i), each);
    }
    for (owner, operator, tier) in [
        (2, 20, Tier::Cumulus),
        (2, 21, Tier::Nimbus),
        (3, 22, Tier::Stratus),
        (4, 23, Tier::Cumulus),
    ] {
        let endpoint = format!("127.0.0.1:{}", 16_100 + u16::from(operator));
        b = b.node_at(&key(owner), &key(operator), tier, &endpoint, "EU_DE");
    }
    b.build().unwrap()
}

/// Every operator key the chain may ask to attest.
fn all_operators() -> Vec<SecretKey> {
    (20..=23)
        .chain((0..NEW_NODES).map(|i| 40 + i))
        .map(key)
        .collect()
}

/// Signs `kind` for `key` with the next nonce after the ones already in `txs`.
fn push(
    txs: &mut Vec<Transaction>,
    state: &flux_chain::state::State,
    key: &SecretKey,
    kind: TxKind,
) {
    let from = address(key);
    let pending = txs.iter().filter(|t| t.sender_address() == from).count() as u64;
    let nonce = state.account(&from).nonce + pending;
    let tx = Transaction::sign(key, state.params().chain_id, nonce, Amount::ZERO, kind).unwrap();
    txs.push(tx);
}

/// Whether `entry`'s keep-alive window is open at `height`.
fn keepalive_open(entry: &flux_nodes::node::NodeEntry, height: u64) -> bool {
    entry
        .keepalive_window()
        .is_some_and(|(from, _)| height >= from)
}

/// The transactions every block carries: key 3's yes on each open proposal it has not voted
/// on, and the genesis nodes' keep-alives once their windows open (node 23 included: it
/// expires only if a window closes before it opens).
fn routine(state: &flux_chain::state::State, operators: &[SecretKey]) -> Vec<Transaction> {
    let mut txs = Vec::new();
    let gov = state.gov();
    let stratus = NodeId::of(&key(22).public_key());
    for p in gov.proposals.values() {
        let open = p.status == ProposalStatus::Voting && state.tip().height < p.end;
        if open && !gov.votes.contains_key(&(p.id, stratus)) {
            let vote = GovVote {
                proposal: p.id,
                node: stratus,
                choice: Choice::Yes,
            };
            push(&mut txs, state, &key(3), TxKind::GovVote(vote));
        }
    }
    let height = state.tip().height;
    for op in &operators[..4] {
        let id = NodeId::of(&op.public_key());
        let due = state
            .registry()
            .get(&id)
            .is_some_and(|e| keepalive_open(e, height));
        if due && let Ok(tx) = ops::confirm(op, operators, state) {
            txs.push(tx);
        }
    }
    txs
}

/// The transactions of `step` (none for waits and reopens).
fn step_txs(
    step: &Step,
    state: &flux_chain::state::State,
    operators: &[SecretKey],
) -> Vec<Transaction> {
    let mut txs = Vec::new();
    let new_node = |i: u8| (key(60 + i), key(40 + i));
    let p = state.params();
    match step {
        Step::Propose(param, value) => {
            let kind = TxKind::GovPropose(GovPropose {
                title: "timing".into(),
                text_hash: Hash::digest(b"the text"),
                action: Action::ParamChange {
                    param: TIMING[*param],
                    value: *value,
                },
            });
            push(&mut txs, state, &key(1), kind);
        }
        Step::Start(i) => {
            let (owner, operator) = new_node(*i);
            let kind = TxKind::NodeStart(NodeStart {
                operator: operator.public_key(),
                tier: Tier::Cumulus,
                collateral: Tier::Cumulus.collateral(p),
                endpoint: format!("10.{}.0.1:16127", 100 + i),
                geolocation: "EU_DE".parse().unwrap(),
                declared: Tier::Cumulus.minimum(p),
            });
            push(&mut txs, state, &owner, kind);
        }
        Step::Confirm(i) => {
            if let Ok(tx) = ops::confirm(&new_node(*i).1, operators, state) {
                txs.push(tx);
            }
        }
        Step::Endpoint(i) => {
            let (_, operator) = new_node(*i);
            let kind = TxKind::NodeUpdateEndpoint(NodeUpdateEndpoint {
                node: NodeId::of(&operator.public_key()),
                endpoint: format!("10.{}.1.1:16127", 100 + i),
            });
            push(&mut txs, state, &operator, kind);
        }
        Step::Exit(i) => {
            let (owner, operator) = new_node(*i);
            let kind = TxKind::NodeExit(NodeExit {
                node: NodeId::of(&operator.public_key()),
            });
            push(&mut txs, state, &owner, kind);
        }
        Step::Wait(_) | Step::Reopen => {}
    }
    txs
}

/// Builds the next block from `txs` (refused transactions are left out: a refusal is a
/// transaction's fault, not the block's) and applies it; a block that cannot be built or
/// applied is the failure this test looks for.
fn advance<S: Store>(chain: &mut Chain<S>, txs: Vec<Transaction>) -> Result<(), TestCaseError> {
    let state = chain.state();
    let height = state.tip().height + 1;
    let time = state.tip().timestamp_ms + 1_000;
    let block = propose_block(state, &key(1), time, vec![], txs, BuildMode::CHECKED)
        .map_err(|e| TestCaseError::fail(format!("block {height} invalid: {e}")))?
        .block;
    chain
        .apply(&block)
        .map_err(|e| TestCaseError::fail(format!("block {height} refused: {e}")))?;
    Ok(())
}

/// Reopens the store under `chain` and checks the reopened chain equals the running one:
/// state root, parameters, registry (entries and indexes), governance and the committee of
/// the next height.
fn reopen_checked(
    chain: Chain<RedbStore>,
    path: &std::path::Path,
) -> Result<Chain<RedbStore>, TestCaseError> {
    let state = chain.state().clone();
    let next = state.tip().height + 1;
    let committee = chain.committee(next).ok();
    drop(chain);
    let reopened = Chain::open(RedbStore::open(path).unwrap())
        .map_err(|e| TestCaseError::fail(format!("reopen at {}: {e}", next - 1)))?
        .unwrap();
    let again = reopened.state();
    prop_assert_eq!(again.state_root(), state.state_root());
    prop_assert_eq!(again.params(), state.params());
    prop_assert_eq!(again.registry(), state.registry());
    prop_assert_eq!(again.gov(), state.gov());
    prop_assert_eq!(reopened.committee(next).ok(), committee);
    Ok(reopened)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    /// Random changes of every governable parameter that times an index, interleaved with node
    /// lifecycles (start, confirm, keep-alive, endpoint change, expiry, exit, restart, DoS,
    /// release): every block builds and applies, and the redb store reopened at random moments
    /// and at the end equals the running state.
    #[test]
    fn timing_changes_never_invalidate_a_block_and_reopen_equal(
        steps in prop::collection::vec(step(), 10..50),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chain.redb");
        let genesis = lifecycle_genesis();
        let mut chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &genesis).unwrap();
        let operators = all_operators();
        for step in &steps {
            if let Step::Reopen = step {
                chain = reopen_checked(chain, &path)?;
                continue;
            }
            let blocks = match step {
                Step::Wait(n) => *n,
                _ => 1,
            };
            for b in 0..blocks {
                let mut txs = routine(chain.state(), &operators);
                if b == 0 {
                    for tx in step_txs(step, chain.state(), &operators) {
                        txs.push(tx);
                    }
                }
                advance(&mut chain, txs)?;
            }
        }
        // Past the longest voting period, so the last proposals execute.
        for _ in 0..201 {
            let txs = routine(chain.state(), &operators);
            advance(&mut chain, txs)?;
        }
        reopen_checked(chain, &path)?;
    }
}
