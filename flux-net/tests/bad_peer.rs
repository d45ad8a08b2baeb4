#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A lone validator under attack: raw TCP garbage, garbage gossip, oversized gossip, votes with
//! invalid signatures and oversized sync answers. The node closes or bans every attacker, keeps
//! its honest peer, and keeps finalising blocks throughout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use flux_chain::block::BlockId;
use flux_chain::consensus::{SignedVote, Vote, VoteKind};
use flux_chain::genesis::Genesis;
use flux_chain::tx::{Transaction, Transfer, TxKind};
use flux_core::crypto::{Scheme, SecretKey, Signature};
use flux_core::{Address, Amount, ChainId, Hash};
use flux_net::api::client::Client;
use flux_net::message::Message;
use flux_net::node::{Node, NodeConfig};
use flux_net::p2p::{self, DEFAULT_MAX_MESSAGE_BYTES, NetEvent, P2pConfig, P2pHandle, Topic};
use flux_net::testkit::wait::{DEADLINE, wait_until_async};
use flux_nodes::NodeId;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long an attacker may take to be cut off: the kit's failure bound, never a speed check.
const WAIT: Duration = DEADLINE;

/// Waits until `done` holds (the kit's wait); panics after [`WAIT`].
async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    wait_until_async(what, async || done()).await.unwrap();
}

fn height(node: &Node) -> u64 {
    node.chain().read().unwrap().height()
}

fn random_bytes(rng: &mut ChaCha8Rng, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    rng.fill_bytes(&mut out);
    out
}

/// A peer of the node's chain with a fresh identity, dialling only the node.
struct Peer {
    handle: P2pHandle,
    events: mpsc::Receiver<NetEvent>,
}

impl Peer {
    async fn start(
        chain_id: ChainId,
        node: &Multiaddr,
        adjust: impl FnOnce(&mut P2pConfig),
    ) -> Peer {
        let mut config = P2pConfig::new(Keypair::generate_ed25519(), chain_id);
        config.bootstrap = vec![node.clone()];
        config.redial_initial = Duration::from_millis(100);
        config.redial_max = Duration::from_millis(500);
        adjust(&mut config);
        let (handle, events) = p2p::spawn(config).await.unwrap();
        Peer { handle, events }
    }

    fn id(&self) -> PeerId {
        self.handle.local_peer_id()
    }

    /// Whether the node and this peer both count each other as connected.
    fn connected_to(&self, node: &P2pHandle) -> bool {
        self.handle.peers() == 1 && node.connected_peers().contains(&self.id())
    }

    /// Whether neither side counts the other as connected any more.
    fn cut_off_from(&self, node: &P2pHandle) -> bool {
        self.handle.peers() == 0 && !node.connected_peers().contains(&self.id())
    }

    /// Whether the node banned this peer and neither side counts the other as connected.
    async fn banned_by(&self, node: &P2pHandle) -> bool {
        self.cut_off_from(node) && node.view().await.banned.contains(&self.id())
    }

    /// Connects, then publishes `payload(i)` on the consensus topic every `every` (at most
    /// `max` times) until the node has banned this peer and cut it off; panics after [`WAIT`].
    async fn attack(
        &self,
        what: &str,
        node: &P2pHandle,
        every: Duration,
        max: u32,
        payload: impl FnMut(u32) -> Vec<u8>,
    ) {
        self.attack_on(Topic::Consensus, what, node, every, max, payload)
            .await
    }

    /// [`Peer::attack`] on `topic`.
    async fn attack_on(
        &self,
        topic: Topic,
        what: &str,
        node: &P2pHandle,
        every: Duration,
        max: u32,
        mut payload: impl FnMut(u32) -> Vec<u8>,
    ) {
        wait_for(&format!("{what}: connected"), || self.connected_to(node)).await;
        let deadline = Instant::now() + WAIT;
        let mut sent = 0;
        let started = Instant::now();
        while !self.banned_by(node).await {
            assert!(
                Instant::now() < deadline,
                "{what}: not banned after {sent} messages; attacker {:?}, node {:?}",
                self.handle.stats(),
                node.stats()
            );
            if sent < max {
                self.handle.publish(topic, payload(sent));
                sent += 1;
            }
            // The attacker's pace (a rate, not a wait for something): kept.
            tokio::time::sleep(every).await;
        }
        eprintln!(
            "{what}: cut off after {sent} messages in {:?}",
            started.elapsed()
        );
    }
}

