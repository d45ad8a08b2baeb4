//! The route table: host name → target (one port of one component of an app) → the instances
//! serving it, and [`SharedRoutes`], the handle through which the node swaps in a new table
//! after each committed block.
//!
//! A [`RouteTable`] is plain data the node builds (the host names from
//! `flux_nodes::hosting::routes`, the instances from the placement at a committed height and the
//! hosting nodes' published addresses); installing it with [`SharedRoutes::replace`] is one
//! pointer swap, so requests in flight keep the table they started with and never wait for the
//! node.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use super::error::RouteError;
use super::host::normalize_host;

/// What a host name leads to: port `port_index` (into the component's `ports`) of `component`
/// of `app`. `<app>.<suffix>` and `<component>.<app>.<suffix>` lead to port 0, `domains[i]` to
/// port `i`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// App name.
    pub app: String,
    /// Component name.
    pub component: String,
    /// Index into the component's `ports`.
    pub port_index: usize,
}

impl Target {
    /// The first port of `component` of `app`.
    pub fn first_port(app: &str, component: &str) -> Target {
        Target {
            app: app.to_owned(),
            component: component.to_owned(),
            port_index: 0,
        }
    }
}

/// Where a target's instances serve (each address is an instance's published host address of
/// the target's port). The gateway tries `local` ones first (this node's own containers), then
/// `remote` ones (other hosting nodes), spreading requests round robin within each group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Instances {
    /// This node's own serving instances.
    pub local: Vec<SocketAddr>,
    /// Serving instances on other nodes.
    pub remote: Vec<SocketAddr>,
}

impl Instances {
    /// No instance serves.
    pub fn is_empty(&self) -> bool {
        self.local.is_empty() && self.remote.is_empty()
    }
}

/// A host name's route as [`SharedRoutes::lookup`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Where the name leads.
    pub target: Target,
    /// The target's serving instances.
    pub instances: Instances,
}

/// Host names, the [`Target`] each leads to, and the instances of each target. Build one with
/// [`RouteTable::from_plan`] (the names of every app, from `flux_nodes::hosting::routes`) or
/// [`RouteTable::route`] and [`RouteTable::set_instances`]; install it with
/// [`SharedRoutes::replace`].
///
/// ```
/// use flux_net::gateway::{Instances, RouteTable, Target};
///
/// let mut table = RouteTable::new();
/// let web = Target::first_port("shop", "web");
/// table.route("shop.app.localhost", web.clone()).unwrap();
/// table.route("shop.example.com", web.clone()).unwrap();
/// table.set_instances(web.clone(), Instances { local: vec!["127.0.0.1:31000".parse().unwrap()], remote: vec![] });
/// assert_eq!(table.target("SHOP.app.localhost:80"), Some(&web));
/// assert_eq!(table.target("shop.example.com."), Some(&web));
/// assert_eq!(table.target("other.app.localhost"), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteTable {
    hosts: BTreeMap<String, Target>,
    instances: BTreeMap<Target, Instances>,
}

impl RouteTable {
    /// An empty table (every host unknown).
    pub fn new() -> RouteTable {
        RouteTable::default()
    }

