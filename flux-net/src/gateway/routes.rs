//! The route table: host name → (app, component) → the instances serving it, and [`Routes`],
//! the handle through which the node swaps in a new table after each committed block.
//!
//! A [`RouteTable`] is plain data the node builds (from the app specs and the placement at a
//! committed height, with the published addresses of the hosting nodes); installing it with
//! [`Routes::replace`] is one pointer swap, so requests in flight keep the table they started
//! with and never wait for the node.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use super::error::RouteError;
use super::host::normalize_host;

/// Where one component's instances serve (each address is the published host address of the
/// component's first port). The gateway tries `local` ones first (this node's own containers),
/// then `remote` ones (other hosting nodes), spreading requests round robin within each group.
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

/// One route as [`Routes::lookup`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// App name.
    pub app: String,
    /// Component name.
    pub component: String,
    /// Its serving instances.
    pub instances: Instances,
}

/// Host names and the instances of each (app, component) they lead to. Build one with
/// [`RouteTable::route_app`] (the FluxOS names of an app) or [`RouteTable::route`] (one name),
/// and [`RouteTable::set_instances`]; install it with [`Routes::replace`].
///
/// ```
/// use flux_net::gateway::{Instances, RouteTable};
///
/// let mut table = RouteTable::new();
/// let errors = table.route_app(
///     "app.localhost",
///     "shop",
///     [("web", &["shop.example.com".to_owned()][..]), ("api", &[][..])],
/// );
/// assert!(errors.is_empty());
/// table.set_instances("shop", "web", Instances { local: vec!["127.0.0.1:31000".parse().unwrap()], remote: vec![] });
/// assert_eq!(table.target("SHOP.app.localhost:80"), Some(("shop", "web")));
/// assert_eq!(table.target("api.shop.app.localhost"), Some(("shop", "api")));
/// assert_eq!(table.target("shop.example.com"), Some(("shop", "web")));
/// assert_eq!(table.target("other.app.localhost"), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteTable {
    hosts: BTreeMap<String, (String, String)>,
    instances: BTreeMap<(String, String), Instances>,
}

impl RouteTable {
    /// An empty table (every host unknown).
    pub fn new() -> RouteTable {
        RouteTable::default()
    }

    /// Routes `host` (any case, a port is ignored) to `component` of `app`.
    ///
    /// # Errors
    /// [`RouteError::InvalidHost`] if `host` is not a DNS name; [`RouteError::Conflict`] if it
    /// already routes elsewhere (the existing route stays). Routing a name again to the same
    /// target is not an error.
    pub fn route(&mut self, host: &str, app: &str, component: &str) -> Result<(), RouteError> {
        let name = normalize_host(host.as_bytes()).map_err(|source| RouteError::InvalidHost {
            host: host.to_owned(),
            source,
        })?;
        match self.hosts.get(&name) {
            Some((a, c)) if a == app && c == component => Ok(()),
            Some((a, c)) => Err(RouteError::Conflict {
                host: name,
                app: a.clone(),
                component: c.clone(),
                wanted_app: app.to_owned(),
                wanted_component: component.to_owned(),
            }),
            None => {
                self.hosts
                    .insert(name, (app.to_owned(), component.to_owned()));
                Ok(())
            }
        }
    }

    /// Routes the names FluxOS gives an app (see [`app_host_names`]): `<app>.<suffix>` to the
    /// first component, `<component>.<app>.<suffix>` to each component and each non-empty entry
    /// of a component's `domains` to that component. `components` are (name, domains) in the
    /// spec's order. Returns the names that could not be added (the others are).
    pub fn route_app<'a>(
        &mut self,
        suffix: &str,
        app: &str,
        components: impl IntoIterator<Item = (&'a str, &'a [String])>,
    ) -> Vec<RouteError> {
        app_host_names(suffix, app, components)
            .into_iter()
            .filter_map(|(host, component)| self.route(&host, app, &component).err())
            .collect()
    }

    /// Sets the serving instances of `component` of `app` (replacing earlier ones). A routed
    /// component without instances answers 503.
    pub fn set_instances(&mut self, app: &str, component: &str, instances: Instances) {
        self.instances
            .insert((app.to_owned(), component.to_owned()), instances);
    }

    /// The (app, component) `host` routes to, if any (`host` as a client would send it).
    pub fn target(&self, host: &str) -> Option<(&str, &str)> {
        let name = normalize_host(host.as_bytes()).ok()?;
        self.hosts.get(&name).map(|(a, c)| (a.as_str(), c.as_str()))
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

/// The host names FluxOS's domain manager gives an app under `suffix`, each with the component
/// it leads to: `<app>.<suffix>` → the first component, `<component>.<app>.<suffix>` → each
/// component, and each non-empty `domains` entry → its component. Names are lower case;
/// `components` are (name, domains) in the spec's order. Pure; validity is checked when the
/// names are routed ([`RouteTable::route`]).
///
/// ```
/// use flux_net::gateway::app_host_names;
///
/// let names = app_host_names("app.localhost", "Shop", [("web", &[][..])]);
/// assert_eq!(names, vec![
///     ("shop.app.localhost".to_owned(), "web".to_owned()),
///     ("web.shop.app.localhost".to_owned(), "web".to_owned()),
/// ]);
/// ```
pub fn app_host_names<'a>(
    suffix: &str,
    app: &str,
    components: impl IntoIterator<Item = (&'a str, &'a [String])>,
) -> Vec<(String, String)> {
    let app_lower = app.to_ascii_lowercase();
    let suffix = suffix.trim_matches('.').to_ascii_lowercase();
    let mut names = Vec::new();
    for (i, (component, domains)) in components.into_iter().enumerate() {
        if i == 0 {
            names.push((format!("{app_lower}.{suffix}"), component.to_owned()));
        }
        let lower = component.to_ascii_lowercase();
        names.push((
            format!("{lower}.{app_lower}.{suffix}"),
            component.to_owned(),
        ));
        for domain in domains.iter().map(|d| d.trim()).filter(|d| !d.is_empty()) {
            names.push((domain.to_ascii_lowercase(), component.to_owned()));
        }
    }
    names
}

