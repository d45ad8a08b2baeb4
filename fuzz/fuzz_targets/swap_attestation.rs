#![no_main]
//! Decodes a swap attestation and its statement from untrusted bytes and verifies it against a
//! fixed committee of four: must never panic, whatever the bytes.

use std::sync::LazyLock;

use flux_chain::consensus::committee::{Committee, Member};
use flux_chain::parallel::{Attestation, Statement, verify_attestation};
use flux_core::crypto::{PublicKey, Scheme, SecretKey};
use flux_core::params::Ratio;
use flux_core::{ChainId, codec};
use flux_nodes::NodeId;

static COMMITTEE: LazyLock<Option<(Committee, Vec<(NodeId, PublicKey)>)>> = LazyLock::new(|| {
    let mut members = Vec::new();
    let mut swap_keys = Vec::new();
    for i in 1..=4u8 {
        let key = SecretKey::from_bytes(Scheme::Ed25519, &[i; 32])
            .ok()?
            .public_key();
        let id = NodeId::of(&key);
        members.push(Member {
            id,
            key,
            weight: u64::from(i),
        });
        let swap = SecretKey::from_bytes(Scheme::Secp256k1, &[i + 40; 32]).ok()?;
        swap_keys.push((id, swap.public_key()));
    }
    members.sort_by_key(|m| m.id);
    Some((Committee::new(members, Ratio::new(2, 3)).ok()?, swap_keys))
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok((attestation, statement)) =
        codec::decode_with_limit::<(Attestation, Statement)>(data, 64 * 1024)
    else {
        return;
    };
    let Some((committee, swap_keys)) = COMMITTEE.as_ref() else {
        return;
    };
    let keys = |n: &NodeId| swap_keys.iter().find(|(id, _)| id == n).map(|(_, k)| *k);
    let result = verify_attestation(
        &attestation,
        &statement,
        committee,
        attestation.epoch % 2,
        Ratio::new(2, 3),
        ChainId::DEVNET,
        keys,
    );
    // Whatever it says, it says it again (verification is a pure function).
    let again = verify_attestation(
        &attestation,
        &statement,
        committee,
        attestation.epoch % 2,
        Ratio::new(2, 3),
        ChainId::DEVNET,
        keys,
    );
    assert_eq!(result, again);
});
