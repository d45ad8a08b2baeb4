//! The parallel-asset views: `GET /v1/supply`, `GET /v1/swaps/{id}` and the burn routes.
//!
//! Built by pure constructors from chain state and a node's
//! [`SwapDesk`](crate::host::swaps::SwapDesk) entry, so a tool holding the same data shows it
//! exactly as a node's API would.

use flux_chain::parallel::{
    Attestation, BurnStatement, Parallel, Statement, SwapOutRecord, SwapSignature,
};
use flux_chain::tx::TxId;
use flux_core::parallel::{AttestationScheme, ExternalChain, eth_address};
use flux_core::{Amount, ChainParams};
use flux_nodes::NodeId;
use serde::{Deserialize, Serialize};

use crate::host::swaps::Collected;

/// One external chain's line of `GET /v1/supply`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBookView {
    /// The chain (`ethereum`, `solana`, ...).
    pub chain: ExternalChain,
    /// Native FLUX the protocol holds for it.
    pub locked: Amount,
    /// Parallel FLUX issued there (always equal to `locked`).
    pub issued: Amount,
    /// What the chain started with at genesis (22,000,000 FLUX on mainnet).
    pub genesis_reserve: Amount,
}

/// `GET /v1/supply`: the native supply, the parallel books and the cap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplyView {
    /// The height these figures are at.
    pub height: u64,
    /// The hard cap.
    pub cap: Amount,
    /// Everything that exists: native FLUX anywhere (balances, bonds, escrows, pools) and the
    /// FLUX locked for parallel assets, counted once.
    pub total: Amount,
    /// Native FLUX outside the parallel books (`total - locked`).
    pub native: Amount,
    /// Σ locked over the chains.
    pub locked: Amount,
    /// Σ issued over the chains (equal to `locked`).
    pub issued: Amount,
    /// What may still be minted before the cap: `cap - (native + issued)`.
    pub reserve_left: Amount,
    /// Per chain, in id order (all ten, zero included).
    pub chains: Vec<ChainBookView>,
}

impl SupplyView {
    /// The figures of a state's ledger supply `total` and books `parallel` at `height`.
    /// Fails only if the books overflow, which the chain never lets happen.
    pub fn new(
        height: u64,
        total: Amount,
        parallel: &Parallel,
        params: &ChainParams,
    ) -> Result<SupplyView, flux_core::error::AmountError> {
        let reserve = match params.network {
            flux_core::Network::Mainnet => params.parallel.initial_locked_per_chain,
            _ => Amount::ZERO,
        };
        let chains: Vec<ChainBookView> = ExternalChain::ALL
            .iter()
            .map(|c| {
                let book = parallel.book(*c);
                ChainBookView {
                    chain: *c,
                    locked: book.locked,
                    issued: book.issued,
                    genesis_reserve: reserve,
                }
            })
            .collect();
        let locked = Amount::checked_sum(chains.iter().map(|c| c.locked))?;
        let issued = Amount::checked_sum(chains.iter().map(|c| c.issued))?;
        let native = total.checked_sub(locked)?;
        let cap = params.supply.max_supply;
        Ok(SupplyView {
            height,
            cap,
            total,
            native,
            locked,
            issued,
            reserve_left: cap.checked_sub(native.checked_add(issued)?)?,
            chains,
        })
    }
}

/// One member's signature in an attestation view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerView {
    /// The member.
    pub node: NodeId,
    /// Its weight in the committee.
    pub weight: u64,
    /// For an EVM statement: the Ethereum address of its swap key (`0x` and 40 hex digits), the
    /// address `ecrecover` returns.
    pub eth_address: Option<String>,
    /// The signature, hex: 64 bytes Ed25519, or 65 bytes `r ‖ s ‖ v` (v = 27 or 28).
    pub signature: String,
}

/// Where the committee's attestation of a statement stands on this node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationStatusView {
    /// The committee's epoch.
    pub epoch: u64,
    /// The signers' weight.
    pub weight: u64,
    /// The committee's weight.
    pub total_weight: u64,
    /// The share of `total_weight` that `weight` must exceed, `num/den`.
    pub threshold: String,
    /// Whether `weight` exceeds it.
    pub attested: bool,
    /// The signatures collected, by member.
    pub signers: Vec<SignerView>,
}

