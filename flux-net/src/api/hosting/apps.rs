//! The client side of hosting: typed calls of `/v1/host/*` ([`Client::host_instances`],
//! [`Client::host_logs`]) and what `flux app status|logs|deploy --wait|update|cancel` do across
//! the hosting nodes: [`app_status`] (one row per instance, asking each hosting node),
//! [`app_logs`], [`wait_serving`], [`wait_removed`] and [`quote_update`].
//!
//! A hosting node's API is found from the chain: the registered endpoint (`host:port`) of the
//! node an instance is placed on, read as `http://host:port` (FluxOS's convention: the endpoint
//! is the node's API), unless [`AppStatusOptions::node_apis`] names it; the node the client
//! talks to is always reached at the client's own URL.
//!
//! ```no_run
//! use flux_net::api::client::Client;
//! use flux_net::api::hosting::apps::{AppStatusOptions, app_status};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new("http://127.0.0.1:18080")?;
//! let status = app_status(&client, "web", &AppStatusOptions::default()).await?;
//! for row in &status.rows {
//!     println!("{} on {:?}: {:?}", row.instance, row.node, row.state);
//! }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use flux_core::crypto::SecretKey;
use flux_nodes::NodeId;
use flux_nodes::app::{AppSpec, UpdatePrice, update_price};
use hyper::Method;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{HostInstancesView, InstanceStatus, LogsQuery, LogsRequest, LogsView};
use crate::api::client::{Client, ClientError};
use crate::api::views::AppView;
use crate::hosting::InstanceState;

/// How often the waits ask.
pub const POLL: Duration = Duration::from_millis(500);

impl Client {
    /// `GET /v1/host/instances`: the app containers this node runs.
    pub async fn host_instances(&self) -> Result<HostInstancesView, ClientError> {
        self.get("/v1/host/instances").await
    }

    /// `POST /v1/host/logs`: `query`'s container logs, signed now by `key` (the app's owner)
    /// for the node's chain (read from the node).
    pub async fn host_logs(
        &self,
        key: &SecretKey,
        query: &LogsQuery,
    ) -> Result<LogsView, ClientError> {
        let chain_id = self.status().await?.chain_id;
        let request = LogsRequest::sign(key, chain_id, query, crate::hosting::status::now_ms())?;
        self.host_logs_signed(&request).await
    }

    /// `POST /v1/host/logs` with a request already signed.
    pub async fn host_logs_signed(&self, request: &LogsRequest) -> Result<LogsView, ClientError> {
        let body = serde_json::to_vec(request).map_err(|source| ClientError::Decode {
            url: format!("{}/v1/host/logs", self.base_url()),
            source,
        })?;
        self.call(Method::POST, "/v1/host/logs", body).await
    }
}

/// Why an app-wide query or wait failed.
#[derive(Debug, Error)]
pub enum AppStatusError {
    /// The chain has no such app.
    #[error("no app named {0:?}")]
    UnknownApp(String),
    /// The node the client talks to failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// No hosting node of the app answered the logs request (each one's reason).
    #[error("no hosting node of {app} gave logs: {reasons}")]
    NoLogs {
        /// The app.
        app: String,
        /// `node: reason`, `; `-separated.
        reasons: String,
    },
    /// The wait ended before its condition held; the last status seen.
    #[error("{app}: not {what} within {after:?}")]
    Timeout {
        /// The app.
        app: String,
        /// What was waited for.
        what: &'static str,
        /// The time allowed.
        after: Duration,
        /// The last status seen.
        last: Option<Box<AppStatusView>>,
    },
}

/// How [`app_status`] reaches the hosting nodes.
#[derive(Clone, Debug)]
pub struct AppStatusOptions {
    /// The API URL of nodes whose registered endpoint is not their API (tests, the devnet).
    pub node_apis: BTreeMap<NodeId, String>,
    /// How long to wait for each hosting node.
    pub timeout: Duration,
}

impl Default for AppStatusOptions {
    fn default() -> AppStatusOptions {
        AppStatusOptions {
            node_apis: BTreeMap::new(),
            timeout: Duration::from_secs(3),
        }
    }
}

