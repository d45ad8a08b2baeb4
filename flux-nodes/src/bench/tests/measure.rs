//! Tests of the local measurement: parsing of system files, a small real run, typed errors.

use crate::bench::BenchError;
use crate::bench::measure::*;

#[test]
fn cpuinfo_pairs_and_fallbacks() {
    let smt = "processor\t: 0\nphysical id\t: 0\ncore id\t\t: 0\ncpu cores\t: 2\n\n\
               processor\t: 1\nphysical id\t: 0\ncore id\t\t: 1\ncpu cores\t: 2\n\n\
               processor\t: 2\nphysical id\t: 0\ncore id\t\t: 0\ncpu cores\t: 2\n\n\
               processor\t: 3\nphysical id\t: 0\ncore id\t\t: 1\ncpu cores\t: 2\n";
    assert_eq!(physical_cores_from_cpuinfo(smt), Some(2));
    let two_sockets = "processor: 0\nphysical id: 0\ncore id: 0\n\n\
                       processor: 1\nphysical id: 1\ncore id: 0\n";
    assert_eq!(physical_cores_from_cpuinfo(two_sockets), Some(2));
    let cores_only = "processor: 0\ncpu cores: 4\n\nprocessor: 1\ncpu cores: 4\n";
    assert_eq!(physical_cores_from_cpuinfo(cores_only), Some(4));
    let arm = "processor: 0\nBogoMIPS: 50.00\n\nprocessor: 1\nBogoMIPS: 50.00\n";
    assert_eq!(physical_cores_from_cpuinfo(arm), None);
    assert_eq!(physical_cores_from_cpuinfo(""), None);
    assert_eq!(
        physical_cores_from_cpuinfo("processor: 0\ncore id: x\n"),
        None
    );
    let disagree = "processor: 0\ncpu cores: 4\n\nprocessor: 1\ncpu cores: 2\n";
    assert_eq!(physical_cores_from_cpuinfo(disagree), None);
}

#[test]
fn assumed_cores_is_at_least_one_and_at_most_threads() {
    for t in [1, 2, 3, 8, u32::MAX] {
        let c = assumed_cores(t);
        assert!(c >= 1 && c <= t);
    }
}

#[test]
fn meminfo() {
    let text = "MemTotal:       25165824 kB\nMemFree:  1 kB\n";
    // 24 GiB = 25,769,803,776 bytes = 25,769 MB.
    assert_eq!(ram_mb_from_meminfo(text), Some(25_769));
    assert_eq!(ram_mb_from_meminfo("MemTotal: 10 MB\n"), None);
    assert_eq!(ram_mb_from_meminfo("MemFree: 10 kB\n"), None);
    assert_eq!(ram_mb_from_meminfo("MemTotal: lots kB\n"), None);
    assert_eq!(
        ram_mb_from_meminfo("MemTotal: 18446744073709551615 kB\n"),
        None
    );
}

#[test]
fn measures_a_small_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = BenchConfig {
        dir: dir.path().to_owned(),
        disk_bytes: 2 * 1024 * 1024 + 5,
        cpu_target_ms: 100,
        bandwidth_mbps: Some(100),
        ..BenchConfig::default()
    };
    let r = measure(&config).unwrap();
    assert!(r.hardware.cpu_cores >= 1);
    assert!(r.hardware.cpu_cores <= r.hardware.resources.cpu_threads);
    assert!(r.hardware.resources.ram_mb > 0);
    assert!(r.cpu_score > 0 && r.cpu_elapsed_ms > 0);
    assert!(r.bandwidth_declared);
    assert_eq!(r.hardware.resources.bandwidth_mbps, 100);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "temp file left"
    );
}

#[test]
fn bad_dir_and_config_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = BenchConfig {
        dir: dir.path().join("nope"),
        ..BenchConfig::default()
    };
    assert!(matches!(measure(&missing), Err(BenchError::Io { .. })));
    let file = dir.path().join("f");
    std::fs::write(&file, b"x").unwrap();
    let not_dir = BenchConfig {
        dir: file,
        ..BenchConfig::default()
    };
    assert!(matches!(
        measure(&not_dir),
        Err(BenchError::NotADirectory { .. })
    ));
    let zero = BenchConfig {
        disk_bytes: 0,
        ..BenchConfig::default()
    };
    assert!(matches!(measure(&zero), Err(BenchError::Config(_))));
}
