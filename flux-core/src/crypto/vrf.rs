//! A verifiable random function on Ed25519 keys: ECVRF-EDWARDS25519-SHA512-TAI of RFC 9381
//! (suite `0x03`), on curve25519-dalek.
//!
//! A VRF gives, for a key and a message, one output that only the secret key can compute and
//! anyone can check against the public key with the proof. Unlike a signature, the output is
//! **unique**: an Ed25519 signer may pick any nonce and so make as many valid signatures of
//! one message as it likes (verifiers cannot tell a deterministic nonce from a chosen one),
//! which makes a signature useless as randomness its signer cannot grind; a VRF proof also
//! varies with the prover's nonce, but every valid proof for (key, message) yields the same
//! output (the output hashes `8·Gamma`, and `Gamma = x·H(message)` is fixed by the key).
//!
//! Keys are the node's Ed25519 keys unchanged: the VRF secret scalar and public point are
//! Ed25519's (RFC 8032 §5.1.5). As with signatures, the input is framed by a [`Domain`] and
//! the chain id ([`signing_bytes`]), so a VRF output for one purpose or chain is never one for
//! another. Public keys are validated (canonical encoding, not of small order) and points
//! decode strictly (RFC 8032: non-canonical encodings refused), as the RFC requires for full
//! uniqueness.
//!
//! ```
//! use flux_core::crypto::{Domain, Scheme, SecretKey, vrf};
//! use flux_core::params::ChainId;
//!
//! let key = SecretKey::from_bytes(Scheme::Ed25519, &[7; 32])?;
//! let domain = Domain::new("flux/example/v1");
//! let proof = vrf::prove(&key, domain, ChainId::DEVNET, b"round 1")?;
//! let output = vrf::verify(&key.public_key(), domain, ChainId::DEVNET, b"round 1", &proof)?;
//! assert_eq!(output, proof.output()?);
//! assert!(vrf::verify(&key.public_key(), domain, ChainId::DEVNET, b"round 2", &proof).is_err());
//! # Ok::<(), flux_core::error::SignatureError>(())
//! ```

use core::fmt;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::{Scalar, clamp_integer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use super::keys::{PublicKey, SecretKey};
use super::signature::{Domain, signing_bytes};
use crate::error::SignatureError;
use crate::params::ChainId;

/// RFC 9381's suite string of ECVRF-EDWARDS25519-SHA512-TAI.
const SUITE: u8 = 0x03;
/// The scheme name in errors.
const SCHEME: &str = "ecvrf-edwards25519";

/// A VRF proof: `Gamma` (32 bytes) ‖ `c` (16 bytes LE) ‖ `s` (32 bytes LE), 80 bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VrfProof(#[serde(with = "crate::fixed_bytes")] pub [u8; 80]);

/// A VRF output (RFC 9381's `beta`): 64 bytes, the same for every valid proof of one key and
/// message.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VrfOutput(pub [u8; 64]);

impl fmt::Debug for VrfProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VrfProof({})", crate::hex::encode(&self.0))
    }
}

impl fmt::Debug for VrfOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VrfOutput({})", crate::hex::encode(&self.0))
    }
}

impl VrfProof {
    /// The output this proof carries, without checking the proof (RFC 9381's
    /// `proof_to_hash`): for a proof already verified, or one whose checks are assumed.
    /// Errors if `Gamma` is not a canonical point encoding.
    pub fn output(&self) -> Result<VrfOutput, SignatureError> {
        let gamma = decode_point(&self.gamma_bytes()).ok_or(malformed())?;
        Ok(proof_to_hash(&gamma))
    }

    fn gamma_bytes(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b.copy_from_slice(&self.0[..32]);
        b
    }
}

/// The VRF proof of `message` in `domain` for `chain_id` under `key`. Ed25519 keys only
/// ([`SignatureError::SchemeMismatch`] otherwise). Deterministic (RFC 8032 nonce).
pub fn prove(
    key: &SecretKey,
    domain: Domain,
    chain_id: ChainId,
    message: &[u8],
) -> Result<VrfProof, SignatureError> {
    let SecretKey::Ed25519(signing) = key else {
        return Err(SignatureError::SchemeMismatch {
            key: key.scheme().name(),
            signature: SCHEME,
        });
    };
    prove_alpha(signing, &signing_bytes(domain, chain_id, message))
}

/// RFC 9381 §5.1 prove on the raw input `alpha`.
fn prove_alpha(
    signing: &ed25519_dalek::SigningKey,
    alpha: &[u8],
) -> Result<VrfProof, SignatureError> {
    let expanded = Zeroizing::new(<[u8; 64]>::from(Sha512::digest(signing.as_bytes())));
    let mut low = Zeroizing::new([0u8; 32]);
    low.copy_from_slice(&expanded[..32]);
    let x = Zeroizing::new(Scalar::from_bytes_mod_order(clamp_integer(*low)));
    let public = signing.verifying_key().to_bytes();
    let h = encode_to_curve(&public, alpha).ok_or(SignatureError::Invalid)?;
    // RFC 9381 §5.4.2.2: k = SHA-512(second half of SHA-512(sk) ‖ h_string) mod q.
    let mut nonce = Sha512::new();
    nonce.update(&expanded[32..]);
    nonce.update(h.compress().as_bytes());
    let k = Zeroizing::new(Scalar::from_bytes_mod_order_wide(&nonce.finalize().into()));
    Ok(proof_with_nonce(&x, &public, &h, &k))
}

