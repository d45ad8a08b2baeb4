//! From one app spec to this node's containers: one [`ContainerSpec`] per component.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use flux_core::Hash;
use flux_core::codec;
use flux_core::hash::Tag;

use super::config::HostConfig;
use super::error::HostingError;
use super::types::{
    ContainerSpec, LABEL_APP, LABEL_COMPONENT, LABEL_CONTAINER, LABEL_INSTANCE, LABEL_NODE,
    LABEL_SPEC, Mount, PortMap,
};
use super::validate::{check_spec, container_path};
use crate::app::{AppSpec, Component};

static SPEC_TAG: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/hosting/app-spec/v1"));
static CONTAINER_TAG: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/hosting/container/v1"));

/// Docker's smallest memory limit (6 MiB).
pub const MIN_MEMORY_MB: u64 = 6;

/// The spec's hash: BLAKE3 (tag `flux/hosting/app-spec/v1`) of its canonical encoding. It is
/// the [`LABEL_SPEC`] value; any change to the spec (an `AppUpdate`) changes it.
///
/// # Errors
/// [`HostingError::Encode`] only if the spec cannot be encoded (never for a spec this crate
/// read).
pub fn spec_hash(spec: &AppSpec) -> Result<Hash, HostingError> {
    let bytes = codec::encode(spec).map_err(|e| HostingError::Encode(e.to_string()))?;
    Ok(SPEC_TAG.hash(&bytes))
}

/// The containers of instance `instance` of `spec` on the node of `config`, one per component in
/// spec order.
///
/// Checks `config` ([`HostConfig::check`]) and the spec ([`check_spec`]) first: a refused spec
/// gives no container. Each container gets:
/// - name `flux<component>_<app>[_<tag>]`, network `fluxDockerNetwork_<app>[_<tag>]`, alias the
///   component name;
/// - labels [`LABEL_APP`], [`LABEL_COMPONENT`], [`LABEL_INSTANCE`], [`LABEL_NODE`] (hex),
///   [`LABEL_SPEC`] ([`spec_hash`], hex) and [`LABEL_CONTAINER`] (hash of everything else in
///   the container spec, so a change of the node's config also replaces it);
/// - `ports[i]` on `config.host_ip` to `containerPorts[i]` (TCP);
/// - `environmentParameters` as env, `commands` as cmd;
/// - CPU and memory of the tier's demand: `nano_cpus = tenths × 10⁸`,
///   `memory_bytes = MB × 2²⁰`;
/// - `containerData` (sync prefix removed) mounted from `<data_dir>/apps/<app>/<component>`
///   ([`HostConfig::component_data`]; `<app>_<tag>` with a node tag).
///
/// ```
/// use flux_nodes::hosting::{HostConfig, containers_for, LABEL_NODE};
/// # use flux_nodes::{NodeId, Tier};
/// # let json = r#"{"version":8,"name":"web","description":"","owner":"o","compose":[{"name":"site",
/// #   "description":"","repotag":"nginx:1","ports":[31000],"containerPorts":[80],"domains":[],
/// #   "environmentParameters":["A=1"],"commands":[],"containerData":"s:/data","cpu":0.5,"ram":500,"hdd":5}],
/// #   "instances":3,"expire":5000}"#;
/// let spec = flux_nodes::app::AppSpec::from_json_lenient(json.as_bytes(), &flux_core::ChainParams::devnet().apps)?;
/// let config = HostConfig::new(NodeId::default(), Tier::Cumulus, "127.0.0.2".parse()?, "/srv/flux");
/// let [site] = containers_for(&spec, 0, &config)?.try_into().map_err(|_| "one component")?;
/// assert_eq!(site.name, "fluxsite_web");
/// assert_eq!((site.ports[0].host_port, site.ports[0].container_port), (31000, 80));
/// assert_eq!(site.nano_cpus, 500_000_000);
/// assert_eq!(site.memory_bytes, 500 * 1024 * 1024);
/// let mount = site.mount.ok_or("mount")?;
/// assert_eq!(mount.host_path, std::path::Path::new("/srv/flux/apps/web/site"));
/// assert_eq!(mount.container_path, "/data");
/// assert_eq!(site.labels[LABEL_NODE], NodeId::default().to_string());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Any [`HostingError`] of the config or spec checks, or of a CPU/memory limit.
pub fn containers_for(
    spec: &AppSpec,
    instance: u32,
    config: &HostConfig,
) -> Result<Vec<ContainerSpec>, HostingError> {
    config.check()?;
    check_spec(spec, config)?;
    let spec_label = spec_hash(spec)?.to_string();
    let node_label = config.node_label();
    spec.components
        .iter()
        .map(|c| container(spec, c, instance, config, &spec_label, &node_label))
        .collect()
}

fn container(
    spec: &AppSpec,
    c: &Component,
    instance: u32,
    config: &HostConfig,
    spec_label: &str,
    node_label: &str,
) -> Result<ContainerSpec, HostingError> {
    let app = spec.name.as_str();
    let demand = c.demand_on(config.tier);
    let limit = |resource, found: u64| HostingError::BadLimit {
        app: app.into(),
        component: c.name.clone(),
        resource,
        found,
    };
    let cpu = u64::from(demand.cpu_tenths);
    let nano_cpus = match cpu.checked_mul(100_000_000) {
        Some(n) if n > 0 => n,
        _ => return Err(limit("cpu", cpu)),
    };
    let memory_bytes = match demand.ram_mb.checked_mul(1024 * 1024) {
        Some(m) if demand.ram_mb >= MIN_MEMORY_MB => m,
        _ => return Err(limit("ram", demand.ram_mb)),
    };
    let mount = match container_path(&c.container_data) {
        Ok(Some(path)) => Some(Mount {
            host_path: config.component_data(app, &c.name),
            container_path: path.to_owned(),
        }),
        // check_spec refused every bad path already; an error here cannot happen.
        Ok(None) | Err(_) => None,
    };
    let labels = BTreeMap::from([
        (LABEL_APP.to_owned(), app.to_owned()),
        (LABEL_COMPONENT.to_owned(), c.name.clone()),
        (LABEL_INSTANCE.to_owned(), instance.to_string()),
        (LABEL_NODE.to_owned(), node_label.to_owned()),
        (LABEL_SPEC.to_owned(), spec_label.to_owned()),
    ]);
    let mut out = ContainerSpec {
        name: config.container_name(&c.name, app),
        image: c.repotag.clone(),
        labels,
        network: config.network_name(app),
        alias: c.name.clone(),
        env: c.environment_parameters.clone(),
        cmd: c.commands.clone(),
        ports: c
            .ports
            .iter()
            .zip(&c.container_ports)
            .map(|(&host_port, &container_port)| PortMap {
                host_ip: config.host_ip,
                host_port,
                container_port,
            })
            .collect(),
        nano_cpus,
        memory_bytes,
        mount,
    };
    let fingerprint = container_hash(&out)?.to_string();
    out.labels.insert(LABEL_CONTAINER.to_owned(), fingerprint);
    Ok(out)
}

/// Hash of everything in `c` except its [`LABEL_CONTAINER`] label.
fn container_hash(c: &ContainerSpec) -> Result<Hash, HostingError> {
    let mut plain = c.clone();
    plain.labels.remove(LABEL_CONTAINER);
    let bytes = codec::encode(&plain).map_err(|e| HostingError::Encode(e.to_string()))?;
    Ok(CONTAINER_TAG.hash(&bytes))
}
