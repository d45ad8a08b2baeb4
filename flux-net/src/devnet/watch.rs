//! Following a running devnet: each finalised block of validator 0 as it comes, the sample
//! app deployed once the chain runs and, when the devnet hosts apps, the wait until every
//! instance of it serves (then the `curl` line that reaches it through node 0's gateway).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use flux_chain::tx::{AppRegister, TxId, TxKind};
use flux_core::{Amount, ChainParams};
use flux_nodes::app::AppSpec;

use super::layout::DOMAIN_SUFFIX;
use super::{DevnetError, Layout};
use crate::api::BlockRef;
use crate::api::client::Client;
use crate::api::hosting::apps::{AppStatusOptions, app_url, wait_serving};
use crate::api::keyfile;
use crate::api::views::BlockView;

/// The app a new devnet deploys (`hellodevnet`), a FluxOS v8 spec whose image tag reads
/// `flux-devnet-sample:VERSION` ([`sample_app`] names the real one).
pub const SAMPLE_APP: &str = include_str!("sample-app.json");

/// The sample app's name.
pub const SAMPLE_NAME: &str = "hellodevnet";

/// The local image the devnet builds for the sample app (from the `flux` binary itself, run
/// as `flux sample-app`): no registry.
pub const SAMPLE_IMAGE: &str = concat!("flux-devnet-sample:", env!("CARGO_PKG_VERSION"));

/// How long the devnet waits for every instance of the sample app to serve.
pub const SERVE_TIMEOUT: Duration = Duration::from_secs(300);

/// The sample app's spec as the devnet deploys it: [`SAMPLE_APP`] with [`SAMPLE_IMAGE`].
///
/// ```
/// use flux_net::devnet::watch::{SAMPLE_IMAGE, sample_app};
/// assert!(sample_app().contains(SAMPLE_IMAGE));
/// ```
pub fn sample_app() -> String {
    SAMPLE_APP.replace("flux-devnet-sample:VERSION", SAMPLE_IMAGE)
}

/// How often [`watch`] asks validator 0 for its height.
const POLL: Duration = Duration::from_millis(250);

/// What [`watch`] saw.
#[derive(Clone, Debug)]
pub enum DevnetEvent {
    /// A finalised block (from a few blocks before the tip when the watch starts).
    Block(Box<BlockView>),
    /// The sample app's registration was accepted.
    Deployed(TxId),
    /// The sample app could not be deployed (the devnet runs on).
    DeployFailed(String),
    /// Every instance of the sample app serves: the command that reaches it through node 0's
    /// gateway, e.g. `curl -H 'Host: hellodevnet.app.localhost' http://127.0.0.1:20080/`.
    Serving {
        /// The `curl` command.
        curl: String,
        /// The app's URL (`http://hellodevnet.app.localhost/`).
        url: String,
    },
    /// The sample app did not come to serve (why; the devnet runs on).
    NotServing(String),
}

/// Follows validator 0 of `layout` until `stop` completes, calling `on_event` with each
/// finalised block and, if `deploy`, the sample app's deployment once the chain is at height 2
/// (signed with owner 0's key). When the layout hosts apps ([`Layout::gateway_port`]), it then
/// waits (beside the blocks) until every instance serves and reports [`DevnetEvent::Serving`].
/// A node that does not answer yet is asked again; an error of `on_event` ends the watch.
pub async fn watch<E: From<DevnetError>>(
    layout: &Layout,
    deploy: bool,
    stop: impl Future<Output = ()>,
    mut on_event: impl FnMut(DevnetEvent) -> Result<(), E>,
) -> Result<(), E> {
    let client = Client::new(&layout.api_url(0)).map_err(DevnetError::from)?;
    let mut next = 1u64;
    let mut deployed = !deploy;
    let mut hosted = layout.gateway_port.is_none();
    let mut serving: Option<Pin<Box<dyn Future<Output = DevnetEvent> + '_>>> = None;
    let mut tick = tokio::time::interval(POLL);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {}
            event = async {
                match serving.as_mut() {
                    Some(wait) => wait.await,
                    None => std::future::pending().await,
                }
            } => {
                serving = None;
                on_event(event)?;
                continue;
            }
        }
        let Ok(status) = client.status().await else {
            continue;
        };
        if next == 1 {
            next = status.height.saturating_sub(5).max(1);
        }
        while next <= status.height {
            let Ok(Some(b)) = client.block(BlockRef::Height(next)).await else {
                break;
            };
            on_event(DevnetEvent::Block(Box::new(b)))?;
            next += 1;
        }
        if !deployed && status.height >= 2 {
            deployed = true;
            on_event(match deploy_sample(&client, layout).await {
                Ok(id) => DevnetEvent::Deployed(id),
                Err(e) => DevnetEvent::DeployFailed(e.to_string()),
            })?;
        }
        if deployed && !hosted && status.height >= 2 {
            hosted = true;
            serving = Some(Box::pin(wait_hosted(layout)));
        }
    }
    Ok(())
}

