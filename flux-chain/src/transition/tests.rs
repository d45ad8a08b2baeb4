//! Tests of the transition's build and apply paths.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;
use crate::genesis::Genesis;
use crate::tx::{Transfer, TxKind};
use flux_core::crypto::{Scheme, SecretKey, Signature};
use std::collections::BTreeSet;

/// The builder's diff is the one applying its block gives, under either verification.
#[test]
fn built_diff_equals_applied_diff() {
    let state = Genesis::devnet_example().state().unwrap();
    let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32]).unwrap();
    let pay = TxKind::Transfer(Transfer {
        to: Address::from_bytes([5; 20]),
        amount: Amount::ONE_FLUX,
    });
    let chain_id = state.params().chain_id;
    let tx = Transaction::sign(&alice, chain_id, 0, Amount::ZERO, pay.clone()).unwrap();
    let time = state.tip().timestamp_ms + 1_000;
    for verification in [Verification::Full, Verification::AssumeValid] {
        let built = propose_block(
            &state,
            &alice,
            time,
            vec![],
            vec![tx.clone()],
            BuildMode {
                verification,
                root: RootMode::EveryBlock,
                ..BuildMode::CHECKED
            },
        )
        .unwrap();
        let (diff, receipts) = apply_block(&state, &built.block).unwrap();
        assert_eq!(built.diff.tip(), diff.tip());
        assert_eq!(built.diff.state_root(), diff.state_root());
        assert_eq!(built.diff.recent, diff.recent);
        assert_eq!(built.receipts, receipts);
    }
    // A placeholder signature passes only when signatures are assumed valid.
    let mut unsigned = tx;
    unsigned.signature = Signature::Ed25519([0; 64]);
    let built = propose_block(
        &state,
        &alice,
        time,
        vec![],
        vec![unsigned.clone()],
        BuildMode {
            verification: Verification::AssumeValid,
            root: RootMode::EveryBlock,
            ..BuildMode::CHECKED
        },
    )
    .unwrap();
    assert_eq!(built.block.txs.len(), 1);
    assert!(apply_block(&state, &built.block).is_err());
    let dropped = propose_block(
        &state,
        &alice,
        time,
        vec![],
        vec![unsigned],
        BuildMode::CHECKED,
    )
    .unwrap()
    .dropped;
    assert_eq!(dropped.len(), 1);
}

/// Deferred roots: blocks with a zero root, then a block with a root, end at the root the
/// same blocks built every-block give (block ids differ: the headers do).
#[test]
fn a_deferred_root_catches_up() {
    let genesis = Genesis::devnet_example();
    let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32]).unwrap();
    let chain_id = genesis.state().unwrap().params().chain_id;
    let run = |modes: &[RootMode]| {
        let mut state = genesis.state().unwrap();
        for (i, mode) in modes.iter().enumerate() {
            let pay = TxKind::Transfer(Transfer {
                to: Address::from_bytes([5 + i as u8; 20]),
                amount: Amount::ONE_FLUX,
            });
            let tx = Transaction::sign(&alice, chain_id, i as u64, Amount::ZERO, pay).unwrap();
            let time = state.tip().timestamp_ms + 1_000;
            let built = propose_block(
                &state,
                &alice,
                time,
                vec![],
                vec![tx],
                BuildMode {
                    verification: Verification::Full,
                    root: *mode,
                    ..BuildMode::CHECKED
                },
            )
            .unwrap();
            if *mode == RootMode::Deferred {
                assert_eq!(built.block.header.state_root, flux_core::Hash::ZERO);
            }
            state.commit(built.diff);
        }
        state
    };
    use RootMode::{Deferred, EveryBlock};
    let every = run(&[EveryBlock, EveryBlock, EveryBlock]);
    let caught_up = run(&[Deferred, Deferred, EveryBlock]);
    assert!(!caught_up.root_pending());
    assert_eq!(caught_up.state_root(), every.state_root());
    let mut flushed = run(&[EveryBlock, Deferred, Deferred]);
    assert!(flushed.root_pending());
    assert_eq!(flushed.flush_root(), every.state_root());
    // The root is a function of the state: recomputed from its parts, the same.
    assert_eq!(flushed.recomputed_root().unwrap(), every.state_root());
}

