//! Properties of the reconcile plan against a model of a container runtime shared by several
//! nodes: applying the plan converges in one pass (planning again gives nothing), containers
//! and networks that are not this node's are never touched, data is removed only for apps that
//! left, and the plan does not depend on the order of its inputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use flux_core::{Hash, Tier};
use flux_nodes::app::AppSpec;
use flux_nodes::hosting::*;
use flux_nodes::node::NodeId;
use flux_nodes::testkit::apps::{self, component};
use proptest::prelude::*;

const APPS: [&str; 4] = ["alpha", "beta", "gamma", "delta"];
const COMPONENTS: [&str; 3] = ["web", "db", "cache"];

fn config(node: u8) -> HostConfig {
    HostConfig::new(
        NodeId(Hash::from_bytes([node; 32])),
        Tier::Cumulus,
        "127.0.0.1".parse().unwrap(),
        "/srv/flux",
    )
    .with_tag(format!("n{node}"))
}

/// App `a` in `version` (the image tag) with its first `n` components.
fn spec(a: usize, n: usize, version: u8) -> AppSpec {
    let components = COMPONENTS[..n]
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let port = 30000 + (a * 10 + i) as u16;
            component(c, &format!("example/{c}:{version}"), port, &[])
        })
        .collect();
    apps::spec(APPS[a], components)
}

fn state() -> impl Strategy<Value = ObservedState> {
    prop_oneof![
        4 => Just(ObservedState::Running),
        1 => Just(ObservedState::Created),
        1 => Just(ObservedState::Paused),
        1 => Just(ObservedState::Restarting),
        1 => Just(ObservedState::Dead),
        1 => (0i64..3).prop_map(|code| ObservedState::Exited { code }),
    ]
}

/// An app as some node runs it: which app, how many components, which version, and per
/// component whether its container exists and in what state.
type Running = (usize, usize, u8, Vec<Option<ObservedState>>, bool);

fn running() -> impl Strategy<Value = Running> {
    (
        0..APPS.len(),
        1..=COMPONENTS.len(),
        1u8..3,
        prop::collection::vec(prop::option::of(state()), 3),
        any::<bool>(),
    )
}

/// What the engine holds: this node's (1) and another node's (2) containers and networks, and
/// unlabelled ones.
fn engine(
    mine: &[Running],
    theirs: &[Running],
    unlabelled: usize,
) -> (Vec<Observed>, Vec<ObservedNetwork>) {
    let mut observed = BTreeMap::new();
    let mut networks = BTreeMap::new();
    for (node, list) in [(1u8, mine), (2u8, theirs)] {
        let cfg = config(node);
        for (a, n, v, states, net) in list {
            let Ok(cs) = containers_for(&spec(*a, *n, *v), 0, &cfg) else {
                continue;
            };
            for (c, s) in cs.iter().zip(states) {
                if let Some(state) = s {
                    observed.insert(
                        c.name.clone(),
                        Observed {
                            name: c.name.clone(),
                            labels: c.labels.clone(),
                            state: *state,
                            started_at_ms: None,
                            image: c.image.clone(),
                            addresses: Default::default(),
                        },
                    );
                }
            }
            if *net {
                networks.insert(
                    cfg.network_name(APPS[*a]),
                    ObservedNetwork {
                        name: cfg.network_name(APPS[*a]),
                        labels: BTreeMap::from([
                            (LABEL_APP.to_owned(), APPS[*a].to_owned()),
                            (LABEL_NODE.to_owned(), cfg.node_label()),
                        ]),
                    },
                );
            }
        }
    }
    for i in 0..unlabelled {
        let name = format!("foreign{i}");
        observed.insert(
            name.clone(),
            Observed {
                name: name.clone(),
                labels: BTreeMap::from([("maintainer".to_owned(), "someone".to_owned())]),
                state: ObservedState::Exited { code: 1 },
                started_at_ms: None,
                image: "postgres".into(),
                addresses: Default::default(),
            },
        );
        networks.insert(
            name.clone(),
            ObservedNetwork {
                name,
                labels: BTreeMap::new(),
            },
        );
    }
    (
        observed.into_values().collect(),
        networks.into_values().collect(),
    )
}

/// A model runtime: applies actions, asserting the plan's safety rules on the way.
struct Model {
    containers: BTreeMap<String, Observed>,
    networks: BTreeMap<String, ObservedNetwork>,
    data: BTreeSet<PathBuf>,
    node: String,
}

impl Model {
    fn ours(&self, labels: &BTreeMap<String, String>) -> bool {
        labels.get(LABEL_NODE) == Some(&self.node)
    }

