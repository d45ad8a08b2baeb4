//! Hosting reports: every node that hosts instances reports its liveness every
//! `hosting_window` blocks (the most one report credits; the chain allows one every
//! `hosting_interval`, and half as many reports credit the same units), seeded by the block
//! before, so the useful-work pool pays hosting work each epoch, not only job work. With [`Signing::Real`] the report
//! carries the selected verifiers' attestations; with [`Signing::Assumed`] none (the
//! transition assumes them valid).

use std::collections::{BTreeMap, BTreeSet};

use flux_chain::state::State;
use flux_chain::tx::{HostingReport, Transaction, TxKind};
use flux_chain::work::{HostingStatement, hosting_units_per_block};
use flux_core::crypto::{Domain, SecretKey};
use flux_nodes::attestation::Attestation;
use flux_nodes::node::NodeId;
use flux_nodes::placement::synthetic::Rng;

use super::activity::{Signing, sign};
use super::error::SimulatorError;
use super::jobs::Nonces;

/// When each node reports next.
#[derive(Default)]
pub struct HostingReports {
    due: BTreeMap<u64, Vec<NodeId>>,
}

impl HostingReports {
    /// Reports of `nodes` (confirmed at genesis), their first ones spread over the interval
    /// after the earliest allowed.
    pub fn new(nodes: &[NodeId], interval: u64, rng: &mut Rng) -> HostingReports {
        let mut r = HostingReports::default();
        for id in nodes {
            r.schedule(*id, interval + 1 + rng.below(interval.max(1)));
        }
        r
    }

    /// `node` reports at `height` (the first time: at least `hosting_interval` blocks after its
    /// confirm).
    pub fn schedule(&mut self, node: NodeId, height: u64) {
        self.due.entry(height).or_default().push(node);
    }

    /// The reports due at block `h` of the nodes that run and host something; each is
    /// scheduled again `hosting_window` blocks later (a node that stopped is dropped).
    pub fn txs(
        &mut self,
        h: u64,
        state: &State,
        operators: &BTreeMap<NodeId, SecretKey>,
        stopped: &BTreeSet<NodeId>,
        nonces: &mut Nonces,
        signing: Signing,
    ) -> Result<Vec<Transaction>, SimulatorError> {
        let Some(nodes) = self.due.remove(&h) else {
            return Ok(Vec::new());
        };
        let params = state.params();
        let interval = params
            .work
            .hosting_window
            .max(params.work.hosting_interval)
            .max(1);
        let tip = state.tip();
        let mut txs = Vec::new();
        for node in nodes {
            if stopped.contains(&node) {
                continue;
            }
            let hosting = state
                .placement()
                .used_on(&node)
                .is_some_and(|d| hosting_units_per_block(&d) > 0);
            let confirmed = state
                .registry()
                .get(&node)
                .is_some_and(|e| e.status == flux_nodes::lifecycle::NodeStatus::Confirmed);
            let Some(key) = operators.get(&node) else {
                continue;
            };
            if !confirmed {
                continue;
            }
            if !hosting {
                // Nothing to report yet: look again later (the chain counts from the last
                // report, so the next one is allowed at once).
                self.schedule(node, h + interval);
                continue;
            }
            let mut attestations = Vec::new();
            if signing == Signing::Real {
                let seed = tip.block_id.0;
                let statement = HostingStatement {
                    node,
                    seed_height: tip.height,
                    seed,
                };
                let bytes =
                    flux_core::codec::encode(&statement).map_err(|e| SimulatorError::Tx {
                        height: h,
                        reason: e.to_string(),
                    })?;
                for verifier in state.registry().verifiers(&seed, &node, params) {
                    if let Some(vkey) = operators.get(&verifier) {
                        attestations.push(Attestation {
                            verifier,
                            signature: vkey.sign(Domain::WORK, params.chain_id, &bytes),
                        });
                    }
                }
            }
            let kind = TxKind::HostingReport(HostingReport {
                node,
                seed_height: tip.height,
                attestations,
            });
            txs.push(sign(key, state, nonces.take(state, key), kind, signing)?);
            self.schedule(node, h + interval);
        }
        Ok(txs)
    }
}
