//! The `flux` binary end to end: `app validate` and `app price` on the shared fixtures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/fluxos-apps"
);

fn flux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(args)
        .output()
        .unwrap()
}

fn files(sub: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(Path::new(FIXTURES).join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    assert!(!v.is_empty());
    v
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn valid_specs_validate() {
    for f in files("conformant/valid") {
        let out = flux(&["app", "validate", s(&f)]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with("OK "), "{stdout}");
        let j: serde_json::Value =
            serde_json::from_slice(&flux(&["app", "validate", s(&f), "--json"]).stdout).unwrap();
        assert_eq!(j["valid"], true);
    }
}

#[test]
fn invalid_specs_fail_with_the_reason() {
    let reasons = [
        ("cpu-not-tenths.json", "0.1 steps"),
        (
            "description-too-long.json",
            "`description` is 257 characters long, at most 256",
        ),
        ("duplicate-component-name.json", "\"web\" is used twice"),
        ("env-too-long.json", "at most 400"),
        ("expire-over-max.json", "1056001"),
        ("hdd-over-820.json", "821 GB"),
        ("instances-over-100.json", "`instances` is 101"),
        ("name-too-short.json", "\"ab\""),
        ("port-banned-27017.json", "port 27017 is banned"),
        (
            "too-many-geolocations.json",
            "`geolocation` has 11 entries, at most 10",
        ),
    ];
    assert_eq!(files("conformant/invalid").len(), reasons.len());
    for (file, reason) in reasons {
        let path = Path::new(FIXTURES).join("conformant/invalid").join(file);
        let out = flux(&["app", "validate", s(&path)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(stderr.contains(reason), "{file}: {stderr}");
        let out = flux(&["app", "validate", s(&path), "--json"]);
        assert_eq!(out.status.code(), Some(1));
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["valid"], false);
        assert!(j["error"].as_str().unwrap().contains(reason), "{j}");
    }
    for f in files("real/invalid") {
        for extra in [&[][..], &["--lenient"][..]] {
            let mut args = vec!["app", "validate", s(&f)];
            args.extend_from_slice(extra);
            assert_eq!(flux(&args).status.code(), Some(1), "{}", f.display());
        }
    }
}

#[test]
fn real_specs_read_leniently() {
    let out = flux(&[
        "app",
        "validate",
        "--lenient",
        &format!("{FIXTURES}/real/websiteSync-v3.json"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK websiteSync (v3"));
    let strict = flux(&[
        "app",
        "validate",
        &format!("{FIXTURES}/real/websiteSync-v3.json"),
    ]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&strict.stderr).contains("unsupported app specification version 3")
    );
}

#[test]
fn prices_match_prices_txt() {
    let table = fs::read_to_string(Path::new(FIXTURES).join("conformant/prices.txt")).unwrap();
    let mut n = 0;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (file, price) = line.split_once(' ').unwrap();
        let path = Path::new(FIXTURES).join("conformant/valid").join(file);
        let out = flux(&["app", "price", s(&path), "--json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // Amounts print exactly; compare as amounts ("4.32" is 4.32000000).
        let got: flux_core::Amount = j["price"].as_str().unwrap().parse().unwrap();
        let want: flux_core::Amount = price.trim().parse().unwrap();
        assert_eq!(got, want, "{file}");
        n += 1;
    }
    assert_eq!(n, 3);
}

#[test]
fn price_for_other_blocks() {
    let path = format!("{FIXTURES}/conformant/valid/minecraft-v8.json");
    let j: serde_json::Value = serde_json::from_slice(
        &flux(&["app", "price", &path, "--blocks", "88000", "--json"]).stdout,
    )
    .unwrap();
    assert_eq!(j["price"], "2.16");
    assert_eq!(j["per_instance_per_period"], "0.72");
    let text = flux(&["app", "price", &path, "--network", "testnet"]);
    assert_eq!(text.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&text.stdout).contains("mcserver01: "));
}
