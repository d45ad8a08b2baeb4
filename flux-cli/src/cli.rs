//! The `flux` command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use flux_core::Network;
use flux_core::crypto::Scheme;

/// flux: operate and use a flux network from the command line.
#[derive(Debug, Parser)]
#[command(name = "flux", version, about, propagate_version = true)]
pub struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and inspect key files.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the protocol parameters of a network preset.
    Params(NetworkArg),
    /// Print the emission schedule at a height (subsidy, split, supply); optionally chart it.
    Tokenomics(TokenomicsArgs),
    /// Print the node tier table (collateral, minimum hardware, vote weight, reserve).
    Tiers(NetworkArg),
    /// Benchmark this machine (CPU, RAM, disk) and say which node tiers it meets.
    Bench(BenchArgs),
    /// FluxNodes registered on a chain.
    #[command(subcommand)]
    Node(NodeCommand),
    /// xDAO governance: propose, vote, list and show proposals.
    #[command(subcommand)]
    Gov(GovCommand),
    /// Apps: check and price FluxOS app specifications.
    #[command(subcommand)]
    App(AppCommand),
    /// Compute jobs: submit a WebAssembly job, follow it, fetch its result, try the examples.
    #[command(subcommand)]
    Job(JobCommand),
    /// Parallel assets: swap FLUX out to and in from the 10 other chains, with the committee's
    /// attestations.
    #[command(subcommand)]
    Swap(SwapCommand),
    /// The supply: native, locked and issued per chain, the reserve left under the cap, the cap.
    Supply(SupplyArgs),
    /// Send FLUX from a key file's account through a node.
    Send(SendArgs),
    /// An account's balance and next nonce, from a node.
    Balance(BalanceArgs),
    /// A transaction, finalised or pending, from a node.
    Tx(TxArgs),
    /// A block (header, transaction ids, commit certificate), from a node.
    Block(BlockArgs),
    /// Send signed transfers to a node at a steady rate; report acceptance, finality and
    /// time to finality (p50/p90/p99/max).
    BenchTx(BenchTxArgs),
    /// Workload placement.
    #[command(subcommand)]
    Placement(PlacementCommand),
    /// Run a local devnet: `fluxd` validators on loopback (node i's API on
    /// 127.0.0.(i+1):(api-port + i)); with Docker, hosts a sample app; prints finalised blocks;
    /// Ctrl-C stops it (and removes its containers); run again to resume.
    Devnet(DevnetArgs),
    /// Simulate a FluxNode network through the real state transition; write report.json.
    Sim(SimArgs),
    /// The devnet's sample app (an HTTP server; env PORT, MESSAGE, INSTANCE): what its
    /// container runs.
    #[command(hide = true)]
    SampleApp,
}

/// `flux devnet` options.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// Validators to create (a resumed devnet keeps its own).
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Where the devnet lives.
    #[arg(long, default_value = "./devnet")]
    pub dir: PathBuf,
    /// API port of node 0 (node i listens on api-port + i, p2p on api-port + 1000 + i; 0: every
    /// port chosen by the OS, written to the node's fluxd.addrs).
    #[arg(long, default_value_t = 18080)]
    pub api_port: u16,
    /// Gateway port of node 0 when a Docker Engine hosts the sample app (node i's on
    /// gateway-port + i, on 127.0.0.1; default api-port + 2000, or OS-chosen with api-port 0).
    #[arg(long)]
    pub gateway_port: Option<u16>,
}

/// `flux placement ...`
#[derive(Debug, Subcommand)]
pub enum PlacementCommand {
    /// Place the apps of a synthetic network (Flux-like tiers, countries and /16 networks),
    /// fail some nodes, and report times, utilisation per tier and unplaced instances.
    Simulate {
        /// Nodes in the network.
        #[arg(long, default_value_t = 13_500)]
        nodes: u32,
        /// Apps to place.
        #[arg(long, default_value_t = 20_000)]
        apps: u32,
        /// Seed (any text): the same seed gives the same network, apps and placement.
        #[arg(long, default_value = "flux")]
        seed: String,
        /// Nodes to fail after placing.
        #[arg(long, default_value_t = 0)]
        fail_nodes: u32,
    },
}

/// `flux app ...`
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an app specification on chain through a node, paying the chain's price.
    Deploy(AppDeployArgs),
    /// An app's registration and how each instance runs, asking each hosting node.
    Status(AppStatusArgs),
    /// The logs of an instance's container, from its hosting node (the owner's key signs).
    Logs(AppLogsArgs),
    /// Replace an app's specification (AppUpdate), paying at most the quoted figure.
    Update(AppUpdateArgs),
    /// Stop an app (AppCancel): the rest of its escrow returns to the owner.
    Cancel(AppCancelArgs),
    /// Check an app specification: a v8 registration with every limit (or, with --lenient,
    /// FluxOS's stored form of any version). Exit status 1 when it is not valid.
    Validate {
        /// The specification (JSON).
        #[arg(value_name = "FILE.json")]
        file: PathBuf,
        /// Read FluxOS's stored form (any version, DB fields, string ports); limits are reported,
        /// not enforced.
        #[arg(long)]
        lenient: bool,
        /// The network preset whose limits apply.
        #[command(flatten)]
        network: NetworkArg,
    },
    /// Price an app specification (exact, in FLUX) for its `expire` or for --blocks.
    Price {
        /// The specification (JSON).
        #[arg(value_name = "FILE.json")]
        file: PathBuf,
        /// Price this many blocks instead of the spec's `expire`.
        #[arg(long, value_name = "N")]
        blocks: Option<u64>,
        /// Read FluxOS's stored form (any version; tiered v4–v7 components price at their tier
        /// average) instead of a v8 registration.
        #[arg(long)]
        lenient: bool,
        /// The network preset whose price list applies.
        #[command(flatten)]
        network: NetworkArg,
    },
}

