//! Block sync: a lagging or restarted node asks a peer for the decided blocks it lacks and
//! commits each one whose commit certificate verifies against its committee, in height order.

use flux_chain::chain::Chain;
use flux_chain::consensus::Height;
use flux_chain::store::Store;

use super::{Host, HostError};
use crate::message::Decided;
use crate::network::{Network, Offence};

/// The decided blocks from `from` on (at most `max`), encoded, for a sync answer. Stops at the
/// first height without a certificate (a block not decided by consensus here can not be
/// proven to a peer).
pub fn serve_sync<S: Store>(chain: &Chain<S>, from: Height, max: u64) -> Vec<Vec<u8>> {
    let last = chain
        .height()
        .min(from.saturating_add(max.saturating_sub(1)));
    let mut items = Vec::new();
    for h in from.max(1)..=last {
        let (Ok(Some(block)), Ok(Some(commit))) = (chain.block_by_height(h), chain.certificate(h))
        else {
            break;
        };
        match (Decided { block, commit }).to_bytes() {
            Ok(bytes) => items.push(bytes),
            Err(_) => break,
        }
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
    /// certificate verifies; then (re)starts consensus at the next height. Items out of order
    /// are kept a little; undecodable or invalid items cost the peer.
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
                if h <= next + 2 * self.config.sync_batch {
                    self.synced_ahead.insert(h, (block, commit));
                }
                continue;
            }
            if !self.commit_synced(peer, block, commit, net)? {
                return Ok(());
            }
            advanced = true;
            // Anything kept that now follows on.
            loop {
                let next = self.read()?.height() + 1;
                self.synced_ahead.retain(|k, _| *k >= next);
                let Some((block, commit)) = self.synced_ahead.remove(&next) else {
                    break;
                };
                if !self.commit_synced(peer, block, commit, net)? {
                    return Ok(());
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
