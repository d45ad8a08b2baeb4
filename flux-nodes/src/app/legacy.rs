//! The lenient reader: FluxOS specifications of any version (1–8) in the form FluxOS stores them.
//!
//! Differences from registration ([`AppSpec::from_json_strict`]): unknown keys (the DB fields
//! `hash` and `height`, old `repoAuth`, …) are ignored; ports may be strings (`"8080"`); v1's
//! single `port`/`containerPort`, v1–v3's top-level single component and the
//! `enviromentParameters` typo are read; missing optional keys take their defaults (instances:
//! the minimum, expire: the default lifetime); limits are not checked. Missing `name`,
//! `version`, `compose` (v4+), `repotag`, `cpu`, `ram` or `hdd`, a value of the wrong type, or a
//! tiered component without all nine tier keys are typed errors.

use serde::Deserialize;
use serde_json::value::RawValue;

use flux_core::params::AppParams;

use super::error::{AppError, snippet};
use super::num::{self, At, Strings};
use super::spec::{AppSpec, Component, Enterprise, Tiers};

/// Top-level keys of any version (v1–v3 component keys are read separately, as [`Comp`]).
#[derive(Deserialize)]
pub(crate) struct Doc {
    version: Option<Box<RawValue>>,
    name: Option<String>,
    description: Option<String>,
    owner: Option<String>,
    compose: Option<Vec<Comp>>,
    instances: Option<Box<RawValue>>,
    contacts: Option<Vec<String>>,
    geolocation: Option<Vec<String>>,
    expire: Option<Box<RawValue>>,
    nodes: Option<Vec<String>>,
    staticip: Option<bool>,
    datacenter: Option<bool>,
    enterprise: Option<Box<RawValue>>,
}

/// Component keys of any version (also the top level of a v1–v3 spec).
#[derive(Deserialize)]
pub(crate) struct Comp {
    name: Option<String>,
    description: Option<String>,
    repotag: Option<String>,
    ports: Option<Vec<Box<RawValue>>>,
    port: Option<Box<RawValue>>,
    #[serde(rename = "containerPorts")]
    container_ports: Option<Vec<Box<RawValue>>>,
    #[serde(rename = "containerPort")]
    container_port: Option<Box<RawValue>>,
    domains: Option<Vec<String>>,
    #[serde(rename = "environmentParameters", alias = "enviromentParameters")]
    environment_parameters: Option<Vec<String>>,
    commands: Option<Vec<String>>,
    #[serde(rename = "containerData")]
    container_data: Option<String>,
    cpu: Option<Box<RawValue>>,
    ram: Option<Box<RawValue>>,
    hdd: Option<Box<RawValue>>,
    gpu: Option<Box<RawValue>>,
    #[serde(rename = "gpuMemory")]
    gpu_memory: Option<Box<RawValue>>,
    tiered: Option<bool>,
    cpubasic: Option<Box<RawValue>>,
    cpusuper: Option<Box<RawValue>>,
    cpubamf: Option<Box<RawValue>>,
    rambasic: Option<Box<RawValue>>,
    ramsuper: Option<Box<RawValue>>,
    rambamf: Option<Box<RawValue>>,
    hddbasic: Option<Box<RawValue>>,
    hddsuper: Option<Box<RawValue>>,
    hddbamf: Option<Box<RawValue>>,
    repoauth: Option<String>,
    secrets: Option<String>,
}

/// Reads `json` leniently (see the module docs).
pub(crate) fn read(json: &[u8], params: &AppParams) -> Result<AppSpec, AppError> {
    let doc = parse_object::<Doc>(json)?;
    let version = version(doc.version.as_deref())?;
    let flat = if version <= 3 {
        Some(parse_object::<Comp>(json)?)
    } else {
        None
    };
    convert(doc, flat, version, Strings::Accept, params)
}

/// Parses `json` as `T`, telling "not an object" apart from other shape errors.
pub(crate) fn parse_object<'a, T: Deserialize<'a>>(json: &'a [u8]) -> Result<T, AppError> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(AppError::NotAnObject);
    }
    Ok(serde_json::from_slice(json)?)
}

/// The `version` key: required, 1–8.
pub(crate) fn version(raw: Option<&RawValue>) -> Result<u32, AppError> {
    let raw = raw.ok_or(AppError::MissingField {
        field: "version",
        component: None,
    })?;
    let v = num::int(raw, top("version"), Strings::Reject, u64::MAX)?;
    match u32::try_from(v) {
        Ok(v @ 1..=8) => Ok(v),
        _ => Err(AppError::UnsupportedVersion {
            found: v,
            supported: "1–8",
        }),
    }
}

