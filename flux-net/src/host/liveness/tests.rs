//! Unit tests of `liveness`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use flux_chain::genesis::Genesis;

#[test]
fn a_lone_hosting_validator_reports_its_hosting_every_interval() {
    use crate::host::{Host, HostConfig, Recorder};
    use flux_chain::chain::Chain;
    use flux_chain::consensus::Input;
    use flux_chain::mempool::{Mempool, MempoolConfig};
    use flux_chain::store::MemStore;
    use flux_chain::tx::AppRegister;
    use std::sync::{Arc, Mutex, RwLock};

    let (genesis, keys) = Genesis::devnet_with_nodes(1, 9).unwrap();
    let params = genesis.params();
    let chain = Arc::new(RwLock::new(
        Chain::open_or_create(MemStore::new(), &genesis).unwrap(),
    ));
    let pool = Arc::new(Mutex::new(Mempool::new(MempoolConfig::default())));
    // An app on the only node.
    let spec_text = include_str!("../../devnet/sample-app.json");
    let spec =
        flux_nodes::app::AppSpec::from_json_strict(spec_text.as_bytes(), &params.apps).unwrap();
    let price = spec.price(&params.apps.prices).unwrap().total;
    let register = Transaction::sign(
        &keys[0].owner,
        params.chain_id,
        0,
        Amount::ZERO,
        TxKind::AppRegister(AppRegister {
            spec: spec_text.into(),
            price,
        }),
    )
    .unwrap();
    pool.lock()
        .unwrap()
        .insert(register, chain.read().unwrap().state())
        .unwrap();
    let config = HostConfig::new(Some(keys[0].operator.clone()));
    let id = NodeId::of(&keys[0].operator.public_key());
    let mut host: Host<MemStore, u8> = Host::new(config, chain.clone(), pool).unwrap();
    let mut net = Recorder::default();
    let mut now = genesis.timestamp_ms + 1;
    host.start(now, &mut net).unwrap();
    let target = 2 * params.work.hosting_interval + 3;
    while chain.read().unwrap().height() < target {
        let Some(pos) = net
            .timers
            .iter()
            .position(|(_, i)| matches!(i, Input::NewHeight { .. }))
        else {
            panic!("no next height at {}", chain.read().unwrap().height());
        };
        let (after, input) = net.timers.remove(pos);
        now += after;
        host.on_timer(input, now, &mut net).unwrap();
    }
    let chain = chain.read().unwrap();
    let state = chain.state();
    assert!(state.placement().used_on(&id).is_some());
    // Alone, it needs no verifier: each report went out as soon as it was due.
    let last = *state.work().hosted.get(&id).unwrap();
    assert_eq!(last, 2 * params.work.hosting_interval);
    let units: u64 = state
        .work()
        .units
        .iter()
        .filter(|((_, n), _)| *n == id)
        .map(|(_, u)| *u)
        .sum();
    assert!(units > 0);
}

#[test]
fn keep_alives_are_due_inside_the_window_and_spread() {
    let (genesis, _) = Genesis::devnet_with_nodes(8, 5).unwrap();
    let params = genesis.params();
    let state = genesis.state().unwrap();
    let n = &params.nodes;
    let mut dues = Vec::new();
    for entry in state.registry().iter() {
        let at = due_at(entry).unwrap();
        assert!(at >= n.min_confirm_interval);
        assert!(at < n.expire_after - 10, "due at {at}: too close to expiry");
        dues.push(at);
    }
    dues.sort_unstable();
    dues.dedup();
    assert!(dues.len() > 1, "all due at once: {dues:?}");
}

#[test]
fn a_challenge_is_the_seed_and_the_subject_s_and_its_answer_verifies() {
    let seed = Hash::digest(b"block");
    let a = NodeId(Hash::digest(b"a"));
    let b = NodeId(Hash::digest(b"b"));
    let ca = challenge_for(&seed, &a, 2).unwrap();
    assert_eq!(ca, challenge_for(&seed, &a, 2).unwrap());
    assert_ne!(ca.seed, challenge_for(&seed, &b, 2).unwrap().seed);
    let proof = cpu::solve(&ca).unwrap();
    let samples = Hash::digest(b"verifier");
    cpu::verify(&ca, &proof, SAMPLES, &samples).unwrap();
    // Another node's answer does not pass for this one.
    let other = cpu::solve(&challenge_for(&seed, &b, 2).unwrap()).unwrap();
    assert!(cpu::verify(&ca, &other, SAMPLES, &samples).is_err());
}
