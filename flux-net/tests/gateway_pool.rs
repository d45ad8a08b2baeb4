//! The gateway's own pool of connections to app instances: kept connections carry the
//! requests of many clients, and connections an app closed are replaced without a retry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "gateway/support.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flux_net::gateway::Gateway;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use support::*;
use tokio::net::TcpListener;

/// An app instance answering `ok` that counts the connections it accepted; with `keep_alive`
/// false it closes each connection after one response (`Connection: close`).
async fn counting_upstream(keep_alive: bool) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let service = service_fn(|_req| async {
                    Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = http1::Builder::new()
                    .keep_alive(keep_alive)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, accepted)
}

/// Five requests through `gw` to `shop`, one connection each: every one answers `ok`.
async fn five_requests_answered(gw: &Gateway) {
    for i in 0..5 {
        let (status, _, body) = get(gw, "shop.app.localhost").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "ok"),
            "request {i}"
        );
    }
}

/// Replays clients that each open a connection for one request: the gateway carries all of
/// them on one kept connection to the instance (it is handed back before the client has read
/// the response's end, so each next request finds it idle).
#[tokio::test]
async fn kept_connections_serve_requests_of_every_client() {
    let (addr, accepted) = counting_upstream(true).await;
    let gw = gateway().await;
    gw.routes().replace(one_app("shop", "web", remote(&[addr])));
    five_requests_answered(&gw).await;
    assert_eq!(accepted.load(Ordering::Relaxed), 1);
}

/// Replays an app that closes every connection after one response: the kept connection the
/// gateway finds closed is replaced by a new one, which fails no request and counts no retry.
#[tokio::test]
async fn connections_the_app_closed_are_replaced_unseen() {
    let (addr, accepted) = counting_upstream(false).await;
    let gw = gateway().await;
    gw.routes().replace(one_app("shop", "web", remote(&[addr])));
    five_requests_answered(&gw).await;
    assert_eq!(accepted.load(Ordering::Relaxed), 5);
    assert_eq!(gw.metrics().retries("shop"), 0);
}
