//! The reconcile plan: what this node should run against what its runtime reports, as the
//! smallest list of idempotent [`Action`]s (level-triggered, as kubelet and Nomad's client do).

use std::collections::{BTreeMap, BTreeSet};

use super::config::HostConfig;
use super::types::{
    Action, ContainerSpec, LABEL_APP, LABEL_COMPONENT, LABEL_CONTAINER, LABEL_NODE, LABEL_SPEC,
    Observed, ObservedNetwork, ObservedState,
};
use super::validate::is_name;

/// The actions that take the runtime from `observed` to `desired`.
///
/// - `desired`: this node's containers ([`desired`](super::desired())), from the placement at a
///   committed height the node has synced. An app missing from it is removed with its data:
///   never pass a desired list built before the node knows its placement.
/// - `observed`, `networks`: what the runtime lists. Only those whose [`LABEL_NODE`] is this
///   node's id and whose [`LABEL_APP`] (and, for containers, [`LABEL_COMPONENT`]) are valid
///   names are considered; everything else (unlabelled, another node's on a shared engine) is
///   never touched. A desired name held by a container that is not ours still gives
///   [`Action::Create`]: the runtime's name conflict becomes that instance's error.
///
/// Per desired container: missing → [`Action::Create`]; present with a different
/// [`LABEL_SPEC`] or [`LABEL_CONTAINER`] (an `AppUpdate`, a new host address) →
/// [`Action::Remove`] then [`Action::Create`], keeping the data; `Created`/`Exited` →
/// [`Action::Start`] (the loop applies [`Backoff`](super::Backoff)); `Paused`/`Dead` → replaced;
/// `Running`/`Restarting` → adopted (nothing); `Removing` → nothing until it is gone. A
/// container of ours not desired → [`Action::Remove`]; an app of ours with no desired container
/// left → [`Action::RemoveData`] then [`Action::RemoveNetwork`] (the network goes last: while it
/// is listed, the next pass finishes a removal a crash interrupted).
///
/// Order: removals (by name), then per leaving app (by name) its data and networks, then
/// [`Action::EnsureNetwork`] and [`Action::EnsureImage`] for what is created (by name), then
/// creates and starts (by name). With unique names (as an engine has them), the result depends
/// only on the inputs' contents, not on their order. Cost: sorting both lists,
/// O((d + o) log(d + o)), then one merge walk.
///
/// ```
/// use flux_nodes::hosting::{plan, Action, HostConfig};
/// # use flux_nodes::{NodeId, Tier};
/// let config = HostConfig::new(NodeId::default(), Tier::Cumulus, "127.0.0.1".parse()?, "/srv/flux");
/// assert!(plan(&[], &[], &[], &config).is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan(
    desired: &[ContainerSpec],
    observed: &[Observed],
    networks: &[ObservedNetwork],
    config: &HostConfig,
) -> Vec<Action> {
    let node = config.node_label();
    // Sorted vectors and one merge walk (not maps): the plan runs on every block.
    let mut want: Vec<&ContainerSpec> = desired.iter().collect();
    want.sort_by(|a, b| a.name.cmp(&b.name));
    want.dedup_by(|later, first| later.name == first.name);
    let mut have: Vec<&Observed> = observed
        .iter()
        .filter(|o| is_ours(&o.labels, &node) && o.label(LABEL_COMPONENT).is_some_and(is_name))
        .collect();
    have.sort_by(|a, b| a.name.cmp(&b.name));
    let mut wanted_apps: Vec<&str> = want.iter().filter_map(|d| d.label(LABEL_APP)).collect();
    wanted_apps.sort_unstable();
    wanted_apps.dedup();
    let wanted = |app: &str| wanted_apps.binary_search(&app).is_ok();

    // Each list is filled in ascending name order by the merge walk.
    let mut removes: Vec<&str> = Vec::new();
    let mut creates: Vec<&ContainerSpec> = Vec::new();
    let mut starts: Vec<&str> = Vec::new();
    let mut leaving: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let (mut i, mut j) = (0, 0);
    loop {
        match (want.get(i).copied(), have.get(j).copied()) {
            (Some(d), Some(o)) if d.name == o.name => {
                i += 1;
                j += 1;
                let same = o.label(LABEL_SPEC) == d.label(LABEL_SPEC)
                    && o.label(LABEL_CONTAINER) == d.label(LABEL_CONTAINER);
                match o.state {
                    ObservedState::Removing => {}
                    ObservedState::Running | ObservedState::Restarting if same => {}
                    ObservedState::Created | ObservedState::Exited { .. } if same => {
                        starts.push(&d.name);
                    }
                    _ => {
                        removes.push(&o.name);
                        creates.push(d);
                    }
                }
            }
            (Some(d), o) if o.is_none_or(|o| d.name < o.name) => {
                i += 1;
                creates.push(d);
            }
            (_, Some(o)) => {
                j += 1;
                if o.state != ObservedState::Removing {
                    removes.push(&o.name);
                }
                if let Some(app) = o.label(LABEL_APP)
                    && !wanted(app)
                {
                    leaving.entry(app).or_default();
                }
            }
            _ => break,
        }
    }
    for n in networks.iter().filter(|n| is_ours(&n.labels, &node)) {
        if let Some(app) = n.labels.get(LABEL_APP).map(String::as_str)
            && !wanted(app)
        {
            leaving.entry(app).or_default().insert(n.name.as_str());
        }
    }

    let mut actions: Vec<Action> = removes
        .iter()
        .map(|n| Action::Remove {
            name: (*n).to_owned(),
        })
        .collect();
    for (app, nets) in &leaving {
        actions.push(Action::RemoveData {
            path: config.app_data(app),
        });
        let fallback = config.network_name(app);
        let nets: Vec<&str> = if nets.is_empty() {
            vec![fallback.as_str()]
        } else {
            nets.iter().copied().collect()
        };
        actions.extend(nets.into_iter().map(|name| Action::RemoveNetwork {
            name: name.to_owned(),
        }));
    }
    let mut new_networks: BTreeMap<&str, &str> = BTreeMap::new();
    let mut images = BTreeSet::new();
    for d in &creates {
        new_networks
            .entry(d.network.as_str())
            .or_insert(d.label(LABEL_APP).unwrap_or_default());
        images.insert(d.image.as_str());
    }
    actions.extend(
        new_networks
            .into_iter()
            .map(|(name, app)| Action::EnsureNetwork {
                name: name.to_owned(),
                labels: BTreeMap::from([
                    (LABEL_APP.to_owned(), app.to_owned()),
                    (LABEL_NODE.to_owned(), node.clone()),
                ]),
            }),
    );
    actions.extend(images.into_iter().map(|image| Action::EnsureImage {
        image: image.to_owned(),
    }));
    actions.extend(creates.into_iter().map(|d| Action::Create(d.clone())));
    actions.extend(starts.into_iter().map(|name| Action::Start {
        name: name.to_owned(),
    }));
    actions
}

/// Labelled for this node, with a valid app name.
fn is_ours(labels: &BTreeMap<String, String>, node: &str) -> bool {
    labels.get(LABEL_NODE).is_some_and(|n| n == node)
        && labels.get(LABEL_APP).is_some_and(|a| is_name(a))
}
