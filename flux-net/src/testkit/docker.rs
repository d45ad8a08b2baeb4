//! Tests against the real Docker Engine: [`docker_or_skip`] connects or skips, and
//! [`DockerCleanup`] removes whatever a test started, even when it fails.
//!
//! Gating: without a reachable engine a Docker test prints a notice and passes as skipped,
//! except under `FLUX_REQUIRE_DOCKER=1` ([`REQUIRE_DOCKER_ENV`], which CI sets), where it panics
//! with the reason: CI fails rather than silently testing nothing.
//!
//! Cleanup: every container and network a test creates carries the label [`LABEL_TEST`] with
//! the value of its [`DockerCleanup`] (use [`DockerCleanup::labels`] for them), and every image it
//! builds is registered with [`DockerCleanup::image`]. When the guard drops (the test ended,
//! passed or panicked), it force-removes the containers, then the networks with that label, then
//! the images, on a thread of its own (drop cannot await). Keep the guard in a local binding
//! that lives to the end of the test (`let cleanup = ...`, not `let _ = ...`).
//!
//! ```no_run
//! use flux_net::testkit::docker::{DockerCleanup, docker_or_skip};
//!
//! # async fn t() {
//! let Some(docker) = docker_or_skip("my_test").await else { return };
//! let cleanup = DockerCleanup::new("my_test");
//! let labels = cleanup.labels("myapp"); // io.flux.app=myapp, io.flux.test=my_test-<pid>-<n>
//! // ... create networks and containers with `labels` ...
//! # }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use bollard::query_parameters::{
    ListContainersOptions, ListNetworksOptions, RemoveContainerOptions, RemoveImageOptions,
};

use crate::runtime::{DockerRuntime, LABEL_APP, Runtime, RuntimeError};

/// Set to `1` to make a missing Docker Engine fail the Docker tests instead of skipping them.
pub const REQUIRE_DOCKER_ENV: &str = "FLUX_REQUIRE_DOCKER";

/// Label marking what one test created, so its guard removes exactly that.
pub const LABEL_TEST: &str = "io.flux.test";

/// Whether `FLUX_REQUIRE_DOCKER=1`.
pub fn docker_required() -> bool {
    std::env::var(REQUIRE_DOCKER_ENV).is_ok_and(|v| v.trim() == "1")
}

/// A connected [`DockerRuntime`] (endpoint from `DOCKER_HOST`, else the default socket), or
/// `None` after printing why `test` is skipped.
///
/// # Panics
/// When no engine answers and `FLUX_REQUIRE_DOCKER=1`.
#[allow(clippy::panic)] // the contract: under FLUX_REQUIRE_DOCKER=1 a missing engine fails the test
pub async fn docker_or_skip(test: &str) -> Option<DockerRuntime> {
    let connected = match DockerRuntime::connect(None).await {
        Ok(docker) => docker.ping().await.map(|()| docker),
        Err(e) => Err(e),
    };
    match connected {
        Ok(docker) => Some(docker),
        Err(e) if docker_required() => {
            panic!("{REQUIRE_DOCKER_ENV}=1 but no Docker Engine is reachable for {test}: {e}")
        }
        Err(e) => {
            eprintln!(
                "SKIPPED {test}: no Docker Engine reachable ({e}); set {REQUIRE_DOCKER_ENV}=1 to \
                 make this a failure"
            );
            None
        }
    }
}

/// Removes, when dropped, the containers and networks labelled [`LABEL_TEST`]`=`its value and
/// the images registered with it (see the module doc).
#[derive(Debug)]
pub struct DockerCleanup {
    targets: Targets,
}

/// What a [`DockerCleanup`] removes.
#[derive(Clone, Debug)]
struct Targets {
    value: String,
    images: Vec<String>,
    /// Nodes (`io.flux.node` values) whose containers and networks go too.
    nodes: Vec<String>,
}

impl DockerCleanup {
    /// A guard for `test`, with a label value unique to this process and guard.
    pub fn new(test: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let value = format!("{test}-{}-{n}", std::process::id());
        Self {
            targets: Targets {
                value,
                images: Vec::new(),
                nodes: Vec::new(),
            },
        }
    }

