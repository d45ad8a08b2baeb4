//! Parallel assets, the way in: swaps in released by a quorum of the current attesting
//! committee, stale attestations, a reopen of the redb store, and random swaps out and in
//! that keep the books (SPEC "Parallel assets"). The way out is `swaps.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use flux_chain::chain::Chain;
use flux_chain::devnet::ValidatorKeys;
use flux_chain::error::{BlockError, TxError};
use flux_chain::genesis::Genesis;
use flux_chain::parallel::{
    Attestation, BurnStatement, Statement, SwapError, SwapSignature, sign_attestation,
};
use flux_chain::store::{MemStore, RedbStore, Store};
use flux_chain::transition::parallel::SwapEvent;
use flux_chain::transition::{Event, Receipts, build_block};
use flux_chain::tx::{SwapIn, SwapOut, Transaction, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::parallel::ExternalChain;
use flux_core::{Address, Amount, ChainId, Network};
use flux_nodes::node::NodeId;
use proptest::prelude::*;

use common::{address, keys, sign};

include!("swaps/fixture.rs");

fn burn(chain: ExternalChain, reference: &[u8], amount: Amount, to: Address) -> BurnStatement {
    BurnStatement {
        chain,
        reference: reference.to_vec(),
        amount,
        recipient: to,
    }
}

fn swap_in(f: &Fixture, b: BurnStatement, signers: &[usize], epoch: u64) -> Transaction {
    let attestation = attest(f, &Statement::Burn(b.clone()), signers, epoch);
    sign(
        &f.users[2],
        f.chain.state(),
        TxKind::SwapIn(SwapIn {
            burn: b,
            attestation,
        }),
    )
}

#[test]
fn swap_in_releases_once_with_a_quorum_of_the_current_committee() {
    let mut f = fixture();
    let out = swap_out(&f, 0, ExternalChain::Solana, vec![5; 32], flux(50));
    next(&mut f.chain, vec![out]);
    let bob = Address::from_bytes([0xb0; 20]);
    let b = burn(ExternalChain::Solana, b"sol-tx-1", flux(20), bob);

    // Half of the weight: refused.
    let weak = swap_in(&f, b.clone(), &[0, 3], 0);
    assert!(matches!(
        swap_error(try_next(&mut f.chain, vec![weak]).unwrap_err()),
        SwapError::InsufficientWeight { .. }
    ));
    // Unsorted or repeated signers: refused.
    let mut dup = attest(&f, &Statement::Burn(b.clone()), &[0, 1, 2], 0);
    dup.signatures.push(dup.signatures[0]);
    let tx = sign(
        &f.users[2],
        f.chain.state(),
        TxKind::SwapIn(SwapIn {
            burn: b.clone(),
            attestation: dup,
        }),
    );
    assert_eq!(
        swap_error(try_next(&mut f.chain, vec![tx]).unwrap_err()),
        SwapError::UnsortedSigners
    );
    // A signature over another amount: refused.
    let mut other = b.clone();
    other.amount = flux(21);
    let forged = Attestation {
        epoch: 0,
        ..attest(&f, &Statement::Burn(other), &[0, 1, 2], 0)
    };
    let tx = sign(
        &f.users[2],
        f.chain.state(),
        TxKind::SwapIn(SwapIn {
            burn: b.clone(),
            attestation: forged,
        }),
    );
    assert!(matches!(
        swap_error(try_next(&mut f.chain, vec![tx]).unwrap_err()),
        SwapError::BadSignature { .. }
    ));

    // Three of four: released.
    let good = swap_in(&f, b.clone(), &[0, 1, 2], 0);
    let receipts = try_next(&mut f.chain, vec![good]).unwrap();
    assert!(matches!(
        receipts.txs[0].events[..],
        [Event::Swap(SwapEvent::In { .. })]
    ));
    assert_eq!(f.chain.state().account(&bob).balance, flux(20));
    assert_eq!(
        f.chain
            .state()
            .parallel()
            .book(ExternalChain::Solana)
            .locked,
        flux(30)
    );

    // The same reference again: refused, even with another amount and all signers.
    let mut again = b.clone();
    again.amount = flux(1);
    let replay = swap_in(&f, again, &[0, 1, 2, 3], 0);
    assert_eq!(
        swap_error(try_next(&mut f.chain, vec![replay]).unwrap_err()),
        SwapError::ReferenceUsed {
            chain: ExternalChain::Solana
        }
    );
    // More than is locked for the chain: refused.
    let big = swap_in(
        &f,
        burn(ExternalChain::Solana, b"sol-tx-2", flux(31), bob),
        &[0, 1, 2],
        0,
    );
    assert!(matches!(
        swap_error(try_next(&mut f.chain, vec![big]).unwrap_err()),
        SwapError::InsufficientLocked { .. }
    ));
    // The same reference on another chain is another burn (but nothing is locked there).
    let elsewhere = swap_in(
        &f,
        burn(ExternalChain::Kadena, b"sol-tx-1", flux(1), bob),
        &[0, 1, 2],
        0,
    );
    assert!(matches!(
        swap_error(try_next(&mut f.chain, vec![elsewhere]).unwrap_err()),
        SwapError::InsufficientLocked { .. }
    ));
}

#[test]
fn an_attestation_of_the_previous_epoch_is_stale() {
    let mut f = fixture();
    let out = swap_out(&f, 0, ExternalChain::Algorand, vec![5; 32], flux(50));
    next(&mut f.chain, vec![out]);
    let b = burn(
        ExternalChain::Algorand,
        b"algo-1",
        flux(5),
        Address::from_bytes([1; 20]),
    );
    let attestation = attest(&f, &Statement::Burn(b.clone()), &[0, 1, 2, 3], 0);
    let length = f.chain.state().params().consensus.epoch_length;
    while f.chain.state().tip().height < length {
        next(&mut f.chain, vec![]);
    }
    next(&mut f.chain, vec![]); // first block of epoch 1
    assert_eq!(
        f.chain.state().parallel().attesters.as_ref().unwrap().epoch,
        1
    );
    let tx = sign(
        &f.users[2],
        f.chain.state(),
        TxKind::SwapIn(SwapIn {
            burn: b.clone(),
            attestation,
        }),
    );
    assert_eq!(
        swap_error(try_next(&mut f.chain, vec![tx]).unwrap_err()),
        SwapError::StaleCommittee {
            expected: 1,
            found: 0
        }
    );
    let fresh = swap_in(&f, b, &[0, 1, 2, 3], 1);
    try_next(&mut f.chain, vec![fresh]).unwrap();
}

#[test]
fn swaps_survive_a_reopen_of_the_redb_store() {
    let f = fixture();
    let genesis = f.chain.genesis().clone();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let mut disk = Chain::open_or_create(RedbStore::open(&path).unwrap(), &genesis).unwrap();
    let mut memory = Chain::open_or_create(MemStore::new(), &genesis).unwrap();
    let mut blocks = Vec::new();
    let proposer_keys = keys(1);
    let proposer = &proposer_keys[0];
    for i in 0..3u8 {
        let state = memory.state();
        let txs = if i == 0 {
            vec![]
        } else {
            let kind = TxKind::SwapOut(SwapOut {
                chain: ExternalChain::Base,
                to: vec![i; 20],
                amount: flux(u64::from(i)),
            });
            vec![sign(&f.users[0], state, kind)]
        };
        let time = state.tip().timestamp_ms + 1_000;
        let block = build_block(state, proposer, time, vec![], txs).unwrap();
        memory.apply(&block).unwrap();
        disk.apply(&block).unwrap();
        blocks.push(block);
    }
    let root = disk.state().state_root();
    drop(disk);
    let reopened = Chain::open_or_create(RedbStore::open(&path).unwrap(), &genesis).unwrap();
    assert_eq!(reopened.state().state_root(), root);
    assert_eq!(reopened.state().parallel(), memory.state().parallel());
    assert_eq!(
        reopened.state().parallel().book(ExternalChain::Base).locked,
        flux(3)
    );
}

#[derive(Clone, Debug)]
enum Op {
    Out {
        user: usize,
        chain: usize,
        amount: u64,
    },
    In {
        chain: usize,
        amount: u64,
        reference: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..10usize, 1..1_000u64).prop_map(|(user, chain, amount)| Op::Out {
            user,
            chain,
            amount
        }),
        (0..10usize, 1..1_500u64, 0..8u8).prop_map(|(chain, amount, reference)| Op::In {
            chain,
            amount,
            reference
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random swaps out and in across the chains: the books balance (issued == locked), supply
    /// stays under the cap and equals what is held, locked follows a simple model, and a reused
    /// reference always fails.
    #[test]
    fn random_swaps_keep_the_books(ops in prop::collection::vec(op(), 1..20)) {
        let mut f = fixture();
        let mut model = [0u64; 10];
        let mut used = std::collections::BTreeSet::new();
        for op in ops {
            match op {
                Op::Out { user, chain, amount } => {
                    let c = ExternalChain::ALL[chain];
                    let to = match c {
                        ExternalChain::Tron => { let mut t = vec![0x41]; t.extend([1; 20]); t }
                        ExternalChain::Solana | ExternalChain::Algorand => vec![1; 32],
                        ExternalChain::Kadena => b"k:abc".to_vec(),
                        ExternalChain::Ergo => vec![9; 40],
                        _ => vec![1; 20],
                    };
                    let tx = swap_out(&f, user, c, to, flux(amount));
                    next(&mut f.chain, vec![tx]);
                    model[chain] += amount;
                }
                Op::In { chain, amount, reference } => {
                    let c = ExternalChain::ALL[chain];
                    let b = burn(c, &[reference], flux(amount), Address::from_bytes([7; 20]));
                    let tx = swap_in(&f, b, &[0, 1, 2], 0);
                    let result = try_next(&mut f.chain, vec![tx]);
                    if used.contains(&(chain, reference)) {
                        prop_assert_eq!(
                            swap_error(result.unwrap_err()),
                            SwapError::ReferenceUsed { chain: c }
                        );
                    } else if amount > model[chain] {
                        let insufficient = matches!(
                            swap_error(result.unwrap_err()),
                            SwapError::InsufficientLocked { .. }
                        );
                        prop_assert!(insufficient);
                    } else {
                        prop_assert!(result.is_ok());
                        model[chain] -= amount;
                        used.insert((chain, reference));
                    }
                }
            }
            let s = f.chain.state();
            for (i, c) in ExternalChain::ALL.into_iter().enumerate() {
                prop_assert_eq!(s.parallel().book(c).locked, flux(model[i]));
            }
            prop_assert_eq!(s.total_held().unwrap(), s.ledger().supply);
        }
    }
}
