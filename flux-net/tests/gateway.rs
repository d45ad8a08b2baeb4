//! The app gateway against local upstreams (hyper servers on 127.0.0.1, port 0; no Docker):
//! routing by each host form, refusals, spreading, retries, upgrades, hostile requests, metrics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "gateway/support.rs"]
mod support;

use flux_core::{ChainId, ChainParams};
use flux_net::gateway::{Gateway, GatewayConfig, Instances, RouteTable, Target, Unrouted};
use flux_nodes::app::AppSpec;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Bytes, Frame};
use hyper::header::HOST;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn each_host_form_reaches_its_component() {
    let (web, api) = (upstream("web").await, upstream("api").await);
    let gw = gateway().await;
    let mut table = RouteTable::new();
    let (w, a) = (
        Target::first_port("shop", "web"),
        Target::first_port("shop", "api"),
    );
    for (host, target) in [
        ("shop.app.localhost", &w),
        ("web.shop.app.localhost", &w),
        ("api.shop.app.localhost", &a),
        ("shop.example.com", &a),
    ] {
        table.route(host, target.clone()).unwrap();
    }
    table.set_instances(w, remote(&[web.addr]));
    table.set_instances(a, remote(&[api.addr]));
    gw.routes().replace(table);

    for (host, want) in [
        ("shop.app.localhost", "web"),
        ("web.shop.app.localhost", "web"),
        ("API.Shop.App.Localhost:20080", "api"),
        ("shop.example.com.", "api"),
    ] {
        let (status, _, body) = get(&gw, host).await;
        assert_eq!(status, StatusCode::OK, "{host}: {body}");
        // The app sees the name it was reached by, unchanged.
        assert_eq!(body, format!("{want} {host} /hello 0"), "{host}");
    }
    assert_eq!((web.hits(), api.hits()), (2, 2));
    // An absolute-form target names the host; the Host header is ignored (RFC 9112 §3.2.2).
    let answer = raw(
        &gw,
        b"GET http://api.shop.app.localhost/abs HTTP/1.1\r\nHost: nobody.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        answer.ends_with("api api.shop.app.localhost /abs 0"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_spec_is_routed_by_the_hosting_plans_names() {
    let (web, api) = (upstream("web").await, upstream("api").await);
    let gw = gateway().await;
    let spec = r#"{"version":8,"name":"shop","description":"","owner":"o","compose":[
        {"name":"web","description":"","repotag":"web:1","ports":[31000],"containerPorts":[80],"domains":[""],
         "environmentParameters":[],"commands":[],"containerData":"","cpu":0.5,"ram":500,"hdd":5},
        {"name":"api","description":"","repotag":"api:1","ports":[31001],"containerPorts":[80],"domains":["Shop.Example.com"],
         "environmentParameters":[],"commands":[],"containerData":"","cpu":0.5,"ram":500,"hdd":5}],
        "instances":3,"expire":5000}"#;
    let spec = AppSpec::from_json_lenient(spec.as_bytes(), &ChainParams::devnet().apps).unwrap();
    let plan = flux_nodes::hosting::routes([&spec], "app.localhost");
    assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
    // Each test upstream stands for the component's instance on another node.
    let table = RouteTable::from_plan(&plan, |route| match route.component.as_str() {
        "web" => remote(&[web.addr]),
        _ => remote(&[api.addr]),
    });
    gw.routes().replace(table);
    for (host, want) in [
        ("shop.app.localhost", "web"),
        ("web.shop.app.localhost", "web"),
        ("api.shop.app.localhost", "api"),
        ("shop.example.com", "api"),
    ] {
        let (status, _, body) = get(&gw, host).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, format!("{want} {host} /hello 0"))
        );
    }
}

#[tokio::test]
async fn refusals_are_json_with_the_right_status() {
    let gw = gateway().await;
    gw.routes()
        .replace(one_app("idle", "web", Instances::default()));

    let (status, kind, body) = get(&gw, "nobody.app.localhost").await;
    assert_eq!(
        (status, error_code(&kind, &body).as_str()),
        (StatusCode::NOT_FOUND, "unknown_host")
    );
    let (status, kind, body) = get(&gw, "127.0.0.1:80").await;
    assert_eq!(
        (status, error_code(&kind, &body).as_str()),
        (StatusCode::NOT_FOUND, "unknown_host")
    );
    let (status, kind, body) = get(&gw, "idle.app.localhost").await;
    assert_eq!(
        (status, error_code(&kind, &body).as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "no_instance")
    );
    let (status, kind, body) = get(&gw, "bad host").await;
    assert_eq!(
        (status, error_code(&kind, &body).as_str()),
        (StatusCode::BAD_REQUEST, "bad_host")
    );
    let m = gw.metrics();
    assert_eq!(m.unrouted(Unrouted::UnknownHost), 2);
    assert_eq!(m.unrouted(Unrouted::BadHost), 1);
    assert_eq!(m.responses("idle", 5), 1);
}

