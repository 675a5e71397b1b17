//! The request's inputs as types: header values, query parameters and form fields
//! (percent-decoded into the caller's memory, one by one or into the application's
//! `serde::Deserialize` type), the body as bytes, UTF-8 text or JSON into the application's
//! type, each refusing bad input with a [`Rejection`].
//!
//! This module owns decoding; it never answers (the caller sends the rejection), never
//! allocates and never validates what a value means: a body that parses but that the
//! application refuses is the application's `422`, with a body of its choosing.

use aurora_core::conn::RequestBody;
use aurora_core::http::request::Request;
use serde::Deserialize;

use crate::Rejection;
use crate::router::FromParam;

/// The media type of JSON bodies.
pub const JSON: &str = "application/json";

/// The media type of form bodies.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// The body as bytes, at most `limit` of them.
///
/// # Errors
///
/// [`Rejection::TOO_LARGE`] for a body past `limit` or one too large to be handed over whole.
pub fn bytes<'a>(body: RequestBody<'a>, limit: usize) -> Result<&'a [u8], Rejection> {
    match body {
        RequestBody::Whole(bytes) if bytes.len() <= limit => Ok(bytes),
        _ => Err(Rejection::TOO_LARGE),
    }
}

/// The body as UTF-8 text, at most `limit` bytes.
///
/// # Errors
///
/// As [`bytes`], and [`Rejection::NOT_UTF8`].
pub fn text<'a>(body: RequestBody<'a>, limit: usize) -> Result<&'a str, Rejection> {
    core::str::from_utf8(bytes(body, limit)?).map_err(|_| Rejection::NOT_UTF8)
}

/// Whether the request's `Content-Type` is `media` (its parameters, such as `charset`, and
/// the case of the type are ignored).
pub fn content_type_is(req: &Request<'_>, media: &str) -> bool {
    let Some(value) = req.header("content-type") else {
        return false;
    };
    let essence = value.split(|&b| b == b';').next().unwrap_or(value);
    essence.trim_ascii().eq_ignore_ascii_case(media.as_bytes())
}

/// The body as JSON into `T`, at most `limit` bytes. Strings borrow the body, so a `&str`
/// field takes a string without escapes (one with escapes is malformed here; take it as an
/// owned type such as `heapless::String`).
///
/// # Errors
///
/// [`Rejection::UNSUPPORTED_TYPE`] (`415`) for another `Content-Type`, [`Rejection::TOO_LARGE`]
/// past `limit`, [`Rejection::MALFORMED_JSON`] for a body that is not a `T` in JSON (with
/// nothing but whitespace after it).
pub fn json<'a, T: Deserialize<'a>>(
    req: &Request<'_>,
    body: RequestBody<'a>,
    limit: usize,
) -> Result<T, Rejection> {
    if !content_type_is(req, JSON) {
        return Err(Rejection::UNSUPPORTED_TYPE);
    }
    json_bytes(bytes(body, limit)?)
}

/// `bytes` as JSON into `T`.
///
/// # Errors
///
/// [`Rejection::MALFORMED_JSON`].
pub fn json_bytes<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Rejection> {
    match serde_json_core::from_slice(bytes) {
        Ok((value, used))
            if bytes
                .get(used..)
                .is_some_and(|rest| rest.trim_ascii().is_empty()) =>
        {
            Ok(value)
        }
        _ => Err(Rejection::MALFORMED_JSON),
    }
}

pub use crate::form::pairs;

/// The value of the first field `name` in the form-encoded `text`, decoded into `buf`.
///
/// # Errors
///
/// [`Rejection::MISSING_FIELD`], or as [`decode`].
pub fn field<'b>(text: &str, name: &str, buf: &'b mut [u8]) -> Result<&'b str, Rejection> {
    let (_, raw) = pairs(text)
        .find(|(key, _)| *key == name)
        .ok_or(Rejection::MISSING_FIELD)?;
    decode(raw, buf)
}

/// The query parameter `name` of `req`, decoded into `buf`.
///
/// # Errors
///
/// As [`field`].
pub fn query<'b>(req: &Request<'_>, name: &str, buf: &'b mut [u8]) -> Result<&'b str, Rejection> {
    field(req.query().unwrap_or(""), name, buf)
}

/// The query of `req` (none is an empty one) as `T`, decoded into `scratch` (see
/// [`form`](crate::form) for the types it takes).
///
/// # Errors
///
/// [`Rejection::BAD_ENCODING`] or [`Rejection::BAD_FIELDS`] (`400`).
pub fn query_as<'b, T: Deserialize<'b>>(
    req: &Request<'_>,
    scratch: &'b mut [u8],
) -> Result<T, Rejection> {
    crate::form::from_str(req.query().unwrap_or(""), scratch).map_err(Rejection::from)
}

