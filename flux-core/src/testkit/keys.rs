//! Deterministic keys for tests: the same index gives the same key on every machine.

use crate::crypto::{Scheme, SecretKey};
use crate::hash::Tag;
use crate::{Address, Hash};

/// The Ed25519 key whose secret is 32 bytes of `i` (the funded keys of flux-chain's
/// `Genesis::devnet_example` are `key(1)` to `key(4)`).
///
/// ```
/// use flux_core::testkit::keys::key;
/// assert_eq!(key(3).public_key(), key(3).public_key());
/// assert_ne!(key(3).public_key(), key(4).public_key());
/// ```
pub fn key(i: u8) -> SecretKey {
    SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[i; 32]))
}

/// `n` distinct Ed25519 keys: key `i`'s secret is `0x5a` bytes with `i + 1` (little-endian) in
/// the first eight.
///
/// ```
/// use flux_core::testkit::keys::seeded_keys;
/// let ks = seeded_keys(3);
/// assert_eq!(ks.len(), 3);
/// assert_ne!(ks[0].public_key(), ks[2].public_key());
/// ```
pub fn seeded_keys(n: usize) -> Vec<SecretKey> {
    (0..n)
        .map(|i| {
            let mut seed = [0x5au8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
        })
        .collect()
}

/// A key of `scheme` derived from `seed` and `index` (secp256k1 draws outside the curve order
/// are re-hashed until they are keys, which takes one try but for a 2^-128 chance).
///
/// ```
/// use flux_core::crypto::Scheme;
/// use flux_core::testkit::keys::derived_key;
/// let evm = derived_key(Scheme::Secp256k1, 7, 0);
/// assert_eq!(evm.public_key().scheme(), Scheme::Secp256k1);
/// ```
pub fn derived_key(scheme: Scheme, seed: u64, index: u64) -> SecretKey {
    let tag = Tag::new("flux/testkit/key/v1");
    let mut input = [0u8; 16];
    input[..8].copy_from_slice(&seed.to_le_bytes());
    input[8..].copy_from_slice(&index.to_le_bytes());
    let mut bytes = tag.hash(&input);
    loop {
        match SecretKey::from_bytes(scheme, bytes.as_bytes()) {
            Ok(key) => return key,
            Err(_) => bytes = Hash::digest(bytes.as_bytes()),
        }
    }
}

/// The account address of `key`.
pub fn address(key: &SecretKey) -> Address {
    Address::from_public_key(&key.public_key())
}
