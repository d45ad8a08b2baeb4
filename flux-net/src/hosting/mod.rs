//! Hosting, the IO part: the reconcile loop that makes the placement real on this node's
//! container runtime, and keeps the gateway's routes current.
//!
//! After each committed block (and every [`HostingConfig::reconcile_interval_ms`] without
//! one) the loop reads the committed state ([`Snapshot`]), computes the containers this node
//! should run (`flux_nodes::hosting::containers_for`), asks the runtime what runs, applies the
//! pure plan (`flux_nodes::hosting::plan`) through the [`Reconciler`], probes the published
//! ports, and installs a fresh route table in the gateway. Containers are found again after a
//! `fluxd` restart by their `io.flux.*` labels; containers without them are never touched.
//! A node whose Docker Engine is unreachable says so once, keeps validating and routing, and
//! resumes hosting by itself when the engine answers again.
//!
//! Map: [`config`] (`[hosting]` of `fluxd.toml`), [`status`] (what runs, for the API),
//! [`reconcile`] (one pass: list, plan, act, probe, back-off), [`routes`] (state → desired
//! containers and route table).
//!
//! ```no_run
//! use std::sync::Arc;
//! use flux_net::hosting::{Hosting, HostingConfig};
//! use flux_net::runtime::TwinRuntime;
//! # async fn run(chain: flux_net::host::SharedChain<flux_chain::store::MemStore>,
//! #              node: flux_nodes::NodeId) -> Result<(), Box<dyn std::error::Error>> {
//! let config = HostingConfig { gateway: Some("127.0.0.1:0".parse()?), ..HostingConfig::default() };
//! let hosting = Hosting::start(config, "./node".into(), Some(node), chain,
//!                              Some(Arc::new(TwinRuntime::new()))).await?;
//! println!("gateway on {:?}; running {:?}", hosting.gateway_addr(), hosting.status().snapshot());
//! hosting.shutdown().await;
//! # Ok(()) }
//! ```

pub mod config;
pub mod reconcile;
pub mod routes;
pub mod status;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use flux_chain::store::Store;
use flux_nodes::NodeId;
use flux_nodes::hosting::HostConfig;
use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use config::HostingConfig;
pub use reconcile::{PassReport, Reconciler};
pub use routes::{LocalInstance, Snapshot, SpecCache};
pub use status::{InstanceState, InstanceStatus, StatusBoard};

use crate::gateway::{Gateway, GatewayConfig, GatewayError, GatewayMetrics, SharedRoutes};
use crate::host::SharedChain;
use crate::runtime::{DockerEndpoint, DockerRuntime, Runtime};

/// How often the loop looks for a new committed height.
const HEIGHT_POLL: Duration = Duration::from_millis(200);

/// Why hosting could not start.
#[derive(Debug, Error)]
pub enum HostingStartError {
    /// The gateway could not listen.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

/// The hosting service of a node: the reconcile loop and the gateway.
pub struct Hosting {
    status: StatusBoard,
    gateway: Option<Gateway>,
    runtime: Option<Arc<dyn Runtime>>,
    off: Option<String>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Hosting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hosting")
            .field("gateway", &self.gateway_addr())
            .field("off", &self.off)
            .finish_non_exhaustive()
    }
}

impl Hosting {
    /// Starts hosting for the node `node` (`None`: a node without a registration, which
    /// routes but hosts nothing) over the committed `chain`. `runtime`: the runtime to drive;
    /// `None` connects to the Docker Engine of `config` (a node whose engine does not answer
    /// logs once why it hosts nothing and runs on).
    ///
    /// # Errors
    /// [`HostingStartError::Gateway`] when the gateway cannot listen.
    pub async fn start<S: Store + Send + Sync + 'static>(
        config: HostingConfig,
        data_dir: PathBuf,
        node: Option<NodeId>,
        chain: SharedChain<S>,
        runtime: Option<Arc<dyn Runtime>>,
    ) -> Result<Hosting, HostingStartError> {
        let gateway = match config.gateway {
            Some(addr) => Some(Gateway::bind(addr, GatewayConfig::default()).await?),
            None => None,
        };
        let (runtime, off) = match (config.enabled, node, runtime) {
            (false, _, _) => (None, Some("hosting is disabled in [hosting]".to_owned())),
            (true, None, _) => (None, Some("this node has no validator key".to_owned())),
            (true, Some(_), Some(rt)) => (Some(rt), None),
            (true, Some(_), None) => match connect(&config).await {
                Ok(rt) => (Some(rt), None),
                Err(why) => (None, Some(why)),
            },
        };
        if let Some(why) = &off {
            tracing::warn!("this node hosts no app: {why}");
        }
        let status = StatusBoard::new();
        let (stop, stopped) = watch::channel(false);
        let data_path = config
            .data_path
            .as_ref()
            .map_or_else(|| data_dir.clone(), |p| data_dir.join(p));
        let looper = Loop {
            config,
            data_path,
            node,
            chain,
            reconciler: None,
            runtime: runtime.clone(),
            routes: gateway.as_ref().map(Gateway::routes),
            status: status.clone(),
            engine_down: false,
            specs: SpecCache::default(),
        };
        let task = tokio::spawn(looper.run(stopped));
        Ok(Hosting {
            status,
            gateway,
            runtime,
            off,
            stop,
            task: Some(task),
        })
    }

    /// What this node runs.
    pub fn status(&self) -> &StatusBoard {
        &self.status
    }

    /// The gateway's address, when it runs.
    pub fn gateway_addr(&self) -> Option<SocketAddr> {
        self.gateway.as_ref().map(Gateway::local_addr)
    }

    /// The gateway's request counters, when it runs.
    pub fn gateway_metrics(&self) -> Option<Arc<GatewayMetrics>> {
        self.gateway.as_ref().map(Gateway::metrics)
    }

    /// The runtime in use (`None` when this node hosts nothing).
    pub fn runtime(&self) -> Option<&Arc<dyn Runtime>> {
        self.runtime.as_ref()
    }

    /// Why this node hosts nothing, if it does not.
    pub fn off_reason(&self) -> Option<&str> {
        self.off.as_deref()
    }

    /// Stops the loop and the gateway. Containers keep running: a restarted node adopts them.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(gateway) = self.gateway.take() {
            gateway.shutdown().await;
        }
    }
}

