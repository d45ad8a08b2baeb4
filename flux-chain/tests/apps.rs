//! Apps through blocks: registration into escrow, placement on confirmed nodes, streaming to
//! hosts, healing when a node leaves, cancel refunds, conservation, and a reopen from redb.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{address, bring_up_nodes, genesis, keys, next, sign};
use flux_chain::chain::Chain;
use flux_chain::error::{BlockError, TxError};
use flux_chain::store::RedbStore;
use flux_chain::transition::app::AppEvent;
use flux_chain::transition::{Event, build_block};
use flux_chain::tx::{AppCancel, AppRegister, AppUpdate, NodeExit, TxKind};
use flux_core::Amount;
use flux_nodes::app::AppSpec;
use flux_nodes::node::NodeId;

const TINYBOT: &str =
    include_str!("../../../shared/fixtures/fluxos-apps/conformant/valid/tinybot-v8.json");

#[test]
fn apps_are_placed_paid_healed_and_refunded() {
    let ks = keys(12); // 0..6 owners (0 also registers the app), 6..12 operators
    let g = genesis(&ks, 100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let mut chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    let owners = &ks[..6];
    let operators = &ks[6..];
    // Six Cumulus nodes in six /16 networks.
    bring_up_nodes(&mut chain, owners, operators);
    assert_eq!(chain.state().placement().node_count(), 6);

    // Register the app: the exact price goes into escrow, three instances are placed.
    let params = chain.state().params().clone();
    let spec = AppSpec::from_json_strict(TINYBOT.as_bytes(), &params.apps).unwrap();
    let price = spec.price(&params.apps.prices).unwrap().total;
    let wrong = sign(
        &ks[0],
        chain.state(),
        TxKind::AppRegister(AppRegister {
            spec: TINYBOT.into(),
            price: Amount::ONE_FLUX,
        }),
    );
    let time = chain.state().tip().timestamp_ms + 1_000;
    assert!(matches!(
        build_block(chain.state(), &ks[0], time, vec![], vec![wrong]),
        Err(BlockError::Tx {
            source: TxError::PriceMismatch { .. },
            ..
        })
    ));
    let register = sign(
        &ks[0],
        chain.state(),
        TxKind::AppRegister(AppRegister {
            spec: TINYBOT.into(),
            price,
        }),
    );
    next(&mut chain, vec![register]);
    let hosts: Vec<NodeId> = chain.state().placement().where_is("tinybot").to_vec();
    assert_eq!(hosts.len(), 3);
    let escrow = chain.state().apps()["tinybot"].escrow;
    assert_eq!(escrow, price, "the stream is settled lazily");

    // Hosts' owners are paid when the stream settles: at the latest at the epoch boundary.
    let host_owner = chain.state().registry().get(&hosts[0]).unwrap().owner;
    let before = chain.account(&host_owner).balance;
    let mut receipts = next(&mut chain, vec![]);
    while !chain
        .state()
        .tip()
        .height
        .is_multiple_of(params.consensus.epoch_length)
    {
        receipts = next(&mut chain, vec![]);
    }
    assert!(receipts.hosting > Amount::ZERO);
    assert!(chain.account(&host_owner).balance > before);

    // A host leaves: only its instance moves, to a node not yet hosting the app.
    let leaving = hosts[1];
    let owner_index = owners
        .iter()
        .position(|o| address(o) == chain.state().registry().get(&leaving).unwrap().owner)
        .unwrap();
    let exit = sign(
        &owners[owner_index],
        chain.state(),
        TxKind::NodeExit(NodeExit { node: leaving }),
    );
    next(&mut chain, vec![exit]);
    let after: Vec<NodeId> = chain.state().placement().where_is("tinybot").to_vec();
    assert_eq!(after.len(), 3);
    assert!(!after.contains(&leaving));
    assert!(
        after.contains(&hosts[0]) && after.contains(&hosts[2]),
        "nothing else moves"
    );

    // Reopen: the same apps, placement and state root.
    let root = chain.state().state_root();
    // The incrementally maintained root equals a root computed from scratch.
    assert_eq!(chain.state().recomputed_root().unwrap(), root);
    drop(chain);
    let mut chain = Chain::open_or_create(RedbStore::open(&path).unwrap(), &g).unwrap();
    assert_eq!(chain.state().state_root(), root);
    assert_eq!(
        chain.state().placement().where_is("tinybot"),
        after.as_slice()
    );

    // Update to four instances: pay the new price less the unused part of the old one.
    let bigger = TINYBOT.replace("\"instances\": 3", "\"instances\": 4");
    let new_spec = AppSpec::from_json_strict(bigger.as_bytes(), &params.apps).unwrap();
    let app = chain.state().apps()["tinybot"].clone();
    let height = chain.state().tip().height + 1;
    let quote = flux_nodes::app::update_price(
        app.paid,
        app.expires_at - app.registered_at,
        app.expires_at - height,
        &new_spec,
        &params.apps.prices,
    )
    .unwrap();
    // An update offering less than what is due is refused; more is a ceiling: the owner pays
    // exactly what is due (the credit shrinks every block, so a quote for the next block
    // suffices).
    if let Ok(short) = quote.due.checked_sub(Amount::from_flux(1).unwrap()) {
        let low = sign(
            &ks[0],
            chain.state(),
            TxKind::AppUpdate(AppUpdate {
                spec: bigger.clone(),
                price: short,
            }),
        );
        let time = chain.state().tip().timestamp_ms + 1_000;
        assert!(matches!(
            build_block(chain.state(), &ks[0], time, vec![], vec![low]),
            Err(BlockError::Tx {
                source: TxError::PriceMismatch { .. },
                ..
            })
        ));
    }
    let update = sign(
        &ks[0],
        chain.state(),
        TxKind::AppUpdate(AppUpdate {
            spec: bigger,
            price: quote
                .due
                .checked_add(Amount::from_flux(1_000).unwrap())
                .unwrap(),
        }),
    );
    let receipts = next(&mut chain, vec![update]);
    let paid = receipts.txs[0]
        .events
        .iter()
        .find_map(|e| match e {
            Event::App(AppEvent::Updated { due, .. }) => Some(*due),
            _ => None,
        })
        .unwrap();
    assert_eq!(paid, quote.due, "pays what is due, not the ceiling");
    let placed = chain.state().placement().where_is("tinybot").to_vec();
    assert_eq!(placed.len(), 4);
    assert!(
        after.iter().all(|n| placed.contains(n)),
        "the three instances stay where they were"
    );
    let not_owner = sign(
        &ks[1],
        chain.state(),
        TxKind::AppCancel(AppCancel {
            name: "tinybot".into(),
        }),
    );
    let time = chain.state().tip().timestamp_ms + 1_000;
    assert!(matches!(
        build_block(chain.state(), &ks[0], time, vec![], vec![not_owner]),
        Err(BlockError::Tx {
            source: TxError::NotAppOwner(_),
            ..
        })
    ));

    // Cancel: the rest of the escrow returns to the owner.
    let escrow = chain.state().apps()["tinybot"].escrow;
    let balance = chain.account(&address(&ks[0])).balance;
    let cancel = sign(
        &ks[0],
        chain.state(),
        TxKind::AppCancel(AppCancel {
            name: "tinybot".into(),
        }),
    );
    let receipts = next(&mut chain, vec![cancel]);
    assert!(chain.state().apps().is_empty());
    assert!(chain.state().placement().where_is("tinybot").is_empty());
    let refund = receipts.txs[0]
        .events
        .iter()
        .find_map(|e| match e {
            Event::App(AppEvent::Ended { refund, .. }) => Some(*refund),
            _ => None,
        })
        .unwrap();
    assert!(
        refund > Amount::ZERO && refund <= escrow,
        "the hosts are paid up to the block before the cancel"
    );
    // The owner also owns a host: the stream up to the cancel paid it too.
    let after = chain.account(&address(&ks[0])).balance;
    let refunded = balance.checked_add(refund).unwrap();
    assert!(after >= refunded);
    assert!(after.checked_sub(refunded).unwrap() <= receipts.hosting);
}
