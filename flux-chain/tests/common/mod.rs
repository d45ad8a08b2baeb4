//! Helpers shared by flux-chain's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flux_chain::genesis::{Allocation, Genesis};
use flux_chain::tx::{Transaction, Transfer, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount, ChainId, Network};

/// Deterministic keys: key i has secret `[i as u8 + 1; 32]` with the index in the first bytes.
pub fn keys(n: usize) -> Vec<SecretKey> {
    (0..n)
        .map(|i| {
            let mut seed = [0x5au8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            SecretKey::from_bytes(Scheme::Ed25519, &seed).unwrap()
        })
        .collect()
}

pub fn address(key: &SecretKey) -> Address {
    Address::from_public_key(&key.public_key())
}

/// A devnet genesis giving `flux_each` FLUX to each key.
pub fn genesis(keys: &[SecretKey], flux_each: u64) -> Genesis {
    Genesis {
        network: Network::Devnet,
        chain_id: ChainId::DEVNET,
        timestamp_ms: 1_000_000,
        allocations: keys
            .iter()
            .map(|k| Allocation {
                address: address(k).to_bech32(Network::Devnet),
                amount: Amount::from_flux(flux_each).unwrap(),
            })
            .collect(),
    }
}

pub fn transfer(key: &SecretKey, nonce: u64, fee: u64, to: Address, amount: u64) -> Transaction {
    Transaction::sign(
        key,
        ChainId::DEVNET,
        nonce,
        Amount::from_base_units(fee),
        TxKind::Transfer(Transfer {
            to,
            amount: Amount::from_base_units(amount),
        }),
    )
    .unwrap()
}
