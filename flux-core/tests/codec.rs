//! decode(encode(x)) == x for every core type, and decoding arbitrary bytes is canonical:
//! whatever decodes re-encodes to the same bytes, and nothing panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use flux_core::crypto::{PublicKey, Scheme, Signature};
use flux_core::params::{ChainId, ChainParams, Network};
use flux_core::testkit::codec_checks::{decodes_canonically, round_trips};
use flux_core::testkit::strategies::{
    any_amount as amount, any_public_key as public_key, any_signature as signature, arb,
    chain_params as params, network, resources, tier,
};
use flux_core::tier::{Resources, Tier};
use flux_core::{Address, Amount, Hash, codec};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The kit's codec round trip, and JSON too (the human-facing form).
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: &T,
) -> Result<(), TestCaseError> {
    round_trips(value)?;
    let json = serde_json::to_string(value).unwrap();
    prop_assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), value);
    Ok(())
}

proptest! {
    #[test]
    fn core_types_round_trip(
        a in amount(),
        h in any::<[u8; 32]>(),
        addr in any::<[u8; 20]>(),
        pk in public_key(),
        sig in signature(),
        n in network(),
        t in tier(),
        r in resources(),
        chain in any::<u64>(),
    ) {
        round_trip(&a)?;
        round_trip(&Hash::from_bytes(h))?;
        round_trip(&Address::from_bytes(addr))?;
        round_trip(&pk)?;
        round_trip(&sig)?;
        round_trip(&pk.scheme())?;
        round_trip(&n)?;
        round_trip(&t)?;
        round_trip(&r)?;
        round_trip(&ChainId(chain))?;
        round_trip(&(pk, sig, a, Address::from_bytes(addr)))?;
    }

    /// The kit's `Arbitrary` values are canonical: they round-trip too.
    #[test]
    fn arbitrary_values_round_trip(
        pk in arb::<PublicKey>(),
        sig in arb::<Signature>(),
        r in arb::<Resources>(),
        p in arb::<ChainParams>(),
        v in arb::<(Address, Amount, Hash, Tier, Network, Scheme)>(),
    ) {
        round_trip(&pk)?;
        round_trip(&sig)?;
        round_trip(&r)?;
        round_trip(&p)?;
        round_trip(&v)?;
    }

    #[test]
    fn params_round_trip(p in params()) {
        round_trip(&p)?;
    }

    #[test]
    fn arbitrary_bytes_decode_canonically(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        decodes_canonically::<Amount>(&bytes)?;
        decodes_canonically::<Hash>(&bytes)?;
        decodes_canonically::<Address>(&bytes)?;
        decodes_canonically::<PublicKey>(&bytes)?;
        decodes_canonically::<Signature>(&bytes)?;
        decodes_canonically::<Scheme>(&bytes)?;
        decodes_canonically::<Tier>(&bytes)?;
        decodes_canonically::<Resources>(&bytes)?;
        decodes_canonically::<(PublicKey, Signature, Amount)>(&bytes)?;
        decodes_canonically::<Vec<Hash>>(&bytes)?;
        decodes_canonically::<String>(&bytes)?;
    }

    #[test]
    fn address_text_round_trips(addr in any::<[u8; 20]>(), n in network()) {
        let a = Address::from_bytes(addr);
        prop_assert_eq!(Address::parse(&a.to_bech32(n), n), Ok(a));
        prop_assert_eq!(Address::from_hex(&format!("{a:x}")), Ok(a));
    }

    #[test]
    fn address_parse_never_panics(s in "\\PC{0,90}") {
        let _ = Address::parse_any(&s);
    }

    #[test]
    fn hash_text_round_trips(h in any::<[u8; 32]>()) {
        let h = Hash::from_bytes(h);
        prop_assert_eq!(h.to_string().parse::<Hash>(), Ok(h));
    }
}

#[test]
fn decoding_params_is_bounded() {
    // A ChainParams whose banned-port list claims 2^40 entries must fail fast, not allocate.
    let p = ChainParams::mainnet();
    let mut bytes = codec::encode(&p).unwrap();
    let len_pos = {
        let mut q = p.clone();
        q.apps.banned_ports.clear();
        let without = codec::encode(&q).unwrap();
        // The first differing byte is the low byte of the list's length prefix.
        bytes
            .iter()
            .zip(&without)
            .position(|(a, b)| a != b)
            .unwrap()
    };
    bytes[len_pos..len_pos + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(codec::decode::<ChainParams>(&bytes).is_err());
}
