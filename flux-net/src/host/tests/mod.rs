//! Tests of the host: what it keeps, relays and refuses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attacks;
mod late_gossip;

use std::sync::{Arc, Mutex, RwLock};

use super::*;
use crate::message::Message;
use crate::network::Offence;
use flux_chain::chain::Chain;
use flux_chain::consensus::{Step, Vote, VoteKind};
use flux_chain::genesis::Genesis;
use flux_chain::mempool::{Mempool, MempoolConfig};
use flux_chain::store::MemStore;
use flux_core::crypto::Scheme;

fn host() -> (
    Host<MemStore, u8>,
    Vec<flux_chain::devnet::ValidatorKeys>,
    u64,
) {
    host_of_committee(4)
}

/// A host run by the first of `validators` genesis validators, its keys and genesis time.
fn host_of_committee(
    validators: u32,
) -> (
    Host<MemStore, u8>,
    Vec<flux_chain::devnet::ValidatorKeys>,
    u64,
) {
    let (genesis, keys) = Genesis::devnet_with_nodes(validators, 3).unwrap();
    let chain = Chain::open_or_create(MemStore::new(), &genesis).unwrap();
    let chain = Arc::new(RwLock::new(chain));
    let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
    let config = HostConfig::new(Some(keys[0].operator.clone()));
    (
        Host::new(config, chain, pool).unwrap(),
        keys,
        genesis.timestamp_ms,
    )
}

fn vote_bytes(key: &SecretKey, height: Height) -> Vec<u8> {
    let chain_id = flux_core::ChainId::DEVNET;
    let vote = Vote {
        height,
        round: 0,
        kind: VoteKind::Prevote,
        value: None,
        validator: NodeId::of(&key.public_key()),
    };
    Message::Vote(vote.sign(key, chain_id).unwrap())
        .to_bytes()
        .unwrap()
}

#[test]
fn a_committee_vote_for_a_later_height_raises_the_network_height() {
    let (mut host, keys, t0) = host();
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    assert_eq!(host.network_height().unwrap(), 0);
    host.on_gossip(2, &vote_bytes(&keys[1].operator, 40), t0 + 2, &mut net)
        .unwrap();
    assert_eq!(host.network_height().unwrap(), 40);
    assert!(net.penalties.is_empty());
    // A lower claim changes nothing.
    host.on_gossip(2, &vote_bytes(&keys[2].operator, 30), t0 + 3, &mut net)
        .unwrap();
    assert_eq!(host.network_height().unwrap(), 40);
}

#[test]
fn a_stranger_or_a_forged_vote_does_not_count_and_a_forgery_costs_its_sender() {
    let (mut host, keys, t0) = host();
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    let stranger = SecretKey::from_bytes(Scheme::Ed25519, &[77; 32]).unwrap();
    host.on_gossip(5, &vote_bytes(&stranger, 1_000), t0 + 2, &mut net)
        .unwrap();
    assert_eq!(host.network_height().unwrap(), 0);
    // A committee member's id with another key's signature.
    let chain_id = flux_core::ChainId::DEVNET;
    let vote = Vote {
        height: 1_000,
        round: 0,
        kind: VoteKind::Prevote,
        value: None,
        validator: NodeId::of(&keys[1].operator.public_key()),
    };
    let forged = Message::Vote(vote.sign(&stranger, chain_id).unwrap())
        .to_bytes()
        .unwrap();
    host.on_gossip(6, &forged, t0 + 3, &mut net).unwrap();
    assert_eq!(host.network_height().unwrap(), 0);
    assert_eq!(net.penalties, vec![(6, Offence::Invalid)]);
}

