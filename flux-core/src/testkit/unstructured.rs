//! `Arbitrary` for any serde type: a [`serde::Deserializer`] that draws every field from an
//! [`Unstructured`] byte source instead of parsing it.
//!
//! The canonical codec is not self-describing, so every consensus and wire type deserializes by
//! asking for exactly the shape it has (a `u64`, a 20-byte tuple, one of N enum variants, a
//! sequence). Answering those questions from fuzzer bytes gives structure-aware values for
//! every type at once: enum variants are always in range, lengths are small, strings are UTF-8,
//! and whatever comes out re-encodes canonically. Types whose `Deserialize` checks a rule (a
//! parsed geolocation, a bounded name) refuse some draws; those come back as
//! [`arbitrary::Error::IncorrectFormat`] and a fuzzer moves on.

use std::fmt;

use arbitrary::Unstructured;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

/// Longest sequence, map or byte string drawn (keeps values small and decoding fast).
pub const MAX_LEN: usize = 8;
/// Longest string drawn, in bytes.
pub const MAX_STR: usize = 48;
/// Strings with a protocol shape, drawn a quarter of the time: types that parse their text
/// (geolocations, endpoints, app names) would refuse almost every random string.
pub const WORDS: &[&str] = &[
    "EU_DE",
    "NA_US_Texas",
    "AS_JP",
    "acEU",
    "a!cEU_DE",
    "127.0.0.1:16127",
    "10.1.0.1:16127",
    "node.example:16127",
    "tinybot",
    "worker",
    "example/worker:1.0",
    "/srv",
    "",
];
/// Deeper than this, sequences and maps are empty (bounds recursive types).
const MAX_DEPTH: u32 = 12;

/// A value of `T` drawn field by field from `u` (see the module docs).
///
/// Errors: [`arbitrary::Error::IncorrectFormat`] when `T`'s `Deserialize` refuses the draw
/// (its own rules), never a panic.
///
/// ```
/// use arbitrary::Unstructured;
/// use flux_core::testkit::unstructured::from_unstructured;
/// use flux_core::{Address, Amount, codec};
///
/// let mut u = Unstructured::new(&[7; 64]);
/// let value: (Address, Vec<Amount>) = from_unstructured(&mut u)?;
/// // Whatever is drawn is a canonical value: it round-trips through the codec.
/// assert_eq!(codec::decode::<(Address, Vec<Amount>)>(&codec::encode(&value)?)?, value);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_unstructured<T: DeserializeOwned>(u: &mut Unstructured<'_>) -> arbitrary::Result<T> {
    let mut de = Draw { u, depth: 0 };
    T::deserialize(&mut de).map_err(|e| match e {
        DrawError::Data(inner) => inner,
        DrawError::Refused(_) => arbitrary::Error::IncorrectFormat,
    })
}

/// Why a draw failed.
#[derive(Debug)]
enum DrawError {
    /// The byte source failed.
    Data(arbitrary::Error),
    /// The type's `Deserialize` refused the value, or asked for something not drawable.
    Refused(String),
}

impl fmt::Display for DrawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DrawError::Data(e) => write!(f, "{e}"),
            DrawError::Refused(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for DrawError {}

impl de::Error for DrawError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        DrawError::Refused(msg.to_string())
    }
}

impl From<arbitrary::Error> for DrawError {
    fn from(e: arbitrary::Error) -> Self {
        DrawError::Data(e)
    }
}

struct Draw<'u, 'a> {
    u: &'u mut Unstructured<'a>,
    depth: u32,
}

impl Draw<'_, '_> {
    fn len(&mut self, max: usize) -> Result<usize, DrawError> {
        if self.depth >= MAX_DEPTH {
            return Ok(0);
        }
        Ok(self.u.int_in_range(0..=max)?)
    }

