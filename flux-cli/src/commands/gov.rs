//! `flux gov ...`: xDAO proposals and votes sent through a node's API, and proposals read from
//! it (`GET /v1/gov/proposals[/{id}]`; a running node holds its database, so nothing here
//! opens one).
//!
//! Arguments are checked before anything is sent ([`flux_net::governance`]: a parameter's name
//! and bounds, the grant's address and amount, the upgrade's height, the title, the proposer's
//! balance against the deposit, and each vote against the proposal's snapshot).

use std::io::Write;
use std::time::Duration;

use flux_chain::gov::Choice;
use flux_chain::tx::TxKind;
use flux_core::{Amount, Hash};
use flux_net::api::keyfile;
use flux_net::api::views::{ActionView, ProposalView};
use flux_net::governance::{self, ActionDraft, GovError, Skipped, VoteSent};
use serde::Serialize;

use super::send::{block_on, client, print_sent, submit};
use crate::cli::{GovProposeArgs, GovVoteArgs, NodeUrl};
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
    let detail = block_on(client(&node.url)?.proposal(id))??.ok_or(GovError::NoProposal(id))?;
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

/// `flux gov propose`: checks the action against the chain's parameters and the proposer's
/// balance against the deposit, then sends the proposal (and with `--wait`, prints its number).
pub fn propose<W: Write>(out: &mut Output<W>, args: &GovProposeArgs) -> Result<(), CliError> {
    governance::check_title(&args.title)?;
    let text_hash = match &args.text_file {
        Some(path) => Hash::digest(&crate::error::read_file(path)?),
        None => Hash::digest(args.title.as_bytes()),
    };
    let (param, grant) = (args.param.as_deref(), args.grant.as_deref());
    let draft = ActionDraft::parse(param, grant, args.upgrade.as_deref())?;
    let key = keyfile::read(&args.key)?;
    let client = client(&args.node.url)?;
    let (sent, finalized, checked) = block_on(async {
        let fee = args.tx.fee;
        let checked = client
            .checked_proposal(&key, &args.title, text_hash, draft, fee)
            .await?;
        let kind = TxKind::GovPropose(checked.proposal.clone());
        let (sent, finalized) = submit(&client, &key, &args.tx, kind).await?;
        Ok::<_, CliError>((sent, finalized, checked))
    })??;
    let proposal = finalized.as_ref().and_then(governance::proposed_id);
    #[derive(Serialize)]
    struct Details<'a> {
        proposal: Option<u64>,
        title: &'a str,
        text_hash: Hash,
        action: ActionView,
        deposit: Amount,
    }
    let action = ActionView::new(&checked.proposal.action, checked.network);
    let number = proposal.map_or("(its number is known once finalised)".to_owned(), |id| {
        format!("#{id}")
    });
    let rows = vec![
        ("proposal", number),
        ("title", args.title.clone()),
        ("action", action.to_string()),
        ("deposit", format!("{} FLUX", checked.deposit)),
        ("text_hash", text_hash.to_string()),
    ];
    let details = Details {
        proposal,
        title: &args.title,
        text_hash,
        action,
        deposit: checked.deposit,
    };
    print_sent(out, "GovPropose", &sent, finalized, details, rows)
}

/// `flux gov vote`'s report.
#[derive(Serialize)]
struct VoteReport {
    kind: &'static str,
    proposal: u64,
    choice: Choice,
    sender: String,
    weight: u64,
    votes: Vec<VoteSent>,
    skipped: Vec<Skipped>,
}

/// `flux gov vote ID CHOICE`: one vote for each node the key owns in the proposal's snapshot
/// that is still confirmed and has not voted (votes are final).
pub fn vote<W: Write>(out: &mut Output<W>, args: &GovVoteArgs) -> Result<(), CliError> {
    let key = keyfile::read(&args.key)?;
    let choice: Choice = args.choice.into();
    let client = client(&args.node.url)?;
    let wait = args.tx.wait.then(|| Duration::from_secs(args.tx.timeout));
    let (plan, sender, votes) = block_on(async {
        let plan = client.vote_plan(&key, args.id).await?;
        let (sender, votes) = client
            .send_votes(&key, &plan, choice, args.tx.fee, wait)
            .await?;
        Ok::<_, CliError>((plan, sender, votes))
    })??;
    let weight = votes.iter().map(|v| v.weight).sum::<u64>();
    let p = &plan.detail.proposal;
    let mut text = format!(
        "GovVote sent: proposal #{} ({}), {choice:?} for {} node(s), weight {weight} of {}\n",
        p.id,
        p.title,
        votes.len(),
        p.total_weight
    );
    for v in &votes {
        let state = v
            .finalized_at
            .map_or("pending".to_owned(), |h| format!("finalised at height {h}"));
        text.push_str(&format!(
            "  node {} weight {:>5}  tx {} ({state})\n",
            v.node, v.weight, v.id
        ));
    }
    for s in &plan.skipped {
        text.push_str(&format!("  node {} skipped: {}\n", s.node, s.reason));
    }
    let report = VoteReport {
        kind: "GovVote",
        proposal: args.id,
        choice,
        sender,
        weight,
        votes,
        skipped: plan.skipped,
    };
    out.emit(&report, &text)
}
