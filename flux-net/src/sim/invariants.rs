//! The invariants checked on every commit: the block's certificate verifies against the
//! committee of its height, and no two honest validators hold different blocks or state roots
//! at one height.

use flux_chain::block::BlockId;
use flux_chain::consensus::{CommitCertificate, Committee, Height};
use flux_core::Hash;

use super::{Sim, SimError};
use crate::network::Committed;

impl Sim {
    /// Checks validator `i`'s commit: the certificate its chain stored with the block, against
    /// the committee its chain had for that height.
    pub(super) fn check_commit(
        &mut self,
        i: usize,
        commit: Committed,
        certificate: Option<CommitCertificate>,
        committee: Option<Committee>,
    ) -> Result<(), SimError> {
        let height = commit.height;
        let invalid = |reason: &str| SimError::InvalidDecision {
            seed: self.config.seed,
            validator: i,
            height,
            reason: reason.into(),
        };
        let certificate = certificate.ok_or_else(|| invalid("no certificate stored"))?;
        let committee = committee.ok_or_else(|| invalid("no committee"))?;
        if certificate.value != commit.block || certificate.height != height {
            return Err(invalid("certificate of another block"));
        }
        certificate
            .verify(&committee, self.chain_id)
            .map_err(|source| SimError::BadCertificate {
                seed: self.config.seed,
                validator: i,
                height,
                source,
            })?;
        self.check_agreement(i, height, commit.block, commit.state_root)
    }

    /// Safety: the first honest validator to reach `height` fixes its block and state root.
    fn check_agreement(
        &mut self,
        i: usize,
        height: Height,
        value: BlockId,
        root: Hash,
    ) -> Result<(), SimError> {
        if !self.honest(i) {
            return Ok(());
        }
        let seed = self.config.seed;
        match self.decisions.get(&height) {
            None => {
                self.decisions.insert(height, (i, value, root));
            }
            Some(&(a, va, _)) if va != value => {
                return Err(SimError::Disagreement {
                    seed,
                    height,
                    a,
                    b: i,
                    va,
                    vb: value,
                });
            }
            Some(&(a, _, ra)) if ra != root => {
                return Err(SimError::StateDivergence {
                    seed,
                    height,
                    a,
                    b: i,
                    ra,
                    rb: root,
                });
            }
            Some(_) => {}
        }
        Ok(())
    }
}
