//! A proposal: its action parsed from text, then checked against the chain's rules at the next
//! height and the proposer's balance against the deposit.

use flux_chain::gov::{Action, MAX_TITLE_LEN};
use flux_chain::transition::Event;
use flux_chain::transition::gov::{ActionError, check_action, check_upgrade_name};
use flux_chain::tx::GovPropose;
use flux_core::crypto::SecretKey;
use flux_core::params::GovernableParam;
use flux_core::{Address, Amount, Hash, Network};

use super::GovError;
use crate::api::client::Client;
use crate::api::views::TxView;

/// `NAME=VALUE` as a governable parameter and a value within its bounds (fixed in code, so
/// checked without a node; whether the value leaves the chain's parameters consistent needs
/// them, see [`GovernableParam::check`]).
///
/// ```
/// use flux_net::governance::parse_param_change;
/// use flux_core::params::GovernableParam;
/// let (param, value) = parse_param_change("app.cpu_price=4000000")?;
/// assert_eq!((param, value), (GovernableParam::AppCpuPrice, 4_000_000));
/// assert!(parse_param_change("app.cpu_price=0").is_err()); // below its bound
/// assert!(parse_param_change("app.gpu_price=1").is_err()); // no such parameter
/// # Ok::<(), flux_net::governance::GovError>(())
/// ```
pub fn parse_param_change(text: &str) -> Result<(GovernableParam, u64), GovError> {
    let bad = |reason| GovError::BadParamChange {
        text: text.to_owned(),
        reason,
    };
    let (name, value) = text.split_once('=').ok_or_else(|| bad("no `=`"))?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        return Err(bad("no parameter name"));
    }
    let param: GovernableParam = name.parse().map_err(|_| GovError::UnknownParam {
        name: name.to_owned(),
        known: GovernableParam::ALL.map(GovernableParam::name).join(", "),
    })?;
    let value: u64 = value.parse().map_err(|_| {
        bad("the value is not a whole number (the parameter's unit: base units, blocks, permille)")
    })?;
    let (min, max) = param.bounds();
    if value < min || value > max {
        return Err(GovError::ParamRefused(
            flux_core::error::ParamsError::OutOfBounds {
                name: param.name(),
                value,
                min,
                max,
            },
        ));
    }
    Ok((param, value))
}

/// `ADDRESS:FLUX` as a grant's recipient (of `network`, [`Address::parse_user`]) and an amount
/// (a grant of zero is refused by [`check_action`]).
pub fn parse_grant(text: &str, network: Network) -> Result<(Address, Amount), GovError> {
    let bad = |reason: String| GovError::BadGrant {
        text: text.to_owned(),
        reason,
    };
    let (to, amount) = text
        .rsplit_once(':')
        .ok_or_else(|| bad("no `:`".to_owned()))?;
    let amount: Amount = amount
        .trim()
        .parse()
        .map_err(|e| bad(format!("amount: {e}")))?;
    let to = to.trim();
    let to = Address::parse_user(to, network).map_err(|e| bad(format!("address {to:?}: {e}")))?;
    Ok((to, amount))
}

/// `NAME@HEIGHT` as an upgrade's name (the chain's [`check_upgrade_name`]) and height.
pub fn parse_upgrade(text: &str) -> Result<(String, u64), GovError> {
    let bad = |reason: &str| GovError::BadUpgrade {
        text: text.to_owned(),
        reason: reason.to_owned(),
    };
    let (name, height) = text.rsplit_once('@').ok_or_else(|| bad("no `@`"))?;
    check_upgrade_name(name).map_err(|e| bad(&e.to_string()))?;
    let height: u64 = height
        .trim()
        .parse()
        .map_err(|_| bad("the height is not a whole number"))?;
    Ok((name.to_owned(), height))
}

