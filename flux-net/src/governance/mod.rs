//! Governance through a node's API, as `flux gov propose|vote` does it: a proposal's action
//! parsed from its textual form and checked with the chain's rules (and the proposer's balance
//! against the deposit) before anything is sent ([`Client::checked_proposal`]), and one vote per
//! node of the owner's that may still vote ([`Client::vote_plan`], [`Client::send_votes`]).
//!
//! Checking first matters: the chain drops a transaction whose action it refuses when building
//! a block, and the transaction would stay pending. The messages of [`GovError`] name the
//! `flux gov propose` arguments they come from.
//!
//! [`Client::checked_proposal`]: crate::api::client::Client::checked_proposal
//! [`Client::vote_plan`]: crate::api::client::Client::vote_plan
//! [`Client::send_votes`]: crate::api::client::Client::send_votes

mod propose;
mod vote;

use flux_core::Amount;
use thiserror::Error;

use crate::api::client::ClientError;

pub use propose::{
    ActionDraft, CheckedProposal, check_title, parse_grant, parse_param_change, parse_upgrade,
    proposed_id,
};
pub use vote::{Skipped, VotePlan, VoteSent};

/// Why a proposal or a vote was not sent.
#[derive(Debug, Error)]
pub enum GovError {
    /// Asking the node failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// An amount computation overflowed.
    #[error(transparent)]
    Amount(#[from] flux_core::error::AmountError),
    /// No proposal with that number.
    #[error("no proposal {0}")]
    NoProposal(u64),
    /// A proposal without an action.
    #[error("a proposal needs one action: --param, --grant or --upgrade")]
    NoAction,
    /// A `--param` argument is not `NAME=VALUE` with an integer value.
    #[error("--param {text:?}: {reason} (expected NAME=VALUE, e.g. app.cpu_price=4000000)")]
    BadParamChange {
        /// The argument.
        text: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A `--param` names no governable parameter.
    #[error("unknown governable parameter {name:?} (known: {known})")]
    UnknownParam {
        /// The name given.
        name: String,
        /// The governable parameters' names, comma-separated.
        known: String,
    },
    /// A parameter change no proposal may make: outside the bounds fixed in code, or leaving
    /// the chain's parameters inconsistent.
    #[error("--param refused: {0}")]
    ParamRefused(#[source] flux_core::error::ParamsError),
    /// A `--grant` argument is not `ADDRESS:FLUX` with a positive amount.
    #[error("--grant {text:?}: {reason} (expected ADDRESS:FLUX, e.g. tflux1...:2500)")]
    BadGrant {
        /// The argument.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// A `--upgrade` argument is not `NAME@HEIGHT` with a name of 1 to 64 bytes and a height
    /// after the next block.
    #[error("--upgrade {text:?}: {reason} (expected NAME@HEIGHT, e.g. v2@150000)")]
    BadUpgrade {
        /// The argument.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// The proposal's title is empty or too long ([`flux_chain::gov::check_title`]).
    #[error("--title has {len} bytes; a title has 1 to {max}")]
    BadTitle {
        /// Its length, bytes.
        len: usize,
        /// The longest allowed.
        max: usize,
    },
    /// The proposer cannot pay the deposit and the fee.
    #[error(
        "{address} holds {available} FLUX; a proposal needs the {deposit} FLUX deposit and the {fee} FLUX fee"
    )]
    NoDeposit {
        /// The proposer (bech32m).
        address: String,
        /// Its spendable balance.
        available: Amount,
        /// The chain's proposal deposit.
        deposit: Amount,
        /// The fee offered.
        fee: Amount,
    },
    /// The proposal no longer takes votes.
    #[error("proposal {id} is closed for votes ({status})")]
    VotingClosed {
        /// The proposal.
        id: u64,
        /// Its status, or why it is closed.
        status: String,
    },
    /// The key's account has no node that may still vote on the proposal.
    #[error("{owner} has no node that may vote on proposal {id}: {reason}")]
    NoVote {
        /// The proposal.
        id: u64,
        /// The key's address (bech32m).
        owner: String,
        /// Why (no node in the snapshot, all voted, none confirmed).
        reason: String,
    },
}
