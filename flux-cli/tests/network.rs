//! The running network: four `fluxd` processes on 127.0.0.1 finalise transfers submitted
//! through the API with equal state roots; one is SIGKILLed, the other three keep finalising,
//! and the restarted one syncs back to the same state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Child;
use std::time::Duration;

use flux_chain::tx::{Transfer, TxKind};
use flux_core::crypto::{Scheme, SecretKey};
use flux_core::{Address, Amount};
use flux_net::api::BlockRef;
use flux_net::api::client::Client;
use flux_net::devnet::{Layout, terminate};
use flux_net::testkit::wait::{wait_for_async_within, wait_until_async};

fn fluxd() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_fluxd"))
}

async fn height(client: &Client) -> Option<u64> {
    client.status().await.ok().map(|s| s.height)
}

/// Waits until every client reports at least `h` (`deadline`: a failure bound; several
/// debug-built `fluxd` on a loaded machine may need more than the kit's usual one).
async fn wait_height(clients: &[&Client], h: u64, deadline: Duration) {
    wait_for_async_within(&format!("height {h} on every node"), deadline, async || {
        for c in clients {
            if height(c).await.is_none_or(|x| x < h) {
                return None;
            }
        }
        Some(())
    })
    .await
    .unwrap();
}

async fn root_at(client: &Client, h: u64) -> flux_core::Hash {
    client
        .block(BlockRef::Height(h))
        .await
        .unwrap()
        .unwrap()
        .state_root
}

struct Nodes(Vec<Option<Child>>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for c in self.0.iter_mut().flatten() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n4_transfers_finalise_and_a_killed_node_syncs_back() {
    let dir = tempfile::tempdir().unwrap();
    // Port 0: every port chosen by the OS; each fluxd says which in its data directory, and
    // each one started bootstraps from those already running.
    let layout = Layout::create_or_open(dir.path(), 4, 0).unwrap();
    let mut nodes = Nodes(Vec::new());
    for i in 0..4 {
        nodes.0.push(Some(layout.spawn(i, fluxd()).unwrap()));
    }
    let mut clients: Vec<Client> = (0..4)
        .map(|i| Client::new(&layout.api_url(i)).unwrap())
        .collect();
    let all: Vec<&Client> = clients.iter().collect();
    wait_height(&all, 2, Duration::from_secs(90)).await;

    // Transfers from the faucet, submitted to different nodes.
    let faucet = flux_net::api::keyfile::read(&layout.faucet()).unwrap();
    let faucet_address = Address::from_public_key(&faucet.public_key());
    let mut rng = rand_core::OsRng;
    let to = Address::from_public_key(&SecretKey::generate(Scheme::Ed25519, &mut rng).public_key());
    let mut ids = Vec::new();
    for i in 0..8u64 {
        // The node that takes transfer i signs it at the nonce it sees: wait until it has
        // the previous transfers (finalised on node 0, maybe not applied there yet).
        let client = &clients[(i % 4) as usize];
        wait_until_async(
            &format!("nonce {i} of the faucet on node {}", i % 4),
            async || {
                let account = client.account(&format!("{:x}", faucet_address)).await;
                account.is_ok_and(|a| a.nonce >= i)
            },
        )
        .await
        .unwrap();
        let kind = TxKind::Transfer(Transfer {
            to,
            amount: Amount::from_flux(1 + i).unwrap(),
        });
        let sent = client
            .sign_and_submit(&faucet, Amount::from_base_units(10_000), kind)
            .await
            .unwrap();
        ids.push(sent.id);
        clients[0]
            .wait_finalized(ids.last().unwrap(), Duration::from_secs(60))
            .await
            .unwrap();
    }
    let expected = Amount::from_flux((1..=8).sum::<u64>()).unwrap();
    let tip = height(&clients[0]).await.unwrap();
    wait_height(&all, tip, Duration::from_secs(60)).await;
    let mut roots = Vec::new();
    for c in &clients {
        assert_eq!(
            c.account(&format!("{to:x}")).await.unwrap().balance,
            expected
        );
        roots.push(root_at(c, tip).await);
    }
    assert!(
        roots.windows(2).all(|w| w[0] == w[1]),
        "state roots differ: {roots:?}"
    );

    // SIGKILL node 3; the other three keep finalising.
    let mut killed = nodes.0[3].take().unwrap();
    killed.kill().unwrap();
    killed.wait().unwrap();
    let before = height(&clients[0]).await.unwrap();
    wait_height(&all[..3], before + 5, Duration::from_secs(60)).await;

    // Restarted (on new ports), it syncs back to the others' state.
    nodes.0[3] = Some(layout.spawn(3, fluxd()).unwrap());
    drop(all);
    clients[3] = Client::new(&layout.api_url(3)).unwrap();
    let all: Vec<&Client> = clients.iter().collect();
    let target = height(&clients[0]).await.unwrap() + 2;
    wait_height(&all, target, Duration::from_secs(90)).await;
    let mut roots = Vec::new();
    for c in &clients {
        roots.push(root_at(c, target).await);
    }
    assert!(
        roots.windows(2).all(|w| w[0] == w[1]),
        "state roots differ after sync: {roots:?}"
    );

    // A clean stop: SIGTERM, and every node exits with 0.
    for c in nodes.0.iter().flatten() {
        terminate(c).unwrap();
    }
    for c in nodes.0.iter_mut() {
        let mut child = c.take().unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "fluxd exited with {status}");
    }
}
