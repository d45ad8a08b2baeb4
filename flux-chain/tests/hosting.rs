//! Hosting reports: a node that hosts app instances earns work units for the blocks since its
//! last report, once a quorum of the verifiers its seed block selects attested it; the rules
//! refuse everything else.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{bring_up_nodes, genesis, keys, next, sign};
use flux_chain::chain::Chain;
use flux_chain::consensus::committee::epoch_of;
use flux_chain::error::{BlockError, TxError};
use flux_chain::store::MemStore;
use flux_chain::transition::Event;
use flux_chain::transition::build_block;
use flux_chain::transition::work::JobEvent;
use flux_chain::tx::{AppRegister, HostingReport, Transaction, TxKind};
use flux_chain::work::{HostingStatement, JobError, hosting_units_per_block};
use flux_core::codec;
use flux_core::crypto::{Domain, SecretKey};
use flux_nodes::app::AppSpec;
use flux_nodes::attestation::Attestation;
use flux_nodes::error::AttestationError;
use flux_nodes::node::NodeId;

const TINYBOT: &str =
    include_str!("../../../shared/fixtures/fluxos-apps/conformant/valid/tinybot-v8.json");

struct Net {
    chain: Chain<MemStore>,
    operators: Vec<SecretKey>,
}

fn net() -> (Net, Vec<NodeId>) {
    let ks = keys(12);
    let g = genesis(&ks, 100_000);
    let mut chain = Chain::open_or_create(MemStore::new(), &g).unwrap();
    bring_up_nodes(&mut chain, &ks[..6], &ks[6..]);
    let params = chain.state().params().clone();
    let spec = AppSpec::from_json_strict(TINYBOT.as_bytes(), &params.apps).unwrap();
    let price = spec.price(&params.apps.prices).unwrap().total;
    let register = sign(
        &ks[0],
        chain.state(),
        TxKind::AppRegister(AppRegister {
            spec: TINYBOT.into(),
            price,
        }),
    );
    next(&mut chain, vec![register]);
    let hosts = chain.state().placement().where_is("tinybot").to_vec();
    assert_eq!(hosts.len(), 3);
    (
        Net {
            chain,
            operators: ks[6..].to_vec(),
        },
        hosts,
    )
}

impl Net {
    fn operator(&self, node: &NodeId) -> &SecretKey {
        self.operators
            .iter()
            .find(|k| NodeId::of(&k.public_key()) == *node)
            .unwrap()
    }

    fn advance_to(&mut self, height: u64) {
        while self.chain.height() < height {
            next(&mut self.chain, vec![]);
        }
    }

    /// The report of `node` seeded by the block at `seed_height`, signed by `signers` of its
    /// selected verifiers (all of them with `None`).
    fn report(&self, node: NodeId, seed_height: u64, signers: Option<usize>) -> Transaction {
        let state = self.chain.state();
        let seed = state.recent_block(seed_height).unwrap().0;
        let statement = HostingStatement {
            node,
            seed_height,
            seed,
        };
        let bytes = codec::encode(&statement).unwrap();
        let selected = state.registry().verifiers(&seed, &node, state.params());
        let attestations = selected
            .iter()
            .take(signers.unwrap_or(selected.len()))
            .map(|v| Attestation {
                verifier: *v,
                signature: self
                    .operator(v)
                    .sign(Domain::WORK, state.params().chain_id, &bytes),
            })
            .collect();
        let kind = TxKind::HostingReport(HostingReport {
            node,
            seed_height,
            attestations,
        });
        sign(self.operator(&node), state, kind)
    }

    fn refused(&self, tx: Transaction) -> JobError {
        let time = self.chain.state().tip().timestamp_ms + 1_000;
        let proposer = &self.operators[0];
        match build_block(self.chain.state(), proposer, time, vec![], vec![tx]) {
            Err(BlockError::Tx {
                source: TxError::Job(e),
                ..
            }) => e,
            other => panic!("expected a job error, got {other:?}"),
        }
    }
}

