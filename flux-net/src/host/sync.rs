//! Block sync ([`BlockSync`], a component of the host): a lagging or restarted node asks a peer
//! for the decided blocks it lacks and commits each one whose commit certificate verifies
//! against its committee, in height order. It owns the blocks that came ahead of their turn;
//! the commit itself is the consensus driver's, reached through [`CommitDecided`].

use std::collections::BTreeMap;
use std::sync::RwLock;

use flux_chain::block::Block;
use flux_chain::chain::Chain;
use flux_chain::consensus::{CommitCertificate, Height};
use flux_chain::store::Store;

use super::shared::Ledger;
use super::{HostError, Refusals};
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

/// Where block sync commits a block whose certificate it verified (the consensus driver, which
/// owns commits and tells the other components).
pub(crate) trait CommitDecided<P> {
    /// Commits `block`, decided by `commit`.
    fn commit_decided<N: Network<Peer = P>>(
        &mut self,
        block: Block,
        commit: CommitCertificate,
        net: &mut N,
    ) -> Result<(), HostError>;
}

/// The block sync of one node. See the module docs.
#[derive(Debug)]
pub(crate) struct BlockSync<S: Store, P> {
    ledger: Ledger<S>,
    /// Most decided blocks served in answer to one sync request.
    batch: u64,
    /// Synced blocks above the next height, each with the peer that sent it (who answers for
    /// it when it is checked).
    ahead: BTreeMap<Height, (Block, CommitCertificate, P)>,
    refusals: Refusals,
}

impl<S: Store, P: Copy + Ord + std::fmt::Debug> BlockSync<S, P> {
    /// Serves (and keeps ahead) at most `batch` blocks at a time.
    pub(crate) fn new(ledger: Ledger<S>, batch: u64) -> BlockSync<S, P> {
        BlockSync {
            ledger,
            batch,
            ahead: BTreeMap::new(),
            refusals: Refusals::default(),
        }
    }

    /// What it refused so far.
    pub(crate) fn refusals(&self) -> Refusals {
        self.refusals
    }

    /// Decided blocks from `from_height` on, encoded, at most the configured batch.
    pub(crate) fn serve(&self, from_height: Height) -> Result<Vec<Vec<u8>>, HostError> {
        Ok(serve_sync(&*self.ledger.read()?, from_height, self.batch))
    }

    /// `peer`'s answer to a sync request: commits (through `target`) each block that extends
    /// the chain and whose certificate verifies. Items for later heights are kept a little (the
    /// first copy of each height), with the peer that sent them: when a kept item's turn comes
    /// and it is invalid, that peer is charged, not the one being served. Undecodable or
    /// invalid items cost the peer. `true` if the chain advanced and the response ended well
    /// (a response cut short by a bad item reports `false`, as the host always did: the
    /// next good response restarts the height).
    pub(crate) fn on_response<N: Network<Peer = P>, T: CommitDecided<P>>(
        &mut self,
        peer: P,
        items: Vec<Vec<u8>>,
        target: &mut T,
        net: &mut N,
    ) -> Result<bool, HostError> {
        let mut advanced = false;
        for bytes in items {
            let Ok(Decided { block, commit }) = Decided::from_bytes(&bytes) else {
                self.refusals.undecodable += 1;
                net.penalize(peer, Offence::Undecodable);
                return Ok(false);
            };
            let h = block.header.height;
            let next = self.ledger.read()?.height() + 1;
            if commit.height != h || h < next {
                continue;
            }
            if h > next {
                if h <= next + 2 * self.batch && !self.ahead.contains_key(&h) {
                    // The certificate is checked when its turn comes (its height's committee
                    // may differ from today's); that it names this block, at once.
                    if block.id().ok() != Some(commit.value) {
                        self.refusals.rejected += 1;
                        net.penalize(peer, Offence::Invalid);
                        return Ok(false);
                    }
                    self.ahead.insert(h, (block, commit, peer));
                }
                continue;
            }
            if !self.commit(peer, block, commit, target, net)? {
                return Ok(false);
            }
            advanced = true;
            // Anything kept that now follows on; a bad one costs the peer that sent it.
            loop {
                let next = self.ledger.read()?.height() + 1;
                self.ahead.retain(|k, _| *k >= next);
                let Some((block, commit, from)) = self.ahead.remove(&next) else {
                    break;
                };
                if !self.commit(from, block, commit, target, net)? {
                    break;
                }
            }
        }
        Ok(advanced)
    }