    /// The table of `plan` (`flux_nodes::hosting::routes(specs, suffix)`: every host name of
    /// every app), with the instances of each target from `instances`, called once per target
    /// with one of its routes (so `route.public_port` is the port to reach on each hosting node).
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use flux_net::gateway::{Instances, RouteTable, Target};
    /// # let json = r#"{"version":8,"name":"shop","description":"","owner":"o","compose":[{"name":"web",
    /// #   "description":"","repotag":"nginx:1","ports":[31000],"containerPorts":[80],"domains":["shop.example.com"],
    /// #   "environmentParameters":[],"commands":[],"containerData":"","cpu":0.5,"ram":500,"hdd":5}],
    /// #   "instances":3,"expire":5000}"#;
    /// # let shop = flux_nodes::app::AppSpec::from_json_lenient(json.as_bytes(), &flux_core::ChainParams::devnet().apps)?;
    /// let plan = flux_nodes::hosting::routes([&shop], "app.localhost");
    /// // This node (127.0.0.1) and one other (127.0.0.2) run an instance.
    /// let table = RouteTable::from_plan(&plan, |route| Instances {
    ///     local: vec![SocketAddr::from(([127, 0, 0, 1], route.public_port))],
    ///     remote: vec![SocketAddr::from(([127, 0, 0, 2], route.public_port))],
    /// });
    /// let web = Target::first_port("shop", "web");
    /// assert_eq!(table.target("shop.app.localhost"), Some(&web));
    /// assert_eq!(table.target("shop.example.com"), Some(&web));
    /// assert_eq!(table.instances(&web).map(|i| i.local[0].port()), Some(31000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_plan(
        plan: &flux_nodes::hosting::Routes,
        mut instances: impl FnMut(&flux_nodes::hosting::Route) -> Instances,
    ) -> RouteTable {
        let mut table = RouteTable::new();
        for (host, route) in &plan.hosts {
            let target = Target {
                app: route.app.clone(),
                component: route.component.clone(),
                port_index: route.port_index,
            };
            if !table.instances.contains_key(&target) {
                table.instances.insert(target.clone(), instances(route));
            }
            // The plan's names are normalised DNS names, each once: this can not fail.
            if let Err(e) = table.route(host, target) {
                tracing::warn!(error = %e, "gateway: a planned route was not added");
            }
        }
        table
    }

    /// Routes `host` (any case, a port and a trailing dot are ignored) to `target`.
    ///
    /// # Errors
    /// [`RouteError::InvalidHost`] if `host` is not a DNS name; [`RouteError::Conflict`] if it
    /// already routes elsewhere (the existing route stays). Routing a name again to the same
    /// target is not an error.
    pub fn route(&mut self, host: &str, target: Target) -> Result<(), RouteError> {
        let name = normalize_host(host.as_bytes()).map_err(|source| RouteError::InvalidHost {
            host: host.to_owned(),
            source,
        })?;
        match self.hosts.get(&name) {
            Some(existing) if *existing == target => Ok(()),
            Some(existing) => Err(RouteError::Conflict {
                host: name,
                existing: Box::new(existing.clone()),
                wanted: Box::new(target),
            }),
            None => {
                self.hosts.insert(name, target);
                Ok(())
            }
        }
    }

    /// Sets the serving instances of `target` (replacing earlier ones). A routed target without
    /// instances answers 503.
    pub fn set_instances(&mut self, target: Target, instances: Instances) {
        self.instances.insert(target, instances);
    }

    /// Where `host` (as a client would send it) leads, if anywhere.
    pub fn target(&self, host: &str) -> Option<&Target> {
        let name = normalize_host(host.as_bytes()).ok()?;
        self.hosts.get(&name)
    }

    /// The instances set for `target` (none if never set).
    pub fn instances(&self, target: &Target) -> Option<&Instances> {
        self.instances.get(target)
    }

    /// Number of host names routed.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Whether no host name is routed.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }
}

/// One target of an installed table, with its rotation counter.
#[derive(Debug)]
pub(crate) struct Upstreams {
    pub(crate) target: Target,
    pub(crate) instances: Instances,
    next: AtomicUsize,
}

impl Upstreams {
    /// The instances to try for one request, in order: the local ones, then the remote ones,
    /// each group rotated one step further than for the previous request (round robin).
    pub(crate) fn order(&self) -> Vec<SocketAddr> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let rotated = |group: &[SocketAddr]| {
            let k = n.checked_rem(group.len()).unwrap_or(0);
            group
                .iter()
                .skip(k)
                .chain(group.iter().take(k))
                .copied()
                .collect::<Vec<_>>()
        };
        let mut order = rotated(&self.instances.local);
        order.extend(rotated(&self.instances.remote));
        order
    }
}

/// An installed table: each name points at its target's shared [`Upstreams`] (so every name of
/// a target rotates over its instances together).
#[derive(Debug, Default)]
pub(crate) struct Installed {
    hosts: BTreeMap<String, Arc<Upstreams>>,
}

impl Installed {
    fn from_table(table: RouteTable) -> Installed {
        let RouteTable { hosts, instances } = table;
        let mut shared: BTreeMap<Target, Arc<Upstreams>> = BTreeMap::new();
        let mut installed = BTreeMap::new();
        for (host, target) in hosts {
            let upstreams = shared
                .entry(target.clone())
                .or_insert_with(|| {
                    Arc::new(Upstreams {
                        instances: instances.get(&target).cloned().unwrap_or_default(),
                        target,
                        next: AtomicUsize::new(0),
                    })
                })
                .clone();
            installed.insert(host, upstreams);
        }
        Installed { hosts: installed }
    }

