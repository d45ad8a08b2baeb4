//! Gossip between real nodes: exact delivery on both topics, re-publishes, shutdown.

use libp2p::identity::Keypair;

use super::support::{TestNode, WAIT, bytes, config, mesh};
use crate::p2p::{NetEvent, Topic, Validation};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_receive_exact_bytes_on_both_topics() {
    let mut nodes = mesh(3, |_| {}).await;
    let author = nodes[0].id();
    let vote = bytes(1_000, 1);
    let tx = bytes(77, 2);
    nodes[0].handle.publish(Topic::Consensus, vote.clone());
    nodes[0].handle.publish(Topic::Txs, tx.clone());
    for node in &mut nodes[1..] {
        let mut got = vec![node.next_gossip().await, node.next_gossip().await];
        got.sort_by_key(|(_, topic, _)| *topic);
        assert_eq!(
            got,
            vec![
                (author, Topic::Consensus, vote.clone()),
                (author, Topic::Txs, tx.clone())
            ]
        );
    }
    assert_eq!(nodes[0].handle.stats().published, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn republishing_the_same_bytes_is_delivered_again() {
    let mut nodes = mesh(3, |_| {}).await;
    let vote = bytes(200, 3);
    for round in 0..3 {
        nodes[1].handle.publish(Topic::Consensus, vote.clone());
        for i in [0, 2] {
            let (peer, topic, data) = nodes[i].next_gossip().await;
            assert_eq!(
                (peer, topic),
                (nodes[1].id(), Topic::Consensus),
                "round {round}"
            );
            assert_eq!(data, vote);
        }
    }
    // Exactly three copies: relays did not duplicate any of them. A copy sent again comes
    // before a later publish on the same connection, so once node 0 has the next publishes of
    // the author (node 1) and of the other relay (node 2), nothing else may have come.
    let markers = [(1, bytes(10, 11)), (2, bytes(10, 12))];
    for (from, marker) in &markers {
        nodes[*from]
            .handle
            .publish(Topic::Consensus, marker.clone());
    }
    let mut got = vec![nodes[0].next_gossip().await, nodes[0].next_gossip().await];
    got.sort_by_key(|(_, _, data)| data.clone());
    let expected: Vec<_> = markers
        .iter()
        .map(|(from, marker)| (nodes[*from].id(), Topic::Consensus, marker.clone()))
        .collect();
    assert_eq!(got, expected, "a copy came twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_and_maximal_payloads_arrive_and_oversized_are_dropped() {
    // The smallest limit a node accepts (issue 19 point 3).
    let max = crate::p2p::MIN_MAX_MESSAGE_BYTES;
    let mut nodes = mesh(2, |c| c.max_message_bytes = max).await;
    nodes[0].handle.publish(Topic::Consensus, Vec::new());
    nodes[0].handle.publish(Topic::Consensus, bytes(max, 4));
    nodes[0].handle.publish(Topic::Consensus, bytes(max + 1, 5));
    assert_eq!(nodes[1].next_gossip().await.2, Vec::<u8>::new());
    assert_eq!(nodes[1].next_gossip().await.2, bytes(max, 4));
    assert_eq!(nodes[0].handle.stats().dropped_publishes, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_disconnects_and_dropping_all_handles_stops_the_task() {
    let mut nodes = mesh(2, |_| {}).await;
    let b = nodes.pop().unwrap();
    let mut a = nodes.pop().unwrap();
    let b_id = b.id();
    b.handle.clone().shutdown().await;
    assert!(b.handle.is_stopped());
    a.next("disconnect", |e| {
        matches!(e, NetEvent::PeerDisconnected(p) if p == b_id).then_some(())
    })
    .await;
    assert_eq!(a.handle.peers(), 0);

    let mut stopped = a.handle.shared.stopped.clone();
    let TestNode { handle, events } = a;
    drop(handle);
    tokio::time::timeout(WAIT, stopped.wait_for(|s| *s))
        .await
        .unwrap()
        .unwrap();
    drop(events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_nodes_every_publish_reaches_every_peer() {
    let mut nodes = mesh(4, |_| {}).await;
    // Flood publishing: one hop, no waiting for a heartbeat (its latency is the bench
    // `p2p/flood_publish/4`).
    for from in 0..4 {
        let payload = bytes(500, from as u8);
        nodes[from]
            .handle
            .publish(Topic::Consensus, payload.clone());
        for to in (0..4).filter(|&to| to != from) {
            let (peer, _, data) = nodes[to].next_gossip().await;
            assert_eq!((peer, data), (nodes[from].id(), payload.clone()));
        }
    }
}

/// Replays issue 19 point 6 (gossip forwarded unvalidated): in a line `a - b - c`, `a`
/// publishes junk and then a valid message. The relay `b` forwards only what its host
/// accepted: `c` hears the valid message and never the junk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_forwards_only_what_its_host_accepted() {
    let mut b = TestNode::start(config(Keypair::generate_ed25519())).await;
    let mut line = Vec::new();
    for _ in 0..2 {
        let mut c = config(Keypair::generate_ed25519());
        c.bootstrap = vec![b.addr()];
        line.push(TestNode::start(c).await);
    }
    let (a, mut c) = (line.remove(0), line.remove(0));
    b.wait_peers(2).await;
    a.wait_peers(1).await;
    c.wait_peers(1).await;
    // a floods to b; b forwards to its mesh.
    a.wait_subscribed(&[b.id()]).await;
    b.wait_in_mesh(Topic::Txs, c.id()).await;
    let (junk, valid) = (bytes(300, 7), bytes(300, 8));
    a.handle.publish(Topic::Txs, junk.clone());
    a.handle.publish(Topic::Txs, valid.clone());
    for _ in 0..2 {
        let (data, id) = b
            .next("gossip at the relay", |e| match e {
                NetEvent::Gossip { data, id, .. } => Some((data, id)),
                _ => None,
            })
            .await;
        assert_eq!(id.source(), a.id());
        let verdict = if data == junk {
            Validation::Reject
        } else {
            Validation::Accept
        };
        b.handle.validate(id, verdict);
    }
    let (peer, _, data) = c.next_gossip().await;
    assert_eq!(peer, a.id());
    assert!(data == valid, "the relay forwarded the junk");
}
