//! The gateway's errors: starting it ([`GatewayError`]), building a route table
//! ([`RouteError`]) and reading a `Host` value ([`HostError`]).

use std::net::SocketAddr;

use super::routes::Target;

/// Starting the gateway failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The listen address could not be bound (in use, not local, no permission).
    #[error("gateway: cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// A host name could not be added to a [`RouteTable`](super::RouteTable). The table is left as
/// it was for that name (the other names of the same call are still added).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The name is not a DNS name the gateway can match.
    #[error("route {host:?}: {source}")]
    InvalidHost {
        /// The name as given.
        host: String,
        /// Why it was refused.
        source: HostError,
    },
    /// The name already routes to another target (two apps claiming one domain); the first one
    /// keeps it.
    #[error("route {host:?}: already leads to {existing:?}, not added for {wanted:?}")]
    Conflict {
        /// The normalised name.
        host: String,
        /// Where it leads.
        existing: Box<Target>,
        /// Where it was asked to lead too.
        wanted: Box<Target>,
    },
}

/// A `Host` value that is not a routable DNS name (see
/// [`normalize_host`](super::normalize_host)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// No name (empty, or only a port or a dot).
    #[error("empty host name")]
    Empty,
    /// The value, the name or one of its labels is longer than DNS allows.
    #[error("host name too long ({len} bytes)")]
    TooLong {
        /// Length of the part that is too long, bytes.
        len: usize,
    },
    /// An IPv6 literal (`[::1]`): no app is named by one.
    #[error("an IP literal names no app")]
    IpLiteral,
    /// What follows the last `:` is not a port.
    #[error("bad port in host")]
    BadPort,
    /// An empty label or a byte that is not a letter, digit or `-`.
    #[error("not a DNS name")]
    BadName,
}
