//! Benchmark (issue 21): the time from the block that places an app instance on a node to the
//! instance serving through that node's gateway, over repeated deploys with the image present.
//! Needs a Docker Engine; the image is built here from the `flux-sample-app` binary.
//!
//! ```text
//! cargo build --release -p flux-net --bin flux-sample-app
//! cargo run --release -p flux-net --example placed_to_serving -- [DEPLOYS] [SAMPLE_BINARY]
//! ```
//! (`scripts/hosting-bench.sh` does both.) Prints each deploy's figure, then p50 and p99.

use std::time::{Duration, Instant};

use flux_chain::testkit::keys::key;
use flux_chain::tx::{AppCancel, AppRegister, TxKind};
use flux_core::Amount;
use flux_net::hosting::HostingConfig;
use flux_net::runtime::{DockerRuntime, image};
use flux_net::testkit::docker::DockerCleanup;
use flux_net::testkit::hosting::{free_port, get, price, sample_spec};
use flux_net::testkit::node::start_validator_with;

type Error = Box<dyn std::error::Error>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let deploys: usize = args.next().map_or(Ok(30), |a| a.parse())?;
    let sample = args
        .next()
        .unwrap_or_else(|| "target/release/flux-sample-app".to_owned());
    let docker = DockerRuntime::connect(None).await?;
    let mut cleanup = DockerCleanup::new("placed_to_serving");
    let tag = format!("flux-sample-app:bench{}", std::process::id());
    image::import_binary(&docker, sample.as_ref(), &tag, &[]).await?;
    cleanup.image(&tag);

    let dir = tempfile::tempdir()?;
    let owner = key(5);
    let (node, client) = start_validator_with(
        dir.path(),
        41,
        &owner,
        Amount::from_flux(1_000_000)?,
        |config| {
            config.hosting = Some(HostingConfig {
                gateway: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
                node_tag: Some(format!("b{}", std::process::id())),
                reconcile_interval_ms: 1_000,
                ..HostingConfig::default()
            });
        },
    )
    .await?;
    let node_id = node.node_id().ok_or("no node id")?;
    cleanup.node(&node_id.to_string());
    let hosting = node.hosting().ok_or("no hosting")?;
    let gateway = hosting.gateway_addr().ok_or("no gateway")?;

    let mut figures = Vec::with_capacity(deploys);
    for n in 0..deploys {
        let name = format!("bench{n}");
        let json = sample_spec(&name, &tag, free_port().ok_or("no port")?, "bench", 3);
        let kind = TxKind::AppRegister(AppRegister {
            price: price(&node, &json).ok_or("spec refused")?,
            spec: json,
        });
        let sent = client
            .sign_and_submit(&owner, "0.001".parse()?, kind)
            .await?;
        // The clock starts when the node has committed the block that placed the instance.
        let placed = loop {
            let here = {
                let chain = node.chain().read().map_err(|_| "poisoned")?;
                !chain.state().placement().where_is(&name).is_empty()
            };
            if here {
                break Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        let host = format!("{name}.app.localhost");
        loop {
            if get(gateway, &host).await.map(|r| r.0) == Some(200) {
                break;
            }
            if placed.elapsed() > Duration::from_secs(120) {
                return Err(format!("{name} never served").into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let took = placed.elapsed();
        println!("deploy {n}: placed -> serving {} ms", took.as_millis());
        figures.push(took);
        client
            .wait_finalized(&sent.id, Duration::from_secs(30))
            .await?;
        let cancel = client
            .sign_and_submit(
                &owner,
                "0.001".parse()?,
                TxKind::AppCancel(AppCancel { name }),
            )
            .await?;
        client
            .wait_finalized(&cancel.id, Duration::from_secs(30))
            .await?;
    }
    figures.sort();
    let pick = |q: usize| figures[(figures.len() * q / 100).min(figures.len() - 1)];
    println!(
        "placed -> serving over {deploys} deploys: p50 {} ms, p99 {} ms, max {} ms",
        pick(50).as_millis(),
        pick(99).as_millis(),
        figures.last().map_or(0, |d| d.as_millis())
    );
    node.shutdown().await?;
    cleanup.clean(&docker).await?;
    Ok(())
}
