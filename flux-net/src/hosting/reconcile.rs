//! [`Reconciler`]: one pass of the reconcile loop. It asks the runtime what runs, lets the pure
//! plan (`flux_nodes::hosting::plan`) say what to do, does it, restarts crashed containers
//! with exponential back-off and probes the published ports.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path};
use std::sync::Arc;
use std::time::Duration;

use flux_nodes::hosting::{
    Action, Backoff as Schedule, ContainerSpec, HostConfig, LABEL_APP, LABEL_COMPONENT,
    LABEL_INSTANCE, Observed, ObservedState, PortMap, over_capacity,
};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use super::status::{InstanceState, InstanceStatus, StatusBoard};
use crate::runtime::{Runtime, RuntimeError};

/// How long a probe waits for a published port to accept a connection.
const PROBE_CONNECT: Duration = Duration::from_millis(500);
/// How long a probe watches an accepted connection for an immediate close (Docker's port proxy
/// accepts, then closes, when nothing listens in the container).
const PROBE_WATCH: Duration = Duration::from_millis(150);

/// Restart bookkeeping of one container.
#[derive(Clone, Copy, Debug)]
struct Backoff {
    /// Restarts since the container last ran stably.
    attempts: u32,
    /// Not restarted before this.
    next: Instant,
    /// When it was last (re)started by this loop.
    started: Instant,
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    /// The actions the plan asked for, in order.
    pub actions: Vec<Action>,
    /// Those that failed, with the reason.
    pub failed: Vec<(Action, String)>,
}

/// Applies the reconcile plan of one node to a runtime; keeps the node's [`StatusBoard`].
pub struct Reconciler {
    runtime: Arc<dyn Runtime>,
    host: HostConfig,
    status: StatusBoard,
    backoff: BTreeMap<String, Backoff>,
    schedule: Schedule,
}

impl Reconciler {
    /// A reconciler for the node of `host` over `runtime`, writing to `status`.
    pub fn new(runtime: Arc<dyn Runtime>, host: HostConfig, status: StatusBoard) -> Reconciler {
        Reconciler {
            runtime,
            host,
            status,
            backoff: BTreeMap::new(),
            schedule: Schedule::DEFAULT,
        }
    }

    /// The node-side hosting config.
    pub fn host(&self) -> &HostConfig {
        &self.host
    }

    /// Replaces the node-side config (the tier may change with the registry).
    pub fn set_host(&mut self, host: HostConfig) {
        self.host = host;
    }

    /// Marks the containers of an instance whose spec was refused as `failed` with `reason`.
    pub fn refuse(&self, app: &str, instance: u32, reason: &str) {
        let row = InstanceStatus {
            app: app.to_owned(),
            component: String::new(),
            instance,
            container: format!("{app}#{instance}"),
            state: InstanceState::Failed,
            since_ms: 0,
            restarts: 0,
            last_error: None,
            ports_answer: false,
            published: Vec::new(),
            direct: Vec::new(),
        };
        self.status
            .set(&row, InstanceState::Failed, Some(reason.to_owned()));
    }

    /// One pass: list, plan, act, probe. `desired` is every container this node should run
    /// (from the placement at the last committed height); `refused` names the instances whose
    /// spec could not become containers (kept as `failed` rows).
    ///
    /// # Errors
    /// The runtime's error when it cannot even list (the engine is away): nothing was done.
    pub async fn pass(
        &mut self,
        desired: &[ContainerSpec],
        refused: &[(String, u32)],
    ) -> Result<PassReport, RuntimeError> {
        let node = self.host.node_label();
        let observed = self.runtime.list(Some(&node)).await?;
        let networks = self.runtime.list_networks(Some(&node)).await?;
        let mut actions = flux_nodes::hosting::plan(desired, &observed, &networks, &self.host);
        let by_name: BTreeMap<&str, &ContainerSpec> =
            desired.iter().map(|s| (s.name.as_str(), s)).collect();
        let mut report = PassReport {
            actions: actions.clone(),
            failed: Vec::new(),
        };
        // Containers beyond what the host offers are not created: their instance fails with
        // why (and is tried again on the next pass, when something else may have left).
        if actions.iter().any(|a| matches!(a, Action::Create(_))) {
            let capacity = self.runtime.capacity().await?;
            let over = over_capacity(capacity, desired, &observed, &actions);
            for (name, reason) in over {
                self.fail_where(&by_name, |s| s.name == name, &reason);
                actions.retain(|a| !matches!(a, Action::Create(s) if s.name == name));
                let spec = by_name.get(name.as_str()).map(|s| (*s).clone());
                if let Some(spec) = spec {
                    report.failed.push((Action::Create(spec), reason));
                }
            }
        }
        let mut bad_images = BTreeSet::new();
        let mut bad_networks = BTreeSet::new();
        for action in actions {
            if let Err(reason) = self
                .apply(&action, &by_name, &mut bad_images, &mut bad_networks)
                .await
            {
                report.failed.push((action, reason));
            }
        }
        self.observe(desired, refused).await?;
        Ok(report)
    }

