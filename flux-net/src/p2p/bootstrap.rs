//! Bootstrap peers: dialled at start, re-dialled with exponential backoff while disconnected.

use std::time::{Duration, Instant};

use libp2p::multiaddr::Protocol;
use libp2p::swarm::ConnectionId;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{Multiaddr, PeerId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting; dial again at this instant.
    Idle(Instant),
    /// A dial is in progress.
    Dialing(ConnectionId),
    /// Connected to the entry's peer.
    Connected,
    /// The address is our own: never dialled again.
    Own,
}

#[derive(Debug)]
struct Entry {
    addr: Multiaddr,
    /// From a `/p2p/<id>` suffix, or learned from the first connection.
    peer: Option<PeerId>,
    state: State,
    backoff: Duration,
}

/// The bootstrap list and each entry's dial state.
#[derive(Debug)]
pub(crate) struct Bootstrap {
    entries: Vec<Entry>,
    initial: Duration,
    max: Duration,
}

impl Bootstrap {
    /// Entries for `addrs`, all due immediately. `local` is skipped if an address names it.
    pub(crate) fn new(
        addrs: &[Multiaddr],
        local: PeerId,
        initial: Duration,
        max: Duration,
        now: Instant,
    ) -> Self {
        let entries = addrs
            .iter()
            .map(|addr| {
                let peer = match addr.iter().last() {
                    Some(Protocol::P2p(peer)) => Some(peer),
                    _ => None,
                };
                let state = if peer == Some(local) {
                    State::Own
                } else {
                    State::Idle(now)
                };
                Entry {
                    addr: addr.clone(),
                    peer,
                    state,
                    backoff: initial,
                }
            })
            .collect();
        Bootstrap {
            entries,
            initial,
            max,
        }
    }

    /// Dials that are due at `now`; each is marked as in progress. `connected` says whether a
    /// peer already has a connection (for example one it opened to us).
    pub(crate) fn due(
        &mut self,
        now: Instant,
        connected: impl Fn(&PeerId) -> bool,
    ) -> Vec<DialOpts> {
        let mut dials = Vec::new();
        for entry in &mut self.entries {
            let known_connected = entry.peer.as_ref().is_some_and(&connected);
            match entry.state {
                State::Own | State::Dialing(_) => {}
                _ if known_connected => entry.state = State::Connected,
                State::Connected => entry.state = State::Idle(now),
                State::Idle(at) if at <= now => {
                    let opts = match entry.peer {
                        Some(peer) => DialOpts::peer_id(peer)
                            .addresses(vec![entry.addr.clone()])
                            .condition(PeerCondition::DisconnectedAndNotDialing)
                            .build(),
                        None => DialOpts::unknown_peer_id()
                            .address(entry.addr.clone())
                            .build(),
                    };
                    entry.state = State::Dialing(opts.connection_id());
                    dials.push(opts);
                }
                State::Idle(_) => {}
            }
        }
        dials
    }

    /// A connection was established; marks the entry it came from (if any) as connected.
    pub(crate) fn on_connected(&mut self, connection: ConnectionId, peer: PeerId) {
        for entry in &mut self.entries {
            if entry.state == State::Dialing(connection) {
                entry.peer = Some(peer);
                entry.backoff = self.initial;
                entry.state = State::Connected;
            } else if entry.peer == Some(peer) && matches!(entry.state, State::Idle(_)) {
                entry.state = State::Connected;
            }
        }
    }

    /// A dial failed (or could not start); retries after the entry's backoff, which doubles.
    /// `to_self` marks an address that turned out to be our own.
    pub(crate) fn on_dial_failed(
        &mut self,
        connection: ConnectionId,
        to_self: bool,
        now: Instant,
    ) -> Option<Multiaddr> {
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.state == State::Dialing(connection))?;
        if to_self {
            entry.state = State::Own;
            return Some(entry.addr.clone());
        }
        entry.state = State::Idle(now.checked_add(entry.backoff).unwrap_or(now));
        entry.backoff = entry.backoff.saturating_mul(2).min(self.max);
        Some(entry.addr.clone())
    }

    /// The last connection to `peer` closed: its entry is dialled again after the first delay.
    pub(crate) fn on_disconnected(&mut self, peer: PeerId, now: Instant) {
        for entry in &mut self.entries {
            if entry.peer == Some(peer) && entry.state == State::Connected {
                entry.state = State::Idle(now.checked_add(self.initial).unwrap_or(now));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_dials_back_off_and_reset_on_success() {
        let now = Instant::now();
        let addr: Multiaddr = "/ip4/127.0.0.1/tcp/1"
            .parse()
            .unwrap_or_else(|_| Multiaddr::empty());
        let ms = Duration::from_millis;
        let mut b = Bootstrap::new(&[addr], PeerId::random(), ms(100), ms(300), now);
        let first = b.due(now, |_| false);
        assert_eq!(first.len(), 1);
        assert!(
            b.due(now, |_| false).is_empty(),
            "no second dial while one is in progress"
        );
        b.on_dial_failed(first[0].connection_id(), false, now);
        assert!(b.due(now + ms(99), |_| false).is_empty());
        let second = b.due(now + ms(100), |_| false);
        b.on_dial_failed(second[0].connection_id(), false, now);
        assert!(b.due(now + ms(199), |_| false).is_empty());
        let third = b.due(now + ms(200), |_| false);
        let peer = PeerId::random();
        b.on_connected(third[0].connection_id(), peer);
        assert!(b.due(now + ms(10_000), |_| true).is_empty());
        b.on_disconnected(peer, now);
        assert!(b.due(now + ms(99), |_| false).is_empty());
        assert_eq!(b.due(now + ms(100), |_| false).len(), 1);
    }

    #[test]
    fn own_address_is_never_dialled() {
        let local = PeerId::random();
        let addr: Multiaddr = format!("/ip4/127.0.0.1/tcp/1/p2p/{local}")
            .parse()
            .unwrap_or_else(|_| Multiaddr::empty());
        let mut b = Bootstrap::new(
            &[addr],
            local,
            Duration::from_millis(1),
            Duration::from_millis(1),
            Instant::now(),
        );
        assert!(b.due(Instant::now(), |_| false).is_empty());
    }
}