/// Where an instance stands, as seen from its hosting node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowState {
    /// Its image is being pulled.
    Pulling,
    /// Started; its ports do not answer yet.
    Starting,
    /// Every container runs and its ports answer.
    Serving,
    /// A container crashed and waits for its restart.
    Crashing,
    /// It cannot run there (the error says why).
    Failed,
    /// Being stopped.
    Stopping,
    /// The node answers but runs no container of it (yet).
    Absent,
    /// The node hosts nothing (the error says why).
    Off,
    /// The node's API did not answer.
    Unreachable,
    /// No node is placed for it.
    Unplaced,
}

impl From<InstanceState> for RowState {
    fn from(s: InstanceState) -> RowState {
        match s {
            InstanceState::Pulling => RowState::Pulling,
            InstanceState::Starting => RowState::Starting,
            InstanceState::Serving => RowState::Serving,
            InstanceState::Crashing => RowState::Crashing,
            InstanceState::Failed => RowState::Failed,
            InstanceState::Stopping => RowState::Stopping,
        }
    }
}

/// One instance of an app: where it is placed and how it runs there (its components folded
/// into the worst state).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRow {
    /// The instance index.
    pub instance: u32,
    /// The node it is placed on.
    pub node: Option<NodeId>,
    /// The node's API asked.
    pub api: Option<String>,
    /// Where it stands.
    pub state: RowState,
    /// Since when (Unix ms, the hosting node's clock).
    pub since_ms: Option<u64>,
    /// Restarts after crashes, summed over its containers.
    pub restarts: u32,
    /// The last error (or why the node did not tell).
    pub error: Option<String>,
    /// Its published addresses.
    pub published: Vec<String>,
}

/// An app's registration and one row per instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppStatusView {
    /// The registration, as `GET /v1/apps/{name}` gives it.
    #[serde(flatten)]
    pub app: AppView,
    /// One row per instance, by index.
    pub rows: Vec<InstanceRow>,
    /// The gateway domain suffix a hosting node reported, if any.
    pub domain_suffix: Option<String>,
}

impl AppStatusView {
    /// Whether every instance is placed and serving.
    pub fn all_serving(&self) -> bool {
        self.rows.len() == self.app.instances as usize
            && self.rows.iter().all(|r| r.state == RowState::Serving)
    }

    /// Whether no instance can come to serve without a change on chain or in the network:
    /// every row is unplaced, or on a node that hosts nothing or does not answer (a network
    /// that hosts nothing).
    pub fn hopeless(&self) -> bool {
        !self.rows.is_empty()
            && self.rows.iter().all(|r| {
                matches!(
                    r.state,
                    RowState::Off | RowState::Unreachable | RowState::Unplaced
                )
            })
    }
}

/// The gateway URLs of an app: `http://<app>.<suffix>/`.
pub fn app_url(app: &str, suffix: &str) -> String {
    format!("http://{app}.{}/", suffix.trim_matches('.'))
}

/// The API URL of each hosting node of `app`, by node.
async fn hosting_apis(
    client: &Client,
    app: &AppView,
    options: &AppStatusOptions,
) -> Result<BTreeMap<NodeId, Option<String>>, ClientError> {
    let own = client.status().await?.node_id;
    let mut apis = BTreeMap::new();
    for p in &app.placement {
        let api = if let Some(url) = options.node_apis.get(&p.node) {
            Some(url.clone())
        } else if own == Some(p.node) {
            Some(client.base_url().to_owned())
        } else {
            p.endpoint.as_ref().map(|e| format!("http://{e}"))
        };
        apis.insert(p.node, api);
    }
    Ok(apis)
}

/// What each hosting node said: its rows, or why there are none.
type Answers = BTreeMap<NodeId, Result<HostInstancesView, String>>;

async fn ask_nodes(apis: &BTreeMap<NodeId, Option<String>>, timeout: Duration) -> Answers {
    let asks = apis.iter().map(|(node, api)| async move {
        let answer = match api {
            None => Err("the node has no registered endpoint".to_owned()),
            Some(url) => match Client::new(url) {
                Ok(c) => c
                    .with_timeout(timeout)
                    .host_instances()
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            },
        };
        (*node, answer)
    });
    futures::future::join_all(asks).await.into_iter().collect()
}