#[test]
fn a_hosting_node_earns_units_for_the_blocks_since_its_last_report() {
    let (mut net, hosts) = net();
    let params = net.chain.state().params().clone();
    let host = hosts[0];
    let confirmed = net
        .chain
        .state()
        .registry()
        .get(&host)
        .unwrap()
        .confirmed_at
        .unwrap();
    let per_block = hosting_units_per_block(&net.chain.state().placement().used_on(&host).unwrap());
    assert!(per_block > 0);

    // Too early: fewer than `hosting_interval` blocks since the confirm.
    net.advance_to(confirmed + params.work.hosting_interval - 1);
    let early = net.report(host, net.chain.height(), None);
    assert!(matches!(
        net.refused(early),
        JobError::ReportTooEarly { .. }
    ));

    // In time, with every verifier: credited for the blocks since the confirm.
    net.advance_to(confirmed + params.work.hosting_interval + 2);
    let seed_height = net.chain.height() - 1;
    let report = net.report(host, seed_height, None);
    let receipts = next(&mut net.chain, vec![report]);
    let blocks = seed_height - confirmed;
    let units = per_block * blocks;
    assert!(
        receipts.txs[0]
            .events
            .contains(&Event::Job(JobEvent::Hosted {
                node: host,
                blocks,
                units,
            }))
    );
    let epoch = epoch_of(net.chain.height(), params.consensus.epoch_length);
    assert!(
        net.chain
            .state()
            .work()
            .units_of(epoch)
            .contains(&(host, units))
    );
    assert_eq!(
        net.chain.state().work().hosted.get(&host),
        Some(&seed_height)
    );

    // The same seed again: too early now.
    let again = net.report(host, seed_height, None);
    assert!(matches!(
        net.refused(again),
        JobError::ReportTooEarly { .. }
    ));

    // Late: the credit stops at `hosting_window` blocks.
    net.advance_to(seed_height + params.work.hosting_window + 30);
    let late_seed = net.chain.height() - 1;
    let report = net.report(host, late_seed, None);
    let receipts = next(&mut net.chain, vec![report]);
    assert!(
        receipts.txs[0]
            .events
            .contains(&Event::Job(JobEvent::Hosted {
                node: host,
                blocks: params.work.hosting_window,
                units: per_block * params.work.hosting_window,
            }))
    );
}

#[test]
fn reports_without_a_quorum_or_a_fresh_seed_or_instances_are_refused() {
    let (mut net, hosts) = net();
    let params = net.chain.state().params().clone();
    net.advance_to(params.work.hosting_interval + 40);
    let host = hosts[0];
    let h = net.chain.height();

    let none = net.report(host, h - 1, Some(0));
    assert!(matches!(
        net.refused(none),
        JobError::Attestations(AttestationError::TooFewSignatures { have: 0, .. })
    ));
    let stale = net.report(host, h - params.nodes.bench_seed_max_age - 1, None);
    assert!(matches!(net.refused(stale), JobError::StaleSeed { .. }));

    // A node without instances has nothing to report.
    let idle = (0..6)
        .map(|i| NodeId::of(&net.operators[i].public_key()))
        .find(|n| !hosts.contains(n))
        .unwrap();
    let idle_report = net.report(idle, h - 1, None);
    assert!(matches!(net.refused(idle_report), JobError::NothingHosted(n) if n == idle));

    // Signed by another node's operator: refused.
    let mut stolen = net.report(host, h - 1, None);
    let TxKind::HostingReport(r) = stolen.kind.clone() else {
        unreachable!()
    };
    stolen = sign(
        &net.operators[5],
        net.chain.state(),
        TxKind::HostingReport(r),
    );
    if NodeId::of(&net.operators[5].public_key()) != host {
        assert!(matches!(net.refused(stolen), JobError::NotOperator(_)));
    }

    // A forged attestation: a verifier's slot signed with another key.
    let state = net.chain.state();
    let seed = state.recent_block(h - 1).unwrap().0;
    let selected = state.registry().verifiers(&seed, &host, state.params());
    let forger = SecretKey::from_bytes(flux_core::crypto::Scheme::Ed25519, &[99; 32]).unwrap();
    let bytes = codec::encode(&HostingStatement {
        node: host,
        seed_height: h - 1,
        seed,
    })
    .unwrap();
    let attestations = selected
        .iter()
        .map(|v| Attestation {
            verifier: *v,
            signature: forger.sign(Domain::WORK, state.params().chain_id, &bytes),
        })
        .collect();
    let forged = sign(
        net.operator(&host),
        state,
        TxKind::HostingReport(HostingReport {
            node: host,
            seed_height: h - 1,
            attestations,
        }),
    );
    assert!(matches!(
        net.refused(forged),
        JobError::Attestations(AttestationError::BadSignature { .. })
    ));
}