/// One (app, component) of an installed table, with its rotation counter.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) app: String,
    pub(crate) component: String,
    pub(crate) instances: Instances,
    next: AtomicUsize,
}

impl Target {
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

/// An installed table: each name points at a shared [`Target`].
#[derive(Debug, Default)]
pub(crate) struct Installed {
    hosts: BTreeMap<String, Arc<Target>>,
}

impl Installed {
    fn from_table(table: RouteTable) -> Installed {
        let RouteTable { hosts, instances } = table;
        let mut targets: BTreeMap<(String, String), Arc<Target>> = BTreeMap::new();
        let mut installed = BTreeMap::new();
        for (host, key) in hosts {
            let target = targets
                .entry(key.clone())
                .or_insert_with(|| {
                    Arc::new(Target {
                        instances: instances.get(&key).cloned().unwrap_or_default(),
                        app: key.0,
                        component: key.1,
                        next: AtomicUsize::new(0),
                    })
                })
                .clone();
            installed.insert(host, target);
        }
        Installed { hosts: installed }
    }

    /// The target of a normalised name.
    pub(crate) fn get(&self, name: &str) -> Option<&Arc<Target>> {
        self.hosts.get(name)
    }
}

/// The gateway's current route table, shared between the gateway and whoever updates it (the
/// node, after each committed block). Cloning gives another handle to the same table.
///
/// ```
/// use flux_net::gateway::{Instances, RouteTable, Routes};
///
/// let routes = Routes::new();
/// assert_eq!(routes.lookup("shop.app.localhost"), None);
/// let mut table = RouteTable::new();
/// table.route("shop.app.localhost", "shop", "web").unwrap();
/// routes.replace(table);
/// let route = routes.lookup("Shop.App.Localhost:20080").unwrap();
/// assert_eq!((route.app.as_str(), route.instances), ("shop", Instances::default()));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Routes {
    current: Arc<RwLock<Arc<Installed>>>,
}

impl Routes {
    /// A handle to an empty table.
    pub fn new() -> Routes {
        Routes::default()
    }

    /// Installs `table`; requests from now on use it (requests in flight finish with the old
    /// one). Round-robin positions start again.
    pub fn replace(&self, table: RouteTable) {
        let installed = Arc::new(Installed::from_table(table));
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = installed;
    }

    /// The route of `host` (as a client would send it) in the current table.
    pub fn lookup(&self, host: &str) -> Option<Route> {
        let name = normalize_host(host.as_bytes()).ok()?;
        self.snapshot().get(&name).map(|t| Route {
            app: t.app.clone(),
            component: t.component.clone(),
            instances: t.instances.clone(),
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
        table.route("a.example", "one", "web").unwrap();
        table.route("A.example", "one", "web").unwrap();
        let err = table.route("a.example.", "two", "web").unwrap_err();
        assert!(
            matches!(err, RouteError::Conflict { ref app, .. } if app == "one"),
            "{err}"
        );
        assert_eq!(table.target("a.example"), Some(("one", "web")));
        assert_eq!(
            table.route("bad host", "one", "web"),
            Err(RouteError::InvalidHost {
                host: "bad host".into(),
                source: HostError::BadName
            })
        );
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn route_app_reports_bad_domains_and_keeps_the_rest() {
        let mut table = RouteTable::new();
        let domains = [
            "".to_owned(),
            "bad domain".to_owned(),
            "ok.example".to_owned(),
        ];
        let errors = table.route_app("app.localhost", "shop", [("web", &domains[..])]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(table.len(), 3);
        assert_eq!(table.target("ok.example"), Some(("shop", "web")));
    }

    #[test]
    fn order_is_local_first_and_rotates() {
        let target = Target {
            app: "a".into(),
            component: "c".into(),
            instances: Instances {
                local: vec![addr(1)],
                remote: vec![addr(2), addr(3), addr(4)],
            },
            next: AtomicUsize::new(0),
        };
        let firsts: Vec<_> = (0..3).map(|_| target.order()).collect();
        for order in &firsts {
            assert_eq!(order.len(), 4);
            assert_eq!(order[0], addr(1));
        }
        let remote_firsts: Vec<_> = firsts.iter().map(|o| o[1]).collect();
        assert_eq!(remote_firsts, vec![addr(2), addr(3), addr(4)]);
        let empty = Target {
            app: "a".into(),
            component: "c".into(),
            instances: Instances::default(),
            next: AtomicUsize::new(0),
        };
        assert!(empty.order().is_empty());
    }

    #[test]
    fn names_of_one_target_share_its_rotation() {
        let routes = Routes::new();
        let mut table = RouteTable::new();
        table.route_app("app.localhost", "shop", [("web", &[][..])]);
        table.set_instances(
            "shop",
            "web",
            Instances {
                local: vec![],
                remote: vec![addr(1), addr(2)],
            },
        );
        routes.replace(table);
        let installed = routes.snapshot();
        let a = installed.get("shop.app.localhost").unwrap().order();
        let b = installed.get("web.shop.app.localhost").unwrap().order();
        assert_ne!(a[0], b[0]);
    }
}
