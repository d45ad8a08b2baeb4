//! The transaction verifier: a thread that checks the signatures of gossiped transaction
//! batches ([`crate::host::txs::verify_batch`]) so the consensus thread never does. It takes
//! no chain lock while it checks (it copies the parameters first) and hands the host only
//! what is left for the state rules.

use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError, sync_channel};

use flux_chain::store::RedbStore;
use libp2p::PeerId;

use super::driver::HostMail;
use crate::host::txs::{SharedRefusedTxs, verify_batch};
use crate::host::{SharedChain, SharedMempool};
use crate::message::Message;
use crate::p2p::{GossipId, P2pHandle, Validation};

/// Batches waiting for the verifier; more are dropped unjudged (not relayed, no charge).
pub(crate) const VERIFIER_QUEUE: usize = 64;

/// One gossip payload of the transaction topic.
struct Job {
    peer: PeerId,
    data: Vec<u8>,
    id: GossipId,
}

/// The sending side of the verifier's queue.
#[derive(Clone)]
pub(crate) struct TxVerifier {
    jobs: SyncSender<Job>,
    p2p: P2pHandle,
}

impl TxVerifier {
    /// Queues a payload of the transaction topic; a full queue drops it (ignored).
    pub(crate) fn submit(&self, peer: PeerId, data: Vec<u8>, id: GossipId) {
        match self.jobs.try_send(Job { peer, data, id }) {
            Ok(()) => {}
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                tracing::debug!(peer = %job.peer, "transaction verifier busy; batch dropped");
                self.p2p.validate(job.id, Validation::Ignore);
            }
        }
    }
}

/// What the verifier thread works with.
pub(crate) struct Verifier {
    jobs: Receiver<Job>,
    chain: SharedChain<RedbStore>,
    pool: SharedMempool,
    refused: SharedRefusedTxs,
    to_host: Sender<HostMail>,
}

/// The verifier's queue and the loop to run on its thread.
pub(crate) fn verifier(
    chain: SharedChain<RedbStore>,
    pool: SharedMempool,
    refused: SharedRefusedTxs,
    to_host: Sender<HostMail>,
    p2p: P2pHandle,
) -> (TxVerifier, Verifier) {
    let (jobs_tx, jobs) = sync_channel(VERIFIER_QUEUE);
    (
        TxVerifier { jobs: jobs_tx, p2p },
        Verifier {
            jobs,
            chain,
            pool,
            refused,
            to_host,
        },
    )
}

impl Verifier {
    /// Runs until every [`TxVerifier`] is gone or the host stopped.
    pub(crate) fn run(self) {
        while let Ok(Job { peer, data, id }) = self.jobs.recv() {
            let event = match Message::from_bytes(&data) {
                Ok(Message::Txs(txs)) => {
                    let Some(params) = self.chain.read().ok().map(|c| c.state().params().clone())
                    else {
                        return;
                    };
                    let batch = verify_batch(txs, &params, &self.refused, &self.pool);
                    HostMail::Txs(peer, batch, id)
                }
                // Anything else (or nothing decodable) is the host's to judge and charge.
                _ => HostMail::Gossip(peer, data, id),
            };
            if self.to_host.send(event).is_err() {
                return;
            }
        }
    }
}
