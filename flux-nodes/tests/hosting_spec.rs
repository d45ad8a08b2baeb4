//! From specs to containers on real inputs: every FluxOS fixture that passes hosting validation
//! maps to containers; arbitrary `containerData` never mounts outside the app's folder; the
//! desired containers of each node follow the placement; the gateway table over the fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use flux_core::{ChainParams, Hash, Tier};
use flux_nodes::app::AppSpec;
use flux_nodes::hosting::*;
use flux_nodes::node::NodeId;
use flux_nodes::placement::{Placement, PlacementNode, Workload};
use proptest::prelude::*;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/fluxos-apps"
);

fn files(sub: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(Path::new(FIXTURES).join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

fn config(node: NodeId, tier: Tier) -> HostConfig {
    HostConfig::new(node, tier, "127.0.0.1".parse().unwrap(), "/srv/flux")
        .with_reserved_ports([16127, 16128])
}

fn read(path: &Path) -> Option<AppSpec> {
    let json = fs::read(path).unwrap();
    let p = ChainParams::mainnet().apps;
    AppSpec::from_json_strict(&json, &p)
        .or_else(|_| AppSpec::from_json_lenient(&json, &p))
        .ok()
}

#[test]
fn every_fixture_that_passes_validation_maps_to_containers() {
    let mut mapped = Vec::new();
    let mut refused = Vec::new();
    for sub in [
        "real",
        "real/invalid",
        "real/needs-registry",
        "conformant/valid",
        "conformant/invalid",
    ] {
        for f in files(sub) {
            let Some(spec) = read(&f) else { continue };
            for tier in [Tier::Cumulus, Tier::Nimbus, Tier::Stratus] {
                let cfg = config(NodeId::default(), tier);
                match (check_spec(&spec, &cfg), containers_for(&spec, 1, &cfg)) {
                    (Ok(()), Ok(cs)) => {
                        assert_eq!(cs.len(), spec.components.len());
                        for (c, comp) in cs.iter().zip(&spec.components) {
                            assert_eq!(c.name, format!("flux{}_{}", comp.name, spec.name));
                            assert!(c.nano_cpus > 0 && c.memory_bytes > 0);
                            if let Some(m) = &c.mount {
                                assert!(m.host_path.starts_with("/srv/flux/apps"));
                                assert!(m.container_path.starts_with('/'));
                            }
                        }
                        mapped.push(f.clone());
                    }
                    // Limits are checked by containers_for only (they depend on the tier).
                    (Ok(()), Err(e @ HostingError::BadLimit { .. })) => {
                        refused.push(format!("{}: {e}", f.display()))
                    }
                    (Ok(()), Err(e)) => panic!("{}: validated but {e}", f.display()),
                    (Err(e), made) => {
                        assert_eq!(made, Err(e.clone()), "{}", f.display());
                        refused.push(format!("{}: {e}", f.display()));
                    }
                }
            }
        }
    }
    refused.dedup();
    eprintln!(
        "mapped (file x tier): {}, refused: {refused:?}",
        mapped.len()
    );
    for f in files("conformant/valid") {
        assert!(
            mapped.contains(&f),
            "{} is a valid registration",
            f.display()
        );
    }
    assert!(mapped.len() >= 10, "mapped {mapped:?}, refused {refused:?}");
}

#[test]
fn gateway_table_over_the_fixtures_is_order_independent() {
    let mut specs: Vec<AppSpec> = ["real", "conformant/valid"]
        .into_iter()
        .flat_map(files)
        .filter_map(|f| read(&f))
        .collect();
    let a = routes(&specs, "app.localhost");
    specs.reverse();
    assert_eq!(a, routes(&specs, "app.localhost"));
    assert!(a.resolve("mcserver01.app.localhost").is_some());
}

#[test]
fn desired_containers_follow_the_placement() {
    let p = ChainParams::mainnet();
    let spec_files = files("conformant/valid");
    let specs: Vec<AppSpec> = spec_files.iter().map(|f| read(f).unwrap()).collect();
    let nodes: Vec<PlacementNode> = (0u8..6)
        .map(|i| {
            PlacementNode::new(
                NodeId(Hash::digest(&[i])),
                Tier::Stratus,
                "EU_DE".parse().unwrap(),
                &format!("10.{i}.0.1:16127"),
                &Tier::Stratus.minimum(&p),
                &p,
            )
        })
        .collect();
    let workloads = specs.iter().map(|s| {
        Workload::new(
            &s.name,
            s.instances,
            s.demand_on(Tier::Stratus),
            s.geo_rules(),
            vec![],
            &p,
        )
    });
    let placement = Placement::build(Hash::digest(b"seed"), nodes.clone(), workloads).unwrap();
    let mut total = 0;
    for n in &nodes {
        let cfg = config(n.id, n.tier);
        let spec_of = |app: &str| specs.iter().find(|s| s.name == app);
        let mine = desired(&placement, spec_of, &cfg);
        assert!(mine.refused.is_empty(), "{:?}", mine.refused);
        let on = placement.on_node(&n.id);
        let expect: usize = on
            .iter()
            .map(|(a, _)| spec_of(a).unwrap().components.len())
            .sum();
        assert_eq!(mine.containers.len(), expect);
        for c in &mine.containers {
            let app = c.label(LABEL_APP).unwrap();
            let instance: u32 = c.label(LABEL_INSTANCE).unwrap().parse().unwrap();
            assert!(on.contains(&(app.to_owned(), instance)));
            assert_eq!(c.label(LABEL_NODE), Some(n.id.to_string().as_str()));
        }
        total += on.len();
        // Without its spec, an instance is refused, not dropped.
        let blind = desired(&placement, |_| None, &cfg);
        assert_eq!(blind.refused.len(), on.len());
        assert!(blind.containers.is_empty());
    }
    assert_eq!(total as u64, placement.placed_instances());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn container_data_never_mounts_outside_the_app_folder(
        data in prop_oneof![
            "[sgr0-9]?:?[/.a-z~:|,@+ -]{0,24}",
            "(/|\\.\\./|\\./|/var/run/|/proc|docker\\.sock|:|,){1,6}",
            any::<String>(),
        ],
    ) {
        let mut spec = read(&files("conformant/valid")[0]).unwrap();
        spec.components[0].container_data = data.clone();
        let cfg = config(NodeId::default(), Tier::Stratus);
        if let Ok(cs) = containers_for(&spec, 0, &cfg) {
            let Some(m) = &cs[0].mount else {
                prop_assert!(data.is_empty());
                return Ok(());
            };
            let folder = cfg.component_data(&spec.name, &spec.components[0].name);
            prop_assert_eq!(&m.host_path, &folder);
            let path = &m.container_path;
            prop_assert!(path.starts_with('/') && path.len() > 1, "{}", path);
            prop_assert!(!path.contains([':', ',', '|', '\0', '\n']), "{}", path);
            prop_assert!(!path.split('/').any(|p| p == ".." || p == "." || p == "docker.sock"));
            for sys in ["/proc", "/sys", "/dev", "/run", "/var/run"] {
                prop_assert!(path != sys && !path.starts_with(&format!("{sys}/")), "{}", path);
            }
        }
    }
}
