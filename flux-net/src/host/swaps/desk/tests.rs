//! Unit tests of the swap desk.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flux_chain::consensus::committee::Member;
use flux_chain::parallel::{BurnStatement, sign_attestation};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::params::Ratio;
use flux_core::{Address, Amount};

use super::*;

fn burn(i: u32) -> Statement {
    Statement::Burn(BurnStatement {
        chain: ExternalChain::Solana,
        reference: i.to_be_bytes().to_vec(),
        amount: Amount::ONE_FLUX,
        recipient: Address::from_bytes([1; 20]),
    })
}

fn entry(statement: Statement, since: Height) -> Collected {
    let key = SecretKey::from_bytes(Scheme::Ed25519, &[9; 32]).unwrap();
    let member = Member {
        id: NodeId::of(&key.public_key()),
        key: key.public_key(),
        weight: 1,
    };
    Collected {
        statement,
        epoch: 0,
        committee: Committee::new(vec![member], Ratio { num: 2, den: 3 }).unwrap(),
        swap_keys: BTreeMap::new(),
        signatures: BTreeMap::new(),
        weight: 0,
        since,
    }
}

#[test]
fn a_full_desk_drops_its_oldest_entry() {
    let mut desk = SwapDesk::default();
    for i in 0..MAX_ENTRIES as u32 {
        let s = burn(i);
        desk.open(Subject::of(&s), entry(s, 10 + u64::from(i % 7)));
    }
    assert_eq!(desk.len(), MAX_ENTRIES);
    let newest = burn(u32::MAX);
    desk.open(Subject::of(&newest), entry(newest.clone(), 100));
    assert_eq!(desk.len(), MAX_ENTRIES);
    assert!(desk.get(&Subject::of(&newest)).is_some());
    // The first entry opened at height 10 went.
    assert!(desk.get(&Subject::of(&burn(0))).is_none());
    assert!(desk.get(&Subject::of(&burn(1))).is_some());
}

#[test]
fn requests_are_deduplicated_and_bounded() {
    let mut desk = SwapDesk::default();
    desk.request(burn(1));
    desk.request(burn(1));
    assert_eq!(desk.outbox.len(), 1);
    for i in 0..2 * MAX_EARLY as u32 {
        desk.request(burn(i));
    }
    assert_eq!(desk.outbox.len(), MAX_EARLY);
}

#[test]
fn an_entry_is_attested_past_the_threshold_only() {
    let key = SecretKey::from_bytes(Scheme::Ed25519, &[9; 32]).unwrap();
    let s = burn(5);
    let mut e = entry(s.clone(), 1);
    assert!(e.attestation().is_none());
    let sig = sign_attestation(&key, None, flux_core::ChainId::DEVNET, &s).unwrap();
    e.signatures.insert(NodeId::of(&key.public_key()), sig);
    e.weight = 1;
    let a = e.attestation().unwrap();
    assert_eq!(a.signatures.len(), 1);
    assert_eq!(a.epoch, 0);
}
