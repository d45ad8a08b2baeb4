//! App specs for tests and benchmarks: one-port HTTP components and a v8 spec around them.

use crate::app::{AppSpec, Component, Enterprise};

/// A component `name` running `repotag`, publishing `port` to container port 80, with
/// `env`, 0.1 CPU, 100 MB RAM, 1 GB SSD and data at `/data`.
///
/// ```
/// let c = flux_nodes::testkit::apps::component("web", "example/web:1", 30000, &["A=1"]);
/// assert_eq!((c.ports[0], c.container_ports[0]), (30000, 80));
/// ```
pub fn component(name: &str, repotag: &str, port: u16, env: &[&str]) -> Component {
    Component {
        name: name.into(),
        description: String::new(),
        repotag: repotag.into(),
        ports: vec![port],
        container_ports: vec![80],
        domains: vec![],
        environment_parameters: env.iter().map(|e| (*e).to_owned()).collect(),
        commands: vec![],
        container_data: "/data".into(),
        cpu_tenths: 1,
        ram_mb: 100,
        hdd_gb: 1,
        gpu: 0,
        gpu_memory_gb: 0,
        tiers: None,
        repoauth: None,
        secrets: None,
    }
}

/// A v8 spec `name` of `components`, 3 instances, 1,000 blocks, no placement rules.
pub fn spec(name: &str, components: Vec<Component>) -> AppSpec {
    AppSpec {
        version: 8,
        name: name.into(),
        description: String::new(),
        owner: "o".into(),
        components,
        instances: 3,
        contacts: vec![],
        geolocation: vec![],
        expire: 1000,
        nodes: vec![],
        staticip: false,
        datacenter: None,
        enterprise: Enterprise::No,
    }
}
