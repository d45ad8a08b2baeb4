//! [`Recorder`]: a [`Network`] that keeps what the host asked for, for tests, examples and tools
//! that drive a host by hand.

use flux_chain::consensus::{Height, Input};

use crate::network::{Committed, Network, Offence, Topic};

/// A [`Network`] that records what the host asked for (for tests, examples and tools that
/// drive a host by hand).
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// Published `(topic, bytes)`.
    pub published: Vec<(Topic, Vec<u8>)>,
    /// Sync requests `(peer, from_height)`.
    pub sync_requests: Vec<(Option<u8>, Height)>,
    /// Penalties.
    pub penalties: Vec<(u8, Offence)>,
    /// Timers `(after_ms, input)`.
    pub timers: Vec<(u64, Input)>,
    /// Committed blocks.
    pub committed: Vec<Committed>,
}

impl Network for Recorder {
    type Peer = u8;

    fn publish(&mut self, topic: Topic, bytes: Vec<u8>) {
        self.published.push((topic, bytes));
    }

    fn request_sync(&mut self, peer: Option<u8>, from_height: Height) {
        self.sync_requests.push((peer, from_height));
    }

    fn penalize(&mut self, peer: u8, offence: Offence) {
        self.penalties.push((peer, offence));
    }

    fn set_timer(&mut self, after_ms: u64, input: Input) {
        self.timers.push((after_ms, input));
    }

    fn committed(&mut self, commit: &Committed) {
        self.committed.push(*commit);
    }
}
