//! Faults: bans, raw TCP garbage, malformed sync frames from a libp2p peer, restarts.

use std::io;
use std::time::{Duration, Instant};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::{StreamProtocol, SwarmBuilder, noise, tcp, yamux};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::support::{TestNode, WAIT, bytes, config, mesh};
use crate::p2p::{NetEvent, Offence, Topic};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_penalized_past_the_ban_score_is_cut_off_until_the_ban_ends() {
    let ban = Duration::from_secs(3);
    let mut nodes = mesh(2, |c| c.ban_duration = ban).await;
    let b_id = nodes[1].id();
    // Before the penalties, so the ban starts after this instant.
    let before_ban = Instant::now();
    nodes[0].handle.penalize(b_id, Offence::Invalid);
    nodes[0].handle.penalize(b_id, Offence::Invalid);
    let banned_for = nodes[0]
        .next("ban", |e| match e {
            NetEvent::PeerBanned { peer, duration } if peer == b_id => Some(duration),
            _ => None,
        })
        .await;
    assert!(banned_for <= ban);
    nodes[0]
        .next("disconnect", |e| {
            matches!(e, NetEvent::PeerDisconnected(p) if p == b_id).then_some(())
        })
        .await;
    assert_eq!(nodes[0].handle.stats().bans, 1);
    assert_eq!(nodes[0].handle.view().await.banned, vec![b_id]);

    // b keeps re-dialling a (its bootstrap peer) every few hundred ms; a refuses it until the
    // ban ends: b's next connection comes no earlier (a lower bound, which load cannot break).
    nodes[0]
        .next("reconnect", |e| {
            matches!(e, NetEvent::PeerConnected(p) if p == b_id).then_some(())
        })
        .await;
    let out_for = before_ban.elapsed();
    assert!(out_for >= ban, "banned peer got back in after {out_for:?}");
    assert!(nodes[0].handle.view().await.banned.is_empty());
    nodes[0].wait_subscribed(&[b_id]).await;
    nodes[0]
        .handle
        .publish(Topic::Consensus, b"after the ban".to_vec());
    assert_eq!(nodes[1].next_gossip().await.2, b"after the ban");
}

fn tcp_port(node: &TestNode) -> u16 {
    node.handle.listen_addrs()[0]
        .iter()
        .find_map(|p| match p {
            Protocol::Tcp(port) => Some(port),
            _ => None,
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_tcp_garbage_does_not_disturb_the_node() {
    let mut nodes = mesh(2, |_| {}).await;
    let port = tcp_port(&nodes[0]);
    let mut attacks = Vec::new();
    for i in 0..24u8 {
        attacks.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            let payload = match i % 3 {
                0 => bytes(64 * 1024, i),
                // An oversized uvarint length prefix for multistream-select.
                1 => [vec![0xff; 9], vec![0x7f], bytes(100, i)].concat(),
                // A valid protocol header, then a frame claiming four gigabytes.
                _ => [
                    &b"\x13/multistream/1.0.0\n"[..],
                    &[0xff, 0xff, 0xff, 0xff, 0x0f],
                    &bytes(1000, i),
                ]
                .concat(),
            };
            // The node may close the socket before everything is written.
            let _ = stream.write_all(&payload).await;
            let _ = stream.flush().await;
            // Held open until the node closes it.
            let mut sink = vec![0u8; 4096];
            let closed = tokio::time::timeout(WAIT, async {
                while let Ok(1..) = stream.read(&mut sink).await {}
            })
            .await;
            assert!(closed.is_ok(), "garbage connection {i} stayed open");
        }));
    }
    for attack in attacks {
        attack.await.unwrap();
    }
    assert!(!nodes[0].handle.is_stopped());
    assert_eq!(nodes[0].handle.peers(), 1);
    nodes[0]
        .handle
        .publish(Topic::Consensus, b"still here".to_vec());
    assert_eq!(nodes[1].next_gossip().await.2, b"still here");
    nodes[1].handle.request_sync(None, 1);
    let reply = nodes[0]
        .next("sync request", |e| match e {
            NetEvent::SyncRequest { reply, .. } => Some(reply),
            _ => None,
        })
        .await;
    reply.send(vec![b"block".to_vec()]);
    let items = nodes[1]
        .next("sync response", |e| match e {
            NetEvent::SyncResponse { items, .. } => Some(items),
            _ => None,
        })
        .await;
    assert_eq!(items, vec![b"block".to_vec()]);
}

/// Writes its request bytes verbatim: a peer that speaks the sync protocol badly.
#[derive(Clone, Default)]
struct RawCodec;

