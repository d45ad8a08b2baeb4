//! Keys and signatures over two schemes behind one type each.
//!
//! - **Ed25519** (node identities, consensus votes, default accounts): keys and signing through
//!   ed25519-dalek; verification, single and batch, through ed25519-consensus under the ZIP-215
//!   rules, so that every node accepts exactly the same signatures whether it checks them one by
//!   one or in a batch (ed25519-dalek's own single and batch checks can disagree on edge cases,
//!   which would split consensus).
//! - **secp256k1 ECDSA** (accounts compatible with Ethereum-style wallets, bridge attestations):
//!   k256, RFC 6979 deterministic signing over SHA-256, low-S only so signatures are not
//!   malleable.
//!
//! Every signature covers `len(domain) ‖ domain ‖ chain id ‖ message`: a vote can never be replayed
//! as a transaction, nor a testnet transaction on mainnet.
//!
//! ```
//! use flux_core::crypto::{Domain, Scheme, SecretKey};
//! use flux_core::params::ChainId;
//!
//! let key = SecretKey::from_bytes(Scheme::Ed25519, &[7u8; 32])?;
//! let sig = key.sign(Domain::TRANSACTION, ChainId::DEVNET, b"pay 1 FLUX");
//! let public = key.public_key();
//! assert!(public.verify(Domain::TRANSACTION, ChainId::DEVNET, b"pay 1 FLUX", &sig).is_ok());
//! assert!(public.verify(Domain::VOTE, ChainId::DEVNET, b"pay 1 FLUX", &sig).is_err());
//! assert!(public.verify(Domain::TRANSACTION, ChainId::MAINNET, b"pay 1 FLUX", &sig).is_err());
//! # Ok::<(), flux_core::error::SignatureError>(())
//! ```

mod batch;
mod keys;
mod signature;
pub mod vrf;

pub use batch::{BatchItem, verify_batch, verify_batch_committed};
pub use keys::{PublicKey, Scheme, SecretKey};
pub use signature::{Domain, Signature, signing_bytes};
pub use vrf::{VrfOutput, VrfProof};
