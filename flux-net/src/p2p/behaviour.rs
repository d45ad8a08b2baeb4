//! The libp2p swarm: transport (TCP, Noise, Yamux) and the composed behaviour.

use std::collections::HashMap;
use std::time::Duration;

use flux_core::hash::Tag;
use libp2p::gossipsub::{
    self, MessageAuthenticity, MessageId, PeerScoreParams, PeerScoreThresholds, TopicScoreParams,
    ValidationMode,
};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    StreamProtocol, Swarm, SwarmBuilder, allow_block_list, connection_limits, identify, noise, tcp,
    yamux,
};

use super::Topic;
use super::codec::SyncCodec;
use super::config::P2pConfig;
use super::envelope::ENVELOPE_OVERHEAD;
use super::error::P2pError;

/// Room for gossipsub's own framing around a payload: protobuf tags, topic name, sequence
/// number, source peer id, ed25519 public key and signature.
const GOSSIP_FRAME_OVERHEAD: usize = 1024;

/// Gossipsub heartbeat: mesh maintenance and lazy gossip run this often. Short, because
/// consensus rounds are short and a peer that missed a flood-published message learns of it
/// from the next heartbeat's IHAVE.
const HEARTBEAT: Duration = Duration::from_millis(250);

/// Gossipsub's invalid-message weight (P4, per topic). P4 grows with the square of the count
/// of invalid messages: 1 costs 10 points, 2 cost 40, 4 reach a default ban.
const INVALID_MESSAGE_WEIGHT: f64 = -10.0;

/// The behaviours of a flux node. Connection gates come first so they refuse a banned peer or
/// a connection over the limits before any protocol sees it.
#[derive(NetworkBehaviour)]
pub(crate) struct FluxBehaviour {
    pub(crate) blocks: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub(crate) limits: connection_limits::Behaviour,
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) sync: request_response::Behaviour<SyncCodec>,
    pub(crate) identify: identify::Behaviour,
}

/// Builds the swarm of `config` (not yet listening or dialling).
pub(crate) fn build_swarm(config: &P2pConfig) -> Result<Swarm<FluxBehaviour>, P2pError> {
    let behaviour = build_behaviour(config)?;
    let swarm = SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )?
        .with_behaviour(|_| behaviour)
        .map_err(|never| -> P2pError { match never {} })?
        // Consensus peers stay connected: only a ban, the limits or the remote close a
        // connection, never idleness (gossipsub keeps only mesh members alive by itself).
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(u64::MAX)))
        .build();
    Ok(swarm)
}

fn build_behaviour(config: &P2pConfig) -> Result<FluxBehaviour, P2pError> {
    let limits = connection_limits::ConnectionLimits::default()
        .with_max_established(Some(config.max_peers))
        .with_max_established_per_peer(Some(config.max_connections_per_peer))
        // Handshakes in progress: bounds what a flood of raw TCP connections can hold open.
        .with_max_pending_incoming(Some(config.max_peers.clamp(8, 64)));

    let protocol = config.sync_protocol();
    let protocol = StreamProtocol::try_from_owned(protocol.clone())
        .map_err(|_| P2pError::ProtocolName { name: protocol })?;
    let sync = request_response::Behaviour::with_codec(
        SyncCodec::new(config.max_message_bytes),
        [(protocol, ProtocolSupport::Full)],
        request_response::Config::default()
            .with_request_timeout(config.sync_timeout)
            .with_max_concurrent_streams(64),
    );

    let identify = identify::Behaviour::new(
        identify::Config::new(config.identify_version(), config.keypair.public())
            .with_agent_version(format!("flux/{}", env!("CARGO_PKG_VERSION"))),
    );

    Ok(FluxBehaviour {
        blocks: allow_block_list::Behaviour::default(),
        limits: connection_limits::Behaviour::new(limits),
        gossipsub: build_gossipsub(config)?,
        sync,
        identify,
    })
}