/// A title by the chain's rule ([`flux_chain::gov::check_title`]).
pub fn check_title(title: &str) -> Result<(), GovError> {
    flux_chain::gov::check_title(title).map_err(|_| GovError::BadTitle {
        len: title.len(),
        max: MAX_TITLE_LEN,
    })
}

/// A proposal's action as parsed before asking the node (a grant's address needs the node's
/// network).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionDraft {
    /// `--param NAME=VALUE`, parsed and within its bounds.
    Param(GovernableParam, u64),
    /// `--grant ADDRESS:FLUX`, as given.
    Grant(String),
    /// `--upgrade NAME@HEIGHT`, parsed.
    Upgrade(String, u64),
}

impl ActionDraft {
    /// The action of the first of `param`, `grant`, `upgrade` given; [`GovError::NoAction`]
    /// without one.
    pub fn parse(
        param: Option<&str>,
        grant: Option<&str>,
        upgrade: Option<&str>,
    ) -> Result<ActionDraft, GovError> {
        if let Some(p) = param {
            let (param, value) = parse_param_change(p)?;
            return Ok(ActionDraft::Param(param, value));
        }
        if let Some(g) = grant {
            return Ok(ActionDraft::Grant(g.to_owned()));
        }
        let (name, height) = parse_upgrade(upgrade.ok_or(GovError::NoAction)?)?;
        Ok(ActionDraft::Upgrade(name, height))
    }
}

/// A proposal the chain would take from the key's account at the next height.
#[derive(Clone, Debug)]
pub struct CheckedProposal {
    /// The transaction's body.
    pub proposal: GovPropose,
    /// The chain's proposal deposit.
    pub deposit: Amount,
    /// The node's network (for addresses in reports).
    pub network: Network,
}

impl Client {
    /// Checks the proposal of `title` (text hash `text_hash`, action `draft`) from `key`'s
    /// account against the node's chain: the action by the chain's rule at the next height
    /// ([`check_action`]), the balance against the deposit and `fee`.
    pub async fn checked_proposal(
        &self,
        key: &SecretKey,
        title: &str,
        text_hash: Hash,
        draft: ActionDraft,
        fee: Amount,
    ) -> Result<CheckedProposal, GovError> {
        let status = self.status().await?;
        let params = self.params().await?;
        let (action, text) = match draft {
            ActionDraft::Param(param, value) => {
                (Action::ParamChange { param, value }, String::new())
            }
            ActionDraft::Grant(text) => {
                let (to, amount) = parse_grant(&text, status.network)?;
                (Action::Grant { to, amount }, text)
            }
            ActionDraft::Upgrade(name, height) => {
                let text = format!("{name}@{height}");
                (Action::Upgrade { name, height }, text)
            }
        };
        // The proposal's block is at least the next one: the chain's rule at that height.
        let next = status.height.saturating_add(1);
        check_action(&action, next, &params).map_err(|e| match (e, &action) {
            (ActionError::Param(e), _) => GovError::ParamRefused(e),
            (e, Action::Grant { .. }) => GovError::BadGrant {
                text,
                reason: e.to_string(),
            },
            (e, _) => GovError::BadUpgrade {
                text,
                reason: e.to_string(),
            },
        })?;
        let deposit = params.governance.proposal_deposit;
        let address = Address::from_public_key(&key.public_key());
        let account = self.account(&format!("{address:x}")).await?;
        if deposit.checked_add(fee)? > account.balance {
            return Err(GovError::NoDeposit {
                address: account.address,
                available: account.balance,
                deposit,
                fee,
            });
        }
        let proposal = GovPropose {
            title: title.to_owned(),
            text_hash,
            action,
        };
        Ok(CheckedProposal {
            proposal,
            deposit,
            network: status.network,
        })
    }
}

/// The proposal's number, from the `Proposed` event of its finalised transaction.
pub fn proposed_id(view: &TxView) -> Option<u64> {
    view.receipt.as_ref()?.events.iter().find_map(|e| match e {
        Event::Proposed { id } => Some(*id),
        _ => None,
    })
}
