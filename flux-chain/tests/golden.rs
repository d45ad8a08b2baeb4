//! Golden vectors: the wire format, pinned.
//!
//! Issue 20 restructures the state, the transition and the host; it must not change a single
//! byte on the wire or in a root. This test pins the canonical encoding ([`flux_core::codec`])
//! and the ids of fixed, hand-built values: a transaction of every [`TxKind`] (both kinds of
//! [`Evidence`], every governance [`Action`], and one transfer signed with secp256k1), a header
//! and a block built on the devnet example genesis by the chain's own builder, the trie key of
//! every [`StateKey`] variant, and the id and state root of the devnet genesis files. A switch
//! away from bincode must keep every one of these bytes: then it stays a change of
//! `flux-core/src/codec.rs` alone.
//!
//! Everything is deterministic: keys are fixed bytes, Ed25519 signs per RFC 8032, secp256k1
//! per RFC 6979 (k256), the VRF seed proof per RFC 9381; no RNG, no clock.
//!
//! The expected values live in `tests/golden/vectors.txt`, one `name hex` per line. Any
//! difference fails, naming each vector that changed with its expected and actual hex. For a
//! deliberate change of the wire format, print the current vectors and review the diff of the
//! data file:
//!
//! ```text
//! FLUX_GOLDEN_PRINT=1 cargo test -p flux-chain --test golden -- --nocapture \
//!     | sed -n '/^----- BEGIN/,/^----- END/{//!p}' > flux-chain/tests/golden/vectors.txt
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use flux_chain::block::{Block, Header, tx_root};
use flux_chain::consensus::Evidence;
use flux_chain::gov::Action;
use flux_chain::state::StateKey;
use flux_chain::tx::{Transaction, TxId, TxKind};
use flux_core::crypto::Domain;
use flux_core::error::CodecError;
use flux_core::{codec, hex};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[path = "golden/values.rs"]
mod values;

use values::{CHAIN, block, geneses, state_keys, transactions};

/// The expected vectors.
const VECTORS: &str = include_str!("golden/vectors.txt");

/// How many variants [`TxKind`] has (it is `#[non_exhaustive]`, so a match outside its crate
/// cannot be exhaustive: [`tx_kinds_are_all_covered`] checks this count on the wire instead).
const TX_KINDS: u32 = 18;
/// How many variants [`StateKey`] has.
const STATE_KEYS: u32 = 19;

/// The vector (or vector name prefix) that covers each kind. `TxKind` is `#[non_exhaustive]`,
/// so the wildcard arm is required here; [`tx_kinds_are_all_covered`] fails for a new kind.
fn covered_by(kind: &TxKind) -> &'static str {
    match kind {
        TxKind::Transfer(_) => "transfer",
        TxKind::NodeStart(_) => "node_start",
        TxKind::NodeConfirm(_) => "node_confirm",
        TxKind::NodeUpdateEndpoint(_) => "node_update_endpoint",
        TxKind::NodeExit(_) => "node_exit",
        TxKind::AppRegister(_) => "app_register",
        TxKind::AppUpdate(_) => "app_update",
        TxKind::AppCancel(_) => "app_cancel",
        TxKind::GovPropose(_) => "gov_propose",
        TxKind::GovVote(_) => "gov_vote",
        TxKind::Evidence(Evidence::Votes { .. }) => "evidence_votes",
        TxKind::Evidence(Evidence::Proposals { .. }) => "evidence_proposals",
        TxKind::JobSubmit(_) => "job_submit",
        TxKind::WorkCommit(_) => "work_commit",
        TxKind::WorkReveal(_) => "work_reveal",
        TxKind::HostingReport(_) => "hosting_report",
        TxKind::SwapOut(_) => "swap_out",
        TxKind::SwapIn(_) => "swap_in",
        TxKind::SwapKeyRegister(_) => "swap_key_register",
        other => panic!("no golden vector covers {other:?}: add one"),
    }
}

/// A name for every state area's key, by variant: a new variant fails to compile here.
fn state_key_name(key: &StateKey) -> &'static str {
    match key {
        StateKey::Ledger => "ledger",
        StateKey::Account(_) => "account",
        StateKey::Node(_) => "node",
        StateKey::App(_) => "app",
        StateKey::Placement(_) => "placement",
        StateKey::Proposal(_) => "proposal",
        StateKey::GovVote(..) => "gov_vote",
        StateKey::ParamChange(..) => "param_change",
        StateKey::Upgrade(_) => "upgrade",
        StateKey::Job(_) => "job",
        StateKey::WorkUnits(..) => "work_units",
        StateKey::Strikes(_) => "strikes",
        StateKey::Hosted(_) => "hosted",
        StateKey::Book(_) => "book",
        StateKey::SwapOut(_) => "swap_out",
        StateKey::BurnRef(..) => "burn_ref",
        StateKey::SwapKey(_) => "swap_key",
        StateKey::Attesters => "attesters",
        StateKey::Seed => "seed",
    }
}

