//! The `--fast` driver: the real state transition block by block, a committee that always
//! commits (no consensus messages), the scenario's activity as signed transactions.

use std::collections::{BTreeMap, BTreeSet};

use flux_chain::state::State;
use flux_chain::transition::{BuildMode, BuiltBlock, RootMode, propose_block};
use flux_chain::tx::Transaction;
use flux_core::{Address, Hash};
use flux_nodes::node::NodeId;
use flux_nodes::placement::synthetic::Rng;

use super::activity::{self, Signing};
use super::error::SimulatorError;
use super::genesis::{GENESIS_MS, SimGenesis, seed_hash};
use super::hosting::HostingReports;
use super::invariants::{self, Changes, Held};
use super::jobs::{Jobs, Nonces};
use super::report::{Healing, Period, Report, TierIncome};
use super::scenario::Scenario;

/// Block time of the simulated chain, ms (the mainnet's 30 s).
const BLOCK_MS: u64 = 30_000;

/// A running simulation.
pub struct Simulation {
    net: SimGenesis,
    scenario: Scenario,
    state: State,
    genesis_nodes: u32,
    /// Keep-alive confirms due, by height.
    due: BTreeMap<u64, Vec<NodeId>>,
    /// Nodes still sending keep-alives (the churn draws from these).
    living: Vec<NodeId>,
    /// Nodes that stopped: their scheduled keep-alives are skipped.
    stopped: BTreeSet<NodeId>,
    /// Nodes started in the last block, to confirm in this one.
    to_confirm: Vec<NodeId>,
    joined: u32,
    apps_made: u64,
    rng: Rng,
    period: Period,
    report: Report,
    /// Everything held, tracked from each block's diff.
    held: Held,
    /// How transactions are signed (and so how blocks are verified).
    signing: Signing,
    /// Instances without a node after the last block.
    unplaced: u64,
    /// Healing records still waiting for their instances: index in the report, unplaced
    /// level before them.
    healing_open: Vec<(usize, u64)>,
    /// Compute jobs and misbehaving nodes.
    jobs: Jobs,
    /// Hosting reports (`None`: the scenario has none).
    hosting: Option<HostingReports>,
}

/// Nodes that leave the placement with `diff` (expired, exited, slashed) and the instances
/// they hosted (O(nodes the block changed)).
fn displaced(before: &State, diff: &flux_chain::state::StateDiff) -> (u64, u64) {
    let placement = before.placement();
    let mut nodes = 0;
    let mut instances = 0;
    for (id, entry) in &diff.areas.nodes.changed {
        let confirmed = entry
            .as_ref()
            .is_some_and(|e| e.status == flux_nodes::lifecycle::NodeStatus::Confirmed);
        if !confirmed && placement.node(id).is_some() {
            nodes += 1;
            instances += placement.on_node(id).len() as u64;
        }
    }
    (nodes, instances)
}

/// Integer share of `total` events that falls on block `h` of a stream spread evenly over
/// `interval` blocks.
fn spread(total: u64, interval: u64, h: u64) -> u64 {
    let at = |x: u64| (u128::from(x) * u128::from(total) / u128::from(interval.max(1))) as u64;
    at(h).saturating_sub(at(h.saturating_sub(1)))
}

