//! The governance routes over a `ChainBackend<MemStore>`: proposals newest first with their
//! tallies, one proposal with its votes and voters, the parameters in force at a height and a
//! parameter's history, through the typed client and as raw JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "api/support.rs"]
#[allow(dead_code)]
mod support;

use flux_chain::gov::{Action, Choice, ProposalStatus};
use flux_chain::tx::{GovPropose, GovVote, Transaction, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::params::GovernableParam;
use flux_core::{Amount, ChainId, Hash, Network};
use flux_net::api::views::ActionView;
use flux_nodes::NodeId;
use support::{Env, address, key};

fn genesis() -> flux_chain::genesis::Genesis {
    flux_chain::testkit::genesis::xdao_example().unwrap()
}

fn node_id(operator: u8) -> NodeId {
    NodeId::of(&key(operator).public_key())
}

fn signed(env: &Env, key: &SecretKey, kind: TxKind) -> Transaction {
    let account = env
        .block_on(env.client.account(&format!("{:x}", address(key))))
        .unwrap();
    Transaction::sign(
        key,
        ChainId::DEVNET,
        account.pending_nonce,
        Amount::ZERO,
        kind,
    )
    .unwrap()
}

fn propose(env: &Env, key: &SecretKey, title: &str, action: Action) {
    let kind = TxKind::GovPropose(GovPropose {
        title: title.into(),
        text_hash: Hash::digest(title.as_bytes()),
        action,
    });
    env.block_on(env.client.submit(&signed(env, key, kind)))
        .unwrap();
}

fn vote(env: &Env, key: &SecretKey, proposal: u64, node: NodeId, choice: Choice) {
    let kind = TxKind::GovVote(GovVote {
        proposal,
        node,
        choice,
    });
    env.block_on(env.client.submit(&signed(env, key, kind)))
        .unwrap();
}

/// Commits blocks (each with the mempool's transactions) until the tip is at `height`.
fn advance_to(env: &Env, height: u64) {
    while env.chain.read().unwrap().height() < height {
        env.commit_pool();
    }
}

#[test]
fn proposals_their_tallies_and_the_parameters_they_change() {
    let env = Env::new(&genesis());
    let devnet = env.block_on(env.client.params()).unwrap();
    let cpu = GovernableParam::AppCpuPrice;
    let old = cpu.get(&devnet);
    assert_eq!(old, 3_000_000);
    assert!(
        env.block_on(env.client.proposals())
            .unwrap()
            .proposals
            .is_empty()
    );
    assert_eq!(env.block_on(env.client.proposal(1)).unwrap(), None);

    // Block 1: a cpu price change; block 2: an upgrade nobody votes on.
    let change = Action::ParamChange {
        param: cpu,
        value: 5_000_000,
    };
    propose(&env, &key(4), "cpu at 0.05", change);
    env.commit_pool();
    let upgrade = Action::Upgrade {
        name: "v2".into(),
        height: 10_000,
    };
    propose(&env, &key(5), "flux v2", upgrade);
    env.commit_pool();

    let list = env.block_on(env.client.proposals()).unwrap();
    assert_eq!(list.height, 2);
    assert_eq!(
        list.proposals.iter().map(|p| p.id).collect::<Vec<_>>(),
        [2, 1],
        "newest first"
    );
    let first = &list.proposals[1];
    assert_eq!(
        (first.status, first.start, first.end, first.total_weight),
        (
            ProposalStatus::Voting,
            1,
            1 + devnet.governance.voting_period,
            545
        )
    );
    assert_eq!(first.proposer, address(&key(4)).to_bech32(Network::Devnet));
    assert_eq!(
        first.action,
        ActionView::ParamChange {
            param: "app.cpu_price".into(),
            value: 5_000_000
        }
    );
    assert_eq!(first.deposit, devnet.governance.proposal_deposit);

    let open = env.block_on(env.client.proposal(1)).unwrap().unwrap();
    assert!(open.votes.is_empty());
    let mut voters: Vec<(NodeId, String, u64)> = open
        .voters
        .iter()
        .map(|v| (v.node, v.owner.clone(), v.weight))
        .collect();
    voters.sort();
    let owner = |i| address(&key(i)).to_bech32(Network::Devnet);
    let mut expected = vec![
        (node_id(20), owner(2), 10),
        (node_id(21), owner(2), 125),
        (node_id(22), owner(3), 400),
        (node_id(23), owner(4), 10),
    ];
    expected.sort();
    assert_eq!(voters, expected);

    // Key 2 votes yes for both its nodes, key 3 yes, key 4 no.
    vote(&env, &key(2), 1, node_id(20), Choice::Yes);
    vote(&env, &key(2), 1, node_id(21), Choice::Yes);
    vote(&env, &key(3), 1, node_id(22), Choice::Yes);
    vote(&env, &key(4), 1, node_id(23), Choice::No);
    env.commit_pool();
    let tallied = env.block_on(env.client.proposal(1)).unwrap().unwrap();
    assert_eq!(
        (
            tallied.proposal.yes,
            tallied.proposal.no,
            tallied.proposal.abstain
        ),
        (535, 10, 0)
    );
    assert_eq!(tallied.votes.len(), 4);
    assert!(
        tallied
            .votes
            .iter()
            .any(|v| v.node == node_id(23) && v.choice == Choice::No)
    );

    // The end of the vote: passed, executed in its last block, in force from the next.
    let end = tallied.proposal.end;
    advance_to(&env, end + 1);
    let done = env.block_on(env.client.proposal(1)).unwrap().unwrap();
    assert_eq!(done.proposal.status, ProposalStatus::Passed);
    assert!(
        done.voters.is_empty(),
        "the snapshot is dropped at the tally"
    );
    assert_eq!(done.votes.len(), 4);
    let ignored = env.block_on(env.client.proposal(2)).unwrap().unwrap();
    assert_eq!(ignored.proposal.status, ProposalStatus::NoQuorum);

    let now = env.block_on(env.client.params()).unwrap();
    assert_eq!(cpu.get(&now), 5_000_000);
    let at = |h| env.block_on(env.client.params_at(h)).unwrap();
    assert_eq!(at(0).unwrap(), devnet);
    assert_eq!(
        cpu.get(&at(end).unwrap()),
        old,
        "block {end} still priced the old way"
    );
    assert_eq!(cpu.get(&at(end + 1).unwrap()), 5_000_000);
    assert_eq!(
        at(end + 2).unwrap(),
        now,
        "the next block's are the current ones"
    );
    assert_eq!(at(end + 3), None, "the future is not known");

    let history = env.block_on(env.client.param_history(cpu)).unwrap();
    assert_eq!(history.name, "app.cpu_price");
    assert_eq!((history.min, history.max), cpu.bounds());
    assert_eq!((history.initial, history.current), (old, 5_000_000));
    assert_eq!(history.changes.len(), 1);
    let c = &history.changes[0];
    assert_eq!(
        (c.executed_at, c.effective_from, c.value, c.proposal),
        (end, end + 1, 5_000_000, Some(1))
    );
    let untouched = env
        .block_on(env.client.param_history(GovernableParam::AppRamPrice))
        .unwrap();
    assert!(untouched.changes.is_empty());
    assert_eq!(untouched.initial, untouched.current);
}

#[test]
fn governance_routes_answer_json_and_refuse_bad_input() {
    let env = Env::new(&genesis());
    propose(
        &env,
        &key(4),
        "grant",
        Action::Grant {
            to: address(&key(9)),
            amount: Amount::from_flux(10).unwrap(),
        },
    );
    env.commit_pool();

    let list = env.raw("GET", "/v1/gov/proposals", b"");
    assert_eq!(list.status, 200);
    let list = list.json();
    assert_eq!(list["height"], 1);
    assert_eq!(list["proposals"][0]["status"], "Voting");
    assert_eq!(list["proposals"][0]["action"]["kind"], "grant");
    assert_eq!(list["proposals"][0]["action"]["amount"], "10");
    assert_eq!(
        list["proposals"][0]["action"]["to"],
        address(&key(9)).to_bech32(Network::Devnet)
    );
    let one = env.raw("GET", "/v1/gov/proposals/1", b"").json();
    assert_eq!(one["id"], 1, "the proposal's fields are at the top level");
    assert_eq!(one["voters"].as_array().unwrap().len(), 4);
    assert!(one["votes"].as_array().unwrap().is_empty());

    let params = env.raw("GET", "/v1/params?height=1", b"").json();
    assert_eq!(params["apps"]["prices"]["cpu_per_tenth_core"], "0.03");
    let history = env
        .raw("GET", "/v1/params/governance.voting_period/history", b"")
        .json();
    assert_eq!(
        (history["initial"].as_u64(), history["current"].as_u64()),
        (Some(120), Some(120))
    );

    for (target, status, code) in [
        ("/v1/gov/proposals/2", 404, "not_found"),
        ("/v1/gov/proposals/one", 400, "bad_proposal_id"),
        ("/v1/gov/proposals/-1", 400, "bad_proposal_id"),
        ("/v1/params?height=x", 400, "bad_height"),
        ("/v1/params?height=-2", 400, "bad_height"),
        ("/v1/params?height=3", 404, "not_found"),
        ("/v1/params/app.gpu_price/history", 404, "not_found"),
    ] {
        let raw = env.raw("GET", target, b"");
        assert_eq!(
            (raw.status, raw.code().as_str()),
            (status, code),
            "{target}"
        );
    }
    let unknown = env.raw("GET", "/v1/params/nope/history", b"").json();
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("app.cpu_price"),
        "names the known parameters: {unknown}"
    );
    assert_eq!(env.raw("POST", "/v1/gov/proposals", b"").status, 405);
}
