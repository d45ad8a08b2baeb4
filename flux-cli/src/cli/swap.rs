//! Arguments of `flux swap ...` and `flux supply`: parallel assets through a node's API.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use flux_core::Amount;
use flux_core::parallel::ExternalChain;

use super::{NodeUrl, TxOptions};

/// `flux swap ...`
#[derive(Debug, Subcommand)]
pub enum SwapCommand {
    /// Lock native FLUX for another chain: the committee attests the swap once its block is
    /// final, and the other chain's contract releases the parallel FLUX on that attestation.
    Out(SwapOutArgs),
    /// Release native FLUX for a burn on another chain, with the committee's attestation of it
    /// (the JSON `flux swap burn` prints once attested).
    In(SwapInArgs),
    /// A swap out: its record, the digest an EVM contract checks, the committee's signatures
    /// and, once attested, the attestation (`--json` for the contract call's inputs).
    Status(SwapStatusArgs),
    /// Ask the committee to attest a burn on another chain (members sign once their view of
    /// that chain confirms it); with `--wait`, wait for the attestation. With `--json --wait`,
    /// the output is the file `flux swap in` reads.
    Burn(SwapBurnArgs),
}

/// `flux swap out ...`
#[derive(Debug, Args)]
pub struct SwapOutArgs {
    /// The destination chain (kadena, ethereum, bsc, tron, solana, avalanche, ergo, algorand,
    /// polygon, base).
    #[arg(long)]
    pub chain: ExternalChain,
    /// The destination address: `0x` and 40 hex digits on EVM chains, hex bytes otherwise
    /// (Tron: 21 bytes starting 41; Solana, Algorand: the 32-byte public key), or a Kadena
    /// account name.
    #[arg(long)]
    pub to: String,
    /// How much, FLUX.
    #[arg(long, value_name = "FLUX")]
    pub amount: Amount,
    /// The sender's key file: pays the amount and the fee.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Fee and waiting (with `--wait`, the attestation is awaited too).
    #[command(flatten)]
    pub tx: TxOptions,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux swap in ...`
#[derive(Debug, Args)]
pub struct SwapInArgs {
    /// The attested burn (JSON with `burn` and `attestation`, as `flux swap burn --json`
    /// prints it).
    #[arg(value_name = "FILE.json")]
    pub file: PathBuf,
    /// The key file that sends the transaction and pays its fee (any account: a relayer may
    /// send it for the recipient).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Fee and waiting.
    #[command(flatten)]
    pub tx: TxOptions,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux swap status ...`
#[derive(Debug, Args)]
pub struct SwapStatusArgs {
    /// The swap's id (its `SwapOut` transaction's id, 64 hex digits).
    pub id: flux_core::Hash,
    /// Wait until the committee's signatures carry the threshold.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux swap burn ...`
#[derive(Debug, Args)]
pub struct SwapBurnArgs {
    /// The chain of the burn.
    #[arg(long)]
    pub chain: ExternalChain,
    /// The burn's transaction reference there, hex (e.g. its transaction hash).
    #[arg(long, value_name = "HEX")]
    pub reference: String,
    /// How much was burned, FLUX.
    #[arg(long, value_name = "FLUX")]
    pub amount: Amount,
    /// Who receives the native FLUX (bech32m, or 40 hex digits).
    #[arg(long)]
    pub to: String,
    /// Wait until the committee's signatures carry the threshold.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux supply`
#[derive(Debug, Args)]
pub struct SupplyArgs {
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}
