//! Batch verification: many signatures checked at a fraction of the cost of one by one.

use rand_core::{CryptoRng, RngCore};

use super::keys::PublicKey;
use super::signature::{Domain, Signature, signing_bytes};
use crate::error::SignatureError;
use crate::hash::Hasher;
use crate::params::ChainId;

/// One signature to check in a batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchItem<'a> {
    /// What the signature is for.
    pub domain: Domain,
    /// The chain it is bound to.
    pub chain_id: ChainId,
    /// The signed message (without domain and chain id framing).
    pub message: &'a [u8],
    /// The signer.
    pub public_key: &'a PublicKey,
    /// The signature.
    pub signature: &'a Signature,
}

impl BatchItem<'_> {
    fn verify_single(&self) -> Result<(), SignatureError> {
        self.public_key
            .verify(self.domain, self.chain_id, self.message, self.signature)
    }
}

/// Verifies every item; on failure says which item is the first bad one, and why.
///
/// Ed25519 items go through one ZIP-215 batch equation (a multiscalar multiplication); it accepts
/// exactly the signatures that single verification accepts. secp256k1 has no batch equation and
/// is checked one by one. The random coefficients of the batch equation are derived from a hash of
/// the whole batch, so verification is deterministic and no coefficient is known before every
/// signature and message in the batch is fixed.
///
/// Only when the fast path fails are the items re-checked one by one to find the culprit.
///
/// ```
/// use flux_core::crypto::{verify_batch, BatchItem, Domain, Scheme, SecretKey};
/// use flux_core::params::ChainId;
/// use flux_core::error::SignatureError;
///
/// let keys: Vec<SecretKey> = (1..=3u8)
///     .map(|i| SecretKey::from_bytes(Scheme::Ed25519, &[i; 32]))
///     .collect::<Result<_, _>>()?;
/// let publics: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
/// let mut sigs: Vec<_> = keys.iter().map(|k| k.sign(Domain::VOTE, ChainId::DEVNET, b"block")).collect();
/// let check = |sigs: &Vec<flux_core::crypto::Signature>| {
///     let items: Vec<_> = publics.iter().zip(sigs).map(|(pk, sig)| BatchItem {
///         domain: Domain::VOTE, chain_id: ChainId::DEVNET, message: b"block",
///         public_key: pk, signature: sig,
///     }).collect();
///     verify_batch(&items)
/// };
/// assert!(check(&sigs).is_ok());
/// sigs[1] = keys[1].sign(Domain::VOTE, ChainId::DEVNET, b"other block");
/// assert!(matches!(check(&sigs), Err(SignatureError::BatchItem { index: 1, .. })));
/// # Ok::<(), SignatureError>(())
/// ```
pub fn verify_batch(items: &[BatchItem<'_>]) -> Result<(), SignatureError> {
    verify(items, None)
}

/// [`verify_batch`] with the batch's random coefficients drawn from `commitment` instead of a
/// hash of every item.
///
/// Contract: `commitment` must be a collision-resistant hash that commits to every item's key,
/// signature, message, domain and chain id, computed before verification (e.g. a block's
/// transaction root, whose leaves hash each transaction's full bytes). Anything weaker lets an
/// attacker choose messages after seeing the coefficients. It saves hashing every message a
/// second time when such a commitment exists anyway.
pub fn verify_batch_committed(
    items: &[BatchItem<'_>],
    commitment: &crate::Hash,
) -> Result<(), SignatureError> {
    verify(items, Some(commitment))
}

fn verify(items: &[BatchItem<'_>], commitment: Option<&crate::Hash>) -> Result<(), SignatureError> {
    if fast_path(items, commitment) {
        return Ok(());
    }
    for (index, item) in items.iter().enumerate() {
        item.verify_single()
            .map_err(|source| SignatureError::BatchItem {
                index,
                source: Box::new(source),
            })?;
    }
    Err(SignatureError::BatchInconsistent)
}

/// True when every item verifies.
fn fast_path(items: &[BatchItem<'_>], commitment: Option<&crate::Hash>) -> bool {
    let mut batch = ed25519_consensus::batch::Verifier::new();
    let mut transcript = Hasher::new("flux/batch-verify/v1");
    transcript.update(&(items.len() as u64).to_le_bytes());
    if let Some(c) = commitment {
        transcript.update(&[1]).update(c.as_bytes());
    } else {
        transcript.update(&[0]);
    }
    let mut ed_count = 0usize;
    for item in items {
        match (item.public_key, item.signature) {
            (PublicKey::Ed25519(key), Signature::Ed25519(sig)) => {
                let bytes = signing_bytes(item.domain, item.chain_id, item.message);
                if commitment.is_none() {
                    transcript
                        .update(key)
                        .update(sig)
                        .update(&(bytes.len() as u64).to_le_bytes())
                        .update(&bytes);
                }
                let key = ed25519_consensus::VerificationKeyBytes::from(*key);
                batch.queue((key, ed25519_consensus::Signature::from(*sig), &bytes));
                ed_count += 1;
            }
            _ => {
                if item.verify_single().is_err() {
                    return false;
                }
            }
        }
    }
    ed_count == 0
        || batch
            .verify(TranscriptRng(transcript.finalize_xof()))
            .is_ok()
}

/// A deterministic CSPRNG: the BLAKE3 output stream of the batch transcript.
struct TranscriptRng(blake3::OutputReader);

impl RngCore for TranscriptRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.fill(dest);
        Ok(())
    }
}

impl CryptoRng for TranscriptRng {}
