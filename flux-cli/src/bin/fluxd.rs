//! `fluxd`: the flux node daemon. All the work is in `flux_cli::fluxd` and `flux_net::node`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = flux_cli::fluxd::main(std::env::args_os());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
