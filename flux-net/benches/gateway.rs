//! Requests per second to a trivial app through the gateway against the same app directly, over
//! 64 keep-alive connections: `gateway/direct/64` and `gateway/via_gateway/64` (an iteration is
//! one request on each connection, every connection sending its requests one after the other;
//! criterion reports requests per second as elements per second), then one more timed round of
//! each printed as a ratio (`gateway/ratio`; issue 21's target: at least 0.5).
//!
//! The app (a hyper server answering `ok`) and the gateway share a 2-thread runtime; the client
//! runs on its own thread (`FLUX_GATEWAY_BENCH_THREADS=1` gives the runtime one worker instead:
//! measured, it changes neither rate much). `cargo bench -p flux-net --bench gateway`.
//!
//! With `-- --serve` it only starts the app and the gateway, prints their addresses and the
//! host name, and serves until stdin closes: `scripts/gateway-bench.sh` drives it with wrk.

#![allow(missing_docs)] // criterion's macros generate undocumented items
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::convert::Infallible;
use std::io::Read as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use flux_net::gateway::{Gateway, GatewayConfig, Instances, RouteTable, Target};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::HOST;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

const CONNECTIONS: usize = 64;
const HOST_NAME: &str = "bench.app.localhost";

/// The app and the gateway in front of it, on their own runtime (serving until dropped).
struct Setup {
    app: SocketAddr,
    gateway: SocketAddr,
    _gateway: Gateway,
    rt: tokio::runtime::Runtime,
}

/// The gateway in front of an app: this process's own hyper app, or `upstream` (the sample
/// app in a container, through its published port).
fn setup(upstream: Option<SocketAddr>) -> Setup {
    let threads = std::env::var("FLUX_GATEWAY_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    let (app, gateway) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = upstream.unwrap_or(listener.local_addr().unwrap());
        if upstream.is_some() {
            drop(listener);
        } else {
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(async move {
                        let service = service_fn(|_req| async {
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        }
        let gateway = Gateway::bind("127.0.0.1:0".parse().unwrap(), GatewayConfig::default())
            .await
            .unwrap();
        let mut table = RouteTable::new();
        let target = Target::first_port("bench", "web");
        table.route(HOST_NAME, target.clone()).unwrap();
        table.set_instances(
            target,
            Instances {
                local: vec![app],
                remote: vec![],
            },
        );
        gateway.routes().replace(table);
        (app, gateway)
    });
    Setup {
        app,
        gateway: gateway.local_addr(),
        _gateway: gateway,
        rt,
    }
}

/// `CONNECTIONS` keep-alive connections to `addr`.
async fn connect(addr: SocketAddr) -> Vec<SendRequest<Empty<Bytes>>> {
    let mut senders = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        senders.push(sender);
    }
    senders
}

/// `per_connection` requests on each connection, the connections in parallel; the time taken.
async fn load(senders: &mut [SendRequest<Empty<Bytes>>], per_connection: u64) -> Duration {
    let started = Instant::now();
    let rounds = senders.iter_mut().map(|sender| async move {
        for _ in 0..per_connection {
            sender.ready().await.unwrap();
            let req = Request::builder()
                .uri("/")
                .header(HOST, HOST_NAME)
                .body(Empty::new())
                .unwrap();
            let response = sender.send_request(req).await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            response.into_body().collect().await.unwrap();
        }
    });
    futures::future::join_all(rounds).await;
    started.elapsed()
}

fn bench(c: &mut Criterion, setup: &Setup, client: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group("gateway");
    group.throughput(Throughput::Elements(CONNECTIONS as u64));
    group.sample_size(20);
    for (name, addr) in [("direct", setup.app), ("via_gateway", setup.gateway)] {
        let mut senders = client.block_on(connect(addr));
        group.bench_function(BenchmarkId::new(name, CONNECTIONS), |b| {
            b.iter_custom(|iters| client.block_on(load(&mut senders, iters)))
        });
    }
    group.finish();
}

/// Requests per second over `per_connection` requests on each connection to `addr`.
fn rate(client: &tokio::runtime::Runtime, addr: SocketAddr, per_connection: u64) -> u64 {
    let mut senders = client.block_on(connect(addr));
    client.block_on(load(&mut senders, per_connection / 10)); // warm-up
    let took = client.block_on(load(&mut senders, per_connection));
    let requests = u128::from(per_connection) * CONNECTIONS as u128;
    u64::try_from(requests * 1_000_000 / took.as_micros().max(1)).unwrap_or(u64::MAX)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let upstream = args
        .iter()
        .position(|a| a == "--upstream")
        .and_then(|i| args.get(i + 1))
        .map(|a| a.parse().expect("--upstream HOST:PORT"));
    let setup = setup(upstream);
    if args.iter().any(|a| a == "--serve") {
        println!(
            "direct={} gateway={} host={HOST_NAME}",
            setup.app, setup.gateway
        );
        // Serve until the driving script closes stdin.
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        drop(setup.rt);
        return;
    }
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &setup, &client);
    c.final_summary();
    let direct = rate(&client, setup.app, 200);
    let via = rate(&client, setup.gateway, 200);
    println!(
        "gateway/ratio: direct {direct} req/s, via gateway {via} req/s, gateway/direct = {}.{:02} (target >= 0.5)",
        via * 100 / direct.max(1) / 100,
        via * 100 / direct.max(1) % 100
    );
}
