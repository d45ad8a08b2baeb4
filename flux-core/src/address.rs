//! [`Address`]: the 20-byte account identifier and its bech32m human form.

use core::fmt;

use bech32::primitives::decode::{CheckedHrpstring, CheckedHrpstringError};
use bech32::{Bech32, Bech32m, Hrp};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::error::AddressError;
use crate::hash::Hash;
use crate::params::Network;

/// The domain of address derivation.
static ADDRESS_TAG: std::sync::LazyLock<crate::hash::Tag> =
    std::sync::LazyLock::new(|| crate::hash::Tag::new("flux/address/v1"));

/// An account address: the first 20 bytes of `Hash::tagged("flux/address/v1", scheme ‖ key)`.
///
/// The human form is bech32m with the network's prefix (`flux` on mainnet, `tflux` on testnet
/// and devnet). The prefix is not part of the address, so the same key has the same `Address` on
/// every network; parsing checks the prefix against the network you expect.
///
/// In JSON an address is its 40 hex digits (no network is known there); use
/// [`Address::to_bech32`] for people.
///
/// ```
/// use flux_core::{Address, crypto::{Scheme, SecretKey}, params::Network};
///
/// let key = SecretKey::from_bytes(Scheme::Ed25519, &[1u8; 32])?.public_key();
/// let addr = Address::from_public_key(&key);
/// let text = addr.to_bech32(Network::Mainnet);
/// assert!(text.starts_with("flux1"));
/// assert_eq!(Address::parse(&text, Network::Mainnet)?, addr);
/// assert!(Address::parse(&text, Network::Testnet).is_err()); // wrong prefix
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Address(#[serde(with = "crate::fixed_bytes")] [u8; 20]);

impl Address {
    /// Length in bytes.
    pub const LEN: usize = 20;

    /// The address of a public key.
    pub fn from_public_key(key: &PublicKey) -> Address {
        let mut h = ADDRESS_TAG.hasher();
        h.update(&[key.scheme().tag()]).update(key.as_bytes());
        Address::from_hash(&h.finalize())
    }

    /// The first 20 bytes of a hash (for addresses of protocol-owned accounts).
    pub fn from_hash(hash: &Hash) -> Address {
        let mut out = [0u8; 20];
        out.copy_from_slice(&hash.as_bytes()[..20]);
        Address(out)
    }

    /// Wraps raw address bytes.
    pub const fn from_bytes(bytes: [u8; 20]) -> Address {
        Address(bytes)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The bech32m form with `network`'s prefix.
    pub fn to_bech32(&self, network: Network) -> String {
        let hrp = Hrp::parse_unchecked(network.address_prefix());
        let mut out = String::with_capacity(network.address_prefix().len() + 39);
        // Writing 20 bytes under a valid prefix into a String cannot fail; an error would only
        // come from the formatter, and then the (empty) string says so.
        let _ = bech32::encode_to_fmt::<Bech32m, String>(&mut out, hrp, &self.0);
        out
    }

    /// Parses the bech32m form and checks its prefix is `network`'s.
    pub fn parse(text: &str, network: Network) -> Result<Address, AddressError> {
        let (prefix, addr) = Address::parse_any(text)?;
        if prefix != network.address_prefix() {
            return Err(AddressError::WrongPrefix {
                expected: network.address_prefix(),
                found: prefix.to_owned(),
            });
        }
        Ok(addr)
    }

    /// Parses the bech32m form under either known prefix; returns the prefix with the address.
    pub fn parse_any(text: &str) -> Result<(&'static str, Address), AddressError> {
        let checked = match CheckedHrpstring::new::<Bech32m>(text) {
            Ok(c) => c,
            Err(CheckedHrpstringError::Checksum(_)) => {
                return Err(if CheckedHrpstring::new::<Bech32>(text).is_ok() {
                    AddressError::WrongVariant
                } else {
                    AddressError::Checksum
                });
            }
            Err(e) => return Err(AddressError::Encoding(e.to_string())),
        };
        let hrp = checked.hrp();
        let prefix = [Network::Mainnet, Network::Testnet]
            .into_iter()
            .map(Network::address_prefix)
            .find(|p| hrp.as_str().eq_ignore_ascii_case(p))
            .ok_or_else(|| AddressError::WrongPrefix {
                expected: "flux or tflux",
                found: hrp.to_string(),
            })?;
        // 20 bytes are exactly 32 five-bit groups: anything else is another length or has padding.
        let groups = checked.data_part_ascii_no_checksum().len();
        if groups != 32 {
            return Err(AddressError::WrongLength {
                found: groups * 5 / 8,
            });
        }
        let mut out = [0u8; 20];
        for (slot, b) in out.iter_mut().zip(checked.byte_iter()) {
            *slot = b;
        }
        Ok((prefix, Address(out)))
    }

    /// Parses an address a user typed: 40 hex digits, or the bech32m form with `network`'s
    /// prefix. This is what the CLI and the node's API accept wherever an address is asked
    /// for.
    ///
    /// ```
    /// use flux_core::Address;
    /// use flux_core::params::Network;
    ///
    /// let a = Address::from_bytes([7; 20]);
    /// let bech32 = a.to_bech32(Network::Testnet);
    /// assert_eq!(Address::parse_user(&bech32, Network::Testnet), Ok(a));
    /// assert_eq!(Address::parse_user(&"07".repeat(20), Network::Testnet), Ok(a));
    /// assert!(Address::parse_user(&bech32, Network::Mainnet).is_err());
    /// ```
    pub fn parse_user(text: &str, network: Network) -> Result<Address, AddressError> {
        if text.len() == 2 * Address::LEN
            && let Ok(a) = Address::from_hex(text)
        {
            return Ok(a);
        }
        Address::parse(text, network)
    }

    /// Parses 40 hex digits.
    pub fn from_hex(text: &str) -> Result<Address, AddressError> {
        Ok(Address(crate::hex::decode_array(text)?))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", crate::hex::encode(&self.0))
    }
}

impl fmt::LowerHex for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::hex::encode(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> Address {
        Address::from_bytes(core::array::from_fn(|i| i as u8))
    }

    #[test]
    fn bech32m_round_trip_and_prefixes() {
        let a = addr();
        let main = a.to_bech32(Network::Mainnet);
        let test = a.to_bech32(Network::Testnet);
        assert!(main.starts_with("flux1") && main.len() == 43, "{main}");
        assert!(test.starts_with("tflux1"));
        assert_eq!(a.to_bech32(Network::Devnet), test);
        assert_eq!(Address::parse(&main, Network::Mainnet), Ok(a));
        assert_eq!(Address::parse(&test, Network::Devnet), Ok(a));
        assert_eq!(
            Address::parse(&main.to_uppercase(), Network::Mainnet),
            Ok(a)
        );
        assert_eq!(
            Address::parse(&test, Network::Mainnet),
            Err(AddressError::WrongPrefix {
                expected: "flux",
                found: "tflux".into()
            })
        );
    }

    #[test]
    fn typed_errors() {
        let main = addr().to_bech32(Network::Mainnet);
        // One changed character: a checksum error.
        let mut typo: Vec<char> = main.chars().collect();
        typo[10] = if typo[10] == 'q' { 'p' } else { 'q' };
        let typo: String = typo.into_iter().collect();
        assert_eq!(
            Address::parse(&typo, Network::Mainnet),
            Err(AddressError::Checksum)
        );
        // bech32 (not m) checksum.
        let hrp = Hrp::parse_unchecked("flux");
        let legacy = bech32::encode::<Bech32>(hrp, addr().as_bytes()).unwrap();
        assert_eq!(
            Address::parse(&legacy, Network::Mainnet),
            Err(AddressError::WrongVariant)
        );
        // Wrong lengths.
        let short = bech32::encode::<Bech32m>(hrp, &[1u8; 19]).unwrap();
        assert_eq!(
            Address::parse(&short, Network::Mainnet),
            Err(AddressError::WrongLength { found: 19 })
        );
        let long = bech32::encode::<Bech32m>(hrp, &[1u8; 32]).unwrap();
        assert_eq!(
            Address::parse(&long, Network::Mainnet),
            Err(AddressError::WrongLength { found: 32 })
        );
        // Unknown prefix, garbage.
        let other = bech32::encode::<Bech32m>(Hrp::parse_unchecked("cosmos"), &[1u8; 20]).unwrap();
        assert!(matches!(
            Address::parse_any(&other),
            Err(AddressError::WrongPrefix { .. })
        ));
        assert!(matches!(
            Address::parse("not an address", Network::Mainnet),
            Err(AddressError::Encoding(_))
        ));
        assert!(Address::parse("", Network::Mainnet).is_err());
    }

    #[test]
    fn json_is_hex_and_codec_is_raw() {
        let a = addr();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{a:x}\""));
        assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
        assert_eq!(crate::codec::encode(&a).unwrap(), a.as_bytes());
        assert_eq!(Address::from_hex(&format!("{a:x}")), Ok(a));
    }
}
