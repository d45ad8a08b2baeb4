//! One simulated validator: its chain (which survives crashes, like a disk), its behaviour, and
//! while it runs, the [`Host`] every real node runs: the same components (consensus driver,
//! transaction gossip, block sync, liveness, swaps; see [`crate::host`]) composed the same way,
//! over a [`SimNetwork`] instead of libp2p. Byzantine behaviours are wrappers outside
//! the host: a silent validator has no host, a garbage sender has none either (the simulator
//! sends its random bytes), an equivocator runs a host whose network adds a second vote, and a
//! byzantine validator with [`Strategies`](super::Strategies) runs a host with an
//! [`Attacker`] around it.

use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use flux_chain::chain::Chain;
use flux_chain::consensus::Committee;
use flux_chain::mempool::{Mempool, MempoolConfig};
use flux_chain::store::MemStore;
use flux_core::crypto::SecretKey;

use super::byzantine::Attacker;
use super::config::Fault;
use super::network::{Effect, Equivocation, SimNetwork};
use crate::host::{Host, HostConfig, HostError, Refusals, SharedChain, SharedMempool};

/// One validator of a simulation.
#[derive(Debug)]
pub(crate) struct Validator {
    /// Its byzantine behaviour, if any.
    pub(crate) fault: Option<Fault>,
    key: SecretKey,
    chain: SharedChain<MemStore>,
    /// The committee of the chain's next height (see [`SimNetwork`]).
    committee: Option<Committee>,
    equivocation: Option<Equivocation>,
    /// The attacks around its host, if it runs [`Fault::Byzantine`].
    pub(crate) attacker: Option<Attacker>,
    /// The host's mempool, while running.
    mempool: Option<SharedMempool>,
    /// The host, while running (never for silent and garbage validators).
    pub(crate) host: Option<Host<MemStore, usize>>,
    /// Between a start and a crash.
    pub(crate) running: bool,
    /// Counts starts, so timers and ticks of an earlier run are ignored.
    pub(crate) incarnation: u64,
    /// What the hosts of earlier runs refused.
    refused_before: Refusals,
}

impl Validator {
    /// A stopped validator `me` of `n` over `chain`; `seed` makes a byzantine one's choices.
    pub(crate) fn new(
        fault: Option<Fault>,
        key: SecretKey,
        chain: Chain<MemStore>,
        (me, n, seed): (usize, usize, u64),
    ) -> Validator {
        let chain_id = chain.state().params().chain_id;
        let equivocation = match fault {
            Some(Fault::Equivocating { height }) => Some(Equivocation {
                height,
                key: key.clone(),
                chain_id,
            }),
            _ => None,
        };
        let attacker = match fault {
            Some(Fault::Byzantine(strategies)) => Some(Attacker::new(
                strategies,
                key.clone(),
                chain_id,
                me,
                n,
                seed,
            )),
            _ => None,
        };
        Validator {
            fault,
            key,
            chain: Arc::new(RwLock::new(chain)),
            committee: None,
            equivocation,
            attacker,
            mempool: None,
            host: None,
            running: false,
            incarnation: 0,
            refused_before: Refusals::default(),
        }
    }

    /// Whether it runs a host (honest, equivocating and byzantine validators).
    pub(crate) fn runs_host(&self) -> bool {
        !matches!(self.fault, Some(Fault::Silent | Fault::Garbage))
    }

    /// Marks it running with a fresh host (and an empty mempool) over its stored chain; the
    /// caller starts the host through [`Validator::drive`].
    pub(crate) fn boot(&mut self) -> Result<(), HostError> {
        self.running = true;
        self.incarnation += 1;
        if self.runs_host() {
            let committee = {
                let chain = self.chain.read().map_err(|_| HostError::Poisoned)?;
                chain.committee(chain.height() + 1)?
            };
            self.committee = Some(committee);
            let mempool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
            let config = HostConfig::new(Some(self.key.clone()));
            self.mempool = Some(mempool.clone());
            self.host = Some(Host::new(config, self.chain.clone(), mempool)?);
        }
        Ok(())
    }

    /// Stops: the host, its mempool and everything in flight are lost; the chain survives.
    pub(crate) fn crash(&mut self) {
        self.mempool = None;
        if let Some(host) = self.host.take() {
            let r = host.refusals();
            self.refused_before.undecodable += r.undecodable;
            self.refused_before.rejected += r.rejected;
        }
        self.running = false;
    }

    /// Runs `call` on the host (if there is one) with a [`SimNetwork`] whose sync requests
    /// ask for `sync_items` blocks, and returns what it asked for. Nothing, without a host.
    pub(crate) fn drive<F>(&mut self, sync_items: u64, call: F) -> Result<Vec<Effect>, HostError>
    where
        F: FnOnce(&mut Host<MemStore, usize>, &mut SimNetwork<'_>) -> Result<(), HostError>,
    {
        let Some(host) = self.host.as_mut() else {
            return Ok(Vec::new());
        };
        let mut net = SimNetwork::new(
            &self.chain,
            &mut self.committee,
            self.equivocation.as_ref(),
            self.attacker.as_mut(),
            sync_items,
        );
        call(host, &mut net)?;
        Ok(net.into_effects())
    }

    /// The attacker's tick: the messages its strategies make on their own.
    pub(crate) fn attack_tick(&mut self) -> Vec<Effect> {
        let position = self
            .host
            .as_ref()
            .and_then(|h| h.machine())
            .map(|m| (m.height(), m.round()));
        match self.attacker.as_mut() {
            Some(a) => a.on_tick(&self.chain, self.mempool.as_ref(), position),
            None => Vec::new(),
        }
    }

    /// The attacker's answer to a sync request, if it poisons sync.
    pub(crate) fn poisoned_answer(
        &mut self,
        from: flux_chain::consensus::Height,
    ) -> Option<Vec<Vec<u8>>> {
        let chain = &self.chain;
        self.attacker.as_mut()?.poisoned_answer(chain, from)
    }

    /// Its chain, shared.
    pub(crate) fn shared_chain(&self) -> &SharedChain<MemStore> {
        &self.chain
    }

    /// Its chain, read.
    pub(crate) fn chain(&self) -> Option<RwLockReadGuard<'_, Chain<MemStore>>> {
        self.chain.read().ok()
    }

    /// What its hosts refused, over all its runs.
    pub(crate) fn refusals(&self) -> Refusals {
        let now = self.host.as_ref().map(|h| h.refusals()).unwrap_or_default();
        Refusals {
            undecodable: self.refused_before.undecodable + now.undecodable,
            rejected: self.refused_before.rejected + now.rejected,
        }
    }
}
