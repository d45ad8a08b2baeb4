//! Regression tests of issue 19: each replays one attack of a byzantine committee member or an
//! unstaked peer on the host.

use flux_chain::block::Block;
use flux_chain::consensus::{Proposal, Round, SignedProposal, Vote, VoteKind};
use flux_chain::devnet::ValidatorKeys;
use flux_chain::genesis::Genesis;
use flux_chain::mempool::MempoolConfig;
use flux_chain::store::MemStore;
use flux_chain::tx::{Transaction, TxKind};
use flux_core::crypto::Scheme;
use flux_core::{Address, Amount, ChainId};

use super::*;
use crate::message::{Decided, Message};
use crate::network::Topic;

const CHAIN: ChainId = ChainId::DEVNET;

/// A block for the chain's next height proposed by `proposer`, made distinct by `salt` (its
/// timestamp).
fn block_by(host: &Host<MemStore, u8>, proposer: &SecretKey, salt: u64) -> Block {
    let state = host.read().unwrap().state().clone();
    let ts = state.tip().timestamp_ms + 1_000 + salt;
    flux_chain::transition::build_block(&state, proposer, ts, vec![], vec![]).unwrap()
}

fn proposal_bytes(
    key: &SecretKey,
    height: Height,
    round: Round,
    pol_round: Option<Round>,
    block: Block,
) -> Vec<u8> {
    Message::Proposal {
        proposal: signed_proposal(key, height, round, pol_round, &block),
        block,
    }
    .to_bytes()
    .unwrap()
}

fn signed_proposal(
    key: &SecretKey,
    height: Height,
    round: Round,
    pol_round: Option<Round>,
    block: &Block,
) -> SignedProposal {
    Proposal {
        height,
        round,
        value: block.id().unwrap(),
        pol_round,
        proposer: NodeId::of(&key.public_key()),
    }
    .sign(key, CHAIN)
    .unwrap()
}

fn vote(key: &SecretKey, height: Height, round: Round, kind: VoteKind, block: &Block) -> Vec<u8> {
    let vote = Vote {
        height,
        round,
        kind,
        value: Some(block.id().unwrap()),
        validator: NodeId::of(&key.public_key()),
    };
    Message::Vote(vote.sign(key, CHAIN).unwrap())
        .to_bytes()
        .unwrap()
}

/// A 4-member devnet host run by the key `index` of the genesis's validators.
fn host_of(index: usize) -> (Host<MemStore, u8>, Vec<ValidatorKeys>, u64) {
    let (genesis, keys) = Genesis::devnet_with_nodes(4, 3).unwrap();
    let chain = Chain::open_or_create(MemStore::new(), &genesis).unwrap();
    let chain = Arc::new(RwLock::new(chain));
    let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
    let config = HostConfig::new(Some(keys[index].operator.clone()));
    (
        Host::new(config, chain, pool).unwrap(),
        keys,
        genesis.timestamp_ms,
    )
}

/// The index in `keys` of the proposer of `(height, round)`.
fn proposer_index(
    host: &Host<MemStore, u8>,
    keys: &[ValidatorKeys],
    height: Height,
    round: Round,
) -> usize {
    let chain = host.read().unwrap();
    let epoch = chain.state().params().consensus.epoch_length;
    let id = chain
        .committee(height)
        .unwrap()
        .proposer(height, round, epoch);
    keys.iter()
        .position(|k| NodeId::of(&k.operator.public_key()) == id)
        .unwrap()
}