/// The proof for secret scalar `x` (public key `public`), hashed input `h` and nonce `k`.
fn proof_with_nonce(x: &Scalar, public: &[u8; 32], h: &EdwardsPoint, k: &Scalar) -> VrfProof {
    let gamma = h * x;
    let c = challenge(
        public,
        &h.compress().to_bytes(),
        &gamma,
        &EdwardsPoint::mul_base(k),
        &(h * k),
    );
    let s = k + c * x;
    let mut out = [0u8; 80];
    out[..32].copy_from_slice(gamma.compress().as_bytes());
    out[32..48].copy_from_slice(&c.to_bytes()[..16]);
    out[48..].copy_from_slice(s.as_bytes());
    VrfProof(out)
}

/// Checks `proof` for `message` in `domain` for `chain_id` under `key` and returns its output.
/// [`SignatureError::InvalidPublicKey`] for a key that is not a canonical Ed25519 point of
/// large order, [`SignatureError::MalformedSignature`] for a proof that does not decode,
/// [`SignatureError::Invalid`] for one that does not verify.
pub fn verify(
    key: &PublicKey,
    domain: Domain,
    chain_id: ChainId,
    message: &[u8],
    proof: &VrfProof,
) -> Result<VrfOutput, SignatureError> {
    let PublicKey::Ed25519(public) = key else {
        return Err(SignatureError::SchemeMismatch {
            key: key.scheme().name(),
            signature: SCHEME,
        });
    };
    // RFC 9381 §5.4.5 validate_key: a canonical point, not of small order.
    let y = decode_point(public)
        .filter(|y| !y.is_small_order())
        .ok_or(SignatureError::InvalidPublicKey { scheme: SCHEME })?;
    let gamma = decode_point(&proof.gamma_bytes()).ok_or(malformed())?;
    let mut c_bytes = [0u8; 32];
    c_bytes[..16].copy_from_slice(&proof.0[32..48]);
    let c = Scalar::from_bytes_mod_order(c_bytes);
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&proof.0[48..]);
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)).ok_or(malformed())?;
    let alpha = signing_bytes(domain, chain_id, message);
    let h = encode_to_curve(public, &alpha).ok_or(SignatureError::Invalid)?;
    let u = EdwardsPoint::vartime_double_scalar_mul_basepoint(&-c, &y, &s);
    let v = h * s - gamma * c;
    let expected = challenge(public, &h.compress().to_bytes(), &gamma, &u, &v);
    if expected.to_bytes()[..16] != proof.0[32..48] {
        return Err(SignatureError::Invalid);
    }
    Ok(proof_to_hash(&gamma))
}

fn malformed() -> SignatureError {
    SignatureError::MalformedSignature { scheme: SCHEME }
}

/// RFC 8032 point decoding: the encoding must be canonical (`y < p`, no negative zero).
fn decode_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    let point = CompressedEdwardsY(*bytes).decompress()?;
    (point.compress().as_bytes() == bytes).then_some(point)
}

/// RFC 9381 §5.4.1.1 encode_to_curve_try_and_increment, salted with the public key.
fn encode_to_curve(public: &[u8; 32], alpha: &[u8]) -> Option<EdwardsPoint> {
    (0..=u8::MAX).find_map(|ctr| {
        let mut hash = Sha512::new();
        hash.update([SUITE, 0x01]);
        hash.update(public);
        hash.update(alpha);
        hash.update([ctr, 0x00]);
        let digest = hash.finalize();
        let mut candidate = [0u8; 32];
        candidate.copy_from_slice(&digest[..32]);
        decode_point(&candidate).map(|p| p.mul_by_cofactor())
    })
}

/// RFC 9381 §5.4.3 challenge_generation over (Y, H, Gamma, U, V): 16 bytes, as a scalar.
fn challenge(
    public: &[u8; 32],
    h: &[u8; 32],
    gamma: &EdwardsPoint,
    u: &EdwardsPoint,
    v: &EdwardsPoint,
) -> Scalar {
    let mut hash = Sha512::new();
    hash.update([SUITE, 0x02]);
    hash.update(public);
    hash.update(h);
    for point in [gamma, u, v] {
        hash.update(point.compress().as_bytes());
    }
    hash.update([0x00]);
    let digest = hash.finalize();
    let mut c = [0u8; 32];
    c[..16].copy_from_slice(&digest[..16]);
    Scalar::from_bytes_mod_order(c)
}

