//! The app gateway: what FluxOS's domain manager does for `*.app.runonflux.io`. Each node serves
//! plain HTTP/1.1 on a gateway address and routes every request by its `Host` to an instance of
//! the app it names, on this node or on another hosting node.
//!
//! - **Names** (the pure table is `flux_nodes::hosting::routes`): `<app>.<suffix>` → the app's
//!   first component, `<component>.<app>.<suffix>` → that component, each entry of a component's
//!   `domains` → that component; the suffix is configured (`app.localhost` on the devnet).
//!   Matching ignores case, the port and a trailing dot ([`normalize_host`]).
//! - **Instances**: the [`RouteTable`] lists the serving instances of each [`Target`] (the
//!   published address of the component's port on each hosting node), this node's own first;
//!   the node builds it with [`RouteTable::from_plan`] and installs it through [`SharedRoutes`]
//!   after each committed block. Requests rotate over the instances (round robin, local ones
//!   first). An instance whose connection failed is tried last for
//!   [`GatewayConfig::failure_cooldown`].
//! - **Retries**: a request that could not *connect* is tried on the next instance (at most
//!   [`GatewayConfig::max_attempts`] in all). Another failure before the response head
//!   (connection reset, timeout) is retried only for idempotent methods, and only while no byte
//!   of the request body has been sent: bodies stream through, they are never buffered to be
//!   replayed.
//! - **Timeouts**: connect ([`GatewayConfig::connect_timeout`]), response head
//!   ([`GatewayConfig::response_timeout`]), client request head
//!   ([`GatewayConfig::header_read_timeout`]).
//! - **Upgrades** (WebSocket and any `Connection: upgrade`): when the instance answers `101`, the
//!   two connections are joined and bytes copied both ways until either side closes.
//! - **Refusals** are JSON like the node API's (`{"error":{"code":"...","message":"..."}}`):
//!   400 `bad_host`/`missing_host`, 404 `unknown_host`, 503 `no_instance` (a known app with no
//!   serving instance), 502 `upstream_failed` (no instance answered after the retries). Requests
//!   hyper itself refuses (malformed, head over [`GatewayConfig::max_header_bytes`]) get its 400
//!   or 431 and the connection is closed.
//! - **Metrics**: per-app counts and latency in [`GatewayMetrics`], rendered for `/metrics`.
//!
//! **Plain HTTP only.** TLS termination (certificates for custom `domains`, HTTPS on 443) is out
//! of scope: put a TLS-terminating proxy in front of the gateway and let it pass `Host` through.
//!
//! Everything from the client is bounded: the request head by size, header count and time,
//! connections and tunnels together by [`GatewayConfig::max_connections`]; bodies stream in both
//! directions with hyper's flow control.
//!
//! ```
//! use flux_net::gateway::{Gateway, GatewayConfig, Instances, RouteTable, Target};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let gateway = Gateway::bind("127.0.0.1:0".parse()?, GatewayConfig::default()).await?;
//! let mut table = RouteTable::new();
//! let web = Target::first_port("shop", "web");
//! table.route("shop.app.localhost", web.clone())?;
//! table.set_instances(web, Instances { local: vec!["127.0.0.1:31000".parse()?], remote: vec![] });
//! gateway.routes().replace(table);
//! // curl -H 'Host: shop.app.localhost' http://<gateway.local_addr()>/ now reaches 127.0.0.1:31000.
//! assert_ne!(gateway.local_addr().port(), 0);
//! gateway.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod body;
mod error;
mod host;
mod metrics;
mod pool;
mod proxy;
mod routes;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::task::JoinHandle;

pub use error::{GatewayError, HostError, RouteError};
pub use host::{MAX_HOST_LEN, MAX_LABEL_LEN, MAX_NAME_LEN, normalize_host};
pub use metrics::{GatewayMetrics, LATENCY_BUCKETS_MS, Unrouted};
pub use routes::{Instances, Resolved, RouteTable, SharedRoutes, Target};