#[async_trait::async_trait]
impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        io.take(1024).read_to_end(&mut out).await?;
        Ok(out)
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        p: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Vec<u8>> {
        self.read_request(p, io).await
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> io::Result<()> {
        io.write_all(&req).await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> io::Result<()> {
        io.write_all(&res).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_sync_frames_get_their_sender_banned() {
    let mut node = TestNode::start(config(Keypair::generate_ed25519())).await;
    let target = node.id();
    let protocol = StreamProtocol::try_from_owned(
        crate::p2p::P2pConfig::new(Keypair::generate_ed25519(), flux_core::ChainId::DEVNET)
            .sync_protocol(),
    )
    .unwrap();
    let mut evil = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| {
            request_response::Behaviour::with_codec(
                RawCodec,
                [(protocol, ProtocolSupport::Outbound)],
                request_response::Config::default(),
            )
        })
        .unwrap()
        .build();
    let evil_id = *evil.local_peer_id();
    evil.dial(node.addr()).unwrap();
    let frames = [
        vec![0xff, 0xff, 0xff, 0xff, 1], // length far over the limit
        vec![13, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // unknown kind
        vec![13, 0, 0, 0, 1, 0, 0],      // truncated
        vec![0xff, 0xff, 0xff, 0xff],
        vec![0xff, 0xff, 0xff, 0xff],
    ];
    let driver = tokio::spawn(async move {
        loop {
            if let libp2p::swarm::SwarmEvent::ConnectionEstablished { .. } =
                evil.select_next_some().await
            {
                break;
            }
        }
        for frame in frames {
            evil.behaviour_mut().send_request(&target, frame);
        }
        loop {
            evil.select_next_some().await;
        }
    });
    let banned = node
        .next("ban of the malformed sender", |e| match e {
            NetEvent::PeerBanned { peer, .. } => Some(peer),
            _ => None,
        })
        .await;
    assert_eq!(banned, evil_id);
    driver.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_is_found_again_by_its_bootstrap_peers() {
    let key = Keypair::generate_ed25519();
    let first = TestNode::start(config(key.clone())).await;
    let a_id = first.id();
    let a_listen = first.handle.listen_addrs()[0].clone();
    let mut b_config = config(Keypair::generate_ed25519());
    b_config.bootstrap = vec![first.addr()];
    let mut b = TestNode::start(b_config).await;
    b.wait_peers(1).await;

    first.handle.shutdown().await;
    b.next("disconnect", |e| {
        matches!(e, NetEvent::PeerDisconnected(p) if p == a_id).then_some(())
    })
    .await;
    // While a is down, b re-dials its port: seen here as connections to a plain listener on
    // it, which b's handshake then fails on (twice, so b kept re-dialling after a failure).
    let port = a_listen
        .iter()
        .find_map(|p| match p {
            Protocol::Tcp(port) => Some(port),
            _ => None,
        })
        .unwrap();
    let stand_in = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    for _ in 0..2 {
        let (dial, _) = tokio::time::timeout(WAIT, stand_in.accept())
            .await
            .expect("b stopped re-dialling")
            .unwrap();
        drop(dial);
    }
    drop(stand_in);

    // Same identity and port, no bootstrap list: only b's re-dials can reconnect them.
    let mut a_config = config(key);
    a_config.listen = vec![a_listen];
    let mut again = TestNode::start(a_config).await;
    b.next("reconnect", |e| {
        matches!(e, NetEvent::PeerConnected(p) if p == a_id).then_some(())
    })
    .await;
    again.wait_peers(1).await;
    b.wait_subscribed(&[a_id]).await;
    b.handle.publish(Topic::Consensus, b"welcome back".to_vec());
    assert_eq!(again.next_gossip().await.2, b"welcome back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_gossip_gets_its_sender_banned() {
    use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, MessageId, ValidationMode};

    let mut node = TestNode::start(config(Keypair::generate_ed25519())).await;
    let topic = IdentTopic::new(
        crate::p2p::P2pConfig::new(Keypair::generate_ed25519(), flux_core::ChainId::DEVNET)
            .topic_name(Topic::Consensus),
    );
    let gossip_config = gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Anonymous)
        .message_id_fn(|m: &gossipsub::Message| MessageId::from(m.data.clone()))
        .build()
        .unwrap();
    let mut evil = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| {
            gossipsub::Behaviour::<
                gossipsub::IdentityTransform,
                gossipsub::AllowAllSubscriptionFilter,
            >::new(MessageAuthenticity::Anonymous, gossip_config)
            .unwrap()
        })
        .unwrap()
        .build();
    let evil_id = *evil.local_peer_id();
    evil.dial(node.addr()).unwrap();
    let driver = tokio::spawn(async move {
        let mut sent = 0u32;
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                _ = evil.select_next_some() => {}
                _ = tick.tick(), if sent < 12 => {
                    // Fails with NoPeersSubscribedToTopic until the node's subscription arrives.
                    if evil.behaviour_mut().publish(topic.clone(), sent.to_le_bytes().to_vec()).is_ok() {
                        sent += 1;
                    }
                }
            }
        }
    });
    let banned = node
        .next("ban of the unsigned-gossip sender", |e| match e {
            NetEvent::PeerBanned { peer, .. } => Some(peer),
            NetEvent::Gossip { .. } => panic!("unsigned gossip was delivered"),
            _ => None,
        })
        .await;
    assert_eq!(banned, evil_id);
    driver.abort();
}
