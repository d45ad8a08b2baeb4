//! `flux gov list` and `flux gov show`: xDAO proposals of a chain's data directory.
//! (Proposing and voting send transactions to a node: they come with the node API.)

use std::io::Write;
use std::path::Path;

use flux_chain::chain::Chain;
use flux_chain::gov::Proposal;
use flux_chain::store::RedbStore;
use serde::Serialize;

use crate::commands::node::CHAIN_FILE;
use crate::error::CliError;
use crate::output::Output;

fn open(data_dir: &Path) -> Result<Chain<RedbStore>, CliError> {
    let path = data_dir.join(CHAIN_FILE);
    if !path.is_file() {
        return Err(CliError::NoChain(data_dir.to_owned()));
    }
    let store = RedbStore::open(&path).map_err(flux_chain::error::ChainError::from)?;
    Chain::open(store)?.ok_or_else(|| CliError::NoChain(data_dir.to_owned()))
}

fn line(p: &Proposal) -> String {
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

/// Lists every proposal.
pub fn list<W: Write>(out: &mut Output<W>, data_dir: &Path) -> Result<(), CliError> {
    let chain = open(data_dir)?;
    let proposals: Vec<&Proposal> = chain.state().gov().proposals.values().collect();
    let mut text = format!(
        "{} proposals at height {}\n",
        proposals.len(),
        chain.height()
    );
    for p in &proposals {
        text.push_str(&line(p));
    }
    out.emit(&proposals, &text)
}

#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    proposal: &'a Proposal,
    /// Votes cast: node id → choice.
    votes: Vec<(String, flux_chain::gov::Choice)>,
}

/// Shows one proposal with its votes.
pub fn show<W: Write>(out: &mut Output<W>, data_dir: &Path, id: u64) -> Result<(), CliError> {
    let chain = open(data_dir)?;
    let gov = chain.state().gov();
    let proposal = gov.proposals.get(&id).ok_or(CliError::NoProposal(id))?;
    let votes: Vec<(String, flux_chain::gov::Choice)> = gov
        .votes
        .range((id, flux_nodes::NodeId::default())..)
        .take_while(|((p, _), _)| *p == id)
        .map(|((_, node), c)| (node.to_string(), *c))
        .collect();
    let mut text = line(proposal);
    text.push_str(&format!("action: {:?}\n", proposal.action));
    for (node, choice) in &votes {
        text.push_str(&format!("  {node} {choice:?}\n"));
    }
    out.emit(&Shown { proposal, votes }, &text)
}