/// RFC 9381 §5.2 proof_to_hash: SHA-512 of the cofactor-cleared `Gamma`.
fn proof_to_hash(gamma: &EdwardsPoint) -> VrfOutput {
    let mut hash = Sha512::new();
    hash.update([SUITE, 0x03]);
    hash.update(gamma.mul_by_cofactor().compress().as_bytes());
    hash.update([0x00]);
    VrfOutput(hash.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Scheme;

    fn unhex<const N: usize>(s: &str) -> [u8; N] {
        let v = crate::hex::decode(s).unwrap();
        v.try_into().unwrap()
    }

    /// RFC 9381 Appendix B.3, examples 16 to 18 (the raw alpha, without our domain framing).
    #[test]
    fn rfc9381_vectors() {
        let vectors = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805",
                "90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02",
                "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031",
            ),
            (
                "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                "af82",
                "9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf8096bb474e53895c362d8628ee9f9ea3c0e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e",
                "645427e5d00c62a23fb703732fa5d892940935942101e456ecca7bb217c61c452118fec1219202a0edcf038bb6373241578be7217ba85a2687f7a0310b2df19f",
            ),
        ];
        for (sk, pk, alpha, pi, beta) in vectors {
            let key = SecretKey::from_bytes(Scheme::Ed25519, &unhex::<32>(sk)).unwrap();
            assert_eq!(key.public_key(), PublicKey::Ed25519(unhex(pk)));
            let alpha = crate::hex::decode(alpha).unwrap();
            let public: [u8; 32] = unhex(pk);
            // The framing is ours; the vectors check the raw construction on `alpha`.
            let h = encode_to_curve(&public, &alpha).unwrap();
            let SecretKey::Ed25519(signing) = &key else {
                panic!("an Ed25519 key")
            };
            let proof = prove_alpha(signing, &alpha).unwrap();
            assert_eq!(proof.0, unhex::<80>(pi));
            assert_eq!(proof.output().unwrap().0, unhex::<64>(beta));
            assert!(h.is_torsion_free());
        }
    }

    /// A prover that picks another nonce makes another valid proof, with the same output:
    /// what a signature cannot offer (another nonce, another valid signature).
    #[test]
    fn every_valid_proof_has_the_one_output() {
        let key = SecretKey::from_bytes(Scheme::Ed25519, &[5; 32]).unwrap();
        let domain = Domain::new("flux/test/v1");
        let proof = prove(&key, domain, ChainId::DEVNET, b"m").unwrap();
        let public = key.public_key();
        let out = verify(&public, domain, ChainId::DEVNET, b"m", &proof).unwrap();
        // Another nonce: same Gamma, another (c, s).
        let SecretKey::Ed25519(signing) = &key else {
            panic!("an Ed25519 key")
        };
        let expanded = <[u8; 64]>::from(Sha512::digest(signing.as_bytes()));
        let mut low = [0u8; 32];
        low.copy_from_slice(&expanded[..32]);
        let x = Scalar::from_bytes_mod_order(clamp_integer(low));
        let pk = signing.verifying_key().to_bytes();
        let alpha = signing_bytes(domain, ChainId::DEVNET, b"m");
        let h = encode_to_curve(&pk, &alpha).unwrap();
        let other = proof_with_nonce(&x, &pk, &h, &Scalar::from_bytes_mod_order_wide(&[9; 64]));
        assert_ne!(other, proof);
        assert_eq!(
            verify(&public, domain, ChainId::DEVNET, b"m", &other).unwrap(),
            out
        );
    }

    #[test]
    fn bad_proofs_keys_and_framing_are_refused() {
        let key = SecretKey::from_bytes(Scheme::Ed25519, &[5; 32]).unwrap();
        let domain = Domain::new("flux/test/v1");
        let proof = prove(&key, domain, ChainId::DEVNET, b"m").unwrap();
        let public = key.public_key();
        assert!(verify(&public, domain, ChainId::MAINNET, b"m", &proof).is_err());
        assert!(
            verify(
                &public,
                Domain::new("flux/other/v1"),
                ChainId::DEVNET,
                b"m",
                &proof
            )
            .is_err()
        );
        let other = SecretKey::from_bytes(Scheme::Ed25519, &[6; 32]).unwrap();
        assert!(verify(&other.public_key(), domain, ChainId::DEVNET, b"m", &proof).is_err());
        for i in [0, 40, 70] {
            let mut bad = proof;
            bad.0[i] ^= 1;
            assert!(
                verify(&public, domain, ChainId::DEVNET, b"m", &bad).is_err(),
                "{i}"
            );
        }
        // s not reduced: refused as malformed.
        let mut big_s = proof;
        big_s.0[48..].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            verify(&public, domain, ChainId::DEVNET, b"m", &big_s),
            Err(SignatureError::MalformedSignature { .. })
        ));
        // The identity (small order) is no key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(matches!(
            verify(
                &PublicKey::Ed25519(identity),
                domain,
                ChainId::DEVNET,
                b"m",
                &proof
            ),
            Err(SignatureError::InvalidPublicKey { .. })
        ));
        let secp = SecretKey::from_bytes(Scheme::Secp256k1, &[5; 32]).unwrap();
        assert!(prove(&secp, domain, ChainId::DEVNET, b"m").is_err());
        assert!(verify(&secp.public_key(), domain, ChainId::DEVNET, b"m", &proof).is_err());
    }
}
