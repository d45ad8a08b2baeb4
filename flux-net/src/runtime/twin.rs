//! [`TwinRuntime`]: a deterministic in-memory [`Runtime`] for unit tests and the simulated
//! network. No clock (start times are the twin's step counter), no randomness, no IO: the same
//! calls in the same order give the same answers. Faults are injected by the test: a
//! container exits or crashes on start, a pull fails, a host port is taken, the engine goes
//! away.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use flux_nodes::hosting::PortMap;
use futures::StreamExt;
use futures::channel::mpsc;

use super::{
    Capacity, ContainerSpec, EngineVersion, EventKind, EventStream, LABEL_NODE, LogLine, LogStream,
    MAX_LOG_TAIL, Observed, ObservedNetwork, ObservedState, Runtime, RuntimeError, RuntimeEvent,
    check_spec, is_ours, with_default_tag,
};

/// The endpoint the twin reports in its errors.
const ENDPOINT: &str = "twin://";

/// A deterministic in-memory container engine. Clones share one engine, so a test keeps a
/// handle to inject faults while the code under test drives another.
///
/// By default every pull succeeds (the twin's registry has every image), no port is taken and
/// containers run until told to exit.
///
/// ```
/// use flux_net::runtime::{Runtime, RuntimeError, TwinRuntime};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let twin = TwinRuntime::new();
/// twin.fail_pull("ghost:1", "manifest unknown");
/// let Err(RuntimeError::PullFailed { reason, .. }) = twin.pull("ghost:1").await else {
///     panic!("the pull should fail");
/// };
/// assert_eq!(reason, "manifest unknown");
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct TwinRuntime {
    engine: Arc<Mutex<Engine>>,
}

#[derive(Debug)]
struct Container {
    labels: BTreeMap<String, String>,
    image: String,
    ports: Vec<PortMap>,
    state: ObservedState,
    started_at: Option<u64>,
    logs: Vec<LogLine>,
    spec: Option<ContainerSpec>,
}

#[derive(Debug)]
struct Engine {
    reachable: bool,
    capacity: Capacity,
    /// The twin's clock: one step per state change.
    step: u64,
    created: u64,
    containers: BTreeMap<String, Container>,
    networks: BTreeMap<String, BTreeMap<String, String>>,
    images: BTreeSet<String>,
    pull_failures: BTreeMap<String, String>,
    crash_on_start: BTreeMap<String, i64>,
    taken_ports: BTreeSet<(IpAddr, u16)>,
    subscribers: Vec<mpsc::UnboundedSender<Result<RuntimeEvent, RuntimeError>>>,
}

impl Default for Engine {
    fn default() -> Self {
        Self {
            reachable: true,
            capacity: TwinRuntime::DEFAULT_CAPACITY,
            step: 0,
            created: 0,
            containers: BTreeMap::new(),
            networks: BTreeMap::new(),
            images: BTreeSet::new(),
            pull_failures: BTreeMap::new(),
            crash_on_start: BTreeMap::new(),
            taken_ports: BTreeSet::new(),
            subscribers: Vec::new(),
        }
    }
}

impl Engine {
    fn reachable(&self) -> Result<(), RuntimeError> {
        if self.reachable {
            Ok(())
        } else {
            Err(RuntimeError::Unreachable {
                endpoint: ENDPOINT.to_string(),
                reason: "the twin engine is stopped".to_string(),
            })
        }
    }

    fn emit(&mut self, name: &str, kind: EventKind) {
        let Some(container) = self.containers.get(name) else {
            return;
        };
        if !is_ours(&container.labels) {
            return;
        }
        let labels = container.labels.clone();
        let event = RuntimeEvent {
            name: name.to_string(),
            labels,
            kind,
        };
        self.subscribers
            .retain(|s| s.unbounded_send(Ok(event.clone())).is_ok());
    }

    fn observed(name: &str, c: &Container) -> Observed {
        Observed {
            name: name.to_string(),
            labels: c.labels.clone(),
            state: c.state,
            started_at_ms: c.started_at,
            image: c.image.clone(),
            addresses: Default::default(),
        }
    }