/// Folds the containers of one instance into its row.
fn fold(
    instance: u32,
    node: NodeId,
    api: Option<String>,
    answer: &Result<HostInstancesView, String>,
    app: &str,
) -> InstanceRow {
    let mut row = InstanceRow {
        instance,
        node: Some(node),
        api,
        state: RowState::Absent,
        since_ms: None,
        restarts: 0,
        error: None,
        published: Vec::new(),
    };
    let view = match answer {
        Err(why) => {
            row.state = RowState::Unreachable;
            row.error = Some(why.clone());
            return row;
        }
        Ok(v) => v,
    };
    let mine: Vec<&InstanceStatus> = view
        .instances
        .iter()
        .filter(|r| r.app == app && r.instance == instance)
        .collect();
    let Some(worst) = mine.iter().copied().reduce(|a, b| {
        if a.state.worst(b.state) == b.state && a.state != b.state {
            b
        } else {
            a
        }
    }) else {
        if view.hosting == super::HostingMode::Off {
            row.state = RowState::Off;
            row.error.clone_from(&view.reason);
        }
        return row;
    };
    row.state = worst.state.into();
    row.since_ms = Some(worst.since_ms);
    row.error.clone_from(&worst.last_error);
    row.restarts = mine.iter().map(|r| r.restarts).fold(0, u32::saturating_add);
    row.published = mine
        .iter()
        .flat_map(|r| r.published.iter().cloned())
        .collect();
    row
}

/// The app's registration and how each of its instances runs, asking every hosting node's API
/// once (concurrently, each within `options.timeout`; a node that does not answer gives
/// [`RowState::Unreachable`] rows).
///
/// # Errors
/// [`AppStatusError::UnknownApp`]; [`AppStatusError::Client`] when `client`'s node fails.
pub async fn app_status(
    client: &Client,
    name: &str,
    options: &AppStatusOptions,
) -> Result<AppStatusView, AppStatusError> {
    let app = client
        .app(name)
        .await?
        .ok_or_else(|| AppStatusError::UnknownApp(name.to_owned()))?;
    let apis = hosting_apis(client, &app, options).await?;
    let answers = ask_nodes(&apis, options.timeout).await;
    let mut rows: Vec<InstanceRow> = app
        .placement
        .iter()
        .map(|p| {
            let api = apis.get(&p.node).cloned().flatten();
            let answer = answers
                .get(&p.node)
                .cloned()
                .unwrap_or_else(|| Err("not asked".to_owned()));
            fold(p.instance, p.node, api, &answer, &app.name)
        })
        .collect();
    for instance in 0..app.instances {
        if !rows.iter().any(|r| r.instance == instance) {
            rows.push(InstanceRow {
                instance,
                node: None,
                api: None,
                state: RowState::Unplaced,
                since_ms: None,
                restarts: 0,
                error: None,
                published: Vec::new(),
            });
        }
    }
    rows.sort_by_key(|r| r.instance);
    let domain_suffix = answers
        .values()
        .find_map(|a| a.as_ref().ok().and_then(|v| v.domain_suffix.clone()));
    Ok(AppStatusView {
        app,
        rows,
        domain_suffix,
    })
}

/// The logs of one instance of `query.app`, from the node hosting it (the lowest placed
/// instance unless `query.instance` says), signed by the owner's `key`.
///
/// # Errors
/// [`AppStatusError::UnknownApp`]; [`AppStatusError::NoLogs`] with each node's reason.
pub async fn app_logs(
    client: &Client,
    key: &SecretKey,
    query: &LogsQuery,
    options: &AppStatusOptions,
) -> Result<LogsView, AppStatusError> {
    let app = client
        .app(&query.app)
        .await?
        .ok_or_else(|| AppStatusError::UnknownApp(query.app.clone()))?;
    let apis = hosting_apis(client, &app, options).await?;
    let mut reasons = Vec::new();
    for p in &app.placement {
        if query.instance.is_some_and(|i| i != p.instance) {
            continue;
        }
        let Some(Some(url)) = apis.get(&p.node) else {
            reasons.push(format!("{}: no registered endpoint", p.node));
            continue;
        };
        let mut one = query.clone();
        one.instance = Some(p.instance);
        let node = Client::new(url)?.with_timeout(options.timeout);
        match node.host_logs(key, &one).await {
            Ok(view) => return Ok(view),
            Err(e @ ClientError::Status { status: 403, .. }) => return Err(e.into()),
            Err(e) => reasons.push(format!("{} ({url}): {e}", p.node)),
        }
    }
    if reasons.is_empty() {
        reasons.push("no placed instance matches".to_owned());
    }
    Err(AppStatusError::NoLogs {
        app: query.app.clone(),
        reasons: reasons.join("; "),
    })
}

