//! Signatures: domain and chain separation, low-S, batch verification and the ZIP-215 edge cases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop loudly

use flux_core::crypto::{
    BatchItem, Domain, PublicKey, Scheme, SecretKey, Signature, verify_batch,
    verify_batch_committed,
};
use flux_core::error::SignatureError;
use flux_core::params::ChainId;
use proptest::prelude::*;

fn key(scheme: Scheme, seed: u8) -> SecretKey {
    let mut bytes = [seed; 32];
    bytes[0] = 1; // never zero, so always a valid secp256k1 scalar
    SecretKey::from_bytes(scheme, &bytes).unwrap()
}

fn item<'a>(pk: &'a PublicKey, sig: &'a Signature, msg: &'a [u8]) -> BatchItem<'a> {
    BatchItem {
        domain: Domain::TRANSACTION,
        chain_id: ChainId::DEVNET,
        message: msg,
        public_key: pk,
        signature: sig,
    }
}

fn scheme() -> impl Strategy<Value = Scheme> {
    prop_oneof![Just(Scheme::Ed25519), Just(Scheme::Secp256k1)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn signature_binds_domain_chain_and_message(
        scheme in scheme(),
        seed: [u8; 32],
        msg in proptest::collection::vec(any::<u8>(), 0..200),
        chain in any::<u64>(),
        other_chain in any::<u64>(),
        tag_index in 0usize..6,
        other_tag_index in 0usize..6,
    ) {
        let tags = [Domain::TRANSACTION, Domain::VOTE, Domain::PROPOSAL, Domain::BENCHMARK, Domain::WORK, Domain::SWAP];
        let Ok(sk) = SecretKey::from_bytes(scheme, &seed) else { return Ok(()) };
        let pk = sk.public_key();
        let (d, c) = (tags[tag_index], ChainId(chain));
        let sig = sk.sign(d, c, &msg);
        prop_assert_eq!(pk.verify(d, c, &msg, &sig), Ok(()));
        if other_tag_index != tag_index {
            prop_assert_eq!(pk.verify(tags[other_tag_index], c, &msg, &sig), Err(SignatureError::Invalid));
        }
        if other_chain != chain {
            prop_assert_eq!(pk.verify(d, ChainId(other_chain), &msg, &sig), Err(SignatureError::Invalid));
        }
        let mut tampered = msg.clone();
        tampered.push(0);
        prop_assert_eq!(pk.verify(d, c, &tampered, &sig), Err(SignatureError::Invalid));
    }

    #[test]
    fn batch_names_the_first_bad_signature(n in 1usize..24, bad in proptest::collection::vec(any::<bool>(), 24), mixed: bool) {
        let keys: Vec<SecretKey> = (0..n)
            .map(|i| key(if mixed && i % 3 == 0 { Scheme::Secp256k1 } else { Scheme::Ed25519 }, i as u8))
            .collect();
        let pks: Vec<PublicKey> = keys.iter().map(SecretKey::public_key).collect();
        let msgs: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 40]).collect();
        let sigs: Vec<Signature> = keys
            .iter()
            .zip(&msgs)
            .enumerate()
            .map(|(i, (k, m))| {
                let signed: &[u8] = if bad[i] { b"something else" } else { m };
                k.sign(Domain::TRANSACTION, ChainId::DEVNET, signed)
            })
            .collect();
        let items: Vec<BatchItem<'_>> = (0..n).map(|i| item(&pks[i], &sigs[i], &msgs[i])).collect();
        let commitment = flux_core::Hash::digest(&(n as u64).to_le_bytes());
        prop_assert_eq!(verify_batch(&items).is_ok(), verify_batch_committed(&items, &commitment).is_ok());
        match bad[..n].iter().position(|b| *b) {
            None => prop_assert_eq!(verify_batch(&items), Ok(())),
            Some(first) => {
                let err = verify_batch(&items).unwrap_err();
                prop_assert!(matches!(err, SignatureError::BatchItem { index, .. } if index == first), "{:?}", err);
            }
        }
    }
}

#[test]
fn scheme_mismatch_and_bad_keys_are_typed() {
    let ed = key(Scheme::Ed25519, 1);
    let secp = key(Scheme::Secp256k1, 2);
    let sig = secp.sign(Domain::TRANSACTION, ChainId::DEVNET, b"m");
    assert!(matches!(
        ed.public_key()
            .verify(Domain::TRANSACTION, ChainId::DEVNET, b"m", &sig),
        Err(SignatureError::SchemeMismatch { .. })
    ));
    let not_a_point = PublicKey::Secp256k1([0x05; 33]);
    assert!(not_a_point.validate().is_err());
    assert!(matches!(
        not_a_point.verify(Domain::TRANSACTION, ChainId::DEVNET, b"m", &sig),
        Err(SignatureError::InvalidPublicKey { .. })
    ));
    assert!(matches!(
        SecretKey::from_bytes(Scheme::Secp256k1, &[0u8; 32]),
        Err(SignatureError::InvalidSecretKey { .. })
    ));
    assert!(matches!(
        SecretKey::from_bytes(Scheme::Ed25519, &[0u8; 31]),
        Err(SignatureError::KeyLength { found: 31, .. })
    ));
    assert_eq!(
        "ed25519:zz"
            .parse::<PublicKey>()
            .map_err(|e| matches!(e, SignatureError::Hex(_))),
        Err(true)
    );
    let pk = ed.public_key();
    assert_eq!(pk.to_string().parse::<PublicKey>(), Ok(pk));
    assert_eq!(
        secp.public_key().to_string().parse::<PublicKey>(),
        Ok(secp.public_key())
    );
}

