//! Executing a block: the stateless rules and signatures of its transactions, then the state
//! part ([`Execution`]): deadlines, each transaction in order, the end-of-block rules, the
//! trie changes. Applying a block runs it once; the builder runs it once too, rolling back
//! each refused transaction instead of starting again.

use std::collections::BTreeMap;

use flux_core::crypto::{BatchItem, Domain, verify_batch_committed};
use flux_core::error::SignatureError;
use flux_core::{Address, Amount, codec};
use flux_nodes::node::NodeId;
use flux_nodes::registry::RegistryEvent;

use super::ctx::Ctx;
use super::header::{check_header, next_seed};
use super::{
    KnownSignatures, Receipts, RootMode, TxReceipt, Verification, app, gov, hosting, node,
    parallel, reward, slash, transfer, work,
};
use crate::block::{Header, tx_root};
use crate::error::{BlockError, TxError};
use crate::state::areas::{AppsDiff, AppsState, GovDiff, Head, NodesDiff, ParallelDiff, WorkDiff};
use crate::state::{AreaDiffs, RECENT_BLOCKS, State, StateDiff, Tip};
use crate::tx::{Transaction, TxId, TxKind};

#[cfg(test)]
thread_local! {
    /// How many times the state part of a block ran on this thread (tests count executions).
    pub(crate) static EXECUTIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// One transaction, encoded once: its id, size and signed payload.
pub(super) struct Prepared {
    pub(super) id: TxId,
    pub(super) sender: Address,
    /// The canonical bytes; the signed payload is `bytes[..payload_len]`.
    pub(super) bytes: Vec<u8>,
    pub(super) payload_len: usize,
}

impl Prepared {
    /// Encodes `tx` once and checks its stateless rules; a refusal names the transaction.
    pub(super) fn of(
        tx: &Transaction,
        params: &flux_core::ChainParams,
    ) -> Result<Prepared, (TxId, TxError)> {
        let bytes = codec::encode(tx).map_err(|e| (TxId(flux_core::Hash::ZERO), e.into()))?;
        let id = Transaction::id_of_bytes(&bytes);
        tx.check_stateless(params, bytes.len() as u64)
            .map_err(|e| (id, e))?;
        let payload_len = tx
            .payload_of_bytes(&bytes)
            .map_err(|e| (id, e.into()))?
            .len();
        Ok(Prepared {
            id,
            sender: tx.sender_address(),
            bytes,
            payload_len,
        })
    }
}

/// Checks and executes `block`-to-be under `header` (whose transaction root it checks); the
/// first broken rule rejects it.
pub(super) fn execute(
    state: &State,
    header: &Header,
    txs: &[Transaction],
    verification: Verification,
    known: &KnownSignatures<'_>,
) -> Result<(StateDiff, Receipts), BlockError> {
    let params = state.params();
    check_header(state, header, txs.len())?;
    let seed = next_seed(state, header, verification)?;

    // Encode each transaction once: size, id, signed payload.
    let mut prepared = Vec::with_capacity(txs.len());
    for (index, tx) in txs.iter().enumerate() {
        let p = Prepared::of(tx, params).map_err(|(id, source)| BlockError::Tx {
            index,
            id,
            source,
        })?;
        prepared.push(p);
    }
    check_size(header, &prepared, params)?;
    let ids: Vec<TxId> = prepared.iter().map(|p| p.id).collect();
    let computed = tx_root(&ids);
    if computed != header.tx_root {
        return Err(BlockError::TxRootMismatch {
            computed,
            found: header.tx_root,
        });
    }

    // Every signature not known good, in one batch. The transaction root commits to every
    // transaction's full bytes (key, payload with chain id, signature), so it seeds the batch
    // coefficients.
    if verification == Verification::Full {
        verify_signatures(txs, &prepared, &ids, &computed, known)?;
    }
    let mut run = Execution::begin(state, header, verification)?;
    for (index, (tx, p)) in txs.iter().zip(&prepared).enumerate() {
        run.apply(tx, p).map_err(|source| BlockError::Tx {
            index,
            id: p.id,
            source,
        })?;
    }
    run.finish(header, RootMode::EveryBlock, seed)
}

/// The block's size limit, over the header and the encoded transactions.
pub(super) fn check_size(
    header: &Header,
    prepared: &[Prepared],
    params: &flux_core::ChainParams,
) -> Result<(), BlockError> {
    let mut size = codec::encoded_len(header)? + 8;
    for p in prepared {
        size += p.bytes.len() as u64;
    }
    if size > params.limits.max_block_bytes {
        return Err(BlockError::TooLarge {
            size,
            max: params.limits.max_block_bytes,
        });
    }
    Ok(())
}

/// Checks the signatures of `txs` in one batch, but for those `known` names; `commitment` must
/// commit to every transaction's full bytes (their root). A bad signature is reported with
/// its transaction's index in `txs`.
pub(super) fn verify_signatures(
    txs: &[Transaction],
    prepared: &[Prepared],
    ids: &[TxId],
    commitment: &flux_core::Hash,
    known: &KnownSignatures<'_>,
) -> Result<(), BlockError> {
    let (indexes, items): (Vec<usize>, Vec<BatchItem<'_>>) = txs
        .iter()
        .zip(prepared)
        .enumerate()
        .filter(|(_, (_, p))| !known.contains(&p.id))
        .map(|(index, (tx, p))| {
            let item = BatchItem {
                domain: Domain::TRANSACTION,
                chain_id: tx.chain_id,
                message: &p.bytes[..p.payload_len],
                public_key: &tx.sender,
                signature: &tx.signature,
            };
            (index, item)
        })
        .unzip();
    verify_batch_committed(&items, commitment).map_err(|e| match e {
        SignatureError::BatchItem { index, source } => {
            // The batch's indexes are those of `items`, one per entry of `indexes`.
            let index = indexes[index];
            BlockError::Tx {
                index,
                id: ids[index],
                source: TxError::Signature(*source),
            }
        }
        other => BlockError::Signatures(other),
    })
}

/// The state part of a block in progress: deadlines already fired, transactions applied so
/// far. See [`Execution::finish`].
pub(super) struct Execution<'s> {
    ctx: Ctx<'s>,
    node_events: Vec<RegistryEvent>,
    receipts: Vec<TxReceipt>,
}

impl<'s> Execution<'s> {
    /// Starts the block at `header` on `state`: node deadlines due at this height fire before
    /// the transactions.
    pub(super) fn begin(
        state: &'s State,
        header: &Header,
        verification: Verification,
    ) -> Result<Execution<'s>, BlockError> {
        #[cfg(test)]
        EXECUTIONS.with(|c| c.set(c.get() + 1));
        let mut ctx = Ctx::new(state, header.height, verification);
        let node_events = ctx
            .registry
            .on_block(header.height, state.params())
            .map_err(|e| BlockError::Deadlines(e.into()))?;
        parallel::draw_attesters(&mut ctx).map_err(|e| BlockError::Deadlines(e.into()))?;
        for event in &node_events {
            ctx.touched.insert(event.node());
            if let RegistryEvent::Released { owner, amount, .. } = event {
                ctx.overlay.credit(*owner, *amount)?;
            }
        }
        Ok(Execution {
            ctx,
            node_events,
            receipts: Vec::new(),
        })
    }

    /// Applies the next transaction. On a refusal the context may be half-changed: the
    /// block is refused as a whole (see [`Execution::try_apply`] to go on).
    pub(super) fn apply(&mut self, tx: &Transaction, p: &Prepared) -> Result<(), TxError> {
        let receipt = apply_tx(&mut self.ctx, tx, p)?;
        self.receipts.push(receipt);
        Ok(())
    }

    /// Applies the next transaction, or, if it is refused, undoes what it did: the block goes
    /// on as if it had never been offered.
    pub(super) fn try_apply(&mut self, tx: &Transaction, p: &Prepared) -> Result<(), TxError> {
        let point = self.ctx.savepoint();
        self.apply(tx, p).inspect_err(|_| self.ctx.rollback(point))
    }

    /// Ends the block: fees to the proposer, apps' settlement, the block reward, governance
    /// and work at the end of the block, then the trie changes (applied or, with a deferred
    /// root, queued).
    pub(super) fn finish(
        self,
        header: &Header,
        root: RootMode,
        seed: flux_core::Hash,
    ) -> Result<(StateDiff, Receipts), BlockError> {
        let Execution {
            mut ctx,
            node_events,
            receipts,
        } = self;
        let state = ctx.state;
        let params = state.params();
        let proposer = Address::from_public_key(&header.proposer);
        let fees = Amount::checked_sum(receipts.iter().map(|r| r.fee))?;
        ctx.overlay.credit(proposer, fees)?;
        let (app_events, hosting) = app::settle(&mut ctx)?;

        let mut ledger = state.ledger();
        ledger.supply = ledger.supply.checked_sub(ctx.burned)?;
        let rewards = reward::pay_block_reward(&mut ctx, &mut ledger, params)?;
        let mut next_params = None;
        gov::settle(&mut ctx, &mut next_params)?;
        work::settle(&mut ctx)?;
        work::pay_pool(&mut ctx, &mut ledger)?;

        let Ctx {
            overlay,
            registry,
            touched,
            apps,
            expiries,
            placement,
            apps_touched,
            gov,
            gov_changes,
            work,
            work_changes,
            work_events,
            parallel,
            parallel_changes,
            ..
        } = ctx;
        let apps_changed: BTreeMap<String, _> = apps_touched
            .iter()
            .map(|name| (name.clone(), apps.get(name).cloned()))
            .collect();
        let placement_changed: BTreeMap<String, _> = apps_touched
            .into_iter()
            .map(|name| {
                let placed = placement.instances_of(&name);
                (name, placed)
            })
            .collect();
        let nodes: BTreeMap<NodeId, _> = touched
            .into_iter()
            .map(|id| (id, registry.get(&id).cloned()))
            .collect();
        let tip = Tip {
            height: header.height,
            block_id: header.id()?,
            timestamp_ms: header.timestamp_ms,
            seed,
        };
        let areas = AreaDiffs {
            head: Head { ledger, tip },
            accounts: overlay.into_changes(),
            nodes: NodesDiff {
                registry,
                changed: nodes,
            },
            gov: GovDiff {
                gov,
                changes: gov_changes,
            },
            work: WorkDiff {
                work,
                changes: work_changes,
            },
            parallel: ParallelDiff {
                parallel,
                changes: parallel_changes.into_iter().collect(),
            },
            apps: AppsDiff {
                after: AppsState {
                    apps,
                    expiries,
                    placement,
                },
                changed: apps_changed,
                placement_changed,
            },
        };
        let mut changes = Vec::with_capacity(areas.accounts.len() + areas.nodes.changed.len() + 2);
        areas.trie_changes(&mut changes)?;
        let (trie, pending) = match root {
            // Earlier deferred blocks' changes first, then this block's (the last change of a key
            // wins).
            RootMode::EveryBlock if state.root_pending() => {
                let mut all = state.pending_trie_changes().to_vec();
                all.extend(changes);
                (state.trie().update(all), Vec::new())
            }
            RootMode::EveryBlock => (state.trie().update(changes), Vec::new()),
            // Never empty (the ledger changes every block), which tells `State::commit` to queue.
            RootMode::Deferred => (state.trie().clone(), changes),
        };
        let tip = areas.head.tip;
        let mut recent = state.recent_blocks().clone();
        recent.insert(tip.height, tip.block_id);
        if let Some(old) = tip.height.checked_sub(RECENT_BLOCKS) {
            recent.remove(&old);
        }
        Ok((
            StateDiff {
                areas,
                params: next_params.map(std::sync::Arc::new),
                recent,
                trie,
                pending,
            },
            Receipts {
                height: header.height,
                txs: receipts,
                fees,
                nodes: node_events,
                apps: app_events,
                hosting,
                rewards,
                work: work_events,
            },
        ))
    }
}

