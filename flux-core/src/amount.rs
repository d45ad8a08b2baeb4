//! Money: [`Amount`], a count of base units with checked arithmetic and exact decimal text.
//!
//! 1 FLUX = 100,000,000 base units. Arithmetic never wraps: every operation that could overflow
//! or go below zero returns an [`AmountError`]. Decimal text is parsed and printed exactly, with no
//! floating point anywhere.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::AmountError;

/// Base units in one FLUX.
pub const COIN: u64 = 100_000_000;

/// Decimal places of the FLUX unit.
pub const DECIMALS: usize = 8;

/// An amount of FLUX in base units (1 FLUX = 10^8 base units).
///
/// In JSON (and any human-readable serde format) an amount is a decimal string of FLUX, so no
/// client ever sees a float; in the canonical codec it is a little-endian `u64` of base units.
///
/// ```
/// use flux_core::Amount;
///
/// let a: Amount = "12.5".parse()?;
/// assert_eq!(a.base_units(), 1_250_000_000);
/// assert_eq!(a.to_string(), "12.5");
/// let b = a.checked_add(Amount::from_flux(1)?)?;
/// assert_eq!(b.to_string(), "13.5");
/// assert!(Amount::ZERO.checked_sub(Amount::from_base_units(1)).is_err());
/// # Ok::<(), flux_core::error::AmountError>(())
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(u64);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);
    /// One FLUX.
    pub const ONE_FLUX: Amount = Amount(COIN);
    /// The largest representable amount (not a protocol limit; see `ChainParams::max_supply`).
    pub const MAX: Amount = Amount(u64::MAX);

    /// An amount of `units` base units.
    pub const fn from_base_units(units: u64) -> Amount {
        Amount(units)
    }

    /// An amount of whole FLUX; errors if it does not fit.
    pub const fn from_flux(flux: u64) -> Result<Amount, AmountError> {
        match flux.checked_mul(COIN) {
            Some(units) => Ok(Amount(units)),
            None => Err(AmountError::Overflow {
                lhs: flux,
                op: "*",
                rhs: COIN,
            }),
        }
    }

    /// The amount in base units.
    pub const fn base_units(self) -> u64 {
        self.0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + rhs`, or an error on overflow.
    pub const fn checked_add(self, rhs: Amount) -> Result<Amount, AmountError> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Ok(Amount(v)),
            None => Err(AmountError::Overflow {
                lhs: self.0,
                op: "+",
                rhs: rhs.0,
            }),
        }
    }

    /// `self - rhs`, or an error if the result would be negative.
    pub const fn checked_sub(self, rhs: Amount) -> Result<Amount, AmountError> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Ok(Amount(v)),
            None => Err(AmountError::Underflow {
                lhs: self.0,
                rhs: rhs.0,
            }),
        }
    }

    /// `self - rhs`, or zero if `rhs` is larger.
    pub const fn saturating_sub(self, rhs: Amount) -> Amount {
        Amount(self.0.saturating_sub(rhs.0))
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Amount) -> Amount {
        Ord::min(self, other)
    }

    /// `self * factor`, or an error on overflow.
    pub const fn checked_mul(self, factor: u64) -> Result<Amount, AmountError> {
        match self.0.checked_mul(factor) {
            Some(v) => Ok(Amount(v)),
            None => Err(AmountError::Overflow {
                lhs: self.0,
                op: "*",
                rhs: factor,
            }),
        }
    }

    /// `self / divisor`, rounded down (the remainder is never created).
    pub const fn checked_div(self, divisor: u64) -> Result<Amount, AmountError> {
        match self.0.checked_div(divisor) {
            Some(v) => Ok(Amount(v)),
            None => Err(AmountError::DivisionByZero),
        }
    }

    /// `self * num / den`, computed exactly in 128 bits and rounded down.
    ///
    /// This is the one way to take a fraction of an amount: it never rounds up, so a split by
    /// ratios can never create value.
    ///
    /// ```
    /// use flux_core::Amount;
    /// let m = Amount::from_flux(14)?;
    /// assert_eq!(m.mul_div_floor(15, 200)?.to_string(), "1.05");
    /// # Ok::<(), flux_core::error::AmountError>(())
    /// ```
    pub const fn mul_div_floor(self, num: u64, den: u64) -> Result<Amount, AmountError> {
        if den == 0 {
            return Err(AmountError::DivisionByZero);
        }
        let wide = (self.0 as u128) * (num as u128) / (den as u128);
        if wide > u64::MAX as u128 {
            return Err(AmountError::Overflow {
                lhs: self.0,
                op: "*",
                rhs: num,
            });
        }
        Ok(Amount(wide as u64))
    }

    /// The sum of many amounts, or an error on overflow.
    ///
    /// ```
    /// use flux_core::Amount;
    /// let parts = [Amount::from_base_units(1), Amount::from_base_units(2)];
    /// assert_eq!(Amount::checked_sum(parts)?, Amount::from_base_units(3));
    /// # Ok::<(), flux_core::error::AmountError>(())
    /// ```
    pub fn checked_sum<I: IntoIterator<Item = Amount>>(items: I) -> Result<Amount, AmountError> {
        items
            .into_iter()
            .try_fold(Amount::ZERO, |acc, a| acc.checked_add(a))
    }
}

