//! The round window: how much of the future a validator stores, whatever its peers send.
//!
//! Tendermint lets any member sign messages for any round of the height, and a byzantine one
//! can invent as many rounds as it likes. The vote keeper therefore stores votes in full
//! (per round and kind, [`MAX_VALUES_PER_VOTER`](super::votes::MAX_VALUES_PER_VOTER) values
//! per member) only for rounds up to `round_p + ROUND_WINDOW`, where `round_p` is the
//! validator's own round; the machine likewise drops proposals beyond it. Beyond the window it
//! keeps, per member, only `Ahead`: the highest round the member has signed a vote in, and
//! that member's latest vote of each kind there (to count it once the window reaches it).
//!
//! Round skipping still works. L55 of the paper ("upon f + 1 ⟨∗, h_p, round, ∗, ∗⟩ with
//! round > round_p: StartRound(round)") needs to know that validators of weight `f + 1`
//! (hence at least one honest one) have reached a round. `Ahead::skip_round` answers it from
//! the per-member highest rounds: the highest `R > round_p` such that the members whose highest
//! round is at least `R` weigh `f + 1`. At least one of them is honest, and an honest member's
//! rounds only grow, so some honest member has reached `R`, which is what justifies L55 (a
//! process never joins a round no honest process reached); for members that all sit at one
//! round it is exactly the paper's condition. A validator far behind thus still catches up in
//! one step, and a byzantine minority can not move it at all.
//!
//! Memory: `O(committee)` beyond the window, and `O(committee × (round_p + ROUND_WINDOW))`
//! in full votes, where `round_p` advances only by the validator's own timeouts (L65) or by
//! L55 to a round an honest member reached by its timeouts: no message of a byzantine minority,
//! and no number of messages, raises it (CometBFT's `HeightVoteSet` bounds rounds the same way).

use std::collections::BTreeMap;

use flux_nodes::NodeId;

use super::committee::Committee;
use super::evidence::Evidence;
use super::types::{Round, SignedVote, VoteKind};

/// How many rounds above its own a validator stores votes and proposals of in full (rounds
/// `round_p ..= round_p + ROUND_WINDOW`).
pub const ROUND_WINDOW: Round = 4;

/// Whether `round` is in the window of a validator at `current` (any round at or below
/// `current + ROUND_WINDOW`; past rounds are kept, see the module docs).
pub fn in_window(round: Round, current: Round) -> bool {
    round <= current.saturating_add(ROUND_WINDOW)
}

/// What [`Ahead::check`] found about a vote beyond the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AheadCheck {
    /// Older than the member's vote of that kind held here: nothing to keep.
    Stale,
    /// The vote held here already.
    Duplicate,
    /// New (a later round, or a conflicting vote in the held one's round): verify it.
    New,
}

/// What [`Ahead::hold`] did with a verified vote beyond the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Held {
    /// Kept as the member's latest vote of its kind.
    Kept,
    /// Nothing to keep (see [`AheadCheck`]).
    Stale,
    /// Already held.
    Duplicate,
    /// A different vote in the held one's (round, kind): evidence (the held one stays).
    Conflict(Box<Evidence>),
}

/// Per member: the highest round it signed a vote in, and its latest vote of each kind beyond
/// the window. See the module docs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ahead {
    highest: BTreeMap<NodeId, Round>,
    held: BTreeMap<(NodeId, VoteKind), SignedVote>,
}

impl Ahead {
    /// Whether a vote beyond the window is worth a signature check.
    pub(crate) fn check(&self, sv: &SignedVote) -> AheadCheck {
        let v = &sv.vote;
        match self.held.get(&(v.validator, v.kind)) {
            Some(h) if h.vote.round > v.round => AheadCheck::Stale,
            Some(h) if h.vote.round == v.round && h.vote.value == v.value => AheadCheck::Duplicate,
            _ => AheadCheck::New,
        }
    }

    /// Records a verified vote beyond the window.
    pub(crate) fn hold(&mut self, sv: SignedVote) -> Held {
        let v = sv.vote;
        match self.check(&sv) {
            AheadCheck::Stale => Held::Stale,
            AheadCheck::Duplicate => Held::Duplicate,
            AheadCheck::New => {
                let key = (v.validator, v.kind);
                if let Some(e) = self.held.get(&key).and_then(|h| Evidence::new(*h, sv)) {
                    return Held::Conflict(Box::new(e));
                }
                self.held.insert(key, sv);
                self.note(v.validator, v.round);
                Held::Kept
            }
        }
    }

    /// `validator` signed a (verified) vote in `round`.
    pub(crate) fn note(&mut self, validator: NodeId, round: Round) {
        let highest = self.highest.entry(validator).or_insert(round);
        *highest = (*highest).max(round);
    }

    /// The highest round above `round` that members of `f + 1` weight have reached (L55; see
    /// the module docs).
    pub(crate) fn skip_round(&self, committee: &Committee, round: Round) -> Option<Round> {
        let mut above: Vec<(Round, u64)> = self
            .highest
            .iter()
            .filter(|(_, r)| **r > round)
            .map(|(id, r)| (*r, committee.get(id).map(|m| m.weight).unwrap_or(0)))
            .collect();
        above.sort_unstable_by_key(|(r, _)| std::cmp::Reverse(*r));
        let mut weight = 0u64;
        for (r, w) in above {
            weight = weight.saturating_add(w);
            if committee.is_one_honest(weight) {
                return Some(r);
            }
        }
        None
    }

    /// Takes out the held votes of rounds up to `up_to` (the window moved over them).
    pub(crate) fn release(&mut self, up_to: Round) -> Vec<SignedVote> {
        let due: Vec<(NodeId, VoteKind)> = self
            .held
            .iter()
            .filter(|(_, sv)| sv.vote.round <= up_to)
            .map(|(k, _)| *k)
            .collect();
        due.iter().filter_map(|k| self.held.remove(k)).collect()
    }

    /// How many votes are held beyond the window.
    pub(crate) fn len(&self) -> usize {
        self.held.len()
    }
}
