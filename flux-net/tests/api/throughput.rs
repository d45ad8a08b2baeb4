//! Requests per second of `/v1/status` and `/v1/accounts/{address}` over 64 keep-alive
//! connections. Ignored by default (timing); run with
//! `cargo test --release -p flux-net --test api -- --ignored --nocapture throughput`.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Env, address, key, transfer};
use flux_core::Network;

const CONNECTIONS: usize = 64;

/// One keep-alive connection sending `target` until `end`; the number of 200 answers.
async fn hammer(addr: std::net::SocketAddr, target: String, end: Instant) -> u64 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut buf = vec![0u8; 64 * 1024];
    let mut done = 0;
    while Instant::now() < end {
        stream.write_all(request.as_bytes()).await.unwrap();
        // Read one answer: the head, then Content-Length bytes.
        let mut have = 0;
        let (head_end, length) = loop {
            let n = stream.read(&mut buf[have..]).await.unwrap();
            assert!(n > 0, "connection closed");
            have += n;
            if let Some(at) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&buf[..at])
                    .unwrap()
                    .to_ascii_lowercase();
                assert!(head.starts_with("http/1.1 200"), "{head}");
                let length: usize = head
                    .split("\r\n")
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                break (at + 4, length);
            }
        };
        while have < head_end + length {
            have += stream.read(&mut buf[have..]).await.unwrap();
        }
        done += 1;
    }
    done
}

fn measure(env: &Env, target: &str) -> f64 {
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seconds = 3.0;
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(seconds);
    let total: u64 = client_rt.block_on(async {
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|_| tokio::spawn(hammer(env.addr, target.to_owned(), end)))
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    });
    total as f64 / start.elapsed().as_secs_f64()
}

#[test]
#[ignore = "timing; run in release"]
fn throughput() {
    let env = Env::devnet();
    env.block_on(
        env.client
            .submit(&transfer(&key(1), 0, address(&key(2)), 1)),
    )
    .unwrap();
    env.commit_pool();
    let account = format!(
        "/v1/accounts/{}",
        address(&key(1)).to_bech32(Network::Devnet)
    );
    for target in ["/v1/status", account.as_str()] {
        let rate = measure(&env, target);
        println!("{target}: {rate:.0} requests/s over {CONNECTIONS} connections");
    }
}
