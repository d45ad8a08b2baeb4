//! Storage: a chain reopened from redb equals the same chain rebuilt from genesis; versions and
//! foreign chains are refused; SIGKILL at any moment leaves the last committed block intact.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{address, genesis, keys};
use flux_chain::block::Block;
use flux_chain::chain::Chain;
use flux_chain::error::{ChainError, StoreError};
use flux_chain::genesis::Genesis;
use flux_chain::state::State;
use flux_chain::store::{MemStore, RedbStore, Store};
use flux_chain::testkit::wait::DEADLINE;
use flux_chain::testkit::{Gen, valid_block_on};
use flux_chain::transition::build_block;
use flux_core::crypto::SecretKey;

/// The deterministic block after `state`: one valid transfer per key, drawn from the height
/// (the crash child and the parent compute the same blocks).
fn next_block(state: &State, ks: &[SecretKey]) -> Block {
    valid_block_on(state, ks, ks.len(), &mut Gen::new(state.tip().height)).unwrap()
}

fn fixture() -> (Vec<SecretKey>, Genesis) {
    let ks = keys(8);
    let g = genesis(&ks, 1_000);
    (ks, g)
}

#[test]
fn reopened_state_equals_rebuilt_state() {
    let (ks, g) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let mut disk = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    let mut memory = Chain::open_or_create(MemStore::new(), &g).unwrap();
    let mut blocks = Vec::new();
    for _ in 0..25 {
        let block = next_block(disk.state(), &ks);
        disk.apply(&block).unwrap();
        memory.apply(&block).unwrap();
        blocks.push(block);
    }
    let root = disk.state().state_root();
    assert_eq!(memory.state().state_root(), root);
    drop(disk);

    let reopened = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    assert_eq!(reopened.height(), 25);
    assert_eq!(reopened.state().state_root(), root);
    assert_eq!(reopened.state().accounts(), memory.state().accounts());
    assert_eq!(reopened.state().ledger(), memory.state().ledger());
    // Rebuilt from genesis by replaying the stored blocks.
    let mut replay = g.state().unwrap();
    for h in 1..=25 {
        let b = reopened.block_by_height(h).unwrap().unwrap();
        assert_eq!(b, blocks[h as usize - 1]);
        let (diff, _) = flux_chain::transition::apply_block(&replay, &b).unwrap();
        replay.commit(diff);
    }
    assert_eq!(replay.state_root(), root);
    // Indexes.
    let tx = &blocks[10].txs[3];
    let (found, at) = reopened.tx(&tx.id().unwrap()).unwrap().unwrap();
    assert_eq!((&found, at.height, at.index), (tx, 11, 3));
    let id = blocks[4].id().unwrap();
    assert_eq!(reopened.block_by_id(&id).unwrap().unwrap(), blocks[4]);
    assert_eq!(reopened.receipts(5).unwrap().unwrap().txs.len(), ks.len());
    assert!(reopened.block_by_height(26).unwrap().is_none());
    // Proofs against stored headers.
    let header = reopened.header(25).unwrap().unwrap();
    reopened
        .prove_account(&address(&ks[2]))
        .unwrap()
        .verify(&header)
        .unwrap();
}

#[test]
fn unknown_schema_and_foreign_chain_are_refused() {
    let (_, g) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    drop(Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap());

    let mut other = g.clone();
    other.timestamp_ms += 1;
    let err = Chain::open_or_create(RedbStore::open(&path).unwrap(), &other).unwrap_err();
    assert!(
        matches!(err, ChainError::Store(StoreError::OtherChain { .. })),
        "{err}"
    );

    RedbStore::open(&path)
        .unwrap()
        .force_schema_version(99)
        .unwrap();
    let err = RedbStore::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SchemaVersion {
                found: 99,
                supported: flux_chain::store::SCHEMA_VERSION
            }
        ),
        "{err}"
    );
}

#[test]
fn a_rejected_block_is_not_stored() {
    let (ks, g) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mut chain =
        Chain::open_or_create(RedbStore::open(dir.path().join("c.redb")).unwrap(), &g).unwrap();
    let mut block = next_block(chain.state(), &ks);
    block.header.state_root = Default::default();
    assert!(chain.apply(&block).is_err());
    assert_eq!(chain.height(), 0);
    assert!(chain.store().block(1).unwrap().is_none());
}

const CHILD_ENV: &str = "FLUX_CRASH_CHILD_DB";

/// Run by the crash test in a child process: applies blocks to the database until killed.
#[test]
#[ignore = "run as a child of sigkill_at_random_moments_leaves_a_consistent_store"]
fn crash_child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (ks, g) = fixture();
    println!("{STARTED}");
    let mut chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    loop {
        let block = next_block(chain.state(), &ks);
        chain.apply(&block).unwrap();
        if chain.height() == 1 {
            println!("{COMMITTED}");
        }
    }
}

