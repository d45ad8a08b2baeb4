//! # flux-cli
//!
//! The `flux` command-line tool and the `fluxd` node daemon: argument parsing, config, output.
//! Each command parses its arguments, calls an SDK crate (mostly [`flux_net`]: the API client,
//! wallet helpers and key files, the devnet, the simulator; [`flux_chain`], [`flux_nodes`] and
//! [`flux_core`] for the rules it checks arguments with before sending, and for figures) and
//! prints the answer, as a table or, with `--json`, as JSON. The rules and the work are the
//! libraries'.
//!
//! Modules:
//! - [`cli`]: the clap definitions of every command and its arguments;
//! - [`commands`]: one module per command (or group), each parse → call → print;
//! - [`output`]: the human / `--json` printer every command writes through;
//! - [`fluxd`]: the daemon's entry point (config file to `NodeConfig`, run until a signal,
//!   a block-sync progress bar);
//! - [`error`]: [`error::CliError`], what a command can end with (it wraps the libraries'
//!   errors; no module here depends on a command).
//!
//! ```
//! use flux_cli::run;
//! let mut out = Vec::new();
//! let code = run(["flux", "params", "--network", "devnet", "--json"], &mut out);
//! assert_eq!(code, 0);
//! let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(json["network"], "devnet");
//! ```

#![forbid(unsafe_code)]

pub mod cli;
pub mod commands;
pub mod error;
pub mod fluxd;
pub mod output;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

use crate::cli::{AppCommand, Cli, Command, GovCommand, JobCommand, NodeCommand, SwapCommand};
use crate::error::CliError;
use crate::output::Output;

/// Runs `flux` with `args` (the first is the program name), printing results to `stdout` and
/// errors to standard error. Returns the process exit code: 0 on success, 1 on a failed command,
/// 2 on a usage error.
pub fn run<I, T, W>(args: I, stdout: W) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
    W: Write,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let mut out = Output::new(stdout, cli.json);
    match dispatch(cli.command, &mut out) {
        Ok(()) => 0,
        Err(e) => {
            report(&e);
            1
        }
    }
}

fn dispatch<W: Write>(command: Command, out: &mut Output<W>) -> Result<(), CliError> {
    match command {
        Command::Keys(command) => commands::keys::run(out, &command),
        Command::Params(network) => commands::params::run(out, network.network.into()),
        Command::Tokenomics(args) => commands::tokenomics::run(out, &args),
        Command::Tiers(network) => commands::tiers::run(out, network.network.into()),
        Command::Devnet(args) => commands::devnet::run(out, &args),
        Command::SampleApp => commands::sample_app::run(),
        Command::Bench(args) => commands::bench::run(out, &args),
        Command::Job(JobCommand::Submit(args)) => commands::job::submit(out, &args),
        Command::Job(JobCommand::Status(args)) => commands::job::status(out, &args),
        Command::Job(JobCommand::Result(args)) => commands::job::result(out, &args),
        Command::Job(JobCommand::List(args)) => commands::job::list(out, &args),
        Command::Job(JobCommand::Example(args)) => commands::job::example(out, &args),
        Command::Send(args) => commands::send::send(out, &args),
        Command::Balance(args) => commands::query::balance(out, &args),
        Command::Tx(args) => commands::query::tx(out, &args),
        Command::Block(args) => commands::query::block(out, &args),
        Command::BenchTx(args) => commands::bench_tx::run(out, &args),
        Command::Sim(args) => commands::sim::run(out, &args),
        Command::Node(NodeCommand::Start(args)) => commands::chain_tx::start(out, &args),
        Command::Node(NodeCommand::Confirm(args)) => commands::chain_tx::confirm(out, &args),
        Command::Node(NodeCommand::Exit(args)) => commands::chain_tx::exit(out, &args),
        Command::App(AppCommand::Deploy(args)) => commands::chain_tx::deploy(out, &args),
        Command::App(AppCommand::Status(args)) => commands::app::status(out, &args),
        Command::App(AppCommand::Logs(args)) => commands::app::logs(out, &args),
        Command::App(AppCommand::Update(args)) => commands::app::update(out, &args),
        Command::App(AppCommand::Cancel(args)) => commands::app::cancel(out, &args),
        Command::Node(NodeCommand::List(args)) => commands::node::list(out, &args),
        Command::Swap(SwapCommand::Out(args)) => commands::swap::out(out, &args),
        Command::Swap(SwapCommand::In(args)) => commands::swap::swap_in(out, &args),
        Command::Swap(SwapCommand::Status(args)) => commands::swap::status(out, &args),
        Command::Swap(SwapCommand::Burn(args)) => commands::swap::burn(out, &args),
        Command::Supply(args) => commands::swap::supply(out, &args),
        Command::Gov(GovCommand::Propose(args)) => commands::gov::propose(out, &args),
        Command::Gov(GovCommand::Vote(args)) => commands::gov::vote(out, &args),
        Command::Gov(GovCommand::List(node)) => commands::gov::list(out, &node),
        Command::Gov(GovCommand::Show { id, node }) => commands::gov::show(out, id, &node),
        Command::App(AppCommand::Validate {
            file,
            lenient,
            network,
        }) => commands::app::validate(out, &file, reader(lenient), network.network.into()),
        Command::App(AppCommand::Price {
            file,
            blocks,
            lenient,
            network,
        }) => commands::app::price(out, &file, reader(lenient), blocks, network.network.into()),
        Command::Placement(command) => commands::placement::run(out, command),
    }
}

/// The app-spec reader a `--lenient` flag selects.
fn reader(lenient: bool) -> commands::app::Reader {
    if lenient {
        commands::app::Reader::Lenient
    } else {
        commands::app::Reader::Strict
    }
}

/// Prints an error to standard error (each message already names its cause).
fn report(e: &CliError) {
    let _ = writeln!(std::io::stderr().lock(), "error: {e}");
}
