//! `application/x-www-form-urlencoded` text (a form body or a query) into the application's
//! `serde::Deserialize` type, and the percent-decoding it rests on.
//!
//! Each key and value is decoded into the next free part of a caller's scratch buffer, so a
//! `&str` field borrows it and nothing is allocated. The text is one flat map: a struct of
//! strings, numbers, booleans (`true`/`false`, and `on` as a checkbox sends it), unit enum
//! variants and `Option`s of those (a field left out is `None`). A field the type does not
//! name is ignored; a repeated one is refused. This module never answers and never panics on
//! what it is given.

use core::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, Deserialize, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};

/// Why form text is not the type asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A `%` not followed by two hex digits, a decoded text that is not UTF-8, or more
    /// decoded text than the scratch buffer holds.
    Encoding,
    /// The fields are not the type's: one missing, repeated, or not of its field's type.
    Fields,
}

/// `text` as a `T`, its keys and values decoded into `scratch`.
///
/// # Errors
///
/// As [`Error`] says.
///
/// # Examples
///
/// ```
/// #[derive(serde::Deserialize, PartialEq, Debug)]
/// struct Led<'a> { name: &'a str, level: u8, on: bool, note: Option<&'a str> }
///
/// let mut scratch = [0u8; 64];
/// let led: Led<'_> = aurora_app::form::from_str("name=desk+lamp&level=7&on=on", &mut scratch).unwrap();
/// assert_eq!(led, Led { name: "desk lamp", level: 7, on: true, note: None });
/// ```
pub fn from_str<'b, T: Deserialize<'b>>(text: &str, scratch: &'b mut [u8]) -> Result<T, Error> {
    T::deserialize(Form {
        pairs: text,
        scratch,
        value: None,
    })
}

/// The pairs of form-encoded `text`, raw (decode with [`decode`]); empty pairs are skipped
/// and a pair without `=` has an empty value.
pub fn pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// `raw` percent-decoded (`+` is a space, as in forms) into `buf`.
///
/// # Errors
///
/// [`Error::Encoding`] for a `%` not followed by two hex digits, a result that is not UTF-8,
/// or one longer than `buf`.
pub fn decode<'b>(raw: &str, buf: &'b mut [u8]) -> Result<&'b str, Error> {
    let len = decode_len(raw, buf)?;
    core::str::from_utf8(&buf[..len]).map_err(|_| Error::Encoding)
}

/// Decodes `raw` into the front of `buf`, returning the length.
fn decode_len(raw: &str, buf: &mut [u8]) -> Result<usize, Error> {
    let mut len = 0;
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        let byte = match b {
            b'+' => b' ',
            b'%' => {
                let hi = bytes.next().and_then(hex).ok_or(Error::Encoding)?;
                let lo = bytes.next().and_then(hex).ok_or(Error::Encoding)?;
                hi << 4 | lo
            }
            b => b,
        };
        *buf.get_mut(len).ok_or(Error::Encoding)? = byte;
        len += 1;
    }
    Ok(len)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The form as a serde map: the pairs not yet read, the scratch not yet used, and the value
/// of the key just read.
struct Form<'t, 'b> {
    pairs: &'t str,
    scratch: &'b mut [u8],
    value: Option<&'b str>,
}

/// One decoded value, parsed as the field's type asks.
struct Value<'b>(&'b str);

impl<'b> Form<'_, 'b> {
    /// `raw` decoded into the front of the scratch, which then moves past it.
    fn take(&mut self, raw: &str) -> Result<&'b str, Error> {
        let len = decode_len(raw, self.scratch)?;
        let (used, rest) = core::mem::take(&mut self.scratch).split_at_mut(len);
        self.scratch = rest;
        let used: &'b [u8] = used;
        core::str::from_utf8(used).map_err(|_| Error::Encoding)
    }
}

impl<'de> de::Deserializer<'de> for Form<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for Form<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let pair = loop {
            let (pair, rest) = self.pairs.split_once('&').unwrap_or((self.pairs, ""));
            self.pairs = rest;
            if !pair.is_empty() {
                break pair;
            }
            if rest.is_empty() {
                return Ok(None);
            }
        };
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = self.take(key)?;
        self.value = Some(self.take(value)?);
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(Value(self.value.take().unwrap_or("")))
    }
}

/// A number parsed from the value (`FromStr`: no spaces, no `+` decoded from a space).
macro_rules! value_numbers {
    ($($method:ident $visit:ident $t:ty),+ $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit(self.0.parse::<$t>().map_err(|_| Error::Fields)?)
        }
    )+};
}

impl<'de> de::Deserializer<'de> for Value<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            "true" | "on" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(Error::Fields),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        BorrowedStrDeserializer::new(self.0).deserialize_enum(name, variants, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    value_numbers! {
        deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32, deserialize_i64 visit_i64 i64,
        deserialize_u8 visit_u8 u8, deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32, deserialize_u64 visit_u64 u64,
        deserialize_f32 visit_f32 f32, deserialize_f64 visit_f64 f64,
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Error> for Value<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Encoding => "bad percent-encoding",
            Error::Fields => "bad or missing field",
        })
    }
}

impl core::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Error::Fields
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Auto,
        Off,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Cfg<'a> {
        name: &'a str,
        interval_ms: u32,
        led: bool,
        mode: Option<Mode>,
        gain: Option<f32>,
    }

    /// Form text => the `Cfg` it gives, or the error.
    #[test]
    fn table() {
        let cfg = |name, interval_ms, led, mode, gain| Cfg {
            name,
            interval_ms,
            led,
            mode,
            gain,
        };
        macro_rules! t {
            ($($text:literal => $want:expr;)+) => {$({
                let mut scratch = [0u8; 48];
                assert_eq!(from_str::<Cfg<'_>>($text, &mut scratch), $want, "{}", $text);
            })+};
        }
        t! {
            "name=a&interval_ms=100&led=true" => Ok(cfg("a", 100, true, None, None));
            "led=on&&name=b%20c&interval_ms=5&mode=auto&gain=0.5&x=1" =>
                Ok(cfg("b c", 5, true, Some(Mode::Auto), Some(0.5)));
            "interval_ms=1&led=false&name=%C3%A9&mode=off" => Ok(cfg("é", 1, false, Some(Mode::Off), None));
            "name=a&interval_ms=100" => Err(Error::Fields);
            "name=a&interval_ms=-1&led=true" => Err(Error::Fields);
            "name=a&interval_ms=+1&led=true" => Err(Error::Fields);
            "name=a&interval_ms=1&led=yes" => Err(Error::Fields);
            "name=a&interval_ms=1&led=true&mode=on" => Err(Error::Fields);
            "name=a&name=b&interval_ms=1&led=true" => Err(Error::Fields);
            "name=%zz&interval_ms=1&led=true" => Err(Error::Encoding);
            "name=%FF&interval_ms=1&led=true" => Err(Error::Encoding);
            "name=0123456789abcdef0123456789abcdef0123456789abcdef&led=true" => Err(Error::Encoding);
            "" => Err(Error::Fields);
        }
    }

    proptest::proptest! {
        /// Any text gives a value or an error, never a panic.
        #[test]
        fn never_panics(text in "[a-z_=&%+0-9A-F.]{0,64}") {
            let mut scratch = [0u8; 64];
            let _ = from_str::<Cfg<'_>>(&text, &mut scratch);
        }
    }
}
