//! The node's job worker: runs the compute jobs the chain assigned to this node
//! ([`flux_chain::work`]) and sends its commitment, then its reveal, as the job's phases come.
//!
//! It runs on its own thread so a long job never holds up consensus, and it looks at the chain
//! after each new block. Results are kept in memory only: the salt of a commitment is derived
//! from the operator key and the job (a deterministic signature, hashed), and execution is
//! deterministic, so after a restart the worker computes the same result and salt again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;

use flux_chain::codec;
use flux_chain::store::RedbStore;
use flux_chain::tx::{SwapKeyRegister, Transaction, TxKind, WorkCommit, WorkReveal};
use flux_chain::work::{JobEntry, JobId, Phase, commitment};
use flux_core::crypto::{Domain, PublicKey, SecretKey};
use flux_core::{Address, Amount, Hash};
use flux_nodes::NodeId;
use flux_nodes::work::{Outcome, execute, validate};

use super::driver::HostMail;
use crate::host::{SharedChain, SharedMempool};

/// How often the worker looks for a new block.
const POLL: Duration = Duration::from_millis(200);

/// The domain of the signature a commitment's salt is derived from.
const SALT_DOMAIN: Domain = Domain::new("flux/work/salt/v1");

/// The salt of this node's commitment to `job`: secret until the reveal (it is derived from a
/// signature only the operator can make), the same after a restart.
pub fn salt_for(key: &SecretKey, chain_id: flux_core::ChainId, job: &JobId) -> [u8; 32] {
    let signature = key.sign(SALT_DOMAIN, chain_id, job.0.as_bytes());
    let bytes = codec::encode(&signature).unwrap_or_default();
    Hash::tagged("flux/work/salt/v1", &bytes).to_bytes()
}

/// The worker. See the module docs.
pub(crate) struct Worker {
    chain: SharedChain<RedbStore>,
    mempool: SharedMempool,
    key: SecretKey,
    id: NodeId,
    to_host: Sender<HostMail>,
    stop: Arc<AtomicBool>,
    results: BTreeMap<JobId, Outcome>,
    last_height: u64,
    /// The node's swap key, registered on chain by the worker when the chain lacks it.
    swap_key: Option<PublicKey>,
    /// The height at which the worker last sent a `SwapKeyRegister`.
    registered_at: Option<u64>,
}

/// Heights the worker waits for its `SwapKeyRegister` before sending it again.
const REGISTER_RETRY: u64 = 16;

impl Worker {
    pub(crate) fn new(
        chain: SharedChain<RedbStore>,
        mempool: SharedMempool,
        key: SecretKey,
        to_host: Sender<HostMail>,
        stop: Arc<AtomicBool>,
    ) -> Worker {
        let id = NodeId::of(&key.public_key());
        Worker {
            chain,
            mempool,
            key,
            id,
            to_host,
            stop,
            results: BTreeMap::new(),
            last_height: u64::MAX,
            swap_key: None,
            registered_at: None,
        }
    }

    /// Registers `key` as the node's swap key once the node is on chain.
    pub(crate) fn with_swap_key(mut self, key: PublicKey) -> Worker {
        self.swap_key = Some(key);
        self
    }

    /// Sends a `SwapKeyRegister` when the chain does not hold the node's swap key (the node
    /// is registered, and no registration of the last [`REGISTER_RETRY`] heights is pending).
    fn register_swap_key(&mut self, height: u64) {
        let Some(key) = self.swap_key else {
            return;
        };
        let needed = match self.chain.read() {
            Ok(chain) => {
                let state = chain.state();
                state.registry().get(&self.id).is_some()
                    && state.parallel().swap_keys.get(&self.id) != Some(&key)
            }
            Err(_) => false,
        };
        let waiting = self
            .registered_at
            .is_some_and(|at| height < at.saturating_add(REGISTER_RETRY));
        if needed && !waiting {
            self.registered_at = Some(height);
            tracing::info!(node = %self.id, "registering the swap key");
            self.submit(TxKind::SwapKeyRegister(SwapKeyRegister {
                node: self.id,
                key,
            }));
        }
    }

