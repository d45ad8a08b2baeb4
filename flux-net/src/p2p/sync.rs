//! Block sync in the swarm task: inbound requests handed to the host, its answers sent back,
//! and outbound responses and failures turned into events.

use futures::FutureExt;
use libp2p::PeerId;
use libp2p::request_response::{self, OutboundFailure, ResponseChannel};
use tokio::sync::oneshot;

use super::codec::{SyncRequest, SyncResponse, codec_error};
use super::driver::Driver;
use super::error::CodecError;
use super::handle::{Counters, SyncReply};
use super::{NetEvent, Offence};

type SyncEvent = request_response::Event<Result<SyncRequest, CodecError>, SyncResponse>;

impl Driver {
    pub(crate) fn on_sync(&mut self, event: SyncEvent) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request: Ok(request),
                    channel,
                    ..
                } => {
                    self.on_sync_request(peer, request, channel);
                }
                request_response::Message::Request {
                    request: Err(error),
                    ..
                } => {
                    // Dropping the channel closes the stream unanswered.
                    tracing::debug!(%peer, %error, "malformed sync request");
                    self.penalize(peer, frame_offence(&error).weight(), "sync request frame");
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    let Some((_, from_height)) = self.outbound_sync.remove(&request_id) else {
                        return;
                    };
                    let mut items = response.items;
                    if items.len() > self.sync_batch as usize {
                        // More than asked for: keep what was asked, charge the excess.
                        items.truncate(self.sync_batch as usize);
                        self.penalize(peer, Offence::Spam.weight(), "sync response over max_items");
                    }
                    self.emit(NetEvent::SyncResponse {
                        peer,
                        from_height,
                        items,
                    });
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                let from_height = self.outbound_sync.remove(&request_id).map(|(_, h)| h);
                if let OutboundFailure::Io(io) = &error
                    && let Some(codec) = codec_error(io)
                {
                    self.penalize(peer, frame_offence(codec).weight(), "sync response frame");
                }
                tracing::debug!(%peer, %error, "sync request failed");
                if let Some(from_height) = from_height {
                    self.emit(NetEvent::SyncFailed {
                        peer: Some(peer),
                        from_height,
                    });
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, %error, "inbound sync request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_sync_request(
        &mut self,
        peer: PeerId,
        request: SyncRequest,
        channel: ResponseChannel<SyncResponse>,
    ) {
        let open = self.inbound_sync.entry(peer).or_insert(0);
        if *open >= self.max_inbound_sync_per_peer {
            // Dropping the channel refuses the request.
            Counters::bump(&self.shared.counters.refused_sync_requests);
            self.penalize(peer, Offence::Spam.weight(), "too many open sync requests");
            return;
        }
        *open += 1;
        let (tx, rx) = oneshot::channel();
        let reply = SyncReply {
            tx,
            max_items: request.max_items,
            max_bytes: self.max_message_bytes,
        };
        self.replies
            .push(async move { (peer, rx.await, channel) }.boxed());
        self.emit(NetEvent::SyncRequest {
            peer,
            from_height: request.from_height,
            reply,
        });
    }

    /// The host answered (or dropped) a [`SyncReply`].
    pub(crate) fn on_reply(
        &mut self,
        peer: PeerId,
        items: Result<Vec<Vec<u8>>, oneshot::error::RecvError>,
        channel: ResponseChannel<SyncResponse>,
    ) {
        if let Some(open) = self.inbound_sync.get_mut(&peer) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                self.inbound_sync.remove(&peer);
            }
        }
        match items {
            Ok(items) => {
                // Already cut to fit by SyncReply::send.
                if self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, SyncResponse { items })
                    .is_err()
                {
                    tracing::debug!(%peer, "sync response not sent: request timed out or connection closed");
                }
            }
            Err(_) => {
                Counters::bump(&self.shared.counters.refused_sync_requests);
                tracing::debug!(%peer, "sync request refused by the host");
            }
        }
    }
}

/// The offence of sending a frame the codec rejected.
fn frame_offence(error: &CodecError) -> Offence {
    if error.is_oversized() {
        Offence::Oversized
    } else {
        Offence::Undecodable
    }
}
