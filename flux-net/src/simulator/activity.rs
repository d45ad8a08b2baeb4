//! The transactions a simulated block carries: app registrations (FluxOS v8 specs of the
//! synthetic generator's sizes), node starts, first confirms and keep-alives (attested by the
//! verifiers the chain selects, whose keys the simulation holds).

use std::collections::BTreeMap;

use flux_chain::state::State;
use flux_chain::tx::{AppRegister, NodeConfirm, NodeStart, Transaction, TxKind};
use flux_core::crypto::{SecretKey, Signature};
use flux_core::{Amount, Hash};
use flux_nodes::app::AppSpec;
use flux_nodes::attestation::{BenchmarkEvidence, attest};
use flux_nodes::node::NodeId;
use flux_nodes::placement::Workload;
use flux_nodes::placement::synthetic;

use super::error::SimulatorError;
use super::genesis::Profile;

/// How the simulation signs what it sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Signing {
    /// Real signatures and peer attestations: blocks valid under full verification.
    Real,
    /// Placeholder signatures and no attestations: blocks valid under
    /// [`flux_chain::transition::Verification::AssumeValid`], which `--fast` applies (every key
    /// lives in this process, so a signature would prove nothing; signing and checking them
    /// would cost most of the run).
    #[default]
    Assumed,
}

impl Signing {
    /// The verification blocks signed this way need.
    pub fn verification(self) -> flux_chain::transition::Verification {
        match self {
            Signing::Real => flux_chain::transition::Verification::Full,
            Signing::Assumed => flux_chain::transition::Verification::AssumeValid,
        }
    }
}

/// A transaction from `key` with no fee, signed as `signing` says, or why not.
pub fn sign(
    key: &SecretKey,
    state: &State,
    nonce: u64,
    kind: TxKind,
    signing: Signing,
) -> Result<Transaction, SimulatorError> {
    let chain_id = state.params().chain_id;
    match signing {
        Signing::Real => Transaction::sign(key, chain_id, nonce, Amount::ZERO, kind).map_err(|e| {
            SimulatorError::Tx {
                height: state.tip().height + 1,
                reason: e.to_string(),
            }
        }),
        Signing::Assumed => Ok(Transaction {
            chain_id,
            sender: key.public_key(),
            nonce,
            fee: Amount::ZERO,
            kind,
            signature: Signature::Ed25519([0; 64]),
        }),
    }
}

/// The FluxOS v8 JSON of a one-component app of `w`'s size, instances and geolocation rules.
pub fn spec_json(name: &str, w: &Workload, expire: u64) -> String {
    let d = &w.demand;
    let geo: Vec<String> = w.geo.iter().map(|g| format!("\"{g}\"")).collect();
    format!(
        concat!(
            "{{\"version\":8,\"name\":\"{name}\",\"description\":\"simulated app\",",
            "\"owner\":\"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC\",\"compose\":[{{\"name\":\"main\",\"description\":\"main\",",
            "\"repotag\":\"example/sim:1\",\"ports\":[],\"domains\":[],",
            "\"environmentParameters\":[],\"commands\":[],\"containerPorts\":[],",
            "\"containerData\":\"/data\",\"cpu\":{cpu_int}.{cpu_frac},\"ram\":{ram},",
            "\"hdd\":{hdd},\"repoauth\":\"\"}}],\"instances\":{instances},\"contacts\":[],",
            "\"geolocation\":[{geo}],\"expire\":{expire},\"nodes\":[],\"staticip\":false,",
            "\"enterprise\":\"\"}}"
        ),
        name = name,
        cpu_int = d.cpu_tenths / 10,
        cpu_frac = d.cpu_tenths % 10,
        ram = d.ram_mb,
        hdd = d.hdd_gb,
        instances = w.instances,
        geo = geo.join(","),
        expire = expire,
    )
}

