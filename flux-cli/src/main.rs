//! `flux`: the command-line tool. All the work is in the `flux_cli` library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = flux_cli::run(std::env::args_os(), std::io::stdout().lock());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
