//! The state transition: conservation, the cap, nonces, rejection without side effects, proofs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{address, genesis, keys, transfer};
use flux_chain::error::{BlockError, TxError};
use flux_chain::state::{Account, Ledger, State, Tip};
use flux_chain::testkit::strategies::transfer_attempt;
use flux_chain::transition::{Payee, apply_block, build_block};
use flux_chain::tx::Transaction;
use flux_core::tokenomics::subsidy;
use flux_core::{Address, Amount, ChainParams, codec};
use proptest::prelude::*;

/// Sum of balances plus the pools: must equal the ledger's supply.
fn total_held(state: &State) -> Amount {
    state.total_held().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever mix of valid and invalid transactions is thrown at it, the chain never loses or
    /// creates value beyond the reward, never lets a nonce be used twice, and a rejected block
    /// changes nothing.
    #[test]
    fn value_is_conserved_and_invalid_blocks_change_nothing(
        blocks in proptest::collection::vec(proptest::collection::vec(transfer_attempt(6), 0..8), 1..8)
    ) {
        let ks = keys(6);
        let g = genesis(&ks, 1_000);
        let mut state = g.state().unwrap();
        let proposer = &ks[0];
        let outsiders = [Address::from_bytes([0xee; 20]), Address::from_bytes([0xef; 20])];
        let mut time = g.timestamp_ms;
        let mut used: std::collections::BTreeSet<(Address, u64)> = Default::default();
        for actions in blocks {
            time += 1_000;
            let mut nonces: Vec<u64> = ks.iter().map(|k| state.account(&address(k)).nonce).collect();
            let mut txs: Vec<Transaction> = Vec::new();
            for a in &actions {
                let to = if a.to < ks.len() { address(&ks[a.to]) } else { outsiders[a.to - ks.len()] };
                let nonce = nonces[a.from].saturating_add_signed(a.nonce_skew.into());
                let mut tx = transfer(&ks[a.from], nonce, a.fee, to, a.amount);
                if a.bad_signature {
                    tx.fee = tx.fee.checked_add(Amount::from_base_units(1)).unwrap();
                }
                nonces[a.from] = nonces[a.from].max(nonce + 1);
                txs.push(tx);
            }
            // Drop each transaction the block names as invalid until the block is valid.
            loop {
                let before_root = state.state_root();
                let before_supply = state.ledger().supply;
                match build_block(&state, proposer, time, vec![], txs.clone()) {
                    Ok(block) => {
                        let (diff, receipts) = apply_block(&state, &block).unwrap();
                        state.commit(diff);
                        // Supply moved by exactly what was minted, and is all accounted for.
                        let minted: u64 = receipts.rewards.iter()
                            .filter(|r| r.payee != Payee::NotMinted)
                            .map(|r| r.amount.base_units()).sum();
                        prop_assert_eq!(state.ledger().supply.base_units(), before_supply.base_units() + minted);
                        prop_assert_eq!(total_held(&state), state.ledger().supply);
                        prop_assert!(minted <= subsidy(block.header.height, state.params()).base_units());
                        prop_assert!(state.ledger().supply <= state.params().supply.max_supply);
                        for tx in &block.txs {
                            prop_assert!(used.insert((tx.sender_address(), tx.nonce)), "nonce reused");
                        }
                        break;
                    }
                    Err(BlockError::Tx { index, .. }) => {
                        // The reason is precise, and the state is untouched.
                        prop_assert_eq!(state.state_root(), before_root);
                        txs.remove(index);
                    }
                    Err(e) => prop_assert!(false, "unexpected block error {:?}", e),
                }
            }
        }
    }

    /// With a genesis near the cap, minting stops exactly at the cap.
    #[test]
    fn supply_never_passes_the_cap(headroom in 0u64..40 * flux_core::COIN, blocks in 1usize..12) {
        let mut params = ChainParams::devnet();
        params.supply.max_supply = Amount::from_flux(1_000_000).unwrap();
        let holder = Address::from_bytes([1; 20]);
        let start = params.supply.max_supply.checked_sub(Amount::from_base_units(headroom)).unwrap();
        let mut accounts = std::collections::BTreeMap::new();
        accounts.insert(holder, Account { balance: start, nonce: 0 });
        let tip = Tip { height: 0, block_id: Default::default(), timestamp_ms: 0, seed: Default::default() };
        let ledger = Ledger { supply: start, work_pool: Amount::ZERO };
        let mut state = State::from_parts(
            Arc::new(params),
            accounts,
            Default::default(),
            Default::default(),
            flux_nodes::placement::Placement::new(Default::default()),
            Default::default(),
            Default::default(),
            ledger,
            tip,
            Default::default(),
        ).unwrap();
        let proposer_keys = keys(1);
        let proposer = &proposer_keys[0];
        for i in 0..blocks {
            let block = build_block(&state, proposer, 1_000 * (i as u64 + 1), vec![], vec![]).unwrap();
            let (diff, _) = apply_block(&state, &block).unwrap();
            state.commit(diff);
            prop_assert!(state.ledger().supply <= state.params().supply.max_supply);
            prop_assert_eq!(total_held(&state), state.ledger().supply);
        }
    }
}

