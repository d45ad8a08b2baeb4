//! proptest strategies for flux-chain's types: arbitrary transactions and blocks (wire values
//! an attacker could send), transfer attempts that mix valid and invalid ones, and state-trie
//! change batches. Valid values on a state are in [`super::generate`].

use flux_core::Hash;
pub use flux_core::testkit::strategies::arb;
use proptest::prelude::*;

use crate::block::Block;
use crate::tx::{Transaction, TxKind};

/// Any transaction as the wire could carry it (arbitrary kind, fields and signature bytes).
pub fn any_transaction() -> impl Strategy<Value = Transaction> {
    arb::<Transaction>()
}

/// Any transaction kind.
pub fn any_tx_kind() -> impl Strategy<Value = TxKind> {
    arb::<TxKind>()
}

/// Any block (arbitrary header and transactions).
pub fn any_block() -> impl Strategy<Value = Block> {
    arb::<Block>()
}

/// One transfer attempt among `n` keys, valid or not: who sends to whom (indices `n` and
/// `n + 1` are two outsiders' addresses), how much, the fee, how far the nonce is off, and
/// whether the signature is broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferAttempt {
    /// Sender index.
    pub from: usize,
    /// Recipient index (`>= n`: an outsider).
    pub to: usize,
    /// Amount, base units (0, small, huge).
    pub amount: u64,
    /// Fee, base units.
    pub fee: u64,
    /// Added to the sender's next nonce (mostly 0, sometimes -1 or +1).
    pub nonce_skew: i8,
    /// Whether the fee is changed after signing (a bad signature).
    pub bad_signature: bool,
}

/// Transfer attempts among `n` keys (see [`TransferAttempt`]): the mix the state transition's
/// conservation test throws at a chain.
pub fn transfer_attempt(n: usize) -> impl Strategy<Value = TransferAttempt> {
    (
        0..n,
        0..n + 2,
        prop_oneof![
            Just(0u64),
            1u64..1_000_000,
            Just(u64::MAX / 2),
            1u64..50_000_000_000_000
        ],
        0u64..10_000,
        prop_oneof![8 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)],
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |(from, to, amount, fee, nonce_skew, bad_signature)| TransferAttempt {
                from,
                to,
                amount,
                fee,
                nonce_skew,
                bad_signature,
            },
        )
}

/// State-trie keys and values from small pools, so that batches collide, remove and
/// re-insert.
pub mod trie {
    use super::*;

    /// One change: set a key to a value, or remove it (`None`).
    pub type Change = (Hash, Option<Hash>);

    /// Key `index` of the pool: odd indices are sparse keys sharing long prefixes (branches
    /// that skip many bits), even ones uniform hashes.
    pub fn key(index: u8) -> Hash {
        if index.is_multiple_of(2) {
            Hash::tagged("flux/test/key/v1", &[index])
        } else {
            let mut k = [0u8; 32];
            let i = usize::from(index);
            k[i % 3] = 1 << (i % 8);
            k[31 - i % 5] |= index.wrapping_mul(37);
            Hash::from_bytes(k)
        }
    }

    /// Value `n` of the pool.
    pub fn value(n: u8) -> Hash {
        Hash::tagged("flux/test/value/v1", &[n])
    }

    /// A value hash no pool entry holds.
    pub fn wrong_value() -> Hash {
        Hash::tagged("flux/test/wrong/v1", b"")
    }

    /// A change to one of 96 pool keys (70% sets, 30% removes).
    pub fn change() -> impl Strategy<Value = Change> {
        (any::<u8>(), proptest::option::weighted(0.7, any::<u8>()))
            .prop_map(|(k, v)| (key(k % 96), v.map(value)))
    }

    /// 1 to 7 batches of up to 59 changes.
    pub fn batches() -> impl Strategy<Value = Vec<Vec<Change>>> {
        prop::collection::vec(prop::collection::vec(change(), 0..60), 1..8)
    }
}
