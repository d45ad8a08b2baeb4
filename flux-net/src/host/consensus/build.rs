//! The block this node proposes: pending evidence first, then the mempool's best
//! transactions, on the chain's tip at the clock's time (clamped into the header's window).

use std::collections::BTreeSet;

use flux_chain::block::Block;
use flux_chain::chain::CheckedBlock;
use flux_chain::consensus::Evidence;
use flux_chain::store::Store;
use flux_chain::transition::{BuildMode, propose_block};
use flux_chain::tx::{Transaction, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{Address, Amount};

use crate::host::HostError;
use crate::host::shared::Ledger;

/// The evidence transaction to include next, if any (one per block: the key's nonce).
fn evidence_tx<S: Store>(
    ledger: &Ledger<S>,
    key: &SecretKey,
    evidence: &BTreeSet<Evidence>,
) -> Result<Option<Transaction>, HostError> {
    let chain = ledger.read()?;
    let state = chain.state();
    let (next, max_age) = (
        state.tip().height.saturating_add(1),
        state.params().consensus.evidence_max_age,
    );
    let Some(e) = evidence.iter().find(|e| {
        e.check_age(next, max_age).is_ok()
            && state
                .registry()
                .get(&e.validator())
                .is_some_and(|n| !n.slashed.contains(&e.height()))
    }) else {
        return Ok(None);
    };
    let nonce = state
        .account(&Address::from_public_key(&key.public_key()))
        .nonce;
    Ok(Transaction::sign(
        key,
        state.params().chain_id,
        nonce,
        Amount::ZERO,
        TxKind::Evidence(*e),
    )
    .ok())
}

/// Builds the next block on this host's chain: pending evidence first, then the mempool's
/// best transactions; a transaction the block refuses is left out (and dropped from the
/// pool).
pub(super) fn next_block<S: Store>(
    ledger: &Ledger<S>,
    key: Option<&SecretKey>,
    evidence: &BTreeSet<Evidence>,
    max_block_txs: usize,
    now_ms: u64,
) -> Result<(Block, Option<CheckedBlock>), HostError> {
    let Some(proposer) = key else {
        return Err(HostError::NoKey);
    };
    let evidence = evidence_tx(ledger, proposer, evidence)?;
    let chain = ledger.read()?;
    let state = chain.state();
    let mut txs: Vec<Transaction> = evidence.into_iter().collect();
    let evidence_sender = txs.first().map(|t| t.sender_address());
    let pool = ledger.pool()?;
    txs.extend(
        pool.select(state, max_block_txs)
            .into_iter()
            .filter(|t| Some(t.sender_address()) != evidence_sender),
    );
    drop(pool);
    // The clock, clamped into the window the header rules accept (never wraps).
    let height = state.tip().height.saturating_add(1);
    let ts = flux_chain::transition::next_block_time(state, now_ms).map_err(|source| {
        HostError::Build {
            height,
            source: Box::new(source),
        }
    })?;
    // The candidates come from this node's mempool (their signatures checked on admission)
    // and its own evidence transaction.
    let built = propose_block(state, proposer, ts, vec![], txs, BuildMode::CHECKED_KNOWN);
    let block = match built {
        Ok(built) => {
            let refused = &built.dropped;
            // Refused now is refused in every later block on this state: out of the pool,
            // with its sender's later transactions (they wait on its nonce).
            if !refused.is_empty() {
                let mut pool = ledger.pool()?;
                for (id, reason) in refused {
                    tracing::debug!(tx = %id, %reason, "left out of the block and the mempool");
                    pool.remove(id);
                }
            }
            built
        }
        // Whatever went wrong with the transactions, an empty block keeps the chain going.
        Err(_) => propose_block(state, proposer, ts, vec![], vec![], BuildMode::CHECKED).map_err(
            |source| HostError::Build {
                height,
                source: Box::new(source),
            },
        )?,
    };
    let out = block.block.clone();
    Ok((out, block.into_checked()))
}
