//! The paper's `upon` conditions: after each input the machine derives, from its proposal and
//! vote stores, the first one that has become true, in priority order (a decision first), and
//! feeds it to [`Machine::transition`].

use super::{Machine, Once, Step, Trigger};
use crate::consensus::types::VoteKind;

impl Machine {
    /// The first enabled `upon` condition, in priority order (decision first).
    pub(super) fn next_trigger(&self) -> Option<Trigger> {
        let keeper = self.votes.as_ref()?;
        if self.step == Step::Commit {
            return None;
        }
        let r = self.round;
        // L49 (any round r).
        for ((round, _), sp) in &self.proposals {
            let v = sp.proposal.value;
            if self.validity.get(&v) == Some(&true)
                && keeper.has_quorum_for(*round, VoteKind::Precommit, Some(v))
            {
                return Some(Trigger::ProposalAndPrecommitValue {
                    round: *round,
                    value: v,
                });
            }
        }
        // L55.
        if let Some(round) = keeper.skip_round(r) {
            return Some(Trigger::SkipRound(round));
        }
        let current = self.proposals_of(r);
        if self.step == Step::Propose {
            for (p, valid) in &current {
                let Some(valid) = *valid else { continue };
                match p.pol_round {
                    // L22.
                    None => {
                        return Some(Trigger::Proposal {
                            value: p.value,
                            valid,
                        });
                    }
                    // L28.
                    Some(vr)
                        if vr < r
                            && keeper.has_quorum_for(vr, VoteKind::Prevote, Some(p.value)) =>
                    {
                        return Some(Trigger::ProposalAndPolkaPrevious {
                            value: p.value,
                            valid,
                            pol_round: vr,
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        // L34.
        if self.step == Step::Prevote
            && !self.fired.contains(&(r, Once::L34))
            && keeper.has_quorum_any(r, VoteKind::Prevote)
        {
            return Some(Trigger::PolkaAny);
        }
        // L36.
        if matches!(self.step, Step::Prevote | Step::Precommit)
            && !self.fired.contains(&(r, Once::L36))
            && let Some((p, _)) = current.iter().find(|(p, valid)| {
                *valid == Some(true) && keeper.has_quorum_for(r, VoteKind::Prevote, Some(p.value))
            })
        {
            return Some(Trigger::ProposalAndPolkaCurrent(p.value));
        }
        // L44.
        if self.step == Step::Prevote && keeper.has_quorum_for(r, VoteKind::Prevote, None) {
            return Some(Trigger::PolkaNil);
        }
        // L47.
        if !self.fired.contains(&(r, Once::L47)) && keeper.has_quorum_any(r, VoteKind::Precommit) {
            return Some(Trigger::PrecommitAny);
        }
        None
    }
}