impl fmt::Display for Amount {
    /// Exact decimal FLUX without trailing zeros: `12.5`, `14`, `0.00000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / COIN;
        let frac = self.0 % COIN;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{frac:08}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self} FLUX")
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    /// Parses decimal FLUX: digits, optionally `.` and 1 to 8 more digits. No sign, no exponent,
    /// no separators, no whitespace; a value that would lose precision is an error, never rounded.
    fn from_str(s: &str) -> Result<Amount, AmountError> {
        if s.is_empty() {
            return Err(AmountError::Empty);
        }
        if let Some((position, found)) = s
            .char_indices()
            .find(|(_, c)| !c.is_ascii_digit() && *c != '.')
        {
            return Err(AmountError::InvalidCharacter { position, found });
        }
        let (whole, frac) = match s.split_once('.') {
            None => (s, ""),
            Some((w, f)) => {
                if let Some(p) = f.find('.') {
                    return Err(AmountError::InvalidCharacter {
                        position: w.len() + 1 + p,
                        found: '.',
                    });
                }
                if w.is_empty() || f.is_empty() {
                    return Err(AmountError::MissingDigits);
                }
                (w, f)
            }
        };
        if frac.len() > DECIMALS {
            return Err(AmountError::TooManyDecimals {
                max: DECIMALS,
                found: frac.len(),
            });
        }
        let too_large = || AmountError::TooLarge(s.to_owned());
        // Leading zeros are harmless for human input; strip them so long zero runs cannot overflow.
        let whole = whole.trim_start_matches('0');
        let whole_units: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse::<u64>().map_err(|_| too_large())?
        };
        let mut frac_units: u64 = 0;
        for d in frac.bytes() {
            frac_units = frac_units * 10 + u64::from(d - b'0');
        }
        for _ in frac.len()..DECIMALS {
            frac_units *= 10;
        }
        whole_units
            .checked_mul(COIN)
            .and_then(|w| w.checked_add(frac_units))
            .map(Amount)
            .ok_or_else(too_large)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_u64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        if d.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            u64::deserialize(d).map(Amount)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Result<Amount, AmountError> {
        s.parse()
    }

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(p("12.5"), Ok(Amount(1_250_000_000)));
        assert_eq!(p("0.00000001"), Ok(Amount(1)));
        assert_eq!(p("440000000"), Ok(Amount(44_000_000_000_000_000)));
        assert_eq!(p("007.10"), Ok(Amount(710_000_000)));
        assert_eq!(p("184467440737.09551615"), Ok(Amount::MAX));
    }

    #[test]
    fn rejects_bad_text_with_reasons() {
        assert_eq!(p(""), Err(AmountError::Empty));
        assert_eq!(
            p("-1"),
            Err(AmountError::InvalidCharacter {
                position: 0,
                found: '-'
            })
        );
        assert_eq!(
            p("1e5"),
            Err(AmountError::InvalidCharacter {
                position: 1,
                found: 'e'
            })
        );
        assert_eq!(p(".5"), Err(AmountError::MissingDigits));
        assert_eq!(p("5."), Err(AmountError::MissingDigits));
        assert!(matches!(
            p("1.2.3"),
            Err(AmountError::InvalidCharacter { found: '.', .. })
        ));
        assert_eq!(
            p("0.000000001"),
            Err(AmountError::TooManyDecimals { max: 8, found: 9 })
        );
        assert!(matches!(
            p("184467440737.09551616"),
            Err(AmountError::TooLarge(_))
        ));
        assert!(matches!(
            p("99999999999999999999999"),
            Err(AmountError::TooLarge(_))
        ));
    }

    #[test]
    fn displays_without_trailing_zeros() {
        assert_eq!(Amount(1_250_000_000).to_string(), "12.5");
        assert_eq!(Amount(14 * COIN).to_string(), "14");
        assert_eq!(Amount(1).to_string(), "0.00000001");
        assert_eq!(Amount::ZERO.to_string(), "0");
        assert_eq!(format!("{:?}", Amount(50_000_000)), "0.5 FLUX");
    }

    #[test]
    fn json_is_a_decimal_string_and_codec_is_u64() {
        let a = Amount(1_250_000_000);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"12.5\"");
        assert_eq!(serde_json::from_str::<Amount>("\"12.5\"").unwrap(), a);
        assert!(serde_json::from_str::<Amount>("12.5").is_err());
        let bytes = crate::codec::encode(&a).unwrap();
        assert_eq!(bytes, 1_250_000_000u64.to_le_bytes());
    }

    #[test]
    fn fractions_round_down() {
        let m = Amount::from_flux(14).unwrap();
        assert_eq!(m.mul_div_floor(1, 28).unwrap(), Amount(50_000_000));
        assert_eq!(Amount(5).mul_div_floor(1, 2).unwrap(), Amount(2));
        assert_eq!(m.mul_div_floor(1, 0), Err(AmountError::DivisionByZero));
        assert!(Amount::MAX.mul_div_floor(2, 1).is_err());
        assert_eq!(
            Amount::MAX.mul_div_floor(u64::MAX, u64::MAX).unwrap(),
            Amount::MAX
        );
    }

    proptest! {
        #[test]
        fn arithmetic_is_checked(a: u64, b: u64) {
            let (x, y) = (Amount(a), Amount(b));
            match a.checked_add(b) {
                Some(s) => prop_assert_eq!(x.checked_add(y), Ok(Amount(s))),
                None => prop_assert!(x.checked_add(y).is_err()),
            }
            match a.checked_sub(b) {
                Some(s) => prop_assert_eq!(x.checked_sub(y), Ok(Amount(s))),
                None => prop_assert!(x.checked_sub(y).is_err()),
            }
            match a.checked_mul(b) {
                Some(s) => prop_assert_eq!(x.checked_mul(b), Ok(Amount(s))),
                None => prop_assert!(x.checked_mul(b).is_err()),
            }
            prop_assert_eq!(
                Amount::checked_sum([x, y]).ok(),
                a.checked_add(b).map(Amount)
            );
        }

        #[test]
        fn mul_div_never_rounds_up(a: u64, num: u64, den in 1u64..) {
            if let Ok(r) = Amount(a).mul_div_floor(num, den) {
                let exact = u128::from(a) * u128::from(num);
                prop_assert!(u128::from(r.0) * u128::from(den) <= exact);
                prop_assert!(exact - u128::from(r.0) * u128::from(den) < u128::from(den));
            }
        }

        #[test]
        fn text_round_trips(a: u64) {
            let s = Amount(a).to_string();
            prop_assert_eq!(s.parse::<Amount>(), Ok(Amount(a)));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<Amount>();
        }
    }
}
