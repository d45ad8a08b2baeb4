//! [`SecretKey`], [`PublicKey`] and [`Scheme`].

use core::fmt;
use core::str::FromStr;

use ed25519_dalek::Signer as _;
use k256::ecdsa::signature::Verifier as _;
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::signature::{Domain, Signature, signing_bytes};
use crate::error::SignatureError;
use crate::params::ChainId;

/// A signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Ed25519 (ZIP-215 verification).
    Ed25519,
    /// secp256k1 ECDSA, low-S.
    Secp256k1,
}

impl Scheme {
    /// The scheme's name, as used in key files and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Scheme::Ed25519 => "ed25519",
            Scheme::Secp256k1 => "secp256k1",
        }
    }

    /// The byte that stands for the scheme in addresses.
    pub const fn tag(self) -> u8 {
        match self {
            Scheme::Ed25519 => 0,
            Scheme::Secp256k1 => 1,
        }
    }

    /// Length of the scheme's public key encoding.
    pub const fn public_key_len(self) -> usize {
        match self {
            Scheme::Ed25519 => 32,
            Scheme::Secp256k1 => 33,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scheme {
    type Err = SignatureError;

    fn from_str(s: &str) -> Result<Scheme, SignatureError> {
        match s {
            "ed25519" => Ok(Scheme::Ed25519),
            "secp256k1" => Ok(Scheme::Secp256k1),
            _ => Err(SignatureError::UnknownScheme(s.to_owned())),
        }
    }
}

/// A secret signing key. Zeroed on drop; its `Debug` never shows the secret.
///
/// ```
/// use flux_core::crypto::{Scheme, SecretKey};
/// let key = SecretKey::generate(Scheme::Secp256k1, &mut rand_core::OsRng);
/// let again = SecretKey::from_bytes(Scheme::Secp256k1, key.to_bytes().as_slice())?;
/// assert_eq!(again.public_key(), key.public_key());
/// # Ok::<(), flux_core::error::SignatureError>(())
/// ```
#[derive(Clone)]
pub enum SecretKey {
    /// An Ed25519 key.
    Ed25519(ed25519_dalek::SigningKey),
    /// A secp256k1 key.
    Secp256k1(k256::ecdsa::SigningKey),
}

impl SecretKey {
    /// A fresh random key of `scheme` from a cryptographic RNG.
    pub fn generate<R: CryptoRngCore + ?Sized>(scheme: Scheme, rng: &mut R) -> SecretKey {
        loop {
            let mut seed = Zeroizing::new([0u8; 32]);
            rng.fill_bytes(seed.as_mut_slice());
            // Only secp256k1 can refuse a seed (zero or >= the group order: probability ~2^-128).
            if let Ok(key) = SecretKey::from_bytes(scheme, seed.as_slice()) {
                return key;
            }
        }
    }

    /// A key from its 32 secret bytes.
    pub fn from_bytes(scheme: Scheme, bytes: &[u8]) -> Result<SecretKey, SignatureError> {
        let raw: [u8; 32] = bytes.try_into().map_err(|_| SignatureError::KeyLength {
            scheme: scheme.name(),
            expected: 32,
            found: bytes.len(),
        })?;
        let raw = Zeroizing::new(raw);
        match scheme {
            Scheme::Ed25519 => Ok(SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                &raw,
            ))),
            Scheme::Secp256k1 => k256::ecdsa::SigningKey::from_slice(raw.as_slice())
                .map(SecretKey::Secp256k1)
                .map_err(|_| SignatureError::InvalidSecretKey {
                    scheme: scheme.name(),
                }),
        }
    }

    /// The 32 secret bytes (zeroed when dropped).
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        match self {
            SecretKey::Ed25519(k) => Zeroizing::new(k.to_bytes()),
            SecretKey::Secp256k1(k) => Zeroizing::new(k.to_bytes().into()),
        }
    }

    /// The key's scheme.
    pub const fn scheme(&self) -> Scheme {
        match self {
            SecretKey::Ed25519(_) => Scheme::Ed25519,
            SecretKey::Secp256k1(_) => Scheme::Secp256k1,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            SecretKey::Ed25519(k) => PublicKey::Ed25519(k.verifying_key().to_bytes()),
            SecretKey::Secp256k1(k) => {
                let point = k.verifying_key().to_encoded_point(true);
                let mut out = [0u8; 33];
                out.copy_from_slice(point.as_bytes());
                PublicKey::Secp256k1(out)
            }
        }
    }

    /// Signs `message` in `domain` for `chain_id` (see [`signing_bytes`]).
    pub fn sign(&self, domain: Domain, chain_id: ChainId, message: &[u8]) -> Signature {
        let bytes = signing_bytes(domain, chain_id, message);
        match self {
            SecretKey::Ed25519(k) => Signature::Ed25519(k.sign(&bytes).to_bytes()),
            SecretKey::Secp256k1(k) => {
                // k256 signs RFC 6979 over SHA-256 and always returns the low-S form.
                let sig: k256::ecdsa::Signature = k.sign(&bytes);
                Signature::Secp256k1(sig.to_bytes().into())
            }
        }
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey::{}(<redacted>)", self.scheme())
    }
}

