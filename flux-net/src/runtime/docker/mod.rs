//! [`DockerRuntime`]: the [`Runtime`] on the Docker Engine API, through bollard, over the
//! engine's unix socket or plain HTTP (no TLS: a remote engine belongs behind an SSH tunnel or a
//! private network).

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use bollard::errors::Error as BollardError;
use bollard::models::{ContainerSummary, NetworkCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, EventsOptions, InspectContainerOptions,
    InspectNetworkOptions, ListContainersOptions, ListNetworksOptions, LogsOptions,
    RemoveContainerOptions, RemoveImageOptions, StopContainerOptions,
};
use bollard::{API_DEFAULT_VERSION, Docker};
use futures::{StreamExt, TryStreamExt};

use super::{
    Capacity, ContainerSpec, EngineVersion, EventStream, LABEL_APP, LABEL_NODE, LogLine, LogStream,
    MAX_LOG_TAIL, Observed, ObservedNetwork, Runtime, RuntimeError, check_spec, is_ours,
    with_default_tag,
};

mod convert;
mod endpoint;

pub use endpoint::DockerEndpoint;

/// Seconds the engine may take to answer a request (its headers; a stream then runs as long
/// as it needs).
const REQUEST_TIMEOUT_SECS: u64 = 120;
/// The [`Runtime`] on a Docker Engine. Cheap to clone (one shared connection pool).
#[derive(Clone, Debug)]
pub struct DockerRuntime {
    docker: Docker,
    endpoint: String,
    stop_timeout_secs: i32,
    init: bool,
}

impl DockerRuntime {
    /// Connects to `endpoint` (or, when `None`, to `DOCKER_HOST`, else the default socket),
    /// checks the engine answers and settles on the highest API version both speak.
    ///
    /// ```no_run
    /// use flux_net::runtime::{DockerRuntime, Runtime};
    /// # async fn f() -> Result<(), flux_net::runtime::RuntimeError> {
    /// let docker = DockerRuntime::connect(None).await?;
    /// println!("{}", docker.version().await?.version);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`RuntimeError::BadEndpoint`], [`RuntimeError::Unreachable`].
    pub async fn connect(endpoint: Option<&DockerEndpoint>) -> Result<Self, RuntimeError> {
        let endpoint = match endpoint {
            Some(e) => e.clone(),
            None => DockerEndpoint::from_env()?,
        };
        let shown = endpoint.to_string();
        let docker = match &endpoint {
            DockerEndpoint::Unix(path) => Docker::connect_with_unix(
                &path.to_string_lossy(),
                REQUEST_TIMEOUT_SECS,
                API_DEFAULT_VERSION,
            ),
            DockerEndpoint::Tcp(address) => Docker::connect_with_http(
                &format!("http://{address}"),
                REQUEST_TIMEOUT_SECS,
                API_DEFAULT_VERSION,
            ),
        }
        .map_err(|e| convert::error(&shown, "connect", e))?;
        let docker = docker.negotiate_version().await.map_err(|e| match e {
            BollardError::DockerResponseServerError { .. }
            | BollardError::APIVersionParseError {} => RuntimeError::Unreachable {
                endpoint: shown.clone(),
                reason: e.to_string(),
            },
            other => convert::error(&shown, "negotiate the API version", other),
        })?;
        Ok(Self {
            docker,
            endpoint: shown,
            stop_timeout_secs: 10,
            init: true,
        })
    }

    /// Seconds a container gets to stop on SIGTERM before it is killed (default 10).
    pub fn with_stop_timeout(mut self, seconds: u16) -> Self {
        self.stop_timeout_secs = i32::from(seconds);
        self
    }

    /// Whether containers run Docker's init as PID 1 (default true): it forwards the stop
    /// signal to the app, which as PID 1 would otherwise ignore SIGTERM unless it handles it,
    /// and reaps zombies. Engines without `docker-init` need `false`.
    pub fn with_init(mut self, init: bool) -> Self {
        self.init = init;
        self
    }

    /// The endpoint, as `unix:///path` or `tcp://host:port`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The bollard client, for what the [`Runtime`] trait does not cover.
    pub fn client(&self) -> &Docker {
        &self.docker
    }

