//! `flux params`: the protocol numbers of a network preset.

use std::io::Write;

use flux_core::{ChainParams, Network, Tier};

use crate::error::CliError;
use crate::output::Output;

/// Prints the preset of `network`: all of it as JSON, the main numbers as text.
pub fn run<W: Write>(out: &mut Output<W>, network: Network) -> Result<(), CliError> {
    let p = ChainParams::for_network(network);
    let s = &p.supply;
    let mut rows = vec![
        ("network", p.network.to_string()),
        ("chain id", p.chain_id.to_string()),
        ("block time", format!("{} ms", p.block_time_ms)),
        ("max supply", format!("{} FLUX", s.max_supply)),
        (
            "initial subsidy",
            format!("{} FLUX per block", s.initial_subsidy),
        ),
        (
            "reduction",
            format!(
                "x{}/{} every {} blocks",
                s.reduction.num, s.reduction.den, s.reduction_interval
            ),
        ),
        (
            "node operators",
            format!(
                "{}/{} of the subsidy, by tier {:?} %",
                p.rewards.node_share.num, p.rewards.node_share.den, p.rewards.tier_percent
            ),
        ),
        (
            "dev fund",
            format!(
                "{}/{} of the subsidy",
                p.rewards.dev_fund.num, p.rewards.dev_fund.den
            ),
        ),
    ];
    let tiers: Vec<(String, String)> = Tier::ALL
        .iter()
        .map(|&t| {
            let tp = p.tiers.get(t);
            let m = &tp.minimum;
            (
                format!("{t} collateral"),
                format!(
                    "{} FLUX; {} cores / {} threads, {} MB RAM, {} GB SSD, {} Mbit/s",
                    tp.collateral,
                    tp.cpu_cores,
                    m.cpu_threads,
                    m.ram_mb,
                    m.ssd_gb,
                    m.bandwidth_mbps
                ),
            )
        })
        .collect();
    rows.extend(tiers.iter().map(|(k, v)| (k.as_str(), v.clone())));
    rows.extend([
        (
            "committee",
            format!(
                "{} validators, epoch {} blocks",
                p.consensus.committee_size, p.consensus.epoch_length
            ),
        ),
        (
            "node timing",
            format!(
                "confirm within {}, keep-alive every {} (not within {}), DoS {}, unbond {} blocks",
                p.nodes.confirm_window,
                p.nodes.expire_after,
                p.nodes.min_confirm_interval,
                p.nodes.dos_duration,
                p.nodes.unbonding_period
            ),
        ),
        (
            "governance",
            format!(
                "deposit {} FLUX, voting {} blocks, turnout > {}/{}",
                p.governance.proposal_deposit,
                p.governance.voting_period,
                p.governance.min_turnout.num,
                p.governance.min_turnout.den
            ),
        ),
    ]);
    out.emit(&p, &Output::<W>::table(&rows))
}
