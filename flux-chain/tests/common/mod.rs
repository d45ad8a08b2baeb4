//! Helpers shared by flux-chain's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flux_chain::genesis::{Allocation, Genesis};
use flux_chain::tx::{Transaction, Transfer, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount, ChainId, Network};

/// Deterministic keys: key i has secret `[i as u8 + 1; 32]` with the index in the first bytes.
pub fn keys(n: usize) -> Vec<SecretKey> {
    (0..n)
        .map(|i| {
            let mut seed = [0x5au8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            SecretKey::from_bytes(Scheme::Ed25519, &seed).unwrap()
        })
        .collect()
}

pub fn address(key: &SecretKey) -> Address {
    Address::from_public_key(&key.public_key())
}

/// A devnet genesis giving `flux_each` FLUX to each key.
pub fn genesis(keys: &[SecretKey], flux_each: u64) -> Genesis {
    Genesis {
        network: Network::Devnet,
        chain_id: ChainId::DEVNET,
        timestamp_ms: 1_000_000,
        allocations: keys
            .iter()
            .map(|k| Allocation {
                address: address(k).to_bech32(Network::Devnet),
                amount: Amount::from_flux(flux_each).unwrap(),
            })
            .collect(),
        nodes: Vec::new(),
    }
}

pub fn transfer(key: &SecretKey, nonce: u64, fee: u64, to: Address, amount: u64) -> Transaction {
    Transaction::sign(
        key,
        ChainId::DEVNET,
        nonce,
        Amount::from_base_units(fee),
        TxKind::Transfer(Transfer {
            to,
            amount: Amount::from_base_units(amount),
        }),
    )
    .unwrap()
}

use flux_chain::chain::Chain;
use flux_chain::state::State;
use flux_chain::store::Store;
use flux_chain::transition::{Receipts, build_block};
use flux_chain::tx::{NodeConfirm, NodeStart};
use flux_core::Tier;
use flux_nodes::attestation::{BenchmarkEvidence, attest_all};
use flux_nodes::node::NodeId;

/// A transaction from `key` with its next nonce and no fee.
pub fn sign(key: &SecretKey, state: &State, kind: TxKind) -> Transaction {
    let nonce = state.account(&address(key)).nonce;
    Transaction::sign(key, ChainId::DEVNET, nonce, Amount::ZERO, kind).unwrap()
}

/// A confirm of `operator`'s node attested by every selected verifier among `operators`.
pub fn confirm(operator: &SecretKey, operators: &[SecretKey], state: &State) -> Transaction {
    let p = state.params();
    let id = NodeId::of(&operator.public_key());
    let tier = state.registry().get(&id).unwrap().tier;
    let seed_height = state.tip().height;
    let seed = state.recent_block(seed_height).unwrap().0;
    let evidence = BenchmarkEvidence {
        seed_height,
        hardware: tier.minimum(p),
        cpu_score: 1,
        attestations: vec![],
    };
    let evidence = attest_all(state.registry(), id, evidence, seed, operators, p).unwrap();
    sign(
        operator,
        state,
        TxKind::NodeConfirm(NodeConfirm { node: id, evidence }),
    )
}

/// Applies the next block with `txs`, checking conservation.
pub fn next<S: Store>(chain: &mut Chain<S>, txs: Vec<Transaction>) -> Receipts {
    let proposer = keys(1)[0].public_key();
    let time = chain.state().tip().timestamp_ms + 1_000;
    let block = build_block(chain.state(), proposer, time, vec![], txs).unwrap();
    let receipts = chain.apply(&block).unwrap();
    let s = chain.state();
    assert_eq!(s.total_held().unwrap(), s.ledger().supply, "conservation");
    receipts
}

/// Starts and confirms one Cumulus node per (owner, operator) pair, each in its own /16.
pub fn bring_up_nodes<S: Store>(
    chain: &mut Chain<S>,
    owners: &[SecretKey],
    operators: &[SecretKey],
) {
    let starts: Vec<Transaction> = owners
        .iter()
        .zip(operators)
        .enumerate()
        .map(|(i, (owner, op))| {
            let p = chain.state().params();
            sign(
                owner,
                chain.state(),
                TxKind::NodeStart(NodeStart {
                    operator: op.public_key(),
                    tier: Tier::Cumulus,
                    collateral: Tier::Cumulus.collateral(p),
                    endpoint: format!("10.{i}.0.1:16127"),
                    geolocation: "EU_DE".parse().unwrap(),
                    declared: Tier::Cumulus.minimum(p),
                }),
            )
        })
        .collect();
    next(chain, starts);
    for op in operators {
        let c = confirm(op, operators, chain.state());
        next(chain, vec![c]);
    }
}

/// A compute job that echoes its input (the fuel used grows with the input's length).
pub const ECHO: &str = r#"(module
  (import "flux" "input_len" (func $input_len (result i32)))
  (import "flux" "read_input" (func $read_input (param i32 i32 i32) (result i32)))
  (import "flux" "write_output" (func $write_output (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (local $n i32)
    (local.set $n (call $read_input (i32.const 0) (i32.const 0) (call $input_len)))
    (call $write_output (i32.const 0) (local.get $n))))"#;
