//! Hosting benchmarks: the reconcile plan for 1,000 instances on one node (1,000 desired
//! containers, 1,000 observed, a few differing), and turning 1,000 specs into containers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use flux_core::{Hash, Tier};
use flux_nodes::app::AppSpec;
use flux_nodes::hosting::{
    ContainerSpec, HostConfig, LABEL_APP, LABEL_NODE, LABEL_SPEC, Observed, ObservedNetwork,
    ObservedState, containers_for, plan,
};
use flux_nodes::node::NodeId;
use flux_nodes::testkit::apps::{self, component};

const INSTANCES: usize = 1_000;

fn spec(i: usize) -> AppSpec {
    let repotag = format!("example/app{}:1", i % 50);
    let web = component("web", &repotag, 20_000 + i as u16, &["MODE=prod"]);
    apps::spec(&format!("app{i}"), vec![web])
}

fn config() -> HostConfig {
    HostConfig::new(
        NodeId(Hash::digest(b"node")),
        Tier::Stratus,
        "127.0.0.1".parse().unwrap(),
        "/srv/flux",
    )
}

/// 1,000 desired; observed: the same 1,000 but 5 exited, 3 on an old spec, 2 missing, and 2
/// containers of apps that left; one network per observed app.
fn inputs() -> (Vec<ContainerSpec>, Vec<Observed>, Vec<ObservedNetwork>) {
    let cfg = config();
    let specs: Vec<AppSpec> = (0..INSTANCES + 2).map(spec).collect();
    let all: Vec<ContainerSpec> = specs
        .iter()
        .flat_map(|s| containers_for(s, 0, &cfg).unwrap())
        .collect();
    let desired = all[..INSTANCES].to_vec();
    let mut observed: Vec<Observed> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| !(500..502).contains(i))
        .map(|(i, c)| {
            let mut labels = c.labels.clone();
            if (100..103).contains(&i) {
                labels.insert(LABEL_SPEC.into(), "old".into());
            }
            Observed {
                name: c.name.clone(),
                labels,
                state: if i % 200 == 7 {
                    ObservedState::Exited { code: 1 }
                } else {
                    ObservedState::Running
                },
                started_at_ms: Some(1),
                image: c.image.clone(),
                addresses: Default::default(),
            }
        })
        .collect();
    observed.reverse();
    let networks = observed
        .iter()
        .map(|o| ObservedNetwork {
            name: cfg.network_name(&o.labels[LABEL_APP]),
            labels: BTreeMap::from([
                (LABEL_APP.to_owned(), o.labels[LABEL_APP].clone()),
                (LABEL_NODE.to_owned(), cfg.node_label()),
            ]),
        })
        .collect();
    (desired, observed, networks)
}

fn bench(c: &mut Criterion) {
    let cfg = config();
    let (desired, observed, networks) = inputs();
    let actions = plan(&desired, &observed, &networks, &cfg);
    eprintln!("hosting/plan/1000: {} actions", actions.len());
    let mut group = c.benchmark_group("hosting");
    group.bench_function("plan/1000", |b| {
        b.iter(|| {
            plan(
                black_box(&desired),
                black_box(&observed),
                black_box(&networks),
                &cfg,
            )
        })
    });
    let specs: Vec<AppSpec> = (0..INSTANCES).map(spec).collect();
    group.bench_function("containers_for/1000", |b| {
        b.iter(|| {
            for s in &specs {
                black_box(containers_for(black_box(s), 0, &cfg).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
