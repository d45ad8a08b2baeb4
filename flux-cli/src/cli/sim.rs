//! `flux sim` arguments.

use std::path::PathBuf;

use clap::Args;

/// `flux sim` options.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Nodes confirmed at genesis.
    #[arg(long, default_value_t = 500)]
    pub nodes: u32,
    /// Blocks to simulate (1,051,200 is a year of 30 s blocks).
    #[arg(long, default_value_t = 2_880)]
    pub blocks: u64,
    /// Scenario file (TOML); the built-in baseline if absent.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Seed of the keys, the network and the activity.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where to write report.json, report.md and the SVG charts.
    #[arg(long, default_value = "./sim")]
    pub out: PathBuf,
    /// Abstract consensus away: a committee that always commits, blocks applied once, signatures
    /// assumed valid (every other rule runs). Without it, the real consensus of a committee of
    /// the first nodes runs over the deterministic simulated network (slower: for small runs).
    #[arg(long)]
    pub fast: bool,
}
