//! The bound on an attestation's signatures follows the committee size governance allows.
//!
//! Replays issue 19 point 15: `MAX_SIGNATURES` was 128 while governance may set
//! `consensus.committee_size` up to 200, so once a committee had more than 128 members a burn
//! its quorum signed could never be released (`TooManySignatures`), in `verify_attestation` and
//! in the `SwapIn`'s stateless check alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flux_chain::codec;
use flux_chain::consensus::committee::{Committee, Member};
use flux_chain::parallel::{
    Attestation, BurnStatement, MAX_SIGNATURES, Statement, SwapError, sign_attestation,
    verify_attestation,
};
use flux_chain::testkit::keys::seeded_keys;
use flux_chain::tx::{SwapIn, Transaction, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::parallel::ExternalChain;
use flux_core::params::{GovernableParam, Ratio};
use flux_core::{Address, Amount, ChainId, ChainParams};
use flux_nodes::node::NodeId;

fn burn() -> BurnStatement {
    BurnStatement {
        chain: ExternalChain::Ethereum,
        reference: vec![7; 32],
        amount: Amount::from_flux(10).unwrap(),
        recipient: Address::from_bytes([9; 20]),
    }
}

/// A committee of `keys` (weight 1 each, sorted by id) and the attestation of `burn` signed by
/// every member.
fn committee_signing(keys: &[SecretKey], burn: &BurnStatement) -> (Committee, Attestation) {
    let statement = Statement::Burn(burn.clone());
    let mut members: Vec<Member> = keys
        .iter()
        .map(|k| Member {
            id: NodeId::of(&k.public_key()),
            key: k.public_key(),
            weight: 1,
        })
        .collect();
    members.sort_by_key(|m| m.id);
    let committee = Committee::new(members, Ratio::new(2, 3)).unwrap();
    let mut signatures: Vec<_> = keys
        .iter()
        .map(|k| {
            let sig = sign_attestation(k, None, ChainId::DEVNET, &statement).unwrap();
            (NodeId::of(&k.public_key()), sig)
        })
        .collect();
    signatures.sort_by_key(|(id, _)| *id);
    (
        committee,
        Attestation {
            epoch: 3,
            signatures,
        },
    )
}

/// A committee of the largest size governance may vote (200), every member signing a burn:
/// the attestation verifies and a `SwapIn` carrying it passes the stateless checks. Before the
/// fix both refused it: `TooManySignatures { count: 200, max: 128 }`.
#[test]
fn a_committee_of_the_largest_governable_size_attests_a_burn() {
    let (_, largest) = GovernableParam::CommitteeSize.bounds();
    let size = usize::try_from(largest).unwrap();
    let keys = seeded_keys(size);
    let burn = burn();
    let (committee, attestation) = committee_signing(&keys, &burn);
    let statement = Statement::Burn(burn.clone());
    let weight = verify_attestation(
        &attestation,
        &statement,
        &committee,
        3,
        Ratio::new(2, 3),
        ChainId::DEVNET,
        |_| None,
    )
    .unwrap();
    assert_eq!(weight, largest);

    let params = ChainParams::devnet();
    let tx = Transaction::sign(
        &keys[0],
        params.chain_id,
        0,
        Amount::ZERO,
        TxKind::SwapIn(SwapIn { burn, attestation }),
    )
    .unwrap();
    let size = codec::encode(&tx).unwrap().len() as u64;
    tx.check_stateless(&params, size).unwrap();
    assert_eq!(
        MAX_SIGNATURES as u64, largest,
        "one bound, the committee size's"
    );
}

/// One signature more than any committee can have is still refused, before any is checked.
#[test]
fn more_signatures_than_the_largest_committee_are_refused() {
    let keys = seeded_keys(MAX_SIGNATURES + 1);
    let burn = burn();
    let (committee, attestation) = committee_signing(&keys, &burn);
    let found = verify_attestation(
        &attestation,
        &Statement::Burn(burn),
        &committee,
        3,
        Ratio::new(2, 3),
        ChainId::DEVNET,
        |_| None,
    );
    assert!(
        matches!(
            found,
            Err(SwapError::TooManySignatures { count, max })
                if count == MAX_SIGNATURES + 1 && max == MAX_SIGNATURES
        ),
        "{found:?}"
    );
}
