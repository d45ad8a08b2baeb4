//! The typed app specification: [`AppSpec`], its [`Component`]s, and what placement reads of it.

use serde::{Deserialize, Serialize};

use super::Demand;
use crate::node::GeoRule;
use flux_core::Tier;

/// An app specification, read from FluxOS JSON (any version 1–8) into one typed shape.
///
/// Numbers are exact integers: CPU in tenths of a core, RAM in MB, SSD in GB. Read one with
/// [`AppSpec::from_json_strict`](super::AppSpec::from_json_strict) (registration: v8, every
/// limit checked) or [`AppSpec::from_json_lenient`](super::AppSpec::from_json_lenient) (FluxOS's
/// stored form, any version); write it back with [`AppSpec::to_json`](super::AppSpec::to_json).
/// The serde derives give the canonical (codec) form, not FluxOS JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSpec {
    /// Specification version (1–8; registrations are 8).
    pub version: u32,
    /// App name, unique on the network.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Owner address (a FluxOS ZelID; not checked here).
    pub owner: String,
    /// The containers, in order. Versions 1–3 have exactly one, named after the app.
    pub components: Vec<Component>,
    /// Number of instances to run.
    pub instances: u32,
    /// Contact addresses.
    pub contacts: Vec<String>,
    /// Geolocation rules as written (`acEU_DE`, `a!cEU_RU`); see [`AppSpec::geo_rules`].
    pub geolocation: Vec<String>,
    /// Lifetime in blocks.
    pub expire: u64,
    /// Target nodes as FluxOS gives them (an IP, `IP:port`, or `txhash:outidx`).
    pub nodes: Vec<String>,
    /// Whether the app needs nodes with a static IP.
    pub staticip: bool,
    /// v8 `datacenter`, when present.
    pub datacenter: Option<bool>,
    /// v8 `enterprise`.
    pub enterprise: Enterprise,
}

/// The v8 `enterprise` key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Enterprise {
    /// A normal app (`""`, `false` or absent).
    #[default]
    No,
    /// `true`: an enterprise (Arcane) app whose spec is in clear.
    Arcane,
    /// A non-empty string: the encrypted enterprise payload (components stay empty until
    /// decrypted).
    Encrypted(String),
}

impl Enterprise {
    /// Whether the app is an enterprise app.
    pub fn is_enterprise(&self) -> bool {
        !matches!(self, Enterprise::No)
    }
}

/// One container of an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// Component name, unique within the app.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Docker image (`repo/image:tag`).
    pub repotag: String,
    /// Public ports.
    pub ports: Vec<u16>,
    /// Container ports, one per public port.
    pub container_ports: Vec<u16>,
    /// Domains, usually one per port (`""` when none).
    pub domains: Vec<String>,
    /// Environment (`KEY=value`).
    pub environment_parameters: Vec<String>,
    /// Command and arguments.
    pub commands: Vec<String>,
    /// Data mount (`/data`, or with a `s:`/`g:`/`r:` sync prefix).
    pub container_data: String,
    /// CPU in tenths of a core.
    pub cpu_tenths: u32,
    /// RAM in MB.
    pub ram_mb: u64,
    /// SSD in GB.
    pub hdd_gb: u64,
    /// GPUs (extension beyond FluxOS, JSON `gpu`).
    pub gpu: u32,
    /// Memory per GPU in GB (extension, JSON `gpuMemory`).
    pub gpu_memory_gb: u64,
    /// Per-tier resources of a tiered v1–v7 component (`tiered: true`).
    pub tiers: Option<Tiers>,
    /// v7+ registry credentials (`repoauth`), when present.
    pub repoauth: Option<String>,
    /// v7 `secrets`, when present.
    pub secrets: Option<String>,
}

/// Resources of a tiered component for Cumulus (`…basic`), Nimbus (`…super`) and Stratus
/// (`…bamf`) nodes, in that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tiers {
    /// CPU per tier, tenths of a core.
    pub cpu_tenths: [u32; 3],
    /// RAM per tier, MB.
    pub ram_mb: [u64; 3],
    /// SSD per tier, GB.
    pub hdd_gb: [u64; 3],
}

impl Component {
    /// What one instance of this component needs (the plain `cpu`/`ram`/`hdd` values).
    pub fn demand(&self) -> Demand {
        Demand {
            cpu_tenths: self.cpu_tenths,
            ram_mb: self.ram_mb,
            hdd_gb: self.hdd_gb,
            gpu: self.gpu,
            gpu_memory_gb: if self.gpu == 0 { 0 } else { self.gpu_memory_gb },
        }
    }

    /// What one instance needs on a node of `tier`: the tier's values for a tiered component,
    /// otherwise [`Component::demand`].
    pub fn demand_on(&self, tier: Tier) -> Demand {
        let mut d = self.demand();
        if let Some(t) = &self.tiers {
            let i = match tier {
                Tier::Cumulus => 0,
                Tier::Nimbus => 1,
                Tier::Stratus => 2,
            };
            d.cpu_tenths = t.cpu_tenths[i];
            d.ram_mb = t.ram_mb[i];
            d.hdd_gb = t.hdd_gb[i];
        }
        d
    }
}

impl AppSpec {
    /// What one instance of the app needs: the sum over its components (GPU memory: the
    /// largest per-GPU need). Saturates instead of overflowing, which only an unvalidated spec
    /// can reach.
    pub fn demand(&self) -> Demand {
        sum(self.components.iter().map(Component::demand))
    }

    /// [`AppSpec::demand`] on a node of `tier` (tiered components use that tier's values).
    pub fn demand_on(&self, tier: Tier) -> Demand {
        sum(self.components.iter().map(|c| c.demand_on(tier)))
    }

    /// The geolocation rules placement must honour. An entry without the `ac`/`a!c` prefix (old
    /// v5–v7 form, e.g. `EU_DE`) is read as an allow rule; an entry that still does not parse is
    /// left out (a strictly validated spec has none).
    pub fn geo_rules(&self) -> Vec<GeoRule> {
        self.geolocation
            .iter()
            .filter_map(|g| {
                g.parse::<GeoRule>()
                    .or_else(|_| format!("ac{g}").parse::<GeoRule>())
                    .ok()
            })
            .collect()
    }

    /// Target nodes (empty: any node), as written in the spec.
    pub fn target_nodes(&self) -> &[String] {
        &self.nodes
    }

    /// Number of instances to run.
    pub fn instances(&self) -> u32 {
        self.instances
    }

    /// Whether instances need nodes with a static IP.
    pub fn staticip(&self) -> bool {
        self.staticip
    }

    /// Whether this is an enterprise app.
    pub fn enterprise(&self) -> bool {
        self.enterprise.is_enterprise()
    }
}

fn sum(items: impl Iterator<Item = Demand>) -> Demand {
    items.fold(Demand::ZERO, |acc, d| acc.saturating_add(&d))
}
