#![no_main]
//! One transaction kind against the real state transition (the recipe of TESTING.md): the
//! payload is arbitrary, the transaction is signed by a funded key with its next nonce, so the
//! input reaches the kind's own rules. Never panics, never breaks conservation or the cap.

use std::sync::LazyLock;

use flux_chain::store::MemStore;
use flux_chain::testkit::arbitrary::Unstructured;
use flux_chain::testkit::harness::check_tx_kind;
use flux_chain::testkit::keys::key;
use flux_chain::testkit::{ChainFixture, GenesisBuilder};
use flux_chain::tx::TxKind;
use flux_core::{Amount, Tier};

static FIXTURE: LazyLock<ChainFixture<MemStore>> = LazyLock::new(|| {
    GenesisBuilder::new()
        .accounts(
            &[key(1), key(2)],
            Amount::from_flux(1_000_000).expect("amount"),
        )
        .node(&key(1), &key(20), Tier::Stratus)
        .fixture()
        .expect("fixture")
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let fx = &*FIXTURE;
    let mut u = Unstructured::new(data);
    // Your kind here: the payload is drawn field by field from the fuzz input.
    let verdict = check_tx_kind(fx.state(), fx.keys(), &mut u, |u| {
        Ok(TxKind::GovPropose(u.arbitrary()?))
    });
    if let Err(e) = verdict {
        panic!("invariant broken: {e}");
    }
});
