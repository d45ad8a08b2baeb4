//! Merkle proofs of membership and absence, checkable with only a root.

use flux_core::Hash;
use serde::{Deserialize, Serialize};

use super::error::ProofError;
use super::node::{EMPTY_ROOT, KEY_BITS, bit, leaf_hash, node_hash};

/// One branch on the path from the root to the proof's leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofStep {
    /// The bit the branch tests (0..=255, MSB-first over the key bytes); the key's bit there
    /// says which side the path continues on.
    pub bit: u16,
    /// The hash of the other child.
    pub sibling: Hash,
}

/// Where the proof's path ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProofEnd {
    /// The trie is empty (the path has no steps): every key is absent.
    Empty,
    /// The path ends at the key's own leaf; its value is the one being claimed.
    Member,
    /// The path the key's bits select ends at another key's leaf, so the key is absent.
    Divergent {
        /// The key of the leaf found there.
        key: Hash,
        /// Its value hash.
        value: Hash,
    },
}

/// A proof that a key maps to a value hash, or is absent, in the trie with a given root.
///
/// Built by [`Trie::prove`](super::Trie::prove); travels through [`flux_core::codec`]. Its size is
/// bounded: at most 256 steps of 34 bytes (a 1,000,000-key trie needs about 20). The fields are
/// public so that proofs can be carried and inspected; [`Proof::verify`] accepts no proof it
/// should not, whatever they hold, and never panics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// The branches from the root down, with the sibling hash at each.
    pub path: Vec<ProofStep>,
    /// The node the path ends at.
    pub end: ProofEnd,
}

impl Proof {
    /// Checks that `key` maps to `value` (`Some(value_hash)`) or is absent (`None`) in the trie
    /// whose root is `root`.
    ///
    /// Checks, in order: at most 256 steps; bit indices in range and strictly increasing; the
    /// claim matches the kind of proof (membership or absence); an absence proof's leaf is
    /// another key that follows the key's path; the path hashes, in the directions the key's
    /// bits select, to `root`. Cost: one hash per step plus one; no allocation.
    pub fn verify(&self, root: &Hash, key: &Hash, value: Option<&Hash>) -> Result<(), ProofError> {
        let bits = self.checked_bits()?;
        let leaf = match (&self.end, value) {
            (ProofEnd::Empty, None) if self.path.is_empty() => EMPTY_ROOT,
            (ProofEnd::Empty, None) => {
                return Err(ProofError::EmptyWithSteps {
                    steps: self.path.len(),
                });
            }
            (ProofEnd::Member, Some(value)) => leaf_hash(key, value),
            (ProofEnd::Member, None) => return Err(ProofError::KeyPresent),
            (ProofEnd::Empty | ProofEnd::Divergent { .. }, Some(_)) => {
                return Err(ProofError::KeyAbsent);
            }
            (ProofEnd::Divergent { key: other, value }, None) => {
                if other == key {
                    return Err(ProofError::NotDivergent);
                }
                if let Some(b) = bits.clone().find(|&b| bit(other, b) != bit(key, b)) {
                    return Err(ProofError::KeyDiverges { bit: u16::from(b) });
                }
                leaf_hash(other, value)
            }
        };
        let computed = self
            .path
            .iter()
            .zip(bits)
            .rev()
            .fold(leaf, |below, (step, b)| {
                if bit(key, b) {
                    node_hash(b, &step.sibling, &below)
                } else {
                    node_hash(b, &below, &step.sibling)
                }
            });
        if computed == *root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch {
                expected: *root,
                computed,
            })
        }
    }

    /// The number of branches on the path (the proof's depth).
    pub fn depth(&self) -> usize {
        self.path.len()
    }

    /// Whether this proof claims the key is present (otherwise it proves absence).
    pub fn is_membership(&self) -> bool {
        self.end == ProofEnd::Member
    }

    /// Checks the length and the bit order, and gives the bits as `u8` indices.
    fn checked_bits(
        &self,
    ) -> Result<impl DoubleEndedIterator<Item = u8> + ExactSizeIterator + Clone + '_, ProofError>
    {
        if self.path.len() > KEY_BITS {
            return Err(ProofError::TooLong {
                steps: self.path.len(),
                max: KEY_BITS,
            });
        }
        let mut previous: Option<u16> = None;
        for (index, step) in self.path.iter().enumerate() {
            if usize::from(step.bit) >= KEY_BITS {
                return Err(ProofError::BitOutOfRange {
                    index,
                    bit: step.bit,
                });
            }
            if let Some(previous) = previous.filter(|&p| p >= step.bit) {
                return Err(ProofError::BitOrder {
                    index,
                    previous,
                    bit: step.bit,
                });
            }
            previous = Some(step.bit);
        }
        // Every bit is below 256 (checked above), so the narrowing is exact.
        Ok(self.path.iter().map(|s| s.bit as u8))
    }
}
