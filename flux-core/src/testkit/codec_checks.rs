//! Checks of the canonical codec for any type: round trip and canonical decoding, as proptest
//! assertions (use them inside `proptest!` bodies with `?`).

use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec;

/// `decode(encode(value)) == value`, the encoded length is what
/// [`codec::encoded_len`] says, and neither one byte less nor one more decodes.
///
/// ```
/// use flux_core::testkit::codec_checks::round_trips;
/// use flux_core::testkit::strategies::any_amount;
/// use proptest::prelude::*;
///
/// proptest!(|(a in any_amount())| round_trips(&a)?);
/// ```
pub fn round_trips<T>(value: &T) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = codec::encode(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let len = codec::encoded_len(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(len, bytes.len() as u64);
    let back = codec::decode::<T>(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, value);
    if !bytes.is_empty() {
        prop_assert!(codec::decode::<T>(&bytes[..bytes.len() - 1]).is_err());
    }
    let mut longer = bytes;
    longer.push(0);
    prop_assert!(codec::decode::<T>(&longer).is_err());
    Ok(())
}

/// Arbitrary `bytes` either fail to decode as `T` or re-encode to exactly `bytes`.
///
/// ```
/// use flux_core::Hash;
/// use flux_core::testkit::codec_checks::decodes_canonically;
/// use proptest::prelude::*;
///
/// proptest!(|(bytes in proptest::collection::vec(any::<u8>(), 0..64))| {
///     decodes_canonically::<Vec<Hash>>(&bytes)?;
/// });
/// ```
pub fn decodes_canonically<T: Serialize + DeserializeOwned>(
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    if let Ok(v) = codec::decode::<T>(bytes) {
        let again = codec::encode(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again, bytes);
    }
    Ok(())
}
