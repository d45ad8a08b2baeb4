//! The one canonical encoding of consensus and wire data.
//!
//! serde + bincode 1.3.3 with fixed-width little-endian integers, `u64` length prefixes, a size
//! limit on every decode and trailing bytes rejected. Decoding is canonical for the types this
//! SDK defines: booleans must be 0 or 1, option and enum tags must be in range, strings must be
//! UTF-8 and fixed-size byte arrays carry no length; so a successful `decode` followed by
//! `encode` gives back the same bytes (the fuzz targets check this). Types with maps must keep
//! them in a canonical, sorted form of their own.
//!
//! Every decode is bounded: input longer than the limit is refused before any work, and no
//! length prefix inside the input can make the decoder allocate past the limit.
//!
//! bincode is unmaintained upstream (RUSTSEC-2025-0141; 1.3.3 is complete). Keeping it behind
//! this module means switching to a maintained crate with the same wire format touches one file.
//!
//! ```
//! use flux_core::codec;
//!
//! let bytes = codec::encode(&(7u32, String::from("flux")))?;
//! assert_eq!(bytes.len(), 4 + 8 + 4);
//! let back: (u32, String) = codec::decode(&bytes)?;
//! assert_eq!(back, (7, "flux".into()));
//!
//! let mut long = bytes.clone();
//! long.push(0);
//! assert!(codec::decode::<(u32, String)>(&long).is_err()); // trailing byte
//! # Ok::<(), flux_core::error::CodecError>(())
//! ```

use bincode::Options;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CodecError;

/// The decode limit used by [`decode`]: 16 MiB, above any block or message the protocol allows.
pub const DEFAULT_LIMIT: u64 = 16 * 1024 * 1024;

fn options() -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .allow_trailing_bytes()
}

/// Encodes `value` canonically.
///
/// Errors only for types that cannot be encoded canonically (a serializer asked for a sequence
/// of unknown length); the types of this SDK always encode.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    options().serialize(value).map_err(map_error)
}

/// The length of the canonical encoding of `value`, without allocating it.
pub fn encoded_len<T: Serialize + ?Sized>(value: &T) -> Result<u64, CodecError> {
    options().serialized_size(value).map_err(map_error)
}

/// Decodes a `T` that must fill `bytes` exactly, under [`DEFAULT_LIMIT`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    decode_with_limit(bytes, DEFAULT_LIMIT)
}

/// Decodes a `T` that must fill `bytes` exactly, refusing input over `limit` bytes.
pub fn decode_with_limit<T: DeserializeOwned>(bytes: &[u8], limit: u64) -> Result<T, CodecError> {
    if bytes.len() as u64 > limit {
        return Err(CodecError::TooLarge {
            len: bytes.len(),
            limit,
        });
    }
    let mut rest: &[u8] = bytes;
    let value = options()
        .with_limit(limit)
        .deserialize_from(&mut rest)
        .map_err(map_error)?;
    if !rest.is_empty() {
        return Err(CodecError::TrailingBytes { count: rest.len() });
    }
    Ok(value)
}

#[allow(clippy::boxed_local)] // bincode's error type is a Box; map_err hands it over as is
fn map_error(e: bincode::Error) -> CodecError {
    use bincode::ErrorKind as K;
    match *e {
        K::Io(_) => CodecError::Truncated,
        K::InvalidUtf8Encoding(_) => CodecError::InvalidUtf8,
        K::InvalidBoolEncoding(found) => CodecError::InvalidBool { found },
        K::InvalidCharEncoding => CodecError::InvalidChar,
        K::InvalidTagEncoding(found) => CodecError::InvalidTag { found },
        K::DeserializeAnyNotSupported => CodecError::Unsupported("deserialize_any"),
        K::SizeLimit => CodecError::LimitExceeded,
        K::SequenceMustHaveLength => CodecError::Unsupported("sequence without a length"),
        K::Custom(msg) => CodecError::InvalidValue(msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Kind {
        A,
        B(u16),
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        flag: bool,
        kind: Kind,
        maybe: Option<u8>,
        data: Vec<u8>,
        name: String,
    }

    fn sample() -> Sample {
        Sample {
            flag: true,
            kind: Kind::B(9),
            maybe: Some(3),
            data: vec![1, 2, 3],
            name: "x".into(),
        }
    }

    #[test]
    fn integers_are_fixed_width_little_endian() {
        assert_eq!(encode(&1u32).unwrap(), vec![1, 0, 0, 0]);
        assert_eq!(encode(&u64::MAX).unwrap(), vec![0xff; 8]);
        assert_eq!(encode(&vec![7u8]).unwrap(), vec![1, 0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(
            encoded_len(&sample()).unwrap(),
            encode(&sample()).unwrap().len() as u64
        );
    }

    #[test]
    fn non_canonical_input_is_rejected() {
        let good = encode(&sample()).unwrap();
        assert_eq!(decode::<Sample>(&good).unwrap(), sample());

        let mut bad_bool = good.clone();
        bad_bool[0] = 2;
        assert_eq!(
            decode::<Sample>(&bad_bool),
            Err(CodecError::InvalidBool { found: 2 })
        );

        let mut bad_variant = good.clone();
        bad_variant[1] = 7; // enum variant index (u32 at bytes 1..5)
        assert!(matches!(
            decode::<Sample>(&bad_variant),
            Err(CodecError::InvalidValue(_))
        ));

        let mut bad_option = good.clone();
        bad_option[7] = 2; // option tag after flag, variant index and u16
        assert_eq!(
            decode::<Sample>(&bad_option),
            Err(CodecError::InvalidTag { found: 2 })
        );

        let mut trailing = good.clone();
        trailing.extend([0, 0]);
        assert_eq!(
            decode::<Sample>(&trailing),
            Err(CodecError::TrailingBytes { count: 2 })
        );

        assert_eq!(
            decode::<Sample>(&good[..good.len() - 1]),
            Err(CodecError::Truncated)
        );
    }

    #[test]
    fn limits_bound_input_and_inner_lengths() {
        let big = vec![0u8; 100];
        let bytes = encode(&big).unwrap();
        assert!(matches!(
            decode_with_limit::<Vec<u8>>(&bytes, 50),
            Err(CodecError::TooLarge { .. })
        ));
        // A length prefix claiming 2^60 bytes must fail without allocating them.
        let mut lying = (1u64 << 60).to_le_bytes().to_vec();
        lying.extend([1, 2, 3]);
        assert!(decode::<Vec<u8>>(&lying).is_err());
        assert!(decode::<String>(&lying).is_err());
    }
}
