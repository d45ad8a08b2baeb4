//! proptest strategies for flux-nodes' types: node ids, geolocations, node entries and app
//! specifications (valid FluxOS v8 JSON and arbitrary typed specs).

use flux_core::params::AppParams;
use flux_core::testkit::strategies::arb;
use proptest::prelude::*;

use crate::app::AppSpec;
use crate::node::{Geolocation, NodeEntry, NodeId};

/// Any node id.
pub fn node_id() -> impl Strategy<Value = NodeId> {
    arb::<NodeId>()
}

/// A valid geolocation (`CONTINENT_CC[_region]`).
pub fn geolocation() -> impl Strategy<Value = Geolocation> {
    arb::<Geolocation>()
}

/// Any node entry with a consistent id and a valid geolocation (see its `Arbitrary` impl).
pub fn node_entry() -> impl Strategy<Value = NodeEntry> {
    arb::<NodeEntry>()
}

/// Any typed app specification (not necessarily one that validates).
pub fn any_app_spec() -> impl Strategy<Value = AppSpec> {
    arb::<AppSpec>()
}

/// The numbers of a one-component app: what [`app_spec_json`] writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppShape {
    /// App name (letters and digits).
    pub name: String,
    /// CPU in tenths of a core.
    pub cpu_tenths: u32,
    /// RAM, MB.
    pub ram_mb: u64,
    /// SSD, GB.
    pub hdd_gb: u64,
    /// Instances.
    pub instances: u32,
    /// Lifetime in blocks.
    pub expire: u64,
}

impl AppShape {
    /// 1 core, 1,000 MB, 10 GB, three instances for 88,000 blocks.
    ///
    /// ```
    /// use flux_core::ChainParams;
    /// use flux_nodes::app::AppSpec;
    /// use flux_nodes::testkit::strategies::{AppShape, app_spec_json};
    ///
    /// let json = app_spec_json(&AppShape::small("tinyapp"));
    /// let spec = AppSpec::from_json_strict(json.as_bytes(), &ChainParams::devnet().apps)?;
    /// assert_eq!(spec.instances(), 3);
    /// # Ok::<(), flux_nodes::app::AppError>(())
    /// ```
    pub fn small(name: &str) -> AppShape {
        AppShape {
            name: name.to_owned(),
            cpu_tenths: 10,
            ram_mb: 1_000,
            hdd_gb: 10,
            instances: 3,
            expire: 88_000,
        }
    }
}

/// A FluxOS v8 JSON specification of a one-component app of `shape`.
pub fn app_spec_json(shape: &AppShape) -> String {
    let AppShape {
        name,
        cpu_tenths,
        ram_mb,
        hdd_gb,
        instances,
        expire,
    } = shape;
    let cpu = format!("{}.{}", cpu_tenths / 10, cpu_tenths % 10);
    format!(
        r#"{{"version":8,"name":"{name}","description":"a worker","owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
"compose":[{{"name":"worker","description":"worker","repotag":"example/worker:1.0","ports":[],"domains":[],
"environmentParameters":[],"commands":[],"containerPorts":[],"containerData":"/srv","cpu":{cpu},"ram":{ram_mb},
"hdd":{hdd_gb},"repoauth":""}}],"instances":{instances},"contacts":[],"geolocation":[],"expire":{expire},"nodes":[],
"staticip":false,"enterprise":""}}"#
    )
}

/// App shapes within `params`' limits: small apps (up to 4 cores, 4,000 MB, 40 GB, a few
/// instances) that a small network can place.
pub fn valid_app_shape(params: &AppParams) -> impl Strategy<Value = AppShape> {
    let step = params.ram_step_mb.max(1);
    let max_ram_steps = (4_000 / step).clamp(1, params.max_ram_mb / step);
    let max_cpu = params.max_cpu_tenths.clamp(1, 40);
    let max_hdd = params.max_hdd_gb.clamp(1, 40);
    let min_instances = params.min_instances.max(1);
    let max_instances = params.max_instances.clamp(min_instances, min_instances + 2);
    let expire = params.default_expire;
    (
        "[a-z][a-z0-9]{2,11}",
        1..=max_cpu,
        1..=max_ram_steps,
        1..=max_hdd,
        min_instances..=max_instances,
    )
        .prop_map(
            move |(name, cpu_tenths, ram_steps, hdd_gb, instances)| AppShape {
                name,
                cpu_tenths,
                ram_mb: ram_steps * step,
                hdd_gb,
                instances,
                expire,
            },
        )
}

/// Valid FluxOS v8 app specifications (JSON text and the typed spec it parses to): each one
/// passes [`AppSpec::from_json_strict`] with `params`.
pub fn valid_app_spec(params: &AppParams) -> impl Strategy<Value = (String, AppSpec)> {
    let p = params.clone();
    valid_app_shape(params).prop_filter_map("spec refused by the strict parser", move |shape| {
        let json = app_spec_json(&shape);
        AppSpec::from_json_strict(json.as_bytes(), &p)
            .ok()
            .map(|spec| (json, spec))
    })
}
