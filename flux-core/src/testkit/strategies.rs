//! proptest strategies for flux-core's types, valid and arbitrary.
//!
//! `any` here means any value of the type's wire form (bytes that need not be a curve point,
//! amounts over the supply cap); the `valid_` ones give values the chain's rules accept.

use std::fmt::Debug;

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;

use crate::crypto::{PublicKey, Scheme, SecretKey, Signature};
use crate::params::{ChainId, ChainParams, Network, Ratio};
use crate::tier::{Resources, Tier};
use crate::{Address, Amount, Hash};

/// Values of `T` from its `arbitrary::Arbitrary` impl, driven by proptest bytes (so proptest
/// shrinks them by shrinking the bytes). Every wire type of the SDK has one under `testkit`.
///
/// ```
/// use flux_core::testkit::strategies::arb;
/// use flux_core::{Address, codec};
/// use proptest::prelude::*;
///
/// proptest!(|(a in arb::<Address>())| {
///     prop_assert_eq!(codec::decode::<Address>(&codec::encode(&a).unwrap()).unwrap(), a);
/// });
/// ```
pub fn arb<T>() -> impl Strategy<Value = T>
where
    T: for<'a> Arbitrary<'a> + Debug,
{
    proptest::collection::vec(any::<u8>(), 0..1024)
        .prop_filter_map("the type refused the drawn value", |bytes| {
            T::arbitrary_take_rest(Unstructured::new(&bytes)).ok()
        })
}

/// Any amount in base units, up to `u64::MAX` (most are over the supply cap).
pub fn any_amount() -> impl Strategy<Value = Amount> {
    any::<u64>().prop_map(Amount::from_base_units)
}

/// An amount in `0..=max`.
pub fn amount_up_to(max: Amount) -> impl Strategy<Value = Amount> {
    (0..=max.base_units()).prop_map(Amount::from_base_units)
}

/// Any address.
pub fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from_bytes)
}

/// Any hash.
pub fn hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash::from_bytes)
}

/// Any public key as the wire carries it: Ed25519 bytes, or a compressed secp256k1 encoding
/// (prefix 2 or 3) that may or may not be a point.
pub fn any_public_key() -> impl Strategy<Value = PublicKey> {
    prop_oneof![
        any::<[u8; 32]>().prop_map(PublicKey::Ed25519),
        (any::<[u8; 32]>(), any::<bool>()).prop_map(|(x, odd)| {
            let mut b = [0u8; 33];
            b[0] = if odd { 3 } else { 2 };
            b[1..].copy_from_slice(&x);
            PublicKey::Secp256k1(b)
        }),
    ]
}

/// A secret key of either scheme (derived from a random seed, so valid).
pub fn secret_key() -> impl Strategy<Value = SecretKey> {
    (any::<bool>(), any::<u64>()).prop_map(|(ed, seed)| {
        let scheme = if ed {
            Scheme::Ed25519
        } else {
            Scheme::Secp256k1
        };
        super::keys::derived_key(scheme, seed, 0)
    })
}

/// The public key of a valid secret key (a curve point, usable to verify).
pub fn valid_public_key() -> impl Strategy<Value = PublicKey> {
    secret_key().prop_map(|k| k.public_key())
}

/// Any 64 signature bytes of either scheme (not a valid signature).
pub fn any_signature() -> impl Strategy<Value = Signature> {
    (any::<[u8; 32]>(), any::<[u8; 32]>(), any::<bool>()).prop_map(|(a, b, ed)| {
        let mut s = [0u8; 64];
        s[..32].copy_from_slice(&a);
        s[32..].copy_from_slice(&b);
        if ed {
            Signature::Ed25519(s)
        } else {
            Signature::Secp256k1(s)
        }
    })
}

/// One of the three networks.
pub fn network() -> impl Strategy<Value = Network> {
    prop_oneof![
        Just(Network::Mainnet),
        Just(Network::Testnet),
        Just(Network::Devnet)
    ]
}

/// One of the three tiers.
pub fn tier() -> impl Strategy<Value = Tier> {
    prop_oneof![Just(Tier::Cumulus), Just(Tier::Nimbus), Just(Tier::Stratus)]
}

/// Any resources (every field over its whole range).
pub fn resources() -> impl Strategy<Value = Resources> {
    (any::<u32>(), any::<u64>(), any::<u64>(), any::<u32>()).prop_map(|(c, r, s, b)| Resources {
        cpu_threads: c,
        ram_mb: r,
        ssd_gb: s,
        bandwidth_mbps: b,
    })
}

/// A network preset with an arbitrary chain id, initial subsidy, reduction interval and slash
/// fraction: parameter sets for codec and arithmetic tests (not all are governance-valid).
pub fn chain_params() -> impl Strategy<Value = ChainParams> {
    (
        network(),
        any::<u64>(),
        any_amount(),
        any::<u64>(),
        1u64..u64::MAX,
    )
        .prop_map(|(n, chain, subsidy, interval, den)| {
            let mut p = ChainParams::for_network(n);
            p.chain_id = ChainId(chain);
            p.supply.initial_subsidy = subsidy;
            p.supply.reduction_interval = interval;
            p.consensus.slash_fraction = Ratio::new(1, den);
            p
        })
}
