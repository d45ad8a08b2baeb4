//! [`EngineRelay`]: a Unix-socket relay in front of the Docker Engine, so a test can take the
//! engine away from one node and give it back without stopping the real engine, which other
//! tests (and the containers they run) use at the same time.
//!
//! A node pointed at the relay ([`EngineRelay::endpoint`] as its `[hosting] docker`) sees what
//! it would see if its engine stopped: [`EngineRelay::stop`] cuts every open connection (event
//! streams end, calls in flight fail) and refuses new ones (the socket is gone);
//! [`EngineRelay::resume`] listens again at the same path. What an engine restart does to the
//! containers (they stop, unless Docker's live-restore is on) the test does itself, with
//! `docker kill` on the real engine while the relay is stopped.
//!
//! ```no_run
//! use flux_net::testkit::relay::EngineRelay;
//! # async fn t() -> std::io::Result<()> {
//! let dir = tempfile::tempdir()?;
//! let mut relay = EngineRelay::start(&dir.path().join("engine.sock")).await?;
//! let endpoint = relay.endpoint(); // "unix:///tmp/.../engine.sock" for the node's config
//! relay.stop(); // the node's engine is away
//! relay.resume()?; // and back
//! # Ok(()) }
//! ```

use std::io;
use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};
use tokio::task::{JoinHandle, JoinSet};

/// The engine's socket: `DOCKER_HOST` when it names a Unix socket, else Docker's default.
fn engine_socket() -> io::Result<PathBuf> {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.trim().is_empty() => host
            .trim()
            .strip_prefix("unix://")
            .map(PathBuf::from)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("the engine relay needs a unix:// DOCKER_HOST, not {host}"),
                )
            }),
        _ => Ok(PathBuf::from("/var/run/docker.sock")),
    }
}

/// A relay from a socket of the test's to the Docker Engine's; see the module docs.
#[derive(Debug)]
pub struct EngineRelay {
    path: PathBuf,
    engine: PathBuf,
    task: Option<JoinHandle<()>>,
}

impl EngineRelay {
    /// Listens at `path` (which must not exist) and relays every connection to the engine.
    ///
    /// # Errors
    /// When `path` cannot be bound, or `DOCKER_HOST` names an engine that is not on a Unix
    /// socket.
    pub async fn start(path: &Path) -> io::Result<EngineRelay> {
        let mut relay = EngineRelay {
            path: path.to_path_buf(),
            engine: engine_socket()?,
            task: None,
        };
        relay.resume()?;
        Ok(relay)
    }

    /// The endpoint a node's `[hosting] docker` names to go through the relay.
    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// Whether it relays now.
    pub fn is_running(&self) -> bool {
        self.task.is_some()
    }

    /// Cuts every relayed connection and stops listening (the socket file goes).
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            // The task owns the connections' JoinSet: aborting it drops (aborts) them all.
            task.abort();
        }
        let _ = std::fs::remove_file(&self.path);
    }

    /// Listens again at the same path (a no-op while running).
    ///
    /// # Errors
    /// When the path cannot be bound.
    pub fn resume(&mut self) -> io::Result<()> {
        if self.task.is_some() {
            return Ok(());
        }
        let listener = UnixListener::bind(&self.path)?;
        let engine = self.engine.clone();
        self.task = Some(tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((mut client, _)) = accepted else { break };
                        let engine = engine.clone();
                        connections.spawn(async move {
                            if let Ok(mut upstream) = UnixStream::connect(&engine).await {
                                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                            }
                        });
                    }
                    // Reap finished connections so the set does not grow.
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        }));
        Ok(())
    }
}

impl Drop for EngineRelay {
    fn drop(&mut self) {
        self.stop();
    }
}
