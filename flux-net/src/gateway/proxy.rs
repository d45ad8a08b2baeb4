//! One request through the gateway: find its route by host, pick instances, forward with
//! retries and timeouts, stream the answer back, and hand an upgraded connection (WebSocket)
//! over to a byte tunnel.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use http_body_util::{Either, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::TokioIo;
use tokio::sync::Semaphore;

use super::GatewayConfig;
use super::body::{BodySlot, OnceBody};
use super::error::HostError;
use super::host::normalize_host;
use super::metrics::{GatewayMetrics, Unrouted};
use super::pool::{ConnectError, Pool, PooledBody, Sender};
use super::routes::SharedRoutes;

/// What the gateway answers with: an app's streamed body, or its own (small) one.
pub(crate) type GatewayBody = Either<PooledBody, Full<Bytes>>;

/// Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Everything a request needs, shared by every connection of one gateway.
pub(crate) struct Shared {
    pub(crate) config: GatewayConfig,
    pub(crate) routes: SharedRoutes,
    pub(crate) metrics: Arc<GatewayMetrics>,
    /// Bounds client connections and upgraded tunnels together.
    pub(crate) slots: Arc<Semaphore>,
    pool: Arc<Pool>,
    /// Instances whose last connect failed, until when they are tried last.
    cooling: Mutex<BTreeMap<SocketAddr, Instant>>,
    /// Entries in `cooling`, read without the lock on the path of every request.
    cooling_len: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(
        config: GatewayConfig,
        routes: SharedRoutes,
        metrics: Arc<GatewayMetrics>,
    ) -> Shared {
        let pool = Pool::new(
            config.max_idle_per_upstream,
            config.upstream_idle_timeout,
            config.connect_timeout,
        );
        Shared {
            slots: Arc::new(Semaphore::new(config.max_connections)),
            config,
            routes,
            metrics,
            pool,
            cooling: Mutex::new(BTreeMap::new()),
            cooling_len: AtomicUsize::new(0),
        }
    }

    /// `order` with the instances that failed recently moved to the back (kept in order).
    fn healthy_first(&self, order: Vec<SocketAddr>) -> Vec<SocketAddr> {
        if self.cooling_len.load(Ordering::Relaxed) == 0 {
            return order;
        }
        let mut cooling = self.cooling.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        cooling.retain(|_, until| *until > now);
        self.cooling_len.store(cooling.len(), Ordering::Relaxed);
        let (healthy, sick): (Vec<_>, Vec<_>) =
            order.into_iter().partition(|a| !cooling.contains_key(a));
        healthy.into_iter().chain(sick).collect()
    }

    fn set_cooling(&self, addr: SocketAddr, failed: bool) {
        if !failed && self.cooling_len.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut cooling = self.cooling.lock().unwrap_or_else(PoisonError::into_inner);
        if failed {
            cooling.insert(addr, Instant::now() + self.config.failure_cooldown);
        } else {
            cooling.remove(&addr);
        }
        self.cooling_len.store(cooling.len(), Ordering::Relaxed);
    }
}

