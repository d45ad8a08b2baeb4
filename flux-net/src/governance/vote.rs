//! Votes: one per node the key owns in the proposal's snapshot that may still vote, by the
//! chain's rule ([`VoteStanding::check`]).

use std::collections::BTreeSet;
use std::time::Duration;

use flux_chain::error::TxError;
use flux_chain::gov::{Choice, ProposalStatus, VoteStanding, voting_open};
use flux_chain::tx::{GovVote, TxId, TxKind};
use flux_core::crypto::SecretKey;
use flux_core::{Address, Amount, Network};
use flux_nodes::NodeId;
use flux_nodes::lifecycle::NodeStatus;
use serde::Serialize;

use super::GovError;
use crate::api::client::{Client, ClientError};
use crate::api::views::ProposalDetailView;

/// One vote sent.
#[derive(Clone, Debug, Serialize)]
pub struct VoteSent {
    /// The node it is for.
    pub node: NodeId,
    /// Its weight in the snapshot.
    pub weight: u64,
    /// The transaction.
    pub id: TxId,
    /// Its nonce.
    pub nonce: u64,
    /// The height it was finalised at, when waited for.
    pub finalized_at: Option<u64>,
}

/// A node of the key's that does not vote, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// The node.
    pub node: NodeId,
    /// Why (`already voted`, `no longer confirmed`, ...).
    pub reason: String,
}

/// Who votes on an open proposal for a key: its nodes that may, with their weights, and the
/// others with why not.
#[derive(Clone, Debug)]
pub struct VotePlan {
    /// The proposal as the node sees it.
    pub detail: ProposalDetailView,
    /// The nodes that vote, with their weights.
    pub ready: Vec<(NodeId, u64)>,
    /// The key's other nodes in the snapshot.
    pub skipped: Vec<Skipped>,
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

impl Client {
    /// Who votes on proposal `id` for `key`'s account: refused when the proposal is closed
    /// (or its vote ends before the next block) or no node of the key's may vote.
    pub async fn vote_plan(&self, key: &SecretKey, id: u64) -> Result<VotePlan, GovError> {
        let network = self.status().await?.network;
        let detail = self.proposal(id).await?.ok_or(GovError::NoProposal(id))?;
        let p = &detail.proposal;
        if p.status != ProposalStatus::Voting {
            let status = format!("{:?}", p.status);
            return Err(GovError::VotingClosed { id, status });
        }
        // The vote goes into the next block at the earliest.
        if !voting_open(p.status, p.end, detail.height.saturating_add(1)) {
            let status = format!("voting ended at block {}, being tallied", p.end);
            return Err(GovError::VotingClosed { id, status });
        }
        let address = Address::from_public_key(&key.public_key());
        let nodes = self.nodes(None).await?.nodes.into_iter();
        let confirmed: BTreeSet<NodeId> = nodes
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
            let owner = address.to_bech32(network);
            return Err(GovError::NoVote { id, owner, reason });
        }
        Ok(VotePlan {
            detail,
            ready,
            skipped,
        })
    }

    /// Sends one `GovVote` of `choice` per node of `plan` (fee `fee` each), then, with `wait`,
    /// waits up to that long for each to be finalised. Returns the sender (bech32m) and the
    /// votes.
    pub async fn send_votes(
        &self,
        key: &SecretKey,
        plan: &VotePlan,
        choice: Choice,
        fee: Amount,
        wait: Option<Duration>,
    ) -> Result<(String, Vec<VoteSent>), ClientError> {
        let proposal = plan.detail.proposal.id;
        let mut sender = String::new();
        let mut sent = Vec::new();
        for &(node, weight) in &plan.ready {
            let kind = TxKind::GovVote(GovVote {
                proposal,
                node,
                choice,
            });
            let s = self.sign_and_submit(key, fee, kind).await?;
            sender.clone_from(&s.sender);
            sent.push((s, node, weight));
        }
        let mut votes = Vec::new();
        for (s, node, weight) in sent {
            let finalized_at = match wait {
                Some(timeout) => self.wait_finalized(&s.id, timeout).await?.height,
                None => None,
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
}
