//! The test kit (feature `testkit`, off by default): flux-chain's kit
//! ([`flux_chain::testkit`]) plus [`NetworkFixture`], a harness that starts N validators on the
//! deterministic simulated network ([`crate::sim`]) with fault injection (links, partitions,
//! crashes and restarts, byzantine validators running named attacks:
//! [`NetworkFixture::attacker`]) and checks invariants as it runs: the simulator's own
//! (agreement, state roots, certificates) and the kit's and yours ([`invariants`],
//! [`NetworkFixture::invariant`]). [`schedule`] draws whole fault schedules from a seed.
//!
//! `arbitrary::Arbitrary` is implemented for the wire messages ([`crate::message::Message`],
//! [`crate::message::Decided`]), so `arb::<Message>()` draws what a byzantine peer could send.
//!
//! It lives here rather than in flux-chain because the simulator is flux-net's: it runs the
//! real consensus host ([`crate::host::Host`]) over a simulated network. [`node::start_validator`]
//! starts a real node (libp2p, redb, the API) validating alone, for end-to-end tests.
//!
//! ```
//! use flux_net::testkit::NetworkFixture;
//!
//! let report = NetworkFixture::new(4)?
//!     .seed(3)
//!     .partition(vec![vec![0, 1], vec![2, 3]], 2_000, 6_000) // no side has 2/3: stalls, heals
//!     .until_heights(8)
//!     .run()?;
//! assert!(report.min_honest_heights >= 8);
//! # Ok::<(), flux_net::testkit::NetworkFixtureError>(())
//! ```

mod arbitrary_impls;
pub mod docker;
pub mod hosting;
pub mod invariants;
mod network;
pub mod node;
pub mod relay;
pub mod schedule;
pub mod wait;

pub use flux_chain::testkit::*;
pub use network::{Invariant, NetworkFixture, NetworkFixtureError, SEED_ENV};
