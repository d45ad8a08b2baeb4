//! The sample app hosted by the devnet and the Docker tests: an HTTP server answering every
//! request with `MESSAGE (instance NAME)` (see `flux_net::runtime::sample`).
//!
//! Environment: `PORT` (default 8080; it listens on all addresses, as an app in a container
//! must), `MESSAGE` (default "hello from flux"), `INSTANCE` (default: `HOSTNAME`, which Docker
//! sets to the container id).

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

fn main() -> ExitCode {
    let port = match std::env::var("PORT") {
        Ok(text) => match text.parse::<u16>() {
            Ok(port) => port,
            Err(e) => {
                eprintln!("flux-sample-app: PORT={text:?} is not a port: {e}");
                return ExitCode::from(2);
            }
        },
        Err(_) => 8080,
    };
    let message = std::env::var("MESSAGE").unwrap_or_else(|_| "hello from flux".to_string());
    let instance = std::env::var("INSTANCE")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    println!("flux-sample-app: serving {message:?} as instance {instance} on {addr}");
    match flux_net::runtime::sample::serve(addr, &message, &instance) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flux-sample-app: {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}