    fn string(&mut self) -> Result<String, DrawError> {
        if self.u.ratio(1u8, 4u8)? {
            return Ok((*self.u.choose(WORDS)?).to_owned());
        }
        let len = self.len(MAX_STR)?;
        let mut s = String::with_capacity(len);
        for _ in 0..len {
            // Mostly printable ASCII (names, endpoints, specs), sometimes any char.
            let c = if self.u.ratio(7u8, 8u8)? {
                char::from(self.u.int_in_range(0x20u8..=0x7e)?)
            } else {
                self.u.arbitrary::<char>()?
            };
            s.push(c);
        }
        Ok(s)
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, DrawError>,
    ) -> Result<T, DrawError> {
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }
}

macro_rules! draw_int {
    ($($method:ident $visit:ident $ty:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DrawError> {
            let v: $ty = self.u.arbitrary()?;
            visitor.$visit(v)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Draw<'_, '_> {
    type Error = DrawError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DrawError> {
        Err(DrawError::Refused(
            "self-describing types cannot be drawn".into(),
        ))
    }

    draw_int! {
        deserialize_bool visit_bool bool,
        deserialize_i8 visit_i8 i8,
        deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64,
        deserialize_i128 visit_i128 i128,
        deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64,
        deserialize_u128 visit_u128 u128,
        deserialize_f32 visit_f32 f32,
        deserialize_f64 visit_f64 f64,
        deserialize_char visit_char char,
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DrawError> {
        visitor.visit_string(self.string()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DrawError> {
        visitor.visit_string(self.string()?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DrawError> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DrawError> {
        let len = self.len(MAX_LEN * 32)?;
        visitor.visit_byte_buf(self.u.bytes(len)?.to_vec())
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DrawError> {
        if self.u.arbitrary::<bool>()? {
            self.nested(|d| visitor.visit_some(d))
        } else {
            visitor.visit_none()
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DrawError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DrawError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DrawError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DrawError> {
        let len = self.len(MAX_LEN)?;
        self.nested(|d| visitor.visit_seq(Elements { draw: d, left: len }))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DrawError> {
        self.nested(|d| visitor.visit_seq(Elements { draw: d, left: len }))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DrawError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DrawError> {
        let len = self.len(MAX_LEN)?;
        self.nested(|d| visitor.visit_map(Elements { draw: d, left: len }))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DrawError> {
        self.deserialize_tuple(fields.len(), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DrawError> {
        let index = self.u.choose_index(variants.len())?;
        let index = u32::try_from(index).map_err(|_| DrawError::Refused("variant".into()))?;
        self.nested(|d| visitor.visit_enum(Variant { draw: d, index }))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DrawError> {
        self.deserialize_u32(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DrawError> {
        Err(DrawError::Refused("ignored values cannot be drawn".into()))
    }

    fn is_human_readable(&self) -> bool {
        // The canonical (codec) shape, like bincode.
        false
    }
}

/// A sequence, tuple, struct or map of `left` more elements.
struct Elements<'d, 'u, 'a> {
    draw: &'d mut Draw<'u, 'a>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, '_, '_> {
    type Error = DrawError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DrawError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.draw).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::MapAccess<'de> for Elements<'_, '_, '_> {
    type Error = DrawError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DrawError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.draw).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DrawError> {
        seed.deserialize(&mut *self.draw)
    }
}

/// The chosen variant of an enum.
struct Variant<'d, 'u, 'a> {
    draw: &'d mut Draw<'u, 'a>,
    index: u32,
}

impl<'de, 'd, 'u, 'a> de::EnumAccess<'de> for Variant<'d, 'u, 'a> {
    type Error = DrawError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), DrawError> {
        let de: de::value::U32Deserializer<DrawError> = self.index.into_deserializer();
        Ok((seed.deserialize(de)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, '_, '_> {
    type Error = DrawError;

    fn unit_variant(self) -> Result<(), DrawError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DrawError> {
        seed.deserialize(&mut *self.draw)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, DrawError> {
        de::Deserializer::deserialize_tuple(&mut *self.draw, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DrawError> {
        de::Deserializer::deserialize_tuple(&mut *self.draw, fields.len(), visitor)
    }
}
