//! Parallel assets: swaps out and in across the 10 external chains, the books, the cap and the
//! committee attestations (SPEC "Parallel assets").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use flux_chain::chain::Chain;
use flux_chain::devnet::ValidatorKeys;
use flux_chain::error::{BlockError, TxError};
use flux_chain::genesis::{Allocation, Genesis};
use flux_chain::parallel::{
    Attestation, BurnStatement, Statement, SwapError, SwapOutStatement, SwapSignature,
    sign_attestation, verify_attestation,
};
use flux_chain::store::{MemStore, RedbStore, Store};
use flux_chain::transition::parallel::SwapEvent;
use flux_chain::transition::{Event, Receipts, build_block};
use flux_chain::tx::{SwapIn, SwapKeyRegister, SwapOut, Transaction, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::parallel::{ExternalChain, eth_address, evm_digest};
use flux_core::{Address, Amount, ChainId, Network};
use flux_nodes::node::NodeId;
use proptest::prelude::*;

use common::{address, keys, sign};

struct Fixture {
    chain: Chain<MemStore>,
    validators: Vec<ValidatorKeys>,
    users: Vec<SecretKey>,
}

fn fixture() -> Fixture {
    let validators: Vec<ValidatorKeys> = (0..4)
        .map(|i| ValidatorKeys::derive(11, i).unwrap())
        .collect();
    let users = keys(3);
    let funded: Vec<(Address, Amount)> = users
        .iter()
        .map(|k| (address(k), Amount::from_flux(1_000_000).unwrap()))
        .collect();
    let genesis = Genesis::with_validators(
        Network::Devnet,
        ChainId::DEVNET,
        1_000,
        &validators,
        &funded,
    )
    .unwrap();
    let mut chain = Chain::open_or_create(MemStore::new(), &genesis).unwrap();
    next(&mut chain, vec![]); // block 1 draws the attesting committee of epoch 0
    Fixture {
        chain,
        validators,
        users,
    }
}

/// The next block with `txs`; checks conservation and the books after it.
fn next<S: Store>(chain: &mut Chain<S>, txs: Vec<Transaction>) -> Receipts {
    let receipts = common::next(chain, txs);
    check_books(chain);
    receipts
}

fn check_books<S: Store>(chain: &Chain<S>) {
    let s = chain.state();
    for chain_id in ExternalChain::ALL {
        let book = s.parallel().book(chain_id);
        assert_eq!(book.issued, book.locked, "issued == locked on {chain_id}");
    }
    assert!(s.ledger().supply <= s.params().supply.max_supply, "cap");
}

fn try_next<S: Store>(chain: &mut Chain<S>, txs: Vec<Transaction>) -> Result<Receipts, TxError> {
    let proposer_keys = keys(1);
    let proposer = &proposer_keys[0];
    let time = chain.state().tip().timestamp_ms + 1_000;
    match build_block(chain.state(), proposer, time, vec![], txs) {
        Ok(block) => {
            let r = chain.apply(&block).unwrap();
            check_books(chain);
            Ok(r)
        }
        Err(BlockError::Tx { source, .. }) => Err(source),
        Err(e) => panic!("block error {e}"),
    }
}

fn swap_error(e: TxError) -> SwapError {
    match e {
        TxError::Swap(s) => s,
        other => panic!("expected a swap error, got {other}"),
    }
}

fn flux(n: u64) -> Amount {
    Amount::from_flux(n).unwrap()
}

/// The attestation of `statement` by the validators at `signers` (indices), sorted by node id.
fn attest(f: &Fixture, statement: &Statement, signers: &[usize], epoch: u64) -> Attestation {
    let mut signatures: Vec<(NodeId, SwapSignature)> = signers
        .iter()
        .map(|&i| {
            let v = &f.validators[i];
            let swap = swap_key(i);
            let sig = sign_attestation(&v.operator, Some(&swap), ChainId::DEVNET, statement);
            (NodeId::of(&v.operator.public_key()), sig.unwrap())
        })
        .collect();
    signatures.sort_by_key(|(id, _)| *id);
    Attestation { epoch, signatures }
}

fn swap_key(i: usize) -> SecretKey {
    SecretKey::from_bytes(Scheme::Secp256k1, &[i as u8 + 40; 32]).unwrap()
}

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

fn swap_out(
    f: &Fixture,
    user: usize,
    chain: ExternalChain,
    to: Vec<u8>,
    amount: Amount,
) -> Transaction {
    sign(
        &f.users[user],
        f.chain.state(),
        TxKind::SwapOut(SwapOut { chain, to, amount }),
    )
}

#[test]
fn attesting_committee_is_the_consensus_committee() {
    let f = fixture();
    let attesters = f.chain.state().parallel().attesters.clone().unwrap();
    assert_eq!(attesters.epoch, 0);
    assert_eq!(attesters.members, f.chain.committee(1).unwrap().members());
}

#[test]
fn mainnet_genesis_locks_22m_per_chain_within_the_cap() {
    let alice = keys(1);
    let g = Genesis {
        network: Network::Mainnet,
        chain_id: ChainId::MAINNET,
        timestamp_ms: 1_000,
        allocations: vec![Allocation {
            address: address(&alice[0]).to_bech32(Network::Mainnet),
            amount: flux(1_000),
        }],
        nodes: vec![],
    };
    let state = g.state().unwrap();
    for c in ExternalChain::ALL {
        let book = state.parallel().book(c);
        assert_eq!(book.locked, flux(22_000_000));
        assert_eq!(book.issued, book.locked);
    }
    assert_eq!(state.ledger().supply, flux(220_001_000));
    assert_eq!(state.total_held().unwrap(), state.ledger().supply);

    // The reserve counts in the genesis cap check: allocations that would fit alone are refused.
    let params = g.params();
    let room = params
        .supply
        .max_supply
        .checked_sub(flux_core::tokenomics::max_emission(&params))
        .unwrap();
    let mut too_much = g.clone();
    too_much.allocations[0].amount = room.checked_sub(flux(220_000_000)).unwrap();
    assert!(too_much.state().is_ok());
    too_much.allocations[0].amount = too_much.allocations[0]
        .amount
        .checked_add(Amount::from_base_units(1))
        .unwrap();
    assert!(too_much.state().is_err());

    // Devnet starts at zero.
    let devnet = Genesis::devnet_example().state().unwrap();
    assert_eq!(devnet.parallel().locked().unwrap(), Amount::ZERO);
}

#[test]
fn swap_out_locks_and_is_attested_for_an_evm_contract() {
    let mut f = fixture();
    let user = address(&f.users[0]);
    let before = f.chain.state().account(&user).balance;
    let to = vec![0xab; 20];
    let tx = swap_out(&f, 0, ExternalChain::Ethereum, to.clone(), flux(100));
    let id = tx.id().unwrap();
    let receipts = next(&mut f.chain, vec![tx]);
    match &receipts.txs[0].events[..] {
        [Event::Swap(SwapEvent::Out { book, .. })] => assert_eq!(book.locked, flux(100)),
        other => panic!("events {other:?}"),
    }
    let s = f.chain.state();
    assert_eq!(
        s.account(&user).balance,
        before.checked_sub(flux(100)).unwrap()
    );
    let record = s.parallel().swaps_out.get(&id).cloned().unwrap();
    assert_eq!((record.epoch, record.to.clone()), (0, to.clone()));

    // Each validator registers its secp256k1 swap key.
    let regs: Vec<Transaction> = (0..4)
        .map(|i| {
            let op = &f.validators[i].operator;
            sign(
                op,
                f.chain.state(),
                TxKind::SwapKeyRegister(SwapKeyRegister {
                    node: NodeId::of(&op.public_key()),
                    key: swap_key(i).public_key(),
                }),
            )
        })
        .collect();
    next(&mut f.chain, regs);

    let statement = Statement::SwapOut(SwapOutStatement::of(id, &record));
    let attestation = attest(&f, &statement, &[0, 1, 2], 0);
    let s = f.chain.state();
    let committee = f.chain.committee(record.height).unwrap();
    let keys = |n: &NodeId| s.parallel().swap_keys.get(n).copied();
    let threshold = s.params().parallel.attestation_threshold;
    let weight = verify_attestation(
        &attestation,
        &statement,
        &committee,
        0,
        threshold,
        ChainId::DEVNET,
        keys,
    )
    .unwrap();
    assert_eq!(weight * 4, committee.total_weight() * 3);

    // Independently: the digest by hand with tiny-keccak, the signer by k256's recovery.
    let keccak = |data: &[u8]| {
        use tiny_keccak::Hasher;
        let mut k = tiny_keccak::Keccak::v256();
        let mut out = [0u8; 32];
        k.update(data);
        k.finalize(&mut out);
        out
    };
    assert_eq!(
        flux_core::hex::encode(&keccak(b"")),
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    );
    let mut packed = Vec::new();
    packed.extend_from_slice(b"flux/swap/v1");
    packed.extend_from_slice(&ChainId::DEVNET.0.to_be_bytes());
    packed.extend_from_slice(&2u32.to_be_bytes()); // Ethereum
    packed.extend_from_slice(id.0.as_bytes());
    packed.extend_from_slice(&to);
    packed.extend_from_slice(&[0u8; 24]);
    packed.extend_from_slice(&flux(100).base_units().to_be_bytes());
    assert_eq!(packed.len(), 108);
    let mut prefixed = b"\x19Ethereum Signed Message:\n32".to_vec();
    prefixed.extend_from_slice(&keccak(&packed));
    let digest = keccak(&prefixed);
    let to20: [u8; 20] = to.as_slice().try_into().unwrap();
    assert_eq!(
        digest,
        evm_digest(
            ChainId::DEVNET,
            ExternalChain::Ethereum,
            id.0.as_bytes(),
            &to20,
            flux(100)
        )
    );
    for (i, (_, sig)) in attestation.signatures.iter().enumerate() {
        let SwapSignature::Evm(sig) = sig else {
            panic!("EVM signature expected")
        };
        let rs = k256::ecdsa::Signature::from_slice(&sig.0[..64]).unwrap();
        assert!(sig.0[64] == 27 || sig.0[64] == 28);
        let recid = k256::ecdsa::RecoveryId::from_byte(sig.0[64] - 27).unwrap();
        let vk = k256::ecdsa::VerifyingKey::recover_from_prehash(&digest, &rs, recid).unwrap();
        let point = vk.to_encoded_point(false);
        let address = &keccak(&point.as_bytes()[1..])[12..];
        let signer = attestation.signatures[i].0;
        let registered = s.parallel().swap_keys.get(&signer).unwrap();
        assert_eq!(address, eth_address(registered).unwrap());
    }

    // Two of four is not more than 2/3.
    let weak = attest(&f, &statement, &[0, 1], 0);
    let err = verify_attestation(
        &weak,
        &statement,
        &committee,
        0,
        threshold,
        ChainId::DEVNET,
        keys,
    );
    assert!(matches!(err, Err(SwapError::InsufficientWeight { .. })));
    // The committee of another epoch is stale.
    let stale = attest(&f, &statement, &[0, 1, 2, 3], 1);
    let err = verify_attestation(
        &stale,
        &statement,
        &committee,
        0,
        threshold,
        ChainId::DEVNET,
        keys,
    );
    assert!(matches!(
        err,
        Err(SwapError::StaleCommittee {
            expected: 0,
            found: 1
        })
    ));
}

#[test]
fn bad_destinations_and_zero_amounts_are_refused() {
    let mut f = fixture();
    let cases = [
        (ExternalChain::Ethereum, vec![1; 19]),
        (ExternalChain::Tron, vec![1; 21]),
        (ExternalChain::Solana, vec![1; 31]),
        (ExternalChain::Kadena, b"k:\x01bad".to_vec()),
    ];
    for (c, to) in cases {
        let tx = swap_out(&f, 0, c, to, flux(1));
        assert!(matches!(
            swap_error(try_next(&mut f.chain, vec![tx]).unwrap_err()),
            SwapError::Destination(_)
        ));
    }
    let tx = swap_out(&f, 0, ExternalChain::Base, vec![1; 20], Amount::ZERO);
    assert_eq!(
        swap_error(try_next(&mut f.chain, vec![tx]).unwrap_err()),
        SwapError::ZeroAmount
    );
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

#[test]
fn ed25519_and_tron_swap_out_statements_verify() {
    let mut f = fixture();
    let mut tron = vec![0x41];
    tron.extend([3u8; 20]);
    let txs = vec![
        swap_out(&f, 0, ExternalChain::Solana, vec![4; 32], flux(7)),
        swap_out(&f, 1, ExternalChain::Tron, tron.clone(), flux(8)),
    ];
    let ids: Vec<_> = txs.iter().map(|t| t.id().unwrap()).collect();
    next(&mut f.chain, txs);
    let s = f.chain.state();
    let committee = f.chain.committee(s.tip().height).unwrap();
    let threshold = s.params().parallel.attestation_threshold;
    let swap_keys: Vec<(NodeId, flux_core::crypto::PublicKey)> = (0..4)
        .map(|i| {
            let id = NodeId::of(&f.validators[i].operator.public_key());
            (id, swap_key(i).public_key())
        })
        .collect();
    let keys = |n: &NodeId| swap_keys.iter().find(|(id, _)| id == n).map(|(_, k)| *k);
    for id in ids {
        let record = s.parallel().swaps_out.get(&id).cloned().unwrap();
        let statement = Statement::SwapOut(SwapOutStatement::of(id, &record));
        let attestation = attest(&f, &statement, &[1, 2, 3], record.epoch);
        let expected_kind = match record.chain {
            ExternalChain::Solana => {
                matches!(attestation.signatures[0].1, SwapSignature::Ed25519(_))
            }
            _ => matches!(attestation.signatures[0].1, SwapSignature::Evm(_)),
        };
        assert!(expected_kind);
        verify_attestation(
            &attestation,
            &statement,
            &committee,
            record.epoch,
            threshold,
            ChainId::DEVNET,
            keys,
        )
        .unwrap();
        // Another chain id (a replay on another Flux network) does not verify.
        assert!(
            verify_attestation(
                &attestation,
                &statement,
                &committee,
                record.epoch,
                threshold,
                ChainId::MAINNET,
                keys,
            )
            .is_err()
        );
    }
    // Tron's contract sees the 20 bytes after the 0x41 prefix.
    assert_eq!(ExternalChain::Tron.evm_address(&tron), Some([3u8; 20]));
}