/// `(name, bytes)` in the data file's order.
#[derive(Default)]
struct Vectors(Vec<(String, Vec<u8>)>);

impl Vectors {
    fn add(&mut self, name: impl Into<String>, bytes: impl AsRef<[u8]>) {
        self.0.push((name.into(), bytes.as_ref().to_vec()));
    }

    fn encoded<T: Serialize>(&mut self, name: &str, value: &T) {
        self.add(name, codec::encode(value).unwrap());
    }
}

/// The vectors of the values as the code encodes them now.
fn actual() -> Vectors {
    let mut v = Vectors::default();
    for (name, tx) in transactions() {
        v.encoded(&format!("tx/{name}"), &tx);
        v.add(format!("tx/{name}/id"), tx.id().unwrap().0);
    }
    let block = block();
    v.encoded("header", &block.header);
    v.add("header/id", block.header.id().unwrap().0);
    v.encoded("block", &block);
    v.add("block/id", block.id().unwrap().0);
    let ids: Vec<TxId> = block.txs.iter().map(|tx| tx.id().unwrap()).collect();
    v.add("block/tx_root", tx_root(&ids));
    v.add("block/state_root", block.header.state_root);
    for key in state_keys() {
        let name = state_key_name(&key);
        v.encoded(&format!("state_key/{name}"), &key);
        v.add(format!("state_key/{name}/trie"), key.trie_key().unwrap());
    }
    for (name, genesis) in geneses() {
        let state = genesis.state().unwrap();
        assert_eq!(state.recomputed_root().unwrap(), state.state_root());
        v.encoded(&format!("genesis/{name}"), &genesis);
        v.add(format!("genesis/{name}/id"), genesis.id().unwrap().0);
        v.add(format!("genesis/{name}/state_root"), state.state_root());
    }
    v
}

/// The data file: `name hex` lines; `#` starts a comment line.
fn expected() -> BTreeMap<&'static str, Vec<u8>> {
    let mut out = BTreeMap::new();
    for (n, line) in VECTORS.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, text) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("vectors.txt:{}: expected `name hex`", n + 1));
        let bytes = hex::decode(text.trim())
            .unwrap_or_else(|e| panic!("vectors.txt:{}: bad hex: {e}", n + 1));
        assert!(
            out.insert(name, bytes).is_none(),
            "vectors.txt:{}: {name} twice",
            n + 1
        );
    }
    out
}

fn print(vectors: &Vectors) {
    println!("----- BEGIN flux-chain/tests/golden/vectors.txt -----");
    println!("# Golden vectors of flux-chain/tests/golden.rs: `name hex`, canonical bytes or ids.");
    println!("# Regenerate (after a reviewed, deliberate wire change) as that file's docs say.");
    for (name, bytes) in &vectors.0 {
        println!("{name} {}", hex::encode(bytes));
    }
    println!("----- END flux-chain/tests/golden/vectors.txt -----");
}

/// `name`'s golden bytes decode to `value` and encode back to the same bytes.
fn round_trip<T>(golden: &BTreeMap<&str, Vec<u8>>, name: &str, value: &T) -> Vec<u8>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let bytes = golden
        .get(name)
        .unwrap_or_else(|| panic!("{name}: not in vectors.txt"))
        .clone();
    let decoded: T = codec::decode(&bytes).unwrap_or_else(|e| panic!("{name}: decode: {e}"));
    assert_eq!(&decoded, value, "{name}: decodes to another value");
    assert_eq!(
        codec::encode(&decoded).unwrap(),
        bytes,
        "{name}: re-encodes"
    );
    bytes
}

