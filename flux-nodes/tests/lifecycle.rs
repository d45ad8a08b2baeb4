//! Every lifecycle rule at its boundary heights, and the typed refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount, ChainParams, Hash, Tier};
use flux_nodes::attestation::{BenchmarkEvidence, attest};
use flux_nodes::error::{AttestationError, LifecycleError, NodeError};
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeId;
use flux_nodes::registry::{NodeOffer, Registry, RegistryEvent};

fn key(i: u8) -> SecretKey {
    SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).unwrap()
}

fn owner(i: u8) -> Address {
    Address::from_bytes([i; 20])
}

fn start(r: &mut Registry, i: u8, tier: Tier, height: u64, p: &ChainParams) -> NodeId {
    let req = NodeOffer {
        operator: key(i).public_key(),
        tier,
        collateral: tier.collateral(p),
        endpoint: format!("10.0.0.{i}:16127"),
        geolocation: "EU_DE_Bavaria".parse().unwrap(),
        declared: tier.minimum(p),
    };
    r.start(owner(i), req, height, p).unwrap().node()
}

fn seed(height: u64) -> Hash {
    Hash::digest(&height.to_le_bytes())
}

/// Evidence for `subject` at `height`, signed by every selected verifier.
fn evidence(
    r: &Registry,
    subject: NodeId,
    tier: Tier,
    height: u64,
    p: &ChainParams,
) -> BenchmarkEvidence {
    let seed_height = height - 1;
    let mut ev = BenchmarkEvidence {
        seed_height,
        hardware: tier.minimum(p),
        cpu_score: 5_000_000,
        attestations: vec![],
    };
    let statement = ev.statement(subject, seed(seed_height));
    for v in r.verifiers(&seed(seed_height), &subject, p) {
        let i = (1..=255u8)
            .find(|i| NodeId::of(&key(*i).public_key()) == v)
            .unwrap();
        ev.attestations
            .push(attest(&key(i), p.chain_id, &statement).unwrap());
    }
    ev
}

fn confirm(
    r: &mut Registry,
    i: u8,
    height: u64,
    p: &ChainParams,
) -> Result<RegistryEvent, NodeError> {
    let id = NodeId::of(&key(i).public_key());
    let tier = r.get(&id).map_or(Tier::Cumulus, |e| e.tier);
    let ev = evidence(r, id, tier, height, p);
    r.confirm(
        &id,
        &key(i).public_key(),
        &ev,
        Some(seed(height - 1)),
        height,
        p,
    )
}

/// Advances the registry's deadlines block by block from `from` to `to` inclusive.
fn run(r: &mut Registry, from: u64, to: u64, p: &ChainParams) -> Vec<RegistryEvent> {
    (from..=to)
        .flat_map(|h| r.on_block(h, p).unwrap())
        .collect()
}

#[test]
fn confirm_window_239_240_241() {
    let p = ChainParams::mainnet();
    for (offset, ok) in [(239u64, true), (240, true), (241, false)] {
        let mut r = Registry::new();
        let id = start(&mut r, 1, Tier::Cumulus, 100, &p);
        run(&mut r, 101, 100 + offset, &p);
        let result = confirm(&mut r, 1, 100 + offset, &p);
        assert_eq!(result.is_ok(), ok, "offset {offset}: {result:?}");
        if !ok {
            assert_eq!(r.get(&id).unwrap().status, NodeStatus::DoS);
            assert!(matches!(
                result,
                Err(NodeError::Lifecycle(LifecycleError::IllegalTransition {
                    from: NodeStatus::DoS,
                    ..
                }))
            ));
        }
    }
}

#[test]
fn dos_lifts_after_720_blocks() {
    let p = ChainParams::mainnet();
    let mut r = Registry::new();
    let id = start(&mut r, 1, Tier::Cumulus, 100, &p);
    let events = run(&mut r, 101, 341, &p);
    assert_eq!(
        events,
        vec![RegistryEvent::DosListed {
            id,
            until: 341 + 720
        }]
    );
    assert_eq!(r.bonded(), Tier::Cumulus.collateral(&p));
    // A start on the DoS-listed collateral (same operator key) is refused until it lifts.
    run(&mut r, 342, 341 + 719, &p);
    let again = NodeOffer {
        operator: key(1).public_key(),
        tier: Tier::Cumulus,
        collateral: Tier::Cumulus.collateral(&p),
        endpoint: "10.0.0.1:16127".into(),
        geolocation: "EU_DE".parse().unwrap(),
        declared: Tier::Cumulus.minimum(&p),
    };
    assert_eq!(
        r.clone().start(owner(1), again.clone(), 341 + 719, &p),
        Err(NodeError::DosListed {
            id,
            until: 341 + 720
        })
    );
    let events = run(&mut r, 341 + 720, 341 + 720, &p);
    assert_eq!(
        events,
        vec![RegistryEvent::Released {
            id,
            owner: owner(1),
            amount: Tier::Cumulus.collateral(&p)
        }]
    );
    assert_eq!(r.bonded(), Amount::ZERO);
    assert!(r.start(owner(1), again, 341 + 720, &p).is_ok());
}

