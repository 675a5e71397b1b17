//! JSON text of any `serde::Serialize` value, written into a [`core::fmt::Write`] sink piece by
//! piece as serde walks the value: with a [`Window`](crate::window::Window) as the sink, a
//! document larger than any buffer goes out one window per pull.
//!
//! This module owns the JSON encoding (compact, the shape `serde_json` gives: structs and maps
//! as objects, enums externally tagged, bytes as arrays of numbers, non-finite floats as
//! `null`). It never allocates and never reads anything back.

use core::fmt::{self, Write};

use serde::ser::{self, Serialize};

/// Why a value could not be written as JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The sink refused a write (a window that is full).
    Sink,
    /// A map key that is not a string, a character or an integer.
    KeyNotString,
    /// The value's own `Serialize` failed.
    Custom,
}

/// Writes `value` as JSON into `sink`.
///
/// # Errors
///
/// [`Error::Sink`] as soon as a write fails, or as [`Error`] says.
///
/// # Examples
///
/// ```
/// use aurora_app::window::Window;
///
/// let mut out = [0u8; 32];
/// let mut window = Window::new(&mut out, 0);
/// aurora_app::json::write(&("a\n", [1u8, 2], Some(true)), &mut window).unwrap();
/// let len = window.len();
/// assert_eq!(&out[..len], br#"["a\n",[1,2],true]"#);
/// ```
pub fn write<T: Serialize + ?Sized, W: Write>(value: &T, sink: &mut W) -> Result<(), Error> {
    value.serialize(&mut Serializer { sink, key: false })
}

/// The serde serializer behind [`write`]. `key` is set while a map key is written: strings and
/// characters go as they are, integers in quotes, anything else is refused.
struct Serializer<'w, W> {
    sink: &'w mut W,
    key: bool,
}

/// A sink that escapes what it is given as the inside of a JSON string.
struct Escaped<'w, W>(&'w mut W);

/// An array or object being written: whether the next element is the first, and what closes
/// it (`]`, `}`, or those and the `}` of an enum variant's wrapper).
struct Compound<'s, 'w, W> {
    ser: &'s mut Serializer<'w, W>,
    first: bool,
    close: &'static str,
}

impl<'w, W: Write> Serializer<'w, W> {
    fn raw(&mut self, text: &str) -> Result<(), Error> {
        self.sink.write_str(text).map_err(|_| Error::Sink)
    }

    /// A non-string value: refused as a map key.
    fn value(&mut self, text: &str) -> Result<(), Error> {
        if self.key {
            return Err(Error::KeyNotString);
        }
        self.raw(text)
    }

    /// An integer: quoted as a map key.
    fn int(&mut self, n: impl fmt::Display) -> Result<(), Error> {
        let quote = if self.key { "\"" } else { "" };
        write!(self.sink, "{quote}{n}{quote}").map_err(|_| Error::Sink)
    }

    fn string(&mut self, s: impl fmt::Display) -> Result<(), Error> {
        self.raw("\"")?;
        write!(Escaped(&mut *self.sink), "{s}").map_err(|_| Error::Sink)?;
        self.raw("\"")
    }

    fn float(&mut self, f: f64, text: impl fmt::Display) -> Result<(), Error> {
        if self.key {
            return Err(Error::KeyNotString);
        }
        if !f.is_finite() {
            return self.raw("null");
        }
        // `Display` of a float has no exponent and no `inf`/`NaN` once finite: a JSON number.
        write!(self.sink, "{text}").map_err(|_| Error::Sink)
    }

    fn open(&mut self, open: &str, close: &'static str) -> Result<Compound<'_, 'w, W>, Error> {
        self.value(open)?;
        Ok(Compound {
            ser: self,
            first: true,
            close,
        })
    }

    /// `{"variant":` before an enum variant's content.
    fn tag(&mut self, variant: &str) -> Result<(), Error> {
        self.value("{")?;
        self.string(variant)?;
        self.raw(":")
    }
}

impl<W: Write> Write for Escaped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut plain = 0;
        for (i, b) in s.bytes().enumerate() {
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..0x20 => "",
                _ => continue,
            };
            // `i` indexes an ASCII byte, a character boundary.
            self.0.write_str(&s[plain..i])?;
            if escape.is_empty() {
                write!(self.0, "\\u{b:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = i + 1;
        }
        self.0.write_str(&s[plain..])
    }
}

impl<W: Write> Compound<'_, '_, W> {
    fn comma(&mut self) -> Result<(), Error> {
        if !core::mem::take(&mut self.first) {
            self.ser.raw(",")?;
        }
        Ok(())
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma()?;
        value.serialize(&mut *self.ser)
    }

    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        self.comma()?;
        self.ser.string(name)?;
        self.ser.raw(":")?;
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        self.ser.raw(self.close)
    }
}