    /// Removes a local image (a no-op when it is absent; refused by the engine while a
    /// container uses it).
    ///
    /// # Errors
    /// [`RuntimeError::Engine`] and the transport errors.
    pub async fn remove_image(&self, image: &str) -> Result<(), RuntimeError> {
        let options = RemoveImageOptions {
            force: false,
            noprune: false,
            ..Default::default()
        };
        match self.docker.remove_image(image, Some(options), None).await {
            Ok(_) => Ok(()),
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(self.err("remove image", e)),
        }
    }

    fn err(&self, operation: &'static str, e: BollardError) -> RuntimeError {
        convert::error(&self.endpoint, operation, e)
    }

    /// The project's label filter, with the node's when given.
    fn label_filter(node: Option<&str>) -> HashMap<String, Vec<String>> {
        let mut labels = vec![LABEL_APP.to_string()];
        if let Some(node) = node {
            labels.push(format!("{LABEL_NODE}={node}"));
        }
        HashMap::from([("label".to_string(), labels)])
    }

    /// The container `name` when it exists and carries the project's label.
    async fn ours(&self, name: &str) -> Result<Option<Observed>, RuntimeError> {
        match self.inspect(name).await? {
            Some(seen) if is_ours(&seen.labels) => Ok(Some(seen)),
            Some(_) => Err(RuntimeError::NotOurs {
                kind: "container",
                name: name.to_string(),
            }),
            None => Ok(None),
        }
    }

    async fn start_ours(&self, name: &str) -> Result<(), RuntimeError> {
        match self.docker.start_container(name, None).await {
            Ok(()) => Ok(()),
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Err(RuntimeError::NotFound {
                name: name.to_string(),
            }),
            Err(BollardError::DockerResponseServerError {
                status_code,
                message,
            }) => match convert::taken_port(&message) {
                Some(port) => Err(RuntimeError::PortTaken {
                    container: name.to_string(),
                    port,
                    reason: message,
                }),
                None => Err(RuntimeError::Engine {
                    operation: "start container",
                    status: status_code,
                    message,
                }),
            },
            Err(e) => Err(self.err("start container", e)),
        }
    }
}

#[async_trait]
impl Runtime for DockerRuntime {
    async fn ping(&self) -> Result<(), RuntimeError> {
        self.docker
            .ping()
            .await
            .map(drop)
            .map_err(|e| match self.err("ping", e) {
                RuntimeError::Engine { message, .. }
                | RuntimeError::Transport {
                    reason: message, ..
                } => RuntimeError::Unreachable {
                    endpoint: self.endpoint.clone(),
                    reason: message,
                },
                other => other,
            })
    }

    async fn version(&self) -> Result<EngineVersion, RuntimeError> {
        let v = self
            .docker
            .version()
            .await
            .map_err(|e| self.err("version", e))?;
        Ok(EngineVersion {
            version: v.version.unwrap_or_default(),
            api_version: v.api_version.unwrap_or_default(),
            negotiated_api: self.docker.client_version().to_string(),
        })
    }

    async fn capacity(&self) -> Result<Capacity, RuntimeError> {
        let info = self.docker.info().await.map_err(|e| self.err("info", e))?;
        let cores = info.ncpu.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        let memory = info
            .mem_total
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        Ok(Capacity {
            nano_cpus: cores.saturating_mul(1_000_000_000),
            memory_bytes: memory,
        })
    }

