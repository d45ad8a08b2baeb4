//! The mempool: what `select` returns is always a valid block; bounds, replacement, eviction.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{address, genesis, keys, sign, transfer};
use flux_chain::error::MempoolError;
use flux_chain::mempool::{Mempool, MempoolConfig};
use flux_chain::transition::{apply_block, build_block};
use flux_core::{Address, codec};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn selection_is_always_a_valid_block(
        ops in proptest::collection::vec((0usize..5, 0u64..6, 0u64..5_000, 1u64..400_000_000_000), 1..60),
        max_txs in 3usize..40,
    ) {
        let ks = keys(5);
        let g = genesis(&ks, 2_000);
        let mut state = g.state().unwrap();
        let mut pool = Mempool::new(MempoolConfig { max_txs, max_bytes: 64 * 1024 });
        let mut time = g.timestamp_ms;
        for (step, (from, nonce, fee, amount)) in ops.into_iter().enumerate() {
            let tx = transfer(&ks[from], nonce, fee, Address::from_bytes([3; 20]), amount);
            let _ = pool.insert(tx, &state); // refusals are fine; their reasons are tested below
            prop_assert!(pool.len() <= max_txs);
            if step % 7 == 6 {
                let txs = pool.select(&state, 1_000);
                time += 1_000;
                let block = build_block(&state, &ks[0], time, vec![], txs);
                prop_assert!(block.is_ok(), "selection was not a valid block: {:?}", block.err());
                let block = block.unwrap();
                let (diff, _) = apply_block(&state, &block).unwrap();
                state.commit(diff);
                pool.prune(&state);
                for tx in &block.txs {
                    prop_assert!(!pool.contains(&tx.id().unwrap()));
                }
            }
        }
        let held: u64 = pool.select(&state, usize::MAX).iter().map(|t| codec::encoded_len(t).unwrap()).sum();
        prop_assert!(held <= pool.bytes());
    }
}

#[test]
fn admission_reasons() {
    let ks = keys(2);
    let g = genesis(&ks, 10);
    let state = g.state().unwrap();
    let to = address(&ks[1]);
    let mut pool = Mempool::new(MempoolConfig::default());
    let id = pool.insert(transfer(&ks[0], 0, 10, to, 5), &state).unwrap();
    assert_eq!(
        pool.insert(transfer(&ks[0], 0, 10, to, 5), &state),
        Err(MempoolError::Duplicate(id))
    );
    assert!(matches!(
        pool.insert(transfer(&ks[0], 2, 10, to, 5), &state),
        Err(MempoolError::NonceGap {
            expected: 1,
            found: 2
        })
    ));
    assert!(matches!(
        pool.insert(transfer(&ks[0], 0, 10, to, 6), &state),
        Err(MempoolError::ReplacementFeeTooLow { .. })
    ));
    assert!(matches!(
        pool.insert(transfer(&ks[0], 1, 0, to, 10 * flux_core::COIN), &state),
        Err(MempoolError::InsufficientBalance { .. })
    ));
    let mut forged = transfer(&ks[0], 1, 10, to, 5);
    forged.fee = flux_core::Amount::from_base_units(11);
    assert!(matches!(
        pool.insert(forged, &state),
        Err(MempoolError::Invalid(_))
    ));
    // A dearer replacement is taken and the old one is gone.
    let new = pool.insert(transfer(&ks[0], 0, 11, to, 5), &state).unwrap();
    assert!(pool.contains(&new) && !pool.contains(&id));
    assert_eq!(pool.len(), 1);
}

/// Replays the leftover of issue 19 point 6: an unfunded key's validly signed transfers with a
/// small nonce gap were refused for the gap, which a node does not charge to the peer that
/// relays them, so each cost every receiver a signature check for free. The balance is now
/// checked first: the refusal is for the balance, which is charged.
#[test]
fn an_unfunded_sender_is_refused_for_its_balance_before_any_nonce_gap() {
    let ks = keys(2);
    let g = genesis(&ks[..1], 10);
    let state = g.state().unwrap();
    let to = address(&ks[0]);
    let mut pool = Mempool::new(MempoolConfig::default());
    for nonce in [1, 5] {
        assert!(matches!(
            pool.insert(transfer(&ks[1], nonce, 10, to, 5), &state),
            Err(MempoolError::InsufficientBalance { .. })
        ));
    }
    // A funded sender's gap is still a gap.
    assert!(matches!(
        pool.insert(transfer(&ks[0], 1, 10, address(&ks[1]), 5), &state),
        Err(MempoolError::NonceGap { .. })
    ));
}

