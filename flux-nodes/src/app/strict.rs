//! The strict reader: a v8 specification as submitted for registration.
//!
//! Only v8 keys (plus the `gpu`/`gpuMemory` extension) are allowed; an unknown key is an error
//! (`deny_unknown_fields`), and so are string ports and the DB fields `hash`/`height`. After the
//! shape, every limit of `ChainParams.apps` is checked ([`AppSpec::validate`]).

#![allow(dead_code)] // The shape structs are only deserialized, to check keys and types.

use serde::Deserialize;
use serde_json::value::RawValue;

use flux_core::params::AppParams;

use super::error::AppError;
use super::legacy::{self, Doc};
use super::num::Strings;
use super::spec::AppSpec;

/// Just the version, read first so a v5 spec is "unsupported version", not "unknown key".
#[derive(Deserialize)]
struct Probe {
    version: Option<Box<RawValue>>,
}

/// The keys a v8 registration may have, and which are required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V8 {
    version: Box<RawValue>,
    name: String,
    description: String,
    owner: String,
    compose: Vec<V8Component>,
    instances: Box<RawValue>,
    #[serde(default)]
    contacts: Vec<String>,
    #[serde(default)]
    geolocation: Vec<String>,
    expire: Option<Box<RawValue>>,
    #[serde(default)]
    nodes: Vec<String>,
    #[serde(default)]
    staticip: bool,
    datacenter: Option<bool>,
    enterprise: Option<Box<RawValue>>,
}

/// The keys of a v8 component.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V8Component {
    name: String,
    description: String,
    repotag: String,
    ports: Vec<Box<RawValue>>,
    #[serde(rename = "containerPorts")]
    container_ports: Vec<Box<RawValue>>,
    domains: Vec<String>,
    #[serde(rename = "environmentParameters")]
    environment_parameters: Vec<String>,
    commands: Vec<String>,
    #[serde(rename = "containerData")]
    container_data: String,
    cpu: Box<RawValue>,
    ram: Box<RawValue>,
    hdd: Box<RawValue>,
    repoauth: Option<String>,
    gpu: Option<Box<RawValue>>,
    #[serde(rename = "gpuMemory")]
    gpu_memory: Option<Box<RawValue>>,
}

/// Reads and validates a v8 registration.
pub(crate) fn read(json: &[u8], params: &AppParams) -> Result<AppSpec, AppError> {
    let probe = legacy::parse_object::<Probe>(json)?;
    let version = legacy::version(probe.version.as_deref())?;
    if version != 8 {
        return Err(AppError::UnsupportedVersion {
            found: version.into(),
            supported: "8",
        });
    }
    let _shape: V8 = serde_json::from_slice(json)?;
    let doc: Doc = serde_json::from_slice(json)?;
    let spec = legacy::convert(doc, None, version, Strings::Reject, params)?;
    spec.validate(params)?;
    Ok(spec)
}
