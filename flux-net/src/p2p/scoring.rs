//! Peer scoring: penalty totals that decay, and bans that expire.
//!
//! Pure bookkeeping: the swarm task feeds offences with the current [`Instant`] and performs
//! the bans (block list, gossipsub blacklist, disconnect) this module decides.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

pub use crate::network::Offence;

/// Each offence adds its [`Offence::weight`] to the peer's penalty total; at
/// [`super::P2pConfig::ban_score`] (100 by default) the peer is banned.
impl Offence {
    /// Penalty points of the offence: undecodable 20 (five ban a peer: could be a version
    /// skew), invalid 50 (two ban), oversized 40, spam and refused gossip 10.
    ///
    /// ```
    /// use flux_net::p2p::Offence;
    /// assert_eq!(Offence::Invalid.weight(), 50);
    /// assert_eq!(Offence::Refused.weight(), Offence::Spam.weight());
    /// ```
    pub const fn weight(self) -> i32 {
        match self {
            Offence::Undecodable => 20,
            Offence::Invalid => 50,
            Offence::Oversized => 40,
            Offence::Spam | Offence::Refused => 10,
        }
    }
}

/// What a penalty led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Recorded; the peer's total is now this.
    Recorded(i32),
    /// The total reached the ban score: ban the peer until the given instant.
    Ban { total: i32, until: Instant },
    /// The peer is banned already; nothing to do.
    AlreadyBanned,
}

#[derive(Clone, Copy, Debug)]
struct Standing {
    total: i32,
    /// When the total was last decayed.
    settled: Instant,
}

/// Penalty totals and active bans.
#[derive(Debug)]
pub(crate) struct Scoreboard {
    ban_score: i32,
    ban_duration: Duration,
    decay: Duration,
    standings: HashMap<PeerId, Standing>,
    bans: HashMap<PeerId, Instant>,
}

impl Scoreboard {
    pub(crate) fn new(ban_score: i32, ban_duration: Duration, decay: Duration) -> Self {
        Scoreboard {
            ban_score,
            ban_duration,
            decay,
            standings: HashMap::new(),
            bans: HashMap::new(),
        }
    }

    /// Adds `points` to `peer`'s total.
    pub(crate) fn penalize(&mut self, peer: PeerId, points: i32, now: Instant) -> Verdict {
        if self.bans.contains_key(&peer) {
            return Verdict::AlreadyBanned;
        }
        let decay = self.decay;
        let standing = self.standings.entry(peer).or_insert(Standing {
            total: 0,
            settled: now,
        });
        settle(standing, decay, now);
        standing.total = standing.total.saturating_add(points.max(0));
        let total = standing.total;
        if total < self.ban_score {
            return Verdict::Recorded(total);
        }
        let until = now.checked_add(self.ban_duration).unwrap_or(now);
        self.standings.remove(&peer);
        self.bans.insert(peer, until);
        Verdict::Ban { total, until }
    }

    /// The peers banned now, sorted.
    pub(crate) fn banned(&self) -> Vec<PeerId> {
        let mut peers: Vec<PeerId> = self.bans.keys().copied().collect();
        peers.sort();
        peers
    }

    /// Whether `peer` is banned now.
    #[cfg(test)]
    pub(crate) fn is_banned(&self, peer: &PeerId) -> bool {
        self.bans.contains_key(peer)
    }

    /// The peer's current total (after decay), 0 if unknown or banned.
    #[cfg(test)]
    pub(crate) fn total(&mut self, peer: &PeerId, now: Instant) -> i32 {
        let decay = self.decay;
        self.standings.get_mut(peer).map_or(0, |s| {
            settle(s, decay, now);
            s.total
        })
    }

    /// Lifts the bans that ended by `now` and returns their peers; also forgets totals that
    /// decayed to zero, so the table only holds peers with a recent offence.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<PeerId> {
        let decay = self.decay;
        self.standings.retain(|_, s| {
            settle(s, decay, now);
            s.total > 0
        });
        let ended: Vec<PeerId> = self
            .bans
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in &ended {
            self.bans.remove(peer);
        }
        ended
    }
}

