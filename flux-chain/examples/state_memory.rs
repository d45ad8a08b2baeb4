//! Builds a state of 1,000,000 accounts (the budget: under 1 GB in memory) and applies one
//! block to it. Run under `/usr/bin/time -v` for the peak resident set:
//!
//! `cargo build --release -p flux-chain --example state_memory &&
//!  /usr/bin/time -v target/release/examples/state_memory 1000000`

use std::collections::BTreeMap;
use std::sync::Arc;

use flux_chain::state::{Account, Ledger, State, Tip};
use flux_chain::transition::{apply_block, build_block};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount, ChainParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let mut accounts = BTreeMap::new();
    for i in 0..n {
        let mut a = [0u8; 20];
        a[..8].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
        accounts.insert(
            Address::from_bytes(a),
            Account {
                balance: Amount::ONE_FLUX,
                nonce: i % 7,
            },
        );
    }
    let supply = Amount::ONE_FLUX.checked_mul(n)?;
    let ledger = Ledger {
        supply,
        work_pool: Amount::ZERO,
    };
    let tip = Tip {
        height: 0,
        block_id: Default::default(),
        timestamp_ms: 0,
        seed: Default::default(),
    };
    let mut state = State::from_parts(
        Arc::new(ChainParams::devnet()),
        accounts,
        Default::default(),
        Default::default(),
        flux_nodes::placement::Placement::new(Default::default()),
        Default::default(),
        Default::default(),
        ledger,
        tip,
        Default::default(),
    )?;
    let proposer = SecretKey::from_bytes(Scheme::Ed25519, &[1; 32])?;
    let block = build_block(&state, &proposer, 1_000, vec![], vec![])?;
    let (diff, _) = apply_block(&state, &block)?;
    state.commit(diff);
    println!(
        "{} accounts, state root {}",
        state.accounts().len(),
        state.state_root()
    );
    Ok(())
}
