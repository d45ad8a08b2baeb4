//! A load generator: signed transfers at a steady rate through a node's API, each one followed
//! to its finalised block.
//!
//! Each sender account sends its share of the rate in nonce order, one request at a time (so
//! its nonces never arrive out of order); the senders run concurrently, so spread the load
//! over enough of them ([`derive_accounts`] and [`fund`] make and fund extra accounts). A
//! tracker walks the finalised blocks forward from the starting height and matches their
//! transaction ids against what was accepted, rather than asking for each transaction.

mod stats;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use flux_chain::tx::{Transaction, Transfer, TxId, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount, ChainId, Hash, codec};
use thiserror::Error;

use super::backend::BlockRef;
use super::client::{Client, ClientError};

pub use stats::{LoadReport, Percentiles, due, indexes_of, per_second, total_for};

/// What a run does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadConfig {
    /// Transactions per second, over all senders.
    pub rate: u32,
    /// How long to send.
    pub duration: Duration,
    /// Fee of each transfer.
    pub fee: Amount,
    /// Amount of each transfer (positive).
    pub amount: Amount,
    /// How long to wait, after the last submission, for accepted transactions to finalise.
    pub settle: Duration,
    /// How often to look for the next block.
    pub poll: Duration,
}

impl LoadConfig {
    /// `rate` per second for `duration`, fee 0.00001 FLUX, 1 base unit per transfer, 30 s to
    /// settle, blocks polled every 20 ms.
    pub fn new(rate: u32, duration: Duration) -> LoadConfig {
        LoadConfig {
            rate,
            duration,
            fee: Amount::from_base_units(1_000),
            amount: Amount::from_base_units(1),
            settle: Duration::from_secs(30),
            poll: Duration::from_millis(20),
        }
    }

    /// What one of `senders` accounts spends in a run (amount and fee of its share), twice
    /// over as a margin for retries.
    pub fn budget_per_sender(&self, senders: usize) -> Amount {
        let share = total_for(self.rate, self.duration).div_ceil(senders.max(1) as u64);
        let each = self
            .amount
            .base_units()
            .saturating_add(self.fee.base_units());
        Amount::from_base_units(each.saturating_mul(share).saturating_mul(2))
    }
}

