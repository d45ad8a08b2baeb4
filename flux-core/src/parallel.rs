//! The external chains of parallel assets (SPEC "Parallel assets") and the Ethereum-style
//! attestation digest their contracts verify.
//!
//! Each [`ExternalChain`] has a stable id (its place in the books, in state keys and in signed
//! messages: never renumbered) and an [`AttestationScheme`]:
//!
//! - **EVM** (Ethereum, BSC, Avalanche C-chain, Polygon, Base) and **Tron**: secp256k1 ECDSA over
//!   the [`evm_digest`], which a Solidity contract checks with `ecrecover`. Tron's virtual
//!   machine is the EVM's (same `keccak256`, same `ecrecover` precompile, 20-byte addresses
//!   inside the VM), so Tron uses the same scheme; only its written address adds a `0x41`
//!   prefix byte (21 bytes, [`ExternalChain::check_destination`]).
//! - **Ed25519** (Kadena, Solana, Ergo, Algorand): the canonical encoding of the statement signed
//!   in the `flux/swap/v1` domain (`flux_core::crypto::Domain::SWAP`); those chains verify
//!   Ed25519 natively. The statement types live in `flux_chain::parallel`.
//!
//! ```
//! use flux_core::parallel::{AttestationScheme, ExternalChain, keccak256};
//!
//! assert_eq!(ExternalChain::ALL.len(), 10);
//! assert_eq!("ethereum".parse::<ExternalChain>()?, ExternalChain::Ethereum);
//! assert_eq!(ExternalChain::Base.scheme(), AttestationScheme::EvmSecp256k1);
//! assert_eq!(ExternalChain::Solana.scheme(), AttestationScheme::Ed25519);
//! assert!(ExternalChain::Ethereum.check_destination(&[7; 20]).is_ok());
//! assert!(ExternalChain::Ethereum.check_destination(&[7; 21]).is_err());
//! assert_eq!(keccak256(b"")[..4], [0xc5, 0xd2, 0x46, 0x01]);
//! # Ok::<(), flux_core::error::ParallelError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use k256::ecdsa::{RecoveryId, Signature as K256Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

use crate::crypto::{PublicKey, SecretKey};
use crate::error::ParallelError;
use crate::{Amount, ChainId};

mod destination;
pub use destination::DestinationError;

/// A chain where FLUX exists as a parallel asset. The discriminant is the stable id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExternalChain {
    /// Kadena (Ed25519).
    Kadena = 1,
    /// Ethereum (EVM).
    Ethereum = 2,
    /// BNB Smart Chain (EVM).
    Bsc = 3,
    /// Tron (TVM: secp256k1 and keccak like the EVM).
    Tron = 4,
    /// Solana (Ed25519).
    Solana = 5,
    /// Avalanche C-chain (EVM).
    Avalanche = 6,
    /// Ergo (Ed25519 statement; see the module docs).
    Ergo = 7,
    /// Algorand (Ed25519).
    Algorand = 8,
    /// Polygon PoS (EVM).
    Polygon = 9,
    /// Base (EVM).
    Base = 10,
}

/// How the committee signs an attestation for a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttestationScheme {
    /// secp256k1 ECDSA over [`evm_digest`], recoverable (`ecrecover`).
    EvmSecp256k1,
    /// Ed25519 over the canonical statement in the `flux/swap/v1` domain.
    Ed25519,
}

impl ExternalChain {
    /// Every external chain, by id.
    pub const ALL: [ExternalChain; 10] = [
        ExternalChain::Kadena,
        ExternalChain::Ethereum,
        ExternalChain::Bsc,
        ExternalChain::Tron,
        ExternalChain::Solana,
        ExternalChain::Avalanche,
        ExternalChain::Ergo,
        ExternalChain::Algorand,
        ExternalChain::Polygon,
        ExternalChain::Base,
    ];

    /// The stable id (1..=10).
    pub const fn id(self) -> u32 {
        self as u32
    }