/// Replays issue 19 point 1 (block cache exhaustion): a committee member that is not the
/// proposer fills the held-block cache with junk proposals for rounds it does not propose;
/// the proposer's honest block must still be held.
#[test]
fn junk_proposals_of_a_member_do_not_crowd_out_the_proposers_block() {
    let (probe, keys, _) = host_of(0);
    // The host is the proposer of round 1; the attacker proposes nothing before round 1.
    let me = proposer_index(&probe, &keys, 1, 1);
    let honest = proposer_index(&probe, &keys, 1, 0);
    let attacker = (0..4).find(|i| *i != me && *i != honest).unwrap();
    let (mut host, keys, t0) = host_of(me);
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    let key = &keys[attacker].operator;
    for round in 0..100u32 {
        if proposer_index(&host, &keys, 1, round) == attacker {
            continue;
        }
        let junk = block_by(&host, key, u64::from(round));
        host.on_gossip(
            9,
            &proposal_bytes(key, 1, round, None, junk),
            t0 + 2,
            &mut net,
        )
        .unwrap();
    }
    let block = block_by(&host, &keys[honest].operator, 7_777);
    let id = block.id().unwrap();
    let bytes = proposal_bytes(&keys[honest].operator, 1, 0, None, block);
    host.on_gossip(2, &bytes, t0 + 3, &mut net).unwrap();
    assert!(
        host.held_blocks().contains(&id),
        "the proposer's block was refused; {} blocks held",
        host.held_blocks().len()
    );
}

/// Replays issue 19 point 1 (block cache exhaustion) by a member that is the proposer of
/// some rounds: it proposes many blocks in each of its rounds, far ahead too. At most two
/// blocks are held per round, and the proposer of round 0 is still heard.
#[test]
fn a_proposer_floods_its_own_rounds_and_the_cache_stays_bounded() {
    let (probe, keys, _) = host_of(0);
    let honest = proposer_index(&probe, &keys, 1, 0);
    let me = (0..4).find(|i| *i != honest).unwrap();
    let attacker = (0..4).find(|i| *i != honest && *i != me).unwrap();
    let (mut host, keys, t0) = host_of(me);
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    let key = &keys[attacker].operator;
    let mut salt = 0;
    for round in 0..400u32 {
        if proposer_index(&host, &keys, 1, round) != attacker {
            continue;
        }
        for _ in 0..5 {
            salt += 1;
            let junk = block_by(&host, key, salt);
            host.on_gossip(
                9,
                &proposal_bytes(key, 1, round, None, junk),
                t0 + 2,
                &mut net,
            )
            .unwrap();
        }
    }
    assert!(
        host.held_blocks().len() <= MAX_HELD_BLOCKS / 2,
        "{} blocks held",
        host.held_blocks().len()
    );
    let block = block_by(&host, &keys[honest].operator, 99_999);
    let id = block.id().unwrap();
    let bytes = proposal_bytes(&keys[honest].operator, 1, 0, None, block);
    host.on_gossip(2, &bytes, t0 + 3, &mut net).unwrap();
    assert!(host.held_blocks().contains(&id));
}

/// Replays issue 19 point 5 (unverified gossip re-published as our own): a vote of a
/// committee member's id with a forged signature, for the height being decided, must not be
/// re-broadcast when the height stalls (the honest re-broadcaster would be banned for it).
#[test]
fn a_forged_vote_is_never_rebroadcast() {
    let (mut host, keys, t0) = host_of(0);
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    let stranger = SecretKey::from_bytes(Scheme::Ed25519, &[66; 32]).unwrap();
    let forged = Message::Vote(
        Vote {
            height: 1,
            round: 0,
            kind: VoteKind::Prevote,
            value: None,
            validator: NodeId::of(&keys[1].operator.public_key()),
        }
        .sign(&stranger, CHAIN)
        .unwrap(),
    )
    .to_bytes()
    .unwrap();
    host.on_gossip(5, &forged, t0 + 2, &mut net).unwrap();
    assert_eq!(net.penalties, vec![(5, Offence::Invalid)]);
    let published = net.published.len();
    for _ in 0..16 {
        host.on_tick(&mut net).unwrap();
    }
    assert!(net.published.len() > published, "the stall re-broadcasts");
    assert!(
        net.published.iter().all(|(_, bytes)| *bytes != forged),
        "the forged vote was re-broadcast as ours"
    );
}