/// `flux node ...`
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Register a node through a node's API: bond the tier's collateral from the owner's key.
    Start(NodeStartArgs),
    /// Confirm a node with attested benchmark evidence, signed by its operator key.
    Confirm(NodeConfirmArgs),
    /// Start a node's exit, signed by its owner (the collateral returns after unbonding).
    Exit(NodeExitArgs),
    /// List the nodes registered on the chain a node follows, in payout order per tier.
    List(NodeListArgs),
}

/// Declares a clap value enum mirroring a library enum variant for variant, and its
/// conversion into it (the libraries do not depend on clap).
macro_rules! value_enum {
    ($(#[$doc:meta])* $name:ident => $target:ty { $($(#[$vdoc:meta])* $variant:ident,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl From<$name> for $target {
            fn from(v: $name) -> $target {
                match v {
                    $($name::$variant => <$target>::$variant,)+
                }
            }
        }
    };
}
pub(crate) use value_enum;

value_enum! {
    /// A node tier on the command line.
    TierArg => flux_core::Tier {
        /// Cumulus.
        Cumulus,
        /// Nimbus.
        Nimbus,
        /// Stratus.
        Stratus,
    }
}

/// `flux bench ...`
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The network preset whose tier minima to check.
    #[command(flatten)]
    pub network: NetworkArg,
    /// Directory whose filesystem to measure (free space, write speed); default: the system
    /// temporary directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// MiB the disk write test writes (and fsyncs).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub disk_mb: u64,
    /// Declared bandwidth in Mbit/s (not measured locally: peers measure it).
    #[arg(long, value_name = "MBPS")]
    pub bandwidth: Option<u32>,
}

/// `flux tokenomics ...`
#[derive(Debug, Args)]
pub struct TokenomicsArgs {
    /// The network preset whose schedule to use.
    #[command(flatten)]
    pub network: NetworkArg,
    /// Block height to report (0 is genesis, which mints nothing).
    #[arg(long, default_value_t = 1)]
    pub height: u64,
    /// Also write an SVG chart of supply and yearly split to this file.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
    /// Years the chart covers.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub years: u64,
}

/// `flux keys ...`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a new secret key and write it to a key file (mode 0600).
    New {
        /// Signature scheme of the new key.
        #[arg(long, value_enum, default_value_t = SchemeArg::Ed25519)]
        scheme: SchemeArg,
        /// Where to write the key file.
        #[arg(long, default_value = "flux.key")]
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
        /// The network whose address prefix to print.
        #[command(flatten)]
        network: NetworkArg,
    },
    /// Print the address and public key of a key file.
    Show {
        /// The key file.
        file: PathBuf,
        /// Also print the secret key.
        #[arg(long)]
        secret: bool,
        /// The network whose address prefix to print.
        #[command(flatten)]
        network: NetworkArg,
    },
}

/// `--network`, shared by commands whose output depends on the network.
#[derive(Debug, Clone, Copy, Args)]
pub struct NetworkArg {
    /// Network preset (address prefix, parameters).
    #[arg(long, value_enum, default_value_t = NetworkChoice::Mainnet)]
    pub network: NetworkChoice,
}

value_enum! {
    /// A network preset on the command line.
    NetworkChoice => Network {
        /// Mainnet.
        Mainnet,
        /// Testnet.
        Testnet,
        /// Local devnet.
        Devnet,
    }
}

value_enum! {
    /// A signature scheme on the command line.
    SchemeArg => Scheme {
        /// Ed25519.
        Ed25519,
        /// secp256k1 ECDSA.
        Secp256k1,
    }
}

mod api;
mod app;
mod gov;
mod job;
mod sim;
mod swap;

pub use api::{
    AppDeployArgs, AppStatusArgs, BalanceArgs, BenchTxArgs, BlockArgs, DEFAULT_NODE_URL,
    NodeConfirmArgs, NodeExitArgs, NodeListArgs, NodeStartArgs, NodeUrl, SendArgs, TxArgs,
    TxOptions, parse_block_ref,
};
pub use app::{AppCancelArgs, AppLogsArgs, AppUpdateArgs, HostingNodes, parse_node_api};
pub use gov::{ChoiceArg, GovCommand, GovProposeArgs, GovVoteArgs};
pub use job::{
    ExampleJob, JobCommand, JobExampleArgs, JobListArgs, JobResultArgs, JobStatusArgs,
    JobSubmitArgs,
};
pub use sim::SimArgs;
pub use swap::{SupplyArgs, SwapBurnArgs, SwapCommand, SwapInArgs, SwapOutArgs, SwapStatusArgs};
