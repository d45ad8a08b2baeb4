//! The fixed values of the golden vectors (see `tests/golden.rs`): deterministic keys, fixed
//! nonces, fees and amounts; no RNG, no clock.

use flux_chain::block::{Block, BlockId};
use flux_chain::consensus::{Evidence, Proposal, Vote, VoteKind};
use flux_chain::genesis::Genesis;
use flux_chain::gov::{Action, Choice};
use flux_chain::parallel::{Attestation, BurnStatement, Statement, sign_attestation};
use flux_chain::state::StateKey;
use flux_chain::transition::build_block;
use flux_chain::tx::*;
use flux_chain::work::{HostingStatement, commitment};
use flux_core::crypto::{Domain, Scheme, SecretKey};
use flux_core::parallel::ExternalChain;
use flux_core::params::GovernableParam;
use flux_core::tier::{Gpu, Hardware, Resources};
use flux_core::{Address, Amount, COIN, ChainId, Hash, Tier, codec};
use flux_nodes::attestation::{BenchmarkEvidence, BenchmarkStatement, attest};
use flux_nodes::node::NodeId;
use flux_nodes::registry::NodeOffer;
use flux_nodes::work::{Outcome, Status};

/// The chain every value is for.
pub const CHAIN: ChainId = ChainId::DEVNET;

/// The Ed25519 key whose secret is 32 bytes of `i` (keys 1 to 4 are funded by the devnet
/// example genesis).
fn key(i: u8) -> SecretKey {
    SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).unwrap()
}

/// The secp256k1 key of the secp256k1 vectors.
fn secp() -> SecretKey {
    SecretKey::from_bytes(Scheme::Secp256k1, &[7; 32]).unwrap()
}

fn flux(hundredths: u64) -> Amount {
    Amount::from_base_units(hundredths * (COIN / 100))
}

/// The node run by operator key 11, owned by key 1.
fn node() -> NodeId {
    NodeId::of(&key(11).public_key())
}

fn sign(key: &SecretKey, nonce: u64, kind: TxKind) -> Transaction {
    Transaction::sign(key, CHAIN, nonce, Amount::from_base_units(1_000), kind).unwrap()
}

fn hardware() -> Hardware {
    Hardware {
        cpu_cores: 2,
        resources: Resources {
            cpu_threads: 4,
            ram_mb: 8_000,
            ssd_gb: 220,
            bandwidth_mbps: 25,
        },
        gpu: Gpu {
            count: 1,
            memory_gb: 16,
        },
    }
}

/// A job the work vectors refer to (its id is the job's id).
fn job_submit() -> Transaction {
    let kind = TxKind::JobSubmit(JobSubmit {
        module: b"\0asm\x01\0\0\0".to_vec(),
        input: b"golden input".to_vec(),
        fuel: 1_000_000,
        fee: flux(10),
    });
    sign(&key(3), 4, kind)
}

fn outcome() -> Outcome {
    Outcome {
        status: Status::Completed,
        output: b"42".to_vec(),
        fuel_used: 12_345,
    }
}

fn proposal_action(action: Action) -> TxKind {
    TxKind::GovPropose(GovPropose {
        title: "Golden proposal".into(),
        text_hash: Hash::digest(b"the full text"),
        action,
    })
}

fn evidence_votes() -> Evidence {
    let vote = |value: &[u8]| Vote {
        height: 12,
        round: 0,
        kind: VoteKind::Prevote,
        value: Some(BlockId(Hash::digest(value))),
        validator: node(),
    };
    let a = vote(b"a").sign(&key(11), CHAIN).unwrap();
    let b = vote(b"b").sign(&key(11), CHAIN).unwrap();
    Evidence::new(a, b).unwrap()
}

fn evidence_proposals() -> Evidence {
    let proposal = |value: &[u8]| Proposal {
        height: 12,
        round: 1,
        value: BlockId(Hash::digest(value)),
        pol_round: Some(0),
        proposer: node(),
    };
    let a = proposal(b"a").sign(&key(11), CHAIN).unwrap();
    let b = proposal(b"b").sign(&key(11), CHAIN).unwrap();
    Evidence::from_proposals(a, b).unwrap()
}