#[test]
fn keep_alive_499_500_and_expiry_639_640_641() {
    let p = ChainParams::mainnet();
    for (offset, ok) in [(499u64, false), (500, true), (639, true), (640, true)] {
        let mut r = Registry::new();
        start(&mut r, 1, Tier::Cumulus, 10, &p);
        confirm(&mut r, 1, 20, &p).unwrap();
        run(&mut r, 11, 20 + offset, &p);
        let result = confirm(&mut r, 1, 20 + offset, &p);
        assert_eq!(result.is_ok(), ok, "offset {offset}: {result:?}");
        if offset == 499 {
            assert_eq!(
                result,
                Err(NodeError::ConfirmTooEarly {
                    id: NodeId::of(&key(1).public_key()),
                    last: 20,
                    allowed: 520
                })
            );
        }
    }
    let mut r = Registry::new();
    let id = start(&mut r, 1, Tier::Cumulus, 10, &p);
    confirm(&mut r, 1, 20, &p).unwrap();
    assert!(run(&mut r, 21, 20 + 640, &p).is_empty());
    assert_eq!(
        run(&mut r, 661, 661, &p),
        vec![RegistryEvent::Expired { id }]
    );
    assert!(matches!(
        confirm(&mut r, 1, 661, &p),
        Err(NodeError::Lifecycle(_))
    ));
    assert!(
        r.payout().head(Tier::Cumulus).is_none(),
        "an expired node is never paid"
    );
}

#[test]
fn endpoint_change_allows_confirm_after_5() {
    let p = ChainParams::mainnet();
    let mut r = Registry::new();
    let id = start(&mut r, 1, Tier::Cumulus, 10, &p);
    confirm(&mut r, 1, 20, &p).unwrap();
    r.update_endpoint(&id, &key(1).public_key(), "10.9.9.9:16127".into(), 100, &p)
        .unwrap();
    assert!(matches!(
        confirm(&mut r, 1, 104, &p),
        Err(NodeError::ConfirmTooEarly { allowed: 105, .. })
    ));
    assert!(confirm(&mut r, 1, 105, &p).is_ok());
    assert!(matches!(
        r.update_endpoint(&id, &key(2).public_key(), "10.9.9.9:1".into(), 106, &p),
        Err(NodeError::NotOperator { .. })
    ));
    assert!(matches!(
        r.update_endpoint(&id, &key(1).public_key(), "no port".into(), 106, &p),
        Err(NodeError::Endpoint(_))
    ));
}

#[test]
/// Mainnet's unbonding period (4,320 blocks: an epoch plus the evidence window, issue 19
/// point 11).
fn exit_unbonds_after_4320() {
    let p = ChainParams::mainnet();
    assert_eq!(p.nodes.unbonding_period, 4_320);
    let mut r = Registry::new();
    let id = start(&mut r, 1, Tier::Nimbus, 10, &p);
    confirm(&mut r, 1, 20, &p).unwrap();
    assert!(matches!(
        r.exit(&id, &owner(2), 30, &p),
        Err(NodeError::NotOwner { .. })
    ));
    assert_eq!(
        r.exit(&id, &owner(1), 30, &p),
        Ok(RegistryEvent::Exiting {
            id,
            release_at: 30 + 4_320
        })
    );
    assert!(r.payout().head(Tier::Nimbus).is_none());
    assert!(run(&mut r, 31, 30 + 4_319, &p).is_empty());
    assert_eq!(
        run(&mut r, 30 + 4_320, 30 + 4_320, &p),
        vec![RegistryEvent::Released {
            id,
            owner: owner(1),
            amount: Tier::Nimbus.collateral(&p)
        }]
    );
    assert!(r.is_empty());
}