/// Answers one request (never fails: every refusal is a JSON error response).
pub(crate) async fn handle(
    shared: Arc<Shared>,
    mut req: Request<Incoming>,
    peer_ip: &HeaderValue,
) -> Response<GatewayBody> {
    let started = Instant::now();
    // An absolute-form target's authority wins over the Host header (RFC 9112 §3.2.2).
    let raw = match req.uri().authority() {
        Some(authority) => Some(authority.as_str().as_bytes()),
        None => req.headers().get(header::HOST).map(HeaderValue::as_bytes),
    };
    let Some(raw) = raw else {
        shared.metrics.record_unrouted(Unrouted::BadHost);
        return refusal(
            StatusCode::BAD_REQUEST,
            "missing_host",
            "the request names no host",
        );
    };
    let name = match normalize_host(raw) {
        Ok(name) => name,
        Err(HostError::IpLiteral) => {
            shared.metrics.record_unrouted(Unrouted::UnknownHost);
            return refusal(
                StatusCode::NOT_FOUND,
                "unknown_host",
                "no app is named by an IP address",
            );
        }
        Err(e) => {
            shared.metrics.record_unrouted(Unrouted::BadHost);
            return refusal(StatusCode::BAD_REQUEST, "bad_host", &e.to_string());
        }
    };
    let table = shared.routes.snapshot();
    let Some(upstreams) = table.get(&name) else {
        shared.metrics.record_unrouted(Unrouted::UnknownHost);
        return refusal(
            StatusCode::NOT_FOUND,
            "unknown_host",
            &format!("no app is served at {name}"),
        );
    };
    let target = &upstreams.target;
    let app = target.app.as_str();
    let order = shared.healthy_first(upstreams.order());
    if order.is_empty() {
        let answer = refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_instance",
            &format!("no instance of {app}/{} is serving", target.component),
        );
        shared
            .metrics
            .record(app, answer.status().as_u16(), started.elapsed());
        return answer;
    }

    let upgrade = wants_upgrade(req.headers());
    let tunnel_slot = match upgrade {
        Some(_) => match shared.slots.clone().try_acquire_owned() {
            Ok(permit) => Some((permit, hyper::upgrade::on(&mut req))),
            Err(_) => {
                let answer = refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "too many connections",
                );
                shared
                    .metrics
                    .record(app, answer.status().as_u16(), started.elapsed());
                return answer;
            }
        },
        None => None,
    };
    let (mut parts, body) = req.into_parts();
    let mut headers = forward_headers(
        std::mem::take(&mut parts.headers),
        upgrade.as_ref(),
        peer_ip,
        &name,
    );
    // The app sees the name it was reached by: an absolute-form target's authority replaces
    // the Host header, as it did for routing.
    if let Some(authority) = parts.uri.authority()
        && let Ok(host) = HeaderValue::from_str(authority.as_str())
    {
        headers.insert(header::HOST, host);
    }
    let uri = origin_form(&parts.uri);
    let idempotent = is_idempotent(&parts.method);
    let slot = BodySlot::new(body);

    // Up to `max_attempts` tries, going round the instances: with one instance, a retry goes
    // to it again on a fresh connection (a kept one may have died with a restarted container).
    let attempts = shared.config.max_attempts.max(1);
    let mut answer = None;
    for (i, addr) in order.iter().copied().cycle().take(attempts).enumerate() {
        if i > 0 {
            shared.metrics.record_retry(app);
        }
        let kept = if i < order.len() {
            shared.pool.checkout(addr)
        } else {
            None
        };
        let outcome = attempt(&shared, addr, kept, || {
            // A request that failed after it went out is only sent again if idempotent: only
            // then are the headers copied for the next attempt.
            let head = if idempotent && i + 1 < attempts {
                headers.clone()
            } else {
                std::mem::take(&mut headers)
            };
            upstream_request(&parts.method, &uri, head, &slot)
        })
        .await;
        let retry = match outcome {
            Outcome::Answered(response, sender) => {
                shared.set_cooling(addr, false);
                answer = Some((response, addr, sender));
                break;
            }
            Outcome::Unreachable(e) => {
                tracing::debug!(%addr, app, error = %e, "gateway: instance refused the connection");
                shared.set_cooling(addr, true);
                slot.unsent()
            }
            Outcome::Failed(e) => {
                tracing::debug!(%addr, app, error = %e, "gateway: instance failed the request");
                idempotent && slot.unsent()
            }
            Outcome::TimedOut => {
                tracing::debug!(%addr, app, "gateway: instance did not answer in time");
                idempotent && slot.unsent()
            }
        };
        if !retry {
            break;
        }
    }

    let Some((mut response, addr, sender)) = answer else {
        let answer = refusal(
            StatusCode::BAD_GATEWAY,
            "upstream_failed",
            &format!("no instance of {app}/{} answered", target.component),
        );
        shared
            .metrics
            .record(app, answer.status().as_u16(), started.elapsed());
        return answer;
    };
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        shared
            .metrics
            .record(app, response.status().as_u16(), started.elapsed());
        strip_hop_by_hop(response.headers_mut());
        // The connection is kept for the next request once this answer is read to its end
        // (one that asked for an upgrade and got none is not: it may be about to close).
        let give_back = tunnel_slot
            .is_none()
            .then(|| (shared.pool.clone(), addr, sender));
        return response.map(|body| Either::Left(PooledBody::new(body, give_back)));
    }
    let Some((permit, downstream)) = tunnel_slot else {
        // A switch nobody asked for: there is no client side to join it to.
        let answer = refusal(
            StatusCode::BAD_GATEWAY,
            "upstream_failed",
            "the app switched protocols unasked",
        );
        shared
            .metrics
            .record(app, answer.status().as_u16(), started.elapsed());
        return answer;
    };
    shared
        .metrics
        .record(app, response.status().as_u16(), started.elapsed());
    let upstream = hyper::upgrade::on(&mut response);
    tokio::spawn(async move {
        let _permit = permit;
        if let (Ok(down), Ok(up)) = tokio::join!(downstream, upstream) {
            let (mut down, mut up) = (TokioIo::new(down), TokioIo::new(up));
            let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
        }
    });
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, Either::Right(Full::new(Bytes::new())))
}

