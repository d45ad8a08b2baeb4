//! The `flux` binary end to end: keys round trip, key file safety, params.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use std::fs;
use std::path::Path;
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

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn keys_new_then_show_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for scheme in ["ed25519", "secp256k1"] {
        let file = dir.path().join(format!("{scheme}.key"));
        let created = stdout_json(&flux(&[
            "keys",
            "new",
            "--scheme",
            scheme,
            "--out",
            path(&file),
            "--json",
        ]));
        assert!(
            created.get("secret_key").is_none(),
            "new must not print the secret"
        );
        let shown = stdout_json(&flux(&["keys", "show", path(&file), "--json"]));
        assert_eq!(created, shown);
        assert_eq!(shown["scheme"], scheme);
        assert!(shown["address"].as_str().unwrap().starts_with("flux1"));
        assert!(
            shown["public_key"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{scheme}:"))
        );

        let testnet = stdout_json(&flux(&[
            "keys",
            "show",
            path(&file),
            "--network",
            "testnet",
            "--json",
        ]));
        assert!(testnet["address"].as_str().unwrap().starts_with("tflux1"));

        let secret = stdout_json(&flux(&["keys", "show", path(&file), "--secret", "--json"]));
        assert_eq!(secret["secret_key"].as_str().unwrap().len(), 64);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let text = flux(&["keys", "show", path(&file)]);
        let text = String::from_utf8(text.stdout).unwrap();
        assert!(text.contains("address:") && !text.contains("secret"));
    }
}

#[test]
fn existing_key_file_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.key");
    assert!(
        flux(&["keys", "new", "--out", path(&file)])
            .status
            .success()
    );
    let before = fs::read(&file).unwrap();
    let again = flux(&["keys", "new", "--out", path(&file)]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(fs::read(&file).unwrap(), before);
    assert!(
        flux(&["keys", "new", "--out", path(&file), "--force"])
            .status
            .success()
    );
    assert_ne!(fs::read(&file).unwrap(), before);
}

#[test]
fn corrupted_key_files_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.key");
    assert!(
        flux(&["keys", "new", "--out", path(&file)])
            .status
            .success()
    );
    let good = fs::read(&file).unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("binary", vec![0xff, 0x00, 0x13, 0x37]),
        ("not json", b"hello".to_vec()),
    ];
    // Flip one hex digit of the secret: valid JSON, wrong key.
    let text = String::from_utf8(good.clone()).unwrap();
    let at = text.find("\"secret_key\": \"").unwrap() + 15;
    let mut flipped = text.into_bytes();
    flipped[at] = if flipped[at] == b'0' { b'1' } else { b'0' };
    cases.push(("flipped digit", flipped));
    for (what, bytes) in cases {
        fs::write(&file, &bytes).unwrap();
        let out = flux(&["keys", "show", path(&file)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(stderr.starts_with("error: "), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert!(out.stdout.is_empty(), "{what}");
    }
    let missing = flux(&["keys", "show", path(&dir.path().join("nope"))]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn params_prints_every_preset() {
    for net in ["mainnet", "testnet", "devnet"] {
        let p = stdout_json(&flux(&["params", "--network", net, "--json"]));
        assert_eq!(p["network"], net);
        assert_eq!(p["supply"]["max_supply"], "440000000");
        assert_eq!(p["supply"]["initial_subsidy"], "14");
        assert_eq!(p["tiers"]["stratus"]["collateral"], "40000");
    }
    let text = flux(&["params"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("max supply:"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        flux(&["keys", "new", "--scheme", "rsa"]).status.code(),
        Some(2)
    );
    assert_eq!(flux(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        flux(&["params", "--network", "moon"]).status.code(),
        Some(2)
    );
}
