//! Peer scoring in the simulator, modelled on the node's ([`crate::p2p`]): each penalty a
//! host gives a peer adds the p2p layer's points for the offence; at the node's ban score the
//! peer is banned for the node's ban duration (no message between the two either way), and
//! one point is forgiven per the node's decay interval. The thresholds are the defaults of
//! [`P2pConfig`], read from it so the simulator and the node can not drift apart.

use std::collections::BTreeMap;

use crate::network::Offence;
use crate::p2p::P2pConfig;

/// The node's default p2p configuration (its limits and scoring thresholds; the identity is
/// a fixed one, unused).
pub(crate) fn node_p2p() -> Option<P2pConfig> {
    let keypair = libp2p::identity::Keypair::ed25519_from_bytes([1u8; 32]).ok()?;
    Some(P2pConfig::new(keypair, flux_core::ChainId::DEVNET))
}

/// A peer's standing with one validator.
#[derive(Clone, Copy, Debug, Default)]
struct Standing {
    total: u64,
    /// When the total was last decayed, simulated ms.
    settled_ms: u64,
}

/// Penalties and bans between simulated validators, keyed `(by, peer)`.
#[derive(Debug)]
pub(crate) struct Scores {
    ban_score: u64,
    ban_ms: u64,
    decay_ms: u64,
    standings: BTreeMap<(usize, usize), Standing>,
    /// Active bans: until when, simulated ms.
    bans: BTreeMap<(usize, usize), u64>,
    /// Every penalty point ever given (never decays).
    points: BTreeMap<(usize, usize), u64>,
    /// Every ban ever decided, in order.
    history: Vec<(usize, usize)>,
}

impl Scores {
    /// The thresholds of `p2p` (the node's defaults: [`node_p2p`]).
    pub(crate) fn new(p2p: &P2pConfig) -> Scores {
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let (ban_score, ban_ms, decay_ms) = (
            u64::try_from(p2p.ban_score).unwrap_or(1).max(1),
            ms(p2p.ban_duration),
            ms(p2p.penalty_decay).max(1),
        );
        Scores {
            ban_score,
            ban_ms,
            decay_ms,
            standings: BTreeMap::new(),
            bans: BTreeMap::new(),
            points: BTreeMap::new(),
            history: Vec::new(),
        }
    }

    /// `by` penalises `peer` for `offence` at `now_ms`.
    pub(crate) fn penalize(&mut self, by: usize, peer: usize, offence: Offence, now_ms: u64) {
        if by == peer || self.banned(by, peer, now_ms) {
            return;
        }
        let points = u64::try_from(offence.weight()).unwrap_or(0);
        *self.points.entry((by, peer)).or_default() += points;
        let decay_ms = self.decay_ms;
        let standing = self.standings.entry((by, peer)).or_insert(Standing {
            total: 0,
            settled_ms: now_ms,
        });
        let steps = now_ms.saturating_sub(standing.settled_ms) / decay_ms;
        standing.total = standing.total.saturating_sub(steps);
        standing.settled_ms = standing
            .settled_ms
            .saturating_add(steps.saturating_mul(decay_ms));
        standing.total = standing.total.saturating_add(points);
        if standing.total >= self.ban_score {
            self.standings.remove(&(by, peer));
            self.bans
                .insert((by, peer), now_ms.saturating_add(self.ban_ms));
            self.history.push((by, peer));
        }
    }

    /// Whether `by` bans `peer` at `now_ms`.
    pub(crate) fn banned(&self, by: usize, peer: usize, now_ms: u64) -> bool {
        self.bans
            .get(&(by, peer))
            .is_some_and(|until| now_ms < *until)
    }

    /// Whether either of `a` and `b` bans the other (a ban closes the connection).
    pub(crate) fn cut(&self, a: usize, b: usize, now_ms: u64) -> bool {
        self.banned(a, b, now_ms) || self.banned(b, a, now_ms)
    }

    /// Penalty points `by` ever gave `peer`.
    pub(crate) fn points(&self, by: usize, peer: usize) -> u64 {
        self.points.get(&(by, peer)).copied().unwrap_or(0)
    }

    /// Every ban decided so far, `(by, peer)`, in order.
    pub(crate) fn history(&self) -> &[(usize, usize)] {
        &self.history
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn two_invalid_messages_ban_and_the_ban_ends() {
        let mut s = Scores::new(&node_p2p().unwrap());
        s.penalize(0, 1, Offence::Invalid, 1_000);
        assert!(!s.banned(0, 1, 1_000));
        s.penalize(0, 1, Offence::Invalid, 2_000);
        assert!(s.banned(0, 1, 2_000) && s.cut(1, 0, 2_000));
        assert!(!s.banned(1, 0, 2_000));
        assert_eq!(s.history(), &[(0, 1)]);
        assert_eq!(s.points(0, 1), 100);
        assert!(!s.banned(0, 1, 2_000 + 600_000));
    }

    #[test]
    fn rare_faults_decay_before_they_add_up() {
        let mut s = Scores::new(&node_p2p().unwrap());
        // 20 points each, 5 minutes apart: 30 points forgiven in between.
        for k in 0..10 {
            s.penalize(0, 1, Offence::Undecodable, k * 300_000);
        }
        assert!(s.history().is_empty());
    }
}
