//! Arguments of `flux gov ...`: proposals and votes sent through a node's API, and proposals
//! read from a node.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};

use super::{NodeUrl, TxOptions};

/// `flux gov ...`
#[derive(Debug, Subcommand)]
pub enum GovCommand {
    /// Make a proposal through a node: pays the deposit (returned if turnout is reached) and
    /// names one action.
    Propose(GovProposeArgs),
    /// Vote on an open proposal, once for every node the key owns that may vote on it.
    Vote(GovVoteArgs),
    /// List every proposal with its status and tally, newest first.
    List(NodeUrl),
    /// Show one proposal: its action, tally, votes and (while open) voters.
    Show {
        /// The proposal's number.
        id: u64,
        /// The node.
        #[command(flatten)]
        node: NodeUrl,
    },
}

/// `flux gov propose ...`: exactly one of `--param`, `--grant`, `--upgrade`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("action").required(true).args(["param", "grant", "upgrade"])))]
pub struct GovProposeArgs {
    /// The title (1 to 128 bytes).
    #[arg(long)]
    pub title: String,
    /// The proposal's full text (published elsewhere); the chain records its BLAKE3 hash.
    /// Without it, the title is the text.
    #[arg(long, value_name = "FILE")]
    pub text_file: Option<PathBuf>,
    /// Change a governable parameter (e.g. `app.cpu_price=4000000`). The value is an integer in
    /// the parameter's unit: base units for amounts (1 FLUX = 100000000), blocks for
    /// intervals, permille for the slash fraction. An unknown name is refused with the list of
    /// known ones.
    #[arg(long, value_name = "NAME=VALUE")]
    pub param: Option<String>,
    /// Grant FLUX from the development fund (e.g. `tflux1...:2500`).
    #[arg(long, value_name = "ADDRESS:FLUX")]
    pub grant: Option<String>,
    /// Signal an upgrade at a future height (e.g. `v2@150000`).
    #[arg(long, value_name = "NAME@HEIGHT")]
    pub upgrade: Option<String>,
    /// The proposer's key file: pays the deposit and the fee.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Fee and waiting (with `--wait`, the proposal's number is printed).
    #[command(flatten)]
    pub tx: TxOptions,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

/// `flux gov vote ...`
#[derive(Debug, Args)]
pub struct GovVoteArgs {
    /// The proposal's number.
    pub id: u64,
    /// The vote.
    #[arg(value_enum)]
    pub choice: ChoiceArg,
    /// The node owner's key file: one vote is sent for each of its nodes in the proposal's
    /// snapshot that is still confirmed and has not voted.
    #[arg(long, value_name = "OWNER_FILE")]
    pub key: PathBuf,
    /// Fee (per vote) and waiting.
    #[command(flatten)]
    pub tx: TxOptions,
    /// The node.
    #[command(flatten)]
    pub node: NodeUrl,
}

super::value_enum! {
    /// A vote on the command line.
    ChoiceArg => flux_chain::gov::Choice {
        /// For.
        Yes,
        /// Against.
        No,
        /// Counted for turnout only.
        Abstain,
    }
}