#[test]
fn proofs_verify_for_present_accounts_and_fail_for_altered_values() {
    let ks = keys(4);
    let g = genesis(&ks, 50);
    let mut state = g.state().unwrap();
    let bob = Address::from_bytes([9; 20]);
    let tx = transfer(&ks[1], 0, 10, bob, 123);
    let block = build_block(&state, &ks[0], g.timestamp_ms + 1, vec![], vec![tx]).unwrap();
    let (diff, _) = apply_block(&state, &block).unwrap();
    state.commit(diff);
    for addr in [address(&ks[1]), bob, address(&ks[0])] {
        let proof = state.prove_account(&addr).unwrap();
        proof.verify(&block.header).unwrap();
        // Round trip through the codec, as a light client would receive it.
        let decoded: flux_chain::state::AccountProof =
            codec::decode(&codec::encode(&proof).unwrap()).unwrap();
        decoded.verify(&block.header).unwrap();

        let mut richer = proof.clone();
        let acc = richer.account.as_mut().unwrap();
        acc.balance = acc.balance.checked_add(Amount::from_base_units(1)).unwrap();
        assert!(richer.verify(&block.header).is_err());
        let mut replay = proof.clone();
        replay.account.as_mut().unwrap().nonce += 1;
        assert!(replay.verify(&block.header).is_err());
        let mut absent = proof.clone();
        absent.account = None;
        assert!(absent.verify(&block.header).is_err());
    }
    assert_eq!(state.account(&bob).balance, Amount::from_base_units(123));
    // An account that does not exist is proven absent, and cannot be proven present.
    let nobody = Address::from_bytes([0x77; 20]);
    let proof = state.prove_account(&nobody).unwrap();
    proof.verify(&block.header).unwrap();
    let mut fake = proof;
    fake.account = Some(Account {
        balance: Amount::ONE_FLUX,
        nonce: 0,
    });
    assert!(fake.verify(&block.header).is_err());
}