    async fn list(&self, node: Option<&str>) -> Result<Vec<Observed>, RuntimeError> {
        let options = ListContainersOptions {
            all: true,
            filters: Some(Self::label_filter(node)),
            ..Default::default()
        };
        let found = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|e| self.err("list containers", e))?;
        // The summary lacks the exit code and start time: inspect each (one removed in between
        // is skipped).
        let mut seen = Vec::with_capacity(found.len());
        for ContainerSummary { id, .. } in found {
            let Some(id) = id else { continue };
            if let Some(observed) = self.inspect(&id).await? {
                seen.push(observed);
            }
        }
        seen.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(seen)
    }

    async fn list_networks(
        &self,
        node: Option<&str>,
    ) -> Result<Vec<ObservedNetwork>, RuntimeError> {
        let options = ListNetworksOptions {
            filters: Some(Self::label_filter(node)),
        };
        let found = self
            .docker
            .list_networks(Some(options))
            .await
            .map_err(|e| self.err("list networks", e))?;
        let mut seen: Vec<ObservedNetwork> = found
            .into_iter()
            .map(|n| ObservedNetwork {
                name: n.name.unwrap_or_default(),
                labels: convert::sorted(n.labels.unwrap_or_default()),
            })
            .collect();
        seen.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(seen)
    }

    async fn ensure_network(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<(), RuntimeError> {
        if !is_ours(labels) {
            let reason = "the network's labels lack io.flux.app".to_string();
            return Err(RuntimeError::InvalidSpec {
                name: name.to_string(),
                reason,
            });
        }
        match self
            .docker
            .inspect_network(name, None::<InspectNetworkOptions>)
            .await
        {
            Ok(existing) => {
                return if is_ours(&convert::sorted(existing.labels.unwrap_or_default())) {
                    Ok(())
                } else {
                    Err(RuntimeError::NotOurs {
                        kind: "network",
                        name: name.to_string(),
                    })
                };
            }
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(e) => return Err(self.err("inspect network", e)),
        }
        let request = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".to_string()),
            labels: Some(labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            ..Default::default()
        };
        match self.docker.create_network(request).await {
            Ok(_) => Ok(()),
            // Created meanwhile by another pass: it is there, as wanted.
            Err(BollardError::DockerResponseServerError {
                status_code: 409, ..
            }) => Ok(()),
            Err(e) => Err(self.err("create network", e)),
        }
    }

    async fn remove_network(&self, name: &str) -> Result<(), RuntimeError> {
        match self
            .docker
            .inspect_network(name, None::<InspectNetworkOptions>)
            .await
        {
            Ok(existing) => {
                if !is_ours(&convert::sorted(existing.labels.unwrap_or_default())) {
                    return Err(RuntimeError::NotOurs {
                        kind: "network",
                        name: name.to_string(),
                    });
                }
            }
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(()),
            Err(e) => return Err(self.err("inspect network", e)),
        }
        match self.docker.remove_network(name).await {
            Ok(())
            | Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(self.err("remove network", e)),
        }
    }

    async fn image_present(&self, image: &str) -> Result<bool, RuntimeError> {
        match self.docker.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(self.err("inspect image", e)),
        }
    }

    async fn pull(&self, image: &str) -> Result<(), RuntimeError> {
        let options = CreateImageOptions {
            from_image: Some(with_default_tag(image)),
            ..Default::default()
        };
        let mut progress = self.docker.create_image(Some(options), None, None);
        while let Some(step) = progress.next().await {
            let failed = |reason: String| RuntimeError::PullFailed {
                image: image.to_string(),
                reason,
            };
            match step {
                Ok(_) => {}
                Err(BollardError::DockerStreamError { error }) => return Err(failed(error)),
                Err(BollardError::DockerResponseServerError { message, .. }) => {
                    return Err(failed(message));
                }
                Err(e) => return Err(self.err("pull image", e)),
            }
        }
        Ok(())
    }

    async fn create(&self, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        check_spec(spec)?;
        if let Some(mount) = &spec.mount {
            std::fs::create_dir_all(&mount.host_path).map_err(|e| RuntimeError::DataFolder {
                path: mount.host_path.display().to_string(),
                reason: e.to_string(),
            })?;
        }
        let options = CreateContainerOptions {
            name: Some(spec.name.clone()),
            ..Default::default()
        };
        let body = convert::create_body(spec, self.init);
        match self.docker.create_container(Some(options), body).await {
            Ok(_) => {}
            Err(BollardError::DockerResponseServerError {
                status_code: 409, ..
            }) => {
                return Err(RuntimeError::NameInUse {
                    name: spec.name.clone(),
                });
            }
            Err(BollardError::DockerResponseServerError {
                status_code: 404,
                message,
            }) => {
                return Err(if message.contains("network") {
                    RuntimeError::NetworkMissing {
                        network: spec.network.clone(),
                    }
                } else {
                    RuntimeError::ImageMissing {
                        image: spec.image.clone(),
                    }
                });
            }
            Err(e) => return Err(self.err("create container", e)),
        }
        self.start_ours(&spec.name).await
    }

    async fn start(&self, name: &str) -> Result<(), RuntimeError> {
        match self.ours(name).await? {
            Some(_) => self.start_ours(name).await,
            None => Err(RuntimeError::NotFound {
                name: name.to_string(),
            }),
        }
    }

    async fn remove(&self, name: &str) -> Result<(), RuntimeError> {
        if self.ours(name).await?.is_none() {
            return Ok(());
        }
        let stop = StopContainerOptions {
            t: Some(self.stop_timeout_secs),
            signal: None,
        };
        match self.docker.stop_container(name, Some(stop)).await {
            // 304: already stopped; 404: removed meanwhile.
            Ok(())
            | Err(BollardError::DockerResponseServerError {
                status_code: 304 | 404,
                ..
            }) => {}
            Err(e) => return Err(self.err("stop container", e)),
        }
        let remove = RemoveContainerOptions {
            force: true,
            v: false,
            link: false,
        };
        match self.docker.remove_container(name, Some(remove)).await {
            Ok(())
            | Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            // 409: the engine is already removing it.
            Err(BollardError::DockerResponseServerError {
                status_code: 409,
                message,
            }) if message.contains("already in progress") => Ok(()),
            Err(e) => Err(self.err("remove container", e)),
        }
    }

    async fn inspect(&self, name: &str) -> Result<Option<Observed>, RuntimeError> {
        match self
            .docker
            .inspect_container(name, None::<InspectContainerOptions>)
            .await
        {
            Ok(reply) => Ok(Some(convert::observed(reply))),
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(self.err("inspect container", e)),
        }
    }

    async fn logs(&self, name: &str, tail: u32) -> Result<Vec<LogLine>, RuntimeError> {
        if self.ours(name).await?.is_none() {
            return Err(RuntimeError::NotFound {
                name: name.to_string(),
            });
        }
        let options = LogsOptions {
            stdout: true,
            stderr: true,
            tail: tail.min(MAX_LOG_TAIL).to_string(),
            ..Default::default()
        };
        let chunks: Vec<_> = self
            .docker
            .logs(name, Some(options))
            .try_collect()
            .await
            .map_err(|e| self.err("container logs", e))?;
        Ok(chunks
            .into_iter()
            .map(|chunk| {
                use bollard::container::LogOutput;
                let (stream, bytes) = match chunk {
                    LogOutput::StdErr { message } => (LogStream::Stderr, message),
                    LogOutput::StdOut { message }
                    | LogOutput::Console { message }
                    | LogOutput::StdIn { message } => (LogStream::Stdout, message),
                };
                LogLine {
                    stream,
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                }
            })
            .collect())
    }

    async fn events(&self) -> Result<EventStream, RuntimeError> {
        // The request is only sent when the stream is first polled: ask for the events since
        // the engine's "now" so none between this call and that poll is missed. Asking also
        // fails now, not in the stream, when the engine is away.
        let info = self.docker.info().await.map_err(|e| self.err("info", e))?;
        let since = info.system_time.as_deref().and_then(convert::rfc3339_ms);
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            (
                "event".to_string(),
                vec!["start".to_string(), "die".to_string()],
            ),
            ("label".to_string(), vec![LABEL_APP.to_string()]),
        ]);
        let options = EventsOptions {
            since: since.map(|ms| format!("{}.{:03}", ms / 1_000, ms % 1_000)),
            filters: Some(filters),
            ..Default::default()
        };
        let endpoint = self.endpoint.clone();
        let stream = self.docker.events(Some(options)).filter_map(move |item| {
            let mapped = match item {
                Ok(message) => convert::event(message).map(Ok),
                Err(e) => Some(Err(convert::error(&endpoint, "events", e))),
            };
            std::future::ready(mapped)
        });
        Ok(stream.boxed())
    }
}