/// Why a run could not start or finish.
#[derive(Debug, Error)]
pub enum LoadError {
    /// No sender keys.
    #[error("no sender accounts")]
    NoSenders,
    /// A zero rate, duration or amount.
    #[error("invalid load: {0}")]
    Config(&'static str),
    /// The node refused or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A derived key could not be made.
    #[error(transparent)]
    Key(#[from] flux_core::error::SignatureError),
    /// A transaction could not be encoded.
    #[error(transparent)]
    Codec(#[from] flux_core::error::CodecError),
    /// A task of the run stopped abnormally.
    #[error("load task failed: {0}")]
    Task(String),
}

/// `n` accounts derived from `seed` (deterministic: the same seed gives the same accounts, so a
/// second run reuses the first's funding).
pub fn derive_accounts(seed: &SecretKey, n: usize) -> Result<Vec<SecretKey>, LoadError> {
    let secret = seed.to_bytes();
    (0..n as u64)
        .map(|i| {
            let mut input = [0u8; 40];
            input[..32].copy_from_slice(secret.as_slice());
            input[32..].copy_from_slice(&i.to_le_bytes());
            let derived = Hash::tagged("flux/loadgen/account/v1", &input);
            input.fill(0);
            Ok(SecretKey::from_bytes(Scheme::Ed25519, derived.as_bytes())?)
        })
        .collect()
}

fn address_of(key: &SecretKey) -> Address {
    Address::from_public_key(&key.public_key())
}

/// Tops every account in `accounts` up to `each` with transfers from `funders` (spread over
/// them), then waits up to `timeout` for the transfers to finalise. Returns how many accounts
/// were topped up.
pub async fn fund(
    client: &Client,
    funders: &[SecretKey],
    accounts: &[SecretKey],
    each: Amount,
    fee: Amount,
    timeout: Duration,
) -> Result<usize, LoadError> {
    if funders.is_empty() {
        return Err(LoadError::NoSenders);
    }
    let chain_id = client.status().await?.chain_id;
    let mut short: Vec<Vec<(Address, Amount)>> = vec![Vec::new(); funders.len()];
    let mut count = 0;
    for key in accounts {
        let address = address_of(key);
        let balance = client.account(&format!("{address:x}")).await?.balance;
        if balance < each {
            short[count % funders.len()].push((address, each.saturating_sub(balance)));
            count += 1;
        }
    }
    let sends = funders.iter().zip(short).map(|(funder, to)| async move {
        let from = address_of(funder);
        let account = client.account(&format!("{from:x}")).await?;
        let first = account.nonce.max(account.pending_nonce);
        let mut last = None;
        for (nonce, (to, amount)) in (first..).zip(to) {
            let kind = TxKind::Transfer(Transfer { to, amount });
            let tx = Transaction::sign(funder, chain_id, nonce, fee, kind)?;
            last = Some(client.submit(&tx).await?);
        }
        if let Some(id) = last {
            client.wait_finalized(&id, timeout).await?;
        }
        Ok::<(), LoadError>(())
    });
    futures::future::try_join_all(sends).await?;
    Ok(count)
}

/// Where the transfers go: an address nobody holds a key for.
fn sink() -> Address {
    Address::from_hash(&Hash::tagged("flux/loadgen/sink/v1", b""))
}

/// Accepted transactions waiting to be seen in a block, with their submission time.
type Pending = Mutex<HashMap<TxId, Instant>>;

fn lock(pending: &Pending) -> MutexGuard<'_, HashMap<TxId, Instant>> {
    // A poisoned map is still a map: the run's counts stay meaningful.
    pending
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What one run shares between its tasks.
struct Run {
    client: Client,
    senders: Vec<SecretKey>,
    chain_id: ChainId,
    config: LoadConfig,
    total: u64,
    start: Instant,
    pending: Pending,
    /// When the last sender finished.
    done: OnceLock<Instant>,
}

#[derive(Default)]
struct SenderStats {
    submitted: u64,
    accepted: u64,
    rejected: BTreeMap<String, u64>,
    last: Option<Instant>,
}

/// Sends transfers from `senders` through `client` at `config.rate` for `config.duration`,
/// follows them to their blocks, and reports. Rejections are counted, not fatal; errors are
/// only for a run that cannot start (no senders, node unreachable at the start).
pub async fn run(
    client: &Client,
    senders: Vec<SecretKey>,
    config: &LoadConfig,
) -> Result<LoadReport, LoadError> {
    if senders.is_empty() {
        return Err(LoadError::NoSenders);
    }
    if config.rate == 0 || config.duration.is_zero() || config.amount.is_zero() {
        return Err(LoadError::Config(
            "rate, duration and amount must be positive",
        ));
    }
    let status = client.status().await?;
    let run = Arc::new(Run {
        client: client.clone(),
        chain_id: status.chain_id,
        total: total_for(config.rate, config.duration),
        config: config.clone(),
        start: Instant::now(),
        pending: Mutex::new(HashMap::new()),
        done: OnceLock::new(),
        senders,
    });
    let tracker = tokio::spawn(track(run.clone(), status.height));
    let tasks: Vec<_> = (0..run.senders.len())
        .map(|s| tokio::spawn(send(run.clone(), s)))
        .collect();
    let mut totals = SenderStats::default();
    for task in futures::future::join_all(tasks).await {
        let s = task.map_err(|e| LoadError::Task(e.to_string()))?;
        totals.submitted += s.submitted;
        totals.accepted += s.accepted;
        for (code, n) in s.rejected {
            *totals.rejected.entry(code).or_default() += n;
        }
        totals.last = totals.last.max(s.last);
    }
    let _ = run.done.set(Instant::now());
    let (mut latencies, last_seen, end_height) =
        tracker.await.map_err(|e| LoadError::Task(e.to_string()))?;
    let send_span = totals.last.map_or(Duration::ZERO, |t| t - run.start);
    let final_span = last_seen.map_or(Duration::ZERO, |t| t - run.start);
    Ok(LoadReport {
        node: client.base_url().to_owned(),
        senders: run.senders.len(),
        target_rate: config.rate,
        start_height: status.height,
        end_height,
        submitted: totals.submitted,
        accepted: totals.accepted,
        rejected: totals.rejected,
        send_seconds: send_span.as_secs_f64(),
        accepted_per_second: per_second(totals.accepted, send_span),
        finalized: latencies.len() as u64,
        finalized_per_second: per_second(latencies.len() as u64, final_span),
        finality_ms: Percentiles::of(&mut latencies),
    })
}

/// One sender: its share of the transfers, in nonce order, each at its due time.
async fn send(run: Arc<Run>, s: usize) -> SenderStats {
    let mut stats = SenderStats::default();
    let Some(key) = run.senders.get(s) else {
        return stats;
    };
    let hex = format!("{:x}", address_of(key));
    let mut nonce = None;
    for index in indexes_of(s, run.senders.len(), run.total) {
        let at = run.start + due(index, run.config.rate);
        tokio::time::sleep_until(at.into()).await;
        let next = match nonce {
            Some(n) => n,
            None => match run.client.account(&hex).await {
                Ok(a) => a.nonce.max(a.pending_nonce),
                Err(_) => {
                    *stats.rejected.entry("transport".to_owned()).or_default() += 1;
                    continue;
                }
            },
        };
        let kind = TxKind::Transfer(Transfer {
            to: sink(),
            amount: run.config.amount,
        });
        let Ok(bytes) = Transaction::sign(key, run.chain_id, next, run.config.fee, kind)
            .and_then(|tx| codec::encode(&tx))
        else {
            *stats.rejected.entry("encode".to_owned()).or_default() += 1;
            continue;
        };
        let id = Transaction::id_of_bytes(&bytes);
        let sent_at = Instant::now();
        lock(&run.pending).insert(id, sent_at);
        stats.submitted += 1;
        let result = run.client.submit_bytes(&bytes).await;
        stats.last = Some(Instant::now());
        let error = match result {
            Ok(_) => {
                stats.accepted += 1;
                nonce = Some(next + 1);
                continue;
            }
            Err(e) => e,
        };
        lock(&run.pending).remove(&id);
        let code = error.code().unwrap_or("transport").to_owned();
        nonce = match code.as_str() {
            // The nonce is taken by a pending transaction: move past it.
            "duplicate" | "replacement_fee_too_low" => Some(next + 1),
            // Out of step with the chain: ask it again.
            "stale_nonce" | "nonce_gap" => None,
            // The request failed in transit: the node may have taken it anyway.
            "transport" => {
                if let Ok(Some(_)) = run.client.tx(&id).await {
                    lock(&run.pending).insert(id, sent_at);
                    stats.accepted += 1;
                    nonce = Some(next + 1);
                    continue;
                }
                None
            }
            _ => Some(next),
        };
        *stats.rejected.entry(code).or_default() += 1;
    }
    stats
}

/// Walks finalised blocks from `start_height + 1`, timing each accepted transaction it finds,
/// until the senders are done and nothing is pending (or the settle time is over). Returns the
/// latencies (ms), when the last one was seen, and the last height looked at.
async fn track(run: Arc<Run>, start_height: u64) -> (Vec<u64>, Option<Instant>, u64) {
    let mut next = start_height + 1;
    let mut latencies = Vec::new();
    let mut last_seen = None;
    loop {
        if let Ok(Some(block)) = run.client.block(BlockRef::Height(next)).await {
            let now = Instant::now();
            let mut pending = lock(&run.pending);
            for id in &block.txs {
                if let Some(sent) = pending.remove(id) {
                    latencies.push(u64::try_from((now - sent).as_millis()).unwrap_or(u64::MAX));
                    last_seen = Some(now);
                }
            }
            next += 1;
            continue;
        }
        if let Some(done) = run.done.get()
            && (lock(&run.pending).is_empty() || Instant::now() >= *done + run.config.settle)
        {
            break;
        }
        tokio::time::sleep(run.config.poll).await;
    }
    (latencies, last_seen, next - 1)
}