fn benchmark_evidence() -> BenchmarkEvidence {
    let mut evidence = BenchmarkEvidence {
        seed_height: 40,
        hardware: hardware(),
        cpu_score: 1_000_000,
        attestations: Vec::new(),
    };
    let statement: BenchmarkStatement = evidence.statement(node(), Hash::digest(b"block 40"));
    for verifier in [12, 13] {
        let a = attest(&key(verifier), CHAIN, &statement).unwrap();
        evidence.attestations.push(a);
    }
    evidence
}

fn hosting_report() -> HostingReport {
    let statement = HostingStatement {
        node: node(),
        seed_height: 80,
        seed: Hash::digest(b"block 80"),
    };
    let bytes = codec::encode(&statement).unwrap();
    let attestations = [12, 13]
        .map(|i| flux_nodes::attestation::Attestation {
            verifier: NodeId::of(&key(i).public_key()),
            signature: key(i).sign(Domain::WORK, CHAIN, &bytes),
        })
        .to_vec();
    HostingReport {
        node: node(),
        seed_height: 80,
        attestations,
    }
}

fn swap_in() -> SwapIn {
    let burn = BurnStatement {
        chain: ExternalChain::Solana,
        reference: vec![7; 64],
        amount: flux(300),
        recipient: Address::from_bytes([6; 20]),
    };
    let statement = Statement::Burn(burn.clone());
    let mut signatures: Vec<_> = [12, 13]
        .map(|i| {
            let sig = sign_attestation(&key(i), None, CHAIN, &statement).unwrap();
            (NodeId::of(&key(i).public_key()), sig)
        })
        .to_vec();
    signatures.sort_by_key(|(id, _)| *id);
    SwapIn {
        burn,
        attestation: Attestation {
            epoch: 2,
            signatures,
        },
    }
}

/// One transaction of every kind (and a few more), by vector name.
pub fn transactions() -> Vec<(&'static str, Transaction)> {
    let job = job_submit().id().unwrap();
    let salt = [9; 32];
    let result = outcome().result_hash();
    vec![
        (
            "transfer",
            sign(
                &key(1),
                0,
                TxKind::Transfer(Transfer {
                    to: Address::from_bytes([2; 20]),
                    amount: flux(150),
                }),
            ),
        ),
        (
            "transfer_secp256k1",
            sign(
                &secp(),
                1,
                TxKind::Transfer(Transfer {
                    to: Address::from_bytes([3; 20]),
                    amount: flux(100),
                }),
            ),
        ),
        (
            "node_start",
            sign(
                &key(1),
                2,
                TxKind::NodeStart(NodeOffer {
                    operator: key(11).public_key(),
                    tier: Tier::Cumulus,
                    collateral: flux(100_000),
                    endpoint: "203.0.113.7:16127".into(),
                    geolocation: "EU_DE".parse().unwrap(),
                    declared: hardware(),
                }),
            ),
        ),
        (
            "node_confirm",
            sign(
                &key(11),
                0,
                TxKind::NodeConfirm(NodeConfirm {
                    node: node(),
                    evidence: benchmark_evidence(),
                }),
            ),
        ),
        (
            "node_update_endpoint",
            sign(
                &key(11),
                1,
                TxKind::NodeUpdateEndpoint(NodeUpdateEndpoint {
                    node: node(),
                    endpoint: "[2001:db8::7]:16127".into(),
                }),
            ),
        ),
        (
            "node_exit",
            sign(&key(1), 3, TxKind::NodeExit(NodeExit { node: node() })),
        ),
        (
            "app_register",
            sign(
                &key(2),
                0,
                TxKind::AppRegister(AppRegister {
                    spec: r#"{"version":8,"name":"golden","expire":22000}"#.into(),
                    price: flux(1_234),
                }),
            ),
        ),
        (
            "app_update",
            sign(
                &key(2),
                1,
                TxKind::AppUpdate(AppUpdate {
                    spec: r#"{"version":8,"name":"golden","expire":44000}"#.into(),
                    price: flux(617),
                }),
            ),
        ),
        (
            "app_cancel",
            sign(
                &key(2),
                2,
                TxKind::AppCancel(AppCancel {
                    name: "golden".into(),
                }),
            ),
        ),
        (
            "gov_propose_param_change",
            sign(
                &key(3),
                0,
                proposal_action(Action::ParamChange {
                    param: GovernableParam::AppRamPrice,
                    value: 5,
                }),
            ),
        ),
        (
            "gov_propose_grant",
            sign(
                &key(3),
                1,
                proposal_action(Action::Grant {
                    to: Address::from_bytes([4; 20]),
                    amount: flux(50_000),
                }),
            ),
        ),
        (
            "gov_propose_upgrade",
            sign(
                &key(3),
                2,
                proposal_action(Action::Upgrade {
                    name: "v2".into(),
                    height: 100_000,
                }),
            ),
        ),
        (
            "gov_vote",
            sign(
                &key(1),
                4,
                TxKind::GovVote(GovVote {
                    proposal: 3,
                    node: node(),
                    choice: Choice::Yes,
                }),
            ),
        ),
        (
            "evidence_votes",
            sign(&key(4), 0, TxKind::Evidence(evidence_votes())),
        ),
        (
            "evidence_proposals",
            sign(&key(4), 1, TxKind::Evidence(evidence_proposals())),
        ),
        ("job_submit", job_submit()),
        (
            "work_commit",
            sign(
                &key(11),
                2,
                TxKind::WorkCommit(WorkCommit {
                    job,
                    node: node(),
                    commitment: commitment(&job, &node(), &result, &salt),
                }),
            ),
        ),
        (
            "work_reveal",
            sign(
                &key(11),
                3,
                TxKind::WorkReveal(WorkReveal {
                    job,
                    node: node(),
                    outcome: outcome(),
                    salt,
                }),
            ),
        ),
        (
            "hosting_report",
            sign(&key(11), 4, TxKind::HostingReport(hosting_report())),
        ),
        (
            "swap_out",
            sign(
                &key(1),
                5,
                TxKind::SwapOut(SwapOut {
                    chain: ExternalChain::Ethereum,
                    to: vec![0xab; 20],
                    amount: flux(200),
                }),
            ),
        ),
        ("swap_in", sign(&key(4), 2, TxKind::SwapIn(swap_in()))),
        (
            "swap_key_register",
            sign(
                &key(11),
                5,
                TxKind::SwapKeyRegister(SwapKeyRegister {
                    node: node(),
                    key: secp().public_key(),
                }),
            ),
        ),
    ]
}

