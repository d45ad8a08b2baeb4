//! Following a running devnet: each finalised block of validator 0 as it comes, and the sample
//! app deployed once the chain runs.

use std::future::Future;
use std::time::Duration;

use flux_chain::tx::{AppRegister, TxId, TxKind};
use flux_core::{Amount, ChainParams};
use flux_nodes::app::AppSpec;

use super::{DevnetError, Layout};
use crate::api::BlockRef;
use crate::api::client::Client;
use crate::api::keyfile;
use crate::api::views::BlockView;

/// The app a new devnet deploys (`hellodevnet`), a FluxOS v8 spec.
pub const SAMPLE_APP: &str = include_str!("sample-app.json");

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
}

/// Follows validator 0 of `layout` until `stop` completes, calling `on_event` with each
/// finalised block and, if `deploy`, the sample app's deployment once the chain is at height 2
/// (signed with owner 0's key). A node that does not answer yet is asked again; an error of
/// `on_event` ends the watch.
pub async fn watch<E: From<DevnetError>>(
    layout: &Layout,
    deploy: bool,
    stop: impl Future<Output = ()>,
    mut on_event: impl FnMut(DevnetEvent) -> Result<(), E>,
) -> Result<(), E> {
    let client = Client::new(&layout.api_url(0)).map_err(DevnetError::from)?;
    let mut next = 1u64;
    let mut deployed = !deploy;
    let mut tick = tokio::time::interval(POLL);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {}
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
    }
    Ok(())
}

/// Registers [`SAMPLE_APP`] from owner 0's account, at the devnet's prices.
async fn deploy_sample(client: &Client, layout: &Layout) -> Result<TxId, DevnetError> {
    let key = keyfile::read(&layout.owner_key(0))?;
    let params = ChainParams::devnet();
    let spec = AppSpec::from_json_strict(SAMPLE_APP.as_bytes(), &params.apps)?;
    let price = spec.price(&params.apps.prices)?.total;
    let kind = TxKind::AppRegister(AppRegister {
        spec: SAMPLE_APP.to_owned(),
        price,
    });
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
        let spec = AppSpec::from_json_strict(SAMPLE_APP.as_bytes(), &params.apps).unwrap();
        assert_eq!(spec.name, "hellodevnet");
        assert!(spec.price(&params.apps.prices).is_ok());
    }
}
