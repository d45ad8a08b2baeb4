//! Transactions other than transfers, sent through a node: `flux node start|confirm|exit` and
//! `flux app deploy`.

use std::io::Write;
use std::path::Path;

use flux_chain::tx::{AppRegister, NodeConfirm, NodeExit, NodeStart, TxKind};
use flux_core::crypto::PublicKey;
use flux_core::{Amount, Tier};
use flux_nodes::NodeId;
use flux_nodes::app::AppSpec;
use flux_nodes::attestation::BenchmarkEvidence;
use serde::Serialize;

use super::send::{block_on, client, print_sent, submit};
use crate::cli::{AppDeployArgs, NodeConfirmArgs, NodeExitArgs, NodeStartArgs};
use crate::error::CliError;
use crate::output::Output;
use flux_net::api::keyfile;

/// The operator key: `scheme:hex`, or a key file whose public key to use.
fn operator_key(text: &str) -> Result<PublicKey, CliError> {
    match text.parse::<PublicKey>() {
        Ok(key) => Ok(key),
        Err(_) => Ok(keyfile::read(Path::new(text))?.public_key()),
    }
}

#[derive(Serialize)]
struct NodeDetails {
    node_id: NodeId,
    tier: Option<Tier>,
    collateral: Option<Amount>,
}

/// `flux node start`: registers a node, bonding the tier's collateral from the owner's key.
/// The declared hardware is the tier's minimum unless overridden.
pub fn start<W: Write>(out: &mut Output<W>, args: &NodeStartArgs) -> Result<(), CliError> {
    let owner = keyfile::read(&args.key)?;
    let operator = operator_key(&args.operator)?;
    let tier: Tier = args.tier.into();
    let client = client(&args.node.url)?;
    let (sent, collateral, finalized) = block_on(async {
        let params = client.params().await?;
        let mut declared = tier.minimum(&params);
        let r = &mut declared.resources;
        declared.cpu_cores = args.cpu_cores.unwrap_or(declared.cpu_cores);
        r.cpu_threads = args.threads.unwrap_or(r.cpu_threads);
        r.ram_mb = args.ram_mb.unwrap_or(r.ram_mb);
        r.ssd_gb = args.ssd_gb.unwrap_or(r.ssd_gb);
        r.bandwidth_mbps = args.bandwidth_mbps.unwrap_or(r.bandwidth_mbps);
        let collateral = tier.collateral(&params);
        let kind = TxKind::NodeStart(NodeStart {
            operator,
            tier,
            collateral,
            endpoint: args.endpoint.clone(),
            geolocation: args.geo.clone(),
            declared,
        });
        let (sent, finalized) = submit(&client, &owner, &args.tx, kind).await?;
        Ok::<_, CliError>((sent, collateral, finalized))
    })??;
    let node_id = NodeId::of(&operator);
    let rows = vec![
        ("node", node_id.to_string()),
        ("tier", tier.name().to_owned()),
        ("collateral", format!("{collateral} FLUX")),
    ];
    let details = NodeDetails {
        node_id,
        tier: Some(tier),
        collateral: Some(collateral),
    };
    print_sent(out, "NodeStart", &sent, finalized, details, rows)
}

/// `flux node confirm`: the operator confirms its node with attested benchmark evidence.
pub fn confirm<W: Write>(out: &mut Output<W>, args: &NodeConfirmArgs) -> Result<(), CliError> {
    let operator = keyfile::read(&args.key)?;
    let text = crate::error::read_text(&args.evidence)?;
    let evidence: BenchmarkEvidence =
        serde_json::from_str(&text).map_err(|source| CliError::Evidence {
            path: args.evidence.clone(),
            source,
        })?;
    let node_id = NodeId::of(&operator.public_key());
    let kind = TxKind::NodeConfirm(NodeConfirm {
        node: node_id,
        evidence,
    });
    send_node_tx(
        out,
        "NodeConfirm",
        &args.node.url,
        &operator,
        &args.tx,
        node_id,
        kind,
    )
}

/// Sends a transaction about one node and reports it (confirm, exit).
fn send_node_tx<W: Write>(
    out: &mut Output<W>,
    label: &'static str,
    url: &str,
    key: &flux_core::crypto::SecretKey,
    options: &crate::cli::TxOptions,
    node_id: NodeId,
    kind: TxKind,
) -> Result<(), CliError> {
    let client = client(url)?;
    let (sent, finalized) = block_on(submit(&client, key, options, kind))??;
    let details = NodeDetails {
        node_id,
        tier: None,
        collateral: None,
    };
    let rows = vec![("node", node_id.to_string())];
    print_sent(out, label, &sent, finalized, details, rows)
}

/// `flux node exit`: the owner starts the node's exit (the collateral returns after unbonding).
pub fn exit<W: Write>(out: &mut Output<W>, args: &NodeExitArgs) -> Result<(), CliError> {
    let owner = keyfile::read(&args.key)?;
    let node_id = NodeId(args.node);
    let kind = TxKind::NodeExit(NodeExit { node: node_id });
    send_node_tx(out, "NodeExit", &args.api, &owner, &args.tx, node_id, kind)
}

/// `flux app deploy`: registers an app spec, paying the chain's price (or `--price`).
pub fn deploy<W: Write>(out: &mut Output<W>, args: &AppDeployArgs) -> Result<(), CliError> {
    let key = keyfile::read(&args.key)?;
    let spec_json = crate::error::read_text(&args.spec)?;
    let client = client(&args.node.url)?;
    let (sent, name, price, finalized, serving) = block_on(async {
        // The chain's own parameters: governance may have changed the preset's prices.
        let params = client.params().await?;
        let wrap = |e: flux_nodes::app::AppError| CliError::App {
            path: args.spec.clone(),
            source: e.into(),
        };
        let spec = AppSpec::from_json_strict(spec_json.as_bytes(), &params.apps).map_err(wrap)?;
        let price = match args.price {
            Some(p) => p,
            None => spec.price(&params.apps.prices).map_err(wrap)?.total,
        };
        let kind = TxKind::AppRegister(AppRegister {
            spec: spec_json.clone(),
            price,
        });
        let (sent, finalized) = submit(&client, &key, &args.tx, kind).await?;
        let timeout = std::time::Duration::from_secs(args.tx.timeout);
        let serving = match finalized {
            Some(_) => {
                Some(super::app::serving(&client, &spec.name, &args.hosts, timeout, None).await?)
            }
            None => None,
        };
        Ok::<_, CliError>((sent, spec.name, price, finalized, serving))
    })??;
    #[derive(Serialize)]
    struct Details<'a> {
        app: &'a str,
        price: Amount,
        serving: Option<flux_net::deploy::Serving>,
    }
    let mut rows = vec![("app", name.clone()), ("price", format!("{price} FLUX"))];
    rows.extend(serving.iter().flat_map(super::app::serving_rows));
    let details = Details {
        app: &name,
        price,
        serving,
    };
    print_sent(out, "AppRegister", &sent, finalized, details, rows)
}
