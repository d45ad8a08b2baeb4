//! Harnesses for flux-chain: decoding transactions and blocks, and the state transition on
//! structured random blocks.

use std::sync::LazyLock;

use flux_chain::block::Block;
use flux_chain::error::BlockError;
use flux_chain::state::State;
use flux_chain::testkit::GenesisBuilder;
use flux_chain::testkit::keys::key;
use flux_chain::testkit::ops::check_conservation;
use flux_chain::transition::{Payee, apply_block, build_block};
use flux_chain::tx::{Transaction, Transfer, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{Address, Amount, ChainId};
use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};

use crate::round_trip;

/// Transactions: decode, and re-encode to the same bytes.
pub fn decode_tx(data: &[u8]) {
    round_trip::<Transaction>(data);
}

/// Blocks: decode, re-encode to the same bytes, and ids are deterministic.
pub fn decode_block(data: &[u8]) {
    round_trip::<Block>(data);
    if let Ok(block) = flux_core::codec::decode::<Block>(data) {
        assert_eq!(block.id().ok(), block.id().ok());
    }
}

struct World {
    keys: Vec<SecretKey>,
    state: State,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let keys: Vec<SecretKey> = (1..=4u8).map(key).collect();
    let genesis = GenesisBuilder::new()
        .timestamp_ms(1_000)
        .accounts(&keys, Amount::from_flux(1_000).expect("fits"))
        .build()
        .expect("valid genesis");
    let state = genesis.state().expect("valid genesis");
    World { keys, state }
});

fn random_tx(u: &mut Unstructured<'_>, world: &World) -> ArbResult<Transaction> {
    let key = &world.keys[u.choose_index(world.keys.len())?];
    let to = if u.ratio(1, 4)? {
        Address::from_bytes(u.arbitrary()?)
    } else {
        Address::from_public_key(&world.keys[u.choose_index(world.keys.len())?].public_key())
    };
    let amount = if u.ratio(1, 8)? {
        u.arbitrary()?
    } else {
        u.int_in_range(0..=2_000_000_000_000)?
    };
    let fee = if u.ratio(1, 8)? {
        u.arbitrary()?
    } else {
        u.int_in_range(0..=10_000)?
    };
    let nonce = u.int_in_range(0..=3)?;
    let kind = TxKind::Transfer(Transfer {
        to,
        amount: Amount::from_base_units(amount),
    });
    let mut tx = Transaction::sign(
        key,
        ChainId::DEVNET,
        nonce,
        Amount::from_base_units(fee),
        kind,
    )
    .expect("encodes");
    if u.ratio(1, 16)? {
        tx.nonce ^= 1; // breaks the signature
    }
    Ok(tx)
}

/// A random block on the fixed world: building and applying agree, a built block always
/// applies, value is conserved, and a mutated block is rejected or applied without panicking.
pub fn apply_random_block(data: &[u8]) {
    let world = &*WORLD;
    let mut u = Unstructured::new(data);
    let Ok(n) = u.int_in_range(0..=12u8) else {
        return;
    };
    let mut txs = Vec::new();
    for _ in 0..n {
        let Ok(tx) = random_tx(&mut u, world) else {
            return;
        };
        txs.push(tx);
    }
    let proposer = &world.keys[0];
    let state = &world.state;
    match build_block(state, proposer, 2_000, vec![], txs.clone()) {
        Ok(block) => {
            let (diff, receipts) = apply_block(state, &block).expect("a built block applies");
            let minted: u64 = receipts
                .rewards
                .iter()
                .filter(|r| r.payee != Payee::NotMinted)
                .map(|r| r.amount.base_units())
                .sum();
            let mut after = state.clone();
            after.commit(diff);
            assert_eq!(
                after.ledger().supply.base_units(),
                state.ledger().supply.base_units() + minted,
                "supply moved by other than the minted rewards"
            );
            check_conservation(&after).expect("value conserved");
            // Mutate one header byte: never a panic.
            if let Ok(pos) = u.arbitrary::<u8>() {
                let mut bytes = flux_core::codec::encode(&block).expect("encodes");
                let i = usize::from(pos) % bytes.len();
                bytes[i] ^= 0x55;
                if let Ok(mutated) = flux_core::codec::decode::<Block>(&bytes) {
                    let _ = apply_block(state, &mutated);
                }
            }
        }
        Err(BlockError::Tx { index, .. }) => assert!(index < txs.len()),
        Err(other) => panic!("unexpected block error: {other}"),
    }
}
