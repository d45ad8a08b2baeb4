//! Pure mappings between the project's types and the Docker Engine API's: a [`ContainerSpec`]
//! to a create body, an inspect reply to an [`Observed`], an event to a [`RuntimeEvent`], and
//! the engine's errors to [`RuntimeError`]s.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use bollard::errors::Error as BollardError;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerStateStatusEnum, EndpointSettings,
    EventMessage, HostConfig, NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};

use super::super::{ContainerSpec, EventKind, Observed, ObservedState, RuntimeError, RuntimeEvent};

/// The create body of `spec`: its settings and nothing more (see the module doc of
/// [`crate::runtime`]). `init` runs Docker's init as PID 1 so a stop signal reaches the app.
pub(super) fn create_body(spec: &ContainerSpec, init: bool) -> ContainerCreateBody {
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    let mut exposed = Vec::new();
    for port in &spec.ports {
        let key = format!("{}/tcp", port.container_port);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_default()
            .push(PortBinding {
                host_ip: Some(port.host_ip.to_string()),
                host_port: Some(port.host_port.to_string()),
            });
    }
    let binds = spec.mount.as_ref().map(|m| {
        vec![format!(
            "{}:{}:rw",
            m.host_path.to_string_lossy(),
            m.container_path
        )]
    });
    let host_config = HostConfig {
        port_bindings: Some(bindings),
        // check_spec bounds both to i64.
        nano_cpus: i64::try_from(spec.nano_cpus).ok().filter(|n| *n > 0),
        memory: i64::try_from(spec.memory_bytes).ok().filter(|m| *m > 0),
        binds,
        privileged: Some(false),
        cap_add: None,
        devices: None,
        network_mode: Some(spec.network.clone()),
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::NO),
            maximum_retry_count: None,
        }),
        init: Some(init),
        ..HostConfig::default()
    };
    let endpoint = EndpointSettings {
        aliases: Some(vec![spec.alias.clone()]),
        ..EndpointSettings::default()
    };
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        env: Some(spec.env.clone()),
        cmd: (!spec.cmd.is_empty()).then(|| spec.cmd.clone()),
        labels: Some(
            spec.labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        exposed_ports: Some(exposed),
        host_config: Some(host_config),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(spec.network.clone(), endpoint)])),
        }),
        ..ContainerCreateBody::default()
    }
}

/// An inspect reply as an [`Observed`].
pub(super) fn observed(reply: ContainerInspectResponse) -> Observed {
    let name = reply
        .name
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_string();
    let config = reply.config.unwrap_or_default();
    let labels = sorted(config.labels.unwrap_or_default());
    let image = config.image.unwrap_or_default();
    let state = reply.state.unwrap_or_default();
    let code = state.exit_code.unwrap_or(0);
    let status = match state.status {
        Some(ContainerStateStatusEnum::CREATED) => ObservedState::Created,
        // A container being stopped still runs until it has.
        Some(ContainerStateStatusEnum::RUNNING | ContainerStateStatusEnum::STOPPING) => {
            ObservedState::Running
        }
        Some(ContainerStateStatusEnum::PAUSED) => ObservedState::Paused,
        Some(ContainerStateStatusEnum::RESTARTING) => ObservedState::Restarting,
        Some(ContainerStateStatusEnum::REMOVING) => ObservedState::Removing,
        Some(ContainerStateStatusEnum::EXITED) => ObservedState::Exited { code },
        Some(ContainerStateStatusEnum::DEAD | ContainerStateStatusEnum::EMPTY) | None => {
            ObservedState::Dead
        }
    };
    let started_at_ms = state.started_at.as_deref().and_then(rfc3339_ms);
    // Each network's address (an unparsable or empty one is left out: never guessed).
    let addresses = reply
        .network_settings
        .and_then(|n| n.networks)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(network, endpoint)| {
            let ip = endpoint.ip_address?.parse::<IpAddr>().ok()?;
            Some((network, ip))
        })
        .collect();
    Observed {
        name,
        labels,
        state: status,
        started_at_ms,
        image,
        addresses,
    }
}

/// A container event as a [`RuntimeEvent`] (`None` for other actions).
pub(super) fn event(message: EventMessage) -> Option<RuntimeEvent> {
    let attributes = message.actor.and_then(|a| a.attributes).unwrap_or_default();
    let kind = match message.action.as_deref()? {
        "start" => EventKind::Started,
        "die" => EventKind::Died {
            code: attributes
                .get("exitCode")
                .and_then(|c| c.parse().ok())
                .unwrap_or(-1),
        },
        _ => return None,
    };
    let name = attributes.get("name")?.clone();
    let labels = attributes
        .into_iter()
        .filter(|(k, _)| k.starts_with("io.flux."))
        .collect();
    Some(RuntimeEvent { name, labels, kind })
}

/// Labels in their canonical order.
pub(super) fn sorted(labels: HashMap<String, String>) -> BTreeMap<String, String> {
    labels.into_iter().collect()
}

/// Milliseconds since the Unix epoch of an RFC 3339 UTC time as Docker writes it
/// (`2026-12-07T14:44:06.123456789Z`); `None` for anything else, or for Docker's "never"
/// (year 1).
pub(super) fn rfc3339_ms(text: &str) -> Option<u64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut hms = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    if year < 1970 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis = fraction.bytes().chain(std::iter::repeat(b'0')).take(3);
    let millis = millis.fold(0_i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    // Days from civil (Howard Hinnant's algorithm), March-based years.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    u64::try_from(seconds * 1_000 + millis).ok()
}