    fn apply(&mut self, action: &Action, desired_apps: &BTreeSet<String>, cfg: &HostConfig) {
        match action {
            Action::EnsureNetwork { name, labels } => {
                self.networks
                    .entry(name.clone())
                    .or_insert(ObservedNetwork {
                        name: name.clone(),
                        labels: labels.clone(),
                    });
            }
            Action::EnsureImage { .. } => {}
            Action::Create(c) => {
                assert!(
                    !self.containers.contains_key(&c.name),
                    "create over {}",
                    c.name
                );
                assert!(
                    self.networks.contains_key(&c.network),
                    "network before create"
                );
                if let Some(m) = &c.mount {
                    self.data.insert(m.host_path.clone());
                }
                self.containers.insert(
                    c.name.clone(),
                    Observed {
                        name: c.name.clone(),
                        labels: c.labels.clone(),
                        state: ObservedState::Running,
                        started_at_ms: None,
                        image: c.image.clone(),
                        addresses: Default::default(),
                    },
                );
            }
            Action::Start { name } => {
                let c = self
                    .containers
                    .get_mut(name)
                    .expect("start of a missing container");
                assert!(
                    labels_ours(&c.labels, &self.node),
                    "start of a foreign container"
                );
                c.state = ObservedState::Running;
            }
            Action::Remove { name } => {
                let c = self
                    .containers
                    .remove(name)
                    .expect("remove of a missing container");
                assert!(self.ours(&c.labels), "removed a foreign container {name}");
            }
            Action::RemoveNetwork { name } => {
                if let Some(n) = self.networks.remove(name) {
                    assert!(self.ours(&n.labels), "removed a foreign network {name}");
                }
            }
            Action::RemoveData { path } => {
                let app = path
                    .strip_prefix(cfg.data_dir.join("apps"))
                    .expect("under apps/");
                let app = app.to_str().unwrap().trim_end_matches("_n1");
                assert!(!desired_apps.contains(app), "removed data of desired {app}");
                self.data.retain(|p| !p.starts_with(path));
            }
        }
    }
}

fn labels_ours(labels: &BTreeMap<String, String>, node: &str) -> bool {
    labels.get(LABEL_NODE).is_some_and(|n| n == node)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn plan_converges_in_one_pass_and_touches_only_this_nodes_containers(
        want in prop::collection::btree_map(0..APPS.len(), (1..=COMPONENTS.len(), 1u8..3), 0..4),
        mine in prop::collection::vec(running(), 0..4),
        theirs in prop::collection::vec(running(), 0..4),
        unlabelled in 0usize..3,
        seed in any::<u64>(),
    ) {
        let cfg = config(1);
        let desired: Vec<ContainerSpec> = want
            .iter()
            .flat_map(|(&a, &(n, v))| containers_for(&spec(a, n, v), 0, &cfg).unwrap())
            .collect();
        let desired_apps: BTreeSet<String> =
            want.keys().map(|&a| APPS[a].to_owned()).collect();
        let (observed, networks) = engine(&mine, &theirs, unlabelled);
        let actions = plan(&desired, &observed, &networks, &cfg);

        // Deterministic: the same contents in another order give the same plan.
        let mut shuffled = (desired.clone(), observed.clone(), networks.clone());
        let k = (seed % 7) as usize + 1;
        let (n0, n2) = (shuffled.0.len().max(1), shuffled.2.len().max(1));
        shuffled.0.rotate_left(k % n0);
        shuffled.1.reverse();
        shuffled.2.rotate_right(k % n2);
        prop_assert_eq!(&actions, &plan(&shuffled.0, &shuffled.1, &shuffled.2, &cfg));

        let foreign: Vec<Observed> = observed
            .iter()
            .filter(|o| !labels_ours(&o.labels, &cfg.node_label()))
            .cloned()
            .collect();
        let foreign_nets: Vec<ObservedNetwork> = networks
            .iter()
            .filter(|n| !labels_ours(&n.labels, &cfg.node_label()))
            .cloned()
            .collect();
        let mut model = Model {
            containers: observed.iter().map(|o| (o.name.clone(), o.clone())).collect(),
            networks: networks.iter().map(|n| (n.name.clone(), n.clone())).collect(),
            data: BTreeSet::new(),
            node: cfg.node_label(),
        };
        for a in &actions {
            model.apply(a, &desired_apps, &cfg);
        }
        // Foreign containers and networks are exactly as they were.
        for f in &foreign {
            prop_assert_eq!(model.containers.get(&f.name), Some(f));
        }
        for f in &foreign_nets {
            prop_assert_eq!(model.networks.get(&f.name), Some(f));
        }
        // Converged: this node runs exactly the desired containers, and a second pass is empty.
        let ours: BTreeMap<&String, &Observed> = model
            .containers
            .iter()
            .filter(|(_, o)| labels_ours(&o.labels, &cfg.node_label()))
            .collect();
        prop_assert_eq!(ours.len(), desired.len());
        for d in &desired {
            let o = ours.get(&d.name).expect("desired container runs");
            // Adopted as it is, or (re)started by the plan.
            prop_assert!(matches!(o.state, ObservedState::Running | ObservedState::Restarting));
            prop_assert_eq!(&o.labels, &d.labels);
        }
        let after_c: Vec<Observed> = model.containers.values().cloned().collect();
        let after_n: Vec<ObservedNetwork> = model.networks.values().cloned().collect();
        let again = plan(&desired, &after_c, &after_n, &cfg);
        prop_assert!(again.is_empty(), "second pass: {:?}", again);
    }
}
