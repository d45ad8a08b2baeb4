//! Apps on chain: registered specifications, their escrow, and what placement needs of them.
//!
//! An app is registered with its FluxOS JSON specification, validated strictly
//! ([`AppSpec::from_json_strict`]), and pays its price into an escrow that streams to the
//! owners of the nodes that host its instances, evenly over the blocks until it expires.
//! The stream is settled lazily (see [`AppEntry::stream_through`]): when the app's hosts are
//! about to change, when it is updated, cancelled or expires, and at every epoch boundary, so a
//! block touches only the apps something happened to, not every app. The entry keeps the JSON as given
//! (what the owner signed) and the figures the chain needs every block, so the JSON is parsed
//! once, at registration or update.

use std::sync::Arc;

use flux_core::{Address, Amount, ChainParams};
use flux_nodes::app::{AppError, AppSpec, Demand};
use flux_nodes::node::GeoRule;
use flux_nodes::placement::Workload;
use serde::{Deserialize, Serialize};

/// A registered app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppEntry {
    /// The app's name (unique).
    pub name: String,
    /// Who registered it and may update or cancel it.
    pub owner: Address,
    /// The specification as registered (FluxOS JSON).
    pub spec_json: String,
    /// Instances to run.
    pub instances: u32,
    /// What each instance needs.
    pub demand: Demand,
    /// Geolocation rules.
    pub geo: Vec<GeoRule>,
    /// `nodes[]` targets.
    pub targets: Vec<String>,
    /// Height of the registration or last update.
    pub registered_at: u64,
    /// First height at which it no longer runs.
    pub expires_at: u64,
    /// Price paid for the current specification.
    pub paid: Amount,
    /// What is left to stream to hosts (refunded to the owner at expiry or cancel).
    pub escrow: Amount,
    /// The last height whose share of the escrow has been streamed to the hosts (the block
    /// before the registration or update until the first settlement).
    pub settled: u64,
}

impl AppEntry {
    /// An entry for `spec` registered by `owner` at `height`, with `escrow` paid in.
    pub fn new(
        spec: &AppSpec,
        json: String,
        owner: Address,
        height: u64,
        paid: Amount,
    ) -> AppEntry {
        AppEntry {
            name: spec.name.clone(),
            owner,
            spec_json: json,
            instances: spec.instances(),
            demand: spec.demand(),
            geo: spec.geo_rules(),
            targets: spec.target_nodes().to_vec(),
            registered_at: height,
            expires_at: height.saturating_add(spec.expire),
            paid,
            escrow: paid,
            settled: height.saturating_sub(1),
        }
    }

    /// What placement needs to know.
    pub fn workload(&self, params: &ChainParams) -> Workload {
        Workload::new(
            self.name.clone(),
            self.instances,
            self.demand,
            self.geo.clone(),
            self.targets.clone(),
            params,
        )
    }

    /// The last height the app runs (and streams) at.
    pub fn last_paid_height(&self) -> u64 {
        self.expires_at.saturating_sub(1)
    }

    /// What streams to the hosts for the blocks after [`AppEntry::settled`] up to `through`
    /// (capped at the last height the app runs): the escrow spread evenly over the blocks
    /// left, `escrow × k / left` floored, so the last settlement streams all that is left.
    /// Returns the amount and the height it settles through (`settled` if nothing is due).
    pub fn stream_through(&self, through: u64) -> (Amount, u64) {
        let last = self.last_paid_height();
        let through = through.min(last);
        if through <= self.settled {
            return (Amount::ZERO, self.settled);
        }
        let k = u128::from(through - self.settled);
        let left = u128::from((last - self.settled).max(1));
        let due = u128::from(self.escrow.base_units()) * k / left;
        // due <= escrow because k <= left.
        let due = u64::try_from(due).unwrap_or(u64::MAX);
        (Amount::from_base_units(due), through)
    }
}

/// An app-specification error that can travel inside transaction errors (shared, compared by
/// its message).
#[derive(Clone, Debug)]
pub struct SpecError(pub Arc<AppError>);

impl PartialEq for SpecError {
    fn eq(&self, other: &SpecError) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for SpecError {}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SpecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl From<AppError> for SpecError {
    fn from(e: AppError) -> SpecError {
        SpecError(Arc::new(e))
    }
}