fn top(field: &'static str) -> At<'static> {
    At {
        field,
        component: None,
    }
}

/// Builds the typed spec. `flat` is the v1–v3 top-level component.
pub(crate) fn convert(
    doc: Doc,
    flat: Option<Comp>,
    version: u32,
    strings: Strings,
    params: &AppParams,
) -> Result<AppSpec, AppError> {
    let name = doc.name.ok_or(AppError::MissingField {
        field: "name",
        component: None,
    })?;
    let enterprise = enterprise(doc.enterprise.as_deref())?;
    let components = match (flat, doc.compose) {
        (Some(flat), _) => vec![component(flat, strings, Some(&name))?],
        (None, Some(compose)) => compose
            .into_iter()
            .map(|c| component(c, strings, None))
            .collect::<Result<_, _>>()?,
        (None, None) => {
            return Err(AppError::MissingField {
                field: "compose",
                component: None,
            });
        }
    };
    let instances = match doc.instances.as_deref() {
        Some(raw) => num::int(raw, top("instances"), Strings::Reject, u32::MAX.into())? as u32,
        None => params.min_instances,
    };
    let expire = match doc.expire.as_deref() {
        Some(raw) => num::int(raw, top("expire"), Strings::Reject, u64::MAX)?,
        None => params.default_expire,
    };
    Ok(AppSpec {
        version,
        name,
        description: doc.description.unwrap_or_default(),
        owner: doc.owner.unwrap_or_default(),
        components,
        instances,
        contacts: doc.contacts.unwrap_or_default(),
        geolocation: doc.geolocation.unwrap_or_default(),
        expire,
        nodes: doc.nodes.unwrap_or_default(),
        staticip: doc.staticip.unwrap_or(false),
        datacenter: doc.datacenter,
        enterprise,
    })
}

/// `enterprise`: `""`/`false`/absent, `true`, or an encrypted string.
fn enterprise(raw: Option<&RawValue>) -> Result<Enterprise, AppError> {
    let Some(raw) = raw else {
        return Ok(Enterprise::No);
    };
    match serde_json::from_str::<serde_json::Value>(raw.get())? {
        serde_json::Value::Null | serde_json::Value::Bool(false) => Ok(Enterprise::No),
        serde_json::Value::Bool(true) => Ok(Enterprise::Arcane),
        serde_json::Value::String(s) if s.is_empty() => Ok(Enterprise::No),
        serde_json::Value::String(s) => Ok(Enterprise::Encrypted(s)),
        _ => Err(AppError::WrongType {
            field: "enterprise",
            component: None,
            found: snippet(raw.get()),
        }),
    }
}

/// One component; `app_name` names a v1–v3 top-level component.
fn component(c: Comp, strings: Strings, app_name: Option<&str>) -> Result<Component, AppError> {
    let name = match app_name {
        Some(n) => n.to_owned(),
        None => c.name.ok_or(AppError::MissingField {
            field: "name",
            component: None,
        })?,
    };
    let at = |field| At {
        field,
        component: Some(&name),
    };
    let need = |v: Option<Box<RawValue>>, field| {
        v.ok_or_else(|| AppError::MissingField {
            field,
            component: Some(name.clone()),
        })
    };
    let list =
        |many: Option<Vec<Box<RawValue>>>, one: Option<Box<RawValue>>, field| match (many, one) {
            (Some(v), _) => num::ports(&v, at(field), strings),
            (None, Some(p)) => Ok(vec![num::port(&p, at(field), strings)?]),
            (None, None) => Ok(Vec::new()),
        };
    let ports = list(c.ports, c.port, "ports")?;
    let container_ports = list(c.container_ports, c.container_port, "containerPorts")?;
    let cpu_tenths = num::tenths(&need(c.cpu, "cpu")?, at("cpu"))?;
    let ram_mb = num::int(&need(c.ram, "ram")?, at("ram"), Strings::Reject, u64::MAX)?;
    let hdd_gb = num::int(&need(c.hdd, "hdd")?, at("hdd"), Strings::Reject, u64::MAX)?;
    let opt_int = |v: Option<Box<RawValue>>, field, max| match v {
        Some(raw) => num::int(&raw, at(field), Strings::Reject, max),
        None => Ok(0),
    };
    let gpu = opt_int(c.gpu, "gpu", u32::MAX.into())? as u32;
    let gpu_memory_gb = opt_int(c.gpu_memory, "gpuMemory", u64::MAX)?;
    let tiers = if c.tiered == Some(true) {
        let cpu = |v, f| num::tenths(&need(v, f)?, at(f));
        let int = |v, f| num::int(&need(v, f)?, at(f), Strings::Reject, u64::MAX);
        Some(Tiers {
            cpu_tenths: [
                cpu(c.cpubasic, "cpubasic")?,
                cpu(c.cpusuper, "cpusuper")?,
                cpu(c.cpubamf, "cpubamf")?,
            ],
            ram_mb: [
                int(c.rambasic, "rambasic")?,
                int(c.ramsuper, "ramsuper")?,
                int(c.rambamf, "rambamf")?,
            ],
            hdd_gb: [
                int(c.hddbasic, "hddbasic")?,
                int(c.hddsuper, "hddsuper")?,
                int(c.hddbamf, "hddbamf")?,
            ],
        })
    } else {
        None
    };
    let repotag = c.repotag.ok_or_else(|| AppError::MissingField {
        field: "repotag",
        component: Some(name.clone()),
    })?;
    Ok(Component {
        description: c.description.unwrap_or_default(),
        repotag,
        ports,
        container_ports,
        domains: c.domains.unwrap_or_default(),
        environment_parameters: c.environment_parameters.unwrap_or_default(),
        commands: c.commands.unwrap_or_default(),
        container_data: c.container_data.unwrap_or_default(),
        cpu_tenths,
        ram_mb,
        hdd_gb,
        gpu,
        gpu_memory_gb,
        tiers,
        repoauth: c.repoauth,
        secrets: c.secrets,
        name,
    })
}
