//! `arbitrary::Arbitrary` for flux-core's consensus and wire types.
//!
//! Fixed-size values (amounts, hashes, addresses, keys, signatures) take their bytes straight
//! from the input, so a fuzzer's mutations map one-to-one onto them; compound types go through
//! [`from_unstructured`](super::unstructured::from_unstructured).

use arbitrary::{Arbitrary, Unstructured};

use crate::crypto::{PublicKey, Scheme, SecretKey, Signature};
use crate::params::{ChainId, ChainParams, Network, Ratio};
use crate::tier::{Gpu, Hardware, Resources, Tier};
use crate::{Address, Amount, Hash};

/// Implements `arbitrary::Arbitrary` for serde types through
/// [`from_unstructured`](crate::testkit::unstructured::from_unstructured): every field drawn
/// in its canonical shape. Use it in the crate that defines the type (the orphan rule), e.g.
/// for an integrator's own transaction payload:
///
/// ```
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Serialize, Deserialize)]
/// pub struct Escrow { pub to: flux_core::Address, pub amount: flux_core::Amount, pub memo: String }
/// flux_core::arbitrary_via_serde!(Escrow);
///
/// use flux_core::testkit::arbitrary::{Arbitrary, Unstructured};
/// let escrow = Escrow::arbitrary(&mut Unstructured::new(&[1, 2, 3, 4, 5, 6, 7, 8, 9]))?;
/// assert!(escrow.memo.len() <= flux_core::testkit::unstructured::MAX_STR * 4);
/// # Ok::<(), flux_core::testkit::arbitrary::Error>(())
/// ```
#[macro_export]
macro_rules! arbitrary_via_serde {
    ($($ty:ty),+ $(,)?) => {$(
        impl<'a> $crate::testkit::arbitrary::Arbitrary<'a> for $ty {
            fn arbitrary(
                u: &mut $crate::testkit::arbitrary::Unstructured<'a>,
            ) -> $crate::testkit::arbitrary::Result<Self> {
                $crate::testkit::unstructured::from_unstructured(u)
            }
        }
    )+};
}

impl<'a> Arbitrary<'a> for Amount {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Amount::from_base_units(u.arbitrary()?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u64::size_hint(depth)
    }
}

impl<'a> Arbitrary<'a> for Hash {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Hash::from_bytes(u.arbitrary()?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        <[u8; 32]>::size_hint(depth)
    }
}

impl<'a> Arbitrary<'a> for Address {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Address::from_bytes(u.arbitrary()?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        <[u8; 20]>::size_hint(depth)
    }
}

impl<'a> Arbitrary<'a> for PublicKey {
    /// Any bytes of either scheme (a point or not: the wire accepts both, verification
    /// decides).
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.arbitrary()? {
            Ok(PublicKey::Ed25519(u.arbitrary()?))
        } else {
            let mut b = [0u8; 33];
            u.fill_buffer(&mut b)?;
            Ok(PublicKey::Secp256k1(b))
        }
    }
}

impl<'a> Arbitrary<'a> for Signature {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut b = [0u8; 64];
        let ed = u.arbitrary()?;
        u.fill_buffer(&mut b)?;
        Ok(if ed {
            Signature::Ed25519(b)
        } else {
            Signature::Secp256k1(b)
        })
    }
}

impl<'a> Arbitrary<'a> for SecretKey {
    /// A usable key of either scheme; a secp256k1 draw outside the curve order is hashed into
    /// range once, and refused if it still is not a key.
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let scheme = if u.arbitrary()? {
            Scheme::Ed25519
        } else {
            Scheme::Secp256k1
        };
        let bytes: [u8; 32] = u.arbitrary()?;
        SecretKey::from_bytes(scheme, &bytes)
            .or_else(|_| SecretKey::from_bytes(scheme, Hash::digest(&bytes).as_bytes()))
            .map_err(|_| arbitrary::Error::IncorrectFormat)
    }
}

impl<'a> Arbitrary<'a> for ChainId {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(ChainId(u.arbitrary()?))
    }
}

impl<'a> Arbitrary<'a> for Ratio {
    /// A ratio with a non-zero denominator.
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let den = u.int_in_range(1..=u64::MAX)?;
        Ok(Ratio::new(u.int_in_range(0..=den)?, den))
    }
}

impl<'a> Arbitrary<'a> for ChainParams {
    /// A preset with an arbitrary chain id (a whole arbitrary parameter set would mostly be
    /// out of the bounds governance allows; draw one with
    /// [`from_unstructured`](super::unstructured::from_unstructured) if that is what you test).
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut p = ChainParams::for_network(u.arbitrary()?);
        p.chain_id = u.arbitrary()?;
        Ok(p)
    }
}

crate::arbitrary_via_serde!(Scheme, Network, Tier, Resources, Hardware, Gpu);