#[tokio::test]
async fn requests_spread_over_every_instance() {
    let ups = [
        upstream("a").await,
        upstream("b").await,
        upstream("c").await,
    ];
    let gw = gateway().await;
    let addrs: Vec<_> = ups.iter().map(|u| u.addr).collect();
    let table = one_app("shop", "web", remote(&addrs));
    gw.routes().replace(table);
    for _ in 0..30 {
        assert_eq!(get(&gw, "shop.app.localhost").await.0, StatusCode::OK);
    }
    for u in &ups {
        assert!(
            u.hits() > 0,
            "an instance got nothing: {:?}",
            ups.iter().map(Upstream::hits).collect::<Vec<_>>()
        );
    }
    assert_eq!(ups.iter().map(Upstream::hits).sum::<u64>(), 30);
}

#[tokio::test]
async fn local_instances_are_used_first() {
    let (mine, theirs) = (upstream("mine").await, upstream("theirs").await);
    let gw = gateway().await;
    let table = one_app(
        "shop",
        "web",
        Instances {
            local: vec![mine.addr],
            remote: vec![theirs.addr],
        },
    );
    gw.routes().replace(table);
    for _ in 0..5 {
        assert!(get(&gw, "shop.app.localhost").await.2.starts_with("mine "));
    }
    assert_eq!(theirs.hits(), 0);
}

#[tokio::test]
async fn a_closed_instance_fails_no_request() {
    let (a, b) = (upstream("a").await, upstream("b").await);
    let dead = closed_port().await;
    let gw = gateway().await;
    let table = one_app("shop", "web", remote(&[dead, a.addr, b.addr]));
    gw.routes().replace(table);
    for i in 0..12 {
        // POST too: a connect failure sent nothing, so even a non-idempotent request moves on.
        let method = if i % 2 == 0 {
            Method::GET
        } else {
            Method::POST
        };
        let (status, _, body) = send(
            &gw,
            method,
            "shop.app.localhost",
            "/",
            Bytes::from_static(b"payload"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "request {i}: {body}");
    }
    assert_eq!(a.hits() + b.hits(), 12);
    assert!(gw.metrics().retries("shop") >= 1);
}

#[tokio::test]
async fn every_instance_down_is_502() {
    let gw = gateway().await;
    let table = one_app(
        "shop",
        "web",
        remote(&[closed_port().await, closed_port().await]),
    );
    gw.routes().replace(table);
    let (status, kind, body) = get(&gw, "shop.app.localhost").await;
    assert_eq!(
        (status, error_code(&kind, &body).as_str()),
        (StatusCode::BAD_GATEWAY, "upstream_failed")
    );
    assert_eq!(gw.metrics().responses("shop", 5), 1);
}

#[tokio::test]
async fn a_silent_instance_times_out_and_only_safe_requests_move_on() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let web = upstream("web").await;
    let config = GatewayConfig {
        response_timeout: std::time::Duration::from_millis(300),
        ..GatewayConfig::default()
    };
    let gw = Gateway::bind("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    gw.routes()
        .replace(one_app("shop", "web", remote(&[silent, web.addr])));
    // The first request goes to the silent instance first: a GET is sent again elsewhere.
    let (status, _, body) = get(&gw, "shop.app.localhost").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(gw.metrics().retries("shop"), 1);
    // A POST whose body went out is not replayed on the other instance.
    gw.routes()
        .replace(one_app("shop", "web", remote(&[silent, web.addr])));
    let (status, kind, body) = send(
        &gw,
        Method::POST,
        "shop.app.localhost",
        "/",
        Bytes::from_static(b"order"),
    )
    .await;
    assert_eq!(
        (status, error_code(&kind, &body).as_str()),
        (StatusCode::BAD_GATEWAY, "upstream_failed")
    );
    assert_eq!(web.hits(), 1);
}

#[tokio::test]
async fn bodies_stream_through() {
    let web = upstream("web").await;
    let gw = gateway().await;
    let table = one_app("shop", "web", remote(&[web.addr]));
    gw.routes().replace(table);
    let big = Bytes::from(vec![7u8; 4 << 20]);
    let (status, _, body) = send(&gw, Method::PUT, "shop.app.localhost", "/up", big).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "web shop.app.localhost /up 4194304")
    );
    // A chunked body of unknown length (no Content-Length) streams through as well.
    let stream = TcpStream::connect(gw.local_addr()).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let chunks = (0..64)
        .map(|_| Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from(vec![1u8; 1 << 16]))));
    let req = Request::builder()
        .method(Method::POST)
        .uri("/chunked")
        .header(HOST, "shop.app.localhost")
        .body(StreamBody::new(futures::stream::iter(chunks)))
        .unwrap();
    let response = sender.send_request(req).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "web shop.app.localhost /chunked 4194304");
}

