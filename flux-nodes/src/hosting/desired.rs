//! Which containers this node should run: the placement's instances on this node, each turned
//! into containers by [`containers_for`].

use super::config::HostConfig;
use super::container::containers_for;
use super::error::HostingError;
use super::types::ContainerSpec;
use crate::app::AppSpec;
use crate::placement::Placement;

/// This node's share of the placement: the containers to run, and the instances it cannot run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Desired {
    /// Containers of every runnable instance, by app name then component order.
    pub containers: Vec<ContainerSpec>,
    /// Instances placed here that give no container, by app name.
    pub refused: Vec<Refused>,
}

/// An instance placed on this node that it cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The app.
    pub app: String,
    /// The instance number.
    pub instance: u32,
    /// Why.
    pub error: HostingError,
}

/// The containers `config.node` should run under `placement`, with `spec_of` giving each app's
/// current spec (after its last `AppUpdate`).
///
/// An app whose spec is unknown (or named differently) is refused with
/// [`HostingError::UnknownApp`]; one that [`containers_for`] refuses is refused with that
/// error. Nothing is dropped silently, so the loop can report each as `failed`. Cost: one
/// [`containers_for`] per instance on the node.
///
/// ```
/// use flux_nodes::hosting::{desired, HostConfig};
/// use flux_nodes::placement::Placement;
/// # use flux_nodes::{NodeId, Tier};
/// let config = HostConfig::new(NodeId::default(), Tier::Cumulus, "127.0.0.1".parse()?, "/srv/flux");
/// let mine = desired(&Placement::new(flux_core::Hash::ZERO), |_| None, &config);
/// assert!(mine.containers.is_empty() && mine.refused.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn desired<'a>(
    placement: &Placement,
    spec_of: impl Fn(&str) -> Option<&'a AppSpec>,
    config: &HostConfig,
) -> Desired {
    let mut out = Desired::default();
    for (app, instance) in placement.on_node(&config.node) {
        let made = match spec_of(&app) {
            Some(spec) if spec.name == app => containers_for(spec, instance, config),
            _ => Err(HostingError::UnknownApp { app: app.clone() }),
        };
        match made {
            Ok(containers) => out.containers.extend(containers),
            Err(error) => out.refused.push(Refused {
                app,
                instance,
                error,
            }),
        }
    }
    out
}
