//! Parallel assets, the way out: swaps out across the 10 external chains, the books, the cap,
//! the attesting committee and the statements other chains' contracts verify (SPEC "Parallel
//! assets"). The way back in is `swaps_in.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use flux_chain::chain::Chain;
use flux_chain::devnet::ValidatorKeys;
use flux_chain::error::{BlockError, TxError};
use flux_chain::genesis::{Allocation, Genesis};
use flux_chain::parallel::{
    Attestation, Statement, SwapError, SwapOutStatement, SwapSignature, sign_attestation,
    verify_attestation,
};
use flux_chain::store::{MemStore, Store};
use flux_chain::transition::parallel::SwapEvent;
use flux_chain::transition::{Event, Receipts, build_block};
use flux_chain::tx::{SwapKeyRegister, SwapOut, Transaction, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::parallel::{ExternalChain, eth_address, evm_digest};
use flux_core::{Address, Amount, ChainId, Network};
use flux_nodes::node::NodeId;

use common::{address, keys, sign};

include!("swaps/fixture.rs");

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
        params: Default::default(),
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
