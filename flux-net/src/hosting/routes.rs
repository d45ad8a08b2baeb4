//! From the committed chain state to what hosting needs: the containers this node should run
//! ([`Snapshot::desired`]) and the gateway's route table ([`Snapshot::routes`]).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use flux_chain::state::State;
use flux_nodes::NodeId;
use flux_nodes::app::AppSpec;
use flux_nodes::hosting::{ContainerSpec, HostConfig, containers_for};

use crate::gateway::{Instances, RouteTable, Target};

/// An app's placed instances as (instance, node).
pub type Placed = Vec<(u32, NodeId)>;

/// The hosting-relevant part of the state at one committed height.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The height it was read at.
    pub height: u64,
    /// Every app with a readable spec: name → (spec, placed instances as (instance, node)).
    pub apps: BTreeMap<String, (Arc<AppSpec>, Placed)>,
    /// The host part of each hosting node's registered endpoint.
    pub hosts: BTreeMap<NodeId, IpAddr>,
    /// This node's tier, when it is registered.
    pub tier: Option<flux_core::Tier>,
}

/// App specs parsed at an earlier pass, by name, with the height of the registration or
/// update they came from: a pass parses only the specs that changed since.
#[derive(Clone, Debug, Default)]
pub struct SpecCache {
    specs: BTreeMap<String, (u64, Option<Arc<AppSpec>>)>,
}

impl Snapshot {
    /// Reads the snapshot from `state` for the node `me`, parsing through `cache`.
    pub fn read(
        state: &State,
        height: u64,
        me: Option<&NodeId>,
        cache: &mut SpecCache,
    ) -> Snapshot {
        let params = &state.params().apps;
        let placement = state.placement();
        let mut apps = BTreeMap::new();
        let mut hosts = BTreeMap::new();
        cache
            .specs
            .retain(|name, _| state.apps().contains_key(name));
        for (name, entry) in state.apps().iter() {
            let cached = cache
                .specs
                .get(name)
                .filter(|(at, _)| *at == entry.registered_at);
            let spec = match cached {
                Some((_, spec)) => spec.clone(),
                None => {
                    let parsed = AppSpec::from_json_lenient(entry.spec_json.as_bytes(), params)
                        .ok()
                        .map(Arc::new);
                    cache
                        .specs
                        .insert(name.clone(), (entry.registered_at, parsed.clone()));
                    parsed
                }
            };
            let Some(spec) = spec else {
                continue;
            };
            let placed = placement.instances_of(name);
            for (_, node) in &placed {
                if let Some(ip) = state
                    .registry()
                    .get(node)
                    .and_then(|n| endpoint_ip(&n.endpoint))
                {
                    hosts.insert(*node, ip);
                }
            }
            apps.insert(name.clone(), (spec, placed));
        }
        let tier = me.and_then(|id| state.registry().get(id)).map(|n| n.tier);
        Snapshot {
            height,
            apps,
            hosts,
            tier,
        }
    }

    /// The containers `host`'s node should run, and the instances whose spec was refused
    /// (with the reason).
    pub fn desired(&self, host: &HostConfig) -> (Vec<ContainerSpec>, Vec<(String, u32, String)>) {
        let mut desired = Vec::new();
        let mut refused = Vec::new();
        for (name, (spec, placed)) in &self.apps {
            for (instance, node) in placed {
                if *node != host.node {
                    continue;
                }
                match containers_for(spec, *instance, host) {
                    Ok(mut specs) => desired.append(&mut specs),
                    Err(e) => refused.push((name.clone(), *instance, e.to_string())),
                }
            }
        }
        (desired, refused)
    }

