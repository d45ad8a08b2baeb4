//! App specs against the shared fixtures: FluxOS's own specs (`real/`) and this project's
//! conformance set (`conformant/`), plus prices.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use flux_core::{Amount, ChainParams};
use flux_nodes::app::{AppError, AppSpec, Enterprise, update_price};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/fluxos-apps"
);

fn dir(sub: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(Path::new(FIXTURES).join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {sub}");
    files
}

fn params() -> ChainParams {
    ChainParams::mainnet()
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_real_spec_is_a_typed_spec_or_a_typed_error() {
    let p = params();
    let mut read = Vec::new();
    for f in dir("real").into_iter().chain(dir("real/needs-registry")) {
        let bytes = fs::read(&f).unwrap();
        let _ = AppSpec::from_json_strict(&bytes, &p.apps);
        match AppSpec::from_json_lenient(&bytes, &p.apps) {
            Ok(spec) => {
                // Written back and read again: the same spec.
                let json = spec.to_json().unwrap();
                let again = AppSpec::from_json_lenient(json.as_bytes(), &p.apps).unwrap();
                assert_eq!(again, spec, "{}: {json}", name(&f));
                read.push(name(&f));
            }
            Err(e) => {
                // Only the partial TestApp-v6 (components without cpu/ram/hdd) may fail.
                assert_eq!(name(&f), "TestApp-v6.json", "{e}");
                assert!(
                    matches!(e, AppError::MissingField { field: "cpu", .. }),
                    "{e}"
                );
            }
        }
    }
    assert_eq!(read.len(), 14, "{read:?}");
}

#[test]
fn real_specs_read_exactly() {
    let p = params();
    let read = |f: &str| {
        AppSpec::from_json_lenient(&fs::read(Path::new(FIXTURES).join(f)).unwrap(), &p.apps)
            .unwrap()
    };
    let v1 = read("real/FoldingAtHome-v1.json");
    let c = &v1.components[0];
    assert_eq!(
        (
            c.name.as_str(),
            c.ports.as_slice(),
            c.container_ports.as_slice()
        ),
        ("FoldingAtHome", &[30001][..], &[7396][..])
    );
    assert_eq!(c.environment_parameters.len(), 4);
    assert_eq!(c.tiers.unwrap().cpu_tenths, [5, 10, 20]);
    assert_eq!(
        read("real/KadenaChainWebNode-v2.json").components[0].cpu_tenths,
        25
    );
    let ws = read("real/websiteSync-v3.json");
    assert_eq!(
        (
            ws.instances,
            ws.components[0].ports[0],
            ws.components[0].container_ports[0]
        ),
        (5, 31001, 80)
    );
    let ws2 = read("real/websiteSync2-v5.json");
    assert_eq!(ws2.components.len(), 3);
    assert_eq!(ws2.demand().cpu_tenths, 6);
    let v7 = read("real/testv7enterprise-v7.json");
    assert_eq!(v7.target_nodes(), ["node1", "node2"]);
    let recent = read("real/RecentApp-v7.json");
    assert!(recent.staticip());
    assert_eq!(recent.geo_rules(), vec!["acNA_US".parse().unwrap()]);
    assert_eq!(
        read("real/testarcane-v8.json").enterprise,
        Enterprise::Arcane
    );
    let ent = read("real/enterpriseapp-v8.json");
    assert!(ent.enterprise() && ent.components.is_empty());
    assert_eq!(
        ent.enterprise,
        Enterprise::Encrypted("encryptedData".into())
    );
}

#[test]
fn real_invalid_specs_are_rejected() {
    let p = params();
    for f in dir("real/invalid") {
        let bytes = fs::read(&f).unwrap();
        let lenient = AppSpec::from_json_lenient(&bytes, &p.apps).unwrap_err();
        assert!(AppSpec::from_json_strict(&bytes, &p.apps).is_err());
        match name(&f).as_str() {
            "FoldingAtHome-v2-cpu-null.json" => {
                assert!(
                    matches!(lenient, AppError::MissingField { field: "cpu", .. }),
                    "{lenient}"
                )
            }
            "FoldingAtHome-v2-ram-string.json" => {
                assert!(
                    matches!(lenient, AppError::NotAnInteger { field: "ram", .. }),
                    "{lenient}"
                )
            }
            "noname-v4.json" => {
                assert!(
                    matches!(lenient, AppError::MissingField { field: "name", .. }),
                    "{lenient}"
                )
            }
            "testapp-v999.json" => {
                assert!(
                    matches!(lenient, AppError::UnsupportedVersion { found: 999, .. }),
                    "{lenient}"
                )
            }
            other => panic!("unexpected fixture {other}"),
        }
    }
}

#[test]
fn real_stored_form_is_not_a_registration() {
    let p = params();
    // DB fields and older versions are for the lenient reader only.
    let strict = |f: &str| {
        AppSpec::from_json_strict(&fs::read(Path::new(FIXTURES).join(f)).unwrap(), &p.apps)
    };
    assert!(matches!(
        strict("real/KadenaChainWebNode-v2.json"),
        Err(AppError::UnsupportedVersion { found: 2, .. })
    ));
    assert!(matches!(
        strict("real/websiteSync2-v5.json"),
        Err(AppError::UnsupportedVersion { found: 5, .. })
    ));
    // The two complete v8 specs are registrations as they stand.
    assert!(strict("real/TestApp-v8.json").is_ok());
    assert!(strict("real/testarcane-v8.json").is_ok());
    // The stored enterprise form has no components until decrypted.
    assert!(strict("real/enterpriseapp-v8.json").is_err());
}

#[test]
fn conformant_valid_specs_validate_and_round_trip() {
    let p = params();
    for f in dir("conformant/valid") {
        let spec = AppSpec::from_json_strict(&fs::read(&f).unwrap(), &p.apps)
            .unwrap_or_else(|e| panic!("{}: {e}", name(&f)));
        let json = spec.to_json().unwrap();
        assert_eq!(
            AppSpec::from_json_strict(json.as_bytes(), &p.apps).unwrap(),
            spec
        );
    }
}

#[test]
fn conformant_invalid_specs_fail_for_the_reason_in_their_name() {
    let p = params();
    for f in dir("conformant/invalid") {
        let e = AppSpec::from_json_strict(&fs::read(&f).unwrap(), &p.apps).unwrap_err();
        let ok = match name(&f).as_str() {
            "cpu-not-tenths.json" => matches!(e, AppError::CpuNotTenths { field: "cpu", .. }),
            "description-too-long.json" => {
                matches!(
                    e,
                    AppError::TooLong {
                        field: "description",
                        component: None,
                        max: 256,
                        ..
                    }
                )
            }
            "duplicate-component-name.json" => {
                matches!(&e, AppError::DuplicateComponentName(n) if n == "web")
            }
            "env-too-long.json" => matches!(
                e,
                AppError::EntryTooLong {
                    field: "environmentParameters",
                    max: 400,
                    ..
                }
            ),
            "expire-over-max.json" => {
                matches!(
                    e,
                    AppError::Expire {
                        found: 1_056_001,
                        max: 1_056_000
                    }
                )
            }
            "hdd-over-820.json" => matches!(
                e,
                AppError::Hdd {
                    found: 821,
                    max: 820,
                    ..
                }
            ),
            "instances-over-100.json" => {
                matches!(
                    e,
                    AppError::Instances {
                        found: 101,
                        max: 100,
                        ..
                    }
                )
            }
            "name-too-short.json" => matches!(e, AppError::BadName { min: 3, .. }),
            "port-banned-27017.json" => matches!(e, AppError::BannedPort { port: 27017, .. }),
            "too-many-geolocations.json" => {
                matches!(
                    e,
                    AppError::TooMany {
                        field: "geolocation",
                        len: 11,
                        max: 10,
                        ..
                    }
                )
            }
            other => panic!("no expectation for {other}"),
        };
        assert!(ok, "{}: wrong error: {e}", name(&f));
    }
}

#[test]
fn prices_match_prices_txt() {
    let p = params();
    let table = fs::read_to_string(Path::new(FIXTURES).join("conformant/prices.txt")).unwrap();
    let mut n = 0;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (file, price) = line.split_once(' ').unwrap();
        let bytes = fs::read(Path::new(FIXTURES).join("conformant/valid").join(file)).unwrap();
        let spec = AppSpec::from_json_strict(&bytes, &p.apps).unwrap();
        let want: Amount = price.trim().parse().unwrap();
        assert_eq!(spec.price(&p.apps.prices).unwrap().total, want, "{file}");
        n += 1;
    }
    assert_eq!(n, 3);
}

#[test]
fn tiered_components_price_at_the_exact_tier_average() {
    let p = params();
    let bytes = fs::read(Path::new(FIXTURES).join("real/FoldingAtHome-v2.json")).unwrap();
    let spec = AppSpec::from_json_lenient(&bytes, &p.apps).unwrap();
    // Average: cpu 3.5/3 cores, ram 3500/3 MB, hdd 5 GB:
    // (35·0.03 + 3500·0.0001 + 15·0.004) / 3 = 1.46 / 3 per 3 instances → 0.16222… → 0.17.
    let price = spec.price(&p.apps.prices).unwrap();
    assert_eq!(price.per_instance.to_string(), "0.17");
    assert_eq!(price.instances, 3);
    assert_eq!(price.total.to_string(), "0.51");
}

#[test]
fn update_credits_the_unused_part() {
    let p = params();
    let bytes = fs::read(Path::new(FIXTURES).join("conformant/valid/shopfront-v8.json")).unwrap();
    let spec = AppSpec::from_json_strict(&bytes, &p.apps).unwrap();
    // Paid 1.28 for 88,000 blocks; a quarter is left: credit 0.32; new price 1.28.
    let paid: Amount = "1.28".parse().unwrap();
    let u = update_price(paid, 88_000, 22_000, &spec, &p.apps.prices).unwrap();
    assert_eq!(
        (u.credit.to_string(), u.due.to_string()),
        ("0.32".into(), "0.96".into())
    );
    assert!(update_price(paid, 88_000, 88_001, &spec, &p.apps.prices).is_err());
    let free = update_price(
        Amount::from_flux(100).unwrap(),
        10,
        10,
        &spec,
        &p.apps.prices,
    )
    .unwrap();
    assert_eq!(free.due, Amount::ZERO);
}

#[test]
fn each_limit_has_a_failing_example() {
    let p = params();
    let base =
        fs::read_to_string(Path::new(FIXTURES).join("conformant/valid/shopfront-v8.json")).unwrap();
    let reject = |from: &str, to: &str| {
        let json = base.replacen(from, to, 1);
        assert_ne!(json, base, "{from}");
        AppSpec::from_json_strict(json.as_bytes(), &p.apps).unwrap_err()
    };
    assert!(matches!(
        reject("\"shopfront\"", "\"shop-front\""),
        AppError::BadName { .. }
    ));
    assert!(matches!(
        reject("\"instances\": 4", "\"instances\": 2"),
        AppError::Instances { .. }
    ));
    assert!(matches!(
        reject("\"cpu\": 0.5", "\"cpu\": 15.1"),
        AppError::Cpu { found: 151, .. }
    ));
    assert!(matches!(
        reject("\"cpu\": 0.5", "\"cpu\": 0"),
        AppError::Cpu { found: 0, .. }
    ));
    assert!(matches!(
        reject("\"cpu\": 0.5", "\"cpu\": \"0.5\""),
        AppError::CpuNotTenths { .. }
    ));
    assert!(matches!(
        reject("\"cpu\": 0.5", "\"cpu\": 5e-1"),
        AppError::CpuNotTenths { .. }
    ));
    assert!(matches!(
        reject("\"ram\": 500", "\"ram\": 550"),
        AppError::Ram { found: 550, .. }
    ));
    assert!(matches!(
        reject("\"ram\": 500", "\"ram\": 59100"),
        AppError::Ram { .. }
    ));
    assert!(matches!(
        reject("\"ports\": [33080]", "\"ports\": [\"33080\"]"),
        AppError::BadPort { .. }
    ));
    assert!(matches!(
        reject("\"ports\": [33080]", "\"ports\": [16150]"),
        AppError::BannedPort {
            start: 16100,
            end: 16299,
            ..
        }
    ));
    assert!(matches!(
        reject("\"ports\": [33080]", "\"ports\": [33081]"),
        AppError::DuplicatePort(33081)
    ));
    assert!(matches!(
        reject("\"ports\": [33080]", "\"ports\": [33080, 33090]"),
        AppError::PortsMismatch { .. }
    ));
    assert!(matches!(
        reject("\"ports\": [33080]", "\"ports\": [1,2,3,4,5,6]"),
        AppError::TooMany { field: "ports", .. }
    ));
    assert!(matches!(
        reject("\"name\": \"web\"", "\"name\": \"we b\""),
        AppError::BadComponentName { .. }
    ));
    assert!(matches!(
        reject("\"acEU\",", "\"xxEU\","),
        AppError::BadGeolocation { index: 0, .. }
    ));
    assert!(matches!(
        reject(
            "\"contacts\": [",
            "\"contacts\": [\"a\",\"b\",\"c\",\"d\",\"e\","
        ),
        AppError::TooMany {
            field: "contacts",
            ..
        }
    ));
    let many_nodes = format!("\"nodes\": [{}]", vec!["\"1.2.3.4\""; 121].join(","));
    assert!(matches!(
        reject("\"nodes\": []", &many_nodes),
        AppError::TooMany { field: "nodes", .. }
    ));
    let many_env = format!("\"commands\": [{}]", vec!["\"x\""; 21].join(","));
    assert!(matches!(
        reject("\"commands\": []", &many_env),
        AppError::TooMany {
            field: "commands",
            ..
        }
    ));
    assert!(matches!(
        reject("\"staticip\"", "\"hash\": \"x\", \"staticip\""),
        AppError::Json(_)
    ));
    assert!(matches!(
        reject("\"version\": 8", "\"version\": 7"),
        AppError::UnsupportedVersion { found: 7, .. }
    ));
    assert!(matches!(
        reject("\"hdd\": 2,", "\"hdd\": 2, \"gpuMemory\": 24,"),
        AppError::GpuMemoryWithoutGpu { .. }
    ));
    assert!(matches!(
        AppSpec::from_json_strict(b"[1]", &p.apps),
        Err(AppError::NotAnObject)
    ));
}

#[test]
fn gpu_extension_adds_up_in_the_demand() {
    let p = params();
    let base =
        fs::read_to_string(Path::new(FIXTURES).join("conformant/valid/shopfront-v8.json")).unwrap();
    let json = base
        .replacen(
            "\"hdd\": 2,",
            "\"hdd\": 2, \"gpu\": 1, \"gpuMemory\": 24,",
            1,
        )
        .replacen(
            "\"hdd\": 20,",
            "\"hdd\": 20, \"gpu\": 2, \"gpuMemory\": 16,",
            1,
        );
    let spec = AppSpec::from_json_strict(json.as_bytes(), &p.apps).unwrap();
    let d = spec.demand();
    assert_eq!(
        (d.cpu_tenths, d.ram_mb, d.hdd_gb, d.gpu, d.gpu_memory_gb),
        (20, 2600, 23, 3, 24)
    );
    let again = AppSpec::from_json_strict(spec.to_json().unwrap().as_bytes(), &p.apps).unwrap();
    assert_eq!(again, spec);
}