    /// The first of `ports` that is taken on the host or published by another running
    /// container (an unspecified address overlaps every address).
    fn taken(&self, name: &str, ports: &[PortMap]) -> Option<(IpAddr, u16)> {
        let overlaps = |a: IpAddr, b: IpAddr| a == b || a.is_unspecified() || b.is_unspecified();
        ports.iter().find_map(|p| {
            let on_host = self
                .taken_ports
                .iter()
                .any(|&(ip, port)| port == p.host_port && overlaps(ip, p.host_ip));
            let by_other = self.containers.iter().any(|(other, c)| {
                other != name
                    && c.state == ObservedState::Running
                    && c.ports
                        .iter()
                        .any(|q| q.host_port == p.host_port && overlaps(q.host_ip, p.host_ip))
            });
            (on_host || by_other).then_some((p.host_ip, p.host_port))
        })
    }

    fn start(&mut self, name: &str) -> Result<(), RuntimeError> {
        let Some(container) = self.containers.get(name) else {
            return Err(RuntimeError::NotFound {
                name: name.to_string(),
            });
        };
        if container.state == ObservedState::Running {
            return Ok(());
        }
        if let Some(port) = self.taken(name, &container.ports) {
            return Err(RuntimeError::PortTaken {
                container: name.to_string(),
                port: Some(port),
                reason: format!(
                    "listen tcp {}:{}: bind: address already in use",
                    port.0, port.1
                ),
            });
        }
        let crash = self.crash_on_start.get(&container.image).copied();
        self.step += 1;
        let step = self.step;
        if let Some(c) = self.containers.get_mut(name) {
            c.state = ObservedState::Running;
            c.started_at = Some(step);
        }
        self.emit(name, EventKind::Started);
        if let Some(code) = crash {
            self.exit(name, code);
        }
        Ok(())
    }

    fn exit(&mut self, name: &str, code: i64) -> bool {
        match self.containers.get_mut(name) {
            Some(c) if c.state == ObservedState::Running => {
                c.state = ObservedState::Exited { code };
                self.step += 1;
                self.emit(name, EventKind::Died { code });
                true
            }
            _ => false,
        }
    }

    fn ours(&self, name: &str) -> Result<Option<&Container>, RuntimeError> {
        match self.containers.get(name) {
            Some(c) if is_ours(&c.labels) => Ok(Some(c)),
            Some(_) => Err(RuntimeError::NotOurs {
                kind: "container",
                name: name.to_string(),
            }),
            None => Ok(None),
        }
    }
}

impl TwinRuntime {
    /// An empty engine: no containers, networks or images.
    pub fn new() -> Self {
        Self::default()
    }

    fn engine(&self) -> MutexGuard<'_, Engine> {
        // A panic while holding the lock (a failing test) leaves the data consistent: every
        // change is made in one step.
        self.engine
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What a new twin's host offers: 64 cores and 256 GiB.
    pub const DEFAULT_CAPACITY: Capacity = Capacity {
        nano_cpus: 64_000_000_000,
        memory_bytes: 256 << 30,
    };

    /// Sets what the twin's host offers containers ([`Runtime::capacity`]).
    pub fn set_capacity(&self, capacity: Capacity) {
        self.engine().capacity = capacity;
    }

    /// Makes `image` present locally, as if built or loaded.
    pub fn add_image(&self, image: &str) {
        self.engine().images.insert(with_default_tag(image));
    }

    /// Makes every later pull of `image` fail with `reason` (the registry's words).
    pub fn fail_pull(&self, image: &str, reason: &str) {
        self.engine()
            .pull_failures
            .insert(with_default_tag(image), reason.to_string());
    }

    /// Lets pulls of `image` succeed again.
    pub fn allow_pull(&self, image: &str) {
        self.engine().pull_failures.remove(&with_default_tag(image));
    }

    /// Makes every container of `image` exit with `code` as soon as it starts (a crash loop).
    pub fn crash_on_start(&self, image: &str, code: i64) {
        self.engine().crash_on_start.insert(image.to_string(), code);
    }

    /// Lets containers of `image` run again when started.
    pub fn stop_crashing(&self, image: &str) {
        self.engine().crash_on_start.remove(image);
    }

    /// Makes the running container `name` exit with `code` now (a crash, `docker kill`: 137).
    /// Returns whether it was running.
    pub fn exit(&self, name: &str, code: i64) -> bool {
        self.engine().exit(name, code)
    }

    /// Marks `ip:port` as taken on the host by something outside the engine.
    pub fn take_port(&self, ip: IpAddr, port: u16) {
        self.engine().taken_ports.insert((ip, port));
    }

