//! Block sync: a lagging or restarted node asks a peer for the decided blocks it lacks and
//! commits each one whose commit certificate verifies against its committee, in height order.

use std::sync::RwLock;

use flux_chain::chain::Chain;
use flux_chain::consensus::Height;
use flux_chain::store::Store;

use super::{Host, HostError};
use crate::message::{Decided, MAX_MESSAGE_BYTES};
use crate::network::{Network, Offence};

/// The decided blocks from `from` on (at most `max`, and no more bytes than a message may
/// hold), encoded, for a sync answer. Stops at the first height without a certificate (a
/// block not decided by consensus here can not be proven to a peer).
pub fn serve_sync<S: Store>(chain: &Chain<S>, from: Height, max: u64) -> Vec<Vec<u8>> {
    let budget = usize::try_from(MAX_MESSAGE_BYTES).unwrap_or(usize::MAX);
    serve(from, max, budget, |h| decided_at(chain, h))
}

/// [`serve_sync`] for a node answering peers: `max` is clamped to `batch` (the node's own
/// bound, whatever the peer asked for), encoding stops once `max_bytes` of items are reached,
/// and the chain is read-locked only to read each block and certificate, never while
/// encoding.
pub fn serve_sync_shared<S: Store>(
    chain: &RwLock<Chain<S>>,
    from: Height,
    max: u64,
    batch: u64,
    max_bytes: usize,
) -> Vec<Vec<u8>> {
    serve(from, max.min(batch), max_bytes, |h| {
        chain.read().ok().and_then(|c| decided_at(&c, h))
    })
}

fn decided_at<S: Store>(chain: &Chain<S>, h: Height) -> Option<Decided> {
    if h > chain.height() {
        return None;
    }
    match (chain.block_by_height(h), chain.certificate(h)) {
        (Ok(Some(block)), Ok(Some(commit))) => Some(Decided { block, commit }),
        _ => None,
    }
}

/// Encodes the decided blocks `read` gives from `from` on, at most `max` of them, stopping
/// before the item that would take the total over `max_bytes`.
fn serve(
    from: Height,
    max: u64,
    max_bytes: usize,
    mut read: impl FnMut(Height) -> Option<Decided>,
) -> Vec<Vec<u8>> {
    let mut items = Vec::new();
    let mut total = 0usize;
    let first = from.max(1);
    for h in first..first.saturating_add(max) {
        let Some(bytes) = read(h).and_then(|d| d.to_bytes().ok()) else {
            break;
        };
        total = total.saturating_add(bytes.len());
        if total > max_bytes {
            break;
        }
        items.push(bytes);
    }
    items
}

impl<S: Store, P: Copy + Ord + std::fmt::Debug> Host<S, P> {
    /// Decided blocks from `from_height` on, encoded, at most the configured batch.
    pub fn serve_sync(&self, from_height: Height) -> Result<Vec<Vec<u8>>, HostError> {
        Ok(serve_sync(
            &*self.read()?,
            from_height,
            self.config.sync_batch,
        ))
    }

    /// `peer`'s answer to a sync request: commits each block that extends the chain and whose
    /// certificate verifies; then (re)starts consensus at the next height. Items for later
    /// heights are kept a little (the first copy of each height), with the peer that sent
    /// them: when a kept item's turn comes and it is invalid, that peer is charged, not the
    /// one being served. Undecodable or invalid items cost the peer.
    pub fn on_sync_response<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        items: Vec<Vec<u8>>,
        now_ms: u64,
        net: &mut N,
    ) -> Result<(), HostError> {
        let mut advanced = false;
        for bytes in items {
            let Ok(Decided { block, commit }) = Decided::from_bytes(&bytes) else {
                self.refusals.undecodable += 1;
                net.penalize(peer, Offence::Undecodable);
                return Ok(());
            };
            let h = block.header.height;
            let next = self.read()?.height() + 1;
            if commit.height != h || h < next {
                continue;
            }
            if h > next {
                if h <= next + 2 * self.config.sync_batch && !self.synced_ahead.contains_key(&h) {
                    // The certificate is checked when its turn comes (its height's committee
                    // may differ from today's); that it names this block, at once.
                    if block.id().ok() != Some(commit.value) {
                        self.refusals.rejected += 1;
                        net.penalize(peer, Offence::Invalid);
                        return Ok(());
                    }
                    self.synced_ahead.insert(h, (block, commit, peer));
                }
                continue;
            }
            if !self.commit_synced(peer, block, commit, net)? {
                return Ok(());
            }
            advanced = true;
            // Anything kept that now follows on; a bad one costs the peer that sent it.
            loop {
                let next = self.read()?.height() + 1;
                self.synced_ahead.retain(|k, _| *k >= next);
                let Some((block, commit, from)) = self.synced_ahead.remove(&next) else {
                    break;
                };
                if !self.commit_synced(from, block, commit, net)? {
                    break;
                }
            }
        }
        if advanced {
            if self.machine.is_some() {
                self.next_height(now_ms, net)?;
            } else {
                self.start(now_ms, net)?;
            }
            // More may be waiting.
            let from = self.read()?.height() + 1;
            net.request_sync(Some(peer), from);
        }
        Ok(())
    }

    /// Verifies and commits one synced block; `false` (and a penalty) if it is invalid.
    fn commit_synced<N: Network<Peer = P>>(
        &mut self,
        peer: P,
        block: flux_chain::block::Block,
        commit: flux_chain::consensus::CommitCertificate,
        net: &mut N,
    ) -> Result<bool, HostError> {
        let ok = {
            let chain = self.read()?;
            let committee = chain.committee(block.header.height)?;
            block.id().ok() == Some(commit.value)
                && commit
                    .verify(&committee, chain.state().params().chain_id)
                    .is_ok()
        };
        if !ok {
            self.refusals.rejected += 1;
            net.penalize(peer, Offence::Invalid);
            return Ok(false);
        }
        self.checked.clear();
        self.commit_block(block, commit, true, 0, net)?;
        Ok(true)
    }
}
