//! Unit tests of hosting: spec → containers, validation, plan, routes.

mod container;
mod plan;
mod routes;
mod validate;

use crate::app::{AppSpec, Component, Enterprise};
use crate::hosting::HostConfig;
use crate::node::NodeId;
use flux_core::{Hash, Tier};

/// A node config on 127.0.0.2 with data under /srv/flux.
pub(super) fn config(node: u8) -> HostConfig {
    HostConfig::new(
        NodeId(Hash::from_bytes([node; 32])),
        Tier::Nimbus,
        "127.0.0.2".parse().unwrap(),
        "/srv/flux",
    )
}

/// A component with one port.
pub(super) fn component(name: &str, port: u16) -> Component {
    Component {
        name: name.into(),
        description: String::new(),
        repotag: "example/web:1".into(),
        ports: vec![port],
        container_ports: vec![80],
        domains: vec![],
        environment_parameters: vec!["A=1".into()],
        commands: vec!["serve".into(), "--port=80".into()],
        container_data: "/data".into(),
        cpu_tenths: 5,
        ram_mb: 500,
        hdd_gb: 5,
        gpu: 0,
        gpu_memory_gb: 0,
        tiers: None,
        repoauth: None,
        secrets: None,
    }
}

/// An app with the given components.
pub(super) fn app(name: &str, components: Vec<Component>) -> AppSpec {
    AppSpec {
        version: 8,
        name: name.into(),
        description: String::new(),
        owner: "owner".into(),
        components,
        instances: 3,
        contacts: vec![],
        geolocation: vec![],
        expire: 5000,
        nodes: vec![],
        staticip: false,
        datacenter: None,
        enterprise: Enterprise::No,
    }
}