    /// Frees `ip:port` again.
    pub fn release_port(&self, ip: IpAddr, port: u16) {
        self.engine().taken_ports.remove(&(ip, port));
    }

    /// Stops (`false`) or restarts (`true`) the engine. While stopped every call fails with
    /// [`RuntimeError::Unreachable`], event streams end with that error, and the containers
    /// keep their state.
    pub fn set_reachable(&self, reachable: bool) {
        let mut engine = self.engine();
        engine.reachable = reachable;
        if !reachable {
            let gone = engine.reachable().err();
            for subscriber in std::mem::take(&mut engine.subscribers) {
                if let Some(e) = &gone {
                    let _ = subscriber.unbounded_send(Err(e.clone()));
                }
            }
        }
    }

    /// Adds a running container `name` without the project's labels (someone else's), which
    /// the runtime must never touch.
    pub fn add_foreign(&self, name: &str, image: &str) {
        let mut engine = self.engine();
        engine.step += 1;
        let started_at = Some(engine.step);
        engine.containers.insert(
            name.to_string(),
            Container {
                labels: BTreeMap::from([("owner".to_string(), "someone else".to_string())]),
                image: image.to_string(),
                ports: Vec::new(),
                state: ObservedState::Running,
                started_at,
                logs: Vec::new(),
                spec: None,
            },
        );
    }

    /// Appends a line to the output of container `name` (as if it printed it).
    pub fn write_log(&self, name: &str, stream: LogStream, text: &str) {
        if let Some(c) = self.engine().containers.get_mut(name) {
            c.logs.push(LogLine {
                stream,
                text: text.to_string(),
            });
        }
    }

    /// How many containers were ever created (for "no duplicate" checks).
    pub fn created_total(&self) -> u64 {
        self.engine().created
    }

    /// The spec the container `name` was created from.
    pub fn spec(&self, name: &str) -> Option<ContainerSpec> {
        self.engine()
            .containers
            .get(name)
            .and_then(|c| c.spec.clone())
    }

    /// The twin's clock: how many state changes happened so far.
    pub fn step(&self) -> u64 {
        self.engine().step
    }
}

#[async_trait]
impl Runtime for TwinRuntime {
    async fn ping(&self) -> Result<(), RuntimeError> {
        self.engine().reachable()
    }

    async fn version(&self) -> Result<EngineVersion, RuntimeError> {
        self.engine().reachable()?;
        Ok(EngineVersion {
            version: "twin".to_string(),
            api_version: "1.41".to_string(),
            negotiated_api: "1.41".to_string(),
        })
    }

    async fn capacity(&self) -> Result<Capacity, RuntimeError> {
        let engine = self.engine();
        engine.reachable()?;
        Ok(engine.capacity)
    }

    async fn list(&self, node: Option<&str>) -> Result<Vec<Observed>, RuntimeError> {
        let engine = self.engine();
        engine.reachable()?;
        Ok(engine
            .containers
            .iter()
            .filter(|(_, c)| is_ours(&c.labels))
            .filter(|(_, c)| node.is_none_or(|n| c.labels.get(LABEL_NODE).is_some_and(|l| l == n)))
            .map(|(name, c)| Engine::observed(name, c))
            .collect())
    }

    async fn list_networks(
        &self,
        node: Option<&str>,
    ) -> Result<Vec<ObservedNetwork>, RuntimeError> {
        let engine = self.engine();
        engine.reachable()?;
        Ok(engine
            .networks
            .iter()
            .filter(|(_, labels)| is_ours(labels))
            .filter(|(_, labels)| {
                node.is_none_or(|n| labels.get(LABEL_NODE).is_some_and(|l| l == n))
            })
            .map(|(name, labels)| ObservedNetwork {
                name: name.clone(),
                labels: labels.clone(),
            })
            .collect())
    }