    /// The chain with id `id`, if any.
    pub fn from_id(id: u32) -> Option<ExternalChain> {
        ExternalChain::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The lowercase name (`"ethereum"`, `"bsc"`, ...), as in JSON and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            ExternalChain::Kadena => "kadena",
            ExternalChain::Ethereum => "ethereum",
            ExternalChain::Bsc => "bsc",
            ExternalChain::Tron => "tron",
            ExternalChain::Solana => "solana",
            ExternalChain::Avalanche => "avalanche",
            ExternalChain::Ergo => "ergo",
            ExternalChain::Algorand => "algorand",
            ExternalChain::Polygon => "polygon",
            ExternalChain::Base => "base",
        }
    }

    /// How attestations for this chain are signed. See the module docs.
    pub const fn scheme(self) -> AttestationScheme {
        match self {
            ExternalChain::Ethereum
            | ExternalChain::Bsc
            | ExternalChain::Tron
            | ExternalChain::Avalanche
            | ExternalChain::Polygon
            | ExternalChain::Base => AttestationScheme::EvmSecp256k1,
            ExternalChain::Kadena
            | ExternalChain::Solana
            | ExternalChain::Ergo
            | ExternalChain::Algorand => AttestationScheme::Ed25519,
        }
    }

    /// Checks a destination address (raw bytes) for this chain:
    ///
    /// - EVM chains: exactly 20 bytes;
    /// - Tron: 21 bytes, the first `0x41` (the base58check payload);
    /// - Solana, Algorand: a 32-byte public key;
    /// - Kadena: an account name, 3..=256 printable ASCII bytes (e.g. `k:` and 64 hex digits);
    /// - Ergo: an address's decoded bytes, 1..=128.
    pub fn check_destination(self, to: &[u8]) -> Result<(), ParallelError> {
        let (min, max) = match self {
            ExternalChain::Ethereum
            | ExternalChain::Bsc
            | ExternalChain::Avalanche
            | ExternalChain::Polygon
            | ExternalChain::Base => (20, 20),
            ExternalChain::Tron => (21, 21),
            ExternalChain::Solana | ExternalChain::Algorand => (32, 32),
            ExternalChain::Kadena => (3, 256),
            ExternalChain::Ergo => (1, 128),
        };
        if to.len() < min || to.len() > max {
            return Err(ParallelError::DestinationLength {
                chain: self.name(),
                len: to.len(),
                min,
                max,
            });
        }
        let format = |reason| ParallelError::DestinationFormat {
            chain: self.name(),
            reason,
        };
        match self {
            ExternalChain::Tron if to[0] != 0x41 => Err(format("must start with 0x41")),
            ExternalChain::Kadena if !to.iter().all(|b| b.is_ascii_graphic()) => {
                Err(format("must be printable ASCII"))
            }
            _ => Ok(()),
        }
    }

    /// The 20-byte address an EVM contract sees for a destination (Tron: without the `0x41`
    /// prefix); `None` for chains without the EVM scheme or a destination of another length.
    pub fn evm_address(self, to: &[u8]) -> Option<[u8; 20]> {
        match self.scheme() {
            AttestationScheme::Ed25519 => None,
            AttestationScheme::EvmSecp256k1 => {
                let body = if self == ExternalChain::Tron {
                    to.get(1..)?
                } else {
                    to
                };
                body.try_into().ok()
            }
        }
    }
}

impl fmt::Display for ExternalChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExternalChain {
    type Err = ParallelError;

    fn from_str(s: &str) -> Result<ExternalChain, ParallelError> {
        ExternalChain::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParallelError::UnknownChain(s.to_string()))
    }
}

/// Keccak-256 (Ethereum's `keccak256`, not NIST SHA3-256).
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// The tag that starts every packed swap message: the 12 ASCII bytes `flux/swap/v1`.
pub const EVM_DOMAIN: &[u8; 12] = b"flux/swap/v1";

/// The packed fields of an EVM swap attestation, exactly Solidity's
/// `abi.encodePacked(bytes12 domain, uint64 fluxChainId, uint32 chain, bytes32 swapId,
/// address to, uint256 amount)`, 108 bytes:
///
/// | bytes | field | encoding |
/// |---|---|---|
/// | 0..12 | `domain` | ASCII `flux/swap/v1` ([`EVM_DOMAIN`]) |
/// | 12..20 | `fluxChainId` | this chain's [`ChainId`], u64 big-endian |
/// | 20..24 | `chain` | [`ExternalChain::id`], u32 big-endian |
/// | 24..56 | `swapId` | the swap's id (the SwapOut transaction id) |
/// | 56..76 | `to` | the 20-byte destination ([`ExternalChain::evm_address`]) |
/// | 76..108 | `amount` | base units (10^8 per FLUX), uint256 big-endian |
pub fn evm_packed(
    flux_chain: ChainId,
    chain: ExternalChain,
    swap_id: &[u8; 32],
    to: &[u8; 20],
    amount: Amount,
) -> [u8; 108] {
    let mut out = [0u8; 108];
    out[..12].copy_from_slice(EVM_DOMAIN);
    out[12..20].copy_from_slice(&flux_chain.0.to_be_bytes());
    out[20..24].copy_from_slice(&chain.id().to_be_bytes());
    out[24..56].copy_from_slice(swap_id);
    out[56..76].copy_from_slice(to);
    out[100..108].copy_from_slice(&amount.base_units().to_be_bytes());
    out
}

/// The digest the committee signs for an EVM chain and a Solidity verifier recomputes:
///
/// ```text
/// inner  = keccak256(evm_packed(...))                       // 32 bytes, see evm_packed
/// digest = keccak256("\x19Ethereum Signed Message:\n32" ‖ inner)   // 28 + 32 bytes
/// ```
///
/// i.e. `ECDSA.toEthSignedMessageHash(keccak256(abi.encodePacked(...)))` (EIP-191 version
/// `0x45`), so `ecrecover(digest, v, r, s)` returns a member's Ethereum address.
pub fn evm_digest(
    flux_chain: ChainId,
    chain: ExternalChain,
    swap_id: &[u8; 32],
    to: &[u8; 20],
    amount: Amount,
) -> [u8; 32] {
    let inner = keccak256(&evm_packed(flux_chain, chain, swap_id, to, amount));
    let mut prefixed = Vec::with_capacity(60);
    prefixed.extend_from_slice(b"\x19Ethereum Signed Message:\n32");
    prefixed.extend_from_slice(&inner);
    keccak256(&prefixed)
}