/// Transfers signed by a key whose account holds nothing: valid signatures, refused by the
/// state (insufficient balance).
fn unfunded_batch(n: u64) -> Vec<u8> {
    let pauper = SecretKey::from_bytes(Scheme::Ed25519, &[55; 32]).unwrap();
    transfers(&pauper, 0..n)
}

/// Replays issue 19 point 6 (transaction gossip flood): a peer replays one batch of
/// transactions that the state refuses. Each replay costs the peer, and the refused ids are
/// remembered, so the signatures are checked once, not once per replay.
#[test]
fn a_replayed_refused_batch_is_charged_and_checked_once() {
    let (mut host, _keys, t0) = host_of(0);
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    let batch = unfunded_batch(10);
    for _ in 0..3 {
        host.on_gossip(8, &batch, t0 + 2, &mut net).unwrap();
    }
    let charged = net.penalties.iter().filter(|(p, _)| *p == 8).count();
    assert_eq!(charged, 3, "penalties: {:?}", net.penalties);
    assert_eq!(host.pool().unwrap().len(), 0);
    // The work: ten signatures checked once, the replays skipped by id.
    let stats = host.tx_gossip_stats();
    assert_eq!(
        (stats.signatures_checked, stats.refused, stats.replayed),
        (10, 10, 20)
    );
    // The same through the node's path: checked off the consensus thread, judged here.
    let params = host.read().unwrap().state().params().clone();
    let Message::Txs(txs) = Message::from_bytes(&batch).unwrap() else {
        unreachable!()
    };
    let verified = txs::verify_batch(txs, &params, &host.refused_txs(), host.ledger.mempool());
    assert_eq!((verified.checked(), verified.invalid()), (0, 0));
    let verdict = host.on_verified_txs(8, verified, &mut net).unwrap();
    assert_eq!(verdict, Verdict::Ignore);
    assert_eq!(net.penalties.iter().filter(|(p, _)| *p == 8).count(), 4);
    assert_eq!(host.tx_gossip_stats().signatures_checked, 10);
}

/// The other side of issue 19 point 6: an honest peer's batch that arrives before the one it
/// follows (a nonce gap here) costs it nothing, and the batch it follows is taken and relayed.
#[test]
fn an_honest_batch_out_of_order_costs_nothing() {
    let (mut host, keys, t0) = host_of(0);
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    let owner = &keys[1].owner;
    let pay = |nonce| {
        Transaction::sign(
            owner,
            CHAIN,
            nonce,
            Amount::from_base_units(1_000),
            TxKind::Transfer(flux_chain::tx::Transfer {
                to: Address::from_bytes([9; 20]),
                amount: Amount::ONE_FLUX,
            }),
        )
        .unwrap()
    };
    let later = Message::Txs(vec![pay(1), pay(2)]).to_bytes().unwrap();
    let first = Message::Txs(vec![pay(0)]).to_bytes().unwrap();
    let verdict = host.on_gossip_judged(3, &later, t0 + 2, &mut net);
    // (The node path leaves transactions to its verifier: judged as not for it.)
    assert_eq!(verdict.unwrap(), Verdict::Ignore);
    host.on_gossip(3, &later, t0 + 2, &mut net).unwrap();
    let params = host.read().unwrap().state().params().clone();
    let Message::Txs(txs) = Message::from_bytes(&first).unwrap() else {
        unreachable!()
    };
    let batch = txs::verify_batch(txs, &params, &host.refused_txs(), host.ledger.mempool());
    assert_eq!(
        host.on_verified_txs(3, batch, &mut net).unwrap(),
        Verdict::Accept
    );
    assert!(net.penalties.is_empty(), "{:?}", net.penalties);
    assert_eq!(host.pool().unwrap().len(), 1);
}