/// Raw TCP connections that send random bytes instead of a Noise handshake, all at once:
/// each is closed, at once when the bytes are malformed and after the handshake timeout
/// (10 s) when they are a prefix the node waits to see completed.
async fn raw_tcp_garbage(port: u16) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let connections = [1, 64, 4 * 1024, 64 * 1024].map(|len| {
        let garbage = random_bytes(&mut rng, len);
        async move {
            let at = Instant::now();
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            // The node may close the socket before everything is written.
            let _ = stream.write_all(&garbage).await;
            let _ = stream.flush().await;
            let mut sink = vec![0u8; 4096];
            let closed = tokio::time::timeout(WAIT, async {
                loop {
                    match stream.read(&mut sink).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                }
            })
            .await;
            assert!(
                closed.is_ok(),
                "a {len}-byte garbage connection stayed open"
            );
            eprintln!("raw tcp: {len} bytes: closed after {:?}", at.elapsed());
        }
    });
    futures::future::join_all(connections).await;
}

/// A vote for the node's current height in a far round for an unknown block, so it is
/// neither a duplicate nor a vote the node cast itself: only its signature can reject it.
fn vote(node: &Node, validator: NodeId, i: u32) -> Vote {
    Vote {
        height: height(node) + 1,
        round: 1_000 + i,
        kind: VoteKind::Prevote,
        value: Some(BlockId(Hash::digest(&i.to_le_bytes()))),
        validator,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_validator_bans_bad_peers_and_keeps_finalising() {
    let dir = tempfile::tempdir().unwrap();
    let (genesis, keys) = Genesis::devnet_with_nodes(1, 7).unwrap();
    let chain_id = genesis.chain_id;
    let operator = keys[0].operator.clone();
    let node = Node::start(NodeConfig::local(
        dir.path(),
        genesis,
        Some(operator.clone()),
    ))
    .await
    .unwrap();
    let net = node.p2p().clone();
    let listen = net.listen_addrs()[0].clone();
    let port = listen
        .iter()
        .find_map(|p| match p {
            Protocol::Tcp(port) => Some(port),
            _ => None,
        })
        .unwrap();
    let addr = listen.with_p2p(net.local_peer_id()).unwrap();
    let validator = node.node_id().unwrap();
    wait_for("the first blocks", || height(&node) >= 2).await;

    // An honest follower: it must stay connected and keep hearing the node's votes.
    let honest = Peer::start(chain_id, &addr, |_| {}).await;
    wait_for("the honest peer", || honest.connected_to(&net)).await;
    let honest_id = honest.id();
    let Peer {
        handle: honest,
        mut events,
    } = honest;
    let from_node = Arc::new(AtomicU64::new(0));
    let drain = tokio::spawn({
        let (node_id, from_node) = (net.local_peer_id(), from_node.clone());
        async move {
            while let Some(event) = events.recv().await {
                // Sync requests are refused by dropping their reply.
                if let NetEvent::Gossip { peer, .. } = event
                    && peer == node_id
                {
                    from_node.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });

    let before = height(&node);
    let started = Instant::now();

    // Undecodable gossip: 20 points each, a ban at the fifth.
    let garbage = Peer::start(chain_id, &addr, |_| {}).await;
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let garbage_attack =
        garbage.attack("garbage gossip", &net, Duration::from_millis(50), 20, |i| {
            // 0xff first: never a valid message variant.
            let mut bytes = random_bytes(&mut rng, 1 + (i as usize * 37) % 2_000);
            bytes[0] = 0xff;
            bytes
        });

    // Gossip over the node's 4 MiB limit (sent by a peer configured for more): 40 points each.
    let oversized = Peer::start(chain_id, &addr, |c| {
        c.max_message_bytes = 2 * DEFAULT_MAX_MESSAGE_BYTES;
    })
    .await;
    let oversized_attack = oversized.attack(
        "oversized gossip",
        &net,
        // Each takes a while to sign, encrypt and check in a debug build; spaced out so none
        // waits long in gossipsub's send queue (which drops what waits over 5 s).
        Duration::from_secs(1),
        8,
        |i| vec![i as u8; DEFAULT_MAX_MESSAGE_BYTES + 1],
    );

    // Votes that decode but carry invalid signatures: the validator's vote signed by another
    // key, or signed by the validator and then corrupted (50 points each); and a vote of a key
    // outside the committee for the next height (ignored: at an epoch's turn an honest peer
    // may already follow a committee the node has not drawn yet).
    let forged = Peer::start(chain_id, &addr, |_| {}).await;
    let outsider = SecretKey::from_bytes(Scheme::Ed25519, &[9; 32]).unwrap();
    let outsider_id = NodeId::of(&outsider.public_key());
    let forged_attack = forged.attack("forged votes", &net, Duration::from_millis(100), 30, |i| {
        let signed = match i % 3 {
            0 => vote(&node, validator, i).sign(&outsider, chain_id).unwrap(),
            1 => {
                let mut signed = vote(&node, validator, i).sign(&operator, chain_id).unwrap();
                let mut bytes = *signed.signature.as_bytes();
                bytes[40] ^= 0x01;
                signed.signature = Signature::Ed25519(bytes);
                signed
            }
            _ => vote(&node, outsider_id, i)
                .sign(&outsider, chain_id)
                .unwrap(),
        };
        Message::Vote(signed).to_bytes().unwrap()
    });

    // Oversized sync answers: a committee-signed vote far ahead (the node only believes signed
    // claims; here the validator's own key stands in for a vote relayed from the future) makes
    // the node think it is behind and ask this peer for blocks, which answers with a frame over
    // the node's limit (40 points each).
    let mut syncer = Peer::start(chain_id, &addr, |c| {
        c.max_message_bytes = 2 * DEFAULT_MAX_MESSAGE_BYTES;
    })
    .await;
    let sync_attack = async {
        wait_for("oversized sync: connected", || syncer.connected_to(&net)).await;
        let started = Instant::now();
        let deadline = started + WAIT;
        let mut tick = tokio::time::interval(Duration::from_millis(300));
        let (mut asked, mut round) = (0, 0);
        while !syncer.banned_by(&net).await {
            assert!(
                Instant::now() < deadline,
                "oversized sync: not banned after {asked} answers"
            );
            tokio::select! {
                _ = tick.tick() => {
                    round += 1;
                    let mut ahead = vote(&node, validator, round);
                    ahead.height += 1_000;
                    let signed: SignedVote = ahead.sign(&operator, chain_id).unwrap();
                    let bytes = Message::Vote(signed).to_bytes().unwrap();
                    syncer.handle.publish(Topic::Consensus, bytes);
                }
                Some(event) = syncer.events.recv() => {
                    if let NetEvent::SyncRequest { reply, .. } = event {
                        asked += 1;
                        reply.send(vec![vec![0xab; DEFAULT_MAX_MESSAGE_BYTES]]);
                    }
                }
            }
        }
        eprintln!(
            "oversized sync: cut off after {asked} answers in {:?}",
            started.elapsed()
        );
        asked
    };

    let ((), (), (), (), answers) = tokio::join!(
        raw_tcp_garbage(port),
        garbage_attack,
        oversized_attack,
        forged_attack,
        sync_attack
    );
    let during = height(&node);
    eprintln!(
        "attacks repelled in {:?} ({answers} oversized sync answers); height {before} -> {during}",
        started.elapsed()
    );
    assert!(node.is_running());
    assert!(during > before, "no block finalised during the attack");
    // Each attacker banned once (bans last 10 minutes), the honest peer never.
    let mut attackers = vec![garbage.id(), oversized.id(), forged.id(), syncer.id()];
    attackers.sort();
    assert_eq!(net.view().await.banned, attackers);
    assert_eq!(net.stats().bans, 4, "{:?}", net.stats());

    // After the attack: blocks keep coming, the honest peer keeps hearing the node, and the
    // attackers (re-dialling all along) stay out.
    let heard = from_node.load(Ordering::Relaxed);
    wait_for("two more blocks", || height(&node) >= during + 2).await;
    wait_for("the node's gossip at the honest peer", || {
        from_node.load(Ordering::Relaxed) > heard
    })
    .await;
    let client = Client::new(&format!("http://{}", node.api_addr().unwrap())).unwrap();
    // The API's peer count is refreshed once per host tick.
    wait_until_async("two more blocks and one peer in the API", async || {
        let status = client.status().await.unwrap();
        status.height >= during + 2 && status.peers == 1
    })
    .await
    .unwrap();
    assert_eq!(net.connected_peers(), vec![honest_id]);
    for attacker in [&garbage, &oversized, &forged, &syncer] {
        assert!(attacker.cut_off_from(&net), "an attacker got back in");
    }
    assert_eq!(net.view().await.banned, attackers);
    assert_eq!(net.stats().bans, 4, "{:?}", net.stats());

    drain.abort();
    for attacker in [garbage, oversized, forged, syncer] {
        attacker.handle.shutdown().await;
    }
    honest.shutdown().await;
    node.shutdown().await.unwrap();
}

/// Transfers from `key`'s account (`fee` each, nonces from 0).
fn transfers(key: &SecretKey, chain_id: ChainId, n: u64) -> Vec<Transaction> {
    (0..n)
        .map(|nonce| {
            Transaction::sign(
                key,
                chain_id,
                nonce,
                Amount::from_base_units(1_000),
                TxKind::Transfer(Transfer {
                    to: Address::from_bytes([9; 20]),
                    amount: Amount::ONE_FLUX,
                }),
            )
            .unwrap()
        })
        .collect()
}

/// Replays issue 19 point 6 (transaction gossip flood) against a real node: one peer replays
/// a batch the state refuses (an account with nothing), another sends batches with forged
/// signatures. Both are cut off (refusals cost the sender; forgeries cost more and are not
/// relayed), and the node keeps finalising: its consensus thread never checks a signature
/// of gossiped transactions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_floods_get_their_senders_banned() {
    let dir = tempfile::tempdir().unwrap();
    let (genesis, keys) = Genesis::devnet_with_nodes(1, 7).unwrap();
    let chain_id = genesis.chain_id;
    let node = Node::start(NodeConfig::local(
        dir.path(),
        genesis,
        Some(keys[0].operator.clone()),
    ))
    .await
    .unwrap();
    let net = node.p2p().clone();
    let addr = net.listen_addrs()[0]
        .clone()
        .with_p2p(net.local_peer_id())
        .unwrap();
    wait_for("the first blocks", || height(&node) >= 2).await;
    let before = height(&node);

    let pauper = SecretKey::from_bytes(Scheme::Ed25519, &[55; 32]).unwrap();
    let refused = Message::Txs(transfers(&pauper, chain_id, 256))
        .to_bytes()
        .unwrap();
    let replayer = Peer::start(chain_id, &addr, |_| {}).await;
    let replay = replayer.attack_on(
        Topic::Txs,
        "replayed refused batch",
        &net,
        Duration::from_millis(100),
        200,
        |_| refused.clone(),
    );

    let mut forged = transfers(&keys[0].owner, chain_id, 64);
    for tx in &mut forged {
        let mut bytes = *tx.signature.as_bytes();
        bytes[7] ^= 0x01;
        tx.signature = Signature::Ed25519(bytes);
    }
    let forged = Message::Txs(forged).to_bytes().unwrap();
    let forger = Peer::start(chain_id, &addr, |_| {}).await;
    let forge = forger.attack_on(
        Topic::Txs,
        "forged signatures",
        &net,
        Duration::from_millis(100),
        200,
        |_| forged.clone(),
    );

    tokio::join!(replay, forge);
    assert!(node.is_running());
    wait_for("two more blocks", || height(&node) >= before + 2).await;
    let mut attackers = vec![replayer.id(), forger.id()];
    attackers.sort();
    assert_eq!(net.view().await.banned, attackers);
    assert_eq!(net.stats().bans, 2, "{:?}", net.stats());
    for attacker in [replayer, forger] {
        attacker.handle.shutdown().await;
    }
    node.shutdown().await.unwrap();
}
