//! Keep-alive connections to app instances: a plain list of idle HTTP/1 senders per instance
//! address, nothing more. A connection goes back to its list when the response it carried has
//! been read to the end ([`PooledBody`]), and is taken out again for the next request to that
//! instance; idle ones are closed after [`GatewayConfig::upstream_idle_timeout`].
//!
//! This replaces hyper-util's general client, whose pool is keyed by scheme and authority (a URI
//! built and hashed per request), races a connect against every checkout and spawns a task per
//! request to wait for the connection to be reusable: on a 2-core node that was most of the
//! gateway's own cost per request.
//!
//! [`GatewayConfig::upstream_idle_timeout`]: super::GatewayConfig::upstream_idle_timeout

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::body::OnceBody;

/// A sender to one instance, on a connection of its own.
pub(crate) type Sender = SendRequest<OnceBody>;

/// Why no connection to an instance could be had.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// TCP connect failed (refused, unreachable).
    Io(std::io::Error),
    /// TCP connect took longer than the connect timeout.
    Timeout,
    /// The HTTP/1 handshake failed.
    Handshake(hyper::Error),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Io(e) => write!(f, "connect: {e}"),
            ConnectError::Timeout => f.write_str("connect: timed out"),
            ConnectError::Handshake(e) => write!(f, "handshake: {e}"),
        }
    }
}

struct Idle {
    sender: Sender,
    since: Instant,
}

/// Idle connections per instance address. Share it as an `Arc` (returned bodies hold one).
pub(crate) struct Pool {
    idle: Mutex<HashMap<SocketAddr, Vec<Idle>>>,
    max_idle: usize,
    idle_timeout: Duration,
    connect_timeout: Duration,
}

impl Pool {
    /// An empty pool; a background task (ending with the pool) closes idle connections older
    /// than `idle_timeout`. Must be called inside a tokio runtime.
    pub(crate) fn new(
        max_idle: usize,
        idle_timeout: Duration,
        connect_timeout: Duration,
    ) -> Arc<Pool> {
        let pool = Arc::new(Pool {
            idle: Mutex::new(HashMap::new()),
            max_idle,
            idle_timeout,
            connect_timeout,
        });
        tokio::spawn(reap(Arc::downgrade(&pool), idle_timeout));
        pool
    }

    /// An idle connection to `addr` that is ready for a request, if one is kept.
    pub(crate) fn checkout(&self, addr: SocketAddr) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.get_mut(&addr)?;
        let now = Instant::now();
        while let Some(entry) = list.pop() {
            // A closed one (the app hung up) or a stale one is dropped, which closes it.
            if entry.sender.is_closed() || now.duration_since(entry.since) >= self.idle_timeout {
                continue;
            }
            return Some(entry.sender);
        }
        None
    }

    /// Keeps `sender` for the next request to `addr` (or closes it if the list is full).
    pub(crate) fn checkin(&self, addr: SocketAddr, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.entry(addr).or_default();
        if list.len() < self.max_idle {
            list.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }

    /// A new connection to `addr`, driven by a task of its own until it closes (or is upgraded,
    /// after which the upgraded stream lives on in whoever took it).
    pub(crate) async fn connect(&self, addr: SocketAddr) -> Result<Sender, ConnectError> {
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ConnectError::Timeout)?
            .map_err(ConnectError::Io)?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(ConnectError::Handshake)?;
        tokio::spawn(async move {
            if let Err(e) = connection.with_upgrades().await {
                tracing::trace!(%addr, error = %e, "gateway: instance connection ended");
            }
        });
        Ok(sender)
    }

    /// Closes the idle connections older than the idle timeout or already closed by the app.
    fn reap(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        idle.retain(|_, list| {
            list.retain(|e| {
                !e.sender.is_closed() && now.duration_since(e.since) < self.idle_timeout
            });
            !list.is_empty()
        });
    }
}

async fn reap(pool: Weak<Pool>, every: Duration) {
    let mut ticks = tokio::time::interval(every.max(Duration::from_secs(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match pool.upgrade() {
            Some(pool) => pool.reap(),
            None => return,
        }
    }
}

/// An instance's response body that hands its connection back to the pool once read to the end
/// (dropped early, the connection is closed with it, as hyper must).
pub(crate) struct PooledBody {
    body: Incoming,
    give_back: Option<(Arc<Pool>, SocketAddr, Sender)>,
}

impl PooledBody {
    /// `body`, read on `sender`'s connection to `addr`; `None` for a connection not to reuse.
    pub(crate) fn new(body: Incoming, give_back: Option<(Arc<Pool>, SocketAddr, Sender)>) -> Self {
        let mut pooled = PooledBody { body, give_back };
        if pooled.body.is_end_stream() {
            pooled.release();
        }
        pooled
    }

    fn release(&mut self) {
        if let Some((pool, addr, sender)) = self.give_back.take() {
            pool.checkin(addr, sender);
        }
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.release(),
            Poll::Ready(Some(Ok(_))) if this.body.is_end_stream() => this.release(),
            Poll::Ready(Some(Err(_))) => this.give_back = None,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
