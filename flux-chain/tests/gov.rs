//! xDAO governance: tally boundaries, vote rules, a binding parameter change that new apps pay,
//! and a property test that no proposal breaks bounds, the fund, conservation or the cap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{address, bring_up_nodes, genesis, keys, next, sign};
use flux_chain::chain::Chain;
use flux_chain::error::{BlockError, TxError};
use flux_chain::gov::{Action, Choice, Proposal, ProposalStatus};
use flux_chain::state::dev_fund_address;
use flux_chain::store::MemStore;
use flux_chain::transition::build_block;
use flux_chain::transition::gov::outcome;
use flux_chain::tx::{AppRegister, GovPropose, GovVote, NodeExit, Transaction, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::params::GovernableParam;
use flux_core::{Amount, ChainParams, Hash};
use flux_nodes::app::AppSpec;
use flux_nodes::node::NodeId;
use proptest::prelude::*;

const TINYBOT: &str =
    include_str!("../../../shared/fixtures/fluxos-apps/conformant/valid/tinybot-v8.json");

struct Net {
    chain: Chain<MemStore>,
    owners: Vec<SecretKey>,
    operators: Vec<SecretKey>,
    /// A funded account that owns no node (its balance moves only by what governance does).
    citizen: SecretKey,
}

/// Six confirmed Cumulus nodes (weight 10 each, 60 in all) on a devnet (120-block votes).
fn net() -> Net {
    let ks = keys(13);
    let g = genesis(&ks, 100_000);
    let mut chain = Chain::open_or_create(MemStore::new(), &g).unwrap();
    let owners = ks[..6].to_vec();
    let operators = ks[6..12].to_vec();
    bring_up_nodes(&mut chain, &owners, &operators);
    Net {
        chain,
        owners,
        operators,
        citizen: ks[12].clone(),
    }
}

fn node(net: &Net, i: usize) -> NodeId {
    NodeId::of(&net.operators[i].public_key())
}

fn propose(net: &mut Net, action: Action) -> u64 {
    let tx = sign(
        &net.citizen,
        net.chain.state(),
        TxKind::GovPropose(GovPropose {
            title: "change".into(),
            text_hash: Hash::digest(b"the text"),
            action,
        }),
    );
    next(&mut net.chain, vec![tx]);
    *net.chain
        .state()
        .gov()
        .proposals
        .keys()
        .next_back()
        .unwrap()
}

fn vote_tx(net: &Net, i: usize, proposal: u64, choice: Choice) -> Transaction {
    sign(
        &net.owners[i],
        net.chain.state(),
        TxKind::GovVote(GovVote {
            proposal,
            node: node(net, i),
            choice,
        }),
    )
}

fn vote(net: &mut Net, i: usize, proposal: u64, choice: Choice) {
    let tx = vote_tx(net, i, proposal, choice);
    next(&mut net.chain, vec![tx]);
}

fn run_until(net: &mut Net, height: u64) {
    while net.chain.height() < height {
        next(&mut net.chain, vec![]);
    }
}

fn tx_error(net: &Net, tx: Transaction) -> TxError {
    let time = net.chain.state().tip().timestamp_ms + 1_000;
    match build_block(net.chain.state(), &net.owners[0], time, vec![], vec![tx]) {
        Err(BlockError::Tx { source, .. }) => source,
        other => panic!("expected a transaction error, got {other:?}"),
    }
}

#[test]
fn tally_rules_at_their_boundaries() {
    let p = ChainParams::devnet();
    let proposal = |yes, no, abstain| Proposal {
        id: 1,
        proposer: Default::default(),
        title: "t".into(),
        text_hash: Hash::ZERO,
        action: Action::Upgrade {
            name: "u".into(),
            height: 9,
        },
        deposit: Amount::ZERO,
        start: 0,
        end: 1,
        snapshot_root: Hash::ZERO,
        total_weight: 100,
        yes,
        no,
        abstain,
        status: ProposalStatus::Voting,
    };
    // Turnout must be strictly above 30%.
    assert_eq!(outcome(&proposal(30, 0, 0), &p), ProposalStatus::NoQuorum);
    assert_eq!(outcome(&proposal(31, 0, 0), &p), ProposalStatus::Passed);
    // Ties do not pass.
    assert_eq!(outcome(&proposal(20, 20, 0), &p), ProposalStatus::Rejected);
    // Abstentions count for turnout, not for the majority.
    assert_eq!(outcome(&proposal(11, 10, 10), &p), ProposalStatus::Passed);
    assert_eq!(outcome(&proposal(0, 0, 31), &p), ProposalStatus::Rejected);
    assert_eq!(outcome(&proposal(10, 11, 90), &p), ProposalStatus::Rejected);
}

#[test]
fn a_price_change_binds_and_new_apps_pay_it() {
    let mut net = net();
    let old = net.chain.state().params().clone();
    let id = propose(
        &mut net,
        Action::ParamChange {
            param: GovernableParam::AppCpuPrice,
            value: 6_000_000,
        },
    );
    let end = net.chain.state().gov().proposals[&id].end;
    vote(&mut net, 0, id, Choice::Yes);
    vote(&mut net, 1, id, Choice::Yes);
    vote(&mut net, 2, id, Choice::No);
    let proposer_before = net.chain.account(&address(&net.citizen)).balance;
    run_until(&mut net, end);
    let p = &net.chain.state().gov().proposals[&id];
    assert_eq!(p.status, ProposalStatus::Passed);
    assert_eq!((p.yes, p.no, p.total_weight), (20, 10, 60));
    // The deposit came back (turnout 30/60 > 30%).
    let deposit = old.governance.proposal_deposit;
    assert_eq!(
        net.chain.account(&address(&net.citizen)).balance,
        proposer_before.checked_add(deposit).unwrap()
    );
    // In force from the next block, with its history.
    let now = net.chain.state().params();
    assert_eq!(now.apps.prices.cpu_per_tenth_core.to_string(), "0.06");
    let gov = net.chain.state().gov();
    assert_eq!(
        gov.param_at(GovernableParam::AppCpuPrice, end, 3_000_000),
        3_000_000
    );
    assert_eq!(
        gov.param_at(GovernableParam::AppCpuPrice, end + 1, 3_000_000),
        6_000_000
    );

    // An app registered now pays the new price; the old one is refused.
    let spec = AppSpec::from_json_strict(TINYBOT.as_bytes(), &now.apps).unwrap();
    let new_price = spec.price(&now.apps.prices).unwrap().total;
    let old_price = spec.price(&old.apps.prices).unwrap().total;
    assert!(new_price > old_price);
    let stale = sign(
        &net.owners[3],
        net.chain.state(),
        TxKind::AppRegister(AppRegister {
            spec: TINYBOT.into(),
            price: old_price,
        }),
    );
    assert!(matches!(
        tx_error(&net, stale),
        TxError::PriceMismatch { .. }
    ));
    let register = sign(
        &net.owners[3],
        net.chain.state(),
        TxKind::AppRegister(AppRegister {
            spec: TINYBOT.into(),
            price: new_price,
        }),
    );
    next(&mut net.chain, vec![register]);
    assert_eq!(net.chain.state().apps()["tinybot"].paid, new_price);
}

#[test]
fn who_may_vote_and_how_often() {
    let mut net = net();
    let id = propose(
        &mut net,
        Action::Upgrade {
            name: "v2".into(),
            height: 10_000,
        },
    );
    // Final votes.
    vote(&mut net, 1, id, Choice::Yes);
    assert!(matches!(
        tx_error(&net, vote_tx(&net, 1, id, Choice::No)),
        TxError::AlreadyVoted { .. }
    ));
    // Only the owner.
    let stranger = sign(
        &net.owners[2],
        net.chain.state(),
        TxKind::GovVote(GovVote {
            proposal: id,
            node: node(&net, 3),
            choice: Choice::Yes,
        }),
    );
    assert!(matches!(tx_error(&net, stranger), TxError::NotNodeOwner(_)));
    // A node that left after the snapshot cannot vote.
    let exit = sign(
        &net.owners[4],
        net.chain.state(),
        TxKind::NodeExit(NodeExit {
            node: node(&net, 4),
        }),
    );
    next(&mut net.chain, vec![exit]);
    assert!(matches!(
        tx_error(&net, vote_tx(&net, 4, id, Choice::Yes)),
        TxError::NodeNotConfirmed(_)
    ));
    // A node registered after the snapshot is not in it.
    let late_owner = net.owners[5].clone();
    let late_op = SecretKey::from_bytes(flux_core::crypto::Scheme::Ed25519, &[0x77; 32]).unwrap();
    let p = net.chain.state().params().clone();
    let start = sign(
        &late_owner,
        net.chain.state(),
        TxKind::NodeStart(flux_chain::tx::NodeStart {
            operator: late_op.public_key(),
            tier: flux_core::Tier::Cumulus,
            collateral: flux_core::Tier::Cumulus.collateral(&p),
            endpoint: "10.99.0.1:16127".into(),
            geolocation: "EU_DE".parse().unwrap(),
            declared: flux_core::Tier::Cumulus.minimum(&p),
        }),
    );
    next(&mut net.chain, vec![start]);
    let mut verifiers = net.operators.clone();
    verifiers.push(late_op.clone());
    let c = common::confirm(&late_op, &verifiers, net.chain.state());
    next(&mut net.chain, vec![c]);
    let late = sign(
        &late_owner,
        net.chain.state(),
        TxKind::GovVote(GovVote {
            proposal: id,
            node: NodeId::of(&late_op.public_key()),
            choice: Choice::Yes,
        }),
    );
    assert!(matches!(
        tx_error(&net, late),
        TxError::NotInSnapshot { .. }
    ));
    // Out-of-bounds proposals never open.
    let bad = sign(
        &net.owners[0],
        net.chain.state(),
        TxKind::GovPropose(GovPropose {
            title: "too small".into(),
            text_hash: Hash::ZERO,
            action: Action::ParamChange {
                param: GovernableParam::CommitteeSize,
                value: 1,
            },
        }),
    );
    assert!(matches!(tx_error(&net, bad), TxError::Param(_)));
    // Turnout not reached: 10 of 60 is not above 30%; the deposit goes to the dev fund.
    let fund_before = net.chain.account(&dev_fund_address()).balance;
    let end = net.chain.state().gov().proposals[&id].end;
    run_until(&mut net, end);
    assert_eq!(
        net.chain.state().gov().proposals[&id].status,
        ProposalStatus::NoQuorum
    );
    let fund_after = net.chain.account(&dev_fund_address()).balance;
    let deposit = net.chain.state().params().governance.proposal_deposit;
    assert!(fund_after.checked_sub(fund_before).unwrap() >= deposit);
    assert!(net.chain.state().gov().upgrades.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// Random proposals (parameter changes with values in and out of bounds, grants above and
    /// below the fund) with random votes: every parameter stays within its bounds, grants never
    /// exceed the fund (they fail instead), and value is conserved under the cap.
    #[test]
    fn no_proposal_breaks_bounds_or_the_fund(
        proposals in proptest::collection::vec(
            (0usize..11, any::<u64>(), any::<bool>(), 0u64..20_000_000_000, proptest::collection::vec(0u8..4, 6)),
            1..4,
        )
    ) {
        let mut net = net();
        let mut open = Vec::new();
        for (param_index, raw, is_grant, grant, votes) in proposals {
            let param = GovernableParam::ALL[param_index];
            let (min, max) = param.bounds();
            // Half the values land in bounds, half anywhere.
            let value = if raw % 2 == 0 { min + raw % (max - min + 1) } else { raw };
            let action = if is_grant {
                Action::Grant { to: address(&net.owners[5]), amount: Amount::from_base_units(grant + 1) }
            } else {
                Action::ParamChange { param, value }
            };
            let tx = sign(&net.citizen, net.chain.state(), TxKind::GovPropose(GovPropose {
                title: "p".into(), text_hash: Hash::ZERO, action: action.clone(),
            }));
            let time = net.chain.state().tip().timestamp_ms + 1_000;
            match build_block(net.chain.state(), &net.owners[0], time, vec![], vec![tx.clone()]) {
                Ok(_) => {
                    let id = propose(&mut net, action);
                    let txs: Vec<Transaction> = votes.iter().enumerate().filter_map(|(i, v)| match v {
                        0 => Some(vote_tx(&net, i, id, Choice::Yes)),
                        1 => Some(vote_tx(&net, i, id, Choice::No)),
                        2 => Some(vote_tx(&net, i, id, Choice::Abstain)),
                        _ => None,
                    }).collect();
                    next(&mut net.chain, txs);
                    open.push(id);
                }
                Err(BlockError::Tx { source, .. }) => {
                    prop_assert!(matches!(source, TxError::Param(_)), "{:?}", source);
                    prop_assert!(param.check(net.chain.state().params(), value).is_err());
                }
                Err(e) => prop_assert!(false, "{:?}", e),
            }
        }
        let last_end = open.iter().map(|id| net.chain.state().gov().proposals[id].end).max().unwrap_or(0);
        let fund_before = net.chain.account(&dev_fund_address()).balance;
        run_until(&mut net, last_end + 1);
        let state = net.chain.state();
        for g in GovernableParam::ALL {
            let (min, max) = g.bounds();
            let v = g.get(state.params());
            prop_assert!(min <= v && v <= max, "{} = {} out of bounds", g, v);
        }
        prop_assert!(state.params().validate().is_ok());
        for id in &open {
            let p = &state.gov().proposals[id];
            prop_assert!(p.status != ProposalStatus::Voting);
            if let (Action::Grant { amount, .. }, ProposalStatus::Passed) = (&p.action, p.status) {
                prop_assert!(*amount <= fund_before.checked_add(Amount::from_flux(100_000).unwrap()).unwrap());
            }
        }
        prop_assert!(state.ledger().supply <= state.params().supply.max_supply);
    }
}

#[test]
fn governance_survives_a_reopen() {
    use flux_chain::store::RedbStore;
    let ks = keys(13);
    let g = genesis(&ks, 100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let mut chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    bring_up_nodes(&mut chain, &ks[..6], &ks[6..12]);
    let change = |c: &Chain<RedbStore>| {
        sign(
            &ks[12],
            c.state(),
            TxKind::GovPropose(GovPropose {
                title: "cheaper ram".into(),
                text_hash: Hash::ZERO,
                action: Action::ParamChange {
                    param: GovernableParam::AppRamPrice,
                    value: 5_000,
                },
            }),
        )
    };
    let tx = change(&chain);
    next(&mut chain, vec![tx]);
    let id = 1;
    let votes: Vec<Transaction> = (0..3)
        .map(|i| {
            let node = NodeId::of(&ks[6 + i].public_key());
            sign(
                &ks[i],
                chain.state(),
                TxKind::GovVote(GovVote {
                    proposal: id,
                    node,
                    choice: Choice::Yes,
                }),
            )
        })
        .collect();
    next(&mut chain, votes);
    // Reopen mid-vote: proposals, snapshot and votes come back with the same root.
    let root = chain.state().state_root();
    let gov = chain.state().gov().clone();
    drop(chain);
    let mut chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    assert_eq!(chain.state().state_root(), root);
    assert_eq!(chain.state().gov(), &gov);
    // Finish the vote; reopen again: the changed parameters are rebuilt from the history.
    let end = chain.state().gov().proposals[&id].end;
    while chain.height() <= end {
        next(&mut chain, vec![]);
    }
    let params = chain.state().params().clone();
    assert_eq!(params.apps.prices.ram_per_mb.base_units(), 5_000);
    let root = chain.state().state_root();
    drop(chain);
    let chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    assert_eq!(chain.state().params(), &params);
    assert_eq!(chain.state().state_root(), root);
}