    /// The upstreams of a normalised name.
    pub(crate) fn get(&self, name: &str) -> Option<&Arc<Upstreams>> {
        self.hosts.get(name)
    }
}

/// The gateway's current route table, shared between the gateway and whoever updates it (the
/// node, after each committed block). Cloning gives another handle to the same table.
///
/// ```
/// use flux_net::gateway::{Instances, RouteTable, SharedRoutes, Target};
///
/// let routes = SharedRoutes::new();
/// assert_eq!(routes.lookup("shop.app.localhost"), None);
/// let mut table = RouteTable::new();
/// table.route("shop.app.localhost", Target::first_port("shop", "web")).unwrap();
/// routes.replace(table);
/// let found = routes.lookup("Shop.App.Localhost:20080").unwrap();
/// assert_eq!(found.target.app, "shop");
/// assert!(found.instances.is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct SharedRoutes {
    current: Arc<RwLock<Arc<Installed>>>,
}

impl SharedRoutes {
    /// A handle to an empty table.
    pub fn new() -> SharedRoutes {
        SharedRoutes::default()
    }

    /// Installs `table`; requests from now on use it (requests in flight finish with the old
    /// one). Round-robin positions start again.
    pub fn replace(&self, table: RouteTable) {
        let installed = Arc::new(Installed::from_table(table));
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = installed;
    }

    /// The route of `host` (as a client would send it) in the current table.
    pub fn lookup(&self, host: &str) -> Option<Resolved> {
        let name = normalize_host(host.as_bytes()).ok()?;
        self.snapshot().get(&name).map(|u| Resolved {
            target: u.target.clone(),
            instances: u.instances.clone(),
        })
    }

    /// The current table (one pointer copy).
    pub(crate) fn snapshot(&self) -> Arc<Installed> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::gateway::HostError;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn conflicts_keep_the_first_route() {
        let mut table = RouteTable::new();
        let one = Target::first_port("one", "web");
        table.route("a.example", one.clone()).unwrap();
        table.route("A.example", one.clone()).unwrap();
        let err = table
            .route("a.example.", Target::first_port("two", "web"))
            .unwrap_err();
        assert!(
            matches!(err, RouteError::Conflict { ref existing, .. } if **existing == one),
            "{err}"
        );
        assert_eq!(table.target("a.example"), Some(&one));
        assert_eq!(
            table.route("bad host", one.clone()),
            Err(RouteError::InvalidHost {
                host: "bad host".into(),
                source: HostError::BadName
            })
        );
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn order_is_local_first_and_rotates() {
        let upstreams = Upstreams {
            target: Target::first_port("a", "c"),
            instances: Instances {
                local: vec![addr(1)],
                remote: vec![addr(2), addr(3), addr(4)],
            },
            next: AtomicUsize::new(0),
        };
        let firsts: Vec<_> = (0..3).map(|_| upstreams.order()).collect();
        for order in &firsts {
            assert_eq!(order.len(), 4);
            assert_eq!(order[0], addr(1));
        }
        let remote_firsts: Vec<_> = firsts.iter().map(|o| o[1]).collect();
        assert_eq!(remote_firsts, vec![addr(2), addr(3), addr(4)]);
        let empty = Upstreams {
            target: Target::first_port("a", "c"),
            instances: Instances::default(),
            next: AtomicUsize::new(0),
        };
        assert!(empty.order().is_empty());
    }

    #[test]
    fn names_of_one_target_share_its_rotation() {
        let routes = SharedRoutes::new();
        let mut table = RouteTable::new();
        let web = Target::first_port("shop", "web");
        table.route("shop.app.localhost", web.clone()).unwrap();
        table.route("web.shop.app.localhost", web.clone()).unwrap();
        let instances = Instances {
            local: vec![],
            remote: vec![addr(1), addr(2)],
        };
        table.set_instances(web.clone(), instances.clone());
        assert_eq!(table.instances(&web), Some(&instances));
        routes.replace(table);
        let installed = routes.snapshot();
        let a = installed.get("shop.app.localhost").unwrap().order();
        let b = installed.get("web.shop.app.localhost").unwrap().order();
        assert_ne!(a[0], b[0]);
    }
}