/// Issue 20 point 2: a block whose candidates include refused transactions (a bad nonce, a
/// transfer of nothing, a transfer beyond the balance, a nonce gap after a refusal) runs its
/// state part once, and is the block built from the accepted transactions alone.
#[test]
fn a_block_with_refused_transactions_is_executed_once() {
    use super::execute::EXECUTIONS;
    let state = Genesis::devnet_example().state().unwrap();
    let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32]).unwrap();
    let bob = SecretKey::from_bytes(Scheme::Ed25519, &[2; 32]).unwrap();
    let chain_id = state.params().chain_id;
    let pay = |amount| {
        TxKind::Transfer(Transfer {
            to: Address::from_bytes([5; 20]),
            amount,
        })
    };
    let sign = |key: &SecretKey, nonce, amount| {
        Transaction::sign(key, chain_id, nonce, Amount::ZERO, pay(amount)).unwrap()
    };
    let too_much = state
        .account(&Address::from_public_key(&bob.public_key()))
        .balance
        .checked_add(Amount::ONE_FLUX)
        .unwrap();
    let candidates = vec![
        sign(&alice, 0, Amount::ONE_FLUX),
        sign(&alice, 5, Amount::ONE_FLUX), // bad nonce
        sign(&bob, 0, Amount::ZERO),       // nothing
        sign(&bob, 0, too_much),           // beyond the balance
        sign(&alice, 1, Amount::ONE_FLUX),
        sign(&bob, 0, Amount::ONE_FLUX),
        sign(&alice, 3, Amount::ONE_FLUX), // gap
        sign(&alice, 2, Amount::ONE_FLUX),
    ];
    let time = state.tip().timestamp_ms + 1_000;
    let before = EXECUTIONS.with(|c| c.get());
    let built = propose_block(
        &state,
        &alice,
        time,
        vec![],
        candidates.clone(),
        BuildMode::CHECKED,
    )
    .unwrap();
    assert_eq!(EXECUTIONS.with(|c| c.get()) - before, 1, "executed once");
    assert_eq!(built.dropped.len(), 4);
    assert_eq!(built.block.txs.len(), 4);
    // The same block as building from the accepted transactions alone, and valid.
    let accepted = [0, 4, 5, 7].map(|i| candidates[i].clone()).to_vec();
    let alone = build_block(&state, &alice, time, vec![], accepted).unwrap();
    assert_eq!(alone, built.block);
    let (diff, receipts) = apply_block(&state, &built.block).unwrap();
    assert_eq!(diff.state_root(), built.diff.state_root());
    assert_eq!(receipts, built.receipts);
    // The proposer commits what it built: no second execution.
    let checked = built.into_checked().unwrap();
    let mut chain = crate::chain::Chain::open_or_create(
        crate::store::MemStore::new(),
        &Genesis::devnet_example(),
    )
    .unwrap();
    let before = EXECUTIONS.with(|c| c.get());
    chain.commit_checked(checked, None).unwrap();
    assert_eq!(EXECUTIONS.with(|c| c.get()), before);
    assert_eq!(chain.state().state_root(), alone.header.state_root);
}

