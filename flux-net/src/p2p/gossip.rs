//! Gossip in the swarm task: publishing through the envelope, delivering received payloads,
//! and tracking which peers are connected on this chain.

use std::sync::atomic::Ordering;

use libp2p::PeerId;
use libp2p::gossipsub::{self, IdentTopic, TopicHash};

use super::config::P2pConfig;
use super::driver::Driver;
use super::envelope;
use super::handle::{Counters, P2pView, TopicPeers};
use super::{GossipId, NetEvent, Offence, Topic, Validation};
use tokio::sync::mpsc;

impl Driver {
    pub(crate) fn topic_hashes(config: &P2pConfig) -> [(Topic, TopicHash); 2] {
        [Topic::Consensus, Topic::Txs].map(|t| (t, IdentTopic::new(config.topic_name(t)).hash()))
    }

    /// Sends a gossip event if there is room now; otherwise drops and counts it (consensus
    /// re-publishes what matters, and a slow host must not stall the swarm).
    pub(crate) fn emit_gossip(&mut self, event: NetEvent) {
        let counters = &self.shared.counters;
        if !self.backlog.is_empty() {
            Counters::bump(&counters.dropped_gossip_events);
            if let NetEvent::Gossip { id, .. } = &event {
                self.validated(id, Validation::Ignore);
            }
            return;
        }
        match self.events.try_send(event) {
            Ok(()) => Counters::bump(&counters.gossip_received),
            Err(
                mpsc::error::TrySendError::Full(event) | mpsc::error::TrySendError::Closed(event),
            ) => {
                Counters::bump(&counters.dropped_gossip_events);
                // Not judged, so not forwarded (and no charge).
                if let NetEvent::Gossip { id, .. } = &event {
                    self.validated(id, Validation::Ignore);
                }
            }
        }
    }

    /// Tells gossipsub what the host found a message to be (see [`super::validation`]).
    pub(crate) fn validated(&mut self, id: &GossipId, verdict: Validation) {
        // `false`: no longer in the cache (already judged, or expired); nothing to do.
        let _ = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&id.message, &id.source, verdict.into());
    }

    pub(crate) fn publish(&mut self, topic: Topic, data: &[u8]) {
        self.sequence = self.sequence.wrapping_add(1);
        let sealed = envelope::seal(self.sequence, data);
        let hash = self.topic_hash(topic);
        let counters = &self.shared.counters;
        match self.swarm.behaviour_mut().gossipsub.publish(hash, sealed) {
            Ok(_) => Counters::bump(&counters.published),
            Err(error) => {
                tracing::debug!(?topic, %error, "publish failed");
                Counters::bump(&counters.dropped_publishes);
            }
        }
    }

    pub(crate) fn on_gossip(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let id = GossipId {
                    message: message_id,
                    source: propagation_source,
                };
                let Some(topic) = self.topic_of(&message.topic) else {
                    self.validated(&id, Validation::Ignore);
                    return;
                };
                // Signed mode: `source` is the verified author, who answers for the content.
                let author = message.source.unwrap_or(propagation_source);
                match envelope::open(&message.data) {
                    Some(payload) if payload.len() > self.max_message_bytes => {
                        self.validated(&id, Validation::Reject);
                        self.penalize(
                            author,
                            Offence::Oversized.weight(),
                            "gossip payload over limit",
                        );
                    }
                    Some(payload) => {
                        let data = payload.to_vec();
                        self.emit_gossip(NetEvent::Gossip {
                            peer: author,
                            topic,
                            data,
                            id,
                        });
                    }
                    None => {
                        self.validated(&id, Validation::Reject);
                        self.penalize(author, Offence::Undecodable.weight(), "gossip envelope")
                    }
                }
            }
            gossipsub::Event::Subscribed { peer_id, topic }
                if self.topic_of(&topic) == Some(Topic::Consensus) =>
            {
                self.on_consensus_subscriber(peer_id);
            }
            _ => {}
        }
    }

    /// A peer subscribed to our consensus topic: from now on it counts as connected.
    fn on_consensus_subscriber(&mut self, peer: PeerId) {
        if self.swarm.is_connected(&peer) && self.ready.insert(peer) {
            self.update_connected();
            self.emit(NetEvent::PeerConnected(peer));
        }
    }

    pub(crate) fn update_connected(&mut self) {
        self.shared.peers.store(self.ready.len(), Ordering::Relaxed);
        self.connected_tx
            .send_replace(self.ready.iter().copied().collect());
    }

    /// The answer to [`super::P2pHandle::view`].
    pub(crate) fn view(&self) -> P2pView {
        let gossipsub = &self.swarm.behaviour().gossipsub;
        let peers = |topic: Topic| {
            let hash = self.topic_hash(topic);
            let mut subscribed: Vec<PeerId> = gossipsub
                .all_peers()
                .filter(|(_, topics)| topics.contains(&&hash))
                .map(|(peer, _)| *peer)
                .collect();
            subscribed.sort();
            let mut mesh: Vec<PeerId> = gossipsub.mesh_peers(&hash).copied().collect();
            mesh.sort();
            TopicPeers { subscribed, mesh }
        };
        P2pView {
            consensus: peers(Topic::Consensus),
            txs: peers(Topic::Txs),
            banned: self.scores.banned(),
        }
    }

    fn topic_hash(&self, topic: Topic) -> TopicHash {
        let [(_, consensus), (_, txs)] = &self.topics;
        match topic {
            Topic::Consensus => consensus.clone(),
            Topic::Txs => txs.clone(),
        }
    }

    fn topic_of(&self, hash: &TopicHash) -> Option<Topic> {
        self.topics.iter().find(|(_, h)| h == hash).map(|(t, _)| *t)
    }
}