/// The rules every transaction follows (nonce, fee), then its kind's own rule.
pub(super) fn apply_tx(
    ctx: &mut Ctx<'_>,
    tx: &Transaction,
    p: &Prepared,
) -> Result<TxReceipt, TxError> {
    let overlay = &mut ctx.overlay;
    let mut account = overlay.get(&p.sender);
    super::payment::fee_nonce_balance(tx, p.sender, account, ctx.state.params())?;
    account.balance = account.balance.checked_sub(tx.fee)?;
    account.nonce = account.nonce.checked_add(1).ok_or(TxError::BadNonce {
        expected: account.nonce,
        found: tx.nonce,
    })?;
    overlay.set(p.sender, account);
    let events = match &tx.kind {
        TxKind::Transfer(t) => transfer::apply(overlay, p.sender, t)?,
        TxKind::NodeStart(s) => node::start(ctx, p.sender, s)?,
        TxKind::NodeConfirm(c) => node::confirm(ctx, &tx.sender, c)?,
        TxKind::NodeUpdateEndpoint(u) => node::update_endpoint(ctx, &tx.sender, u)?,
        TxKind::NodeExit(x) => node::exit(ctx, p.sender, x)?,
        TxKind::AppRegister(a) => app::register(ctx, p.sender, a)?,
        TxKind::AppUpdate(a) => app::update(ctx, p.sender, a)?,
        TxKind::AppCancel(c) => app::cancel(ctx, p.sender, c)?,
        TxKind::GovPropose(g) => gov::propose(ctx, p.sender, g)?,
        TxKind::GovVote(v) => gov::vote(ctx, p.sender, v)?,
        TxKind::Evidence(e) => slash::apply(ctx, e)?,
        TxKind::JobSubmit(j) => work::submit(ctx, p.sender, p.id, j)?,
        TxKind::WorkCommit(c) => work::commit(ctx, &tx.sender, c)?,
        TxKind::WorkReveal(r) => work::reveal(ctx, &tx.sender, p.id, r)?,
        TxKind::HostingReport(r) => hosting::report(ctx, &tx.sender, r)?,
        TxKind::SwapOut(s) => parallel::swap_out(ctx, p.sender, p.id, s)?,
        TxKind::SwapIn(s) => parallel::swap_in(ctx, p.id, s)?,
        TxKind::SwapKeyRegister(r) => parallel::register_key(ctx, &tx.sender, r)?,
    };
    Ok(TxReceipt {
        id: p.id,
        fee: tx.fee,
        events,
    })
}