/// App registrations from `key` starting at `nonce`, one per number of `numbers`, named
/// `sim<number>`; apps the generator makes that a spec cannot express here (GPUs, `nodes[]`
/// targets) are skipped.
pub fn app_registrations(
    state: &State,
    key: &SecretKey,
    nonce: u64,
    numbers: std::ops::Range<u64>,
    expire: (u64, u64),
    seed: Hash,
    signing: Signing,
) -> Result<Vec<Transaction>, SimulatorError> {
    let params = state.params();
    let height = state.tip().height + 1;
    let bad = |e: String| SimulatorError::Tx { height, reason: e };
    let (first, count) = (numbers.start, numbers.end.saturating_sub(numbers.start));
    let workloads =
        synthetic::apps(count as u32, &[], seed, params).map_err(|e| bad(e.to_string()))?;
    let mut rng = synthetic::Rng::new(seed, "flux/sim/expire/v1");
    let mut txs = Vec::with_capacity(workloads.len());
    for (i, w) in workloads.iter().enumerate() {
        if w.demand.gpu > 0 || !w.targets.is_empty() {
            continue;
        }
        let name = format!("sim{}", first + i as u64);
        let json = spec_json(&name, w, rng.between(expire.0, expire.1));
        let spec = AppSpec::from_json_strict(json.as_bytes(), &params.apps)
            .map_err(|e| bad(e.to_string()))?;
        let price = spec
            .price(&params.apps.prices)
            .map_err(|e| bad(e.to_string()))?
            .total;
        let kind = TxKind::AppRegister(AppRegister { spec: json, price });
        txs.push(sign(key, state, nonce + txs.len() as u64, kind, signing)?);
    }
    Ok(txs)
}

/// A node start from `owner` for `operator`, with the tier's collateral and minimum hardware.
pub fn node_start(
    state: &State,
    owner: &SecretKey,
    nonce: u64,
    operator: &SecretKey,
    p: &Profile,
    signing: Signing,
) -> Result<Transaction, SimulatorError> {
    let params = state.params();
    let height = state.tip().height + 1;
    let geolocation = p
        .geolocation
        .parse()
        .map_err(|e: flux_nodes::error::NodeError| SimulatorError::Tx {
            height,
            reason: e.to_string(),
        })?;
    let kind = TxKind::NodeStart(NodeStart {
        operator: operator.public_key(),
        tier: p.tier,
        collateral: p.tier.collateral(params),
        endpoint: p.endpoint.clone(),
        geolocation,
        declared: p.tier.minimum(params),
    });
    sign(owner, state, nonce, kind, signing)
}

/// A confirm (first or keep-alive) of `node`, attested by every verifier the tip selects
/// (with [`Signing::Assumed`]: no attestations).
pub fn confirm(
    state: &State,
    node: NodeId,
    operators: &BTreeMap<NodeId, SecretKey>,
    nonces: &mut super::jobs::Nonces,
    signing: Signing,
) -> Result<Option<Transaction>, SimulatorError> {
    let params = state.params();
    let tip = state.tip();
    let height = tip.height + 1;
    let bad = |e: String| SimulatorError::Tx { height, reason: e };
    let (Some(entry), Some(key)) = (state.registry().get(&node), operators.get(&node)) else {
        return Ok(None);
    };
    let mut evidence = BenchmarkEvidence {
        seed_height: tip.height,
        hardware: entry.tier.minimum(params),
        cpu_score: 1,
        attestations: Vec::new(),
    };
    if signing == Signing::Real {
        let seed = tip.block_id.0;
        let statement = evidence.statement(node, seed);
        for verifier in state.registry().verifiers(&seed, &node, params) {
            let Some(vkey) = operators.get(&verifier) else {
                continue;
            };
            evidence
                .attestations
                .push(attest(vkey, params.chain_id, &statement).map_err(|e| bad(e.to_string()))?);
        }
    }
    let nonce = nonces.take(state, key);
    let kind = TxKind::NodeConfirm(NodeConfirm { node, evidence });
    sign(key, state, nonce, kind, signing).map(Some)
}