    async fn ensure_network(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<(), RuntimeError> {
        let mut engine = self.engine();
        engine.reachable()?;
        if !is_ours(labels) {
            let reason = "the network's labels lack io.flux.app".to_string();
            return Err(RuntimeError::InvalidSpec {
                name: name.to_string(),
                reason,
            });
        }
        match engine.networks.get(name) {
            Some(existing) if is_ours(existing) => Ok(()),
            Some(_) => Err(RuntimeError::NotOurs {
                kind: "network",
                name: name.to_string(),
            }),
            None => {
                engine.step += 1;
                engine.networks.insert(name.to_string(), labels.clone());
                Ok(())
            }
        }
    }

    async fn remove_network(&self, name: &str) -> Result<(), RuntimeError> {
        let mut engine = self.engine();
        engine.reachable()?;
        match engine.networks.get(name) {
            None => return Ok(()),
            Some(labels) if !is_ours(labels) => {
                return Err(RuntimeError::NotOurs {
                    kind: "network",
                    name: name.to_string(),
                });
            }
            Some(_) => {}
        }
        let in_use = engine
            .containers
            .values()
            .any(|c| c.spec.as_ref().is_some_and(|s| s.network == name));
        if in_use {
            return Err(RuntimeError::Engine {
                operation: "remove network",
                status: 403,
                message: format!(
                    "error while removing network: network {name} has active endpoints"
                ),
            });
        }
        engine.step += 1;
        engine.networks.remove(name);
        Ok(())
    }

    async fn image_present(&self, image: &str) -> Result<bool, RuntimeError> {
        let engine = self.engine();
        engine.reachable()?;
        Ok(engine.images.contains(&with_default_tag(image)))
    }

    async fn pull(&self, image: &str) -> Result<(), RuntimeError> {
        let mut engine = self.engine();
        engine.reachable()?;
        let image = with_default_tag(image);
        if let Some(reason) = engine.pull_failures.get(&image) {
            return Err(RuntimeError::PullFailed {
                image,
                reason: reason.clone(),
            });
        }
        engine.step += 1;
        engine.images.insert(image);
        Ok(())
    }

    async fn create(&self, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        let mut engine = self.engine();
        engine.reachable()?;
        check_spec(spec)?;
        if engine.containers.contains_key(&spec.name) {
            return Err(RuntimeError::NameInUse {
                name: spec.name.clone(),
            });
        }
        if !engine.images.contains(&with_default_tag(&spec.image)) {
            return Err(RuntimeError::ImageMissing {
                image: spec.image.clone(),
            });
        }
        if !engine.networks.contains_key(&spec.network) {
            return Err(RuntimeError::NetworkMissing {
                network: spec.network.clone(),
            });
        }
        engine.step += 1;
        engine.created += 1;
        engine.containers.insert(
            spec.name.clone(),
            Container {
                labels: spec.labels.clone(),
                image: spec.image.clone(),
                ports: spec.ports.clone(),
                state: ObservedState::Created,
                started_at: None,
                logs: Vec::new(),
                spec: Some(spec.clone()),
            },
        );
        engine.start(&spec.name)
    }

    async fn start(&self, name: &str) -> Result<(), RuntimeError> {
        let mut engine = self.engine();
        engine.reachable()?;
        if engine.ours(name)?.is_none() {
            return Err(RuntimeError::NotFound {
                name: name.to_string(),
            });
        }
        engine.start(name)
    }

    async fn remove(&self, name: &str) -> Result<(), RuntimeError> {
        let mut engine = self.engine();
        engine.reachable()?;
        if engine.ours(name)?.is_none() {
            return Ok(());
        }
        // A graceful stop: the app exits 0 on SIGTERM.
        engine.exit(name, 0);
        engine.step += 1;
        engine.containers.remove(name);
        Ok(())
    }

    async fn inspect(&self, name: &str) -> Result<Option<Observed>, RuntimeError> {
        let engine = self.engine();
        engine.reachable()?;
        Ok(engine
            .containers
            .get(name)
            .map(|c| Engine::observed(name, c)))
    }

    async fn logs(&self, name: &str, tail: u32) -> Result<Vec<LogLine>, RuntimeError> {
        let engine = self.engine();
        engine.reachable()?;
        let Some(container) = engine.ours(name)? else {
            return Err(RuntimeError::NotFound {
                name: name.to_string(),
            });
        };
        let tail = usize::try_from(tail.min(MAX_LOG_TAIL)).unwrap_or(usize::MAX);
        let skip = container.logs.len().saturating_sub(tail);
        Ok(container.logs[skip..].to_vec())
    }

    async fn events(&self) -> Result<EventStream, RuntimeError> {
        let mut engine = self.engine();
        engine.reachable()?;
        let (sender, receiver) = mpsc::unbounded();
        engine.subscribers.push(sender);
        Ok(receiver.boxed())
    }
}

#[cfg(test)]
mod tests;
