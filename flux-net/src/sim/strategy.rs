//! The attacks a byzantine committee member can run in the simulator ([`Strategy`]), alone or
//! several at once ([`Strategies`]). Each replays one of the ways a single member could halt,
//! split or flood the network (issue 19); [`super::byzantine`] makes the messages.

use std::fmt;

/// One attack of a byzantine committee member. It runs the honest host (so it keeps voting
/// and proposing) and adds, changes or drops messages around it with its own operator key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strategy {
    /// Signs proposals for the next heights and nearby rounds, as a committee member, with
    /// junk blocks (many per round when it is the round's proposer): fills the blocks a host
    /// holds for proposals so honest proposals find no room.
    JunkProposals,
    /// When it proposes, proposes a block stamped `u64::MAX` (or its parent's time plus a
    /// year): the next proposer's `parent + 1` overflows, or the chain's clock runs away.
    FarFutureTimestamps,
    /// Feeds every mempool large valid transactions (jobs with 80 KiB of module and input)
    /// until a proposer's block is larger than a gossip frame, which nobody receives.
    OversizedBlocks,
    /// Sends votes and proposals carrying other members' ids with its own (so wrong)
    /// signatures: a host that keeps them unverified and re-broadcasts them gets banned.
    ForgedGossip,
    /// Re-sends old valid consensus messages and transaction batches (its own, already
    /// included), which cost signature checks and must cost the sender.
    ReplayedGossip,
    /// Signs prevotes and precommits for rounds far above the current one: every new round
    /// grows the vote keeper and the proposer computation.
    RoundFlooding,
    /// Asks every peer, on every tick, for all blocks from height 1 with `max_items =
    /// u32::MAX`.
    SyncAmplification,
    /// Lures peers into syncing from it (a signed vote for a later height) and answers with
    /// undecided blocks for heights above the asker's next, which a host that keeps them
    /// unverified later blames on the honest peer serving it then.
    SyncPoisoning,
    /// When it proposes, sends two conflicting valid proposals for the round, each to half
    /// of its peers.
    DoubleProposals,
    /// When it proposes, sends its proposal to nobody (even rounds) or to one peer (odd
    /// rounds); never sends its precommits.
    Withholding,
}

impl Strategy {
    /// Every strategy, in declaration order.
    pub const ALL: [Strategy; 10] = [
        Strategy::JunkProposals,
        Strategy::FarFutureTimestamps,
        Strategy::OversizedBlocks,
        Strategy::ForgedGossip,
        Strategy::ReplayedGossip,
        Strategy::RoundFlooding,
        Strategy::SyncAmplification,
        Strategy::SyncPoisoning,
        Strategy::DoubleProposals,
        Strategy::Withholding,
    ];

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of [`Strategy`]s run together by one byzantine validator.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Strategies(u16);

impl Strategies {
    /// No strategy (a byzantine validator with it behaves honestly).
    pub const NONE: Strategies = Strategies(0);

    /// Every strategy at once.
    pub fn all() -> Strategies {
        Strategies::of(&Strategy::ALL)
    }

    /// The set of `strategies`.
    pub fn of(strategies: &[Strategy]) -> Strategies {
        Strategies(strategies.iter().fold(0, |bits, s| bits | s.bit()))
    }

    /// The strategies whose bits are set in `bits` (bit `i` is `Strategy::ALL[i]`; other
    /// bits are ignored): a seeded generator's way to draw a subset.
    pub fn from_bits(bits: u16) -> Strategies {
        Strategies(bits & Strategies::all().0)
    }

    /// The set as bits (bit `i` is `Strategy::ALL[i]`).
    pub fn bits(self) -> u16 {
        self.0
    }

    /// Whether `strategy` is in the set.
    pub fn contains(self, strategy: Strategy) -> bool {
        self.0 & strategy.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The strategies in the set, in [`Strategy::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Strategy> {
        Strategy::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl From<Strategy> for Strategies {
    fn from(strategy: Strategy) -> Strategies {
        Strategies(strategy.bit())
    }
}

impl fmt::Debug for Strategies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_hold_what_they_are_made_of() {
        let s = Strategies::of(&[Strategy::Withholding, Strategy::JunkProposals]);
        assert!(s.contains(Strategy::Withholding) && s.contains(Strategy::JunkProposals));
        assert!(!s.contains(Strategy::RoundFlooding));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![Strategy::JunkProposals, Strategy::Withholding]
        );
        assert_eq!(Strategies::all().iter().count(), Strategy::ALL.len());
        assert_eq!(Strategies::from_bits(u16::MAX), Strategies::all());
        assert!(Strategies::NONE.is_empty());
    }
}