    /// The gateway's table: every app's host names under `suffix` (`flux_nodes::hosting::routes`),
    /// each routed to its component's public port on every hosting node; this node's own instance
    /// (`me`, published on `local_ip`) only while `local` says it serves, and where `local`
    /// says (its container's own address when it answers there, see [`LocalInstance`]).
    pub fn routes(
        &self,
        suffix: &str,
        me: Option<&NodeId>,
        local_ip: IpAddr,
        local: impl Fn(&Target) -> LocalInstance,
    ) -> RouteTable {
        let mut table = RouteTable::new();
        let names =
            flux_nodes::hosting::routes(self.apps.values().map(|(spec, _)| &**spec), suffix);
        let mut targets = BTreeMap::new();
        for (host, route) in &names.hosts {
            let target = Target {
                app: route.app.clone(),
                component: route.component.clone(),
                port_index: route.port_index,
            };
            match table.route(host, target.clone()) {
                Ok(()) => {
                    targets.insert(target, route.public_port);
                }
                Err(error) => tracing::debug!(%host, %error, "gateway: a host name is not routed"),
            }
        }
        for (target, port) in targets {
            let Some((_, placed)) = self.apps.get(&target.app) else {
                continue;
            };
            let mut instances = Instances::default();
            for (_, node) in placed {
                if Some(node) == me {
                    match local(&target) {
                        LocalInstance::Down => {}
                        LocalInstance::Published => {
                            instances.local.push(SocketAddr::new(local_ip, port));
                        }
                        LocalInstance::Direct(addr) => instances.local.push(addr),
                    }
                } else if let Some(ip) = self.hosts.get(node) {
                    instances.remote.push(SocketAddr::new(*ip, port));
                }
            }
            table.set_instances(target, instances);
        }
        table
    }
}

/// Where this node's gateway reaches its own instance of a component (see
/// [`Snapshot::routes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalInstance {
    /// Not serving: not routed.
    Down,
    /// Serving, through its published port on the node's address.
    Published,
    /// Serving, and answering at this address of its container on the app's network: reached
    /// there, without the engine's port proxy.
    Direct(SocketAddr),
}

/// The IP of a `host:port` endpoint, when its host is an address (names are not resolved).
fn endpoint_ip(endpoint: &str) -> Option<IpAddr> {
    let (host, _) = endpoint.rsplit_once(':')?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_hosts_parse_as_addresses_only() {
        assert_eq!(
            endpoint_ip("127.0.0.3:16127"),
            Some("127.0.0.3".parse().unwrap())
        );
        assert_eq!(endpoint_ip("[::1]:80"), Some("::1".parse().unwrap()));
        assert_eq!(endpoint_ip("node.example.org:80"), None);
        assert_eq!(endpoint_ip("nonsense"), None);
    }

    /// This node's own instance is routed where [`LocalInstance`] says: not at all while down,
    /// its published port, or its container's address; the other node's through its endpoint.
    #[test]
    fn the_local_instance_is_reached_where_it_answers() {
        let json = serde_json::json!({
            "version": 8, "name": "web", "description": "routes test",
            "owner": "1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
            "compose": [{
                "name": "front", "description": "", "repotag": "img:1",
                "ports": [31000], "domains": [], "containerPorts": [8080],
                "environmentParameters": [], "commands": [], "containerData": "/data",
                "cpu": 0.1, "ram": 100, "hdd": 1, "repoauth": ""
            }],
            "instances": 3, "contacts": [], "geolocation": [], "expire": 5000,
            "nodes": [], "staticip": false, "enterprise": ""
        })
        .to_string();
        let params = flux_core::ChainParams::devnet().apps;
        let spec = AppSpec::from_json_lenient(json.as_bytes(), &params).unwrap();
        let node = |b| NodeId(flux_core::Hash::from_bytes([b; 32]));
        let (me, other) = (node(1), node(2));
        let snapshot = Snapshot {
            height: 1,
            apps: [(
                "web".to_string(),
                (Arc::new(spec), vec![(0, me), (1, other)]),
            )]
            .into(),
            hosts: [(other, "10.0.0.2".parse().unwrap())].into(),
            tier: None,
        };
        let local_ip: IpAddr = "127.0.0.1".parse().unwrap();
        let direct: SocketAddr = "172.18.0.5:8080".parse().unwrap();
        let remote: SocketAddr = "10.0.0.2:31000".parse().unwrap();
        for (local, expected) in [
            (LocalInstance::Down, vec![]),
            (
                LocalInstance::Published,
                vec!["127.0.0.1:31000".parse().unwrap()],
            ),
            (LocalInstance::Direct(direct), vec![direct]),
        ] {
            let table = snapshot.routes("app.localhost", Some(&me), local_ip, |t| {
                assert_eq!((t.app.as_str(), t.component.as_str()), ("web", "front"));
                local
            });
            let shared = crate::gateway::SharedRoutes::default();
            shared.replace(table);
            let route = shared.lookup("web.app.localhost").unwrap();
            assert_eq!(route.instances.local, expected);
            assert_eq!(route.instances.remote, vec![remote]);
        }
    }
}