#[test]
fn full_pool_evicts_the_lowest_fee_rate() {
    let ks = keys(4);
    let g = genesis(&ks, 10);
    let state = g.state().unwrap();
    let to = Address::from_bytes([1; 20]);
    let mut pool = Mempool::new(MempoolConfig {
        max_txs: 3,
        max_bytes: 1 << 20,
    });
    let low = pool
        .insert(transfer(&ks[0], 0, 100, to, 1), &state)
        .unwrap();
    pool.insert(transfer(&ks[1], 0, 200, to, 1), &state)
        .unwrap();
    pool.insert(transfer(&ks[2], 0, 300, to, 1), &state)
        .unwrap();
    assert_eq!(
        pool.insert(transfer(&ks[3], 0, 50, to, 1), &state),
        Err(MempoolError::Full)
    );
    let high = pool
        .insert(transfer(&ks[3], 0, 400, to, 1), &state)
        .unwrap();
    assert!(pool.contains(&high) && !pool.contains(&low));
    assert_eq!(pool.len(), 3);
    // Highest fee first.
    let fees: Vec<u64> = pool
        .select(&state, 10)
        .iter()
        .map(|t| t.fee.base_units())
        .collect();
    assert_eq!(fees, vec![400, 300, 200]);
}

#[test]
fn a_bad_app_spec_is_refused_at_admission_and_never_stops_block_building() {
    use flux_chain::transition::{BuildMode, BuiltBlock, propose_block};
    use flux_chain::tx::{AppRegister, Transaction, TxKind};
    let ks = keys(3);
    let g = genesis(&ks, 10_000);
    let state = g.state().unwrap();
    let mut pool = Mempool::new(MempoolConfig::default());
    // Signature, nonce and balance are fine, but the spec is not a valid app: the pool tries
    // the kind's rule against the state and says why.
    let bad = Transaction::sign(
        &ks[0],
        state.params().chain_id,
        0,
        flux_core::Amount::ZERO,
        TxKind::AppRegister(AppRegister {
            spec: "{}".into(),
            price: flux_core::Amount::ONE_FLUX,
        }),
    )
    .unwrap();
    assert!(matches!(
        pool.insert(bad.clone(), &state),
        Err(MempoolError::Invalid(flux_chain::error::TxError::AppSpec(
            _
        )))
    ));
    let good = pool
        .insert(transfer(&ks[1], 0, 10, address(&ks[2]), 5), &state)
        .unwrap();
    // A block builder handed it anyway (say, by a pool on another state) leaves it out.
    let mut candidates = vec![bad];
    candidates.extend(pool.select(&state, 100));
    let time = state.tip().timestamp_ms + 1_000;
    let BuiltBlock { block, dropped, .. } =
        propose_block(&state, &ks[0], time, vec![], candidates, BuildMode::CHECKED).unwrap();
    assert_eq!(block.txs.len(), 1);
    assert_eq!(block.txs[0].id().unwrap(), good);
    assert!(matches!(
        dropped[0].1,
        flux_chain::error::TxError::AppSpec(_)
    ));
    apply_block(&state, &block).unwrap();
}

#[test]
fn a_proposal_needs_its_deposit_to_enter_the_pool() {
    use flux_chain::gov::Action;
    use flux_chain::tx::{GovPropose, TxKind};
    use flux_core::{Amount, Hash};

    let ks = keys(2);
    let g = genesis(&ks, 100); // 100 FLUX each: less than the 500 FLUX deposit
    let state = g.state().unwrap();
    let mut pool = Mempool::new(MempoolConfig::default());
    let kind = TxKind::GovPropose(GovPropose {
        title: "too poor".into(),
        text_hash: Hash::digest(b"text"),
        action: Action::Grant {
            to: address(&ks[1]),
            amount: Amount::ONE_FLUX,
        },
    });
    let tx = sign(&ks[0], &state, kind);
    assert!(matches!(
        pool.insert(tx, &state),
        Err(MempoolError::InsufficientBalance { .. })
    ));
}

#[test]
fn removing_a_refused_transaction_drops_its_successors() {
    let ks = keys(2);
    let g = genesis(&ks, 2_000);
    let state = g.state().unwrap();
    let mut pool = Mempool::new(MempoolConfig::default());
    let to = Address::from_bytes([3; 20]);
    let ids: Vec<_> = (0..3)
        .map(|n| {
            pool.insert(transfer(&ks[0], n, 10, to, 1_000), &state)
                .unwrap()
        })
        .collect();
    let other = pool
        .insert(transfer(&ks[1], 0, 10, to, 1_000), &state)
        .unwrap();
    assert_eq!(pool.remove(&ids[1]), 2);
    assert!(pool.contains(&ids[0]) && !pool.contains(&ids[2]) && pool.contains(&other));
    assert_eq!(pool.remove(&ids[1]), 0);
}
