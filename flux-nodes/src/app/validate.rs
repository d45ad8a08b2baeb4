//! Registration limits: every rule of SPEC.md (Apps), each its own [`AppError`] variant, with
//! the limits read from `ChainParams.apps`.

use std::collections::BTreeSet;

use flux_core::params::AppParams;

use super::error::{AppError, snippet};
use super::spec::{AppSpec, Component};
use crate::node::GeoRule;

impl AppSpec {
    /// Checks every registration limit; the first broken rule is the error.
    ///
    /// Top-level rules are checked first (name, description, instances, expire, contacts,
    /// geolocation, nodes), then each component in order, then ports across components.
    pub fn validate(&self, params: &AppParams) -> Result<(), AppError> {
        match self.violations(params).into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every broken registration rule, in the order [`AppSpec::validate`] checks them.
    pub fn violations(&self, params: &AppParams) -> Vec<AppError> {
        let mut out = Vec::new();
        let p = params;
        if !is_name(&self.name, p.name_min_len, p.name_max_len) {
            out.push(AppError::BadName {
                name: snippet(&self.name),
                min: p.name_min_len,
                max: p.name_max_len,
            });
        }
        too_long(
            &mut out,
            "description",
            None,
            &self.description,
            p.description_max_len,
        );
        if self.owner.is_empty() {
            out.push(AppError::Empty {
                field: "owner",
                component: None,
            });
        }
        if !(p.min_instances..=p.max_instances).contains(&self.instances) {
            out.push(AppError::Instances {
                found: self.instances.into(),
                min: p.min_instances,
                max: p.max_instances,
            });
        }
        if self.expire == 0 || self.expire > p.max_expire {
            out.push(AppError::Expire {
                found: self.expire,
                max: p.max_expire,
            });
        }
        too_many(
            &mut out,
            "contacts",
            None,
            self.contacts.len(),
            p.max_contacts,
        );
        too_many(
            &mut out,
            "geolocation",
            None,
            self.geolocation.len(),
            p.max_geolocation,
        );
        for (index, g) in self.geolocation.iter().enumerate() {
            if g.parse::<GeoRule>().is_err() {
                out.push(AppError::BadGeolocation {
                    index,
                    found: snippet(g),
                });
            }
        }
        too_many(
            &mut out,
            "nodes",
            None,
            self.nodes.len(),
            p.max_target_nodes,
        );
        if self.components.is_empty() {
            out.push(AppError::NoComponents);
        }
        let mut names = BTreeSet::new();
        let mut ports = BTreeSet::new();
        for c in &self.components {
            if !names.insert(c.name.as_str()) {
                out.push(AppError::DuplicateComponentName(snippet(&c.name)));
            }
            component(&mut out, c, p);
            for &port in &c.ports {
                if !ports.insert(port) {
                    out.push(AppError::DuplicatePort(port));
                }
            }
        }
        out
    }
}

/// The rules of one component.
fn component(out: &mut Vec<AppError>, c: &Component, p: &AppParams) {
    let who = || Some(snippet(&c.name));
    if !is_name(&c.name, 1, p.name_max_len) {
        out.push(AppError::BadComponentName {
            name: snippet(&c.name),
            max: p.name_max_len,
        });
    }
    too_long(
        out,
        "description",
        who(),
        &c.description,
        p.description_max_len,
    );
    if c.repotag.is_empty() {
        out.push(AppError::Empty {
            field: "repotag",
            component: who(),
        });
    }
    too_many(
        out,
        "ports",
        who(),
        c.ports.len(),
        p.max_ports_per_component,
    );
    if c.ports.len() != c.container_ports.len() {
        out.push(AppError::PortsMismatch {
            component: snippet(&c.name),
            ports: c.ports.len(),
            container_ports: c.container_ports.len(),
        });
    }
    if c.domains.len() > c.ports.len() {
        out.push(AppError::DomainsMismatch {
            component: snippet(&c.name),
            domains: c.domains.len(),
            ports: c.ports.len(),
        });
    }
    for &port in &c.ports {
        if let Some(r) = p.banned_ports.iter().find(|r| r.contains(port)) {
            out.push(AppError::BannedPort {
                component: snippet(&c.name),
                port,
                start: r.start,
                end: r.end,
            });
        }
    }
    for (field, list) in [
        ("environmentParameters", &c.environment_parameters),
        ("commands", &c.commands),
    ] {
        too_many(out, field, who(), list.len(), p.max_env_entries);
        for (index, entry) in list.iter().enumerate() {
            let len = entry.chars().count();
            if len > p.max_env_entry_len {
                out.push(AppError::EntryTooLong {
                    field,
                    component: who(),
                    index,
                    len,
                    max: p.max_env_entry_len,
                });
            }
        }
    }
    if c.cpu_tenths == 0 || c.cpu_tenths > p.max_cpu_tenths {
        out.push(AppError::Cpu {
            component: snippet(&c.name),
            found: c.cpu_tenths,
            max: p.max_cpu_tenths,
        });
    }
    let step = p.ram_step_mb.max(1);
    if c.ram_mb == 0 || c.ram_mb > p.max_ram_mb || !c.ram_mb.is_multiple_of(step) {
        out.push(AppError::Ram {
            component: snippet(&c.name),
            found: c.ram_mb,
            step,
            max: p.max_ram_mb,
        });
    }
    if c.hdd_gb == 0 || c.hdd_gb > p.max_hdd_gb {
        out.push(AppError::Hdd {
            component: snippet(&c.name),
            found: c.hdd_gb,
            max: p.max_hdd_gb,
        });
    }
    if c.gpu == 0 && c.gpu_memory_gb > 0 {
        out.push(AppError::GpuMemoryWithoutGpu {
            component: snippet(&c.name),
            memory_gb: c.gpu_memory_gb,
        });
    }
}

/// `min..=max` ASCII letters and digits.
fn is_name(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn too_long(
    out: &mut Vec<AppError>,
    field: &'static str,
    component: Option<String>,
    s: &str,
    max: usize,
) {
    let len = s.chars().count();
    if len > max {
        out.push(AppError::TooLong {
            field,
            component,
            len,
            max,
        });
    }
}

fn too_many(
    out: &mut Vec<AppError>,
    field: &'static str,
    component: Option<String>,
    len: usize,
    max: usize,
) {
    if len > max {
        out.push(AppError::TooMany {
            field,
            component,
            len,
            max,
        });
    }
}