impl Simulation {
    /// A simulation of `nodes` genesis nodes under `scenario`, keys and activity from `seed`.
    pub fn new(nodes: u32, scenario: Scenario, seed: u64) -> Result<Simulation, SimulatorError> {
        let net = SimGenesis::build(nodes, scenario.tier_shares, seed)?;
        let state = net.genesis.state()?;
        let params = state.params();
        let lo = params.nodes.min_confirm_interval.saturating_add(1);
        let every = scenario
            .churn
            .keep_alive_every
            .clamp(lo, params.nodes.expire_after.saturating_sub(1).max(lo));
        let mut due: BTreeMap<u64, Vec<NodeId>> = BTreeMap::new();
        let living: Vec<NodeId> = net.operators.keys().copied().collect();
        // Genesis nodes all confirmed at 0: stagger their first keep-alive over the window so
        // the confirms spread evenly over the blocks.
        let window = params.nodes.expire_after.saturating_sub(lo).max(1);
        let mut rng = Rng::new(seed_hash(seed, "flux/sim/run/v1"), "flux/sim/run/v1");
        for id in &living {
            let first = lo + rng.below(window.min(every));
            due.entry(first).or_default().push(*id);
        }
        let jobs = Jobs::new(&scenario, &living, seed_hash(seed, "flux/sim/jobs/v1"))?;
        let hosting = scenario.hosting.reports.then(|| {
            let every = params.work.hosting_window.max(params.work.hosting_interval);
            HostingReports::new(&living, every, &mut rng)
        });
        let held = Held::of(&state).map_err(|violation| SimulatorError::Invariant {
            height: 0,
            seed,
            violation,
        })?;
        let report = Report {
            scenario: scenario.name.clone(),
            seed,
            genesis_nodes: nodes,
            genesis_supply: state.ledger().supply.base_units(),
            max_supply: params.supply.max_supply.base_units(),
            preset: "testnet: mainnet's emission, tiers and node timings without its 220M FLUX \
                     parallel-asset lock, which with the future emission would leave less room \
                     under the cap than 13,500 nodes' collateral"
                .into(),
            ..Report::default()
        };
        Ok(Simulation {
            net,
            scenario: Scenario {
                churn: super::scenario::Churn {
                    keep_alive_every: every,
                    ..scenario.churn
                },
                ..scenario
            },
            state,
            genesis_nodes: nodes,
            due,
            living,
            stopped: BTreeSet::new(),
            to_confirm: Vec::new(),
            joined: 0,
            apps_made: 0,
            rng,
            period: Period::default(),
            report,
            held,
            signing: Signing::Assumed,
            unplaced: 0,
            healing_open: Vec::new(),
            jobs,
            hosting,
        })
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The transactions of the next block and, for each confirm, the node it keeps alive.
    fn activity(&mut self) -> Result<(Vec<Transaction>, Vec<NodeId>), SimulatorError> {
        let h = self.state.tip().height + 1;
        let s = &self.scenario;
        let treasury = &self.net.treasury;
        let mut nonces = Nonces::default();
        let mut txs = Vec::new();
        // Apps: the initial batch first, then the steady rate.
        let apps = if self.apps_made < s.apps.initial {
            (s.apps.initial - self.apps_made).min(s.apps.max_per_block)
        } else {
            spread(s.apps.per_1000_blocks, 1_000, h).min(s.apps.max_per_block)
        };
        if apps > 0 {
            let seed = Hash::tagged(
                "flux/sim/apps/v1",
                &[self.net.seed, h].map(u64::to_le_bytes).concat(),
            );
            let first = nonces.take_many(&self.state, treasury, 0);
            let regs = activity::app_registrations(
                &self.state,
                treasury,
                first,
                self.apps_made..self.apps_made + apps,
                (s.apps.expire_min, s.apps.expire_max),
                seed,
                self.signing,
            )?;
            nonces.take_many(&self.state, treasury, regs.len() as u64);
            self.apps_made += apps;
            txs.extend(regs);
        }
        // Outages: every living node of the place stops.
        for o in self.scenario.outages.iter().filter(|o| o.at == h) {
            let registry = self.state.registry();
            let (dark, rest): (Vec<NodeId>, Vec<NodeId>) = self.living.iter().partition(|id| {
                registry
                    .get(id)
                    .is_some_and(|e| o.covers(&e.geolocation.to_string(), &e.endpoint))
            });
            self.living = rest;
            self.stopped.extend(dark);
        }
        let s = &self.scenario;
        // Churn: some living nodes stop their keep-alives; new nodes start.
        let stops = self.living.len() as u64 * s.churn.stop_permille_per_period / 1_000;
        for _ in 0..spread(
            stops,
            s.report_interval,
            (h - 1) % s.report_interval.max(1) + 1,
        ) {
            if self.living.is_empty() {
                break;
            }
            let i = self.rng.below(self.living.len() as u64) as usize;
            self.stopped.insert(self.living.swap_remove(i));
        }
        let joins = u64::from(self.genesis_nodes) * s.churn.join_permille_per_period / 1_000;
        let mut started = Vec::new();
        for _ in 0..spread(
            joins,
            s.report_interval,
            (h - 1) % s.report_interval.max(1) + 1,
        ) {
            let Some(profile) = self.net.joiners.get(self.joined as usize) else {
                break;
            };
            let key = self.net.joiner_key(self.genesis_nodes, self.joined)?;
            txs.push(activity::node_start(
                &self.state,
                treasury,
                nonces.take(&self.state, treasury),
                &key,
                profile,
                self.signing,
            )?);
            let id = NodeId::of(&key.public_key());
            self.net.operators.insert(id, key);
            if let Some(hosting) = &mut self.hosting {
                // Confirmed in the next block; its first report is allowed an interval later.
                let interval = self.state.params().work.hosting_interval;
                hosting.schedule(id, h + 2 + interval);
            }
            self.living.push(id);
            started.push(id);
            self.joined += 1;
        }
        // Confirms: last block's starters, and the keep-alives due now.
        let mut confirms = std::mem::replace(&mut self.to_confirm, started);
        confirms.extend(self.due.remove(&h).unwrap_or_default());
        let mut confirmed = Vec::new();
        for id in confirms {
            if self.stopped.contains(&id) {
                continue;
            }
            if let Some(tx) = activity::confirm(
                &self.state,
                id,
                &self.net.operators,
                &mut nonces,
                self.signing,
            )? {
                txs.push(tx);
                confirmed.push(id);
            }
        }
        if let Some(hosting) = &mut self.hosting {
            txs.extend(hosting.txs(
                h,
                &self.state,
                &self.net.operators,
                &self.stopped,
                &mut nonces,
                self.signing,
            )?);
        }
        // Jobs: submissions, the assigned nodes' commits and reveals; equivocations.
        let submissions = spread(self.scenario.jobs.per_1000_blocks, 1_000, h);
        txs.extend(self.jobs.txs(
            h,
            &self.state,
            &self.scenario,
            submissions,
            &self.net.treasury,
            &self.net.operators,
            &self.stopped,
            &self.living,
            &mut nonces,
            self.signing,
        )?);
        Ok((txs, confirmed))
    }

    /// Builds, applies and checks the next block.
    pub fn step(&mut self) -> Result<(), SimulatorError> {
        let h = self.state.tip().height + 1;
        let seed = self.net.seed;
        let (txs, confirmed) = self.activity()?;
        let proposer = &self.net.treasury;
        let block_err = |source| SimulatorError::Block {
            height: h,
            seed,
            source: Box::new(source),
        };
        let time = flux_chain::transition::next_block_time(
            &self.state,
            GENESIS_MS.saturating_add(h.saturating_mul(BLOCK_MS)),
        )
        .map_err(block_err)?;
        // The simulation holds every key: with `Signing::Assumed` the block is built under
        // `Verification::AssumeValid` (every rule but the signatures), and the builder's diff
        // is committed (no second execution).
        let BuiltBlock {
            block,
            diff,
            receipts,
            dropped,
            ..
        } = propose_block(
            &self.state,
            proposer,
            time,
            vec![],
            txs,
            BuildMode {
                verification: self.signing.verification(),
                // The state root is needed only at the full checks: in between the trie
                // changes queue up and are applied in one batch.
                root: if h.is_multiple_of(self.scenario.full_check_interval) {
                    RootMode::EveryBlock
                } else {
                    RootMode::Deferred
                },
                ..BuildMode::CHECKED
            },
        )
        .map_err(block_err)?;
        let violation = |violation| SimulatorError::Invariant {
            height: h,
            seed,
            violation,
        };
        self.held = self.held.after(&self.state, &diff).map_err(violation)?;
        let changes = Changes::of(&diff);
        let (nodes_left, displaced) = displaced(&self.state, &diff);
        self.state.commit(diff);
        // A dropped keep-alive (the node did not confirm at this height) is tried again next
        // block, still inside the window.
        let every = self.scenario.churn.keep_alive_every;
        for id in confirmed {
            let done = self
                .state
                .registry()
                .get(&id)
                .is_some_and(|e| e.last_confirm == Some(h));
            let next = if done { h + every } else { h + 1 };
            self.due.entry(next).or_default().push(id);
        }
        self.period
            .add_block(&receipts, block.txs.len(), dropped.len());
        self.jobs.observe(h, &receipts, &mut self.period);
        let unplaced = self.period.add_unplaced(&self.state);
        self.heal(h, nodes_left, displaced, unplaced);
        invariants::check_block(&self.state, self.held).map_err(violation)?;
        invariants::check_changes(&self.state, &changes).map_err(violation)?;
        if h.is_multiple_of(self.scenario.full_check_interval) {
            invariants::check_held(&self.state, self.held).map_err(violation)?;
            invariants::check_full(&self.state).map_err(violation)?;
        }
        if h.is_multiple_of(self.scenario.report_interval) {
            self.close_period();
        }
        Ok(())
    }

    /// Records the healing of the instances displaced at `h`, and closes the records whose
    /// instances all have nodes again.
    fn heal(&mut self, h: u64, nodes_left: u64, displaced: u64, unplaced: u64) {
        let before = self.unplaced;
        self.unplaced = unplaced;
        let healing = &mut self.report.healing;
        let period = &mut self.period;
        self.healing_open.retain(|(i, level)| {
            if unplaced > *level {
                return true;
            }
            if let Some(r) = healing.get_mut(*i) {
                let took = h - r.height;
                r.healed_in_blocks = Some(took);
                period.max_healing_blocks = period.max_healing_blocks.max(took);
            }
            false
        });
        if nodes_left == 0 {
            return;
        }
        period.displaced_instances += displaced;
        let healed_now = unplaced <= before;
        healing.push(Healing {
            height: h,
            nodes_left,
            displaced,
            unplaced_after: unplaced,
            healed_in_blocks: healed_now.then_some(0),
        });
        if !healed_now {
            self.healing_open.push((healing.len() - 1, before));
        }
    }

    fn close_period(&mut self) {
        let mut p = std::mem::take(&mut self.period);
        p.close(&self.state);
        self.report.totals.accumulate(&p);
        self.report.periods.push(p);
    }

    /// Each genesis node's income over the run, by tier: its owner's balance (the owner's
    /// allocation was exactly the bonded collateral, so everything in the balance was earned).
    fn income(&self) -> Vec<TierIncome> {
        let treasury = Address::from_public_key(&self.net.treasury.public_key());
        let mut per_tier: [Vec<u64>; 3] = Default::default();
        for e in self.state.registry().iter() {
            if e.owner != treasury {
                per_tier[e.tier.index()].push(self.state.account(&e.owner).balance.base_units());
            }
        }
        flux_core::Tier::ALL
            .iter()
            .zip(per_tier)
            .map(|(tier, incomes)| TierIncome::of(*tier, incomes))
            .collect()
    }

    /// Ends the run: the last (partial) period, the full invariants, the report.
    pub fn finish(mut self) -> Result<Report, SimulatorError> {
        let h = self.state.tip().height;
        let violation = |violation| SimulatorError::Invariant {
            height: h,
            seed: self.net.seed,
            violation,
        };
        invariants::check_held(&self.state, self.held).map_err(violation)?;
        invariants::check_full(&self.state).map_err(violation)?;
        if !h.is_multiple_of(self.scenario.report_interval) {
            self.close_period();
        }
        self.report.income = self.income();
        let root = self.state.flush_root();
        self.report.state_root = root.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let flows = std::mem::take(&mut self.report.totals);
        let mut totals = Period::default();
        totals.close(&self.state);
        totals.accumulate(&flows);
        self.report.totals = totals;
        self.report.blocks = h;
        Ok(self.report)
    }
}
