//! Helpers for hosting tests and benchmarks: a FluxOS v8 spec of the sample app, its chain
//! price, and one plain HTTP request through a gateway.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use flux_core::Amount;
use flux_nodes::app::AppSpec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::wait::{WaitError, wait_for_async_within};
use crate::hosting::HostingConfig;
use crate::node::Node;

/// A port free on 127.0.0.1 right now (bound to port 0, then released; `None` if the OS
/// gives none).
pub fn free_port() -> Option<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).ok()?;
    listener.local_addr().ok().map(|a| a.port())
}

/// A test node's `[hosting]`: a gateway on an OS-chosen port of 127.0.0.1, containers tagged
/// `tag` (tests share one engine), a reconcile pass every 300 ms, the engine of `docker` (`None`:
/// `DOCKER_HOST`, else the default socket).
///
/// ```
/// let config = flux_net::testkit::hosting::test_hosting("t1", None);
/// assert_eq!(config.node_tag.as_deref(), Some("t1"));
/// ```
pub fn test_hosting(tag: &str, docker: Option<String>) -> HostingConfig {
    HostingConfig {
        docker,
        gateway: Some((Ipv4Addr::LOCALHOST, 0).into()),
        node_tag: Some(tag.to_owned()),
        reconcile_interval_ms: 300,
        ..HostingConfig::default()
    }
}

/// The FluxOS v8 JSON of an app `name` with one component `web` running `image` (the sample
/// app: it listens on 8080 and answers `message`), published on `port`, `instances` instances.
///
/// ```
/// let json = flux_net::testkit::hosting::sample_spec("hello", "sample:1", 31000, "hi", 3);
/// assert!(json.contains("\"repotag\":\"sample:1\""));
/// ```
pub fn sample_spec(name: &str, image: &str, port: u16, message: &str, instances: u32) -> String {
    serde_json::json!({
        "version": 8, "name": name, "description": "hosting test",
        "owner": "1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
        "compose": [{
            "name": "web", "description": "sample", "repotag": image,
            "ports": [port], "domains": [], "containerPorts": [8080],
            "environmentParameters": ["PORT=8080", format!("MESSAGE={message}")],
            "commands": [], "containerData": "/data",
            "cpu": 0.1, "ram": 100, "hdd": 1, "repoauth": ""
        }],
        "instances": instances, "contacts": [], "geolocation": [], "expire": 5000,
        "nodes": [], "staticip": false, "enterprise": ""
    })
    .to_string()
}

/// The chain's price of registering `json` on `node` (an `AppRegister` must name it exactly;
/// for an `AppUpdate` it is a sufficient ceiling). `None` if the spec is refused.
pub fn price(node: &Node, json: &str) -> Option<Amount> {
    let chain = node.chain().read().ok()?;
    let params = chain.state().params();
    let spec = AppSpec::from_json_strict(json.as_bytes(), &params.apps).ok()?;
    spec.price(&params.apps.prices).ok().map(|p| p.total)
}

/// One HTTP/1.1 `GET /` to `gateway` with `Host: host`, the connection closed after it:
/// the status and the body, or `None` if the exchange failed.
pub async fn get(gateway: SocketAddr, host: &str) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(gateway).await.ok()?;
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

/// Waits until `gateway` answers `host` with 200 and a body containing `message`.
///
/// # Errors
/// [`WaitError`] naming `what` if it did not within `deadline`.
pub async fn wait_answer(
    what: &str,
    deadline: Duration,
    gateway: SocketAddr,
    host: &str,
    message: &str,
) -> Result<(), WaitError> {
    wait_for_async_within(what, deadline, async || {
        get(gateway, host)
            .await
            .filter(|(s, b)| *s == 200 && b.contains(message))
            .map(|_| ())
    })
    .await
}

/// Sends `requests` requests one after the other through `gateway`, each on a new connection:
/// every one must answer 200 with `message` (no failed request).
///
/// # Errors
/// The first request that did not, with its number and what came back.
pub async fn burst(
    gateway: SocketAddr,
    host: &str,
    message: &str,
    requests: u32,
) -> Result<(), String> {
    for n in 0..requests {
        let answer = get(gateway, host).await;
        if !answer
            .as_ref()
            .is_some_and(|(s, b)| *s == 200 && b.contains(message))
        {
            return Err(format!("request {n} through {gateway} failed: {answer:?}"));
        }
    }
    Ok(())
}
