//! Lower-case hex for fixed-size byte strings (hashes, keys, signatures).

use crate::error::HexError;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Encodes bytes as lower-case hex.
///
/// ```
/// assert_eq!(flux_core::hex::encode(&[0x0f, 0xa0]), "0fa0");
/// ```
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Decodes exactly `N` bytes from `2N` hex digits (either case).
///
/// ```
/// let b: [u8; 2] = flux_core::hex::decode_array("0FA0").unwrap();
/// assert_eq!(b, [0x0f, 0xa0]);
/// ```
pub fn decode_array<const N: usize>(s: &str) -> Result<[u8; N], HexError> {
    let mut out = [0u8; N];
    decode_into(s, &mut out)?;
    Ok(out)
}

/// Decodes a hex string of any even length.
pub fn decode(s: &str) -> Result<Vec<u8>, HexError> {
    if !s.len().is_multiple_of(2) {
        return Err(HexError::Length {
            expected: s.len() + 1,
            found: s.len(),
        });
    }
    let mut out = vec![0u8; s.len() / 2];
    decode_into(s, &mut out)?;
    Ok(out)
}

fn decode_into(s: &str, out: &mut [u8]) -> Result<(), HexError> {
    let raw = s.as_bytes();
    if raw.len() != out.len() * 2 {
        return Err(HexError::Length {
            expected: out.len() * 2,
            found: s.chars().count(),
        });
    }
    for (i, pair) in raw.chunks_exact(2).enumerate() {
        let hi = nibble(pair[0]).ok_or_else(|| bad_char(s, 2 * i))?;
        let lo = nibble(pair[1]).ok_or_else(|| bad_char(s, 2 * i + 1))?;
        out[i] = (hi << 4) | lo;
    }
    Ok(())
}

fn bad_char(s: &str, position: usize) -> HexError {
    // `position` may fall inside a multi-byte char; report the char that covers it.
    let found = s
        .char_indices()
        .take_while(|(i, _)| *i <= position)
        .last()
        .map_or('\u{fffd}', |(_, c)| c);
    HexError::InvalidCharacter { position, found }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(decode_array::<4>(&encode(&bytes)), Ok(bytes));
        assert_eq!(
            decode_array::<2>("abc"),
            Err(HexError::Length {
                expected: 4,
                found: 3
            })
        );
        assert_eq!(
            decode_array::<2>("abzz"),
            Err(HexError::InvalidCharacter {
                position: 2,
                found: 'z'
            })
        );
        assert!(decode_array::<2>("aé").is_err());
        assert_eq!(decode("0a0b"), Ok(vec![10, 11]));
        assert!(decode("0a0").is_err());
    }
}
