//! Errors of the peer-to-peer layer.

use thiserror::Error;

/// Why [`super::spawn`] could not start the network.
#[derive(Debug, Error)]
pub enum P2pError {
    /// A configuration field is out of range.
    #[error("invalid p2p config: {field} must be {rule}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// What it must be.
        rule: &'static str,
    },
    /// `max_message_bytes` is outside `min..=max`. Below `min`, the protocol's gossip limit
    /// that the chain's block byte cap is derived from, the node would never receive a block at
    /// the cap and stall (issue 19 point 3); above `max` one peer's frame could make it buffer
    /// too much.
    #[error(
        "invalid p2p config: max_message_bytes = {configured} must be between {min} (the \
         protocol's gossip limit, which the chain's largest block needs: below it the node \
         never receives blocks at the cap and stalls) and {max}"
    )]
    MessageLimit {
        /// The configured value.
        configured: usize,
        /// The protocol's gossip limit.
        min: usize,
        /// The ceiling.
        max: usize,
    },
    /// The Noise handshake could not be set up with the keypair.
    #[error("noise setup failed: {0}")]
    Noise(#[from] libp2p::noise::Error),
    /// The gossipsub configuration or scoring parameters were rejected by libp2p.
    #[error("gossipsub setup failed: {reason}")]
    Gossipsub {
        /// libp2p's explanation.
        reason: String,
    },
    /// Subscribing to a topic failed.
    #[error("gossipsub subscription failed: {0}")]
    Subscribe(#[from] libp2p::gossipsub::SubscriptionError),
    /// The sync protocol name is not a valid libp2p protocol name.
    #[error("invalid sync protocol name {name}")]
    ProtocolName {
        /// The rejected name.
        name: String,
    },
    /// A listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: libp2p::Multiaddr,
        /// The transport's error.
        source: libp2p::TransportError<std::io::Error>,
    },
    /// A listener failed before reporting its bound address.
    #[error("listener failed while starting: {0}")]
    ListenerFailed(std::io::Error),
    /// No bound address was reported in time.
    #[error("listeners did not report an address within {0:?}")]
    ListenTimeout(std::time::Duration),
}

/// Why a sync frame was rejected. Every variant comes from bytes sent by a peer.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CodecError {
    /// The frame's length prefix exceeds the limit; nothing of that size was allocated.
    #[error("frame of {claimed} bytes exceeds the limit of {limit}")]
    FrameTooLarge {
        /// The length the prefix claims.
        claimed: u64,
        /// The limit.
        limit: usize,
    },
    /// The input ended before the frame did.
    #[error("truncated frame: needed {needed} more bytes, {available} left")]
    Truncated {
        /// Bytes the next field needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// Bytes follow the end of the frame.
    #[error("{extra} trailing bytes after the frame")]
    TrailingBytes {
        /// How many (at least; a stream is only probed for one).
        extra: usize,
    },
    /// The frame kind byte is not a request or a response.
    #[error("unknown frame kind {0:#04x}")]
    UnknownKind(u8),
    /// A request came where a response was expected, or the reverse.
    #[error("expected a {expected} frame, got a {got}")]
    UnexpectedKind {
        /// The kind the protocol step expects.
        expected: &'static str,
        /// The kind that came.
        got: &'static str,
    },
    /// A response claims more items than its frame could hold.
    #[error("response claims {count} items but its frame holds at most {max}")]
    TooManyItems {
        /// The claimed count.
        count: u32,
        /// The most that fit in the frame's bytes.
        max: usize,
    },
}

impl CodecError {
    /// Whether the error means the frame was too big (as opposed to malformed).
    pub fn is_oversized(&self) -> bool {
        matches!(self, CodecError::FrameTooLarge { .. })
    }
}

impl From<CodecError> for std::io::Error {
    fn from(error: CodecError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, error)
    }
}