#[test]
fn every_rejection_names_its_rule() {
    let ks = keys(2);
    let g = genesis(&ks, 10);
    let state = g.state().unwrap();
    let p = &ks[0];
    let t = g.timestamp_ms + 1;
    let to = address(&ks[1]);
    let tx_err = |txs: Vec<Transaction>| match build_block(&state, p, t, vec![], txs) {
        Err(BlockError::Tx { source, .. }) => source,
        other => panic!("expected a tx error, got {other:?}"),
    };
    assert!(matches!(
        tx_err(vec![transfer(&ks[0], 1, 0, to, 1)]),
        TxError::BadNonce {
            expected: 0,
            found: 1
        }
    ));
    assert!(matches!(
        tx_err(vec![transfer(&ks[0], 0, 0, to, 11 * flux_core::COIN)]),
        TxError::InsufficientBalance { .. }
    ));
    assert!(matches!(
        tx_err(vec![transfer(&ks[0], 0, 0, to, 0)]),
        TxError::ZeroAmount
    ));
    let mut forged = transfer(&ks[0], 0, 0, to, 5);
    forged.nonce = 0;
    forged.kind = transfer(&ks[0], 0, 0, to, 6).kind;
    assert!(matches!(tx_err(vec![forged]), TxError::Signature(_)));
    let mut other_chain = transfer(&ks[0], 0, 0, to, 5);
    other_chain.chain_id = flux_core::ChainId::MAINNET;
    assert!(matches!(
        tx_err(vec![other_chain]),
        TxError::WrongChain { .. }
    ));
    // Replay of an applied transaction.
    let tx = transfer(&ks[0], 0, 0, to, 5);
    let block = build_block(&state, p, t, vec![], vec![tx.clone()]).unwrap();
    let (diff, _) = apply_block(&state, &block).unwrap();
    let mut next = state.clone();
    next.commit(diff);
    assert!(matches!(
        build_block(&next, p, t + 1, vec![], vec![tx]),
        Err(BlockError::Tx {
            source: TxError::BadNonce {
                expected: 1,
                found: 0
            },
            ..
        })
    ));

    // Header rules.
    let good = build_block(&state, p, t, vec![], vec![]).unwrap();
    let bad = |f: &dyn Fn(&mut flux_chain::block::Block)| {
        let mut b = good.clone();
        f(&mut b);
        apply_block(&state, &b).unwrap_err()
    };
    assert!(matches!(
        bad(&|b| b.header.height = 2),
        BlockError::WrongHeight {
            expected: 1,
            found: 2
        }
    ));
    assert!(matches!(
        bad(&|b| b.header.parent = Default::default()),
        BlockError::WrongParent { .. }
    ));
    assert!(matches!(
        bad(&|b| b.header.timestamp_ms = g.timestamp_ms),
        BlockError::TimestampNotIncreasing { .. }
    ));
    assert!(matches!(
        bad(&|b| b.header.state_root = Default::default()),
        BlockError::StateRootMismatch { .. }
    ));
    assert!(matches!(
        bad(&|b| b.header.tx_root = Default::default()),
        BlockError::TxRootMismatch { .. }
    ));
    assert!(matches!(
        bad(&|b| b.header.chain_id = flux_core::ChainId(1)),
        BlockError::WrongChain { .. }
    ));
    assert!(matches!(
        bad(&|b| b.header.consensus = vec![0; 70_000]),
        BlockError::ConsensusDataTooLarge { .. }
    ));
}

#[test]
fn reward_follows_the_spec_before_nodes_exist() {
    let ks = keys(1);
    let g = genesis(&ks, 10);
    let state = g.state().unwrap();
    let block = build_block(&state, &ks[0], g.timestamp_ms + 1, vec![], vec![]).unwrap();
    let (diff, receipts) = apply_block(&state, &block).unwrap();
    // 14 FLUX: tiers 1.05/1.75/4.2 not minted (no nodes), dev fund 0.5, work pool 6.5.
    let shown: Vec<(String, String)> = receipts
        .rewards
        .iter()
        .map(|r| {
            (
                format!("{:?}", r.share),
                format!("{} {:?}", r.amount, r.payee),
            )
        })
        .collect();
    assert_eq!(receipts.rewards.len(), 5, "{shown:?}");
    let minted: Amount = Amount::checked_sum(
        receipts
            .rewards
            .iter()
            .filter(|r| r.payee != Payee::NotMinted)
            .map(|r| r.amount),
    )
    .unwrap();
    assert_eq!(minted.to_string(), "7");
    assert_eq!(diff.ledger().work_pool.to_string(), "6.5");
    let mut next = state.clone();
    next.commit(diff);
    assert_eq!(
        next.account(&flux_chain::state::dev_fund_address())
            .balance
            .to_string(),
        "0.5"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary transactions and blocks (the kit's `Arbitrary` values, what a peer could
    /// send) are canonical on the wire, and the transition refuses them without panicking and
    /// without touching the state.
    #[test]
    fn arbitrary_blocks_are_refused_and_change_nothing(
        block in flux_chain::testkit::strategies::any_block(),
        tx in flux_chain::testkit::strategies::any_transaction(),
    ) {
        flux_chain::testkit::codec_checks::round_trips(&block)?;
        flux_chain::testkit::codec_checks::round_trips(&tx)?;
        let ks = keys(2);
        let state = genesis(&ks, 10).state().unwrap();
        let root = state.state_root();
        prop_assert!(apply_block(&state, &block).is_err());
        let next = build_block(&state, &ks[0], state.tip().timestamp_ms + 1, vec![], vec![tx]);
        prop_assert!(next.is_err());
        prop_assert_eq!(state.state_root(), root);
    }
}
