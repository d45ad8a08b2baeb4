//! decode(encode(x)) == x for every core type, and decoding arbitrary bytes is canonical:
//! whatever decodes re-encodes to the same bytes, and nothing panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use flux_core::crypto::{PublicKey, Scheme, Signature};
use flux_core::params::{ChainId, ChainParams, Network, Ratio};
use flux_core::tier::{Resources, Tier};
use flux_core::{Address, Amount, Hash, codec};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn amount() -> impl Strategy<Value = Amount> {
    any::<u64>().prop_map(Amount::from_base_units)
}

fn public_key() -> impl Strategy<Value = PublicKey> {
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

fn signature() -> impl Strategy<Value = Signature> {
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

fn network() -> impl Strategy<Value = Network> {
    prop_oneof![
        Just(Network::Mainnet),
        Just(Network::Testnet),
        Just(Network::Devnet)
    ]
}

fn tier() -> impl Strategy<Value = Tier> {
    prop_oneof![Just(Tier::Cumulus), Just(Tier::Nimbus), Just(Tier::Stratus)]
}

fn resources() -> impl Strategy<Value = Resources> {
    (any::<u32>(), any::<u64>(), any::<u64>(), any::<u32>()).prop_map(|(c, r, s, b)| Resources {
        cpu_threads: c,
        ram_mb: r,
        ssd_gb: s,
        bandwidth_mbps: b,
    })
}

fn params() -> impl Strategy<Value = ChainParams> {
    (
        network(),
        any::<u64>(),
        amount(),
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

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: &T,
) -> Result<(), TestCaseError> {
    let bytes = codec::encode(value).unwrap();
    prop_assert_eq!(codec::encoded_len(value).unwrap(), bytes.len() as u64);
    prop_assert_eq!(&codec::decode::<T>(&bytes).unwrap(), value);
    // Canonical: no shorter or longer input decodes.
    if !bytes.is_empty() {
        prop_assert!(codec::decode::<T>(&bytes[..bytes.len() - 1]).is_err());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    prop_assert!(codec::decode::<T>(&longer).is_err());
    // JSON too (the human-facing form).
    let json = serde_json::to_string(value).unwrap();
    prop_assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), value);
    Ok(())
}

/// Arbitrary bytes either fail to decode or re-encode to exactly the same bytes.
fn canonical<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(v) = codec::decode::<T>(bytes) {
        prop_assert_eq!(codec::encode(&v).unwrap(), bytes);
    }
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

    #[test]
    fn params_round_trip(p in params()) {
        round_trip(&p)?;
    }

    #[test]
    fn arbitrary_bytes_decode_canonically(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        canonical::<Amount>(&bytes)?;
        canonical::<Hash>(&bytes)?;
        canonical::<Address>(&bytes)?;
        canonical::<PublicKey>(&bytes)?;
        canonical::<Signature>(&bytes)?;
        canonical::<Scheme>(&bytes)?;
        canonical::<Tier>(&bytes)?;
        canonical::<Resources>(&bytes)?;
        canonical::<(PublicKey, Signature, Amount)>(&bytes)?;
        canonical::<Vec<Hash>>(&bytes)?;
        canonical::<String>(&bytes)?;
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
