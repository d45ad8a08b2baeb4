//! The proposer rotation of a committee, computed once and then read in `O(1)` per step.
//!
//! The rotation is Tendermint's weighted round robin by priority (see
//! [`super::committee`]): at each step every member's priority grows by its weight, the highest
//! priority (ties: the lowest index) is picked and loses the total weight `T`. Simulating it
//! from the epoch start costs `O(step · n)` per question, and a byzantine member that invents
//! rounds asks it once per round. Instead the steps of a period (`T` steps, after which the
//! priorities are all zero again, so step `s` is step `s mod T`) are computed once per
//! committee, as far as they are asked for, and kept.
//!
//! Building it costs `O(T · k)` for `k` distinct weights, not `O(T · n)`: members of equal
//! weight gain priority at the same rate, so among them the one with the fewest picks (ties:
//! the lowest index) leads, which makes each weight class a cyclic round robin of its members in
//! index order. The simulation therefore only tracks, per class, how many picks it has had
//! (`c`): its leader is member `c mod m` of the class, with `⌊c / m⌋` picks, hence priority
//! `t · w − T · ⌊c / m⌋` at step `t`; the highest leader is the step's pick, ties to the lowest
//! member index, exactly as the member-by-member simulation decides. Tier weights give `k ≤ 3`.
//!
//! The stored steps are capped at [`MAX_STORED_STEPS`] (a committee of 200 Stratus nodes has
//! `T` = 80,000, and a (height, round) asks for step `height - epoch start + round`); steps of a
//! longer period beyond the cap continue the simulation from the stored end, which only
//! parameters far outside the presets reach.

use super::committee::Member;

/// Most steps of the rotation a committee stores (4 bytes each).
pub const MAX_STORED_STEPS: u64 = 1 << 18;

/// The members of one weight, in index order, and how many picks the class has had.
#[derive(Clone, Debug)]
struct Class {
    weight: u64,
    members: Vec<u32>,
    picks: u64,
}

impl Class {
    /// The class's leader and its priority at step `t` (1-based) of a period of `total`.
    fn leader(&self, t: u64, total: u64) -> Option<(i128, u32)> {
        let m = self.members.len() as u64;
        let index = *self
            .members
            .get(usize::try_from(self.picks % m.max(1)).ok()?)?;
        let priority = i128::from(t) * i128::from(self.weight)
            - i128::from(total) * i128::from(self.picks / m.max(1));
        Some((priority, index))
    }
}

/// The simulation by weight class (see the module docs).
#[derive(Clone, Debug)]
struct Simulation {
    classes: Vec<Class>,
    total: u64,
    /// Steps taken so far.
    steps: u64,
}

impl Simulation {
    fn new(members: &[Member], total: u64) -> Simulation {
        let mut classes: Vec<Class> = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            match classes.iter_mut().find(|c| c.weight == m.weight) {
                Some(c) => c.members.push(index),
                None => classes.push(Class {
                    weight: m.weight,
                    members: vec![index],
                    picks: 0,
                }),
            }
        }
        Simulation {
            classes,
            total,
            steps: 0,
        }
    }

    /// Takes the next step: the index of its pick.
    fn step(&mut self) -> u32 {
        self.steps += 1;
        let t = self.steps;
        let mut best: Option<(i128, u32, usize)> = None;
        for (ci, class) in self.classes.iter().enumerate() {
            let Some((priority, index)) = class.leader(t, self.total) else {
                continue;
            };
            let better = match best {
                None => true,
                Some((p, i, _)) => priority > p || (priority == p && index < i),
            };
            if better {
                best = Some((priority, index, ci));
            }
        }
        match best {
            Some((_, index, ci)) => {
                if let Some(class) = self.classes.get_mut(ci) {
                    class.picks += 1;
                }
                index
            }
            None => 0,
        }
    }
}

/// One committee's rotation: the picks of the steps computed so far (at most
/// `min(T, MAX_STORED_STEPS)`), extended on demand.
#[derive(Clone, Debug)]
pub(crate) struct Rotation {
    picks: Vec<u32>,
    total: u64,
    /// The simulation after the stored steps.
    sim: Simulation,
}

impl Rotation {
    /// The rotation of `members` (sorted by id, total weight `total > 0`); no step computed yet.
    pub(crate) fn new(members: &[Member], total: u64) -> Rotation {
        let total = total.max(1);
        Rotation {
            picks: Vec::new(),
            total,
            sim: Simulation::new(members, total),
        }
    }

    /// The index of the member picked at `step` (0-based). The steps up to `step mod T` are
    /// computed once (and kept, up to the cap); later questions about them are `O(1)`.
    pub(crate) fn pick(&mut self, step: u64) -> usize {
        let s = step % self.total;
        let stored = self.total.min(MAX_STORED_STEPS);
        let until = s.min(stored - 1);
        while (self.picks.len() as u64) <= until {
            let index = self.sim.step();
            self.picks.push(index);
        }
        let index = match usize::try_from(s).ok().and_then(|i| self.picks.get(i)) {
            Some(index) => *index,
            None => {
                // Beyond the cap (only far outside the presets): from the stored end.
                let mut sim = self.sim.clone();
                let mut index = 0;
                while sim.steps <= s {
                    index = sim.step();
                }
                index
            }
        };
        usize::try_from(index).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::crypto::{Scheme, SecretKey};
    use flux_nodes::NodeId;

    fn members(weights: &[u64]) -> Vec<Member> {
        weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let key = SecretKey::from_bytes(Scheme::Ed25519, &[i as u8 + 1; 32])
                    .unwrap()
                    .public_key();
                Member {
                    id: NodeId::of(&key),
                    key,
                    weight: *w,
                }
            })
            .collect()
    }

    /// The member-by-member simulation, every step up to `steps`.
    fn reference(members: &[Member], total: u64, steps: u64) -> Vec<usize> {
        let mut priority = vec![0i128; members.len()];
        (0..steps)
            .map(|_| {
                let mut best = (i128::MIN, 0);
                for (i, (p, m)) in priority.iter_mut().zip(members).enumerate() {
                    *p += i128::from(m.weight);
                    if *p > best.0 {
                        best = (*p, i);
                    }
                }
                priority[best.1] -= i128::from(total);
                best.1
            })
            .collect()
    }

    #[test]
    fn steps_beyond_the_stored_cap_continue_the_same_rotation() {
        let ms = members(&[200_000, 100_001, 7]);
        let total = 300_008;
        let cap = MAX_STORED_STEPS;
        let expected = reference(&ms, total, cap + 50);
        let mut r = Rotation::new(&ms, total);
        for s in (cap - 20..cap + 50).chain([0, 1, 2, 1_000]) {
            assert_eq!(r.pick(s), expected[s as usize], "step {s}");
        }
        assert_eq!(r.picks.len() as u64, cap);
        // And a step of the next period is the same step.
        assert_eq!(r.pick(total + 5), expected[5]);
    }
}
