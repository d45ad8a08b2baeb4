//! `flux sample-app` (hidden): the devnet's sample app, an HTTP server answering every request
//! with `MESSAGE (instance NAME)` ([`flux_net::runtime::sample`]), as the `flux-sample-app`
//! binary does. The devnet builds its image from the `flux` binary itself, so this is what
//! the sample app's containers run.
//!
//! Environment: `PORT` (default 8080, on all addresses), `MESSAGE` (default "hello from
//! flux"), `INSTANCE` (default `HOSTNAME`: the container id under Docker).

use std::net::{Ipv4Addr, SocketAddr};

use flux_net::devnet::DevnetError;

use crate::error::CliError;

/// Serves until the process is stopped.
pub fn run() -> Result<(), CliError> {
    let port = match std::env::var("PORT") {
        Ok(text) => text.parse::<u16>().map_err(|e| {
            let why = format!("{text:?} is not a port: {e}");
            io_error(
                "PORT",
                std::io::Error::new(std::io::ErrorKind::InvalidInput, why),
            )
        })?,
        Err(_) => 8080,
    };
    let message = std::env::var("MESSAGE").unwrap_or_else(|_| "hello from flux".to_owned());
    let instance = std::env::var("INSTANCE")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    println!("flux sample-app: serving {message:?} as instance {instance} on {addr}");
    flux_net::runtime::sample::serve(addr, &message, &instance)
        .map_err(|e| io_error(&addr.to_string(), e))
}

fn io_error(what: &str, source: std::io::Error) -> CliError {
    CliError::Devnet(DevnetError::Io {
        path: what.into(),
        source,
    })
}
