//! Why a trie proof does not hold: one variant per rule the verifier checks.

use flux_core::Hash;
use thiserror::Error;

/// Why [`Proof::verify`](super::Proof::verify) rejected a proof.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    /// More steps than a 256-bit key has bits (checked first, before any hashing).
    #[error("proof has {steps} steps, at most {max} are possible")]
    TooLong {
        /// Steps in the proof.
        steps: usize,
        /// The maximum (256).
        max: usize,
    },
    /// A step names a bit index past the end of a 256-bit key.
    #[error("step {index} tests bit {bit}, past the last bit (255)")]
    BitOutOfRange {
        /// Position of the step, from the root.
        index: usize,
        /// The bit it names.
        bit: u16,
    },
    /// Bit indices must strictly increase from the root to the leaf.
    #[error("step {index} tests bit {bit}, not after the previous step's bit {previous}")]
    BitOrder {
        /// Position of the step, from the root.
        index: usize,
        /// The previous step's bit.
        previous: u16,
        /// This step's bit.
        bit: u16,
    },
    /// A proof of an empty trie carries steps.
    #[error("proof of an empty trie has {steps} steps")]
    EmptyWithSteps {
        /// Steps found.
        steps: usize,
    },
    /// A value was claimed but the proof shows the key is absent.
    #[error("a value was claimed but the proof shows the key is absent")]
    KeyAbsent,
    /// Absence was claimed but the proof is a membership proof of the key.
    #[error("absence was claimed but the proof shows the key is present")]
    KeyPresent,
    /// An absence proof ends at a leaf holding the very key it claims is absent.
    #[error("absence proof ends at the key itself")]
    NotDivergent,
    /// The leaf an absence proof ends at does not lie on the key's path: it differs from the key
    /// at a bit the path tests.
    #[error("the proof's leaf leaves the key's path at bit {bit}")]
    KeyDiverges {
        /// The path bit at which the leaf's key and the key differ.
        bit: u16,
    },
    /// The path hashes to a different root: the claim is false or the proof is for another
    /// state.
    #[error("proof leads to root {computed}, expected {expected}")]
    RootMismatch {
        /// The root the proof was checked against.
        expected: Hash,
        /// The root the proof and the claim hash to.
        computed: Hash,
    },
}
