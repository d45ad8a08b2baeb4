//! Following an app's deployment through the nodes' APIs, as `flux app deploy|update|cancel
//! --wait` do once the transaction is final: until every instance serves (and at which URL),
//! or until every hosting node that answered removed it ([`crate::api::hosting::apps`] asks).

use std::time::Duration;

use serde::Serialize;

use crate::api::client::Client;
use crate::api::hosting::apps::{
    self, AppStatusError, AppStatusOptions, AppStatusView, InstanceRow, RowState,
};

/// The gateway domain suffix when neither the caller nor a hosting node names one.
pub const DEFAULT_DOMAIN_SUFFIX: &str = "app.localhost";

/// What a wait for an app to serve saw.
#[derive(Clone, Debug, Serialize)]
pub struct Serving {
    /// Whether every instance serves.
    pub all_serving: bool,
    /// The app's URL through the gateway, once every instance serves.
    pub urls: Vec<String>,
    /// One row per instance.
    pub rows: Vec<InstanceRow>,
}

impl Serving {
    /// How many instances serve.
    pub fn serving(&self) -> usize {
        let serving = self.rows.iter().filter(|r| r.state == RowState::Serving);
        serving.count()
    }
}

/// Waits up to `timeout` until every instance of `name` serves (renewed since `baseline`,
/// after an update), or no instance can ([`apps::wait_serving`]). The URL uses
/// `domain_suffix`, else the one a hosting node reports, else [`DEFAULT_DOMAIN_SUFFIX`].
pub async fn wait_serving(
    client: &Client,
    name: &str,
    options: &AppStatusOptions,
    domain_suffix: Option<&str>,
    timeout: Duration,
    baseline: Option<&AppStatusView>,
) -> Result<Serving, AppStatusError> {
    let status = apps::wait_serving(client, name, options, baseline, timeout).await?;
    let all_serving = status.all_serving();
    let suffix = domain_suffix
        .map(str::to_owned)
        .or(status.domain_suffix)
        .unwrap_or_else(|| DEFAULT_DOMAIN_SUFFIX.to_owned());
    let urls = match all_serving {
        true => vec![apps::app_url(name, &suffix)],
        false => Vec::new(),
    };
    Ok(Serving {
        all_serving,
        urls,
        rows: status.rows,
    })
}

/// The APIs of the nodes hosting `name` that answer now (sorted, once each): the ones a cancel
/// waits on ([`apps::wait_removed`]).
pub async fn answering_hosts(
    client: &Client,
    name: &str,
    options: &AppStatusOptions,
) -> Result<Vec<String>, AppStatusError> {
    let rows = apps::app_status(client, name, options).await?.rows;
    let answered = rows
        .into_iter()
        .filter(|r| !matches!(r.state, RowState::Unreachable | RowState::Unplaced));
    let mut hosts: Vec<String> = answered.filter_map(|r| r.api).collect();
    hosts.sort();
    hosts.dedup();
    Ok(hosts)
}