#[test]
fn start_refusals_are_typed() {
    let p = ChainParams::mainnet();
    let mut r = Registry::new();
    let mut req = NodeOffer {
        operator: key(1).public_key(),
        tier: Tier::Stratus,
        collateral: Tier::Nimbus.collateral(&p),
        endpoint: "10.0.0.1:16127".into(),
        geolocation: "NA_US".parse().unwrap(),
        declared: Tier::Stratus.minimum(&p),
    };
    assert!(matches!(
        r.start(owner(1), req.clone(), 1, &p),
        Err(NodeError::WrongCollateral {
            tier: Tier::Stratus,
            ..
        })
    ));
    req.collateral = Tier::Stratus.collateral(&p);
    req.declared = Tier::Nimbus.minimum(&p);
    assert_eq!(
        r.start(owner(1), req.clone(), 1, &p),
        Err(NodeError::DeclaredBelowTier {
            tier: Tier::Stratus
        })
    );
    req.declared = Tier::Stratus.minimum(&p);
    req.operator = SecretKey::from_bytes(Scheme::Secp256k1, &[1; 32])
        .unwrap()
        .public_key();
    assert_eq!(
        r.start(owner(1), req.clone(), 1, &p),
        Err(NodeError::OperatorScheme)
    );
    req.operator = key(1).public_key();
    let id = r.start(owner(1), req.clone(), 1, &p).unwrap().node();
    assert_eq!(
        r.start(owner(1), req, 2, &p),
        Err(NodeError::AlreadyRegistered { id })
    );
    assert!("XX_DE".parse::<flux_nodes::node::Geolocation>().is_err());
    assert!("EU_de".parse::<flux_nodes::node::Geolocation>().is_err());
}

#[test]
fn confirm_needs_a_quorum_of_selected_verifiers() {
    let p = ChainParams::mainnet();
    let mut r = Registry::new();
    // Seven confirmed peers (the first confirms alone: no peers yet).
    for i in 1..=7u8 {
        start(&mut r, i, Tier::Cumulus, 10, &p);
        confirm(&mut r, i, 11, &p).unwrap();
    }
    let subject = start(&mut r, 20, Tier::Cumulus, 12, &p);
    let good = evidence(&r, subject, Tier::Cumulus, 13, &p);
    assert_eq!(good.attestations.len(), 5);
    let confirm_with = |r: &mut Registry, ev: &BenchmarkEvidence| {
        r.clone()
            .confirm(&subject, &key(20).public_key(), ev, Some(seed(12)), 13, &p)
    };
    assert!(confirm_with(&mut r, &good).is_ok());
    // Too few: 3 of 5 (the quorum is 4).
    let mut few = good.clone();
    few.attestations.truncate(3);
    assert_eq!(
        confirm_with(&mut r, &few),
        Err(NodeError::Attestation(AttestationError::TooFewSignatures {
            have: 3,
            need: 4
        }))
    );
    // Forged: a selected verifier's signature over other figures.
    let mut forged = good.clone();
    forged.cpu_score += 1;
    assert!(matches!(
        confirm_with(&mut r, &forged),
        Err(NodeError::Attestation(
            AttestationError::BadSignature { .. }
        ))
    ));
    // A signer the seed did not select.
    let mut stranger = good.clone();
    let statement = stranger.statement(subject, seed(12));
    let unselected = (1..=7u8)
        .find(|i| {
            !r.verifiers(&seed(12), &subject, &p)
                .contains(&NodeId::of(&key(*i).public_key()))
        })
        .unwrap();
    stranger.attestations[0] = attest(&key(unselected), p.chain_id, &statement).unwrap();
    assert!(matches!(
        confirm_with(&mut r, &stranger),
        Err(NodeError::Attestation(AttestationError::NotSelected { .. }))
    ));
    // Duplicate signer.
    let mut dup = good.clone();
    dup.attestations[1] = dup.attestations[0].clone();
    assert!(matches!(
        confirm_with(&mut r, &dup),
        Err(NodeError::Attestation(
            AttestationError::DuplicateVerifier { .. }
        ))
    ));
    // Stale seed.
    assert!(matches!(
        r.clone().confirm(
            &subject,
            &key(20).public_key(),
            &good,
            Some(seed(12)),
            12 + 21,
            &p
        ),
        Err(NodeError::Attestation(AttestationError::StaleSeed { .. }))
    ));
    // Below the tier's minimum.
    let mut weak = good.clone();
    weak.hardware.resources.ram_mb -= 1;
    assert!(matches!(
        confirm_with(&mut r, &weak),
        Err(NodeError::Attestation(
            AttestationError::BelowTierMinimum { .. }
        ))
    ));
    // Someone else's key.
    assert!(matches!(
        r.clone().confirm(
            &subject,
            &key(21).public_key(),
            &good,
            Some(seed(12)),
            13,
            &p
        ),
        Err(NodeError::NotOperator { .. })
    ));
}