/// A gossiped batch of transfers signed by `key` with these nonces (valid signatures).
fn transfers(key: &SecretKey, nonces: impl IntoIterator<Item = u64>) -> Vec<u8> {
    let txs = nonces
        .into_iter()
        .map(|nonce| {
            Transaction::sign(
                key,
                CHAIN,
                nonce,
                Amount::from_base_units(1_000),
                TxKind::Transfer(flux_chain::tx::Transfer {
                    to: Address::from_bytes([9; 20]),
                    amount: Amount::ONE_FLUX,
                }),
            )
            .unwrap()
        })
        .collect();
    Message::Txs(txs).to_bytes().unwrap()
}

/// Replays issue 19 point 6 (refusals by state rules cost the sender nothing) with nonce
/// gaps: a peer gossips validly signed transactions of a funded account with nonces far ahead
/// of its next one. The mempool refuses each for the gap, after a signature check, and the
/// peer was never charged, so it could make every receiver check signatures for free. Each
/// such batch, and each replay, now costs the peer; the replays are still checked once; one
/// nonce past [`txs::MAX_UNCHARGED_NONCE_GAP`] is enough to be charged.
#[test]
fn transactions_with_nonces_far_ahead_are_charged() {
    let (mut host, keys, t0) = host_of(0);
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    let owner = &keys[1].owner;
    let charged = |net: &Recorder| {
        net.penalties
            .iter()
            .filter(|(p, o)| *p == 8 && *o == Offence::Refused)
            .count()
    };
    let batches: Vec<Vec<u8>> = (0..3)
        .map(|b| transfers(owner, (0..10).map(|i| 1_000_000 + b * 10 + i)))
        .collect();
    for batch in &batches {
        let verdict = host.on_gossip_judged(8, batch, t0 + 2, &mut net);
        // (The node path leaves transactions to its verifier: judged as not for it.)
        assert_eq!(verdict.unwrap(), Verdict::Ignore);
        host.on_gossip(8, batch, t0 + 2, &mut net).unwrap();
    }
    assert_eq!(charged(&net), 3, "penalties: {:?}", net.penalties);
    // A replay costs the peer again, and a lookup here.
    host.on_gossip(8, &batches[0], t0 + 2, &mut net).unwrap();
    assert_eq!(charged(&net), 4);
    let stats = host.tx_gossip_stats();
    assert_eq!((stats.signatures_checked, stats.replayed), (30, 10));
    assert_eq!(host.pool().unwrap().len(), 0);

    // Just past the window, through the node's path (signatures off the consensus thread).
    let first_charged = txs::MAX_UNCHARGED_NONCE_GAP + 1;
    let Message::Txs(batch) = Message::from_bytes(&transfers(owner, [first_charged])).unwrap()
    else {
        unreachable!()
    };
    let params = host.read().unwrap().state().params().clone();
    let verified = txs::verify_batch(batch, &params, &host.refused_txs(), host.ledger.mempool());
    assert_eq!(
        host.on_verified_txs(8, verified, &mut net).unwrap(),
        Verdict::Ignore
    );
    assert_eq!(charged(&net), 5, "penalties: {:?}", net.penalties);
}