/// Forgives one point per whole `decay` interval since the last settlement.
fn settle(standing: &mut Standing, decay: Duration, now: Instant) {
    let elapsed = now.saturating_duration_since(standing.settled);
    let steps = elapsed.as_nanos() / decay.as_nanos().max(1);
    if steps == 0 {
        return;
    }
    let forgiven = i32::try_from(steps).unwrap_or(i32::MAX);
    standing.total = standing.total.saturating_sub(forgiven).max(0);
    let step_nanos = u64::try_from(decay.as_nanos()).unwrap_or(u64::MAX);
    let advance =
        Duration::from_nanos(step_nanos.saturating_mul(u64::try_from(steps).unwrap_or(u64::MAX)));
    standing.settled = standing
        .settled
        .checked_add(advance)
        .unwrap_or(now)
        .min(now);
}

/// Turns gossipsub's own peer score into penalty points.
///
/// Gossipsub rejects messages that fail its validation (bad signature, over the size limit,
/// malformed fields) without telling the application, but counts them in its score (P4,
/// "invalid message deliveries", and P7, protocol misbehaviour). The swarm task polls the
/// score of each connected peer and charges every new drop below zero as penalty points.
#[derive(Debug, Default)]
pub(crate) struct GossipScoreWatch {
    last: HashMap<PeerId, f64>,
}

impl GossipScoreWatch {
    /// Records the peer's gossipsub `score` and returns the new penalty points since the
    /// previous observation (0 if the score rose or stayed non-negative).
    pub(crate) fn observe(&mut self, peer: PeerId, score: f64) -> i32 {
        let negative = if score.is_finite() {
            (-score).max(0.0)
        } else {
            0.0
        };
        let previous = self.last.insert(peer, negative).unwrap_or(0.0);
        let increase = (negative - previous).max(0.0).ceil();
        // In range: the scoring parameters cap a score far below i32::MAX.
        if increase >= f64::from(i32::MAX) {
            i32::MAX
        } else {
            increase as i32
        }
    }

    /// Forgets a disconnected peer.
    pub(crate) fn forget(&mut self, peer: &PeerId) {
        self.last.remove(peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> Scoreboard {
        Scoreboard::new(100, Duration::from_secs(60), Duration::from_secs(10))
    }

    #[test]
    fn offences_add_up_to_a_ban() {
        let mut b = board();
        let peer = PeerId::random();
        let now = Instant::now();
        assert_eq!(
            b.penalize(peer, Offence::Invalid.weight(), now),
            Verdict::Recorded(50)
        );
        assert!(matches!(
            b.penalize(peer, Offence::Invalid.weight(), now),
            Verdict::Ban { total: 100, .. }
        ));
        assert!(b.is_banned(&peer));
        assert_eq!(b.penalize(peer, 1, now), Verdict::AlreadyBanned);
    }

    #[test]
    fn bans_expire_and_totals_restart_at_zero() {
        let mut b = board();
        let peer = PeerId::random();
        let now = Instant::now();
        b.penalize(peer, 100, now);
        assert!(b.expire(now + Duration::from_secs(59)).is_empty());
        assert_eq!(b.expire(now + Duration::from_secs(60)), vec![peer]);
        assert!(!b.is_banned(&peer));
        assert_eq!(b.total(&peer, now + Duration::from_secs(60)), 0);
    }

    #[test]
    fn totals_decay_one_point_per_interval() {
        let mut b = board();
        let peer = PeerId::random();
        let now = Instant::now();
        b.penalize(peer, 20, now);
        assert_eq!(b.total(&peer, now + Duration::from_secs(95)), 11);
        assert_eq!(b.total(&peer, now + Duration::from_secs(1000)), 0);
        assert!(b.expire(now + Duration::from_secs(1000)).is_empty());
    }

    #[test]
    fn gossip_score_drops_are_charged_once() {
        let mut w = GossipScoreWatch::default();
        let peer = PeerId::random();
        assert_eq!(w.observe(peer, 0.0), 0);
        assert_eq!(w.observe(peer, -10.0), 10);
        assert_eq!(w.observe(peer, -10.0), 0);
        assert_eq!(w.observe(peer, -4.0), 0);
        assert_eq!(w.observe(peer, -40.0), 36);
        assert_eq!(w.observe(peer, f64::NAN), 0);
    }
}