/// A public key: Ed25519 (32 bytes) or secp256k1 (33 bytes, SEC1 compressed).
///
/// The bytes are kept as given; whether they are a valid curve point is decided when a signature
/// is verified (or by [`PublicKey::validate`]), so decoding a key from the wire is cheap.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PublicKey {
    /// An Ed25519 public key.
    Ed25519(#[serde(with = "crate::fixed_bytes")] [u8; 32]),
    /// A compressed secp256k1 public key.
    Secp256k1(#[serde(with = "crate::fixed_bytes")] [u8; 33]),
}

impl PublicKey {
    /// A public key of `scheme` from its encoding (length checked; point checked by `validate`).
    pub fn from_bytes(scheme: Scheme, bytes: &[u8]) -> Result<PublicKey, SignatureError> {
        let len_err = || SignatureError::KeyLength {
            scheme: scheme.name(),
            expected: scheme.public_key_len(),
            found: bytes.len(),
        };
        match scheme {
            Scheme::Ed25519 => bytes
                .try_into()
                .map(PublicKey::Ed25519)
                .map_err(|_| len_err()),
            Scheme::Secp256k1 => bytes
                .try_into()
                .map(PublicKey::Secp256k1)
                .map_err(|_| len_err()),
        }
    }

    /// The key's scheme.
    pub const fn scheme(&self) -> Scheme {
        match self {
            PublicKey::Ed25519(_) => Scheme::Ed25519,
            PublicKey::Secp256k1(_) => Scheme::Secp256k1,
        }
    }

    /// The key's encoding.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            PublicKey::Ed25519(b) => b,
            PublicKey::Secp256k1(b) => b,
        }
    }

    /// Checks that the key decodes to a curve point (ZIP-215 decoding for Ed25519).
    pub fn validate(&self) -> Result<(), SignatureError> {
        match self {
            PublicKey::Ed25519(b) => ed25519_consensus::VerificationKey::try_from(*b)
                .map(|_| ())
                .map_err(|_| SignatureError::InvalidPublicKey { scheme: "ed25519" }),
            PublicKey::Secp256k1(b) => k256::ecdsa::VerifyingKey::from_sec1_bytes(b)
                .map(|_| ())
                .map_err(|_| SignatureError::InvalidPublicKey {
                    scheme: "secp256k1",
                }),
        }
    }

    /// Verifies `signature` over `message` in `domain` for `chain_id`.
    pub fn verify(
        &self,
        domain: Domain,
        chain_id: ChainId,
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), SignatureError> {
        self.verify_signing_bytes(&signing_bytes(domain, chain_id, message), signature)
    }

    /// Verifies `signature` over bytes already framed by [`signing_bytes`].
    pub(crate) fn verify_signing_bytes(
        &self,
        bytes: &[u8],
        signature: &Signature,
    ) -> Result<(), SignatureError> {
        match (self, signature) {
            (PublicKey::Ed25519(key), Signature::Ed25519(sig)) => {
                let vk = ed25519_consensus::VerificationKey::try_from(*key)
                    .map_err(|_| SignatureError::InvalidPublicKey { scheme: "ed25519" })?;
                vk.verify(&ed25519_consensus::Signature::from(*sig), bytes)
                    .map_err(|_| SignatureError::Invalid)
            }
            (PublicKey::Secp256k1(key), Signature::Secp256k1(sig)) => {
                let vk = k256::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| {
                    SignatureError::InvalidPublicKey {
                        scheme: "secp256k1",
                    }
                })?;
                let sig = k256::ecdsa::Signature::from_slice(sig).map_err(|_| {
                    SignatureError::MalformedSignature {
                        scheme: "secp256k1",
                    }
                })?;
                if sig.normalize_s().is_some() {
                    return Err(SignatureError::HighS);
                }
                vk.verify(bytes, &sig).map_err(|_| SignatureError::Invalid)
            }
            (key, sig) => Err(SignatureError::SchemeMismatch {
                key: key.scheme().name(),
                signature: sig.scheme_name(),
            }),
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublicKey::{}({})",
            self.scheme(),
            crate::hex::encode(self.as_bytes())
        )
    }
}

impl fmt::Display for PublicKey {
    /// `scheme:hex`, e.g. `ed25519:3b6a...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.scheme(),
            crate::hex::encode(self.as_bytes())
        )
    }
}

impl FromStr for PublicKey {
    type Err = SignatureError;

    /// Parses the `scheme:hex` form that `Display` prints.
    fn from_str(s: &str) -> Result<PublicKey, SignatureError> {
        let (scheme, hex) = s
            .split_once(':')
            .ok_or_else(|| SignatureError::UnknownScheme(s.to_owned()))?;
        let scheme: Scheme = scheme.parse()?;
        let bytes = crate::hex::decode(hex)?;
        PublicKey::from_bytes(scheme, &bytes)
    }
}