#[test]
fn secp256k1_signs_low_s_and_rejects_high_s() {
    for seed in 1..40u8 {
        let sk = key(Scheme::Secp256k1, seed);
        let sig = sk.sign(Domain::TRANSACTION, ChainId::DEVNET, &[seed]);
        let Signature::Secp256k1(bytes) = sig else {
            unreachable!()
        };
        let parsed = k256::ecdsa::Signature::from_slice(&bytes).unwrap();
        assert!(parsed.normalize_s().is_none(), "signer produced high S");
        // The same signature with S replaced by n - S verifies in plain ECDSA, but not here.
        let (r, s) = parsed.split_scalars();
        let high =
            k256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s.as_ref()).to_bytes()).unwrap();
        let high = Signature::Secp256k1(high.to_bytes().into());
        assert_eq!(
            sk.public_key()
                .verify(Domain::TRANSACTION, ChainId::DEVNET, &[seed], &high),
            Err(SignatureError::HighS)
        );
    }
    let zero = Signature::Secp256k1([0u8; 64]);
    assert!(matches!(
        key(Scheme::Secp256k1, 1).public_key().verify(
            Domain::TRANSACTION,
            ChainId::DEVNET,
            b"",
            &zero
        ),
        Err(SignatureError::MalformedSignature { .. })
    ));
}

fn hex32(s: &str) -> [u8; 32] {
    flux_core::hex::decode_array(s).unwrap()
}

/// Encodings of the eight small-order points of edwards25519, canonical and not.
fn small_order_encodings() -> Vec<[u8; 32]> {
    let mut v: Vec<[u8; 32]> = [
        "0100000000000000000000000000000000000000000000000000000000000000", // identity
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
        "0000000000000000000000000000000000000000000000000000000000000000", // order 4
        "0000000000000000000000000000000000000000000000000000000000000080", // order 4
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
    ]
    .iter()
    .map(|s| hex32(s))
    .collect();
    // Non-canonical: y >= p (p = 2^255 - 19) and sign bits set on x = 0.
    v.push(hex32(
        "0100000000000000000000000000000000000000000000000000000000000080",
    )); // -0 identity
    v.push(hex32(
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    )); // -0, order 2
    v.push(hex32(
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    )); // y = p + 1
    v.push(hex32(
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ));
    v.push(hex32(
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    )); // y = p
    v.push(hex32(
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ));
    v
}

/// ZIP-215: single and batch verification must give the same verdict on every signature,
/// including small-order keys and R values and non-canonical point encodings. (ed25519-dalek's
/// cofactorless single check and its cofactored batch equation can disagree on exactly these:
/// a consensus split, which is why verification goes through ed25519-consensus.)
#[test]
fn single_and_batch_agree_on_ed25519_edge_cases() {
    let l = hex32("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    let scalars = [
        [0u8; 32],
        {
            let mut one = [0u8; 32];
            one[0] = 1;
            one
        },
        l,
    ];
    let honest_key = key(Scheme::Ed25519, 9);
    let honest_pk = honest_key.public_key();
    let honest_sig = honest_key.sign(Domain::TRANSACTION, ChainId::DEVNET, b"honest");
    let (mut accepted, mut rejected) = (0, 0);
    for a in small_order_encodings() {
        for r in small_order_encodings() {
            for s in &scalars {
                let mut sig = [0u8; 64];
                sig[..32].copy_from_slice(&r);
                sig[32..].copy_from_slice(s);
                let pk = PublicKey::Ed25519(a);
                let sig = Signature::Ed25519(sig);
                let msg = b"edge case";
                let single = pk
                    .verify(Domain::TRANSACTION, ChainId::DEVNET, msg, &sig)
                    .is_ok();
                let alone = verify_batch(&[item(&pk, &sig, msg)]).is_ok();
                let together = verify_batch(&[
                    item(&honest_pk, &honest_sig, b"honest"),
                    item(&pk, &sig, msg),
                ])
                .is_ok();
                assert_eq!(
                    single,
                    alone,
                    "A={} R={} s={}",
                    flux_core::hex::encode(&a),
                    flux_core::hex::encode(&r),
                    s[0]
                );
                assert_eq!(single, together);
                if single { accepted += 1 } else { rejected += 1 }
            }
        }
    }
    // s = 0 with small-order A and R satisfies the cofactored equation: accepted (ZIP-215);
    // s = 1 and the non-canonical s = l are rejected.
    let n = small_order_encodings().len();
    assert_eq!(accepted, n * n);
    assert_eq!(rejected, 2 * n * n);
}
