//! What hosting refuses before anything reaches a container runtime.
//!
//! These rules are independent of `ChainParams` and of registration validation
//! ([`AppSpec::validate`](crate::app::AppSpec::validate)): a spec that somehow skipped
//! registration (an old version read leniently, a bug upstream) still cannot ask for anything
//! beyond an unprivileged container with its own data folder. The spec has no field for
//! privileges, host namespaces, devices, capabilities or network modes, so the only routes to
//! them are injection through names, image references and paths; each is checked here.

use std::collections::BTreeSet;

use super::config::HostConfig;
use super::error::{HostingError, snippet};
use crate::app::{AppSpec, Component, Enterprise};

/// FluxOS sync prefixes on `containerData` (`s:` sync, `g:` primary/standby, `r:` restore).
/// Hosting strips them and mounts the plain local folder: syncing between instances is not
/// supported yet.
pub const SYNC_PREFIXES: [&str; 3] = ["s:", "g:", "r:"];

/// Container folders an app may not mount its data over: kernel and runtime filesystems the
/// container runtime sets up, where a mount would shadow them.
const SYSTEM_PATHS: [&str; 5] = ["/proc", "/sys", "/dev", "/run", "/var/run"];

/// Checks every hosting rule on `spec` for a node with `config`; the first broken rule is the
/// error.
///
/// These rules are independent of `ChainParams` and of registration validation
/// ([`AppSpec::validate`]): a spec that skipped registration still cannot ask for anything beyond
/// an unprivileged container with its own data folder. The spec has no field for privileges,
/// host namespaces, devices, capabilities or network modes, so the only routes to them are
/// injection through names, image references, ports and paths; each is checked here. CPU and
/// memory limits depend on the node's tier and are checked by
/// [`containers_for`](super::containers_for).
///
/// ```
/// use flux_nodes::hosting::{HostConfig, HostingError, check_spec};
/// # use flux_nodes::{NodeId, Tier};
/// # let json = r#"{"version":8,"name":"web","description":"","owner":"o","compose":[{"name":"site",
/// #   "description":"","repotag":"nginx:1","ports":[31000],"containerPorts":[80],"domains":[],
/// #   "environmentParameters":[],"commands":[],"containerData":"/data","cpu":0.5,"ram":500,"hdd":5}],
/// #   "instances":3,"expire":5000}"#;
/// let mut spec = flux_nodes::app::AppSpec::from_json_lenient(json.as_bytes(), &flux_core::ChainParams::devnet().apps)?;
/// let config = HostConfig::new(NodeId::default(), Tier::Cumulus, "127.0.0.1".parse()?, "/srv/flux");
/// assert!(check_spec(&spec, &config).is_ok());
/// spec.components[0].container_data = "/data/../../var/run/docker.sock".into();
/// assert!(matches!(check_spec(&spec, &config), Err(HostingError::BadContainerData { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// One [`HostingError`] variant per rule.
pub fn check_spec(spec: &AppSpec, config: &HostConfig) -> Result<(), HostingError> {
    let app = spec.name.as_str();
    if !is_name(app) {
        return Err(HostingError::BadAppName {
            found: snippet(app),
        });
    }
    if matches!(spec.enterprise, Enterprise::Encrypted(_)) {
        return Err(HostingError::EncryptedEnterprise { app: app.into() });
    }
    if spec.components.is_empty() {
        return Err(HostingError::NoComponents { app: app.into() });
    }
    let mut names = BTreeSet::new();
    let mut ports = BTreeSet::new();
    for c in &spec.components {
        component(app, c, config)?;
        if !names.insert(c.name.as_str()) {
            return Err(HostingError::DuplicateComponent {
                app: app.into(),
                component: c.name.clone(),
            });
        }
        for &port in &c.ports {
            if !ports.insert(port) {
                return Err(HostingError::DuplicatePort {
                    app: app.into(),
                    port,
                });
            }
        }
    }
    Ok(())
}

