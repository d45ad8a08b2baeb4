//! Block sync between real nodes: round trips at the frame limit, truncation of oversized
//! answers, refusals, failures, and priority of sync events over gossip.

use super::support::{TestNode, bytes, config, mesh};
use crate::p2p::codec::response_body_len;
use crate::p2p::{NetEvent, SyncReply, Topic};
use crate::testkit::wait::wait_until_async;
use libp2p::PeerId;
use libp2p::identity::Keypair;

/// The frame limit: the smallest a node accepts (issue 19 point 3).
const MAX: usize = crate::p2p::MIN_MAX_MESSAGE_BYTES;

async fn next_request(node: &mut TestNode) -> (PeerId, u64, SyncReply) {
    node.next("sync request", |e| match e {
        NetEvent::SyncRequest {
            peer,
            from_height,
            reply,
        } => Some((peer, from_height, reply)),
        _ => None,
    })
    .await
}

async fn next_response(node: &mut TestNode) -> (PeerId, u64, Vec<Vec<u8>>) {
    node.next("sync response", |e| match e {
        NetEvent::SyncResponse {
            peer,
            from_height,
            items,
        } => Some((peer, from_height, items)),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_round_trips_at_the_limit_and_cuts_oversized_answers() {
    let mut nodes = mesh(2, |c| c.max_message_bytes = MAX).await;
    let (a_id, b_id) = (nodes[0].id(), nodes[1].id());
    // Two items whose response body is exactly the limit.
    let first = bytes(1_000, 1);
    let second = bytes(MAX - response_body_len(&[first.clone(), Vec::new()]), 2);
    let items = vec![first, second];
    assert_eq!(response_body_len(&items), MAX);

    nodes[1].handle.request_sync(Some(a_id), 5);
    let (peer, from, reply) = next_request(&mut nodes[0]).await;
    assert_eq!(
        (peer, from, reply.max_items(), reply.max_bytes()),
        (b_id, 5, 256, MAX)
    );
    reply.send(items.clone());
    assert_eq!(next_response(&mut nodes[1]).await, (a_id, 5, items.clone()));

    // One more byte of items than fits: only the prefix that fits is sent.
    nodes[1].handle.request_sync(None, 9);
    let (_, from, reply) = next_request(&mut nodes[0]).await;
    assert_eq!(from, 9);
    let mut too_many = items.clone();
    too_many.push(vec![0]);
    reply.send(too_many);
    assert_eq!(next_response(&mut nodes[1]).await, (a_id, 9, items));

    // A single item over the limit: an empty answer, never an oversized frame.
    nodes[1].handle.request_sync(None, 11);
    next_request(&mut nodes[0])
        .await
        .2
        .send(vec![bytes(MAX, 3)]);
    assert_eq!(next_response(&mut nodes[1]).await, (a_id, 11, Vec::new()));

    // A dropped reply refuses the request; the asker hears of the failure.
    nodes[1].handle.request_sync(None, 13);
    drop(next_request(&mut nodes[0]).await);
    let failed = nodes[1]
        .next("sync failure", |e| match e {
            NetEvent::SyncFailed { peer, from_height } => Some((peer, from_height)),
            _ => None,
        })
        .await;
    assert_eq!(failed, (Some(a_id), 13));
    assert_eq!(nodes[0].handle.stats().refused_sync_requests, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_without_peers_fails_at_once() {
    let mut node = TestNode::start(config(Keypair::generate_ed25519())).await;
    node.handle.request_sync(None, 1);
    let failed = node
        .next("sync failure", |e| match e {
            NetEvent::SyncFailed { peer, from_height } => Some((peer, from_height)),
            _ => None,
        })
        .await;
    assert_eq!(failed, (None, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_host_loses_gossip_but_not_sync_responses() {
    let mut nodes = mesh(2, |c| c.event_capacity = 8).await;
    let a_id = nodes[0].id();
    for i in 0..40u8 {
        nodes[0].handle.publish(Topic::Txs, vec![i]);
    }
    // Every publish has reached b (delivered or dropped) and overflowed its channel before b
    // asks for blocks.
    let arrived = |node: &TestNode| {
        let stats = node.handle.stats();
        stats.gossip_received + stats.dropped_gossip_events
    };
    wait_until_async("the 40 publishes at b", async || arrived(&nodes[1]) >= 40)
        .await
        .unwrap();
    nodes[1].handle.request_sync(Some(a_id), 1);
    next_request(&mut nodes[0])
        .await
        .2
        .send(vec![b"block".to_vec()]);
    assert_eq!(
        next_response(&mut nodes[1]).await,
        (a_id, 1, vec![b"block".to_vec()])
    );
    let stats = nodes[1].handle.stats();
    assert!(stats.dropped_gossip_events > 0, "{stats:?}");
    assert_eq!(arrived(&nodes[1]), 40, "{stats:?}");
}
