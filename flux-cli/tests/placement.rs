//! `flux placement simulate` end to end, small.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

fn simulate(args: &[&str]) -> (i32, String) {
    let mut out = Vec::new();
    let mut argv = vec!["flux", "placement", "simulate"];
    argv.extend_from_slice(args);
    let code = flux_cli::run(argv, &mut out);
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn simulate_reports_placement_utilisation_and_healing() {
    let args = [
        "--nodes",
        "500",
        "--apps",
        "200",
        "--fail-nodes",
        "5",
        "--seed",
        "t",
        "--json",
    ];
    let (code, out) = simulate(&args);
    assert_eq!(code, 0, "{out}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["nodes"], 500);
    assert_eq!(r["apps"], 200);
    assert_eq!(r["failed_nodes"], 5);
    let requested = r["instances_requested"].as_u64().unwrap();
    let placed = r["instances_placed"].as_u64().unwrap();
    assert!(requested >= 600 && placed > 0 && placed <= requested);
    assert_eq!(
        r["unplaced_instances"].as_u64().unwrap(),
        requested - placed
    );
    let by_reason: u64 = r["unplaced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["instances"].as_u64().unwrap())
        .sum();
    assert_eq!(by_reason, requested - placed);
    let tiers = r["utilisation"].as_array().unwrap();
    assert_eq!(tiers.len(), 3);
    let nodes: u64 = tiers.iter().map(|t| t["nodes"].as_u64().unwrap()).sum();
    assert_eq!(nodes, 500);
    let on_tiers: u64 = tiers.iter().map(|t| t["instances"].as_u64().unwrap()).sum();
    assert_eq!(on_tiers, placed);
    assert!(
        tiers
            .iter()
            .all(|t| t["cpu_permille"].as_u64().unwrap() <= 1000)
    );
    assert!(r["moved_instances"].as_u64().unwrap() >= r["replaced_instances"].as_u64().unwrap());
    assert!(r["place_us"].is_u64() && r["heal_us"].is_u64());

    // Same seed, same placement.
    let (_, again) = simulate(&args);
    let r2: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(r["instances_placed"], r2["instances_placed"]);
    assert_eq!(r["moved_instances"], r2["moved_instances"]);
    assert_eq!(r["unplaced"], r2["unplaced"]);
}

#[test]
fn simulate_prints_text() {
    let (code, out) = simulate(&["--nodes", "100", "--apps", "30", "--fail-nodes", "2"]);
    assert_eq!(code, 0);
    assert!(out.contains("utilisation per tier"), "{out}");
    assert!(out.contains("failed 2 nodes"), "{out}");
}