/// The protocol a request asks to switch to (`Connection: upgrade` with `Upgrade: ...`).
fn wants_upgrade(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| headers.get(header::UPGRADE).cloned())
        .flatten()
}

/// GET, HEAD, OPTIONS, TRACE, PUT and DELETE may be sent twice (RFC 9110 §9.2.2).
fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::PUT,
        Method::DELETE,
    ]
    .contains(method)
}

/// Removes the headers of one connection, including those `Connection` names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Most messages carry none: one pass over the names present, no lookups.
    if !headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
        return;
    }
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

/// The client's headers as sent on: hop-by-hop ones removed (the upgrade ones put back for an
/// upgrade), `X-Forwarded-For/Host/Proto` added. `peer_ip` is the client's address as a header
/// value (made once per connection).
fn forward_headers(
    mut headers: HeaderMap,
    upgrade: Option<&HeaderValue>,
    peer_ip: &HeaderValue,
    host: &str,
) -> HeaderMap {
    let forwarded_for = match headers.get(&X_FORWARDED_FOR).map(HeaderValue::as_bytes) {
        Some(earlier) => {
            let mut joined = Vec::with_capacity(earlier.len() + 2 + peer_ip.len());
            joined.extend_from_slice(earlier);
            joined.extend_from_slice(b", ");
            joined.extend_from_slice(peer_ip.as_bytes());
            HeaderValue::from_bytes(&joined).ok()
        }
        None => Some(peer_ip.clone()),
    };
    // The name as the client wrote it is usually already the normal form: reuse its value.
    let forwarded_host = match headers.get(header::HOST) {
        Some(v) if v.as_bytes() == host.as_bytes() => Some(v.clone()),
        _ => HeaderValue::from_str(host).ok(),
    };
    strip_hop_by_hop(&mut headers);
    if let Some(protocol) = upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, protocol.clone());
    }
    if let Some(v) = forwarded_for {
        headers.insert(X_FORWARDED_FOR, v);
    }
    if let Some(v) = forwarded_host {
        headers.insert(X_FORWARDED_HOST, v);
    }
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    headers
}