#[tokio::test]
async fn upgrades_pass_through_both_ways() {
    let web = upstream("web").await;
    let gw = gateway().await;
    let table = one_app("chat", "ws", remote(&[web.addr]));
    gw.routes().replace(table);

    let mut stream = TcpStream::connect(gw.local_addr()).await.unwrap();
    stream
        .write_all(b"GET /ws HTTP/1.1\r\nHost: chat.app.localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(
            stream.read(&mut byte).await.unwrap(),
            1,
            "closed mid-head: {head:?}"
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: echo"), "{head}");
    for message in [&b"ping"[..], b"a longer second message"] {
        stream.write_all(message).await.unwrap();
        let mut back = vec![0u8; message.len()];
        stream.read_exact(&mut back).await.unwrap();
        assert_eq!(back, message);
    }
    assert_eq!(gw.metrics().responses("chat", 1), 1);
}

#[tokio::test]
async fn hostile_requests_get_a_4xx_and_the_gateway_keeps_serving() {
    let web = upstream("web").await;
    let gw = gateway().await;
    let table = one_app("shop", "web", remote(&[web.addr]));
    gw.routes().replace(table);

    // A Host far beyond a DNS name: refused by the gateway's own check.
    let long = format!(
        "GET / HTTP/1.1\r\nHost: {}.app.localhost\r\nConnection: close\r\n\r\n",
        "a".repeat(4000)
    );
    let answer = raw(&gw, long.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("bad_host"), "{answer}");
    // Bytes no DNS name has, in an otherwise well-formed head.
    let odd = raw(
        &gw,
        b"GET / HTTP/1.1\r\nHost: sh\xffop.app.localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(odd.starts_with("HTTP/1.1 400"), "{odd}");
    // No Host at all (HTTP/1.0 may omit it).
    let none = raw(&gw, b"GET / HTTP/1.0\r\n\r\n").await;
    assert!(
        none.starts_with("HTTP/1.0 400") || none.starts_with("HTTP/1.1 400"),
        "{none}"
    );
    assert!(none.contains("missing_host"), "{none}");
    // Not HTTP at all: hyper's 400.
    let garbage = raw(&gw, b"\x00\x01\x02 GARBAGE \xff\r\n\r\n").await;
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    // A head over the limit: 431, or a reset if the gateway closed before reading it all.
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: shop.app.localhost\r\nX-Junk: {}\r\n\r\n",
        "j".repeat(64 << 10)
    );
    let answer = raw(&gw, huge.as_bytes()).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );

    let (status, _, body) = get(&gw, "shop.app.localhost").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(web.hits(), 1);
}

#[tokio::test]
async fn the_table_swaps_at_runtime_and_metrics_count_per_app() {
    let web = upstream("web").await;
    let gw = gateway().await;
    let routes = gw.routes();
    assert_eq!(
        get(&gw, "shop.app.localhost").await.0,
        StatusCode::NOT_FOUND
    );

    let table = one_app("shop", "web", remote(&[web.addr]));
    routes.replace(table);
    for _ in 0..3 {
        assert_eq!(get(&gw, "shop.app.localhost").await.0, StatusCode::OK);
    }
    routes.replace(RouteTable::new());
    assert_eq!(
        get(&gw, "shop.app.localhost").await.0,
        StatusCode::NOT_FOUND
    );

    let m = gw.metrics();
    assert_eq!((m.requests("shop"), m.responses("shop", 2)), (3, 3));
    let text = m.render_prometheus(ChainId::DEVNET);
    assert!(
        text.contains(
            "flux_gateway_requests_total{chain_id=\"1179407706\",app=\"shop\",code=\"2xx\"} 3\n"
        ),
        "{text}"
    );
    assert!(text.contains(
        "flux_gateway_request_duration_seconds_count{chain_id=\"1179407706\",app=\"shop\"} 3\n"
    ));
    assert!(text.contains(
        "flux_gateway_unrouted_total{chain_id=\"1179407706\",reason=\"unknown_host\"} 2\n"
    ));
    gw.shutdown().await;
}