impl<'s, 'w, W: Write> ser::Serializer for &'s mut Serializer<'w, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'s, 'w, W>;
    type SerializeTuple = Compound<'s, 'w, W>;
    type SerializeTupleStruct = Compound<'s, 'w, W>;
    type SerializeTupleVariant = Compound<'s, 'w, W>;
    type SerializeMap = Compound<'s, 'w, W>;
    type SerializeStruct = Compound<'s, 'w, W>;
    type SerializeStructVariant = Compound<'s, 'w, W>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.value(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.float(f64::from(v), v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.float(v, v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v)
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        self.string(value)
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = self.open("[", "]")?;
        for b in v {
            ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.value("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.value("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.value("null")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.tag(variant)?;
        value.serialize(&mut *self)?;
        self.raw("}")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        self.open("[", "]")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        self.open("[", "]")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        self.open("[", "]")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        self.tag(variant)?;
        self.open("[", "]}")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        self.open("{", "}")
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        self.open("{", "}")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        self.tag(variant)?;
        self.open("{", "}}")
    }
}

/// The element-wise serde traits, all by [`Compound::element`] and [`Compound::end`].
macro_rules! elements {
    ($($trait:ident :: $method:ident),+) => {$(
        impl<W: Write> ser::$trait for Compound<'_, '_, W> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        }
    )+};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The field-wise serde traits, by [`Compound::field`] and [`Compound::end`].
macro_rules! fields {
    ($($trait:ident),+) => {$(
        impl<W: Write> ser::$trait for Compound<'_, '_, W> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(name, value)
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        }
    )+};
}

fields!(SerializeStruct, SerializeStructVariant);

impl<W: Write> ser::SerializeMap for Compound<'_, '_, W> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma()?;
        self.ser.key = true;
        let written = key.serialize(&mut *self.ser);
        self.ser.key = false;
        written?;
        self.ser.raw(":")
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Sink => "the sink refused a write",
            Error::KeyNotString => "a map key is not a string",
            Error::Custom => "the value failed to serialize",
        })
    }
}

impl core::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Error::Custom
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::String;

    use serde::Serialize;

    use super::*;

    fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
        let mut text = String::new();
        write(value, &mut text)?;
        Ok(text)
    }

    /// A map of one entry.
    struct One<K, V>(K, V);

    impl<K: Serialize, V: Serialize> Serialize for One<K, V> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(&self.0, &self.1)?;
            map.end()
        }
    }

    #[derive(Serialize)]
    enum E {
        Unit,
        New(u8),
        Tuple(u8, bool),
        Struct { a: i32 },
    }

    #[derive(Serialize)]
    struct Doc<'a> {
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        skip: Option<u8>,
        list: [E; 4],
        unit: (),
        float: f32,
        nan: f64,
    }

    /// Values and the text `serde_json` writes for them.
    #[test]
    fn table() {
        macro_rules! t {
            ($($value:expr => $want:expr;)+) => {$(
                assert_eq!(json(&$value).as_deref().map_err(|e| *e), $want, "{}", stringify!($value));
            )+};
        }
        let map = One(7u16, "x");
        let bad = One((1, 2), 3);
        t! {
            true => Ok("true");
            -5i64 => Ok("-5");
            u128::MAX => Ok("340282366920938463463374607431768211455");
            1.5f64 => Ok("1.5");
            f64::INFINITY => Ok("null");
            'é' => Ok("\"é\"");
            "a\"b\\c\n\u{1}/é" => Ok(r#""a\"b\\c\n\u0001/é""#);
            Option::<u8>::None => Ok("null");
            [0u8; 0] => Ok("[]");
            map => Ok(r#"{"7":"x"}"#);
            One('k', 1) => Ok(r#"{"k":1}"#);
            bad => Err(Error::KeyNotString);
            Doc {
                name: "n",
                skip: None,
                list: [E::Unit, E::New(1), E::Tuple(2, false), E::Struct { a: -3 }],
                unit: (),
                float: 0.25,
                nan: f64::NAN,
            } => Ok(concat!(
                r#"{"name":"n","list":["Unit",{"New":1},{"Tuple":[2,false]},"#,
                r#"{"Struct":{"a":-3}}],"unit":null,"float":0.25,"nan":null}"#
            ));
        }
    }

    #[test]
    fn a_failing_sink_stops_the_walk() {
        let mut out = [0u8; 4];
        let mut window = crate::window::Window::new(&mut out, 2);
        assert_eq!(write(&[1u8, 2, 3, 4], &mut window), Err(Error::Sink));
        assert_eq!(&out, b",2,3");
    }

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Cfg<'a> {
        name: &'a str,
        interval_ms: u32,
        led: bool,
        offset: i64,
        tags: [u8; 3],
        mode: Option<Mode>,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
    enum Mode {
        Auto,
        Off,
    }

    proptest::proptest! {
        /// What this writes, serde-json-core writes too, byte for byte (an independent
        /// encoder as the oracle), and reads back as the value (a round trip).
        #[test]
        fn agrees_with_serde_json_core(
            name in "\\PC{0,24}",
            plain in "[a-zA-Z0-9 ._-]{0,24}",
            interval_ms: u32,
            led: bool,
            offset: i64,
            tags: [u8; 3],
            mode in proptest::option::of(proptest::sample::select(&[Mode::Auto, Mode::Off][..])),
        ) {
            let mut oracle = [0u8; 512];
            let cfg = Cfg { name: &name, interval_ms, led, offset, tags, mode };
            let len = serde_json_core::to_slice(&cfg, &mut oracle).unwrap();
            let ours = json(&cfg).unwrap();
            proptest::prop_assert_eq!(ours.as_bytes(), &oracle[..len]);
            let cfg = Cfg { name: &plain, ..cfg };
            let text = json(&cfg).unwrap();
            proptest::prop_assert_eq!(crate::extract::json_bytes::<Cfg<'_>>(text.as_bytes()), Ok(cfg));
        }
    }
}