/// The other side of the nonce-gap charge (issue 19 point 6): an honest sender's full gossip
/// batch ([`HostConfig::tx_batch`] transactions) that overtakes the full batch before it is
/// ahead by up to one less than [`txs::MAX_UNCHARGED_NONCE_GAP`]; with one more transaction at
/// the window's edge it costs the peer nothing, nor does its replay, and the batch it follows
/// is taken.
#[test]
fn an_honest_batch_that_overtakes_a_full_batch_costs_nothing() {
    let (mut host, keys, t0) = host_of(0);
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    let owner = &keys[1].owner;
    let batch = HostConfig::new(None).tx_batch as u64;
    assert_eq!(txs::MAX_UNCHARGED_NONCE_GAP, 2 * batch);
    // The second batch, and the window's edge: nonce 2 * batch while the next is 0.
    let later = transfers(owner, batch..=2 * batch);
    host.on_gossip(3, &later, t0 + 2, &mut net).unwrap();
    host.on_gossip(3, &later, t0 + 2, &mut net).unwrap();
    assert!(net.penalties.is_empty(), "{:?}", net.penalties);
    assert_eq!(host.pool().unwrap().len(), 0);
    // The batch it follows arrives: taken and relayed, still nothing charged.
    let first = transfers(owner, 0..3);
    assert_eq!(
        host.on_gossip_judged(3, &first, t0 + 2, &mut net).unwrap(),
        Verdict::Ignore
    );
    let Message::Txs(first) = Message::from_bytes(&first).unwrap() else {
        unreachable!()
    };
    let params = host.read().unwrap().state().params().clone();
    let verified = txs::verify_batch(first, &params, &host.refused_txs(), host.ledger.mempool());
    assert_eq!(
        host.on_verified_txs(3, verified, &mut net).unwrap(),
        Verdict::Accept
    );
    assert!(net.penalties.is_empty(), "{:?}", net.penalties);
    assert_eq!(host.pool().unwrap().len(), 3);
}

/// A producer chain of `n` decided blocks (one validator deciding alone), served as sync
/// items, and a fresh follower host of the same genesis.
fn synced_pair(n: u64) -> (Vec<Vec<u8>>, Host<MemStore, u8>, u64) {
    let (genesis, keys) = Genesis::devnet_with_nodes(1, 3).unwrap();
    let make = |key: Option<SecretKey>| {
        let chain = Chain::open_or_create(MemStore::new(), &genesis).unwrap();
        let chain = Arc::new(RwLock::new(chain));
        let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
        Host::<MemStore, u8>::new(HostConfig::new(key), chain, pool).unwrap()
    };
    let mut producer = make(Some(keys[0].operator.clone()));
    let mut net = Recorder::default();
    let mut now = genesis.timestamp_ms + 1_000;
    producer.start(now, &mut net).unwrap();
    while producer.read().unwrap().height() < n {
        let timers = std::mem::take(&mut net.timers);
        assert!(!timers.is_empty());
        for (after, input) in timers {
            now += after;
            producer.on_timer(input, now, &mut net).unwrap();
        }
    }
    let items = serve_sync_from(&*producer.read().unwrap(), 1, n);
    (items, make(None), now)
}

/// Replays issue 19 point 8 (sync blame): a peer answers with a forged block for a height
/// above the next one, which is kept; an honest peer then brings the next height, and the
/// forged item is tried. Only the peer that sent it is charged.
#[test]
fn a_poisoned_sync_item_costs_its_sender_not_the_honest_peer() {
    let (items, mut follower, now) = synced_pair(3);
    let mut net = Recorder::default();
    // The liar's item for height 2: the decided block with a certificate stripped of its
    // precommits.
    let Decided { block, mut commit } = Decided::from_bytes(&items[1]).unwrap();
    commit.precommits.clear();
    let forged = Decided { block, commit }.to_bytes().unwrap();
    follower
        .on_sync_response(66, vec![forged], now, &mut net)
        .unwrap();
    // The honest peer brings height 1.
    follower
        .on_sync_response(1, vec![items[0].clone()], now, &mut net)
        .unwrap();
    assert!(
        net.penalties.iter().all(|(p, _)| *p != 1),
        "the honest peer was charged: {:?}",
        net.penalties
    );
    assert!(net.penalties.contains(&(66, Offence::Invalid)));
    assert_eq!(follower.read().unwrap().height(), 1);
    // The honest peer's next answer still applies.
    follower
        .on_sync_response(1, items[1..].to_vec(), now, &mut net)
        .unwrap();
    assert_eq!(follower.read().unwrap().height(), 3);
}

