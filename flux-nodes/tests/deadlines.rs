//! The registry's deadlines are fixed when they are set: parameters changed afterwards (by
//! governance) apply to the deadlines set after the change, and a registry rebuilt from its
//! entries under the new parameters is the one that ran through the change (issue 19 point 4).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, ChainParams, Hash, Tier};
use flux_nodes::attestation::BenchmarkEvidence;
use flux_nodes::error::NodeError;
use flux_nodes::lifecycle::NodeStatus;
use flux_nodes::node::NodeId;
use flux_nodes::registry::{NodeOffer, Registry, RegistryEvent};

fn key(i: u8) -> SecretKey {
    SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]).unwrap()
}

/// Params without verifiers (the attestation rules are tested elsewhere).
fn params(expire_after: u64, min_confirm_interval: u64) -> ChainParams {
    let mut p = ChainParams::mainnet();
    p.nodes.bench_quorum = flux_core::params::Ratio::new(0, 1);
    p.nodes.expire_after = expire_after;
    p.nodes.min_confirm_interval = min_confirm_interval;
    p
}

fn start(r: &mut Registry, i: u8, height: u64, p: &ChainParams) -> NodeId {
    let req = NodeOffer {
        operator: key(i).public_key(),
        tier: Tier::Cumulus,
        collateral: Tier::Cumulus.collateral(p),
        endpoint: format!("10.0.0.{i}:16127"),
        geolocation: "EU_DE".parse().unwrap(),
        declared: Tier::Cumulus.minimum(p),
    };
    r.start(Address::from_bytes([i; 20]), req, height, p)
        .unwrap()
        .node()
}

fn confirm(
    r: &mut Registry,
    i: u8,
    height: u64,
    p: &ChainParams,
) -> Result<RegistryEvent, NodeError> {
    let id = NodeId::of(&key(i).public_key());
    let evidence = BenchmarkEvidence {
        seed_height: height - 1,
        hardware: Tier::Cumulus.minimum(p),
        cpu_score: 5_000_000,
        attestations: vec![],
    };
    let seed = Some(Hash::digest(&(height - 1).to_le_bytes()));
    r.confirm(&id, &key(i).public_key(), &evidence, seed, height, p)
}

/// Fires every deadline from `from` to `to` under `p`: never an illegal transition.
fn run(r: &mut Registry, from: u64, to: u64, p: &ChainParams) -> Vec<(u64, RegistryEvent)> {
    (from..=to)
        .flat_map(|h| {
            let events = r
                .on_block(h, p)
                .unwrap_or_else(|e| panic!("block {h}: {e}"));
            events.into_iter().map(move |e| (h, e))
        })
        .collect()
}

/// `expire_after` 640 -> 1,000 and `min_confirm_interval` 500 -> 900 after node 1 confirmed at
/// 10: its window stays [510, 650] (it expires at 651); node 2, confirmed after the change,
/// gets [920, 1,020]. Rebuilt from the entries under the new parameters, the registry is the
/// same at every step.
#[test]
fn a_deadline_keeps_the_parameters_it_was_set_with() {
    let (before, after) = (params(640, 500), params(1_000, 900));
    let mut r = Registry::new();
    let one = start(&mut r, 1, 1, &before);
    let two = start(&mut r, 2, 1, &before);
    confirm(&mut r, 1, 10, &before).unwrap();
    assert_eq!(r.get(&one).unwrap().keepalive_window(), Some((510, 650)));
    // The change.
    confirm(&mut r, 2, 20, &after).unwrap();
    assert_eq!(r.get(&two).unwrap().keepalive_window(), Some((920, 1_020)));
    assert_eq!(Registry::from_entries(r.iter().cloned()).unwrap(), r);

    // Node 1's window is the one its confirm fixed, whatever the parameters now.
    assert!(matches!(
        confirm(&mut r, 1, 509, &after),
        Err(NodeError::ConfirmTooEarly { allowed: 510, .. })
    ));
    assert_eq!(run(&mut r, 11, 650, &after), vec![]);
    assert_eq!(
        run(&mut r, 651, 1_100, &after),
        vec![
            (651, RegistryEvent::Expired { id: one }),
            (1_021, RegistryEvent::Expired { id: two }),
        ]
    );
    assert_eq!(r.get(&one).unwrap().status, NodeStatus::Expired);
    assert_eq!(Registry::from_entries(r.iter().cloned()).unwrap(), r);
}

/// A stored entry whose deadline does not fit its status is refused, not silently kept
/// forever in its status.
#[test]
fn an_entry_without_its_deadline_is_refused() {
    let p = params(640, 500);
    let mut r = Registry::new();
    let id = start(&mut r, 1, 1, &p);
    let mut entry = r.get(&id).unwrap().clone();
    entry.deadline = None;
    assert!(matches!(
        Registry::from_entries([entry.clone()]),
        Err(NodeError::Deadline {
            status: NodeStatus::Started,
            ..
        })
    ));
    entry.status = NodeStatus::Expired;
    assert!(Registry::from_entries([entry.clone()]).is_ok());
    entry.deadline = Some(9);
    assert!(Registry::from_entries([entry]).is_err());
}
