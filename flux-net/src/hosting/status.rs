//! What this node runs, as the API shows it: one [`InstanceStatus`] per container of an app
//! instance placed here, kept by the reconcile loop in a [`StatusBoard`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Where a container of an instance stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceState {
    /// Its image is being pulled.
    Pulling,
    /// Created or started; its published ports do not answer yet.
    Starting,
    /// Running, and every published port answers.
    Serving,
    /// It exited and waits for its next restart (exponential back-off).
    Crashing,
    /// It cannot run here (no image, port taken, not enough resources, a refused spec); the
    /// error says why. Tried again on the next block.
    Failed,
    /// Being stopped and removed.
    Stopping,
}

impl InstanceState {
    /// How bad it is, for folding the components of an instance into one state (the worst).
    fn badness(self) -> u8 {
        match self {
            InstanceState::Serving => 0,
            InstanceState::Starting => 1,
            InstanceState::Pulling => 2,
            InstanceState::Stopping => 3,
            InstanceState::Crashing => 4,
            InstanceState::Failed => 5,
        }
    }

    /// The worse of two states.
    pub fn worst(self, other: InstanceState) -> InstanceState {
        if other.badness() > self.badness() {
            other
        } else {
            self
        }
    }
}

/// One container of an app instance on this node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceStatus {
    /// The app.
    pub app: String,
    /// The component.
    pub component: String,
    /// The instance index.
    pub instance: u32,
    /// The container's name.
    pub container: String,
    /// Where it stands.
    pub state: InstanceState,
    /// Since when (Unix ms, this node's clock; informational).
    pub since_ms: u64,
    /// Restarts after a crash since the container was created.
    pub restarts: u32,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// Whether every published port answered the last probe (`true` without ports while
    /// running).
    pub ports_answer: bool,
    /// The published addresses (`host:port`).
    pub published: Vec<String>,
    /// Where this node's gateway reaches each published port without the port proxy: the
    /// container's address on the app's network with the container port, index for index
    /// with `published`, when each answered there at the last probe (empty: the gateway goes
    /// through the published ports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub direct: Vec<SocketAddr>,
}

/// The status of every container this node runs, by container name; shared between the
/// reconcile loop (writer) and the API (reader).
#[derive(Clone, Debug, Default)]
pub struct StatusBoard {
    inner: Arc<RwLock<BTreeMap<String, InstanceStatus>>>,
}

/// Unix milliseconds now (informational timestamps only, never consensus).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl StatusBoard {
    /// An empty board.
    pub fn new() -> StatusBoard {
        StatusBoard::default()
    }

    /// Every row, sorted by container name.
    pub fn snapshot(&self) -> Vec<InstanceStatus> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// One container's row.
    pub fn get(&self, container: &str) -> Option<InstanceStatus> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(container)
            .cloned()
    }

    /// Sets a container's state (and `since`, when the state changes) and error; creates the
    /// row from `base` when missing.
    pub(crate) fn set(
        &self,
        base: &InstanceStatus,
        state: InstanceState,
        error: Option<String>,
    ) -> InstanceStatus {
        let mut map = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let row = map
            .entry(base.container.clone())
            .or_insert_with(|| base.clone());
        if row.state != state {
            row.state = state;
            row.since_ms = now_ms();
        }
        if error.is_some() || state == InstanceState::Serving {
            row.last_error = error;
        }
        row.published.clone_from(&base.published);
        row.clone()
    }

    /// Applies `f` to a container's row, if there is one.
    pub(crate) fn update(&self, container: &str, f: impl FnOnce(&mut InstanceStatus)) {
        let mut map = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(row) = map.get_mut(container) {
            f(row);
        }
    }

    /// Keeps only the rows whose container `keep` accepts.
    pub(crate) fn retain(&self, mut keep: impl FnMut(&str) -> bool) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|name, _| keep(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> InstanceStatus {
        InstanceStatus {
            app: "web".into(),
            component: "front".into(),
            instance: 0,
            container: name.into(),
            state: InstanceState::Pulling,
            since_ms: 0,
            restarts: 0,
            last_error: None,
            ports_answer: false,
            published: vec![],
            direct: vec![],
        }
    }

    #[test]
    fn the_worst_state_wins_and_states_serialise_in_lowercase() {
        use InstanceState::*;
        assert_eq!(Serving.worst(Crashing), Crashing);
        assert_eq!(Failed.worst(Starting), Failed);
        assert_eq!(Serving.worst(Serving), Serving);
        assert_eq!(serde_json::to_string(&Crashing).unwrap(), "\"crashing\"");
    }

    #[test]
    fn set_keeps_since_while_the_state_holds_and_clears_the_error_once_serving() {
        let board = StatusBoard::new();
        let a = board.set(&row("a"), InstanceState::Failed, Some("no image".into()));
        assert_eq!(a.last_error.as_deref(), Some("no image"));
        let again = board.set(&row("a"), InstanceState::Failed, None);
        assert_eq!(again.since_ms, a.since_ms);
        assert_eq!(again.last_error.as_deref(), Some("no image"));
        let up = board.set(&row("a"), InstanceState::Serving, None);
        assert!(up.last_error.is_none());
        board.update("a", |r| r.restarts += 1);
        assert_eq!(board.get("a").unwrap().restarts, 1);
        board.retain(|n| n != "a");
        assert!(board.snapshot().is_empty());
    }
}
