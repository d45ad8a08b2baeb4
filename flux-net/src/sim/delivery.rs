//! How the simulator moves what validators send: over the links (loss, partitions, delay),
//! within the node's limits (a gossip frame, bans), into the hosts; and the periodic ticks.

use rand_core::RngCore;

use super::network::Effect;
use super::{Fault, Payload, Sim, SimError, SimEvent};
use crate::host::serve_sync_shared;

impl Sim {
    /// Sends `payload` from `from` to `to` over the link: loss, partition, duplication, delay;
    /// nothing between two validators when one bans the other, and no gossip over a frame
    /// (the p2p layer refuses to publish it).
    pub(super) fn send(&mut self, from: usize, to: usize, payload: Payload) {
        if let Payload::Gossip(bytes) = &payload
            && bytes.len() > self.frame_bytes
        {
            self.oversized += 1;
            return;
        }
        if self.scores.cut(from, to, self.now) {
            self.dropped += 1;
            return;
        }
        let link = self.config.link;
        let copies = if (self.rng.next_u32() % 1_000_000) < link.duplicate_ppm {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let lost = (self.rng.next_u32() % 1_000_000) < link.loss_ppm;
            let cut = self
                .config
                .partitions
                .iter()
                .any(|p| p.separates(from, to, self.now));
            if lost || cut {
                self.dropped += 1;
                continue;
            }
            let delay = link.latency_ms + self.rng.next_u64() % (link.jitter_ms + 1);
            let event = SimEvent::Deliver {
                from,
                to,
                payload: payload.clone(),
            };
            self.schedule(self.now + delay.max(1), event);
        }
    }

    /// Sends `payload` from `from` to every other validator.
    pub(super) fn broadcast(&mut self, from: usize, payload: Payload) {
        if let Payload::Gossip(bytes) = &payload
            && bytes.len() > self.frame_bytes
        {
            self.oversized += 1;
            return;
        }
        for to in 0..self.validators.len() {
            if to != from {
                self.send(from, to, payload.clone());
            }
        }
    }

    /// Performs what validator `i` asked for and checks the invariants on its commits.
    pub(super) fn perform(&mut self, i: usize, effects: Vec<Effect>) -> Result<(), SimError> {
        for effect in effects {
            match effect {
                Effect::Publish(bytes) => self.broadcast(i, Payload::Gossip(bytes)),
                Effect::SendTo(to, bytes) => {
                    if to != i && to < self.validators.len() {
                        self.send(i, to, Payload::Gossip(bytes));
                    }
                }
                Effect::RequestSync {
                    peer,
                    from,
                    max_items,
                } => {
                    let n = self.validators.len() as u64;
                    let peer = match peer {
                        Some(p) => Some(p),
                        None if n > 1 => {
                            let p = (self.rng.next_u64() % (n - 1)) as usize;
                            Some(if p >= i { p + 1 } else { p })
                        }
                        None => None,
                    };
                    if let Some(p) = peer.filter(|p| *p != i && *p < self.validators.len()) {
                        self.send(i, p, Payload::SyncRequest { from, max_items });
                    }
                }
                Effect::Penalize(peer, offence) => {
                    self.scores.penalize(i, peer, offence, self.now);
                }
                Effect::Timer(after_ms, input) => {
                    let event = SimEvent::Timer {
                        to: i,
                        incarnation: self.validators[i].incarnation,
                        input,
                    };
                    self.schedule(self.now + after_ms, event);
                }
                Effect::Committed {
                    commit,
                    certificate,
                    committee,
                } => self.check_commit(i, commit, certificate, committee)?,
            }
        }
        Ok(())
    }

    /// Delivers `payload` from `from` to the running validator `to` (unless a ban came
    /// between them while it travelled).
    pub(super) fn deliver(
        &mut self,
        from: usize,
        to: usize,
        payload: Payload,
    ) -> Result<(), SimError> {
        if self.scores.cut(from, to, self.now) {
            self.dropped += 1;
            return Ok(());
        }
        self.delivered += 1;
        match payload {
            Payload::Gossip(bytes) => {
                if let Some(attacker) = self.validators[to].attacker.as_mut() {
                    attacker.observe(&bytes);
                }
                self.drive(to, |host, now_ms, net| {
                    host.on_gossip(from, &bytes, now_ms, net)
                })
            }
            Payload::SyncRequest {
                from: start,
                max_items,
            } => {
                // Served from the chain, as a node's network layer does, by a validator that
                // runs a host (silent and garbage validators answer nothing).
                if self.validators[to].host.is_none() {
                    return Ok(());
                }
                let items = match self.validators[to].poisoned_answer(start) {
                    Some(items) => items,
                    None => self.serve_sync(to, start, max_items),
                };
                if !items.is_empty() {
                    self.send(to, from, Payload::SyncResponse(items));
                }
                Ok(())
            }
            Payload::SyncResponse(items) => self.drive(to, |host, now_ms, net| {
                host.on_sync_response(from, items, now_ms, net)
            }),
        }
    }

    /// Validator `to`'s answer to a request for at most `max_items` blocks from `start` on,
    /// as the node serves it ([`serve_sync_shared`] with the host's batch and the frame's
    /// bytes, cut to one response frame).
    fn serve_sync(&mut self, to: usize, start: u64, max_items: u64) -> Vec<Vec<u8>> {
        let chain = self.validators[to].shared_chain();
        let items = serve_sync_shared(chain, start, max_items, self.sync_batch, self.frame_bytes);
        let max = u32::try_from(max_items).unwrap_or(u32::MAX);
        let items = crate::p2p::codec::fit_response(items, max, self.frame_bytes);
        let served = &mut self.largest_answer[to];
        *served = (*served).max(items.len() as u64);
        items
    }

    /// Validator `i`'s periodic tick: random bytes from a garbage sender, [`Host::on_tick`]
    /// for a validator with a host, and a byzantine validator's attacks.
    ///
    /// [`Host::on_tick`]: crate::host::Host::on_tick
    pub(super) fn tick(&mut self, i: usize) -> Result<(), SimError> {
        match self.validators[i].fault {
            Some(Fault::Silent) => Ok(()),
            Some(Fault::Garbage) => {
                let len = (self.rng.next_u32() % 256) as usize;
                let mut bytes = vec![0u8; len];
                self.rng.fill_bytes(&mut bytes);
                self.broadcast(i, Payload::Gossip(bytes));
                Ok(())
            }
            Some(Fault::Byzantine(_)) => {
                self.drive(i, |host, _, net| host.on_tick(net))?;
                let effects = self.validators[i].attack_tick();
                self.perform(i, effects)
            }
            _ => self.drive(i, |host, _, net| host.on_tick(net)),
        }
    }
}