    async fn apply(
        &mut self,
        action: &Action,
        desired: &BTreeMap<&str, &ContainerSpec>,
        bad_images: &mut BTreeSet<String>,
        bad_networks: &mut BTreeSet<String>,
    ) -> Result<(), String> {
        let rt = Arc::clone(&self.runtime);
        match action {
            Action::EnsureNetwork { name, labels } => {
                if let Err(e) = rt.ensure_network(name, labels).await {
                    bad_networks.insert(name.clone());
                    self.fail_where(desired, |s| &s.network == name, &e.to_string());
                    return Err(e.to_string());
                }
            }
            Action::EnsureImage { image } => {
                let present = rt.image_present(image).await.map_err(|e| e.to_string())?;
                if !present {
                    self.mark_where(desired, |s| &s.image == image, InstanceState::Pulling);
                    if let Err(e) = rt.pull(image).await {
                        bad_images.insert(image.clone());
                        self.fail_where(desired, |s| &s.image == image, &e.to_string());
                        return Err(e.to_string());
                    }
                }
            }
            Action::Create(spec) => {
                if bad_images.contains(&spec.image) || bad_networks.contains(&spec.network) {
                    return Err(format!("{}: its image or network is missing", spec.name));
                }
                let row = base_row(spec);
                self.status.set(&row, InstanceState::Starting, None);
                if let Err(e) = rt.create(spec).await {
                    self.status
                        .set(&row, InstanceState::Failed, Some(e.to_string()));
                    // A half-created container (port taken at start) is removed so the next
                    // pass creates it afresh.
                    if matches!(e, RuntimeError::PortTaken { .. }) {
                        let _ = rt.remove(&spec.name).await;
                    }
                    return Err(e.to_string());
                }
                let now = Instant::now();
                self.backoff.insert(
                    spec.name.clone(),
                    Backoff {
                        attempts: 0,
                        next: now,
                        started: now,
                    },
                );
            }
            Action::Start { name } => {
                let now = Instant::now();
                let entry = self.backoff.entry(name.clone()).or_insert(Backoff {
                    attempts: 0,
                    next: now,
                    started: now,
                });
                if now < entry.next {
                    if let Some(spec) = desired.get(name.as_str()) {
                        self.status
                            .set(&base_row(spec), InstanceState::Crashing, None);
                    }
                    return Ok(());
                }
                let ran = now.saturating_duration_since(entry.started);
                let ran_ms = u64::try_from(ran.as_millis()).unwrap_or(u64::MAX);
                entry.attempts = self.schedule.next_attempt(entry.attempts, ran_ms);
                let delay = self.schedule.delay_ms(entry.attempts);
                entry.next = now + Duration::from_millis(delay);
                entry.started = now;
                self.status
                    .update(name, |r| r.restarts = r.restarts.saturating_add(1));
                if let Err(e) = rt.start(name).await {
                    if let Some(spec) = desired.get(name.as_str()) {
                        self.status.set(
                            &base_row(spec),
                            InstanceState::Crashing,
                            Some(e.to_string()),
                        );
                    }
                    return Err(e.to_string());
                }
            }
            Action::Remove { name } => {
                self.status
                    .update(name, |r| r.state = InstanceState::Stopping);
                self.backoff.remove(name);
                rt.remove(name).await.map_err(|e| e.to_string())?;
                self.status.retain(|n| n != name);
            }
            Action::RemoveNetwork { name } => {
                rt.remove_network(name).await.map_err(|e| e.to_string())?;
            }
            Action::RemoveData { path } => {
                self.remove_data(path).await?;
            }
        }
        Ok(())
    }