/// Maps a bollard error of `operation` at `endpoint` to a [`RuntimeError`], with the
/// operation-specific causes left to the caller (it matches on [`RuntimeError::Engine`]).
pub(super) fn error(endpoint: &str, operation: &'static str, e: BollardError) -> RuntimeError {
    match e {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => RuntimeError::Engine {
            operation,
            status: status_code,
            message,
        },
        BollardError::SocketNotFoundError(path) => RuntimeError::Unreachable {
            endpoint: endpoint.to_string(),
            reason: format!("no socket at {path}"),
        },
        BollardError::RequestTimeoutError
        | BollardError::HyperResponseError { .. }
        | BollardError::HyperLegacyError { .. }
        | BollardError::IOError { .. } => RuntimeError::Unreachable {
            endpoint: endpoint.to_string(),
            reason: e.to_string(),
        },
        other => RuntimeError::Transport {
            operation,
            reason: other.to_string(),
        },
    }
}

/// The host address and port in a Docker "port taken" message, when it names them
/// (`... listen tcp4 127.0.0.1:8080: bind: address already in use`,
/// `Bind for 0.0.0.0:8080 failed: port is already allocated`).
pub(super) fn taken_port(message: &str) -> Option<Option<(IpAddr, u16)>> {
    let taken =
        message.contains("address already in use") || message.contains("port is already allocated");
    if !taken {
        return None;
    }
    let found = message.split([' ', ',']).find_map(|word| {
        let word = word.trim_end_matches(':');
        let (ip, port) = word.rsplit_once(':')?;
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        Some((ip.parse().ok()?, port.parse().ok()?))
    });
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_nodes::hosting::{LABEL_APP, Mount, PortMap};

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "fluxweb_app".into(),
            image: "app:1".into(),
            labels: BTreeMap::from([(LABEL_APP.into(), "app".into())]),
            network: "fluxDockerNetwork_app".into(),
            alias: "web".into(),
            env: vec!["A=1".into()],
            cmd: vec![],
            ports: vec![
                PortMap {
                    host_ip: [127, 0, 0, 1].into(),
                    host_port: 31000,
                    container_port: 80,
                },
                PortMap {
                    host_ip: [127, 0, 0, 2].into(),
                    host_port: 31000,
                    container_port: 80,
                },
            ],
            nano_cpus: 1_000_000_000,
            memory_bytes: 1 << 30,
            mount: Some(Mount {
                host_path: "/data/apps/app/web".into(),
                container_path: "/d".into(),
            }),
        }
    }

    #[test]
    fn create_body_has_the_spec_and_nothing_privileged() {
        let body = create_body(&spec(), true);
        let host = body.host_config.clone().unwrap_or_default();
        assert_eq!(host.privileged, Some(false));
        assert_eq!(host.cap_add, None);
        assert_eq!(host.pid_mode, None);
        assert_eq!(host.ipc_mode, None);
        assert_eq!(host.devices, None);
        assert_eq!(host.network_mode.as_deref(), Some("fluxDockerNetwork_app"));
        assert_eq!(
            host.binds,
            Some(vec!["/data/apps/app/web:/d:rw".to_string()])
        );
        assert_eq!(host.nano_cpus, Some(1_000_000_000));
        assert_eq!(host.memory, Some(1 << 30));
        let restart = host.restart_policy.and_then(|r| r.name);
        assert_eq!(restart, Some(RestartPolicyNameEnum::NO));
        let bound = host.port_bindings.unwrap_or_default();
        let to_80 = bound.get("80/tcp").cloned().flatten().unwrap_or_default();
        assert_eq!(
            to_80.len(),
            2,
            "both host addresses publish container port 80"
        );
        assert_eq!(body.exposed_ports, Some(vec!["80/tcp".to_string()]));
        assert_eq!(body.cmd, None, "an empty command keeps the image's");
        let endpoints = body
            .networking_config
            .and_then(|n| n.endpoints_config)
            .unwrap_or_default();
        let aliases = endpoints
            .get("fluxDockerNetwork_app")
            .and_then(|e| e.aliases.clone());
        assert_eq!(aliases, Some(vec!["web".to_string()]));
    }

    #[test]
    fn rfc3339_reads_docker_times() {
        assert_eq!(rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_ms("2000-03-01T00:00:01.5Z"), Some(951_868_801_500));
        assert_eq!(
            rfc3339_ms("2026-12-07T14:44:06.123456789Z"),
            Some(1_796_654_646_123)
        );
        assert_eq!(rfc3339_ms("0001-01-01T00:00:00Z"), None, "Docker's never");
        assert_eq!(rfc3339_ms("2026-12-07T14:44:06+01:00"), None);
        assert_eq!(rfc3339_ms("garbage"), None);
    }

    #[test]
    fn taken_port_reads_both_engine_messages() {
        let proxy = "driver failed programming external connectivity on endpoint x: Error \
                     starting userland proxy: listen tcp4 127.0.0.1:8080: bind: address already in use";
        assert_eq!(taken_port(proxy), Some(Some(([127, 0, 0, 1].into(), 8080))));
        let allocated = "Bind for 0.0.0.0:9000 failed: port is already allocated";
        assert_eq!(
            taken_port(allocated),
            Some(Some(([0, 0, 0, 0].into(), 9000)))
        );
        assert_eq!(taken_port("No such image: x"), None);
    }
}