/// A client's address as the value [`forward_headers`] appends to `X-Forwarded-For`.
pub(crate) fn peer_ip_value(peer: SocketAddr) -> HeaderValue {
    HeaderValue::from_str(&peer.ip().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// How one attempt on one instance ended.
enum Outcome {
    /// A response head, and the connection it came on.
    Answered(Response<Incoming>, Sender),
    /// No connection could be made: nothing was sent.
    Unreachable(ConnectError),
    /// The connection failed before the response head (the request may have been sent).
    Failed(hyper::Error),
    /// No response head within the response timeout.
    TimedOut,
}

/// One attempt on `addr`: on `kept` (an idle connection from the pool) or a new connection.
/// `request` is only called once a connection is had, so a failed connect keeps the headers
/// for the next instance. A kept connection found closed before the request went out (the app
/// closed it while idle) is replaced by a new one, without counting as an attempt.
async fn attempt(
    shared: &Shared,
    addr: SocketAddr,
    kept: Option<Sender>,
    request: impl FnOnce() -> Request<OnceBody>,
) -> Outcome {
    let mut reused = kept.is_some();
    let mut sender = match kept {
        Some(sender) => sender,
        None => match shared.pool.connect(addr).await {
            Ok(sender) => sender,
            Err(e) => return Outcome::Unreachable(e),
        },
    };
    let mut request = request();
    loop {
        let sent = tokio::time::timeout(
            shared.config.response_timeout,
            send(&mut sender, reused, request),
        )
        .await;
        match sent {
            Err(_) => return Outcome::TimedOut,
            Ok(Ok(response)) => return Outcome::Answered(response, sender),
            Ok(Err(SendError::Unsent(back, _))) if reused => {
                request = *back;
                reused = false;
                sender = match shared.pool.connect(addr).await {
                    Ok(sender) => sender,
                    Err(e) => return Outcome::Unreachable(e),
                };
            }
            Ok(Err(SendError::Unsent(_, e) | SendError::Failed(e))) => {
                return Outcome::Failed(e);
            }
        }
    }
}

/// Why a request got no response head on one connection.
enum SendError {
    /// The connection closed before the request was written: here it is back.
    Unsent(Box<Request<OnceBody>>, hyper::Error),
    /// It failed after (part of) the request was written.
    Failed(hyper::Error),
}

/// `request` on `sender`'s connection. A new connection takes its first request at once; a kept
/// one is first waited on to be idle (its last response just ended).
async fn send(
    sender: &mut Sender,
    reused: bool,
    request: Request<OnceBody>,
) -> Result<Response<Incoming>, SendError> {
    if reused && let Err(e) = sender.ready().await {
        return Err(SendError::Unsent(Box::new(request), e));
    }
    sender
        .try_send_request(request)
        .await
        .map_err(|mut e| match e.take_message() {
            Some(back) => SendError::Unsent(Box::new(back), e.into_error()),
            None => SendError::Failed(e.into_error()),
        })
}

/// The target as sent to an instance: origin form (`/path?query`), whatever form the client
/// used (an absolute-form target's authority has become the `Host` header).
fn origin_form(uri: &Uri) -> Uri {
    if uri.scheme().is_none() && uri.authority().is_none() {
        return uri.clone();
    }
    match uri.path_and_query() {
        Some(pq) => Uri::from(pq.clone()),
        None => Uri::from_static("/"),
    }
}

/// The request for one attempt.
fn upstream_request(
    method: &Method,
    uri: &Uri,
    headers: HeaderMap,
    slot: &BodySlot,
) -> Request<OnceBody> {
    let mut request = Request::new(slot.attempt());
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri.clone();
    *request.version_mut() = Version::HTTP_11;
    *request.headers_mut() = headers;
    request
}

/// The gateway's own answer: `{"error":{"code":"...","message":"..."}}`, like the node API's.
pub(crate) fn refusal(status: StatusCode, code: &str, message: &str) -> Response<GatewayBody> {
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    let mut response = Response::new(Either::Right(Full::new(Bytes::from(body))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn hop_by_hop_headers_are_not_forwarded() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-secret"),
        );
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        h.insert("x-app", HeaderValue::from_static("kept"));
        h.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        h.insert(
            header::HOST,
            HeaderValue::from_static("Shop.App.Localhost:80"),
        );
        let peer = peer_ip_value("192.0.2.7:5000".parse().unwrap());
        let out = forward_headers(h, None, &peer, "shop.app.localhost");
        assert!(out.get("x-secret").is_none());
        assert!(out.get(header::CONNECTION).is_none());
        assert!(out.get(header::TRANSFER_ENCODING).is_none());
        assert_eq!(out["x-app"], "kept");
        assert_eq!(out["x-forwarded-for"], "10.0.0.1, 192.0.2.7");
        assert_eq!(out["x-forwarded-host"], "shop.app.localhost");
        assert_eq!(out["x-forwarded-proto"], "http");
        let mut plain = HeaderMap::new();
        plain.insert(header::HOST, HeaderValue::from_static("a.b"));
        let out = forward_headers(plain, None, &peer, "a.b");
        assert_eq!(
            (&out["x-forwarded-for"], &out["x-forwarded-host"]),
            (
                &HeaderValue::from_static("192.0.2.7"),
                &HeaderValue::from_static("a.b")
            )
        );
    }

    #[test]
    fn upgrades_are_recognised_and_kept() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        let protocol = wants_upgrade(&h).unwrap();
        let peer = peer_ip_value("127.0.0.1:1".parse().unwrap());
        let out = forward_headers(h.clone(), Some(&protocol), &peer, "a.b");
        assert_eq!(out[header::CONNECTION], "upgrade");
        assert_eq!(out[header::UPGRADE], "websocket");
        h.remove(header::CONNECTION);
        assert_eq!(wants_upgrade(&h), None);
    }

    #[test]
    fn refusals_are_json() {
        let r = refusal(StatusCode::NOT_FOUND, "unknown_host", "no \"app\"");
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert!(is_idempotent(&Method::PUT) && !is_idempotent(&Method::POST));
    }
}
