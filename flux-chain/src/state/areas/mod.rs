//! The state's areas, each described once.
//!
//! An area (accounts, the node registry, apps and placement, governance, useful work, parallel
//! assets, the chain head) is a type implementing [`StateArea`]: it knows its trie entries, the
//! diff a block makes to it, how that diff applies to the state, and how the area is saved to and
//! loaded from a store's tables. [`Areas`] (the values) and [`AreaDiffs`] (one block's changes)
//! are generated from the one list in `state_areas!`; the root computation, [`State`]'s
//! constructors and commit, and both stores loop over that list. Adding an area is one file
//! here plus one line in the list.
//!
//! [`State`]: crate::state::State

mod accounts;
mod apps;
mod gov;
mod head;
mod nodes;
mod parallel;
mod rows;
mod work;

use flux_core::error::CodecError;
use flux_core::{ChainParams, Hash};
use flux_nodes::registry::Registry;

use crate::error::StoreError;

pub use accounts::AccountsArea;
pub use apps::{AppsArea, AppsDiff, AppsState};
pub use gov::{GovArea, GovChanges, GovDiff};
pub use head::{Head, HeadArea};
pub use nodes::{NodesArea, NodesDiff};
pub use parallel::{ParallelArea, ParallelDiff};
pub use rows::{AreaReader, KeyKind, RowKey, Table, WriteBatch};
pub use work::{WorkArea, WorkChanges, WorkDiff};

/// Trie changes: `(trie key, new trie value)`, `None` removing the key.
pub type TrieChanges = Vec<(Hash, Option<Hash>)>;

/// One area of the state. See the module docs.
pub trait StateArea {
    /// The area's value in the state.
    type Value: Clone + std::fmt::Debug;
    /// What one block changes in the area.
    type Diff: Clone + std::fmt::Debug;

    /// Every entry of `value` as a trie change (the root computed from scratch).
    fn entries(value: &Self::Value, out: &mut TrieChanges) -> Result<(), CodecError>;
    /// The trie changes `diff` makes.
    fn trie_changes(diff: &Self::Diff, out: &mut TrieChanges) -> Result<(), CodecError>;
    /// Applies `diff` to `value`.
    fn apply(value: &mut Self::Value, diff: Self::Diff);
    /// The rows `diff` writes (a `None` value removes a row).
    fn save(diff: &Self::Diff, batch: &mut WriteBatch) -> Result<(), StoreError>;
    /// Every row of `value` (a new store), creating the area's tables even when empty.
    fn save_all(value: &Self::Value, batch: &mut WriteBatch) -> Result<(), StoreError>;
    /// The area from its rows; may read what earlier areas put in `ctx`, and add to it.
    fn load(rows: &dyn AreaReader, ctx: &mut LoadContext) -> Result<Self::Value, StoreError>;
}

/// What loading one area tells the areas loaded after it (see the order in `state_areas!`).
#[derive(Clone, Debug)]
pub struct LoadContext {
    /// The genesis id's hash: the placement's seed.
    pub genesis_seed: Hash,
    /// The parameters: the genesis ones, then (once governance is loaded) with every executed
    /// change applied.
    pub params: ChainParams,
    /// The node registry, once loaded.
    pub registry: Option<Registry>,
}

/// Calls `$then!` with the list of areas, in load order: `field: AreaType`. The one place
/// that names every area.
macro_rules! state_areas {
    ($then:ident) => {
        $then! {
            head: HeadArea,
            accounts: AccountsArea,
            nodes: NodesArea,
            gov: GovArea,
            work: WorkArea,
            parallel: ParallelArea,
            // After `nodes` and `gov`: the placement is restored on the registry, with the
            // parameters after the executed changes.
            apps: AppsArea,
        }
    };
}

macro_rules! define_areas {
    ($($field:ident : $area:ty),* $(,)?) => {
        /// The state's areas, one field per area (see `state_areas!`).
        #[derive(Clone, Debug)]
        pub struct Areas {
            $(
                #[doc = concat!("The `", stringify!($field), "` area.")]
                pub $field: <$area as StateArea>::Value,
            )*
        }

        /// What one block changes, one field per area.
        #[derive(Clone, Debug)]
        pub struct AreaDiffs {
            $(
                #[doc = concat!("The change to the `", stringify!($field), "` area.")]
                pub $field: <$area as StateArea>::Diff,
            )*
        }

        impl Areas {
            /// Every entry of every area as a trie change.
            pub fn trie_entries(&self, out: &mut TrieChanges) -> Result<(), CodecError> {
                $( <$area as StateArea>::entries(&self.$field, out)?; )*
                Ok(())
            }

            /// Applies a block's diffs.
            pub fn apply(&mut self, diffs: AreaDiffs) {
                $( <$area as StateArea>::apply(&mut self.$field, diffs.$field); )*
            }

            /// Every row of every area.
            pub fn save_all(&self, batch: &mut WriteBatch) -> Result<(), StoreError> {
                $( <$area as StateArea>::save_all(&self.$field, batch)?; )*
                Ok(())
            }

            /// Every area from its rows, in list order.
            pub fn load(
                rows: &dyn AreaReader,
                ctx: &mut LoadContext,
            ) -> Result<Areas, StoreError> {
                $( let $field = <$area as StateArea>::load(rows, ctx)?; )*
                Ok(Areas { $($field),* })
            }
        }

        impl AreaDiffs {
            /// The trie changes of every area.
            pub fn trie_changes(&self, out: &mut TrieChanges) -> Result<(), CodecError> {
                $( <$area as StateArea>::trie_changes(&self.$field, out)?; )*
                Ok(())
            }

            /// The rows every area writes.
            pub fn save(&self, batch: &mut WriteBatch) -> Result<(), StoreError> {
                $( <$area as StateArea>::save(&self.$field, batch)?; )*
                Ok(())
            }
        }
    };
}

state_areas!(define_areas);

/// The trie change of an entry under `key` with value `value` (`None`: absent).
pub(crate) fn entry<T: serde::Serialize>(
    key: &crate::state::StateKey,
    value: Option<&T>,
) -> Result<(Hash, Option<Hash>), CodecError> {
    Ok((
        key.trie_key()?,
        value.map(crate::state::value_hash).transpose()?,
    ))
}