/// Waits until every instance of `name` is serving; with `baseline` (the status before an
/// update), an instance counts only once it serves from a container newer than the one in
/// `baseline` (an update replaces every container). Ends early, with the status, when the
/// app's hosting nodes are all off or unreachable ([`AppStatusView::hopeless`]).
///
/// # Errors
/// [`AppStatusError::Timeout`] with the last status; [`AppStatusError::Client`].
pub async fn wait_serving(
    client: &Client,
    name: &str,
    options: &AppStatusOptions,
    baseline: Option<&AppStatusView>,
    timeout: Duration,
) -> Result<AppStatusView, AppStatusError> {
    let deadline = Instant::now() + timeout;
    let mut last = None;
    loop {
        match app_status(client, name, options).await {
            Ok(status) => {
                let renewed = |r: &InstanceRow| {
                    baseline.is_none_or(|b| {
                        !b.rows.iter().any(|old| {
                            old.instance == r.instance
                                && old.node == r.node
                                && old.since_ms == r.since_ms
                        })
                    })
                };
                if (status.all_serving() && status.rows.iter().all(renewed)) || status.hopeless() {
                    return Ok(status);
                }
                last = Some(Box::new(status));
            }
            Err(AppStatusError::UnknownApp(_)) => {}
            Err(e) => return Err(e),
        }
        if Instant::now() + POLL > deadline {
            return Err(AppStatusError::Timeout {
                app: name.to_owned(),
                what: "serving",
                after: timeout,
                last,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the chain no longer has `name` and none of `hosts` (the API URLs of its former
/// hosting nodes) runs a container of it. A host that does not answer is waited for.
///
/// # Errors
/// [`AppStatusError::Timeout`]; [`AppStatusError::Client`] when `client`'s node fails.
pub async fn wait_removed(
    client: &Client,
    name: &str,
    hosts: &[String],
    timeout: Duration,
) -> Result<(), AppStatusError> {
    let deadline = Instant::now() + timeout;
    loop {
        let mut gone = client.app(name).await?.is_none();
        for url in hosts {
            if !gone {
                break;
            }
            let answer = match Client::new(url) {
                Ok(c) => c.with_timeout(POLL * 4).host_instances().await.ok(),
                Err(_) => None,
            };
            gone = answer.is_some_and(|v| v.instances.iter().all(|r| r.app != name));
        }
        if gone {
            return Ok(());
        }
        if Instant::now() + POLL > deadline {
            return Err(AppStatusError::Timeout {
                app: name.to_owned(),
                what: "removed",
                after: timeout,
                last: None,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Why an update cannot be priced.
#[derive(Debug, Error)]
pub enum QuoteError {
    /// The node failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The new spec is not a valid registration, or the price overflows.
    #[error(transparent)]
    Spec(#[from] flux_nodes::app::AppError),
    /// The chain has no such app.
    #[error("no app named {0:?}")]
    UnknownApp(String),
}

/// How many blocks ahead [`quote_update`] prices an update.
pub const UPDATE_QUOTE_AHEAD: u64 = 10;

/// The parsed new spec of an `AppUpdate` and its price if included [`UPDATE_QUOTE_AHEAD`] blocks
/// from now: the new spec's price less the unused part of the old one, which shrinks every
/// block. Offer `due` as the `AppUpdate`'s price: the most the owner pays (the chain charges
/// what is due at the including block).
///
/// # Errors
/// [`QuoteError`].
pub async fn quote_update(
    client: &Client,
    spec_json: &str,
) -> Result<(AppSpec, UpdatePrice), QuoteError> {
    let params = client.params().await?;
    let spec = AppSpec::from_json_strict(spec_json.as_bytes(), &params.apps)?;
    let old = client
        .app(&spec.name)
        .await?
        .ok_or_else(|| QuoteError::UnknownApp(spec.name.clone()))?;
    let next = client
        .status()
        .await?
        .height
        .saturating_add(UPDATE_QUOTE_AHEAD);
    let old_expire = old.expires_at.saturating_sub(old.registered_at);
    let remaining = old.expires_at.saturating_sub(next);
    let quote = update_price(old.paid, old_expire, remaining, &spec, &params.apps.prices)?;
    Ok((spec, quote))
}

#[cfg(test)]
mod tests;