impl AttestationStatusView {
    /// The status of a desk entry.
    pub fn new(entry: &Collected) -> AttestationStatusView {
        let threshold = entry.committee.threshold();
        AttestationStatusView {
            epoch: entry.epoch,
            weight: entry.weight,
            total_weight: entry.committee.total_weight(),
            threshold: format!("{}/{}", threshold.num, threshold.den),
            attested: entry.is_attested(),
            signers: entry
                .signatures
                .iter()
                .map(|(node, signature)| SignerView {
                    node: *node,
                    weight: entry.committee.get(node).map_or(0, |m| m.weight),
                    eth_address: entry
                        .swap_keys
                        .get(node)
                        .and_then(eth_address)
                        .filter(|_| matches!(signature, SwapSignature::Evm(_)))
                        .map(|a| format!("0x{}", flux_core::hex::encode(&a))),
                    signature: match signature {
                        SwapSignature::Ed25519(s) => flux_core::hex::encode(s.as_bytes()),
                        SwapSignature::Evm(s) => flux_core::hex::encode(&s.0),
                    },
                })
                .collect(),
        }
    }
}

/// The destination address as the destination chain writes it: `0x`-hex for EVM chains, hex
/// otherwise (Tron's with its `41` prefix byte; Kadena's account name as text).
pub fn destination_text(chain: ExternalChain, to: &[u8]) -> String {
    match chain {
        ExternalChain::Kadena => String::from_utf8_lossy(to).into_owned(),
        _ if chain.evm_address(to).is_some() && chain != ExternalChain::Tron => {
            format!("0x{}", flux_core::hex::encode(to))
        }
        _ => flux_core::hex::encode(to),
    }
}

/// `GET /v1/swaps/{id}`: a swap out, its statement and the committee's attestation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapView {
    /// The swap's id (its `SwapOut` transaction's id).
    pub id: TxId,
    /// Who locked the FLUX (bech32m).
    pub from: String,
    /// The destination chain.
    pub chain: ExternalChain,
    /// The destination address, as that chain writes it ([`destination_text`]).
    pub to: String,
    /// How much.
    pub amount: Amount,
    /// The height of the block that locked it.
    pub height: u64,
    /// How the committee signs for the chain: `evm-secp256k1` or `ed25519`.
    pub scheme: String,
    /// The statement signed (canonical form).
    pub statement: Statement,
    /// For an EVM chain, the digest the contract recovers signers from, hex (see
    /// [`flux_core::parallel::evm_digest`]).
    pub evm_digest: Option<String>,
    /// Where the attestation stands on this node (`None`: it has no signatures yet).
    pub status: Option<AttestationStatusView>,
    /// The attestation for the other chain, once attested.
    pub attestation: Option<Attestation>,
}

impl SwapView {
    /// The view of swap `id` as recorded, with this node's entry for it.
    pub fn new(
        id: TxId,
        record: &SwapOutRecord,
        entry: Option<&Collected>,
        params: &ChainParams,
    ) -> SwapView {
        let statement = Statement::SwapOut(flux_chain::parallel::SwapOutStatement::of(id, record));
        SwapView {
            id,
            from: record.from.to_bech32(params.network),
            chain: record.chain,
            to: destination_text(record.chain, &record.to),
            amount: record.amount,
            height: record.height,
            scheme: scheme_name(record.chain.scheme()).to_owned(),
            evm_digest: statement
                .evm_digest(params.chain_id)
                .map(|d| flux_core::hex::encode(&d)),
            statement,
            status: entry.map(AttestationStatusView::new),
            attestation: entry.and_then(Collected::attestation),
        }
    }
}

/// The name of a scheme in views: `evm-secp256k1` or `ed25519`.
pub fn scheme_name(scheme: AttestationScheme) -> &'static str {
    match scheme {
        AttestationScheme::EvmSecp256k1 => "evm-secp256k1",
        AttestationScheme::Ed25519 => "ed25519",
    }
}

/// `GET /v1/swaps/burns/{chain}/{reference}` and `POST /v1/swaps/burns`: a burn on another
/// chain and the committee's attestation of it. Once `attestation` is set, this JSON is what
/// `flux swap in FILE` reads: `burn` and `attestation` are a `SwapIn`'s two fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnView {
    /// The burn.
    pub burn: BurnStatement,
    /// The `SwapIn` that already released it, if one did.
    pub released_by: Option<TxId>,
    /// Where the attestation stands on this node (`None`: no signatures yet).
    pub status: Option<AttestationStatusView>,
    /// The attestation, once attested.
    pub attestation: Option<Attestation>,
}

impl BurnView {
    /// The view of `burn` with this node's entry for it.
    pub fn new(
        burn: BurnStatement,
        released_by: Option<TxId>,
        entry: Option<&Collected>,
    ) -> BurnView {
        let entry = entry.filter(|e| e.statement == Statement::Burn(burn.clone()));
        BurnView {
            burn,
            released_by,
            status: entry.map(AttestationStatusView::new),
            attestation: entry.and_then(Collected::attestation),
        }
    }
}
