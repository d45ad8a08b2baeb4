use std::path::Path;

use super::{app, component, config};
use crate::app::Tiers;
use crate::hosting::*;

#[test]
fn one_container_per_component_with_every_label() {
    let spec = app(
        "shop",
        vec![component("web", 31000), component("db", 31001)],
    );
    let cfg = config(1);
    let out = containers_for(&spec, 2, &cfg).unwrap();
    assert_eq!(out.len(), 2);
    let web = &out[0];
    assert_eq!(web.name, "fluxweb_shop");
    assert_eq!(out[1].name, "fluxdb_shop");
    assert_eq!(web.network, "fluxDockerNetwork_shop");
    assert_eq!(web.alias, "web");
    assert_eq!(web.image, "example/web:1");
    assert_eq!(web.env, ["A=1"]);
    assert_eq!(web.cmd, ["serve", "--port=80"]);
    assert_eq!(
        web.ports,
        [PortMap {
            host_ip: "127.0.0.2".parse().unwrap(),
            host_port: 31000,
            container_port: 80
        }]
    );
    assert_eq!(web.nano_cpus, 500_000_000);
    assert_eq!(web.memory_bytes, 500 << 20);
    let mount = web.mount.as_ref().unwrap();
    assert_eq!(mount.host_path, Path::new("/srv/flux/apps/shop/web"));
    assert_eq!(mount.container_path, "/data");
    assert_eq!(web.label(LABEL_APP), Some("shop"));
    assert_eq!(web.label(LABEL_COMPONENT), Some("web"));
    assert_eq!(web.label(LABEL_INSTANCE), Some("2"));
    assert_eq!(web.label(LABEL_NODE), Some(cfg.node.to_string().as_str()));
    let hash = spec_hash(&spec).unwrap().to_string();
    assert_eq!(web.label(LABEL_SPEC), Some(hash.as_str()));
    assert_eq!(web.label(LABEL_CONTAINER).map(str::len), Some(64));
    assert_eq!(web.labels.len(), 6);
}

#[test]
fn node_tag_goes_on_names_and_networks() {
    let spec = app("shop", vec![component("web", 31000)]);
    let out = containers_for(&spec, 0, &config(1).with_tag("n3")).unwrap();
    assert_eq!(out[0].name, "fluxweb_shop_n3");
    assert_eq!(out[0].network, "fluxDockerNetwork_shop_n3");
    let mount = out[0].mount.as_ref().unwrap();
    assert_eq!(mount.host_path, Path::new("/srv/flux/apps/shop_n3/web"));
    let bad = containers_for(&spec, 0, &config(1).with_tag("a_b"));
    assert!(matches!(bad, Err(HostingError::BadNodeTag { .. })));
    let mut rel = config(1);
    rel.data_dir = "srv".into();
    assert!(matches!(
        containers_for(&spec, 0, &rel),
        Err(HostingError::BadDataDir { .. })
    ));
}

#[test]
fn deterministic_and_any_change_changes_the_fingerprint() {
    let spec = app("shop", vec![component("web", 31000)]);
    let a = containers_for(&spec, 0, &config(1)).unwrap();
    assert_eq!(a, containers_for(&spec, 0, &config(1)).unwrap());
    let mut updated = spec.clone();
    updated.components[0].repotag = "example/web:2".into();
    let b = containers_for(&updated, 0, &config(1)).unwrap();
    assert_ne!(a[0].label(LABEL_SPEC), b[0].label(LABEL_SPEC));
    assert_ne!(a[0].label(LABEL_CONTAINER), b[0].label(LABEL_CONTAINER));
    let mut moved = config(1);
    moved.host_ip = "127.0.0.3".parse().unwrap();
    let c = containers_for(&spec, 0, &moved).unwrap();
    assert_eq!(a[0].label(LABEL_SPEC), c[0].label(LABEL_SPEC));
    assert_ne!(a[0].label(LABEL_CONTAINER), c[0].label(LABEL_CONTAINER));
}

#[test]
fn tiered_components_take_the_nodes_tier() {
    let mut c = component("web", 31000);
    c.tiers = Some(Tiers {
        cpu_tenths: [1, 20, 40],
        ram_mb: [100, 2000, 4000],
        hdd_gb: [1, 2, 3],
    });
    let spec = app("shop", vec![c]);
    let out = containers_for(&spec, 0, &config(1)).unwrap(); // Nimbus
    assert_eq!(out[0].nano_cpus, 2_000_000_000);
    assert_eq!(out[0].memory_bytes, 2000 << 20);
}

#[test]
fn limits_that_docker_reads_as_unlimited_or_that_overflow_are_refused() {
    for (cpu, ram, resource) in [
        (0, 500, "cpu"),
        (5, 0, "ram"),
        (5, 5, "ram"),
        (5, u64::MAX, "ram"),
    ] {
        let mut c = component("web", 31000);
        c.cpu_tenths = cpu;
        c.ram_mb = ram;
        let err = containers_for(&app("shop", vec![c]), 0, &config(1)).unwrap_err();
        assert!(
            matches!(&err, HostingError::BadLimit { resource: r, .. } if *r == resource),
            "{cpu} {ram}: {err}"
        );
    }
    let mut c = component("web", 31000);
    c.cpu_tenths = u32::MAX;
    let out = containers_for(&app("shop", vec![c]), 0, &config(1)).unwrap();
    assert_eq!(out[0].nano_cpus, u64::from(u32::MAX) * 100_000_000);
}

#[test]
fn sync_prefixes_are_stripped_and_empty_data_means_no_mount() {
    for (data, mount) in [
        ("s:/data", Some("/data")),
        ("g:/var/lib/app/", Some("/var/lib/app")),
        ("r:/x", Some("/x")),
        ("", None),
    ] {
        let mut c = component("web", 31000);
        c.container_data = data.into();
        let out = containers_for(&app("shop", vec![c]), 0, &config(1)).unwrap();
        assert_eq!(
            out[0].mount.as_ref().map(|m| m.container_path.as_str()),
            mount
        );
    }
}
