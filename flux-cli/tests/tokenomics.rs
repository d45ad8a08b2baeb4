//! The `flux` binary end to end: `tokenomics` (JSON report and SVG chart) and `tiers`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use std::process::{Command, Output};

fn flux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn tokenomics_json_at_the_first_reduction() {
    let j = stdout_json(&flux(&["tokenomics", "--height", "1051200", "--json"]));
    let expected = [
        ("subsidy", "12.6"),
        ("cumulus", "0.945"),
        ("nimbus", "1.575"),
        ("stratus", "3.78"),
        ("dev_fund", "0.45"),
        ("work_pool", "5.85"),
        ("cumulative_emission", "14716798.6"),
        ("genesis_supply", "220000000"),
        ("supply", "234716798.6"),
        ("max_supply", "440000000"),
        ("max_emission", "147167977.254016"),
    ];
    for (field, value) in expected {
        assert_eq!(j[field], value, "{field}");
    }
    assert_eq!(j["height"], 1_051_200);
    assert_eq!(j["below_one_flux_height"], 27_331_200);
    assert_eq!(j["network"], "mainnet");
}

#[test]
fn tokenomics_at_genesis_and_on_devnet() {
    let j = stdout_json(&flux(&["tokenomics", "--height", "0", "--json"]));
    assert_eq!(j["subsidy"], "0");
    assert_eq!(j["work_pool"], "0");
    assert_eq!(j["cumulative_emission"], "0");
    let j = stdout_json(&flux(&[
        "tokenomics",
        "--network",
        "devnet",
        "--height",
        "1",
        "--json",
    ]));
    assert_eq!(j["subsidy"], "14");
    assert_eq!(j["genesis_supply"], "0");
    assert_eq!(j["supply"], "14");
    let text = flux(&["tokenomics", "--height", "1"]);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("useful-work pool:  6.5 FLUX"), "{text}");
    assert!(text.contains("from height 27331200"), "{text}");
}

#[test]
fn tokenomics_chart_writes_an_svg() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("supply.svg");
    let path = file.to_str().unwrap();
    let j = stdout_json(&flux(&["tokenomics", "--chart", path, "--json"]));
    assert_eq!(j["chart"], path);
    let svg = std::fs::read_to_string(&file).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    assert!(svg.trim_end().ends_with("</svg>"));
    // Balanced elements: every opened tag is closed or self-closing.
    let opened = svg.matches("<text").count();
    assert_eq!(opened, svg.matches("</text>").count());
    assert!(opened > 20, "axis labels and titles are text elements");
    for label in [
        "Total supply (million FLUX)",
        "cap 440000000 FLUX",
        "Useful-work pool",
        "Dev fund",
        "Cumulus",
    ] {
        assert!(svg.contains(label), "missing {label:?}");
    }
    // The cap line, the supply curve, and the five stacked areas.
    assert!(svg.contains("<polyline"));
    assert!(svg.matches("<polygon").count() >= 5);
}

#[test]
fn tokenomics_chart_to_a_bad_path_fails_cleanly() {
    let out = flux(&["tokenomics", "--chart", "/nonexistent-dir/x.svg"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent-dir/x.svg"), "{err}");
}

#[test]
fn tiers_json_is_the_spec_table() {
    let j = stdout_json(&flux(&["tiers", "--json"]));
    let tiers = j["tiers"].as_array().unwrap();
    let rows: Vec<_> = tiers
        .iter()
        .map(|t| {
            (
                t["tier"].as_str().unwrap().to_owned(),
                t["collateral"].as_str().unwrap().to_owned(),
                t["cpu_cores"].as_u64().unwrap(),
                t["cpu_threads"].as_u64().unwrap(),
                t["ram_mb"].as_u64().unwrap(),
                t["ssd_gb"].as_u64().unwrap(),
                t["bandwidth_mbps"].as_u64().unwrap(),
                t["vote_weight"].as_u64().unwrap(),
            )
        })
        .collect();
    let row = |t: &str, c: &str, cores, threads, ram, ssd, bw, vote| {
        (
            t.to_owned(),
            c.to_owned(),
            cores,
            threads,
            ram,
            ssd,
            bw,
            vote,
        )
    };
    assert_eq!(
        rows,
        [
            row("cumulus", "1000", 2, 4, 8_000, 220, 25, 10),
            row("nimbus", "12500", 4, 8, 32_000, 440, 50, 125),
            row("stratus", "40000", 8, 16, 64_000, 880, 100, 400),
        ]
    );
    for t in tiers {
        assert_eq!(t["reserve"]["cpu_cores"], 1);
        assert_eq!(t["reserve"]["ram_mb"], 2_000);
        assert_eq!(t["reserve"]["ssd_gb"], 80);
    }
    let text = String::from_utf8(flux(&["tiers"]).stdout).unwrap();
    assert!(
        text.contains("stratus") && text.contains("100 Mbit/s"),
        "{text}"
    );
}
