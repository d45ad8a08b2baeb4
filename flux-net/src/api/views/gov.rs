//! The governance views: `GET /v1/gov/proposals`, `GET /v1/gov/proposals/{id}` and
//! `GET /v1/params/{name}/history`.
//!
//! They are built from chain state by pure constructors ([`ProposalsView::from_governance`],
//! [`ProposalDetailView::from_governance`]) that the CLI also uses to show a data directory's
//! proposals exactly as a node's API would.

use core::fmt;

use flux_chain::gov::{Action, Choice, Governance, Proposal, ProposalStatus};
use flux_core::params::GovernableParam;
use flux_core::{Amount, Hash, Network};
use flux_nodes::NodeId;
use serde::{Deserialize, Serialize};

/// What a proposal does if it passes. Parameters are named as on the command line
/// (`app.cpu_price`, see [`GovernableParam::name`]); their values are integers in the
/// parameter's unit (base units for amounts, blocks for intervals, permille for fractions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionView {
    /// Set a governable parameter.
    ParamChange {
        /// Its name, e.g. `app.cpu_price`.
        param: String,
        /// The new value.
        value: u64,
    },
    /// Pay from the development fund.
    Grant {
        /// The recipient (bech32m).
        to: String,
        /// How much.
        amount: Amount,
    },
    /// Signal an upgrade at a height.
    Upgrade {
        /// The upgrade's name.
        name: String,
        /// The height it is for.
        height: u64,
    },
}

impl ActionView {
    /// The view of `action`, addresses with `network`'s prefix.
    ///
    /// ```
    /// use flux_chain::gov::Action;
    /// use flux_core::Network;
    /// use flux_core::params::GovernableParam;
    /// use flux_net::api::views::ActionView;
    ///
    /// let action = Action::ParamChange { param: GovernableParam::AppCpuPrice, value: 5_000_000 };
    /// let view = ActionView::new(&action, Network::Devnet);
    /// assert_eq!(view.to_string(), "set app.cpu_price to 5000000");
    /// ```
    pub fn new(action: &Action, network: Network) -> ActionView {
        match action {
            Action::ParamChange { param, value } => ActionView::ParamChange {
                param: param.name().to_owned(),
                value: *value,
            },
            Action::Grant { to, amount } => ActionView::Grant {
                to: to.to_bech32(network),
                amount: *amount,
            },
            Action::Upgrade { name, height } => ActionView::Upgrade {
                name: name.clone(),
                height: *height,
            },
        }
    }
}

impl fmt::Display for ActionView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionView::ParamChange { param, value } => write!(f, "set {param} to {value}"),
            ActionView::Grant { to, amount } => {
                write!(f, "grant {amount} FLUX from the dev fund to {to}")
            }
            ActionView::Upgrade { name, height } => {
                write!(f, "signal upgrade {name:?} at height {height}")
            }
        }
    }
}

/// A proposal and its tally, in `GET /v1/gov/proposals` and `GET /v1/gov/proposals/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalView {
    /// Its number.
    pub id: u64,
    /// Who made it (bech32m).
    pub proposer: String,
    /// Title.
    pub title: String,
    /// Hash of the full text.
    pub text_hash: Hash,
    /// What it does if it passes.
    pub action: ActionView,
    /// The deposit held (returned if turnout is reached, else sent to the dev fund).
    pub deposit: Amount,
    /// Height it was made (the weight snapshot's height).
    pub start: u64,
    /// Height at which it is tallied; a passing action executes in that block and takes
    /// effect from the next.
    pub end: u64,
    /// `Voting`, `Passed` (and executed), `Rejected`, `NoQuorum` or `Failed` (passed, but the
    /// action could not execute).
    pub status: ProposalStatus,
    /// Hash of the weight snapshot.
    pub snapshot_root: Hash,
    /// Total weight in the snapshot (1 per 1,000 FLUX of collateral, in units of 100 FLUX).
    pub total_weight: u64,
    /// Weight voting yes.
    pub yes: u64,
    /// Weight voting no.
    pub no: u64,
    /// Weight abstaining (counts for turnout only).
    pub abstain: u64,
}

impl ProposalView {
    /// The view of `p`, addresses with `network`'s prefix.
    pub fn new(p: &Proposal, network: Network) -> ProposalView {
        ProposalView {
            id: p.id,
            proposer: p.proposer.to_bech32(network),
            title: p.title.clone(),
            text_hash: p.text_hash,
            action: ActionView::new(&p.action, network),
            deposit: p.deposit,
            start: p.start,
            end: p.end,
            status: p.status,
            snapshot_root: p.snapshot_root,
            total_weight: p.total_weight,
            yes: p.yes,
            no: p.no,
            abstain: p.abstain,
        }
    }

