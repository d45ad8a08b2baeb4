//! Writing an [`AppSpec`] back to FluxOS JSON, keys in FluxOS's canonical order.
//!
//! v4–v8 specs are written with `compose`; keys a version does not have are left out (v5 adds
//! `contacts`/`geolocation`, v6 `expire`, v7 `nodes`/`staticip`, v8 `datacenter`/`enterprise`).
//! v1–v3 specs are written flat, with the `enviromentParameters` typo, as FluxOS does. CPU is
//! written from its tenths as exact decimal text (`1.2`), never through a float.

use serde::Serialize;
use serde_json::value::RawValue;

use super::error::AppError;
use super::num::{raw_number, tenths_text};
use super::spec::{AppSpec, Component, Enterprise};

#[derive(Serialize)]
struct OutDoc<'a> {
    version: u32,
    name: &'a str,
    description: &'a str,
    owner: &'a str,
    compose: Vec<OutComp<'a>>,
    instances: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    contacts: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    geolocation: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expire: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nodes: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    staticip: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    datacenter: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enterprise: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct OutFlat<'a> {
    version: u32,
    name: &'a str,
    description: &'a str,
    owner: &'a str,
    repotag: &'a str,
    ports: &'a [u16],
    domains: &'a [String],
    #[serde(rename = "enviromentParameters")]
    environment_parameters: &'a [String],
    commands: &'a [String],
    #[serde(rename = "containerPorts")]
    container_ports: &'a [u16],
    #[serde(rename = "containerData")]
    container_data: &'a str,
    #[serde(flatten)]
    resources: Resources,
    instances: u32,
}

#[derive(Serialize)]
struct OutComp<'a> {
    name: &'a str,
    description: &'a str,
    repotag: &'a str,
    ports: &'a [u16],
    domains: &'a [String],
    #[serde(rename = "environmentParameters")]
    environment_parameters: &'a [String],
    commands: &'a [String],
    #[serde(rename = "containerPorts")]
    container_ports: &'a [u16],
    #[serde(rename = "containerData")]
    container_data: &'a str,
    #[serde(flatten)]
    resources: Resources,
    #[serde(skip_serializing_if = "Option::is_none")]
    repoauth: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secrets: Option<&'a str>,
}

/// `cpu, ram, hdd, [gpu, gpuMemory], [tiered, cpubasic, …]`. CPU values are pre-rendered JSON
/// number text, written verbatim.
#[derive(Serialize)]
struct Resources {
    cpu: Box<RawValue>,
    ram: u64,
    hdd: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    gpu: Option<u32>,
    #[serde(rename = "gpuMemory", skip_serializing_if = "Option::is_none")]
    gpu_memory: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tiered: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpubasic: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpusuper: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpubamf: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rambasic: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ramsuper: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rambamf: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hddbasic: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hddsuper: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hddbamf: Option<u64>,
}

fn resources(c: &Component, version: u32) -> Result<Resources, AppError> {
    let cpu = |t: u32| raw_number(tenths_text(t));
    let t = c.tiers.as_ref();
    let tier_cpu = |i: usize| t.map(|t| cpu(t.cpu_tenths[i])).transpose();
    Ok(Resources {
        cpu: cpu(c.cpu_tenths)?,
        ram: c.ram_mb,
        hdd: c.hdd_gb,
        gpu: (c.gpu > 0 || c.gpu_memory_gb > 0).then_some(c.gpu),
        gpu_memory: (c.gpu_memory_gb > 0).then_some(c.gpu_memory_gb),
        tiered: (version <= 7).then_some(t.is_some()),
        cpubasic: tier_cpu(0)?,
        cpusuper: tier_cpu(1)?,
        cpubamf: tier_cpu(2)?,
        rambasic: t.map(|t| t.ram_mb[0]),
        ramsuper: t.map(|t| t.ram_mb[1]),
        rambamf: t.map(|t| t.ram_mb[2]),
        hddbasic: t.map(|t| t.hdd_gb[0]),
        hddsuper: t.map(|t| t.hdd_gb[1]),
        hddbamf: t.map(|t| t.hdd_gb[2]),
    })
}

impl AppSpec {
    /// The spec as FluxOS JSON (compact), readable again by
    /// [`AppSpec::from_json_lenient`](super::AppSpec::from_json_lenient) (and, for a valid v8
    /// spec, by [`AppSpec::from_json_strict`](super::AppSpec::from_json_strict)) into an equal
    /// spec. A v1–v3 spec must have exactly one component, whose name is the app's.
    pub fn to_json(&self) -> Result<String, AppError> {
        let v = self.version;
        if v <= 3
            && let [c] = self.components.as_slice()
        {
            return Ok(serde_json::to_string(&OutFlat {
                version: v,
                name: &self.name,
                description: &self.description,
                owner: &self.owner,
                repotag: &c.repotag,
                ports: &c.ports,
                domains: &c.domains,
                environment_parameters: &c.environment_parameters,
                commands: &c.commands,
                container_ports: &c.container_ports,
                container_data: &c.container_data,
                resources: resources(c, v)?,
                instances: self.instances,
            })?);
        }
        let compose = self
            .components
            .iter()
            .map(|c| {
                Ok(OutComp {
                    name: &c.name,
                    description: &c.description,
                    repotag: &c.repotag,
                    ports: &c.ports,
                    domains: &c.domains,
                    environment_parameters: &c.environment_parameters,
                    commands: &c.commands,
                    container_ports: &c.container_ports,
                    container_data: &c.container_data,
                    resources: resources(c, v)?,
                    repoauth: c.repoauth.as_deref(),
                    secrets: c.secrets.as_deref(),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let since = |min: u32| v >= min;
        Ok(serde_json::to_string(&OutDoc {
            version: v,
            name: &self.name,
            description: &self.description,
            owner: &self.owner,
            compose,
            instances: self.instances,
            contacts: since(5).then_some(&self.contacts),
            geolocation: since(5).then_some(&self.geolocation),
            expire: since(6).then_some(self.expire),
            nodes: since(7).then_some(&self.nodes),
            staticip: since(7).then_some(self.staticip),
            datacenter: self.datacenter,
            enterprise: since(8).then(|| match &self.enterprise {
                Enterprise::No => serde_json::Value::String(String::new()),
                Enterprise::Arcane => serde_json::Value::Bool(true),
                Enterprise::Encrypted(s) => serde_json::Value::String(s.clone()),
            }),
        })?)
    }
}
