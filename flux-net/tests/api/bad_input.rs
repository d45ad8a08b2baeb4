//! Bad input of every kind gets a 4xx with a JSON error body, never a 5xx, a crash or text.

use proptest::prelude::*;

use crate::support::{Env, address, key, raw_request, transfer, tx_body};
use flux_core::Network;

#[test]
fn malformed_submissions() {
    let env = Env::devnet();
    let good = transfer(&key(1), 0, address(&key(2)), 1);
    let bytes = flux_core::codec::encode(&good).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "bad_json"),
        (b"{".to_vec(), "bad_json"),
        (b"[1,2]".to_vec(), "bad_json"),
        (b"{\"tx\":5}".to_vec(), "bad_json"),
        (b"{\"tx\":\"00\",\"extra\":1}".to_vec(), "bad_json"),
        (b"\xff\xfe".to_vec(), "bad_json"),
        (b"{\"tx\":\"zz\"}".to_vec(), "bad_hex"),
        (b"{\"tx\":\"abc\"}".to_vec(), "bad_hex"),
        (b"{\"tx\":\"\"}".to_vec(), "bad_tx_encoding"),
        (b"{\"tx\":\"00ff00ff\"}".to_vec(), "bad_tx_encoding"),
        (
            format!("{{\"tx\":\"{}00\"}}", flux_core::hex::encode(&bytes)).into_bytes(),
            "bad_tx_encoding",
        ),
        (
            format!(
                "{{\"tx\":\"{}\"}}",
                flux_core::hex::encode(&bytes[..bytes.len() - 1])
            )
            .into_bytes(),
            "bad_tx_encoding",
        ),
    ];
    for (body, expected) in cases {
        let raw = env.raw("POST", "/v1/txs", &body);
        assert_eq!(
            (raw.status, raw.code().as_str()),
            (400, expected),
            "{:?}",
            String::from_utf8_lossy(&body)
        );
    }
    // The same transaction well formed is accepted: the cases above failed for their form.
    let raw = env.raw("POST", "/v1/txs", &tx_body(&good));
    assert_eq!(raw.status, 202);
    assert_eq!(raw.json()["id"], good.id().unwrap().to_string());
}

#[test]
fn oversized_bodies_are_refused() {
    let env = Env::devnet();
    let mut body = b"{\"tx\":\"".to_vec();
    body.resize(2 * 1024 * 1024, b'0');
    body.extend_from_slice(b"\"}");
    let raw = env.raw("POST", "/v1/txs", &body);
    assert_eq!((raw.status, raw.code().as_str()), (413, "body_too_large"));
    // Without a length: streamed in chunks past the limit.
    let raw = raw_request(
        env.addr,
        "POST",
        "/v1/txs",
        &[("Transfer-Encoding", "chunked")],
        &chunked(&body),
    );
    assert_eq!((raw.status, raw.code().as_str()), (413, "body_too_large"));
}

fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in body.chunks(64 * 1024) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn bad_routes_methods_and_parameters() {
    let env = Env::devnet();
    let mainnet = address(&key(1)).to_bech32(Network::Mainnet);
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("GET", "/nope".into(), 404, "not_found"),
        ("GET", "/v1".into(), 404, "not_found"),
        ("GET", "/v1/status/extra".into(), 404, "not_found"),
        ("GET", "/v1/blocks/".into(), 404, "not_found"),
        ("DELETE", "/v1/status".into(), 405, "method_not_allowed"),
        ("POST", "/v1/status".into(), 405, "method_not_allowed"),
        ("GET", "/v1/txs".into(), 405, "method_not_allowed"),
        ("PUT", "/v1/accounts/x".into(), 405, "method_not_allowed"),
        ("GET", "/v1/blocks/abc".into(), 400, "bad_height"),
        ("GET", "/v1/blocks/-1".into(), 400, "bad_height"),
        (
            "GET",
            "/v1/blocks/99999999999999999999999".into(),
            400,
            "bad_height",
        ),
        ("GET", "/v1/blocks/7".into(), 404, "not_found"),
        ("GET", "/v1/txs/zz".into(), 400, "bad_tx_id"),
        (
            "GET",
            format!("/v1/txs/{}", "ab".repeat(31)),
            400,
            "bad_tx_id",
        ),
        (
            "GET",
            format!("/v1/txs/{}", "ab".repeat(32)),
            404,
            "not_found",
        ),
        (
            "GET",
            "/v1/accounts/notanaddress".into(),
            400,
            "bad_address",
        ),
        ("GET", format!("/v1/accounts/{mainnet}"), 400, "bad_address"),
        (
            "GET",
            format!("/v1/accounts/{mainnet}/proof"),
            400,
            "bad_address",
        ),
        ("GET", "/v1/accounts/%FF%FE".into(), 400, "bad_path"),
        ("GET", "/v1/apps/%FF".into(), 400, "bad_path"),
        ("GET", "/v1/apps/nothing".into(), 404, "not_found"),
        ("GET", "/v1/nodes?tier=gold".into(), 400, "bad_tier"),
        ("GET", "/v1/nodes?tier=%FF".into(), 400, "bad_tier"),
        (
            "GET",
            "/v1/nodes?tier=cumulus&tier=nimbus".into(),
            400,
            "bad_query",
        ),
    ];
    for (method, target, status, code) in cases {
        let raw = env.raw(method, &target, b"");
        assert_eq!(
            (raw.status, raw.code().as_str()),
            (status, code),
            "{method} {target}"
        );
    }
}