    /// Asks `peer` for what may follow the chain's tip.
    pub(crate) fn ask_more<N: Network<Peer = P>>(
        &self,
        peer: P,
        net: &mut N,
    ) -> Result<(), HostError> {
        let from = self.ledger.read()?.height() + 1;
        net.request_sync(Some(peer), from);
        Ok(())
    }

    /// Verifies one synced block and commits it; `false` (and a penalty) if it is invalid.
    fn commit<N: Network<Peer = P>, T: CommitDecided<P>>(
        &mut self,
        peer: P,
        block: Block,
        commit: CommitCertificate,
        target: &mut T,
        net: &mut N,
    ) -> Result<bool, HostError> {
        let ok = {
            let chain = self.ledger.read()?;
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
        target.commit_decided(block, commit, net)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::{Arc, Mutex, RwLock};

    use flux_chain::genesis::Genesis;
    use flux_chain::mempool::{Mempool, MempoolConfig};
    use flux_chain::store::MemStore;

    use super::*;
    use crate::host::{Host, HostConfig, Recorder};

    /// A commit target that is not the consensus driver: it commits to its chain directly.
    struct Direct(SharedChain, u64);

    type SharedChain = crate::host::SharedChain<MemStore>;

    impl CommitDecided<u8> for Direct {
        fn commit_decided<N: Network<Peer = u8>>(
            &mut self,
            block: Block,
            commit: CommitCertificate,
            _net: &mut N,
        ) -> Result<(), HostError> {
            let checked = self.0.read().unwrap().check(&block)?;
            self.0
                .write()
                .unwrap()
                .commit_checked(checked, Some(&commit))?;
            self.1 += 1;
            Ok(())
        }
    }

    fn ledger(chain: &SharedChain) -> Ledger<MemStore> {
        let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
        Ledger::new(chain.clone(), pool)
    }

    /// Block sync on its own, through its narrow interface: blocks that come ahead of their
    /// turn wait, commit in height order once the gap is filled, and garbage costs its sender.
    #[test]
    fn blocks_ahead_wait_for_their_turn_and_commit_in_order() {
        let (genesis, keys) = Genesis::devnet_with_nodes(1, 3).unwrap();
        let decided: SharedChain = Arc::new(RwLock::new(
            Chain::open_or_create(MemStore::new(), &genesis).unwrap(),
        ));
        let config = HostConfig::new(Some(keys[0].operator.clone()));
        let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
        let mut host: Host<MemStore, u8> = Host::new(config, decided.clone(), pool).unwrap();
        let mut net = Recorder::default();
        let mut now = genesis.timestamp_ms + 1_000;
        host.start(now, &mut net).unwrap();
        while decided.read().unwrap().height() < 5 {
            for (after, input) in std::mem::take(&mut net.timers) {
                now += after;
                host.on_timer(input, now, &mut net).unwrap();
            }
        }
        let items = serve_sync(&decided.read().unwrap(), 1, 5);
        assert_eq!(items.len(), 5);

        let behind: SharedChain = Arc::new(RwLock::new(
            Chain::open_or_create(MemStore::new(), &genesis).unwrap(),
        ));
        let mut sync: BlockSync<MemStore, u8> = BlockSync::new(ledger(&behind), 32);
        let mut target = Direct(behind.clone(), 0);
        let mut net = Recorder::default();
        // Heights 2..=5 first: kept, nothing committed.
        let advanced = sync
            .on_response(3, items[1..].to_vec(), &mut target, &mut net)
            .unwrap();
        assert!(!advanced);
        assert_eq!((behind.read().unwrap().height(), target.1), (0, 0));
        // Height 1 fills the gap: all five commit, in order.
        let advanced = sync
            .on_response(4, items[..1].to_vec(), &mut target, &mut net)
            .unwrap();
        assert!(advanced);
        assert_eq!((behind.read().unwrap().height(), target.1), (5, 5));
        assert!(net.penalties.is_empty());
        // Garbage costs its sender and commits nothing.
        let advanced = sync
            .on_response(9, vec![vec![1, 2, 3]], &mut target, &mut net)
            .unwrap();
        assert!(!advanced);
        assert_eq!(net.penalties, vec![(9, Offence::Undecodable)]);
        assert_eq!(sync.refusals().undecodable, 1);
    }
}