/// The `application/x-www-form-urlencoded` body as `T`, at most `limit` bytes, decoded into
/// `scratch`.
///
/// # Errors
///
/// [`Rejection::UNSUPPORTED_TYPE`] (`415`) for another `Content-Type`, as [`text`], or as
/// [`query_as`].
pub fn form<'b, T: Deserialize<'b>>(
    req: &Request<'_>,
    body: RequestBody<'_>,
    limit: usize,
    scratch: &'b mut [u8],
) -> Result<T, Rejection> {
    if !content_type_is(req, FORM) {
        return Err(Rejection::UNSUPPORTED_TYPE);
    }
    crate::form::from_str(text(body, limit)?, scratch).map_err(Rejection::from)
}

/// `raw` percent-decoded (`+` is a space, as in forms) into `buf`.
///
/// # Errors
///
/// [`Rejection::BAD_ENCODING`] for a `%` not followed by two hex digits, a result that is not
/// UTF-8, or one longer than `buf`.
pub fn decode<'b>(raw: &str, buf: &'b mut [u8]) -> Result<&'b str, Rejection> {
    crate::form::decode(raw, buf).map_err(|_| Rejection::BAD_ENCODING)
}

/// A header value's type: parsed from the field value (surrounding whitespace is already
/// gone).
pub trait FromHeader<'r>: Sized {
    /// The value of `raw`, or `None` when it is not one.
    fn from_header(raw: &'r [u8]) -> Option<Self>;
}

/// The header `name` of `req` (the first, when repeated) as `V`.
///
/// # Errors
///
/// [`Rejection::MISSING_HEADER`] or [`Rejection::BAD_HEADER`] (`400`).
pub fn header<'r, V: FromHeader<'r>>(req: &Request<'r>, name: &str) -> Result<V, Rejection> {
    let raw = req.header(name).ok_or(Rejection::MISSING_HEADER)?;
    V::from_header(raw).ok_or(Rejection::BAD_HEADER)
}

impl<'r> FromHeader<'r> for &'r [u8] {
    fn from_header(raw: &'r [u8]) -> Option<Self> {
        Some(raw)
    }
}

impl<'r> FromHeader<'r> for &'r str {
    fn from_header(raw: &'r [u8]) -> Option<Self> {
        core::str::from_utf8(raw).ok()
    }
}

impl<'r, V: FromParam<'r>> FromHeader<'r> for Param<V> {
    fn from_header(raw: &'r [u8]) -> Option<Self> {
        core::str::from_utf8(raw)
            .ok()
            .and_then(V::from_param)
            .map(Param)
    }
}

/// A header value parsed as a path parameter is (digits only for integers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<V>(pub V);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        let mut buf = [0u8; 16];
        macro_rules! t {
            ($($raw:literal => $want:expr;)+) => {$(
                assert_eq!(decode($raw, &mut buf), $want, "{}", $raw);
            )+};
        }
        t! {
            "" => Ok("");
            "a+b" => Ok("a b");
            "a%20b%2f" => Ok("a b/");
            "%C3%A9" => Ok("é");
            "%" => Err(Rejection::BAD_ENCODING);
            "%2" => Err(Rejection::BAD_ENCODING);
            "%zz" => Err(Rejection::BAD_ENCODING);
            "%FF" => Err(Rejection::BAD_ENCODING);
            "0123456789abcdefg" => Err(Rejection::BAD_ENCODING);
        }
    }

    #[test]
    fn fields() {
        let mut buf = [0u8; 16];
        assert_eq!(field("a=1&b=x%21&a=2", "a", &mut buf), Ok("1"));
        assert_eq!(field("a=1&b=x%21", "b", &mut buf), Ok("x!"));
        assert_eq!(field("a=1&&flag", "flag", &mut buf), Ok(""));
        assert_eq!(field("a=1", "c", &mut buf), Err(Rejection::MISSING_FIELD));
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Cfg<'a> {
        name: &'a str,
        n: u32,
        on: bool,
    }

    #[test]
    fn json_bodies() {
        let ok = br#" {"name":"x","n":5,"on":true} "#;
        let want = Cfg {
            name: "x",
            n: 5,
            on: true,
        };
        assert_eq!(json_bytes::<Cfg<'_>>(ok), Ok(want));
        for bad in [
            &b""[..],
            b"{",
            b"null",
            br#"{"name":"x","n":5,"on":true} x"#,
            br#"{"name":"x","n":-5,"on":true}"#,
            br#"{"name":"x","n":5}"#,
            b"\xff",
        ] {
            assert_eq!(json_bytes::<Cfg<'_>>(bad), Err(Rejection::MALFORMED_JSON));
        }
        assert_eq!(bytes(RequestBody::Whole(ok), 3), Err(Rejection::TOO_LARGE));
        assert_eq!(
            bytes(RequestBody::Large { length: None }, 99),
            Err(Rejection::TOO_LARGE)
        );
        assert_eq!(
            text(RequestBody::Whole(b"\xff"), 9),
            Err(Rejection::NOT_UTF8)
        );
    }
}
