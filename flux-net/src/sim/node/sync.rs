//! Block sync: a lagging or restarted validator asks a peer for the decided blocks it lacks
//! and applies each one whose commit certificate verifies, in height order.

use flux_chain::block::Block;
use flux_chain::consensus::{CommitCertificate, Height, Machine};

use super::super::error::SimError;
use super::super::message::Message;
use super::{Effect, SYNC_BATCH, Validator};

impl Validator {
    pub(super) fn answer_sync(
        &mut self,
        to: usize,
        from: Height,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        let last = self
            .storage
            .chain
            .height()
            .min(from.saturating_add(SYNC_BATCH - 1));
        for h in from..=last {
            let (Ok(Some(block)), Some(commit)) = (
                self.storage.chain.block_by_height(h),
                self.storage.certs.get(&h).cloned(),
            ) else {
                continue;
            };
            fx.push(Effect::Send(
                to,
                Message::Decided { block, commit }.to_bytes()?,
            ));
        }
        Ok(())
    }

    pub(super) fn synced(
        &mut self,
        block: Block,
        commit: CommitCertificate,
        now: u64,
        fx: &mut Vec<Effect>,
    ) -> Result<(), SimError> {
        let next = self.storage.chain.height() + 1;
        let h = block.header.height;
        if commit.height != h || h < next {
            return Ok(());
        }
        if h > next {
            // Arrived out of order: keep it (a few) until the heights before it are in.
            if h <= next + 2 * SYNC_BATCH {
                self.synced_ahead.insert(h, (block, commit));
            }
            return Ok(());
        }
        if block.id().ok() != Some(commit.value)
            || commit
                .verify(&self.current_committee()?, self.params.chain_id)
                .is_err()
        {
            self.refusals.rejected += 1;
            return Ok(());
        }
        self.commit_block(block, commit, fx)?;
        if self.machine.is_none() && self.storage.chain.height() >= self.storage.voted_height {
            self.machine = Some(Machine::new(&self.params, Some(self.key.clone())));
        }
        if self.machine.is_some() {
            self.next_height(now, fx)?;
        }
        let next = self.storage.chain.height() + 1;
        self.synced_ahead.retain(|h, _| *h >= next);
        if let Some((block, commit)) = self.synced_ahead.remove(&next) {
            return self.synced(block, commit, now, fx);
        }
        Ok(())
    }
}