/// Issue 20 point 2: the nonce/balance/fee rule is one function; the mempool and the
/// transition refuse with it, and refusals say whose fault they are.
#[test]
fn one_payment_rule_and_classified_refusals() {
    use crate::error::{MempoolError, Refusal};
    use crate::mempool::{Mempool, MempoolConfig};
    let state = Genesis::devnet_example().state().unwrap();
    let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32]).unwrap();
    let chain_id = state.params().chain_id;
    let sender = Address::from_public_key(&alice.public_key());
    let account = state.account(&sender);
    let pay = |nonce, amount| {
        let kind = TxKind::Transfer(Transfer {
            to: Address::from_bytes([5; 20]),
            amount,
        });
        Transaction::sign(&alice, chain_id, nonce, Amount::ZERO, kind).unwrap()
    };
    let rule =
        |tx: &Transaction| super::payment::fee_nonce_balance(tx, sender, account, state.params());
    assert_eq!(rule(&pay(0, Amount::ONE_FLUX)), Ok(Amount::ONE_FLUX));
    let gap = rule(&pay(1, Amount::ONE_FLUX)).unwrap_err();
    assert!(matches!(
        gap,
        TxError::BadNonce {
            expected: 0,
            found: 1
        }
    ));
    let over = account.balance.checked_add(Amount::ONE_FLUX).unwrap();
    let broke = rule(&pay(0, over)).unwrap_err();
    assert!(matches!(broke, TxError::InsufficientBalance { .. }));
    assert_eq!(gap.refusal(), Refusal::StateDependent);
    assert_eq!(broke.refusal(), Refusal::StateDependent);
    // The mempool gives the same rule's answer (with what the sender's pending ones need).
    let mut pool = Mempool::new(MempoolConfig::default());
    let refused = pool.insert(pay(0, over), &state).unwrap_err();
    assert!(matches!(refused, MempoolError::InsufficientBalance { .. }));
    assert_eq!(refused.refusal(), Refusal::StateDependent);
    pool.insert(pay(0, Amount::ONE_FLUX), &state).unwrap();
    let rest = account.balance.checked_sub(Amount::ONE_FLUX).unwrap();
    let second = pool
        .insert(
            pay(1, rest.checked_add(Amount::from_base_units(1)).unwrap()),
            &state,
        )
        .unwrap_err();
    assert_eq!(
        second,
        MempoolError::InsufficientBalance {
            needed: account
                .balance
                .checked_add(Amount::from_base_units(1))
                .unwrap(),
            available: account.balance,
        }
    );
    pool.insert(pay(1, rest), &state).unwrap();
    // Bad on its own: permanent.
    let mut forged = pay(2, Amount::ONE_FLUX);
    forged.signature = flux_core::crypto::Signature::Ed25519([0; 64]);
    let bad = pool.insert(forged, &state).unwrap_err();
    assert_eq!(bad.refusal(), Refusal::Permanent);
    assert_eq!(TxError::ZeroAmount.refusal(), Refusal::Permanent);
}

/// Known signatures ([`KnownSignatures`]) change the work, never the answer: a block applied
/// with some or all of its signatures known gives the diff and receipts of full verification,
/// a bad signature among the unknown ones is refused at its own index, and a proposer's
/// known candidates build the same block as checked ones.
#[test]
fn known_signatures_skip_the_work_not_the_rules() {
    let state = Genesis::devnet_example().state().unwrap();
    let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32]).unwrap();
    let chain_id = state.params().chain_id;
    let txs: Vec<Transaction> = (0..3)
        .map(|nonce| {
            let pay = TxKind::Transfer(Transfer {
                to: Address::from_bytes([5 + nonce as u8; 20]),
                amount: Amount::ONE_FLUX,
            });
            Transaction::sign(&alice, chain_id, nonce, Amount::ZERO, pay).unwrap()
        })
        .collect();
    let ids: Vec<TxId> = txs.iter().map(|tx| tx.id().unwrap()).collect();
    let time = state.tip().timestamp_ms + 1_000;
    let checked = propose_block(
        &state,
        &alice,
        time,
        vec![],
        txs.clone(),
        BuildMode::CHECKED,
    )
    .unwrap();
    let known = propose_block(&state, &alice, time, vec![], txs, BuildMode::CHECKED_KNOWN).unwrap();
    assert_eq!(checked.block, known.block);
    assert!(known.into_checked().is_some());

    let block = checked.block;
    let full = apply_block(&state, &block).unwrap();
    let all: BTreeSet<TxId> = ids.iter().copied().collect();
    let first: BTreeSet<TxId> = [ids[0]].into();
    for known in [
        KnownSignatures::None,
        KnownSignatures::All,
        KnownSignatures::Ids(&all),
        KnownSignatures::Ids(&first),
    ] {
        let (diff, receipts) = apply_block_known(&state, &block, &known).unwrap();
        assert_eq!(diff.state_root(), full.0.state_root());
        assert_eq!(receipts, full.1);
    }

    // The second transaction's signature forged (same bytes otherwise, so a new id): refused
    // at index 1 unless the caller vouches for that id.
    let mut forged = block.clone();
    forged.txs[1].signature = Signature::Ed25519([7; 64]);
    let forged_id = forged.txs[1].id().unwrap();
    forged.header.tx_root = crate::block::tx_root(
        &forged
            .txs
            .iter()
            .map(|t| t.id().unwrap())
            .collect::<Vec<_>>(),
    );
    for known in [KnownSignatures::None, KnownSignatures::Ids(&first)] {
        match apply_block_known(&state, &forged, &known) {
            Err(BlockError::Tx { index, id, .. }) => assert_eq!((index, id), (1, forged_id)),
            other => panic!("a forged signature passed: {other:?}"),
        }
    }
}
