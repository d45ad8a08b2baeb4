//! What the host can give: an app whose containers would ask for more CPU or memory than the
//! runtime reports free is not started (its instance is `failed` with why), instead of being
//! throttled into uselessness or starving the apps that run already.

use std::collections::BTreeSet;
use std::fmt;

use super::types::{Action, ContainerSpec, Observed};

/// Billionths of a core in one core.
const NANO: u64 = 1_000_000_000;

/// What the runtime's host offers containers: its CPUs and memory (Docker's `NCPU` and
/// `MemTotal`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    /// CPU in billionths of a core (the unit of Docker's `NanoCpus`).
    pub nano_cpus: u64,
    /// Memory in bytes.
    pub memory_bytes: u64,
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cpus = self.nano_cpus / (NANO / 100);
        write!(
            f,
            "{}.{:02} CPUs and {} MiB",
            cpus / 100,
            cpus % 100,
            self.memory_bytes >> 20
        )
    }
}

/// The containers of `actions` this host cannot create: each [`Action::Create`], in the plan's
/// order, must fit in `capacity` beside the limits of the containers of `desired` that the
/// runtime already has (`observed`) and keeps, and the ones created before it. Returns the names
/// that do not fit with why, for the caller to mark `failed` and skip.
///
/// ```
/// use flux_nodes::hosting::{Action, Capacity, ContainerSpec, over_capacity};
/// let mut spec = ContainerSpec::default();
/// spec.name = "fluxweb_big".into();
/// spec.nano_cpus = 4_000_000_000; // 4 cores
/// spec.memory_bytes = 1 << 30;
/// let host = Capacity { nano_cpus: 2_000_000_000, memory_bytes: 8 << 30 };
/// let refused = over_capacity(host, &[spec.clone()], &[], &[Action::Create(spec)]);
/// assert_eq!(refused.len(), 1);
/// assert!(refused[0].1.contains("4.00 CPUs"), "{}", refused[0].1);
/// ```
pub fn over_capacity(
    capacity: Capacity,
    desired: &[ContainerSpec],
    observed: &[Observed],
    actions: &[Action],
) -> Vec<(String, String)> {
    let creating: BTreeSet<&str> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Create(spec) => Some(spec.name.as_str()),
            _ => None,
        })
        .collect();
    let present: BTreeSet<&str> = observed.iter().map(|o| o.name.as_str()).collect();
    let mut used = Capacity {
        nano_cpus: 0,
        memory_bytes: 0,
    };
    for kept in desired
        .iter()
        .filter(|s| present.contains(s.name.as_str()) && !creating.contains(s.name.as_str()))
    {
        used.nano_cpus = used.nano_cpus.saturating_add(kept.nano_cpus);
        used.memory_bytes = used.memory_bytes.saturating_add(kept.memory_bytes);
    }
    let mut refused = Vec::new();
    for spec in actions.iter().filter_map(|a| match a {
        Action::Create(spec) => Some(spec),
        _ => None,
    }) {
        let cpus = used.nano_cpus.saturating_add(spec.nano_cpus);
        let memory = used.memory_bytes.saturating_add(spec.memory_bytes);
        if cpus > capacity.nano_cpus || memory > capacity.memory_bytes {
            let needs = Capacity {
                nano_cpus: spec.nano_cpus,
                memory_bytes: spec.memory_bytes,
            };
            refused.push((
                spec.name.clone(),
                format!(
                    "not enough resources on this host: the container needs {needs}, the \
                     runtime offers {capacity} of which this node's other containers hold {used}"
                ),
            ));
        } else {
            used = Capacity {
                nano_cpus: cpus,
                memory_bytes: memory,
            };
        }
    }
    refused
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::collections::BTreeMap;

    use super::*;
    use crate::hosting::ObservedState;

    fn spec(name: &str, cores_tenths: u64, mib: u64) -> ContainerSpec {
        ContainerSpec {
            name: name.to_owned(),
            nano_cpus: cores_tenths * (NANO / 10),
            memory_bytes: mib << 20,
            ..ContainerSpec::default()
        }
    }

    fn running(name: &str) -> Observed {
        Observed {
            name: name.to_owned(),
            labels: BTreeMap::new(),
            state: ObservedState::Running,
            started_at_ms: None,
            image: String::new(),
            addresses: Default::default(),
        }
    }

    const HOST: Capacity = Capacity {
        nano_cpus: 2 * NANO,
        memory_bytes: 1 << 30,
    };

    /// Containers that run already count against the host; new ones fit in what is left, in
    /// the plan's order, and one that does not fit does not use anything up.
    #[test]
    fn creates_fit_beside_what_runs_in_plan_order() {
        let a = spec("a", 10, 256); // runs
        let b = spec("b", 8, 256); // fits: 1.8 cores
        let c = spec("c", 5, 128); // 2.3 cores: refused
        let d = spec("d", 2, 512); // 2.0 cores, 1024 MiB: fits exactly
        let desired = [a.clone(), b.clone(), c.clone(), d.clone()];
        let actions = [Action::Create(b), Action::Create(c), Action::Create(d)];
        let refused = over_capacity(HOST, &desired, &[running("a")], &actions);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].0, "c");
        assert!(
            refused[0].1.contains("0.50 CPUs and 128 MiB"),
            "{}",
            refused[0].1
        );
        assert!(
            refused[0].1.contains("1.80 CPUs and 512 MiB"),
            "{}",
            refused[0].1
        );
    }

    /// A container being replaced (a new spec) counts once, as its new self; containers that
    /// are not desired any more (being removed) do not count.
    #[test]
    fn replaced_and_removed_containers_do_not_count_twice() {
        let big = spec("a", 15, 900);
        let actions = [
            Action::Remove { name: "a".into() },
            Action::Create(big.clone()),
            Action::Remove { name: "old".into() },
        ];
        let observed = [running("a"), running("old")];
        assert!(over_capacity(HOST, &[big], &observed, &actions).is_empty());
    }

    /// Memory alone can refuse a container.
    #[test]
    fn memory_alone_refuses() {
        let fat = spec("fat", 1, 2048);
        let refused = over_capacity(
            HOST,
            std::slice::from_ref(&fat),
            &[],
            &[Action::Create(fat.clone())],
        );
        assert_eq!(refused.len(), 1);
    }
}
