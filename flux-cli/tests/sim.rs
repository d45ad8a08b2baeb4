//! `flux sim` writes the report, the charts and `report.md`, and prints the totals (the
//! simulator itself is tested in `flux_net::simulator`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

#[test]
fn flux_sim_writes_its_report_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    // A light scenario with an outage, so some instances are displaced (the healing chart).
    let scenario = dir.path().join("outage.toml");
    std::fs::write(
        &scenario,
        "name = \"outage\"\nreport_interval = 100\nfull_check_interval = 50\n\
         [apps]\ninitial = 40\nmax_per_block = 10\nexpire_min = 500\nexpire_max = 1500\n\
         [churn]\nstop_permille_per_period = 0\njoin_permille_per_period = 0\n\
         [[outages]]\nat = 20\nplace = \"EU_DE\"\n",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let mut stdout = Vec::new();
    let args = [
        "flux", "sim", "--nodes", "120", "--blocks", "700", "--fast", "--seed", "3", "--json",
    ];
    let extra = [
        "--scenario".to_owned(),
        scenario.display().to_string(),
        "--out".to_owned(),
        out_dir.display().to_string(),
    ];
    let argv: Vec<String> = args.iter().map(|a| (*a).to_owned()).chain(extra).collect();
    assert_eq!(flux_cli::run(argv, &mut stdout), 0);
    let totals: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["totals"], totals);
    assert_eq!(report["blocks"], 700);
    assert!(totals["expirations"].as_u64().unwrap() > 0, "{totals}");
    for f in [
        "supply.svg",
        "rewards.svg",
        "utilisation.svg",
        "healing.svg",
        "income.svg",
        "expirations.svg",
        "report.md",
    ] {
        assert!(out_dir.join(f).metadata().unwrap().len() > 100, "{f}");
    }
}

#[test]
fn a_bad_scenario_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("bad.toml");
    std::fs::write(&scenario, "report_interval = 0\n").unwrap();
    let argv = [
        "flux".to_owned(),
        "sim".to_owned(),
        "--fast".to_owned(),
        "--scenario".to_owned(),
        scenario.display().to_string(),
    ];
    assert_eq!(flux_cli::run(argv, Vec::new()), 1);
}
