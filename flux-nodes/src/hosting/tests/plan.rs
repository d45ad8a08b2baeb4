use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{app, component, config};
use crate::hosting::*;

fn observed(c: &ContainerSpec, state: ObservedState) -> Observed {
    Observed {
        name: c.name.clone(),
        labels: c.labels.clone(),
        state,
        started_at_ms: Some(1),
        image: c.image.clone(),
        addresses: Default::default(),
    }
}

fn network(app: &str, cfg: &HostConfig) -> ObservedNetwork {
    ObservedNetwork {
        name: cfg.network_name(app),
        labels: BTreeMap::from([
            (LABEL_APP.to_owned(), app.to_owned()),
            (LABEL_NODE.to_owned(), cfg.node_label()),
        ]),
    }
}

fn shop() -> Vec<ContainerSpec> {
    let spec = app(
        "shop",
        vec![component("web", 31000), component("db", 31001)],
    );
    containers_for(&spec, 0, &config(1)).unwrap()
}

fn names(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a {
            Action::EnsureNetwork { name, .. } => format!("net {name}"),
            Action::EnsureImage { image } => format!("image {image}"),
            Action::Create(c) => format!("create {}", c.name),
            Action::Start { name } => format!("start {name}"),
            Action::Remove { name } => format!("remove {name}"),
            Action::RemoveNetwork { name } => format!("rmnet {name}"),
            Action::RemoveData { path } => format!("rmdata {}", path.display()),
        })
        .collect()
}

#[test]
fn fresh_node_creates_network_and_image_first() {
    let cfg = config(1);
    let actions = plan(&shop(), &[], &[], &cfg);
    assert_eq!(
        names(&actions),
        [
            "net fluxDockerNetwork_shop",
            "image example/web:1",
            "create fluxdb_shop",
            "create fluxweb_shop"
        ]
    );
    let Action::EnsureNetwork { labels, .. } = &actions[0] else {
        unreachable!()
    };
    assert_eq!(labels[LABEL_APP], "shop");
    assert_eq!(labels[LABEL_NODE], cfg.node_label());
}

#[test]
fn matching_running_containers_are_adopted() {
    let want = shop();
    let have: Vec<_> = want
        .iter()
        .map(|c| observed(c, ObservedState::Running))
        .collect();
    assert!(plan(&want, &have, &[network("shop", &config(1))], &config(1)).is_empty());
}

#[test]
fn exited_and_created_are_started_dead_and_paused_replaced() {
    let want = shop();
    let have = vec![
        observed(&want[0], ObservedState::Exited { code: 137 }),
        observed(&want[1], ObservedState::Dead),
    ];
    assert_eq!(
        names(&plan(&want, &have, &[], &config(1))),
        [
            "remove fluxdb_shop",
            "net fluxDockerNetwork_shop",
            "image example/web:1",
            "create fluxdb_shop",
            "start fluxweb_shop"
        ]
    );
    let have = vec![
        observed(&want[0], ObservedState::Created),
        observed(&want[1], ObservedState::Paused),
    ];
    let got = names(&plan(&want, &have, &[], &config(1)));
    assert!(
        got.contains(&"start fluxweb_shop".into()) && got.contains(&"remove fluxdb_shop".into())
    );
    let have = vec![
        observed(&want[0], ObservedState::Restarting),
        observed(&want[1], ObservedState::Removing),
    ];
    assert!(plan(&want, &have, &[], &config(1)).is_empty());
}

#[test]
fn an_update_replaces_the_container_and_keeps_the_data() {
    let old = shop();
    let mut spec = app(
        "shop",
        vec![component("web", 31000), component("db", 31001)],
    );
    spec.components[0].repotag = "example/web:2".into();
    let new = containers_for(&spec, 0, &config(1)).unwrap();
    let have: Vec<_> = old
        .iter()
        .map(|c| observed(c, ObservedState::Running))
        .collect();
    let actions = plan(&new, &have, &[network("shop", &config(1))], &config(1));
    assert_eq!(
        names(&actions),
        [
            "remove fluxdb_shop",
            "remove fluxweb_shop",
            "net fluxDockerNetwork_shop",
            "image example/web:1",
            "image example/web:2",
            "create fluxdb_shop",
            "create fluxweb_shop"
        ]
    );
}

#[test]
fn an_app_that_left_goes_with_its_data_network_last() {
    let cfg = config(1);
    let have: Vec<_> = shop()
        .iter()
        .map(|c| observed(c, ObservedState::Running))
        .collect();
    let actions = plan(&[], &have, &[network("shop", &cfg)], &cfg);
    assert_eq!(
        names(&actions),
        [
            "remove fluxdb_shop",
            "remove fluxweb_shop",
            "rmdata /srv/flux/apps/shop",
            "rmnet fluxDockerNetwork_shop"
        ]
    );
    // Crashed after the removals: the network still marks what is left to do.
    let again = plan(&[], &[], &[network("shop", &cfg)], &cfg);
    assert_eq!(
        names(&again),
        ["rmdata /srv/flux/apps/shop", "rmnet fluxDockerNetwork_shop"]
    );
    assert_eq!(
        again[0],
        Action::RemoveData {
            path: PathBuf::from("/srv/flux/apps/shop")
        }
    );
}

#[test]
fn a_component_dropped_by_an_update_is_removed_but_the_app_keeps_its_data() {
    let have: Vec<_> = shop()
        .iter()
        .map(|c| observed(c, ObservedState::Running))
        .collect();
    let spec = app("shop", vec![component("web", 31000)]);
    let mut want = containers_for(&spec, 0, &config(1)).unwrap();
    want[0].labels = have[0].labels.clone(); // same spec label as running: only the drop
    assert_eq!(
        names(&plan(&want, &have, &[], &config(1))),
        ["remove fluxdb_shop"]
    );
}

#[test]
fn never_touches_unlabelled_other_nodes_or_badly_labelled_containers() {
    let cfg = config(1);
    let mut foreign = observed(&shop()[0], ObservedState::Exited { code: 1 });
    foreign.name = "postgres".into();
    foreign.labels.clear();
    let other = {
        let spec = app("shop", vec![component("web", 31000)]);
        let c = &containers_for(&spec, 0, &config(2).with_tag("n2")).unwrap()[0];
        observed(c, ObservedState::Exited { code: 1 })
    };
    let mut evil = observed(&shop()[0], ObservedState::Running);
    evil.name = "evil".into();
    evil.labels.insert(LABEL_APP.into(), "../../etc".into());
    let mut other_net = network("gone", &config(2));
    other_net.name = "theirs".into();
    let unlabelled_net = ObservedNetwork {
        name: "bridge".into(),
        labels: BTreeMap::new(),
    };
    let actions = plan(
        &[],
        &[foreign, other, evil],
        &[other_net, unlabelled_net],
        &cfg,
    );
    assert!(actions.is_empty(), "{actions:?}");
}

#[test]
fn the_result_does_not_depend_on_input_order() {
    let want = shop();
    let have = vec![observed(&want[0], ObservedState::Exited { code: 0 })];
    let mut rev = want.clone();
    rev.reverse();
    assert_eq!(
        plan(&want, &have, &[], &config(1)),
        plan(&rev, &have, &[], &config(1))
    );
}