#[test]
fn golden_vectors() {
    let actual = actual();
    if std::env::var_os("FLUX_GOLDEN_PRINT").is_some() {
        print(&actual);
        return;
    }
    let golden = expected();
    let mut failures = Vec::new();
    for (name, bytes) in &actual.0 {
        match golden.get(name.as_str()) {
            None => failures.push(format!("{name}: not in vectors.txt")),
            Some(want) if want != bytes => failures.push(format!(
                "{name} changed:\n  expected {}\n  actual   {}",
                hex::encode(want),
                hex::encode(bytes)
            )),
            Some(_) => {}
        }
    }
    let names: BTreeSet<&str> = actual.0.iter().map(|(n, _)| n.as_str()).collect();
    for name in golden.keys().filter(|n| !names.contains(*n)) {
        failures.push(format!("{name}: in vectors.txt but no longer produced"));
    }
    assert!(
        failures.is_empty(),
        "{} golden vector(s) differ (the wire format changed; if deliberately, see the docs of \
         flux-chain/tests/golden.rs):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every golden byte string decodes to its value and encodes back to itself; ids are the
/// tagged hashes of the golden bytes; signatures verify over the golden payloads.
#[test]
fn golden_bytes_round_trip() {
    let golden = expected();
    for (name, tx) in transactions() {
        let bytes = round_trip(&golden, &format!("tx/{name}"), &tx);
        let id = Transaction::id_of_bytes(&bytes);
        assert_eq!(id.0.as_bytes(), &golden[&*format!("tx/{name}/id")][..]);
        let payload = tx.payload_of_bytes(&bytes).unwrap();
        tx.sender
            .verify(Domain::TRANSACTION, CHAIN, payload, &tx.signature)
            .unwrap_or_else(|e| panic!("tx/{name}: signature: {e}"));
    }
    let block = block();
    round_trip(&golden, "header", &block.header);
    round_trip(&golden, "block", &block);
    let header: Header = codec::decode(&golden["header"]).unwrap();
    assert_eq!(header.id().unwrap().0.as_bytes(), &golden["block/id"][..]);
    let block: Block = codec::decode(&golden["block"]).unwrap();
    let ids: Vec<TxId> = block.txs.iter().map(|tx| tx.id().unwrap()).collect();
    assert_eq!(tx_root(&ids).as_bytes(), &golden["block/tx_root"][..]);
    assert_eq!(
        block.header.tx_root.as_bytes(),
        &golden["block/tx_root"][..]
    );
    for key in state_keys() {
        round_trip(
            &golden,
            &format!("state_key/{}", state_key_name(&key)),
            &key,
        );
    }
    for (name, genesis) in geneses() {
        let name = format!("genesis/{name}");
        if genesis.nodes.is_empty() || genesis.params.is_empty() {
            // A genesis travels as JSON; its canonical bytes are only hashed into its id, and
            // do not decode without nodes or params (serde skips an empty `nodes` or `params`
            // when encoding, so a genesis without them keeps the id it had before they
            // existed).
            assert_eq!(codec::encode(&genesis).unwrap(), golden[&*name], "{name}");
        } else {
            round_trip(&golden, &name, &genesis);
        }
    }
}

/// `tag` is past the last variant of `T`: the bare tag fails to decode as out of range (a
/// real variant's tag either decodes or runs out of input for its fields).
fn past_last_variant<T: DeserializeOwned>(tag: u32) -> bool {
    matches!(
        codec::decode::<T>(&tag.to_le_bytes()),
        Err(CodecError::InvalidValue(_))
    )
}

/// Each kind of transaction has a vector, and there is no other kind: a kind added without a
/// vector fails here (`TxKind` is `#[non_exhaustive]`, so no match outside flux-chain can
/// refuse to compile for it).
#[test]
fn tx_kinds_are_all_covered() {
    let mut tags = BTreeSet::new();
    for (name, tx) in transactions() {
        assert!(name.starts_with(covered_by(&tx.kind)), "{name}");
        let bytes = codec::encode(&tx.kind).unwrap();
        tags.insert(u32::from_le_bytes(bytes[..4].try_into().unwrap()));
    }
    assert_eq!(tags, (0..TX_KINDS).collect::<BTreeSet<_>>());
    assert!(!past_last_variant::<TxKind>(TX_KINDS - 1));
    assert!(
        past_last_variant::<TxKind>(TX_KINDS),
        "TxKind has a kind without a golden vector"
    );
    let names: BTreeSet<_> = transactions().iter().map(|(n, _)| *n).collect();
    assert!(names.contains("evidence_votes") && names.contains("evidence_proposals"));
    assert!(past_last_variant::<Evidence>(2) && past_last_variant::<Action>(3));
    let keys: BTreeSet<_> = state_keys().iter().map(state_key_name).collect();
    assert_eq!(keys.len() as u32, STATE_KEYS, "one key per variant");
    assert!(past_last_variant::<StateKey>(STATE_KEYS));
}
