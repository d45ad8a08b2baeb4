//! Harnesses of the fuzz targets: each target is a few lines that call one of these.
//!
//! Every harness asserts an invariant after parsing, so a fuzzer finds wrong answers, not only
//! crashes.

pub mod app;
pub mod chain;
pub mod consensus;

use flux_core::crypto::{BatchItem, Domain, PublicKey, Signature, verify_batch};
use flux_core::params::{ChainId, ChainParams, Network};
use flux_core::tier::{Resources, Tier};
use flux_core::{Address, Amount, Hash, codec};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decodes `bytes` as `T`; when that succeeds, encoding gives back exactly `bytes`.
pub fn round_trip<T: Serialize + DeserializeOwned>(bytes: &[u8]) {
    if let Ok(value) = codec::decode::<T>(bytes) {
        let again = codec::encode(&value).expect("a decoded value encodes");
        assert_eq!(again, bytes, "decode then encode changed the bytes");
    }
}

/// The first byte picks a core type; the rest is decoded as that type.
pub fn decode_core(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    match which % 12 {
        0 => round_trip::<Amount>(bytes),
        1 => round_trip::<Hash>(bytes),
        2 => round_trip::<Address>(bytes),
        3 => round_trip::<PublicKey>(bytes),
        4 => round_trip::<Signature>(bytes),
        5 => round_trip::<ChainId>(bytes),
        6 => round_trip::<Network>(bytes),
        7 => round_trip::<Tier>(bytes),
        8 => round_trip::<Resources>(bytes),
        9 => round_trip::<ChainParams>(bytes),
        10 => round_trip::<Vec<(PublicKey, Signature)>>(bytes),
        _ => round_trip::<(Address, Amount, String)>(bytes),
    }
}

/// Parses text as an address; whatever parses prints back to an equivalent address.
pub fn parse_address(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((prefix, addr)) = Address::parse_any(text) {
        let network = if prefix == "flux" {
            Network::Mainnet
        } else {
            Network::Testnet
        };
        let shown = addr.to_bech32(network);
        assert!(
            shown.eq_ignore_ascii_case(text),
            "{text} parsed but prints as {shown}"
        );
        assert_eq!(Address::parse(&shown, network), Ok(addr));
    }
    let _ = Address::from_hex(text);
}

/// Parses text as an amount; whatever parses prints back and parses to the same amount.
pub fn parse_amount(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = text.parse::<Amount>() {
        assert_eq!(a.to_string().parse::<Amount>(), Ok(a));
    }
}

/// Verifies an arbitrary (key, signature, message): single and batch verification agree.
pub fn verify_signature(data: &[u8]) {
    let Ok((pk, sig, msg)) = codec::decode::<(PublicKey, Signature, Vec<u8>)>(data) else {
        return;
    };
    let single = pk
        .verify(Domain::TRANSACTION, ChainId::DEVNET, &msg, &sig)
        .is_ok();
    let item = BatchItem {
        domain: Domain::TRANSACTION,
        chain_id: ChainId::DEVNET,
        message: &msg,
        public_key: &pk,
        signature: &sig,
    };
    assert_eq!(
        single,
        verify_batch(&[item]).is_ok(),
        "single and batch disagree"
    );
}
