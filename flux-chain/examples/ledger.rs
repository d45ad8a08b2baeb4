//! An integrator's tour of flux-chain: create a chain on disk from a genesis, pay, build and
//! apply blocks through the mempool, query balances, blocks and transactions, prove an account
//! against a header as a light client would, and reopen the chain.
//!
//! `cargo run -p flux-chain --example ledger`

use flux_chain::chain::Chain;
use flux_chain::genesis::Genesis;
use flux_chain::mempool::{Mempool, MempoolConfig};
use flux_chain::store::RedbStore;
use flux_chain::transition::{BuildMode, BuiltBlock, propose_block};
use flux_chain::tx::{Transaction, Transfer, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("flux-ledger-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("chain.redb");

    // The example genesis funds the keys [1; 32] .. [4; 32] with 1,000,000 FLUX each.
    let genesis = Genesis::devnet_example();
    let mut chain = Chain::open_or_create(RedbStore::open(&path)?, &genesis)?;
    let alice = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
    let validator = SecretKey::from_bytes(Scheme::Ed25519, &[2; 32])?;
    let bob = Address::from_bytes([0xb0; 20]);
    let network = genesis.network;

    let mut pool = Mempool::new(MempoolConfig::default());
    for (nonce, amount) in [(0, "10"), (1, "2.5"), (2, "0.125")] {
        let pay = TxKind::Transfer(Transfer {
            to: bob,
            amount: amount.parse()?,
        });
        let fee = Amount::from_base_units(1_000);
        let tx = Transaction::sign(&alice, chain.state().params().chain_id, nonce, fee, pay)?;
        let id = pool.insert(tx, chain.state())?;
        println!("submitted {id}");
    }

    let mut time = chain.state().tip().timestamp_ms;
    for _ in 0..2 {
        time += chain.state().params().block_time_ms;
        let txs = pool.select(chain.state(), 1_000);
        // Transactions that a block refuses (e.g. a bad app spec) are left out, not fatal.
        let BuiltBlock { block, dropped, .. } = propose_block(
            chain.state(),
            &validator,
            time,
            vec![],
            txs,
            BuildMode::CHECKED,
        )?;
        for (id, why) in dropped {
            println!("left out {id}: {why}");
        }
        let receipts = chain.apply(&block)?;
        pool.prune(chain.state());
        println!(
            "block {} {}: {} txs, fees {} FLUX, state root {}",
            block.header.height,
            block.id()?,
            receipts.txs.len(),
            receipts.fees,
            block.header.state_root
        );
    }

    println!("bob has {} FLUX", chain.account(&bob).balance);
    println!("bob is {}", bob.to_bech32(network));
    println!("supply {} FLUX", chain.state().ledger().supply);

    // A light client holds only the header and checks the proof against its state root.
    let header = chain.header(chain.height())?.ok_or("missing header")?;
    let proof = chain.prove_account(&bob)?;
    proof.verify(&header)?;
    println!(
        "proof of bob's balance verified against block {}",
        header.height
    );

    drop(chain);
    let reopened = Chain::open_or_create(RedbStore::open(&path)?, &genesis)?;
    println!(
        "reopened at height {} with the same root: {}",
        reopened.height(),
        reopened.state().state_root() == header.state_root
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
