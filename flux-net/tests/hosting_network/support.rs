//! The 4-validator hosting network of `tests/hosting_network.rs`: in-process [`Node`]s (redb,
//! libp2p, consensus, hosting, gateways) on 127.0.0.1, each publishing its app ports on its own
//! loopback address 127.0.0.(i+1) as separate hosts would, with the genesis endpoints on those
//! addresses (the gateways reach another node's instance at `<endpoint host>:<public port>`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use flux_chain::devnet::{FLUX_PER_ACCOUNT, ValidatorKeys};
use flux_chain::testkit::GenesisBuilder;
use flux_chain::tx::TxKind;
use flux_core::crypto::SecretKey;
use flux_core::{Amount, Tier};
use flux_net::api::client::Client;
use flux_net::hosting::{Hosting, HostingConfig, InstanceState};
use flux_net::node::{Node, NodeConfig};
use flux_net::testkit::hosting as hosting_kit;
pub use flux_net::testkit::hosting::get;
use flux_nodes::NodeId;

/// Four debug-built validators and Docker on two shared cores: longer than the kit's usual
/// deadline (a deadline only bounds a failure).
pub const SLOW: Duration = Duration::from_secs(180);

/// One validator of the network.
pub struct Member {
    /// The running node (`None` once stopped).
    pub node: Option<Node>,
    /// Its FluxNode id.
    pub id: NodeId,
    /// The owner key of its FluxNode (signs its `NodeExit`).
    pub owner: SecretKey,
    /// The address its containers publish on.
    pub publish_ip: IpAddr,
    /// Its gateway's address.
    pub gateway: SocketAddr,
    /// A client of its API.
    pub client: Client,
}

impl Member {
    /// The running node.
    pub fn node(&self) -> &Node {
        self.node.as_ref().expect("the member runs")
    }

    /// Its hosting service.
    pub fn hosting(&self) -> &Hosting {
        self.node().hosting().expect("hosting configured")
    }

    /// The rows of `app` on its status board that are `serving`.
    pub fn serving(&self, app: &str) -> Vec<flux_net::hosting::InstanceStatus> {
        self.hosting()
            .status()
            .snapshot()
            .into_iter()
            .filter(|r| r.app == app && r.state == InstanceState::Serving)
            .collect()
    }
}

/// `n` validators derived from `seed`, node i at `127.0.0.(i+1):16127`, `funded` holding
/// `amount`; the genesis dated now (block times run at most `max_block_drift_ms` ahead of
/// their parent's, so a genesis in the past would make blocks back to back).
pub fn genesis(
    n: u32,
    seed: u64,
    funded: &SecretKey,
    amount: Amount,
) -> (flux_chain::genesis::Genesis, Vec<ValidatorKeys>) {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let each = Amount::from_flux(FLUX_PER_ACCOUNT).unwrap();
    let mut builder = GenesisBuilder::new().timestamp_ms(now_ms);
    let mut keys = Vec::new();
    for i in 0..n {
        let k = ValidatorKeys::derive(seed, i).unwrap();
        let endpoint = format!("127.0.0.{}:16127", i + 1);
        flux_nodes::node::check_endpoint(&endpoint).unwrap();
        builder = builder
            .account(&k.owner, each)
            .account(&k.operator, each)
            .node_at(&k.owner, &k.operator, Tier::Cumulus, &endpoint, "EU_DE");
        keys.push(k);
    }
    let genesis = builder.account(funded, amount).build().unwrap();
    (genesis, keys)
}

/// Starts the network of [`genesis`] in `dirs` (one per node), every node bootstrapping to those
/// started before it, hosting on with the node tag `<tag>n<i>`.
pub async fn start(
    dirs: &[tempfile::TempDir],
    seed: u64,
    funded: &SecretKey,
    amount: Amount,
    tag: &str,
) -> Vec<Member> {
    let n = u32::try_from(dirs.len()).unwrap();
    let (genesis, keys) = genesis(n, seed, funded, amount);
    let mut members: Vec<Member> = Vec::new();
    for (i, (dir, k)) in dirs.iter().zip(&keys).enumerate() {
        let publish_ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, u8::try_from(i + 1).unwrap()));
        let mut config = NodeConfig::local(dir.path(), genesis.clone(), Some(k.operator.clone()));
        config.bootstrap = members
            .iter()
            .filter_map(|m| m.node().p2p_address())
            .collect();
        config.hosting = Some(HostingConfig {
            gateway: Some("127.0.0.1:0".parse().unwrap()),
            publish_ip,
            node_tag: Some(format!("{tag}n{i}")),
            reconcile_interval_ms: 300,
            ..HostingConfig::default()
        });
        let node = Node::start(config).await.unwrap();
        let hosting = node.hosting().expect("hosting configured");
        assert!(hosting.off_reason().is_none(), "{:?}", hosting.off_reason());
        let gateway = hosting.gateway_addr().unwrap();
        let client = Client::new(&format!("http://{}", node.api_addr().unwrap())).unwrap();
        members.push(Member {
            id: node.node_id().unwrap(),
            node: Some(node),
            owner: k.owner.clone(),
            publish_ip,
            gateway,
            client,
        });
    }
    members
}

/// A port free on 127.0.0.1 now (the app publishes it on every node's address).
pub fn free_port() -> u16 {
    hosting_kit::free_port().unwrap()
}

/// A FluxOS v8 spec of 3 instances of the sample app answering `message` on `port`.
pub fn spec_json(name: &str, image: &str, port: u16, message: &str) -> String {
    hosting_kit::sample_spec(name, image, port, message, 3)
}

/// The chain's price of `json` (the transaction must name it exactly).
pub fn price(node: &Node, json: &str) -> Amount {
    hosting_kit::price(node, json).unwrap()
}

/// Signs `kind` with `key`, submits it through `client` and waits until it is final.
pub async fn submit(client: &Client, key: &SecretKey, kind: TxKind) {
    let sent = client
        .sign_and_submit(key, "0.001".parse().unwrap(), kind)
        .await
        .unwrap();
    client.wait_finalized(&sent.id, SLOW).await.unwrap();
}

/// Where `app`'s instances are placed in `node`'s committed state, as (instance, node).
pub fn placement(node: &Node, app: &str) -> Vec<(u32, NodeId)> {
    let chain = node.chain().read().unwrap();
    chain.state().placement().instances_of(app)
}

/// Waits until `gateway` answers `host` with `message`.
pub async fn wait_answer(what: &str, gateway: SocketAddr, host: &str, message: &str) {
    flux_net::testkit::hosting::wait_answer(what, SLOW, gateway, host, message)
        .await
        .unwrap();
}

/// 50 requests through `gateway`, none may fail.
pub async fn burst(gateway: SocketAddr, host: &str, message: &str, what: &str) {
    let sent = flux_net::testkit::hosting::burst(gateway, host, message, 50).await;
    assert!(sent.is_ok(), "{what}: {sent:?}");
}

/// Runs `docker <args>` and asserts it succeeded.
pub fn docker(args: &[&str]) {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "docker {args:?}: {out:?}");
}