    /// Removes an app's data folder, only if it lies under `<data_dir>/apps/`.
    async fn remove_data(&self, path: &Path) -> Result<(), String> {
        let root = self.host.data_dir.join("apps");
        let inside = path.starts_with(&root)
            && path != root
            && path
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::RootDir));
        if !inside {
            return Err(format!(
                "refusing to remove {}: not under {}",
                path.display(),
                root.display()
            ));
        }
        let owned = path.to_owned();
        let removed = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(owned))
            .await
            .map_err(|e| format!("removing {}: {e}", path.display()))?;
        match removed {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("removing {}: {e}", path.display())),
        }
    }

    fn mark_where(
        &self,
        desired: &BTreeMap<&str, &ContainerSpec>,
        pick: impl Fn(&ContainerSpec) -> bool,
        state: InstanceState,
    ) {
        for spec in desired.values().filter(|s| pick(s)) {
            self.status.set(&base_row(spec), state, None);
        }
    }

    fn fail_where(
        &self,
        desired: &BTreeMap<&str, &ContainerSpec>,
        pick: impl Fn(&ContainerSpec) -> bool,
        reason: &str,
    ) {
        for spec in desired.values().filter(|s| pick(s)) {
            self.status.set(
                &base_row(spec),
                InstanceState::Failed,
                Some(reason.to_owned()),
            );
        }
    }

    /// Lists again and sets every desired container's state from what runs and what its
    /// published ports answer.
    async fn observe(
        &mut self,
        desired: &[ContainerSpec],
        refused: &[(String, u32)],
    ) -> Result<(), RuntimeError> {
        let node = self.host.node_label();
        let observed: BTreeMap<String, Observed> = self
            .runtime
            .list(Some(&node))
            .await?
            .into_iter()
            .map(|o| (o.name.clone(), o))
            .collect();
        for spec in desired {
            let row = base_row(spec);
            let Some(seen) = observed.get(&spec.name) else {
                // Not created (its failure is already on the board), or removed under us.
                if self.status.get(&spec.name).is_none() {
                    self.status.set(&row, InstanceState::Starting, None);
                }
                continue;
            };
            let mut direct = Vec::new();
            match seen.state {
                ObservedState::Running => {
                    let answer = probe_all(&spec.ports).await;
                    let state = if answer {
                        InstanceState::Serving
                    } else {
                        InstanceState::Starting
                    };
                    if answer && let Some(ip) = seen.addresses.get(&spec.network) {
                        direct = probe_direct(*ip, &spec.ports).await;
                    }
                    self.status.set(&row, state, None);
                    self.status.update(&spec.name, |r| r.ports_answer = answer);
                }
                ObservedState::Exited { code } => {
                    let error = format!("exited with code {code}");
                    self.status.set(&row, InstanceState::Crashing, Some(error));
                    self.status.update(&spec.name, |r| r.ports_answer = false);
                }
                ObservedState::Dead => {
                    self.status.set(
                        &row,
                        InstanceState::Crashing,
                        Some("the engine marked it dead".into()),
                    );
                }
                ObservedState::Removing => {
                    self.status.set(&row, InstanceState::Stopping, None);
                }
                ObservedState::Created | ObservedState::Restarting | ObservedState::Paused => {
                    self.status.set(&row, InstanceState::Starting, None);
                }
            }
            self.status.update(&spec.name, |r| r.direct = direct);
        }
        let keep: BTreeSet<String> = desired
            .iter()
            .map(|s| s.name.clone())
            .chain(refused.iter().map(|(a, i)| format!("{a}#{i}")))
            .collect();
        self.status.retain(|n| keep.contains(n));
        self.backoff.retain(|n, _| keep.contains(n));
        Ok(())
    }
}

/// The board row of a container, before its state is known.
fn base_row(spec: &ContainerSpec) -> InstanceStatus {
    let label = |k| spec.labels.get(k).cloned().unwrap_or_default();
    InstanceStatus {
        app: label(LABEL_APP),
        component: label(LABEL_COMPONENT),
        instance: label(LABEL_INSTANCE).parse().unwrap_or(0),
        container: spec.name.clone(),
        state: InstanceState::Starting,
        since_ms: super::status::now_ms(),
        restarts: 0,
        last_error: None,
        ports_answer: false,
        published: spec
            .ports
            .iter()
            .map(|p| std::net::SocketAddr::new(p.host_ip, p.host_port).to_string())
            .collect(),
        direct: Vec::new(),
    }
}

/// Whether every published port answers (see [`probe`]).
async fn probe_all(ports: &[PortMap]) -> bool {
    for port in ports {
        if !probe(std::net::SocketAddr::new(port.host_ip, port.host_port)).await {
            return false;
        }
    }
    true
}

/// Each published port's container port at `ip` (the container's address on its app network),
/// when every one answers there; empty otherwise (the gateway then goes through the published
/// ports). Reaching a node's own instance directly skips the engine's port proxy: one process
/// and two socket hops less per request.
async fn probe_direct(ip: IpAddr, ports: &[PortMap]) -> Vec<SocketAddr> {
    let mut direct = Vec::with_capacity(ports.len());
    for port in ports {
        let addr = SocketAddr::new(ip, port.container_port);
        if !probe(addr).await {
            return Vec::new();
        }
        direct.push(addr);
    }
    direct
}

/// Whether something answers on `addr`: it accepts a connection and does not close it at once
/// (Docker's userland proxy accepts on the published port even when nothing listens in the
/// container, then closes).
pub async fn probe(addr: std::net::SocketAddr) -> bool {
    let Ok(Ok(mut stream)) = timeout(PROBE_CONNECT, TcpStream::connect(addr)).await else {
        return false;
    };
    let mut byte = [0u8; 1];
    match timeout(PROBE_WATCH, stream.read(&mut byte)).await {
        // Quiet (a server waiting for a request) or talking: it answers.
        Err(_) | Ok(Ok(1..)) => true,
        // Closed or reset at once: nothing behind the port.
        Ok(Ok(0)) | Ok(Err(_)) => false,
    }
}