#[test]
fn a_far_ahead_vote_is_not_buffered_but_makes_the_host_sync_from_its_sender() {
    let (mut host, keys, t0) = host();
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    let near = vote_bytes(&keys[1].operator, 1 + FUTURE_WINDOW);
    let far = vote_bytes(&keys[1].operator, 500);
    host.on_gossip(3, &near, t0 + 2, &mut net).unwrap();
    host.on_gossip(4, &far, t0 + 2, &mut net).unwrap();
    assert_eq!(
        host.consensus.future_len(),
        1,
        "only the near one waits for its height"
    );
    host.on_tick(&mut net).unwrap();
    assert_eq!(net.sync_requests.last(), Some(&(Some(4), 1)));
    // A stranger's far claims neither buffer nor steer the sync.
    let stranger = SecretKey::from_bytes(Scheme::Ed25519, &[78; 32]).unwrap();
    for h in 2..100 {
        host.on_gossip(9, &vote_bytes(&stranger, h), t0 + 3, &mut net)
            .unwrap();
    }
    assert_eq!(host.consensus.future_len(), 1);
    let requests = net.sync_requests.len();
    host.on_tick(&mut net).unwrap();
    assert!(
        net.sync_requests[requests..]
            .iter()
            .all(|(p, _)| *p != Some(9))
    );
}

#[test]
fn a_proposal_signed_by_a_stranger_is_not_held() {
    let (mut host, _keys, t0) = host();
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    let stranger = SecretKey::from_bytes(Scheme::Ed25519, &[79; 32]).unwrap();
    let state = host.read().unwrap().state().clone();
    let block =
        flux_chain::transition::build_block(&state, &stranger, t0 + 1_000, vec![], vec![]).unwrap();
    let proposal = flux_chain::consensus::Proposal {
        height: 1,
        round: 0,
        value: block.id().unwrap(),
        pol_round: None,
        proposer: NodeId::of(&stranger.public_key()),
    }
    .sign(&stranger, flux_core::ChainId::DEVNET)
    .unwrap();
    let held = host.held_blocks().len();
    let bytes = Message::Proposal { proposal, block }.to_bytes().unwrap();
    host.on_gossip(7, &bytes, t0 + 2, &mut net).unwrap();
    assert_eq!(host.held_blocks().len(), held);
    assert_eq!(net.penalties, vec![(7, Offence::Invalid)]);
}

#[test]
fn a_stalled_height_is_rebroadcast_with_backoff() {
    let (mut host, _keys, t0) = host();
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    // Nobody answers: the height stalls. Count the re-broadcasting ticks.
    let mut rebroadcasts = Vec::new();
    for tick in 1..=16u32 {
        let before = net.published.len();
        host.on_tick(&mut net).unwrap();
        if net.published.len() > before {
            rebroadcasts.push(tick);
        }
    }
    // The first tick only records where the machine stands; then stalled ticks 1, 2, 4
    // and 8 re-broadcast (ticks 2, 3, 5, 9), then every 8th.
    assert_eq!(rebroadcasts, vec![2, 3, 5, 9]);
}

#[test]
fn a_decided_height_waiting_for_the_next_is_not_stalled() {
    let (genesis, keys) = Genesis::devnet_with_nodes(1, 3).unwrap();
    let chain = Chain::open_or_create(MemStore::new(), &genesis).unwrap();
    let chain = Arc::new(RwLock::new(chain));
    let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
    let config = HostConfig::new(Some(keys[0].operator.clone()));
    let mut host: Host<MemStore, u8> = Host::new(config, chain, pool).unwrap();
    let mut net = Recorder::default();
    // Alone, it decides height 1 at once and waits for the next height's timer.
    host.start(genesis.timestamp_ms + 1, &mut net).unwrap();
    assert_eq!(host.machine().map(Machine::step), Some(Step::Commit));
    // Late copies of the decided height's messages arrive.
    let late: Vec<Vec<u8>> = net.published.iter().map(|(_, b)| b.clone()).collect();
    assert!(!late.is_empty());
    for bytes in &late {
        host.on_gossip(1, bytes, genesis.timestamp_ms + 2, &mut net)
            .unwrap();
    }
    let published = net.published.len();
    for _ in 0..10 {
        host.on_tick(&mut net).unwrap();
    }
    assert_eq!(net.published.len(), published);
}