/// Replays issue 19 point 13 (restart re-proposal): a validator locked on a block restarts
/// and is the proposer of the next round; it must re-propose that block, with the block.
#[test]
fn a_restarted_proposer_reproposes_its_valid_block_with_the_block() {
    let (probe, keys, _) = host_of(0);
    let first = proposer_index(&probe, &keys, 1, 0);
    let me = proposer_index(&probe, &keys, 1, 1);
    assert_ne!(first, me);
    let others: Vec<usize> = (0..4).filter(|i| *i != me && *i != first).collect();
    let (mut host, keys, t0) = host_of(me);
    let mut net = Recorder::default();
    host.start(t0 + 1, &mut net).unwrap();
    // Round 0: the proposer's block, and prevotes for it from two others: with ours a polka,
    // so the host locks it and precommits (its resume point is stored first).
    let block = block_by(&host, &keys[first].operator, 0);
    let id = block.id().unwrap();
    let bytes = proposal_bytes(&keys[first].operator, 1, 0, None, block.clone());
    host.on_gossip(1, &bytes, t0 + 2, &mut net).unwrap();
    for i in [first, others[0]] {
        let v = vote(&keys[i].operator, 1, 0, VoteKind::Prevote, &block);
        host.on_gossip(1, &v, t0 + 3, &mut net).unwrap();
    }
    assert_eq!(host.machine().unwrap().valid(), Some((0, id)));

    // Restart: a new host over the same chain (and store).
    let chain = host.chain().clone();
    let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
    drop(host);
    let config = HostConfig::new(Some(keys[me].operator.clone()));
    let mut restarted: Host<MemStore, u8> = Host::new(config, chain, pool).unwrap();
    let mut net = Recorder::default();
    restarted.start(t0 + 10_000, &mut net).unwrap();
    assert_eq!(restarted.machine().unwrap().round(), 1);
    let reproposed = net.published.iter().any(|(_, bytes)| {
        matches!(
            Message::from_bytes(bytes),
            Ok(Message::Proposal { proposal, block })
                if proposal.proposal.value == id && block.id().ok() == Some(id)
        )
    });
    assert!(reproposed, "the valid block was not re-proposed");
}

/// A network that, whenever a proposal leaves, records the resume point stored at that moment.
struct ResumeWatch {
    chain: SharedChain<MemStore>,
    at_proposals: Vec<Option<flux_chain::consensus::ResumePoint>>,
}

impl Network for ResumeWatch {
    type Peer = u8;

    fn publish(&mut self, _topic: Topic, bytes: Vec<u8>) {
        if let Ok(Message::Proposal { .. }) = Message::from_bytes(&bytes) {
            let stored = self.chain.read().unwrap().resume_point().unwrap();
            self.at_proposals.push(stored);
        }
    }

    fn request_sync(&mut self, _peer: Option<u8>, _from_height: Height) {}

    fn penalize(&mut self, _peer: u8, _offence: Offence) {}

    fn set_timer(&mut self, _after_ms: u64, _input: Input) {}
}

/// Replays the crash window left by issue 19 points 12 and 13: a proposer that crashes after
/// its proposal left but before its first vote was stored would restart in the same round and
/// sign a second, different proposal for it (slashable evidence against an honest node). The
/// resume point must already cover the round when the proposal leaves, so a restart starts
/// the next round.
#[test]
fn a_proposal_leaves_only_after_its_round_is_stored() {
    let (probe, keys, _) = host_of(0);
    let me = proposer_index(&probe, &keys, 1, 0);
    let (mut host, _keys, t0) = host_of(me);
    let mut net = ResumeWatch {
        chain: host.chain().clone(),
        at_proposals: Vec::new(),
    };
    host.start(t0 + 1, &mut net).unwrap();
    assert_eq!(
        net.at_proposals.len(),
        1,
        "the proposer of (1, 0) proposed once"
    );
    let stored = net.at_proposals[0].expect("no resume point stored when the proposal left");
    assert_eq!((stored.height, stored.round), (1, 0));
}
