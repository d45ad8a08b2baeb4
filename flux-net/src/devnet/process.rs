//! The devnet's validators as `fluxd` processes on this host.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Addresses, DevnetError, Layout, io};
use crate::node::DataDir;

/// How long [`Layout::spawn`] waits for a `fluxd` on OS-chosen ports to say where it listens.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

impl Layout {
    /// Starts validator `i`'s `fluxd` (the binary at `fluxd`), logging to its `fluxd.log`.
    /// With OS-chosen ports, first points its bootstrap list at the validators that run, and
    /// returns once it wrote the addresses it listens on.
    pub fn spawn(&self, i: usize, fluxd: &Path) -> Result<Child, DevnetError> {
        let dir = self.node_dir(i);
        // Whatever a killed run left names ports that may be gone.
        let addresses = DataDir::new(&dir).addresses();
        match std::fs::remove_file(&addresses) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&addresses)(e)),
            _ => {}
        }
        if self.api_port == 0 {
            self.write_config(i)?;
        }
        let log_path = dir.join("fluxd.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io(&log_path))?;
        let err = log.try_clone().map_err(io(&log_path))?;
        let mut child = Command::new(fluxd)
            .arg("--data-dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(io(fluxd))?;
        if self.api_port == 0 {
            let started = Instant::now();
            while Addresses::read(&dir).is_none() {
                if let Some(status) = child.try_wait().map_err(io(fluxd))? {
                    return Err(DevnetError::Exited {
                        node: i,
                        status,
                        log: log_path,
                    });
                }
                if started.elapsed() > START_TIMEOUT {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(DevnetError::NotListening {
                        node: i,
                        timeout: START_TIMEOUT,
                    });
                }
                // Another process's file: nothing to wait on but the file itself.
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(child)
    }
}

/// Asks a child process to stop cleanly (SIGTERM).
pub fn terminate(child: &Child) -> Result<(), DevnetError> {
    let pid = child.id();
    let signal = |reason: String| DevnetError::Signal { pid, reason };
    let raw = i32::try_from(pid).map_err(|e| signal(e.to_string()))?;
    let target = rustix::process::Pid::from_raw(raw).ok_or_else(|| signal("bad pid".into()))?;
    rustix::process::kill_process(target, rustix::process::Signal::TERM)
        .map_err(|e| signal(e.to_string()))
}

/// The `fluxd` binary next to the running executable, or on the PATH.
pub fn fluxd_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("fluxd")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("fluxd"))
}
