//! The recipes of `TESTING.md`, as tests: each code block there is copied from here, so a
//! recipe that stops working fails CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use flux_chain::chain::Chain;
use flux_chain::store::{MemStore, RedbStore};
use flux_chain::testkit::arbitrary::Unstructured;
use flux_chain::testkit::harness::{Verdict, check_tx_kind, fingerprint};
use flux_chain::testkit::keys::{key, seeded_keys};
use flux_chain::testkit::proptest::prelude::*;
use flux_chain::testkit::{ChainFixture, Gen, GenesisBuilder, valid_block_on};
use flux_chain::transition::apply_block;
use flux_chain::tx::TxKind;
use flux_core::{Amount, Tier};
use flux_nodes::testkit::strategies::{AppShape, app_spec_json};

// Recipe 1: a property test over random valid blocks.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Whatever 100 valid transfers a block carries, applying it keeps every FLUX accounted
    /// for, mints no more than the subsidy and moves every sender's nonce by its count.
    #[test]
    fn recipe_valid_blocks_keep_every_flux_accounted_for(seed in any::<u64>()) {
        let keys = seeded_keys(8);
        let fx = GenesisBuilder::new()
            .accounts(&keys, Amount::from_flux(1_000).unwrap())
            .fixture()
            .unwrap();
        let block = valid_block_on(fx.state(), &keys, 100, &mut Gen::new(seed)).unwrap();
        let (diff, _receipts) = apply_block(fx.state(), &block).unwrap();
        let mut next = fx.state().clone();
        next.commit(diff);
        prop_assert_eq!(next.total_held().unwrap(), next.ledger().supply);
        prop_assert!(next.ledger().supply <= next.params().supply.max_supply);
        let sent = |k| block.txs.iter().filter(|t| t.sender == k).count() as u64;
        for k in &keys {
            let a = flux_chain::testkit::keys::address(k);
            prop_assert_eq!(next.account(&a).nonce, sent(k.public_key()));
        }
    }
}

// Recipe 2: fuzzing one transaction kind (the body of `fuzz/fuzz_targets/custom_tx_kind.rs`),
// run on stable over pseudo-random inputs.
fn custom_tx_kind(fx: &ChainFixture<MemStore>, data: &[u8]) -> Verdict {
    let mut u = Unstructured::new(data);
    check_tx_kind(fx.state(), fx.keys(), &mut u, |u| {
        Ok(TxKind::GovPropose(u.arbitrary()?))
    })
    .unwrap_or_else(|e| panic!("invariant broken: {e}"))
}

#[test]
fn recipe_fuzz_target_body_never_breaks_an_invariant() {
    let owner = key(1);
    let fx = GenesisBuilder::new()
        .accounts(
            &[owner.clone(), key(2)],
            Amount::from_flux(1_000_000).unwrap(),
        )
        .node(&owner, &key(20), Tier::Stratus)
        .fixture()
        .unwrap();
    let mut rng = Gen::new(13);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..500 {
        let data: Vec<u8> = (0..rng.below(300)).map(|_| rng.next_u64() as u8).collect();
        let verdict = custom_tx_kind(&fx, &data);
        // Same input, same answer.
        assert_eq!(
            fingerprint(&verdict),
            fingerprint(&custom_tx_kind(&fx, &data))
        );
        match verdict {
            Verdict::Accepted(_) => accepted += 1,
            Verdict::Refused(_) => refused += 1,
            Verdict::NoInput => {}
        }
    }
    assert!(
        accepted + refused > 400,
        "{accepted} accepted, {refused} refused"
    );
}

// Recipe 4: crash recovery against redb.
#[test]
fn recipe_a_reopened_redb_chain_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let keys = seeded_keys(6);
    let builder = GenesisBuilder::new()
        .accounts(&keys, Amount::from_flux(1_000).unwrap())
        .app(&keys[0], app_spec_json(&AppShape::small("recipeapp")))
        .node(&keys[1], &key(31), Tier::Cumulus)
        .node(&keys[2], &key(32), Tier::Cumulus)
        .node(&keys[3], &key(33), Tier::Cumulus);
    let genesis = builder.build().unwrap();

    // Write 20 blocks, then stop without any shutdown (as a crash would: redb commits each
    // block in one transaction, so what is on disk is the last committed block).
    let mut disk = builder
        .clone()
        .fixture_on(RedbStore::open(&path).unwrap())
        .unwrap();
    disk.advance(20, 7).unwrap();
    let (height, root) = (disk.height(), disk.state().state_root());
    drop(disk);

    // Reopen: same height and state root; it goes on from there.
    let chain = Chain::open(RedbStore::open(&path).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!((chain.height(), chain.state().state_root()), (height, root));
    assert_eq!(chain.genesis(), &genesis);
    let mut reopened = ChainFixture::reopen(chain, keys.clone(), builder.node_keys()).unwrap();
    reopened.advance(5, 8).unwrap();

    // The same seeds in memory give the same chain: the disk changed nothing.
    let mut memory = builder.fixture().unwrap();
    memory.advance(20, 7).unwrap();
    memory.advance(5, 8).unwrap();
    assert_eq!(memory.state().state_root(), reopened.state().state_root());
    assert_eq!(
        memory.state().apps()["recipeapp"],
        reopened.state().apps()["recipeapp"]
    );
}

// Recipe 5: reproducing a failing seed. A property over `seed in any::<u64>()` reports the
// minimal failing seed ("minimal failing input: seed = ..."), and proptest stores it in
// `tests/<name>.proptest-regressions` to run it first next time. The seed alone rebuilds the
// value, so a regression test is one line.
#[test]
fn recipe_a_seed_names_its_block() {
    let keys = seeded_keys(4);
    let fx = GenesisBuilder::new()
        .accounts(&keys, Amount::from_flux(100).unwrap())
        .fixture()
        .unwrap();
    let seed = 1_234_567; // paste the seed proptest printed
    let a = valid_block_on(fx.state(), &keys, 50, &mut Gen::new(seed)).unwrap();
    let b = valid_block_on(fx.state(), &keys, 50, &mut Gen::new(seed)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.txs.len(), 50);
}
