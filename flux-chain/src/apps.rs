//! Apps on chain: registered specifications, their escrow, and what placement needs of them.
//!
//! An app is registered with its FluxOS JSON specification, validated strictly
//! ([`AppSpec::from_json_strict`]), and pays its price into an escrow that is streamed each
//! block to the owners of the nodes that host its instances. The entry keeps the JSON as given
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

    /// What this block streams to the hosts: the escrow spread evenly over the blocks left.
    pub fn due_at(&self, height: u64) -> Amount {
        let left = self.expires_at.saturating_sub(height).max(1);
        self.escrow.checked_div(left).unwrap_or(Amount::ZERO)
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
