//! `flux gov propose`: the action's arguments parsed and checked, then the proposal sent.

use std::io::Write;

use flux_chain::gov::{Action, MAX_TITLE_LEN};
use flux_chain::transition::Event;
use flux_chain::transition::gov::{ActionError, check_action, check_upgrade_name};
use flux_chain::tx::{GovPropose, TxKind};
use flux_core::params::GovernableParam;
use flux_core::{Address, Amount, Hash, Network};
use flux_net::api::views::{ActionView, TxView};
use serde::Serialize;

use crate::cli::GovProposeArgs;
use crate::commands::send::{block_on, client, parse_address, print_sent, submit};
use crate::error::CliError;
use crate::output::Output;
use flux_net::api::keyfile;

/// `NAME=VALUE` as a governable parameter and a value within its bounds (fixed in code, so
/// checked without a node; whether the value leaves the chain's parameters consistent needs
/// them, see [`GovernableParam::check`]).
///
/// ```
/// use flux_cli::commands::gov::parse_param_change;
/// use flux_core::params::GovernableParam;
/// let (param, value) = parse_param_change("app.cpu_price=4000000")?;
/// assert_eq!((param, value), (GovernableParam::AppCpuPrice, 4_000_000));
/// assert!(parse_param_change("app.cpu_price=0").is_err()); // below its bound
/// assert!(parse_param_change("app.gpu_price=1").is_err()); // no such parameter
/// # Ok::<(), flux_cli::error::CliError>(())
/// ```
pub fn parse_param_change(text: &str) -> Result<(GovernableParam, u64), CliError> {
    let bad = |reason| CliError::BadParamChange {
        text: text.to_owned(),
        reason,
    };
    let (name, value) = text.split_once('=').ok_or_else(|| bad("no `=`"))?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        return Err(bad("no parameter name"));
    }
    let param: GovernableParam = name.parse().map_err(|_| CliError::UnknownParam {
        name: name.to_owned(),
        known: GovernableParam::ALL.map(GovernableParam::name).join(", "),
    })?;
    let value: u64 = value.parse().map_err(|_| {
        bad("the value is not a whole number (the parameter's unit: base units, blocks, permille)")
    })?;
    let (min, max) = param.bounds();
    if value < min || value > max {
        return Err(CliError::ParamRefused(
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

/// `ADDRESS:FLUX` as a grant's recipient (of `network`) and an amount (a grant of zero is
/// refused by [`check_action`]).
pub fn parse_grant(text: &str, network: Network) -> Result<(Address, Amount), CliError> {
    let bad = |reason: String| CliError::BadGrant {
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
    let to = parse_address(to.trim(), network).map_err(|e| bad(e.to_string()))?;
    Ok((to, amount))
}

/// `NAME@HEIGHT` as an upgrade's name (the chain's [`check_upgrade_name`]) and height.
pub fn parse_upgrade(text: &str) -> Result<(String, u64), CliError> {
    let bad = |reason: &str| CliError::BadUpgrade {
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

/// The action as parsed before asking the node (a grant's address needs the node's network).
enum Draft {
    Param(GovernableParam, u64),
    Grant(String),
    Upgrade(String, u64),
}

fn draft(args: &GovProposeArgs) -> Result<Draft, CliError> {
    if let Some(p) = &args.param {
        let (param, value) = parse_param_change(p)?;
        return Ok(Draft::Param(param, value));
    }
    if let Some(g) = &args.grant {
        return Ok(Draft::Grant(g.clone()));
    }
    match &args.upgrade {
        Some(u) => {
            let (name, height) = parse_upgrade(u)?;
            Ok(Draft::Upgrade(name, height))
        }
        // clap requires one of the three; a caller building the arguments may not.
        None => Err(CliError::NoAction),
    }
}

/// The proposal's number, from the `Proposed` event of its finalised transaction.
fn proposed_id(view: &TxView) -> Option<u64> {
    view.receipt.as_ref()?.events.iter().find_map(|e| match e {
        Event::Proposed { id } => Some(*id),
        _ => None,
    })
}

/// `flux gov propose`: checks the action against the chain's parameters and the proposer's
/// balance against the deposit, then sends the proposal (and with `--wait`, prints its number).
pub fn propose<W: Write>(out: &mut Output<W>, args: &GovProposeArgs) -> Result<(), CliError> {
    if args.title.is_empty() || args.title.len() > MAX_TITLE_LEN {
        return Err(CliError::BadTitle {
            len: args.title.len(),
            max: MAX_TITLE_LEN,
        });
    }
    let text_hash = match &args.text_file {
        Some(path) => Hash::digest(&crate::error::read_file(path)?),
        None => Hash::digest(args.title.as_bytes()),
    };
    let draft = draft(args)?;
    let key = keyfile::read(&args.key)?;
    let client = client(&args.node.url)?;
    let (sent, finalized, action, deposit, network) = block_on(async {
        let status = client.status().await?;
        let params = client.params().await?;
        let (action, text) = match draft {
            Draft::Param(param, value) => (Action::ParamChange { param, value }, String::new()),
            Draft::Grant(text) => {
                let (to, amount) = parse_grant(&text, status.network)?;
                (Action::Grant { to, amount }, text)
            }
            Draft::Upgrade(name, height) => {
                let text = format!("{name}@{height}");
                (Action::Upgrade { name, height }, text)
            }
        };
        // The proposal's block is at least the next one: the chain's rule at that height.
        let next = status.height.saturating_add(1);
        check_action(&action, next, &params).map_err(|e| match (e, &action) {
            (ActionError::Param(e), _) => CliError::ParamRefused(e),
            (e, Action::Grant { .. }) => CliError::BadGrant {
                text,
                reason: e.to_string(),
            },
            (e, _) => CliError::BadUpgrade {
                text,
                reason: e.to_string(),
            },
        })?;
        let deposit = params.governance.proposal_deposit;
        let address = Address::from_public_key(&key.public_key());
        let account = client.account(&format!("{address:x}")).await?;
        if deposit.checked_add(args.tx.fee)? > account.balance {
            return Err(CliError::NoDeposit {
                address: account.address,
                available: account.balance,
                deposit,
                fee: args.tx.fee,
            });
        }
        let kind = TxKind::GovPropose(GovPropose {
            title: args.title.clone(),
            text_hash,
            action: action.clone(),
        });
        let (sent, finalized) = submit(&client, &key, &args.tx, kind).await?;
        Ok::<_, CliError>((sent, finalized, action, deposit, status.network))
    })??;
    let proposal = finalized.as_ref().and_then(proposed_id);
    #[derive(Serialize)]
    struct Details<'a> {
        proposal: Option<u64>,
        title: &'a str,
        text_hash: Hash,
        action: ActionView,
        deposit: Amount,
    }
    let action = ActionView::new(&action, network);
    let rows = vec![
        (
            "proposal",
            proposal.map_or("(its number is known once finalised)".to_owned(), |id| {
                format!("#{id}")
            }),
        ),
        ("title", args.title.clone()),
        ("action", action.to_string()),
        ("deposit", format!("{deposit} FLUX")),
        ("text_hash", text_hash.to_string()),
    ];
    let details = Details {
        proposal,
        title: &args.title,
        text_hash,
        action,
        deposit,
    };
    print_sent(out, "GovPropose", &sent, finalized, details, rows)
}
