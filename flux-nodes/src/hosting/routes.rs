//! The gateway's routing table, pure: which `Host` reaches which app component and port.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::validate::is_name;
use crate::app::AppSpec;

/// Where one host name goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The app.
    pub app: String,
    /// The component.
    pub component: String,
    /// Index into the component's `ports` / `containerPorts`.
    pub port_index: usize,
    /// `ports[port_index]`: the port instances publish on their node's host address.
    pub public_port: u16,
    /// `containerPorts[port_index]`.
    pub container_port: u16,
}

/// Why a host name an app asked for is not routed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Skip {
    /// Another app (earlier by name) or a generated name already has it.
    Taken {
        /// The app routed there.
        by: String,
    },
    /// A `domains[]` entry equal to or under the gateway's suffix (it could capture another
    /// app's generated name).
    UnderSuffix,
    /// A `domains[]` entry that is not a host name.
    NotAHostName,
    /// The component publishes no port.
    NoPort,
}

/// A host name asked for and not routed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The host name (normalised when it parsed).
    pub host: String,
    /// The app that asked.
    pub app: String,
    /// The component.
    pub component: String,
    /// Why.
    pub why: Skip,
}

/// The routing table of every app, from [`routes`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routes {
    /// Host name (lower case, no port, no trailing dot) to its route.
    pub hosts: BTreeMap<String, Route>,
    /// Names asked for and not routed, in the order they were met.
    pub skipped: Vec<Skipped>,
}

impl Routes {
    /// The route of an HTTP `Host` header value: case-insensitive, `:port` and a trailing dot
    /// ignored.
    pub fn resolve(&self, host: &str) -> Option<&Route> {
        self.hosts.get(&normalise(strip_port(host))?)
    }
}

/// The routing table for `specs` with the gateway's domain `suffix` (e.g. `app.localhost`).
///
/// - `<app>.<suffix>` → the first port of the app's first component that publishes one;
/// - `<component>.<app>.<suffix>` → that component's first port;
/// - every non-empty `domains[i]` of a component → that component, port `i` (port 0 when the
///   component has fewer ports).
///
/// Generated names are routed before any `domains[]` entry, and apps in name order, so the
/// table depends only on the set of specs; a name met twice keeps its first route and the
/// second is [`Skipped`]. A `domains[]` entry at or under `suffix` is skipped: only generated
/// names live there. Apps whose name is not a valid app name are left out.
///
/// ```
/// use flux_nodes::hosting::routes;
/// # let json = r#"{"version":8,"name":"shop","description":"","owner":"o","compose":[{"name":"web",
/// #   "description":"","repotag":"nginx:1","ports":[31000],"containerPorts":[80],"domains":["Shop.Example.com"],
/// #   "environmentParameters":[],"commands":[],"containerData":"","cpu":0.5,"ram":500,"hdd":5}],
/// #   "instances":3,"expire":5000}"#;
/// let shop = flux_nodes::app::AppSpec::from_json_lenient(json.as_bytes(), &flux_core::ChainParams::devnet().apps)?;
/// let table = routes([&shop], "app.localhost");
/// let r = table.resolve("shop.app.localhost:20080").ok_or("routed")?;
/// assert_eq!((r.component.as_str(), r.public_port, r.container_port), ("web", 31000, 80));
/// assert!(table.resolve("web.shop.app.localhost").is_some());
/// assert!(table.resolve("shop.example.com.").is_some());
/// assert!(table.resolve("other.app.localhost").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn routes<'a>(specs: impl IntoIterator<Item = &'a AppSpec>, suffix: &str) -> Routes {
    let suffix = suffix.trim_matches('.').to_ascii_lowercase();
    let mut apps: BTreeMap<&str, &AppSpec> = BTreeMap::new();
    for spec in specs {
        if is_name(&spec.name) {
            apps.entry(spec.name.as_str()).or_insert(spec);
        }
    }
    let mut table = Routes::default();
    for spec in apps.values() {
        if let Some((c, route)) = spec
            .components
            .iter()
            .find_map(|c| route(spec, c, 0).map(|r| (c, r)))
        {
            table.add(format!("{}.{suffix}", spec.name), &c.name, route);
        }
        for c in &spec.components {
            let host = format!("{}.{}.{suffix}", c.name, spec.name);
            table.add_or_skip(host, spec, c, route(spec, c, 0));
        }
    }
    for spec in apps.values() {
        for c in &spec.components {
            for (i, domain) in c.domains.iter().enumerate() {
                if domain.is_empty() {
                    continue;
                }
                let Some(host) = normalise(domain) else {
                    table.skip(domain.clone(), spec, &c.name, Skip::NotAHostName);
                    continue;
                };
                if host == suffix || host.ends_with(&format!(".{suffix}")) {
                    table.skip(host, spec, &c.name, Skip::UnderSuffix);
                    continue;
                }
                let port = if i < c.ports.len() { i } else { 0 };
                table.add_or_skip(host, spec, c, route(spec, c, port));
            }
        }
    }
    table
}

impl Routes {
    fn add(&mut self, host: String, component: &str, route: Route) {
        let host = host.to_ascii_lowercase();
        match self.hosts.get(&host) {
            Some(existing) => {
                let by = existing.app.clone();
                self.skipped.push(Skipped {
                    host,
                    app: route.app,
                    component: component.to_owned(),
                    why: Skip::Taken { by },
                });
            }
            None => {
                self.hosts.insert(host, route);
            }
        }
    }

    fn add_or_skip(
        &mut self,
        host: String,
        spec: &AppSpec,
        c: &crate::app::Component,
        route: Option<Route>,
    ) {
        match route {
            Some(r) => self.add(host, &c.name, r),
            None => self.skip(host.to_ascii_lowercase(), spec, &c.name, Skip::NoPort),
        }
    }

    fn skip(&mut self, host: String, spec: &AppSpec, component: &str, why: Skip) {
        self.skipped.push(Skipped {
            host,
            app: spec.name.clone(),
            component: component.to_owned(),
            why,
        });
    }
}

fn route(spec: &AppSpec, c: &crate::app::Component, i: usize) -> Option<Route> {
    Some(Route {
        app: spec.name.clone(),
        component: c.name.clone(),
        port_index: i,
        public_port: *c.ports.get(i)?,
        container_port: *c.container_ports.get(i)?,
    })
}

fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Lower case without a trailing dot, if `host` is a DNS name (labels of 1–63 letters, digits
/// and inner `-`, at most 253 bytes); else `None`.
fn normalise(host: &str) -> Option<String> {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let ok = (1..=253).contains(&host.len())
        && host.split('.').all(|l| {
            let b = l.as_bytes();
            (1..=63).contains(&b.len())
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
                && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
        });
    ok.then_some(host)
}
