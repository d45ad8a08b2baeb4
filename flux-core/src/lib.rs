//! # flux-core
//!
//! The primitives every other flux crate is built on: money, hashes, keys and signatures,
//! addresses, the canonical encoding, and the protocol's numbers and economics. Modules:
//!
//! - [`amount`]: [`Amount`], money in base units (1 FLUX = 10^8), checked arithmetic, exact text;
//! - [`hash`]: [`Hash`](struct@Hash), 32-byte BLAKE3 digests with domain separation;
//! - [`crypto`]: Ed25519 and secp256k1 keys and signatures behind one type, ZIP-215 batches;
//! - [`address`]: [`Address`], 20-byte account ids and their bech32m form;
//! - [`codec`]: the one canonical binary encoding of consensus and wire data;
//! - [`hex`]: lower-case hex of fixed-size byte strings;
//! - [`params`]: [`ChainParams`], every protocol number, mainnet, testnet and devnet presets;
//! - [`tier`]: node tiers and the hardware units they are measured in;
//! - [`tokenomics`]: the emission schedule, the supply cap and the reward split;
//! - [`parallel`]: the external chains of parallel assets and their attestation digests;
//! - [`rng`]: [`SplitMix64`](rng::SplitMix64), the seeded stream of synthetic data (no secrets);
//! - [`error`]: the typed errors of all of the above;
//! - `testkit` (feature `testkit`): strategies, `Arbitrary` impls, keys, codec checks, waits.
//!
//! It does no IO and reads no clock: everything here is a pure function of its inputs.
//!
//! ```
//! use flux_core::{Address, Amount, ChainParams, codec};
//! use flux_core::crypto::{Domain, Scheme, SecretKey};
//!
//! let params = ChainParams::devnet();
//! let key = SecretKey::from_bytes(Scheme::Ed25519, &[42u8; 32])?;
//! let to = Address::from_public_key(&key.public_key());
//! let payment = (to, "2.5".parse::<Amount>()?);
//!
//! let bytes = codec::encode(&payment)?;
//! let sig = key.sign(Domain::TRANSACTION, params.chain_id, &bytes);
//! key.public_key().verify(Domain::TRANSACTION, params.chain_id, &bytes, &sig)?;
//! assert_eq!(codec::decode::<(Address, Amount)>(&bytes)?, payment);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod address;
pub mod amount;
pub mod codec;
pub mod crypto;
pub mod error;
mod fixed_bytes;
pub mod hash;
pub mod hex;
pub mod parallel;
pub mod params;
pub mod rng;
// Test kit for integrators (feature `testkit`): strategies, `Arbitrary` impls, keys, codec checks.
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tier;
pub mod tokenomics;

pub use address::Address;
pub use amount::{Amount, COIN};
pub use hash::Hash;
pub use params::{ChainId, ChainParams, Network};
pub use tier::Tier;
pub use tokenomics::RewardSplit;