    /// Weight cast so far (yes, no and abstain).
    pub fn cast(&self) -> u64 {
        self.yes
            .saturating_add(self.no)
            .saturating_add(self.abstain)
    }
}

/// `GET /v1/gov/proposals`: every proposal, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalsView {
    /// The height this is true at.
    pub height: u64,
    /// The proposals, newest (highest number) first.
    pub proposals: Vec<ProposalView>,
}

impl ProposalsView {
    /// Every proposal of `gov`, newest first, as of `height`.
    pub fn from_governance(gov: &Governance, height: u64, network: Network) -> ProposalsView {
        ProposalsView {
            height,
            proposals: gov
                .proposals
                .values()
                .rev()
                .map(|p| ProposalView::new(p, network))
                .collect(),
        }
    }
}

/// A vote cast, in [`ProposalDetailView::votes`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteView {
    /// The node that voted.
    pub node: NodeId,
    /// How.
    pub choice: Choice,
}

/// A node that may vote, in [`ProposalDetailView::voters`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoterView {
    /// The node.
    pub node: NodeId,
    /// Its owner at the snapshot (bech32m): the only account whose vote for it counts.
    pub owner: String,
    /// Its weight.
    pub weight: u64,
}

/// `GET /v1/gov/proposals/{id}`: a proposal, its votes and (while voting) who may vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalDetailView {
    /// The height this is true at.
    pub height: u64,
    /// The proposal and its tally.
    #[serde(flatten)]
    pub proposal: ProposalView,
    /// The votes cast, by node id.
    pub votes: Vec<VoteView>,
    /// The weight snapshot while the vote is open, by node id: each node may vote once, by its
    /// owner, while it is still confirmed. Empty once tallied (the chain drops the snapshot).
    pub voters: Vec<VoterView>,
}

impl ProposalDetailView {
    /// Proposal `id` of `gov` as of `height`; `None` if there is no such proposal.
    pub fn from_governance(
        gov: &Governance,
        id: u64,
        height: u64,
        network: Network,
    ) -> Option<ProposalDetailView> {
        let proposal = gov.proposals.get(&id)?;
        let votes = gov
            .votes
            .range((id, NodeId::default())..)
            .take_while(|((p, _), _)| *p == id)
            .map(|((_, node), choice)| VoteView {
                node: *node,
                choice: *choice,
            })
            .collect();
        let voters = gov
            .snapshots
            .get(&id)
            .map(|s| {
                s.iter()
                    .map(|(node, (owner, weight))| VoterView {
                        node: *node,
                        owner: owner.to_bech32(network),
                        weight: *weight,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(ProposalDetailView {
            height,
            proposal: ProposalView::new(proposal, network),
            votes,
            voters,
        })
    }
}

/// A change of a parameter, in [`ParamHistoryView::changes`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamChangeView {
    /// The block that executed it (where its proposal was tallied).
    pub executed_at: u64,
    /// The first block it applies to (`executed_at + 1`).
    pub effective_from: u64,
    /// The value from then on.
    pub value: u64,
    /// The proposal that made it (the last one executed in that block, should several have).
    pub proposal: Option<u64>,
}

/// `GET /v1/params/{name}/history`: a governable parameter's bounds, genesis value and every
/// change governance made to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamHistoryView {
    /// The parameter's name, e.g. `app.cpu_price`.
    pub name: String,
    /// Lowest value a proposal may set (fixed in code).
    pub min: u64,
    /// Highest value a proposal may set (fixed in code).
    pub max: u64,
    /// Its value at genesis.
    pub initial: u64,
    /// Its value now (for the next block).
    pub current: u64,
    /// The changes, oldest first.
    pub changes: Vec<ParamChangeView>,
    /// The height this is true at.
    pub height: u64,
}

impl ParamHistoryView {
    /// The history of `param` in `gov`, starting from `initial` (its genesis value).
    pub fn from_governance(
        gov: &Governance,
        param: GovernableParam,
        initial: u64,
        height: u64,
    ) -> ParamHistoryView {
        let (min, max) = param.bounds();
        let changes: Vec<ParamChangeView> = gov
            .param_changes
            .range((param, 0)..=(param, u64::MAX))
            .map(|((_, at), value)| ParamChangeView {
                executed_at: *at,
                effective_from: at.saturating_add(1),
                value: *value,
                proposal: gov
                    .proposals
                    .values()
                    .rev()
                    .find(|p| {
                        p.end == *at
                            && p.status == ProposalStatus::Passed
                            && p.action
                                == Action::ParamChange {
                                    param,
                                    value: *value,
                                }
                    })
                    .map(|p| p.id),
            })
            .collect();
        ParamHistoryView {
            name: param.name().to_owned(),
            min,
            max,
            initial,
            current: changes.last().map_or(initial, |c| c.value),
            changes,
            height,
        }
    }
}