use proxy::Shared;

/// The gateway's limits and timeouts. [`Default`] suits a node; every bound is on something a
/// client or an app controls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayConfig {
    /// Time to connect to one instance before trying the next.
    pub connect_timeout: Duration,
    /// Time from sending a request to an instance to its response head.
    pub response_timeout: Duration,
    /// Time a client has to send a whole request head.
    pub header_read_timeout: Duration,
    /// Instances tried per request, at most (the first try included).
    pub max_attempts: usize,
    /// Largest request head read from a client, bytes (hyper's read buffer; at least 8192).
    pub max_header_bytes: usize,
    /// Most headers in a request.
    pub max_headers: usize,
    /// Client connections and upgraded tunnels open at once; more wait to be accepted.
    pub max_connections: usize,
    /// How long an instance that refused a connection is tried last.
    pub failure_cooldown: Duration,
    /// Idle keep-alive connections kept per instance.
    pub max_idle_per_upstream: usize,
    /// How long an idle connection to an instance is kept.
    pub upstream_idle_timeout: Duration,
}

impl Default for GatewayConfig {
    fn default() -> GatewayConfig {
        GatewayConfig {
            connect_timeout: Duration::from_secs(3),
            response_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(30),
            max_attempts: 3,
            max_header_bytes: 16 * 1024,
            max_headers: 100,
            max_connections: 4096,
            failure_cooldown: Duration::from_secs(10),
            max_idle_per_upstream: 256,
            upstream_idle_timeout: Duration::from_secs(60),
        }
    }
}

/// A running gateway. Dropping it stops accepting (like [`Gateway::shutdown`], without
/// waiting).
#[derive(Debug)]
pub struct Gateway {
    local_addr: SocketAddr,
    routes: SharedRoutes,
    metrics: Arc<GatewayMetrics>,
    stop: watch::Sender<bool>,
    accept: Option<JoinHandle<()>>,
}

impl Gateway {
    /// Listens on `addr` (port 0 picks a free one) and serves with an empty route table (every
    /// host 404) until routes are installed through [`Gateway::routes`].
    ///
    /// # Errors
    /// [`GatewayError::Bind`] if the address can not be bound.
    pub async fn bind(addr: SocketAddr, config: GatewayConfig) -> Result<Gateway, GatewayError> {
        let bind_error = |source| GatewayError::Bind { addr, source };
        let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        let routes = SharedRoutes::new();
        let metrics = Arc::new(GatewayMetrics::new());
        let shared = Arc::new(Shared::new(config, routes.clone(), metrics.clone()));
        let (stop, stopped) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, shared, stopped));
        Ok(Gateway {
            local_addr,
            routes,
            metrics,
            stop,
            accept: Some(accept),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The handle to its route table (install a new one with [`SharedRoutes::replace`]).
    pub fn routes(&self) -> SharedRoutes {
        self.routes.clone()
    }

    /// Its counters (render them with [`GatewayMetrics::render_prometheus`]).
    pub fn metrics(&self) -> Arc<GatewayMetrics> {
        self.metrics.clone()
    }

    /// Stops accepting connections and returns once the listener is closed. Open connections
    /// finish their current request and close; upgraded tunnels run until either side closes.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(accept) = self.accept.take() {
            let _ = accept.await;
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let permit = tokio::select! {
            permit = shared.slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
            _ = stopped.changed() => return,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(
                    stream,
                    peer,
                    shared.clone(),
                    stopped.clone(),
                    permit,
                ));
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "gateway: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let service = {
        let shared = shared.clone();
        let peer_ip = proxy::peer_ip_value(peer);
        service_fn(move |req| {
            let shared = shared.clone();
            let peer_ip = peer_ip.clone();
            async move { Ok::<_, Infallible>(proxy::handle(shared, req, &peer_ip).await) }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.header_read_timeout)
        .max_buf_size(shared.config.max_header_bytes.max(8192))
        .max_headers(shared.config.max_headers)
        .keep_alive(true);
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