    /// Runs until told to stop.
    pub(crate) fn run(mut self) {
        while !self.stop.load(Ordering::Relaxed) {
            let height = self.chain.read().map(|c| c.height()).unwrap_or(0);
            if height != self.last_height {
                self.last_height = height;
                self.register_swap_key(height);
                self.step();
            }
            std::thread::sleep(POLL);
        }
    }

    /// One look at the chain: a commitment for each job in its commit phase that this node
    /// has not committed to, a reveal for each in its reveal phase that it has not revealed.
    fn step(&mut self) {
        let jobs: Vec<JobEntry> = match self.chain.read() {
            Ok(chain) => {
                let work = chain.state().work();
                work.open
                    .iter()
                    .filter_map(|id| work.jobs.get(id))
                    .filter(|j| j.assigned.contains(&self.id))
                    .cloned()
                    .collect()
            }
            Err(_) => return,
        };
        self.results
            .retain(|id, _| jobs.iter().any(|j| j.id == *id));
        for job in jobs {
            let kind = match job.phase {
                Phase::Commit { .. } if !job.commitments.contains_key(&self.id) => {
                    let Some(outcome) = self.outcome(&job) else {
                        continue;
                    };
                    let salt = salt_for(&self.key, self.chain_id(), &job.id);
                    TxKind::WorkCommit(WorkCommit {
                        job: job.id,
                        node: self.id,
                        commitment: commitment(&job.id, &self.id, &outcome.result_hash(), &salt),
                    })
                }
                Phase::Reveal { .. }
                    if job.commitments.contains_key(&self.id)
                        && !job.reveals.contains_key(&self.id) =>
                {
                    let Some(outcome) = self.outcome(&job) else {
                        continue;
                    };
                    TxKind::WorkReveal(WorkReveal {
                        job: job.id,
                        node: self.id,
                        outcome,
                        salt: salt_for(&self.key, self.chain_id(), &job.id),
                    })
                }
                _ => continue,
            };
            self.submit(kind);
        }
    }

    fn chain_id(&self) -> flux_core::ChainId {
        self.chain
            .read()
            .map(|c| c.state().params().chain_id)
            .unwrap_or(flux_core::ChainId(0))
    }

    /// This node's result for `job`, computed once.
    fn outcome(&mut self, job: &JobEntry) -> Option<Outcome> {
        if let Some(o) = self.results.get(&job.id) {
            return Some(o.clone());
        }
        let submit = match self.chain.read().ok()?.tx(&job.tx) {
            Ok(Some((tx, _))) => match tx.kind {
                TxKind::JobSubmit(s) => s,
                _ => return None,
            },
            _ => return None,
        };
        let outcome = validate(&submit.module)
            .and_then(|module| execute(&module, &submit.input, submit.fuel));
        match outcome {
            Ok(o) => {
                tracing::info!(job = %job.id, fuel = o.fuel_used, "job executed");
                self.results.insert(job.id, o.clone());
                Some(o)
            }
            Err(e) => {
                // The chain validated the module at submission, so this is a local fault.
                tracing::warn!(job = %job.id, error = %e, "job could not run here");
                None
            }
        }
    }

    /// Signs `kind` with the operator key at its next nonce, puts it in the mempool and hands
    /// it to the host for gossip.
    fn submit(&self, kind: TxKind) {
        let sender = Address::from_public_key(&self.key.public_key());
        let result = (|| -> Result<Transaction, String> {
            let chain = self
                .chain
                .read()
                .map_err(|_| "chain lock poisoned".to_owned())?;
            let state = chain.state();
            let mut pool = self
                .mempool
                .lock()
                .map_err(|_| "mempool lock poisoned".to_owned())?;
            let nonce = pool.next_nonce(&sender, state.account(&sender).nonce);
            let tx = Transaction::sign(
                &self.key,
                state.params().chain_id,
                nonce,
                Amount::ZERO,
                kind,
            )
            .map_err(|e| e.to_string())?;
            pool.insert(tx.clone(), state).map_err(|e| e.to_string())?;
            Ok(tx)
        })();
        match result {
            Ok(tx) => {
                let _ = self.to_host.send(HostMail::Tx(tx));
            }
            Err(e) => tracing::warn!(error = %e, "work transaction refused"),
        }
    }
}