/// Connects to the Docker Engine of `config` and checks it answers.
async fn connect(config: &HostingConfig) -> Result<Arc<dyn Runtime>, String> {
    let endpoint = match &config.docker {
        Some(e) => Some(e.parse::<DockerEndpoint>().map_err(|e| e.to_string())?),
        None => None,
    };
    let runtime = DockerRuntime::connect(endpoint.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(runtime))
}

/// The reconcile loop's state.
struct Loop<S: Store> {
    config: HostingConfig,
    data_path: PathBuf,
    node: Option<NodeId>,
    chain: SharedChain<S>,
    reconciler: Option<Reconciler>,
    runtime: Option<Arc<dyn Runtime>>,
    routes: Option<SharedRoutes>,
    status: StatusBoard,
    engine_down: bool,
    specs: SpecCache,
}

impl<S: Store + Send + Sync + 'static> Loop<S> {
    async fn run(mut self, mut stopped: watch::Receiver<bool>) {
        let interval = Duration::from_millis(self.config.reconcile_interval_ms.max(100));
        let mut tick = tokio::time::interval(HEIGHT_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_height = None;
        let mut next_pass = Instant::now();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped.changed() => return,
            }
            let snapshot = {
                let chain = match self.chain.read() {
                    Ok(c) => c,
                    Err(poisoned) => poisoned.into_inner(),
                };
                let height = chain.height();
                if last_height == Some(height) && Instant::now() < next_pass {
                    continue;
                }
                last_height = Some(height);
                Snapshot::read(chain.state(), height, self.node.as_ref(), &mut self.specs)
            };
            next_pass = Instant::now() + interval;
            self.pass(&snapshot).await;
        }
    }

    async fn pass(&mut self, snapshot: &Snapshot) {
        if let (Some(node), Some(runtime), Some(tier)) =
            (self.node, self.runtime.clone(), snapshot.tier)
        {
            let mut host = HostConfig::new(node, tier, self.config.publish_ip, &self.data_path);
            if let Some(tag) = &self.config.node_tag {
                host = host.with_tag(tag.clone());
            }
            if let Some(addr) = self.config.gateway {
                host = host.with_reserved_ports([addr.port()]);
            }
            let reconciler = self
                .reconciler
                .get_or_insert_with(|| Reconciler::new(runtime, host.clone(), self.status.clone()));
            reconciler.set_host(host.clone());
            let (desired, refused) = snapshot.desired(&host);
            for (app, instance, reason) in &refused {
                reconciler.refuse(app, *instance, reason);
            }
            let refused: Vec<(String, u32)> = refused.into_iter().map(|(a, i, _)| (a, i)).collect();
            match reconciler.pass(&desired, &refused).await {
                Ok(report) => {
                    if self.engine_down {
                        tracing::info!("the container engine answers again: hosting resumed");
                        self.engine_down = false;
                    }
                    for (action, reason) in &report.failed {
                        tracing::warn!(?action, %reason, "hosting: an action failed");
                    }
                }
                Err(e) => {
                    if !self.engine_down {
                        tracing::warn!(
                            "the container engine does not answer ({e}): hosting paused, the \
                             node validates on and retries"
                        );
                        self.engine_down = true;
                    }
                }
            }
        }
        if let Some(routes) = &self.routes {
            let board = self.status.snapshot();
            let local = |target: &crate::gateway::Target| {
                let serving = board.iter().find(|r| {
                    r.app == target.app
                        && r.component == target.component
                        && r.state == InstanceState::Serving
                });
                match serving {
                    None => LocalInstance::Down,
                    Some(row) => row
                        .direct
                        .get(target.port_index)
                        .map_or(LocalInstance::Published, |addr| {
                            LocalInstance::Direct(*addr)
                        }),
                }
            };
            routes.replace(snapshot.routes(
                &self.config.domain_suffix,
                self.node.as_ref(),
                self.config.publish_ip,
                local,
            ));
        }
    }
}

#[cfg(test)]
mod tests;
