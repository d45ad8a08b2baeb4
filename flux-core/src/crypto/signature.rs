//! [`Signature`], signing domains and the exact bytes a signature covers.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::params::ChainId;

/// A signing domain: a constant tag that says what a signature is for.
///
/// Later crates declare their own with [`Domain::new`]; a tag names one kind of signed object and
/// a version, e.g. `"flux/tx/v1"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Domain(&'static str);

impl Domain {
    /// Transactions.
    pub const TRANSACTION: Domain = Domain("flux/tx/v1");
    /// Consensus votes (prevote, precommit).
    pub const VOTE: Domain = Domain("flux/vote/v1");
    /// Consensus block proposals.
    pub const PROPOSAL: Domain = Domain("flux/proposal/v1");
    /// Peer attestations of a node's benchmark.
    pub const BENCHMARK: Domain = Domain("flux/benchmark/v1");
    /// Useful-work results and hosting reports.
    pub const WORK: Domain = Domain("flux/work/v1");
    /// Committee attestations of cross-chain swaps.
    pub const SWAP: Domain = Domain("flux/swap/v1");

    /// A domain with the given tag.
    pub const fn new(tag: &'static str) -> Domain {
        Domain(tag)
    }

    /// The tag.
    pub const fn tag(self) -> &'static str {
        self.0
    }
}

/// The exact bytes a signature covers: `u32 LE len(tag) ‖ tag ‖ u64 LE chain id ‖ message`.
///
/// ```
/// use flux_core::crypto::{Domain, signing_bytes};
/// use flux_core::params::ChainId;
/// let b = signing_bytes(Domain::new("t"), ChainId(5), b"m");
/// assert_eq!(b, [1, 0, 0, 0, b't', 5, 0, 0, 0, 0, 0, 0, 0, b'm']);
/// ```
pub fn signing_bytes(domain: Domain, chain_id: ChainId, message: &[u8]) -> Vec<u8> {
    let tag = domain.0.as_bytes();
    let mut out = Vec::with_capacity(4 + tag.len() + 8 + message.len());
    out.extend_from_slice(&(tag.len() as u32).to_le_bytes());
    out.extend_from_slice(tag);
    out.extend_from_slice(&chain_id.0.to_le_bytes());
    out.extend_from_slice(message);
    out
}

/// A signature: 64 bytes in either scheme (Ed25519 `R ‖ s`; secp256k1 compact `r ‖ s`, low S).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signature {
    /// An Ed25519 signature.
    Ed25519(#[serde(with = "crate::fixed_bytes")] [u8; 64]),
    /// A secp256k1 ECDSA signature in compact form.
    Secp256k1(#[serde(with = "crate::fixed_bytes")] [u8; 64]),
}

impl Signature {
    /// The scheme's name.
    pub const fn scheme_name(&self) -> &'static str {
        match self {
            Signature::Ed25519(_) => "ed25519",
            Signature::Secp256k1(_) => "secp256k1",
        }
    }

    /// The raw 64 bytes.
    pub const fn as_bytes(&self) -> &[u8; 64] {
        match self {
            Signature::Ed25519(b) | Signature::Secp256k1(b) => b,
        }
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Signature::{}({})",
            self.scheme_name(),
            crate::hex::encode(self.as_bytes())
        )
    }
}