/// What the crash child prints (on lines of their own) once it is about to open the store,
/// and once it committed its first block.
const STARTED: &str = "crash-child: started";
const COMMITTED: &str = "crash-child: committed";

/// Waits until the child says `line` on standard output (read by a thread into `lines`).
fn wait_for_line(lines: &std::sync::mpsc::Receiver<String>, line: &str) {
    loop {
        match lines.recv_timeout(DEADLINE) {
            Ok(l) if l == line => return,
            Ok(_) => {}
            Err(e) => panic!("the crash child never said {line:?}: {e}"),
        }
    }
}

/// Checks the store, advancing `replay` (the deterministic chain) to its height.
fn check_consistent(path: &Path, replay: &mut State, ks: &[SecretKey]) -> u64 {
    let store = RedbStore::open(path).unwrap();
    // `load` rebuilds the state and checks it against the tip header's state root.
    let (_, state) = store.load().unwrap().unwrap();
    let height = state.tip().height;
    // And it is exactly the state the deterministic chain has at that height.
    while replay.tip().height < height {
        let b = next_block(replay, ks);
        let (diff, _) = flux_chain::transition::apply_block(replay, &b).unwrap();
        replay.commit(diff);
    }
    assert_eq!(replay.state_root(), state.state_root());
    assert_eq!(replay.tip(), state.tip());
    assert!(store.block(height + 1).unwrap().is_none());
    height
}

#[test]
fn sigkill_at_random_moments_leaves_a_consistent_store() {
    let (ks, g) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let exe = std::env::current_exe().unwrap();
    let mut last = 0;
    let mut replay = g.state().unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for run in 0..24 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wait = 30 + seed % 250;
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child_writer", "--ignored", "--nocapture"])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufRead::lines(stdout).map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // Timed from the child's start, however long a loaded machine takes to get there; the
        // first run also waits for a commit, so the chain surely grows.
        wait_for_line(&lines, STARTED);
        if run == 0 {
            wait_for_line(&lines, COMMITTED);
        }
        // The random moment of the kill (what the test is about, not a wait): kept.
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let height = check_consistent(&path, &mut replay, &ks);
        assert!(
            height >= last,
            "run {run}: height went back from {last} to {height}"
        );
        last = height;
    }
    assert!(last > 0, "the child never committed a block");
    eprintln!("crash test: 24 kills, chain reached height {last}");
}

/// Consensus data survives a reopen: certificates, the voted height, and committees, which
/// are drawn again at each epoch's last block.
#[test]
fn certificates_committees_and_voted_height_persist() {
    use flux_chain::consensus::CommitCertificate;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let (genesis, validators) = Genesis::devnet_with_nodes(4, 3).unwrap();
    let proposer = &validators[0].operator;
    let mut chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &genesis).unwrap();
    let first = chain.committee(1).unwrap();
    assert_eq!(first.len(), 4);
    let length = chain.state().params().consensus.epoch_length;
    for h in 1..=length + 1 {
        let state = chain.state();
        let block = build_block(
            state,
            proposer,
            state.tip().timestamp_ms + 1_000,
            vec![],
            vec![],
        )
        .unwrap();
        let cert = CommitCertificate {
            height: h,
            round: 0,
            value: block.id().unwrap(),
            precommits: vec![],
        };
        // A certificate of another block is refused and changes nothing.
        let mut wrong = cert.clone();
        wrong.height += 1;
        assert!(chain.apply_decided(&block, &wrong).is_err());
        assert_eq!(chain.height(), h - 1);
        chain.apply_decided(&block, &cert).unwrap();
    }
    let first_block = chain.block_by_height(1).unwrap().unwrap().id().unwrap();
    assert_eq!(chain.committee(length + 1).unwrap().len(), 4);
    let mut store = RedbStore::open(dir.path().join("other.redb")).unwrap();
    assert_eq!(store.resume_point().unwrap(), None);
    let point = flux_chain::consensus::ResumePoint {
        height: 9,
        round: 2,
        locked: Some((1, first_block)),
        valid: None,
    };
    store.put_resume_point(&point).unwrap();
    drop(store);
    let store = RedbStore::open(dir.path().join("other.redb")).unwrap();
    assert_eq!(store.resume_point().unwrap(), Some(point));
    drop(chain);
    let chain = Chain::open(RedbStore::open(&path).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(chain.certificate(3).unwrap().unwrap().height, 3);
    assert_eq!(chain.certificate(length + 5).unwrap(), None);
    assert_eq!(chain.committee(2).unwrap(), first);
    assert_eq!(chain.committee(length + 1).unwrap().len(), 4);
}
