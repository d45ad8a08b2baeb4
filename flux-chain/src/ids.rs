//! [`TxId`]: the id of a transaction, named here on its own so that the domain modules that
//! record transactions by id (jobs in [`work`](crate::work), swaps in
//! [`parallel`](crate::parallel)) need not depend on [`tx`](crate::tx), which depends on them
//! for the payloads it carries.

use core::fmt;
use std::sync::LazyLock;

use flux_core::Hash;
use flux_core::hash::Tag;
use serde::{Deserialize, Serialize};

static TX_ID: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/tx-id/v1"));

/// A transaction id: the tagged BLAKE3 hash of the transaction's canonical bytes.
///
/// ```
/// use flux_chain::tx::TxId;
/// use flux_core::Hash;
/// let id = TxId::of_canonical_bytes(b"a transaction's canonical bytes");
/// assert_ne!(id, TxId(Hash::digest(b"a transaction's canonical bytes")));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TxId(pub Hash);

impl TxId {
    /// The id of the transaction whose canonical encoding is `bytes`.
    pub fn of_canonical_bytes(bytes: &[u8]) -> TxId {
        TxId(TX_ID.hash(bytes))
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
