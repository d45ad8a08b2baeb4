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
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::sync::Semaphore;

use super::GatewayConfig;
use super::body::{BodySlot, OnceBody};
use super::error::HostError;
use super::host::normalize_host;
use super::metrics::{GatewayMetrics, Unrouted};
use super::routes::SharedRoutes;

/// What the gateway answers with: an app's streamed body, or its own (small) one.
pub(crate) type GatewayBody = Either<Incoming, Full<Bytes>>;

/// Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Everything a request needs, shared by every connection of one gateway.
pub(crate) struct Shared {
    pub(crate) config: GatewayConfig,
    pub(crate) routes: SharedRoutes,
    pub(crate) metrics: Arc<GatewayMetrics>,
    /// Bounds client connections and upgraded tunnels together.
    pub(crate) slots: Arc<Semaphore>,
    client: Client<HttpConnector, OnceBody>,
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
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.connect_timeout));
        connector.set_nodelay(true);
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .pool_idle_timeout(config.upstream_idle_timeout)
            .pool_max_idle_per_host(config.max_idle_per_upstream)
            // The client's own Host is the instance's address; the app wants the one it is
            // named by, which every forwarded request carries.
            .set_host(false)
            .build(connector);
        Shared {
            slots: Arc::new(Semaphore::new(config.max_connections)),
            config,
            routes,
            metrics,
            client,
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
    peer: SocketAddr,
) -> Response<GatewayBody> {
    let started = Instant::now();
    // An absolute-form target's authority wins over the Host header (RFC 9112 §3.2.2).
    let raw = match req.uri().authority() {
        Some(authority) => Some(authority.as_str().as_bytes().to_vec()),
        None => req
            .headers()
            .get(header::HOST)
            .map(|h| h.as_bytes().to_vec()),
    };
    let Some(raw) = raw else {
        shared.metrics.record_unrouted(Unrouted::BadHost);
        return refusal(
            StatusCode::BAD_REQUEST,
            "missing_host",
            "the request names no host",
        );
    };
    let name = match normalize_host(&raw) {
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
        peer,
        &name,
    );
    // The app sees the name it was reached by: an absolute-form target's authority replaces
    // the Host header, as it did for routing.
    if let Some(authority) = parts.uri.authority()
        && let Ok(host) = HeaderValue::from_str(authority.as_str())
    {
        headers.insert(header::HOST, host);
    }
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let idempotent = is_idempotent(&parts.method);
    let slot = BodySlot::new(body);

    // Up to `max_attempts` tries, going round the instances: with one instance, a retry goes
    // to it again on a fresh connection (a pooled one may have died with a restarted
    // container).
    let attempts = shared.config.max_attempts.max(1);
    let mut answer = None;
    for (i, addr) in order.iter().copied().cycle().take(attempts).enumerate() {
        if i > 0 {
            shared.metrics.record_retry(app);
        }
        // The last attempt takes the headers; earlier ones copy them for the next.
        let head = if i + 1 == attempts {
            std::mem::take(&mut headers)
        } else {
            headers.clone()
        };
        let Some(request) = upstream_request(&parts.method, addr, &path, head, &slot) else {
            break;
        };
        let outcome = tokio::time::timeout(
            shared.config.response_timeout,
            shared.client.request(request),
        )
        .await;
        let retry = match outcome {
            Ok(Ok(response)) => {
                shared.set_cooling(addr, false);
                answer = Some(response);
                break;
            }
            Ok(Err(e)) if e.is_connect() => {
                tracing::debug!(%addr, app, error = %e, "gateway: instance refused the connection");
                shared.set_cooling(addr, true);
                slot.unsent()
            }
            Ok(Err(e)) => {
                tracing::debug!(%addr, app, error = %e, "gateway: instance failed the request");
                idempotent && slot.unsent()
            }
            Err(_) => {
                tracing::debug!(%addr, app, "gateway: instance did not answer in time");
                idempotent && slot.unsent()
            }
        };
        if !retry {
            break;
        }
    }

    let Some(mut response) = answer else {
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
        return response.map(Either::Left);
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
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// The client's headers as sent on: hop-by-hop ones removed (the upgrade ones put back for an
/// upgrade), `X-Forwarded-For/Host/Proto` added.
fn forward_headers(
    mut headers: HeaderMap,
    upgrade: Option<&HeaderValue>,
    peer: SocketAddr,
    host: &str,
) -> HeaderMap {
    let forwarded_for = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    strip_hop_by_hop(&mut headers);
    if let Some(protocol) = upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, protocol.clone());
    }
    if let Ok(v) = HeaderValue::from_str(&forwarded_for) {
        headers.insert("x-forwarded-for", v);
    }
    if let Ok(v) = HeaderValue::from_str(host) {
        headers.insert("x-forwarded-host", v);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    headers
}

/// The request for one attempt on `addr` (`None` only if the target can not be written as a
/// URI, which hyper's parser already rules out).
fn upstream_request(
    method: &Method,
    addr: SocketAddr,
    path: &str,
    headers: HeaderMap,
    slot: &BodySlot,
) -> Option<Request<OnceBody>> {
    let uri = Uri::builder()
        .scheme("http")
        .authority(addr.to_string())
        .path_and_query(path)
        .build()
        .ok()?;
    let mut request = Request::new(slot.attempt());
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri;
    *request.version_mut() = Version::HTTP_11;
    *request.headers_mut() = headers;
    Some(request)
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
        let peer: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        let out = forward_headers(h, None, peer, "shop.app.localhost");
        assert!(out.get("x-secret").is_none());
        assert!(out.get(header::CONNECTION).is_none());
        assert!(out.get(header::TRANSFER_ENCODING).is_none());
        assert_eq!(out["x-app"], "kept");
        assert_eq!(out["x-forwarded-for"], "10.0.0.1, 192.0.2.7");
        assert_eq!(out["x-forwarded-host"], "shop.app.localhost");
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
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let out = forward_headers(h.clone(), Some(&protocol), peer, "a.b");
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
