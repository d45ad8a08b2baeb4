//! The gossip envelope: `version: u8 = 1, sequence: u64 LE, payload`.
//!
//! Gossipsub drops a message whose id it has seen in the last minutes, and our message id is a
//! hash of the data. The host re-publishes identical bytes when a height stalls, so every
//! publish gets a fresh sequence number in front of the payload; receivers strip it and hand
//! the host exactly the payload that was published.

use std::time::{SystemTime, UNIX_EPOCH};

/// Envelope format version.
pub const ENVELOPE_VERSION: u8 = 1;
/// Bytes the envelope adds in front of a payload.
pub const ENVELOPE_OVERHEAD: usize = 1 + 8;

/// Wraps `payload` with sequence number `sequence`.
pub fn seal(sequence: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENVELOPE_OVERHEAD + payload.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(&sequence.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload inside an envelope, or `None` if `bytes` is not an envelope of this version.
pub fn open(bytes: &[u8]) -> Option<&[u8]> {
    match bytes.split_first() {
        Some((&ENVELOPE_VERSION, rest)) => rest.get(8..),
        _ => None,
    }
}

/// A first sequence number that grows across restarts (nanoseconds since the Unix epoch), so
/// a restarted node's envelopes never repeat ids its peers still remember.
pub fn initial_sequence() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX / 2))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_returns_exactly_the_sealed_payload() {
        for payload in [&b""[..], b"x", &[0u8; 300][..]] {
            assert_eq!(open(&seal(42, payload)), Some(payload));
        }
    }

    #[test]
    fn open_rejects_short_or_foreign_bytes() {
        assert_eq!(open(b""), None);
        assert_eq!(open(&[ENVELOPE_VERSION, 0, 0, 0]), None);
        assert_eq!(open(&[2, 0, 0, 0, 0, 0, 0, 0, 0]), None);
    }
}
