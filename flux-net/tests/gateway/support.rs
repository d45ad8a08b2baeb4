//! What the gateway tests share: test app instances on 127.0.0.1 (port 0), a gateway, route
//! tables and plain HTTP exchanges.
#![allow(dead_code)] // each test file uses its own part

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flux_net::gateway::{Gateway, GatewayConfig, Instances, RouteTable, Target};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, CONTENT_TYPE, HOST, UPGRADE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A test app instance: answers `<name> <host> <path> <body length>`, echoes bytes after an
/// `Upgrade: echo`, and counts the requests it got.
pub struct Upstream {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicU64>,
}

impl Upstream {
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

pub async fn upstream(name: &'static str) -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicU64::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| answer(name, counter.clone(), req));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Upstream { addr, hits }
}

pub async fn answer(
    name: &'static str,
    hits: Arc<AtomicU64>,
    mut req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    hits.fetch_add(1, Ordering::Relaxed);
    if req.headers().get(UPGRADE).is_some_and(|v| v == "echo") {
        let upgraded = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(io) = upgraded.await {
                let (mut r, mut w) = tokio::io::split(TokioIo::new(io));
                let _ = tokio::io::copy(&mut r, &mut w).await;
            }
        });
        return Ok(Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(CONNECTION, "upgrade")
            .header(UPGRADE, "echo")
            .body(Full::default())
            .unwrap());
    }
    let host = req
        .headers()
        .get(HOST)
        .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())
        .unwrap_or_default();
    let path = req.uri().path().to_owned();
    let body = req.into_body().collect().await?.to_bytes();
    let text = format!("{name} {host} {path} {}", body.len());
    Ok(Response::new(Full::new(Bytes::from(text))))
}

/// An address nothing listens on (bound, then closed).
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

pub async fn gateway() -> Gateway {
    Gateway::bind("127.0.0.1:0".parse().unwrap(), GatewayConfig::default())
        .await
        .unwrap()
}

pub fn remote(addrs: &[SocketAddr]) -> Instances {
    Instances {
        local: vec![],
        remote: addrs.to_vec(),
    }
}

/// `<app>.app.localhost` and `<component>.<app>.app.localhost` to the component's first port.
pub fn one_app(app: &str, component: &str, instances: Instances) -> RouteTable {
    let mut table = RouteTable::new();
    let target = Target::first_port(app, component);
    table
        .route(&format!("{app}.app.localhost"), target.clone())
        .unwrap();
    table
        .route(&format!("{component}.{app}.app.localhost"), target.clone())
        .unwrap();
    table.set_instances(target, instances);
    table
}

/// One request on a fresh connection: status, content type and body.
pub async fn send(
    gw: &Gateway,
    method: Method,
    host: &str,
    path: &str,
    body: Bytes,
) -> (StatusCode, String, String) {
    let stream = TcpStream::connect(gw.local_addr()).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, host)
        .body(Full::new(body))
        .unwrap();
    let response = sender.send_request(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let kind = parts
        .headers
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        parts.status,
        kind,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

pub async fn get(gw: &Gateway, host: &str) -> (StatusCode, String, String) {
    send(gw, Method::GET, host, "/hello", Bytes::new()).await
}

/// The `error.code` of a JSON refusal.
pub fn error_code(kind: &str, body: &str) -> String {
    assert_eq!(kind, "application/json", "{body}");
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["error"]["code"].as_str().unwrap().to_owned()
}

/// Raw bytes in, whatever comes back until the gateway closes (a reset counts as the end).
pub async fn raw(gw: &Gateway, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(gw.local_addr()).await.unwrap();
    let _ = stream.write_all(request).await;
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}
