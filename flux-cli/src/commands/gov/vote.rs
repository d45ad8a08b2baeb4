//! `flux gov vote`: one vote per node the key owns that may still vote on the proposal.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

use flux_chain::error::TxError;
use flux_chain::gov::{Choice, ProposalStatus, VoteStanding, voting_open};
use flux_chain::tx::{GovVote, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{Address, Network};
use flux_net::api::client::Client;
use flux_net::api::views::ProposalDetailView;
use flux_nodes::NodeId;
use flux_nodes::lifecycle::NodeStatus;
use serde::Serialize;

use crate::cli::{GovVoteArgs, TxOptions};
use crate::commands::send::{block_on, client};
use crate::error::CliError;
use crate::output::Output;
use flux_net::api::keyfile;

/// One vote sent, in `flux gov vote`'s report.
#[derive(Serialize)]
struct VoteSent {
    node: NodeId,
    weight: u64,
    id: flux_chain::tx::TxId,
    nonce: u64,
    finalized_at: Option<u64>,
}

/// A node of the key's that did not vote, and why.
#[derive(Serialize)]
struct Skipped {
    node: NodeId,
    reason: String,
}

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

/// The key's nodes that may vote on `detail` in the next block, by the chain's rule
/// ([`VoteStanding::check`]), with their weights, and those that may not, with why.
fn eligible(
    detail: &ProposalDetailView,
    owner: Address,
    network: Network,
    confirmed: &BTreeSet<NodeId>,
) -> (Vec<(NodeId, u64)>, Vec<Skipped>) {
    let voted: BTreeSet<NodeId> = detail.votes.iter().map(|v| v.node).collect();
    let bech32 = owner.to_bech32(network);
    let mut ready = Vec::new();
    let mut skipped = Vec::new();
    for v in detail.voters.iter().filter(|v| v.owner == bech32) {
        let standing = VoteStanding {
            entry: Some((owner, v.weight)),
            confirmed: confirmed.contains(&v.node),
            voted: voted.contains(&v.node),
        };
        match standing.check(detail.proposal.id, v.node, owner) {
            Ok(weight) => ready.push((v.node, weight)),
            Err(refused) => skipped.push(Skipped {
                node: v.node,
                reason: match refused {
                    TxError::AlreadyVoted { .. } => "already voted".to_owned(),
                    TxError::NodeNotConfirmed(_) => "no longer confirmed".to_owned(),
                    other => other.to_string(),
                },
            }),
        }
    }
    (ready, skipped)
}

/// Sends one `GovVote` per node in `ready`, then waits for them if asked.
async fn send_votes(
    client: &Client,
    key: &SecretKey,
    proposal: u64,
    choice: Choice,
    ready: &[(NodeId, u64)],
    options: &TxOptions,
) -> Result<(String, Vec<VoteSent>), CliError> {
    let mut sender = String::new();
    let mut sent = Vec::new();
    for (node, weight) in ready {
        let kind = TxKind::GovVote(GovVote {
            proposal,
            node: *node,
            choice,
        });
        let s = client.sign_and_submit(key, options.fee, kind).await?;
        sender.clone_from(&s.sender);
        sent.push((s, *node, *weight));
    }
    let mut votes = Vec::new();
    for (s, node, weight) in sent {
        let finalized_at = if options.wait {
            let view = client
                .wait_finalized(&s.id, Duration::from_secs(options.timeout))
                .await?;
            view.height
        } else {
            None
        };
        votes.push(VoteSent {
            node,
            weight,
            id: s.id,
            nonce: s.nonce,
            finalized_at,
        });
    }
    Ok((sender, votes))
}

/// `flux gov vote ID CHOICE`: one vote for each node the key owns in the proposal's snapshot
/// that is still confirmed and has not voted (votes are final).
pub fn vote<W: Write>(out: &mut Output<W>, args: &GovVoteArgs) -> Result<(), CliError> {
    let key = keyfile::read(&args.key)?;
    let choice: Choice = args.choice.into();
    let client = client(&args.node.url)?;
    let (detail, sender, votes, skipped) = block_on(async {
        let network = client.status().await?.network;
        let detail = client
            .proposal(args.id)
            .await?
            .ok_or(CliError::NoProposal(args.id))?;
        let p = &detail.proposal;
        if p.status != ProposalStatus::Voting {
            return Err(CliError::VotingClosed {
                id: args.id,
                status: format!("{:?}", p.status),
            });
        }
        // The vote goes into the next block at the earliest.
        if !voting_open(p.status, p.end, detail.height.saturating_add(1)) {
            return Err(CliError::VotingClosed {
                id: args.id,
                status: format!("voting ended at block {}, being tallied", p.end),
            });
        }
        let address = Address::from_public_key(&key.public_key());
        let confirmed: BTreeSet<NodeId> = client
            .nodes(None)
            .await?
            .nodes
            .into_iter()
            .filter(|n| n.status == NodeStatus::Confirmed)
            .map(|n| n.id)
            .collect();
        let (ready, skipped) = eligible(&detail, address, network, &confirmed);
        if ready.is_empty() {
            let reason = if skipped.is_empty() {
                "it owned no confirmed node when the proposal was made".to_owned()
            } else {
                let reasons: Vec<String> = skipped
                    .iter()
                    .map(|s| format!("node {} {}", s.node, s.reason))
                    .collect();
                reasons.join("; ")
            };
            return Err(CliError::NoVote {
                id: args.id,
                owner: address.to_bech32(network),
                reason,
            });
        }
        let (sender, votes) = send_votes(&client, &key, args.id, choice, &ready, &args.tx).await?;
        Ok::<_, CliError>((detail, sender, votes, skipped))
    })??;
    let weight = votes.iter().map(|v| v.weight).sum::<u64>();
    let mut text = format!(
        "GovVote sent: proposal #{} ({}), {choice:?} for {} node(s), weight {weight} of {}\n",
        detail.proposal.id,
        detail.proposal.title,
        votes.len(),
        detail.proposal.total_weight
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
    for s in &skipped {
        text.push_str(&format!("  node {} skipped: {}\n", s.node, s.reason));
    }
    let report = VoteReport {
        kind: "GovVote",
        proposal: args.id,
        choice,
        sender,
        weight,
        votes,
        skipped,
    };
    out.emit(&report, &text)
}