fn build_gossipsub(config: &P2pConfig) -> Result<gossipsub::Behaviour, P2pError> {
    let id_tag = Tag::new("flux/p2p/gossip-message-id/v1");
    let gossip_config = gossipsub::ConfigBuilder::default()
        // Signed: every message names its author and carries its signature, so a forged or
        // altered message is dropped at the first hop, penalties go to the author rather than
        // an honest relay, and a banned author's messages are refused even when relayed.
        .validation_mode(ValidationMode::Strict)
        // A message is forwarded only once the host accepted it (see `validation`): a relay
        // never passes on what it would refuse, and a rejection costs the peers that
        // delivered it.
        .validate_messages()
        // Id = hash of author, topic and data (the data begins with the envelope's sequence
        // number): copies of one publish are filtered, a re-publish is new.
        .message_id_fn(move |message: &gossipsub::Message| {
            let mut hasher = id_tag.hasher();
            if let Some(source) = &message.source {
                hasher.update(&source.to_bytes());
            }
            hasher.update(message.topic.as_str().as_bytes());
            hasher.update(&message.data);
            MessageId::from(hasher.finalize().to_bytes().to_vec())
        })
        .max_transmit_size(
            config
                .max_message_bytes
                .saturating_add(ENVELOPE_OVERHEAD + GOSSIP_FRAME_OVERHEAD),
        )
        .heartbeat_interval(HEARTBEAT)
        // Publish to every subscribed peer, not only the mesh: with a committee-sized network
        // each message reaches every peer in one hop.
        .flood_publish(true)
        .mesh_n_low(4)
        .mesh_n(8)
        .mesh_n_high(12)
        .mesh_outbound_min(2)
        .history_length(20)
        .history_gossip(8)
        .duplicate_cache_time(Duration::from_secs(120))
        .build()
        .map_err(|e| P2pError::Gossipsub {
            reason: e.to_string(),
        })?;

    let mut gossipsub = gossipsub::Behaviour::new(
        MessageAuthenticity::Signed(config.keypair.clone()),
        gossip_config,
    )
    .map_err(|e| P2pError::Gossipsub {
        reason: e.to_string(),
    })?;
    let (params, thresholds) = score_params(config);
    gossipsub
        .with_peer_score(params, thresholds)
        .map_err(|reason| P2pError::Gossipsub { reason })?;
    Ok(gossipsub)
}

/// Gossipsub scoring reduced to misbehaviour: invalid messages (P4) and protocol violations
/// (P7). The rewards and the IP-colocation factor are off: nodes of one operator may share an
/// address, and the swarm task only reads the score to charge drops as penalties. The
/// thresholds are far below anything a ban allows, so our ban acts first.
fn score_params(config: &P2pConfig) -> (PeerScoreParams, PeerScoreThresholds) {
    let topic_params = TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.0,
        first_message_deliveries_weight: 0.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: INVALID_MESSAGE_WEIGHT,
        invalid_message_deliveries_decay: 0.5,
        ..TopicScoreParams::default()
    };
    let topics: HashMap<_, _> = [Topic::Consensus, Topic::Txs]
        .into_iter()
        .map(|t| {
            (
                gossipsub::IdentTopic::new(config.topic_name(t)).hash(),
                topic_params.clone(),
            )
        })
        .collect();
    let params = PeerScoreParams {
        topics,
        app_specific_weight: 0.0,
        ip_colocation_factor_weight: 0.0,
        behaviour_penalty_weight: -1.0,
        behaviour_penalty_threshold: 5.0,
        behaviour_penalty_decay: 0.5,
        decay_interval: Duration::from_secs(1),
        slow_peer_weight: 0.0,
        ..PeerScoreParams::default()
    };
    let thresholds = PeerScoreThresholds {
        gossip_threshold: -10_000.0,
        publish_threshold: -20_000.0,
        graylist_threshold: -30_000.0,
        ..PeerScoreThresholds::default()
    };
    (params, thresholds)
}
