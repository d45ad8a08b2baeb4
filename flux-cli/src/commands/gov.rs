//! `flux gov ...`: xDAO proposals and votes sent through a node's API, and proposals read from
//! it (`GET /v1/gov/proposals[/{id}]`; a running node holds its database, so nothing here
//! opens one).
//!
//! Arguments are checked before anything is sent (the chain would otherwise drop a transaction
//! whose action it refuses when building a block, and it would stay pending): a parameter's
//! name and bounds, the grant's address and amount, the upgrade's height, the title, the
//! proposer's balance against the deposit, and each vote against the proposal's snapshot.

mod propose;
mod vote;

use std::io::Write;

use flux_net::api::views::ProposalView;

pub use propose::{parse_grant, parse_param_change, parse_upgrade, propose};
pub use vote::vote;

use super::send::{block_on, client};
use crate::cli::NodeUrl;
use crate::error::CliError;
use crate::output::Output;

fn line(p: &ProposalView) -> String {
    format!(
        "#{:<4} {:<9} yes {:>6} no {:>6} abstain {:>6} of {:>7}  blocks {}..{}  {}\n",
        p.id,
        format!("{:?}", p.status),
        p.yes,
        p.no,
        p.abstain,
        p.total_weight,
        p.start,
        p.end,
        p.title
    )
}

/// Turnout as a percentage with one decimal, in integers.
fn turnout(p: &ProposalView) -> String {
    if p.total_weight == 0 {
        return "no weight".to_owned();
    }
    let permille = u128::from(p.cast()) * 1_000 / u128::from(p.total_weight);
    format!("{}.{}%", permille / 10, permille % 10)
}

/// `flux gov list`: every proposal, newest first.
pub fn list<W: Write>(out: &mut Output<W>, node: &NodeUrl) -> Result<(), CliError> {
    let view = block_on(client(&node.url)?.proposals())??;
    let mut text = format!(
        "{} proposals at height {}\n",
        view.proposals.len(),
        view.height
    );
    for p in &view.proposals {
        text.push_str(&line(p));
    }
    out.emit(&view, &text)
}

/// `flux gov show ID`: one proposal, its votes and (while open) its voters.
pub fn show<W: Write>(out: &mut Output<W>, id: u64, node: &NodeUrl) -> Result<(), CliError> {
    let detail = block_on(client(&node.url)?.proposal(id))??.ok_or(CliError::NoProposal(id))?;
    let p = &detail.proposal;
    let rows = vec![
        ("proposal", format!("#{} {}", p.id, p.title)),
        ("status", format!("{:?}", p.status)),
        ("action", p.action.to_string()),
        ("proposer", p.proposer.clone()),
        ("deposit", format!("{} FLUX", p.deposit)),
        (
            "voting",
            format!("blocks {}..={} (now at {})", p.start, p.end, detail.height),
        ),
        (
            "tally",
            format!(
                "yes {} no {} abstain {} of {} (turnout {})",
                p.yes,
                p.no,
                p.abstain,
                p.total_weight,
                turnout(p)
            ),
        ),
        ("text_hash", p.text_hash.to_string()),
    ];
    let mut text = Output::<W>::table(&rows);
    text.push_str(&format!("votes ({}):\n", detail.votes.len()));
    for v in &detail.votes {
        text.push_str(&format!("  {} {:?}\n", v.node, v.choice));
    }
    if !detail.voters.is_empty() {
        text.push_str(&format!("voters ({}):\n", detail.voters.len()));
        for v in &detail.voters {
            text.push_str(&format!(
                "  {} weight {:>5} owner {}\n",
                v.node, v.weight, v.owner
            ));
        }
    }
    out.emit(&detail, &text)
}
