//! Signing and block steps shared by fixtures and tests: the next nonce, a transfer, a confirm
//! attested by the selected verifiers, the next block with a conservation check, and bringing
//! nodes up.

use flux_core::crypto::SecretKey;
use flux_core::testkit::keys::address;
use flux_core::{Address, Amount, ChainId, Tier};
use flux_nodes::attestation::{BenchmarkEvidence, attest_all};
use flux_nodes::node::NodeId;

use super::error::FixtureError;
use crate::chain::Chain;
use crate::state::State;
use crate::store::Store;
use crate::transition::{Receipts, build_block, next_block_time};
use crate::tx::{NodeConfirm, NodeStart, Transaction, Transfer, TxKind};

/// A signed transfer of `amount` base units from `key` to `to` with `nonce` and `fee` (base
/// units).
pub fn transfer(
    key: &SecretKey,
    chain_id: ChainId,
    nonce: u64,
    fee: u64,
    to: Address,
    amount: u64,
) -> Result<Transaction, FixtureError> {
    let kind = TxKind::Transfer(Transfer {
        to,
        amount: Amount::from_base_units(amount),
    });
    Ok(Transaction::sign(
        key,
        chain_id,
        nonce,
        Amount::from_base_units(fee),
        kind,
    )?)
}

/// `kind` signed by `key` with its next nonce on `state` and no fee.
pub fn sign_next(
    key: &SecretKey,
    state: &State,
    kind: TxKind,
) -> Result<Transaction, FixtureError> {
    let nonce = state.account(&address(key)).nonce;
    Ok(Transaction::sign(
        key,
        state.params().chain_id,
        nonce,
        Amount::ZERO,
        kind,
    )?)
}

/// A confirm of `operator`'s node at the tier's minimum hardware, attested by every selected
/// verifier among `operators` (the verifiers are drawn from the tip's block hash).
pub fn confirm(
    operator: &SecretKey,
    operators: &[SecretKey],
    state: &State,
) -> Result<Transaction, FixtureError> {
    let p = state.params();
    let id = NodeId::of(&operator.public_key());
    let index = operators
        .iter()
        .position(|k| k.public_key() == operator.public_key())
        .unwrap_or(usize::MAX);
    let tier = state
        .registry()
        .get(&id)
        .ok_or(FixtureError::UnknownNode(index))?
        .tier;
    let seed_height = state.tip().height;
    let seed = state
        .recent_block(seed_height)
        .ok_or(FixtureError::NoRecentBlock(seed_height))?
        .0;
    let evidence = BenchmarkEvidence {
        seed_height,
        hardware: tier.minimum(p),
        cpu_score: 1,
        attestations: vec![],
    };
    let verifiers = state.registry().verifiers(&seed, &id, p);
    let evidence = attest_all(&verifiers, id, evidence, seed, operators, p.chain_id)?;
    sign_next(
        operator,
        state,
        TxKind::NodeConfirm(NodeConfirm { node: id, evidence }),
    )
}

/// Checks that balances plus pools equal the ledger's supply.
pub fn check_conservation(state: &State) -> Result<(), FixtureError> {
    let held = state.total_held().map_err(|_| FixtureError::Overflow)?;
    let supply = state.ledger().supply;
    if held != supply {
        return Err(FixtureError::Conservation {
            height: state.tip().height,
            held,
            supply,
        });
    }
    Ok(())
}

/// Builds the next block with `txs` (proposed by `proposer`, one second after the tip),
/// applies it to `chain` and checks conservation.
pub fn next_block<S: Store>(
    chain: &mut Chain<S>,
    proposer: &SecretKey,
    txs: Vec<Transaction>,
) -> Result<Receipts, FixtureError> {
    let time = next_block_time(
        chain.state(),
        chain.state().tip().timestamp_ms.saturating_add(1_000),
    )?;
    let block = build_block(chain.state(), proposer, time, vec![], txs)?;
    let receipts = chain.apply(&block)?;
    check_conservation(chain.state())?;
    Ok(receipts)
}

/// Starts one Cumulus node per `(owner, operator)` pair, each in its own /16
/// (`10.<i>.0.1:16127`), then confirms each (one block each), proposed by `owners[0]`.
pub fn start_and_confirm_nodes<S: Store>(
    chain: &mut Chain<S>,
    owners: &[SecretKey],
    operators: &[SecretKey],
) -> Result<(), FixtureError> {
    let Some(proposer) = owners.first() else {
        return Ok(());
    };
    let mut starts = Vec::new();
    for (i, (owner, op)) in owners.iter().zip(operators).enumerate() {
        let p = chain.state().params();
        let kind = TxKind::NodeStart(NodeStart {
            operator: op.public_key(),
            tier: Tier::Cumulus,
            collateral: Tier::Cumulus.collateral(p),
            endpoint: format!("10.{i}.0.1:16127"),
            geolocation: "EU_DE".parse().map_err(|_| FixtureError::UnknownNode(i))?,
            declared: Tier::Cumulus.minimum(p),
        });
        starts.push(sign_next(owner, chain.state(), kind)?);
    }
    next_block(chain, proposer, starts)?;
    for op in operators {
        let c = confirm(op, operators, chain.state())?;
        next_block(chain, proposer, vec![c])?;
    }
    Ok(())
}
