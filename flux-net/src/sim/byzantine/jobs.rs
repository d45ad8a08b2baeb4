//! [`Strategy::OversizedBlocks`](super::Strategy::OversizedBlocks): feeding every mempool
//! large valid transactions at once, so the next proposer's block is larger than a gossip
//! frame.
//!
//! The jobs come from fresh accounts the attacker funds first (one job per account and wave):
//! batches of one sender's transactions that arrive out of order are refused for a nonce gap,
//! while jobs of many senders land in the mempools whatever the order, all together.

use flux_chain::chain::Chain;
use flux_chain::store::MemStore;
use flux_chain::tx::{JobSubmit, Transaction, Transfer, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount, ChainId, Hash};

use crate::host::SharedMempool;
use crate::message::Message;

/// Jobs per wave, one per fresh account (about 4.6 MiB: more than a 4 MiB gossip frame).
const JOBS: u64 = 56;
/// Jobs per gossiped batch (about 1.2 MiB).
const JOBS_PER_BATCH: usize = 14;
/// Ticks between two waves: one a minute (each wave costs every host seconds of debug-build
/// encoding, and one is enough to show whether a block over the frame can be built).
const WAVE_TICKS: u64 = 120;
/// What each fresh account is funded with: a job fee and a transaction fee, many times.
const FUNDING: Amount = Amount::ONE_FLUX;
/// The fee of each transaction it sends.
const TX_FEE: Amount = Amount::from_base_units(1_000);

/// The attacker's supply of large jobs.
#[derive(Debug)]
pub(super) struct JobFeed {
    accounts: Vec<SecretKey>,
    module: Option<Vec<u8>>,
    funded: bool,
    next_wave: u64,
}

impl JobFeed {
    /// The feed of validator `me` (its fresh accounts derive from `seed` and `me`).
    pub(super) fn new(seed: u64, me: usize) -> JobFeed {
        let accounts = (0..JOBS)
            .filter_map(|k| {
                let secret = Hash::digest(
                    &[
                        b"flux-sim-job-account".as_slice(),
                        &seed.to_le_bytes(),
                        &(me as u64).to_le_bytes(),
                        &k.to_le_bytes(),
                    ]
                    .concat(),
                );
                SecretKey::from_bytes(Scheme::Ed25519, secret.as_bytes()).ok()
            })
            .collect();
        JobFeed {
            accounts,
            module: None,
            funded: false,
            next_wave: 0,
        }
    }

    /// This tick's transaction batches (encoded messages) from `key`'s account, whose next
    /// unused nonce is `*nonce`: the funding transfers first, then a wave of jobs every
    /// [`WAVE_TICKS`] once the accounts are funded. Each also goes into the attacker's own
    /// mempool (so its own blocks carry them too).
    pub(super) fn on_tick(
        &mut self,
        tick: u64,
        chain: &Chain<MemStore>,
        (key, chain_id, nonce): (&SecretKey, ChainId, &mut u64),
        mempool: Option<&SharedMempool>,
    ) -> Vec<Vec<u8>> {
        let txs = if !self.funded {
            self.funded = true;
            self.funding(key, chain_id, nonce)
        } else if tick >= self.next_wave && self.accounts_funded(chain) {
            self.next_wave = tick + WAVE_TICKS;
            self.wave(chain, chain_id)
        } else {
            return Vec::new();
        };
        if let Some(pool) = mempool
            && let Ok(mut pool) = pool.lock()
        {
            for tx in &txs {
                // (Refused ones are refused by every host alike.)
                let _ = pool.insert(tx.clone(), chain.state());
            }
        }
        txs.chunks(JOBS_PER_BATCH)
            .filter_map(|batch| Message::Txs(batch.to_vec()).to_bytes().ok())
            .collect()
    }

    fn funding(&self, key: &SecretKey, chain_id: ChainId, nonce: &mut u64) -> Vec<Transaction> {
        let mut txs = Vec::new();
        for account in &self.accounts {
            let kind = TxKind::Transfer(Transfer {
                to: Address::from_public_key(&account.public_key()),
                amount: FUNDING,
            });
            if let Ok(tx) = Transaction::sign(key, chain_id, *nonce, TX_FEE, kind) {
                txs.push(tx);
                *nonce += 1;
            }
        }
        txs
    }

    fn accounts_funded(&self, chain: &Chain<MemStore>) -> bool {
        self.accounts.iter().all(|a| {
            !chain
                .account(&Address::from_public_key(&a.public_key()))
                .balance
                .is_zero()
        })
    }

    /// One large job from every fresh account, at its next nonce.
    fn wave(&mut self, chain: &Chain<MemStore>, chain_id: ChainId) -> Vec<Transaction> {
        let params = chain.state().params();
        let module = match &self.module {
            Some(m) => m.clone(),
            None => {
                let Some(m) = padded_module(params.work.max_module_bytes) else {
                    return Vec::new();
                };
                self.module = Some(m.clone());
                m
            }
        };
        let input = vec![7u8; usize::try_from(params.work.max_input_bytes).unwrap_or(0)];
        let fee = params.work.min_job_fee;
        self.accounts
            .iter()
            .filter_map(|account| {
                let address = Address::from_public_key(&account.public_key());
                let kind = TxKind::JobSubmit(JobSubmit {
                    module: module.clone(),
                    input: input.clone(),
                    fuel: 1_000_000,
                    fee,
                });
                let nonce = chain.account(&address).nonce;
                Transaction::sign(account, chain_id, nonce, TX_FEE, kind).ok()
            })
            .collect()
    }
}

/// A valid job module (the echo job) padded with a custom section to `size` bytes.
fn padded_module(size: u64) -> Option<Vec<u8>> {
    let mut module = flux_nodes::work::compile_wat(flux_nodes::work::jobs::ECHO_WAT).ok()?;
    let name = b"pad";
    // Section: id 0, size (5-byte LEB128), name length (1 byte), name, payload.
    let overhead = 1 + 5 + 1 + name.len();
    let payload = usize::try_from(size)
        .ok()?
        .checked_sub(module.len() + overhead)?;
    let body = 1 + name.len() + payload;
    module.push(0);
    let mut n = u32::try_from(body).ok()?;
    for i in 0..5 {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        module.push(if i < 4 { byte | 0x80 } else { byte });
    }
    module.push(name.len() as u8);
    module.extend_from_slice(name);
    module.resize(module.len() + payload, 0);
    Some(module)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn the_padded_module_is_a_valid_job_of_the_largest_size() {
        let params = flux_core::ChainParams::devnet();
        let module = padded_module(params.work.max_module_bytes).unwrap();
        assert_eq!(module.len() as u64, params.work.max_module_bytes);
        flux_nodes::work::validate(&module).unwrap();
    }
}
