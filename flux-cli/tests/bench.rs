//! `flux bench` end to end: a small real run, and a clear error for a missing directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use std::process::{Command, Output};

fn flux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bench_json_reports_positive_figures_and_tiers() {
    let dir = tempfile::tempdir().unwrap();
    let out = flux(&[
        "bench",
        "--json",
        "--disk-mb",
        "8",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &json["report"];
    let resources = &report["hardware"]["resources"];
    for (name, value) in [
        ("cpu_threads", &resources["cpu_threads"]),
        ("ram_mb", &resources["ram_mb"]),
        ("ssd_gb", &resources["ssd_gb"]),
        ("cpu_cores", &report["hardware"]["cpu_cores"]),
        ("cpu_score", &report["cpu_score"]),
        ("disk_write_mbps", &report["disk_write_mbps"]),
    ] {
        assert!(value.as_u64().unwrap() > 0, "{name} = {value}");
    }
    assert_eq!(report["disk_bytes_written"], 8 * 1024 * 1024);
    assert_eq!(report["bandwidth_declared"], false);
    assert_eq!(json["network"], "mainnet");
    // Without a declared bandwidth no tier can be met, and every tier says bandwidth fails.
    assert_eq!(json["tiers_met"], serde_json::json!([]));
    let tiers = json["tiers"].as_array().unwrap();
    assert_eq!(tiers.len(), 3);
    for t in tiers {
        assert_eq!(t["met"], false);
        let fails: Vec<&str> = t["shortfalls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["requirement"].as_str().unwrap())
            .collect();
        assert!(fails.contains(&"bandwidth_mbps"), "{t}");
    }
    // The temporary file is gone.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn bench_text_with_declared_bandwidth_lists_each_tier() {
    let dir = tempfile::tempdir().unwrap();
    let out = flux(&[
        "bench",
        "--network",
        "devnet",
        "--disk-mb",
        "1",
        "--bandwidth",
        "1000",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("1000 Mbit/s (declared, not measured)"),
        "{text}"
    );
    for tier in ["cumulus", "nimbus", "stratus"] {
        assert!(text.contains(&format!("  {tier}")), "{text}");
    }
}

#[test]
fn bench_missing_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let out = flux(&[
        "bench",
        "--disk-mb",
        "1",
        "--dir",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no-such-dir"), "{err}");
    assert!(err.contains("benchmark failed"), "{err}");
    assert!(out.stdout.is_empty());
}
