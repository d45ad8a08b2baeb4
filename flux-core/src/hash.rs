//! [`Hash`](struct@Hash): 32-byte BLAKE3 digests, with domain separation for every use.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::HexError;

/// A 32-byte BLAKE3 digest.
///
/// Ids of consensus objects are `Hash::tagged(TAG, canonical_bytes)`: the tag keeps a transaction
/// id from ever colliding with a block id or a state node over the same bytes. Each tag names a
/// BLAKE3 key (see [`Tag`]), so distinct tags give independent hash functions.
///
/// ```
/// use flux_core::Hash;
///
/// let a = Hash::tagged("flux/example/v1", b"hello");
/// let b = Hash::tagged("flux/other/v1", b"hello");
/// assert_ne!(a, b);
/// assert_eq!(a.to_string().parse::<Hash>()?, a);
/// # Ok::<(), flux_core::error::HexError>(())
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hash(#[serde(with = "crate::fixed_bytes")] [u8; 32]);

impl Hash {
    /// The all-zero hash (a placeholder parent for genesis, never a real digest).
    pub const ZERO: Hash = Hash([0; 32]);
    /// Length in bytes.
    pub const LEN: usize = 32;

    /// Plain BLAKE3 of `bytes`, with no domain tag. Prefer [`Hash::tagged`] for protocol objects.
    pub fn digest(bytes: &[u8]) -> Hash {
        Hash(*blake3::hash(bytes).as_bytes())
    }

    /// BLAKE3 of `bytes` in the domain `tag`: `Tag::new(tag).hash(bytes)`.
    ///
    /// Deriving the tag's key costs a few hashes of its own; on hot paths keep a [`Tag`] instead.
    pub fn tagged(tag: &str, bytes: &[u8]) -> Hash {
        Tag::new(tag).hash(bytes)
    }

    /// Wraps raw digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Hash {
        Hash(bytes)
    }

    /// The digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The digest bytes, by value.
    pub const fn to_bytes(self) -> [u8; 32] {
        self.0
    }
}

/// A hashing domain, prepared once: the BLAKE3 key derived from the tag's name
/// (`blake3::derive_key("flux/tag/v1", name)`), used in BLAKE3's keyed mode.
///
/// Hashing under a prepared `Tag` costs one BLAKE3 compression for inputs up to 64 bytes. Keep
/// tags of hot paths in a `static` (`std::sync::LazyLock<Tag>`).
///
/// ```
/// use flux_core::hash::{Hash, Tag};
/// use std::sync::LazyLock;
/// static LEAF: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/example/leaf/v1"));
/// assert_eq!(LEAF.hash(b"x"), Hash::tagged("flux/example/leaf/v1", b"x"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag([u8; 32]);

impl Tag {
    /// Derives the key of the domain `name`.
    pub fn new(name: &str) -> Tag {
        Tag(blake3::derive_key("flux/tag/v1", name.as_bytes()))
    }

    /// The hash of `bytes` in this domain.
    pub fn hash(&self, bytes: &[u8]) -> Hash {
        Hash(*blake3::keyed_hash(&self.0, bytes).as_bytes())
    }

    /// An incremental hasher in this domain.
    pub fn hasher(&self) -> Hasher {
        Hasher(blake3::Hasher::new_keyed(&self.0))
    }
}

/// An incremental, domain-tagged BLAKE3 hasher: `Hash::tagged` over data fed in pieces.
///
/// ```
/// use flux_core::hash::{Hash, Hasher};
/// let mut h = Hasher::new("flux/example/v1");
/// h.update(b"hel");
/// h.update(b"lo");
/// assert_eq!(h.finalize(), Hash::tagged("flux/example/v1", b"hello"));
/// ```
#[derive(Clone)]
pub struct Hasher(blake3::Hasher);

impl Hasher {
    /// A hasher for the domain `tag` (same as `Tag::new(tag).hasher()`).
    pub fn new(tag: &str) -> Hasher {
        Tag::new(tag).hasher()
    }

    /// Feeds more bytes.
    pub fn update(&mut self, bytes: &[u8]) -> &mut Hasher {
        self.0.update(bytes);
        self
    }

    /// The digest of everything fed so far.
    pub fn finalize(&self) -> Hash {
        Hash(*self.0.finalize().as_bytes())
    }

    /// An unbounded deterministic byte stream derived from everything fed so far.
    pub(crate) fn finalize_xof(&self) -> blake3::OutputReader {
        self.0.finalize_xof()
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::hex::encode(&self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl FromStr for Hash {
    type Err = HexError;

    /// Parses 64 hex digits (either case).
    fn from_str(s: &str) -> Result<Hash, HexError> {
        crate::hex::decode_array(s).map(Hash)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector_and_formats() {
        // BLAKE3 of the empty input (reference test vector).
        let empty = Hash::digest(b"");
        assert_eq!(
            empty.to_string(),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
        assert_eq!(
            serde_json::to_string(&empty).unwrap(),
            format!("\"{empty}\"")
        );
        assert_eq!(crate::codec::encode(&empty).unwrap(), empty.as_bytes());
        assert!("zz".parse::<Hash>().is_err());
    }

    #[test]
    fn tags_separate_domains() {
        assert_ne!(Hash::tagged("a", b"x"), Hash::tagged("b", b"x"));
        assert_ne!(Hash::tagged("a", b"x"), Hash::digest(b"x"));
    }
}