fn path() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec![
        "/",
        "/v1/",
        "/v1/status",
        "/v1/params",
        "/v1/blocks/",
        "/v1/txs/",
        "/v1/txs",
        "/v1/accounts/",
        "/v1/nodes",
        "/v1/nodes?tier=",
        "/v1/apps",
        "/v1/apps/",
        "/metrics",
    ]);
    // Characters valid in a request target, and percent escapes (valid UTF-8 or not).
    let tail = prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9._~!$&'()*+,;=:@/?-]{1,8}",
            "%[0-9A-F]{2}",
            Just("latest".to_owned()),
            Just("/proof".to_owned()),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat());
    (prefix, tail).prop_map(|(p, t)| format!("{p}{t}"))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let good = flux_core::codec::encode(&transfer(&key(1), 0, address(&key(2)), 1)).unwrap();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "[0-9a-f]{0,300}".prop_map(|h| format!("{{\"tx\":\"{h}\"}}").into_bytes()),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(move |(i, b)| {
            let mut bytes = good.clone();
            let at = i.index(bytes.len());
            bytes[at] ^= b.max(1);
            format!("{{\"tx\":\"{}\"}}", flux_core::hex::encode(&bytes)).into_bytes()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Random methods, paths and bodies: never a 5xx, and every answer but `/metrics` is JSON.
    #[test]
    fn random_requests_never_fail_the_server(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
        target in path(),
        body in body(),
    ) {
        static ENV: std::sync::OnceLock<Env> = std::sync::OnceLock::new();
        let env = ENV.get_or_init(Env::devnet);
        {
            let raw = env.raw(method, &target, &body);
            prop_assert!(raw.status < 500, "{method} {target}: {}", raw.status);
            if !(raw.status == 200 && target.starts_with("/metrics")) {
                let json = raw.json();
                if raw.status >= 400 {
                    prop_assert!(json["error"]["code"].is_string(), "{json}");
                    prop_assert!(json["error"]["message"].is_string(), "{json}");
                }
            }
        }
    }
}

#[test]
fn swap_routes_refuse_bad_input() {
    // A backend without a swap desk (a standalone API): burns cannot be asked for.
    let env = Env::devnet();
    let id = "ab".repeat(32);
    let cases: Vec<(&str, String, &[u8], u16, &str)> = vec![
        ("GET", "/v1/swaps/xyz".into(), b"", 400, "bad_swap_id"),
        ("GET", format!("/v1/swaps/{id}"), b"", 404, "not_found"),
        (
            "GET",
            "/v1/swaps/burns/dogecoin/ab".into(),
            b"",
            400,
            "bad_chain",
        ),
        (
            "GET",
            "/v1/swaps/burns/solana/zz".into(),
            b"",
            400,
            "bad_reference",
        ),
        (
            "GET",
            "/v1/swaps/burns/solana/ab".into(),
            b"",
            404,
            "not_found",
        ),
        ("POST", "/v1/swaps/burns".into(), b"{", 400, "bad_json"),
        (
            "POST",
            "/v1/swaps/burns".into(),
            b"{\"chain\":\"solana\"}",
            400,
            "bad_json",
        ),
        (
            "PUT",
            "/v1/swaps/burns".into(),
            b"",
            405,
            "method_not_allowed",
        ),
    ];
    for (method, target, body, status, code) in cases {
        let raw = env.raw(method, &target, body);
        assert_eq!(
            (raw.status, raw.code().as_str()),
            (status, code),
            "{method} {target}"
        );
    }
    let burn = |amount: &str, reference: &str| {
        format!(
            "{{\"chain\":\"solana\",\"reference\":{reference},\"amount\":\"{amount}\",\"recipient\":\"{}\"}}",
            "11".repeat(20)
        )
    };
    for (body, why) in [
        (burn("0", "[1,2]"), "positive amount"),
        (burn("1", "[]"), "expected 1..=128"),
        (
            burn("1", &format!("{:?}", vec![7u8; 129])),
            "expected 1..=128",
        ),
        (burn("1", "[1,2]"), "does not collect"),
    ] {
        let raw = env.raw("POST", "/v1/swaps/burns", body.as_bytes());
        assert_eq!(
            (raw.status, raw.code().as_str()),
            (400, "bad_burn"),
            "{body}"
        );
        assert!(
            raw.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains(why),
            "{body}"
        );
    }
    // The supply of a devnet genesis: nothing locked, the cap above the total.
    let raw = env.raw("GET", "/v1/supply", b"");
    assert_eq!(raw.status, 200);
    let supply = raw.json();
    assert_eq!(supply["locked"], "0");
    assert_eq!(supply["chains"].as_array().unwrap().len(), 10);
    assert_eq!(supply["cap"], "440000000");
}