/// Waits until every instance of the sample app serves; the event to report.
async fn wait_hosted(layout: &Layout) -> DevnetEvent {
    match try_wait_hosted(layout).await {
        Ok(event) => event,
        Err(why) => DevnetEvent::NotServing(why),
    }
}

async fn try_wait_hosted(layout: &Layout) -> Result<DevnetEvent, String> {
    let client = Client::new(&layout.api_url(0)).map_err(|e| e.to_string())?;
    // Each validator's API by its node id (its registered endpoint names the default port
    // when the OS chose the ports).
    let mut node_apis = BTreeMap::new();
    for i in 0..layout.validators {
        let url = layout.api_url(i);
        let Ok(node) = Client::new(&url) else {
            continue;
        };
        if let Ok(Some(id)) = node.status().await.map(|s| s.node_id) {
            node_apis.insert(id, url);
        }
    }
    let options = AppStatusOptions {
        node_apis,
        ..AppStatusOptions::default()
    };
    let status = wait_serving(&client, SAMPLE_NAME, &options, None, SERVE_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if !status.all_serving() {
        let rows: Vec<String> = status
            .rows
            .iter()
            .map(|r| {
                let state = serde_json::to_value(r.state).unwrap_or_default();
                let error = r.error.as_deref().unwrap_or("");
                format!(
                    "instance {}: {} {error}",
                    r.instance,
                    state.as_str().unwrap_or("?")
                )
            })
            .collect();
        return Err(rows.join("; "));
    }
    let gateway = layout
        .gateway_addr(0)
        .ok_or_else(|| "node0 reports no gateway".to_owned())?;
    Ok(DevnetEvent::Serving {
        curl: format!("curl -H 'Host: {SAMPLE_NAME}.{DOMAIN_SUFFIX}' http://{gateway}/"),
        url: app_url(SAMPLE_NAME, DOMAIN_SUFFIX),
    })
}

/// Registers [`sample_app`] from owner 0's account, at the devnet's prices.
async fn deploy_sample(client: &Client, layout: &Layout) -> Result<TxId, DevnetError> {
    let key = keyfile::read(&layout.owner_key(0))?;
    let params = ChainParams::devnet();
    let json = sample_app();
    let spec = AppSpec::from_json_strict(json.as_bytes(), &params.apps)?;
    let price = spec.price(&params.apps.prices)?.total;
    let kind = TxKind::AppRegister(AppRegister { spec: json, price });
    let sent = client
        .sign_and_submit(&key, Amount::from_base_units(10_000), kind)
        .await?;
    Ok(sent.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_app_is_a_valid_devnet_spec() {
        let params = ChainParams::devnet();
        let spec = AppSpec::from_json_strict(sample_app().as_bytes(), &params.apps).unwrap();
        assert_eq!(spec.name, SAMPLE_NAME);
        assert!(spec.price(&params.apps.prices).is_ok());
        assert_eq!(spec.components[0].repotag, SAMPLE_IMAGE);
        assert_eq!(spec.instances, 3);
    }
}