    /// The value of [`LABEL_TEST`] on what this test creates.
    pub fn value(&self) -> &str {
        &self.targets.value
    }

    /// `io.flux.app=app` and this guard's [`LABEL_TEST`]: the labels of the test's containers
    /// and networks.
    pub fn labels(&self, app: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (LABEL_APP.to_string(), app.to_string()),
            (LABEL_TEST.to_string(), self.targets.value.clone()),
        ])
    }

    /// Only this guard's [`LABEL_TEST`] (for something that must not look like the project's).
    pub fn foreign_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(LABEL_TEST.to_string(), self.targets.value.clone())])
    }

    /// Registers an image the test builds, to remove it at the end.
    pub fn image(&mut self, tag: &str) {
        self.targets.images.push(tag.to_string());
    }

    /// Registers a node whose hosting loop creates containers in the test: its containers and
    /// networks (labelled `io.flux.node` = `node_label`) are removed too.
    pub fn node(&mut self, node_label: &str) {
        self.targets.nodes.push(node_label.to_string());
    }

    /// Removes everything now (the drop does it again, finding nothing).
    ///
    /// # Errors
    /// The first removal the engine refused.
    pub async fn clean(&self, docker: &DockerRuntime) -> Result<(), RuntimeError> {
        self.targets.clean(docker).await
    }
}

impl Targets {
    async fn clean(&self, docker: &DockerRuntime) -> Result<(), RuntimeError> {
        let selectors = std::iter::once(format!("{LABEL_TEST}={}", self.value)).chain(
            self.nodes
                .iter()
                .map(|n| format!("{}={n}", flux_nodes::hosting::LABEL_NODE)),
        );
        for selector in selectors {
            self.clean_labelled(docker, selector).await?;
        }
        for image in &self.images {
            let options = RemoveImageOptions {
                force: true,
                ..Default::default()
            };
            match docker
                .client()
                .remove_image(image, Some(options), None)
                .await
            {
                Ok(_)
                | Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(e) => {
                    return Err(RuntimeError::Transport {
                        operation: "remove image",
                        reason: e.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    async fn clean_labelled(
        &self,
        docker: &DockerRuntime,
        selector: String,
    ) -> Result<(), RuntimeError> {
        let client = docker.client();
        let filters = HashMap::from([("label".to_string(), vec![selector])]);
        let err = |operation: &'static str| {
            move |e: bollard::errors::Error| RuntimeError::Transport {
                operation,
                reason: e.to_string(),
            }
        };
        let list = ListContainersOptions {
            all: true,
            filters: Some(filters.clone()),
            ..Default::default()
        };
        for container in client
            .list_containers(Some(list))
            .await
            .map_err(err("list"))?
        {
            let Some(id) = container.id else { continue };
            let force = RemoveContainerOptions {
                force: true,
                v: true,
                link: false,
            };
            client
                .remove_container(&id, Some(force))
                .await
                .map_err(err("remove container"))?;
        }
        let list = ListNetworksOptions {
            filters: Some(filters),
        };
        for network in client
            .list_networks(Some(list))
            .await
            .map_err(err("list networks"))?
        {
            let Some(id) = network.id else { continue };
            client
                .remove_network(&id)
                .await
                .map_err(err("remove network"))?;
        }
        Ok(())
    }
}

impl Drop for DockerCleanup {
    fn drop(&mut self) {
        let targets = self.targets.clone();
        // Its own thread and runtime: drop may run inside the test's runtime, which cannot be
        // blocked on from within.
        let done = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let outcome = match runtime {
                Ok(runtime) => runtime.block_on(async {
                    let docker = DockerRuntime::connect(None).await?;
                    targets.clean(&docker).await
                }),
                Err(e) => Err(RuntimeError::Transport {
                    operation: "cleanup",
                    reason: e.to_string(),
                }),
            };
            if let Err(e) = outcome {
                eprintln!("docker cleanup of {LABEL_TEST}={}: {e}", targets.value);
            }
        })
        .join();
        if done.is_err() {
            eprintln!(
                "docker cleanup of {LABEL_TEST}={} panicked",
                self.targets.value
            );
        }
    }
}