fn component(app: &str, c: &Component, config: &HostConfig) -> Result<(), HostingError> {
    if !is_name(&c.name) {
        return Err(HostingError::BadComponentName {
            app: app.into(),
            found: snippet(&c.name),
        });
    }
    let at = || (app.to_owned(), c.name.clone());
    if c.repoauth.as_deref().is_some_and(|s| !s.is_empty()) {
        let (app, component) = at();
        return Err(HostingError::RepoAuthUnsupported { app, component });
    }
    if c.secrets.as_deref().is_some_and(|s| !s.is_empty()) {
        let (app, component) = at();
        return Err(HostingError::SecretsUnsupported { app, component });
    }
    if c.gpu > 0 {
        let (app, component) = at();
        return Err(HostingError::GpuUnsupported {
            app,
            component,
            gpu: c.gpu,
        });
    }
    if !is_image_ref(&c.repotag) {
        let (app, component) = at();
        return Err(HostingError::BadImage {
            app,
            component,
            found: snippet(&c.repotag),
        });
    }
    if c.ports.len() != c.container_ports.len() {
        let (app, component) = at();
        return Err(HostingError::PortsMismatch {
            app,
            component,
            ports: c.ports.len(),
            container_ports: c.container_ports.len(),
        });
    }
    for (field, list) in [("ports", &c.ports), ("containerPorts", &c.container_ports)] {
        if list.contains(&0) {
            let (app, component) = at();
            return Err(HostingError::PortZero {
                app,
                component,
                field,
            });
        }
    }
    if let Some(&port) = c.ports.iter().find(|p| config.reserved_ports.contains(p)) {
        let (app, component) = at();
        return Err(HostingError::ReservedPort {
            app,
            component,
            port,
        });
    }
    if let Err(why) = container_path(&c.container_data) {
        let (app, component) = at();
        return Err(HostingError::BadContainerData {
            app,
            component,
            found: snippet(&c.container_data),
            why,
        });
    }
    for (field, list) in [
        ("environmentParameters", &c.environment_parameters),
        ("commands", &c.commands),
    ] {
        if let Some(index) = list.iter().position(|e| e.contains('\0')) {
            let (app, component) = at();
            return Err(HostingError::NulByte {
                app,
                component,
                field,
                index,
            });
        }
    }
    Ok(())
}

/// 1–63 ASCII letters and digits: safe inside Docker container, network and alias names and
/// as one path component.
pub(crate) fn is_name(s: &str) -> bool {
    (1..=63).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The mount point inside the container for `container_data`: `None` when empty, else the
/// path with any [`SYNC_PREFIXES`] removed.
///
/// # Errors
/// Why the path is refused (see [`HostingError::BadContainerData`]).
pub(crate) fn container_path(container_data: &str) -> Result<Option<&str>, &'static str> {
    if container_data.is_empty() {
        return Ok(None);
    }
    let path = SYNC_PREFIXES
        .iter()
        .find_map(|p| container_data.strip_prefix(p))
        .unwrap_or(container_data);
    if path.contains('|') {
        return Err("several mounts (`|`) are not supported");
    }
    if !path.starts_with('/') {
        return Err(
            "must be an absolute path inside the container (component references and sync modes other than s:, g:, r: are not supported)",
        );
    }
    if path.len() > 255 {
        return Err("longer than 255 bytes");
    }
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-@+".contains(&b))
    {
        return Err("only letters, digits and / . _ - @ + are allowed");
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err("the container's root cannot be a mount");
    }
    for part in trimmed[1..].split('/') {
        match part {
            "" => return Err("empty path component (`//`)"),
            "." | ".." => return Err("`.` and `..` are not allowed"),
            "docker.sock" => return Err("the Docker socket path is not allowed"),
            _ => {}
        }
    }
    let under = |root: &str| {
        trimmed == root
            || trimmed
                .strip_prefix(root)
                .is_some_and(|r| r.starts_with('/'))
    };
    if SYSTEM_PATHS.iter().any(|r| under(r)) {
        return Err("system folders (/proc, /sys, /dev, /run, /var/run) are not allowed");
    }
    Ok(Some(trimmed))
}

/// A plain image reference: `[registry[:port]/]path[:tag][@sha256:<64 hex>]`, the grammar of
/// Docker's distribution references (no whitespace, no leading `-`, lower-case path).
pub(crate) fn is_image_ref(s: &str) -> bool {
    if s.is_empty() || s.len() > 512 {
        return false;
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let ok = d.strip_prefix("sha256:").is_some_and(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if !ok {
            return false;
        }
    }
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[slash..].find(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag
        && !is_tag(t)
    {
        return false;
    }
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let parts: Vec<&str> = name.split('/').collect();
    let (domain, path) = match parts.split_first() {
        Some((first, more))
            if !more.is_empty()
                && (first.contains(['.', ':'])
                    || *first == "localhost"
                    || first.bytes().any(|b| b.is_ascii_uppercase())) =>
        {
            (Some(*first), more)
        }
        _ => (None, parts.as_slice()),
    };
    domain.is_none_or(is_registry) && path.iter().all(|p| is_path_component(p))
}

fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    (1..=128).contains(&b.len())
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-')
}

fn is_registry(d: &str) -> bool {
    let (host, port) = match d.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok
        && !host.is_empty()
        && host.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or any number of `-`.
fn is_path_component(p: &str) -> bool {
    let b = p.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &p[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}
