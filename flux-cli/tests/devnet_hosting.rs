//! `flux devnet` hosts its sample app: with a Docker Engine it builds the app's image from the
//! `flux` binary, its nodes run the instances, it prints the `curl` line once every instance
//! serves, and the app answers through node 0's gateway and through another node's; Ctrl-C
//! (SIGINT) stops the validators and removes every container of the devnet's nodes.
//! Skipped with a notice without a Docker Engine, a failure under `FLUX_REQUIRE_DOCKER=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use flux_net::devnet::{Addresses, Layout};
use flux_net::runtime::Runtime;
use flux_net::testkit::docker::{DockerCleanup, docker_or_skip};
use flux_net::testkit::wait::wait_for_async_within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Kills the devnet if the test fails midway.
struct Devnet(Option<Child>);

impl Drop for Devnet {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One HTTP/1.1 GET with `host`; the status and body.
async fn get(addr: SocketAddr, host: &str) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    Some((status, text.split_once("\r\n\r\n")?.1.to_owned()))
}

/// `curl -H 'Host: H' http://ADDR/` -> (H, ADDR).
fn parse_curl(line: &str) -> Option<(String, SocketAddr)> {
    let rest = line.trim().strip_prefix("curl -H 'Host: ")?;
    let (host, rest) = rest.split_once("' http://")?;
    Some((host.to_owned(), rest.trim_end_matches('/').parse().ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devnet_hosts_its_sample_app_and_removes_its_containers_on_ctrl_c() {
    let test = "devnet_hosts_its_sample_app";
    let Some(docker) = docker_or_skip(test).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(["devnet", "--validators", "4", "--api-port", "0", "--dir"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut devnet = Devnet(Some(child));
    let stdout = devnet.0.as_mut().unwrap().stdout.take().unwrap();
    let (lines, seen) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    let (host, gateway0) = wait_for_async_within(
        "the devnet's curl line",
        Duration::from_secs(300),
        async || {
            while let Ok(line) = seen.try_recv() {
                assert!(!line.starts_with("hosting is off"), "{line}");
                assert!(!line.contains("does not serve"), "{line}");
                let curl = parse_curl(&line);
                printed.push(line);
                if curl.is_some() {
                    return curl;
                }
            }
            None
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}; printed:\n{}", printed.join("\n")));
    assert_eq!(host, "hellodevnet.app.localhost");

    // The layout as the running devnet wrote it (not reopened: that would rewrite configs).
    let layout = Layout {
        dir: dir.path().to_path_buf(),
        validators: 4,
        api_port: 0,
        gateway_port: Some(0),
    };
    let node_ids: Vec<String> = layout
        .node_ids()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut cleanup = DockerCleanup::new(test);
    for id in &node_ids {
        cleanup.node(id);
    }
    assert_eq!(
        Addresses::read(&layout.node_dir(0)).and_then(|a| a.gateway),
        Some(gateway0)
    );

    // Through node 0's gateway and through every other node's.
    for i in 0..4 {
        let gateway = layout.gateway_addr(i).unwrap();
        let (status, body) = get(gateway, &host).await.unwrap();
        assert_eq!(status, 200, "node{i}'s gateway {gateway}: {body}");
        assert!(
            body.starts_with("hello from the flux devnet (instance "),
            "{body}"
        );
    }
    let running: usize = {
        let mut n = 0;
        for id in &node_ids {
            n += docker.list(Some(id)).await.unwrap().len();
        }
        n
    };
    assert_eq!(running, 3, "one container per instance");

    // Ctrl-C: the validators stop and the devnet's containers and networks go.
    let pid = devnet.0.as_ref().unwrap().id().to_string();
    let signalled = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(signalled.success());
    let mut child = devnet.0.take().unwrap();
    let status = wait_for_async_within(
        "flux devnet to exit",
        Duration::from_secs(120),
        async || child.try_wait().unwrap(),
    )
    .await
    .unwrap();
    let rest: Vec<String> = seen.try_iter().collect();
    assert!(status.success(), "{status}: {}", rest.join("\n"));
    assert!(
        rest.iter()
            .any(|l| l.contains("stopped 4 validators cleanly; removed 3 containers")),
        "{}",
        rest.join("\n")
    );
    for id in &node_ids {
        assert!(docker.list(Some(id)).await.unwrap().is_empty(), "{id}");
        assert!(
            docker.list_networks(Some(id)).await.unwrap().is_empty(),
            "{id}"
        );
    }
    cleanup.clean(&docker).await.unwrap();
}