pub fn state_keys() -> Vec<StateKey> {
    let app = || "golden".to_string();
    vec![
        StateKey::Ledger,
        StateKey::Account(Address::from_bytes([2; 20])),
        StateKey::Node(node()),
        StateKey::App(app()),
        StateKey::Placement(app()),
        StateKey::Proposal(3),
        StateKey::GovVote(3, node()),
        StateKey::ParamChange(GovernableParam::AppRamPrice, 120),
        StateKey::Upgrade("v2".into()),
        StateKey::Job(job_submit().id().unwrap()),
        StateKey::WorkUnits(4, node()),
        StateKey::Strikes(node()),
        StateKey::Hosted(node()),
        StateKey::Book(ExternalChain::Ethereum),
        StateKey::SwapOut(TxId(Hash::digest(b"swap out"))),
        StateKey::BurnRef(ExternalChain::Solana, vec![7; 64]),
        StateKey::SwapKey(node()),
        StateKey::Attesters,
        StateKey::Seed,
    ]
}

/// Block 1 on the devnet example genesis, by the chain's builder: three transfers (one to the
/// secp256k1 key's address), proposed by key 4.
pub fn block() -> Block {
    let state = Genesis::devnet_example().state().unwrap();
    let pay = |from: u8, to: Address, hundredths| {
        let kind = TxKind::Transfer(Transfer {
            to,
            amount: flux(hundredths),
        });
        sign(&key(from), 0, kind)
    };
    let txs = vec![
        pay(1, Address::from_public_key(&secp().public_key()), 1_000),
        pay(2, Address::from_bytes([5; 20]), 100),
        pay(3, Address::from_public_key(&key(4).public_key()), 200),
    ];
    let time = state.tip().timestamp_ms + 1_000;
    build_block(&state, &key(4), time, Vec::new(), txs).unwrap()
}

/// The devnet genesis files: the fixed example, and four validators with derived keys
/// (`flux devnet` writes a genesis of the same shape, `Genesis::with_validators`, with fresh
/// keys, a faucet and the current time, so its own root can not be pinned).
pub fn geneses() -> Vec<(&'static str, Genesis)> {
    let (four, _) = Genesis::devnet_with_nodes(4, 1).unwrap();
    vec![
        ("devnet_example", Genesis::devnet_example()),
        ("devnet_4", four),
    ]
}
