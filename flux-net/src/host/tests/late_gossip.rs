//! Gossip that arrives after the block that carries it (issue 19, "a real devnet is
//! unaffected"): under load a node's verifier queue is longer than consensus takes, so a
//! peer's batch often arrives after the block that committed its transactions. Before the
//! fix, each such transaction was checked again, refused as stale and charged to the honest
//! peer that relayed it, until the peer was banned: the devnet bench then saw three of four
//! proposers build empty blocks (their mempools no longer heard of the load), and throughput
//! and time to finality fell by half or more from one run to the next.

use flux_chain::devnet::ValidatorKeys;
use flux_chain::tx::{Transaction, Transfer, TxKind};
use flux_core::{Address, Amount};

use super::*;

/// A validator that decides alone (a one-node committee), and its genesis keys and time.
fn alone() -> (Host<MemStore, u8>, Vec<ValidatorKeys>, u64) {
    super::host_of_committee(1)
}

/// Transfers of `key`'s account at `nonces`, paying `to`.
fn transfers(
    host: &Host<MemStore, u8>,
    key: &SecretKey,
    nonces: &[u64],
    to: u8,
) -> Vec<Transaction> {
    let chain_id = host.read().unwrap().state().params().chain_id;
    nonces
        .iter()
        .map(|nonce| {
            let pay = TxKind::Transfer(Transfer {
                to: Address::from_bytes([to; 20]),
                amount: Amount::ONE_FLUX,
            });
            Transaction::sign(key, chain_id, *nonce, Amount::from_base_units(1_000), pay).unwrap()
        })
        .collect()
}

fn batch(txs: &[Transaction]) -> Vec<u8> {
    Message::Txs(txs.to_vec()).to_bytes().unwrap()
}

/// Runs the host's timers until it has committed a block with transactions.
fn commit_pooled(host: &mut Host<MemStore, u8>, net: &mut Recorder, now: &mut u64) {
    while !host.pool().unwrap().is_empty() {
        let timers = std::mem::take(&mut net.timers);
        assert!(!timers.is_empty(), "the host stopped deciding");
        for (after, input) in timers {
            *now += after;
            host.on_timer(input, *now, net).unwrap();
        }
    }
}

/// A batch relayed after its block committed: skipped unchecked, and its peer not charged
/// (nor its replays). Before the fix: three signature checks and `Offence::Refused`.
#[test]
fn a_batch_that_arrives_after_its_block_costs_its_peer_nothing() {
    let (mut host, keys, t0) = alone();
    let mut net = Recorder::default();
    let mut now = t0 + 1;
    host.start(now, &mut net).unwrap();
    let txs = transfers(&host, &keys[0].owner, &[0, 1, 2], 9);
    host.on_gossip(3, &batch(&txs), now, &mut net).unwrap();
    assert_eq!(host.pool().unwrap().len(), 3);
    commit_pooled(&mut host, &mut net, &mut now);
    let before = host.tx_gossip_stats();

    // Another honest peer relays the same batch late, twice.
    for _ in 0..2 {
        host.on_gossip(4, &batch(&txs), now, &mut net).unwrap();
    }
    assert!(net.penalties.is_empty(), "{:?}", net.penalties);
    let after = host.tx_gossip_stats();
    assert_eq!(after.signatures_checked, before.signatures_checked);
    assert_eq!(after.committed - before.committed, 6);
    assert_eq!(host.pool().unwrap().len(), 0);
}

/// The race inside a node: a batch's signatures are checked on the verifier thread, the block
/// carrying it commits meanwhile, and the state then refuses it as stale. Free for its peer;
/// a stale transaction no block committed lately (another transaction took its nonce) is
/// still charged.
#[test]
fn a_batch_whose_block_commits_during_its_check_costs_nothing_but_a_stale_one_does() {
    let (mut host, keys, t0) = alone();
    let mut net = Recorder::default();
    let mut now = t0 + 1;
    host.start(now, &mut net).unwrap();
    let owner = &keys[0].owner;
    let txs = transfers(&host, owner, &[0, 1], 9);
    let params = host.read().unwrap().state().params().clone();
    let pool = host.ledger.mempool().clone();
    let late = txs::verify_batch(txs.clone(), &params, &host.refused_txs(), &pool);
    assert_eq!(late.checked(), 2);
    // The same transactions reach the pool from another peer and commit.
    host.on_gossip(3, &batch(&txs), now, &mut net).unwrap();
    commit_pooled(&mut host, &mut net, &mut now);
    assert_eq!(
        host.on_verified_txs(4, late, &mut net).unwrap(),
        Verdict::Ignore
    );
    assert!(net.penalties.is_empty(), "{:?}", net.penalties);

    // Nonce 0 again, paying someone else: stale, and never committed.
    let other = transfers(&host, owner, &[0], 10);
    host.on_gossip(5, &batch(&other), now, &mut net).unwrap();
    assert_eq!(net.penalties, vec![(5, Offence::Refused)]);
}