/// An Ethereum-style signature `r ‖ s ‖ v` (65 bytes, `v` 27 or 28, low S), what Solidity's
/// `ecrecover` and OpenZeppelin's `ECDSA.recover` take.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EvmSignature(#[serde(with = "crate::fixed_bytes")] pub [u8; 65]);

impl fmt::Debug for EvmSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EvmSignature({})", crate::hex::encode(&self.0))
    }
}

/// The Ethereum address of a secp256k1 key: the last 20 bytes of the keccak of its 64-byte
/// uncompressed point. `None` for an Ed25519 key or an invalid point.
pub fn eth_address(key: &PublicKey) -> Option<[u8; 20]> {
    match key {
        PublicKey::Secp256k1(bytes) => {
            let vk = VerifyingKey::from_sec1_bytes(bytes).ok()?;
            Some(eth_address_of(&vk))
        }
        PublicKey::Ed25519(_) => None,
    }
}

fn eth_address_of(vk: &VerifyingKey) -> [u8; 20] {
    let point = vk.to_encoded_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[12..]);
    out
}

/// Signs a 32-byte digest with a secp256k1 key, recoverably (RFC 6979, low S).
pub fn sign_evm(key: &SecretKey, digest: &[u8; 32]) -> Result<EvmSignature, ParallelError> {
    let SecretKey::Secp256k1(sk) = key else {
        return Err(ParallelError::NotSecp256k1);
    };
    let sk: &SigningKey = sk;
    let (sig, recid) = sk
        .sign_prehash_recoverable(digest)
        .map_err(|_| ParallelError::EvmSignature("signing failed"))?;
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&sig.to_bytes());
    out[64] = 27 + recid.to_byte();
    Ok(EvmSignature(out))
}

/// The Ethereum address that signed `digest`, as `ecrecover` computes it; refuses `v` other than
/// 27/28 and high-S signatures (which OpenZeppelin's `ECDSA.recover` refuses too).
pub fn recover_evm(digest: &[u8; 32], sig: &EvmSignature) -> Result<[u8; 20], ParallelError> {
    let v = sig.0[64];
    let recid = v
        .checked_sub(27)
        .and_then(RecoveryId::from_byte)
        .filter(|r| !r.is_x_reduced())
        .ok_or(ParallelError::EvmSignature("v must be 27 or 28"))?;
    let rs = K256Signature::from_slice(&sig.0[..64])
        .map_err(|_| ParallelError::EvmSignature("r or s out of range"))?;
    if rs.normalize_s().is_some() {
        return Err(ParallelError::EvmSignature("high s"));
    }
    let vk = VerifyingKey::recover_from_prehash(digest, &rs, recid)
        .map_err(|_| ParallelError::EvmSignature("no key recovers"))?;
    Ok(eth_address_of(&vk))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Scheme;

    #[test]
    fn ids_are_stable_and_names_round_trip() {
        for (i, c) in ExternalChain::ALL.into_iter().enumerate() {
            assert_eq!(c.id() as usize, i + 1);
            assert_eq!(ExternalChain::from_id(c.id()), Some(c));
            assert_eq!(c.name().parse::<ExternalChain>().unwrap(), c);
        }
    }

    #[test]
    fn keccak_vectors() {
        // Known values (Ethereum yellow paper / every keccak library).
        assert_eq!(
            crate::hex::encode(&keccak256(b"")),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(
            crate::hex::encode(&keccak256(b"abc")),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
        );
    }

    #[test]
    fn address_of_secret_key_one() {
        // The well-known address of private key 0x00..01.
        let mut raw = [0u8; 32];
        raw[31] = 1;
        let key = SecretKey::from_bytes(Scheme::Secp256k1, &raw).unwrap();
        assert_eq!(
            crate::hex::encode(&eth_address(&key.public_key()).unwrap()),
            "7e5f4552091a69125d5dfcb7b8c2659029395bdf"
        );
    }

    #[test]
    fn sign_then_recover() {
        let key = SecretKey::from_bytes(Scheme::Secp256k1, &[3; 32]).unwrap();
        let digest = evm_digest(
            ChainId(7),
            ExternalChain::Polygon,
            &[9; 32],
            &[1; 20],
            Amount::ONE_FLUX,
        );
        let sig = sign_evm(&key, &digest).unwrap();
        assert_eq!(
            recover_evm(&digest, &sig).unwrap(),
            eth_address(&key.public_key()).unwrap()
        );
        let mut bad = sig;
        bad.0[64] = 29;
        assert!(recover_evm(&digest, &bad).is_err());
    }
}
