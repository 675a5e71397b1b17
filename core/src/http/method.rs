//! The request method (RFC 9110 section 9): the nine standard methods and extension tokens.
//!
//! This module owns recognising a method token. Methods are case-sensitive: `GET` is the
//! standard method, `get` is an extension method that merely looks alike. It never decides
//! whether a method is allowed for a resource; it only tells a server whether a method is one
//! it may know ([`Method::is_known`]), so the server can pick 405 (known but not allowed) or
//! 501 (not implemented) for the rest.

use core::fmt;

use super::bytes::is_token;

/// A request method, borrowed from the request head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Method<'a> {
    /// `GET`: transfer a current representation.
    Get,
    /// `HEAD`: like `GET`, but the response carries no content.
    Head,
    /// `POST`: process the enclosed representation.
    Post,
    /// `PUT`: replace the target's state.
    Put,
    /// `DELETE`: remove the target's association.
    Delete,
    /// `CONNECT`: open a tunnel to the authority named by the target.
    Connect,
    /// `OPTIONS`: describe communication options.
    Options,
    /// `TRACE`: loop the request back.
    Trace,
    /// `PATCH` (RFC 5789): apply a partial modification.
    Patch,
    /// Any other valid `token`, kept as sent (case preserved).
    Extension(&'a str),
}

impl<'a> Method<'a> {
    /// The method named by `token`.
    ///
    /// # Errors
    ///
    /// [`MethodError::Empty`] for an empty token, [`MethodError::InvalidByte`] when a byte is
    /// not a `tchar` (RFC 9110 section 5.6.2).
    pub fn parse(token: &'a [u8]) -> Result<Self, MethodError> {
        if token.is_empty() {
            return Err(MethodError::Empty);
        }
        if let Some(known) = Self::standard(token) {
            return Ok(known);
        }
        if !is_token(token) {
            return Err(MethodError::InvalidByte);
        }
        // A token is ASCII, so it is always UTF-8.
        match core::str::from_utf8(token) {
            Ok(name) => Ok(Method::Extension(name)),
            Err(_) => Err(MethodError::InvalidByte),
        }
    }

    /// The standard method spelled exactly `token`, if any (case-sensitive).
    pub fn standard(token: &[u8]) -> Option<Method<'static>> {
        Standard::of(token).map(Standard::method)
    }

    /// The method as it appears on the wire.
    pub const fn as_str(&self) -> &'a str {
        STANDARD[match self {
            Method::Get => 0,
            Method::Head => 1,
            Method::Post => 2,
            Method::Put => 3,
            Method::Delete => 4,
            Method::Connect => 5,
            Method::Options => 6,
            Method::Trace => 7,
            Method::Patch => 8,
            Method::Extension(name) => return name,
        }]
    }

    /// Whether this is one of the nine standard methods. A server answers 501 for a method
    /// that is not known and 405 for a known method a resource does not allow.
    pub const fn is_known(&self) -> bool {
        !matches!(self, Method::Extension(_))
    }

    /// Whether the method is safe (RFC 9110 section 9.2.1): `GET`, `HEAD`, `OPTIONS`, `TRACE`.
    pub const fn is_safe(&self) -> bool {
        matches!(
            self,
            Method::Get | Method::Head | Method::Options | Method::Trace
        )
    }

    /// Whether the method is idempotent (RFC 9110 section 9.2.2): the safe methods plus `PUT`
    /// and `DELETE`.
    pub const fn is_idempotent(&self) -> bool {
        self.is_safe() || matches!(self, Method::Put | Method::Delete)
    }
}

/// Which standard method a token spells: an index into [`STANDARD`], one byte, for a parsed
/// head to keep so that reading its method again compares nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Standard(u8);

impl Standard {
    /// `HEAD`.
    pub(crate) const HEAD: Self = Self(1);

    /// The standard method spelled exactly `token` (case-sensitive): its length picks the
    /// one or two names to compare.
    pub(crate) fn of(token: &[u8]) -> Option<Self> {
        let index = match token {
            b"GET" => 0,
            b"HEAD" => 1,
            b"POST" => 2,
            b"PUT" => 3,
            b"DELETE" => 4,
            b"CONNECT" => 5,
            b"OPTIONS" => 6,
            b"TRACE" => 7,
            b"PATCH" => 8,
            _ => return None,
        };
        Some(Self(index))
    }

    /// The method.
    pub(crate) const fn method(self) -> Method<'static> {
        // One arm per entry of `STANDARD`, in its order.
        match self.0 {
            0 => Method::Get,
            1 => Method::Head,
            2 => Method::Post,
            3 => Method::Put,
            4 => Method::Delete,
            5 => Method::Connect,
            6 => Method::Options,
            7 => Method::Trace,
            _ => Method::Patch,
        }
    }
}

/// The standard methods' names, in the order of [`Method`]'s variants.
const STANDARD: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a method token was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum MethodError {
    /// The method is empty.
    Empty,
    /// A byte is not a `tchar`.
    InvalidByte,
}

impl fmt::Display for MethodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MethodError::Empty => "empty method",
            MethodError::InvalidByte => "invalid byte in method",
        })
    }
}

impl core::error::Error for MethodError {}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! methods {
        ($($input:literal => $expected:expr;)+) => {
            $(assert_eq!(Method::parse($input), $expected, "input {:?}", $input);)+
        };
    }

    #[test]
    fn head_is_the_standard_head() {
        assert_eq!(Standard::of(b"HEAD"), Some(Standard::HEAD));
        assert_eq!(Standard::HEAD.method(), Method::Head);
    }

    #[test]
    fn table() {
        methods! {
            b"GET" => Ok(Method::Get);
            b"HEAD" => Ok(Method::Head);
            b"POST" => Ok(Method::Post);
            b"PUT" => Ok(Method::Put);
            b"DELETE" => Ok(Method::Delete);
            b"CONNECT" => Ok(Method::Connect);
            b"OPTIONS" => Ok(Method::Options);
            b"TRACE" => Ok(Method::Trace);
            b"PATCH" => Ok(Method::Patch);
            b"get" => Ok(Method::Extension("get"));
            b"Get" => Ok(Method::Extension("Get"));
            b"PROPFIND" => Ok(Method::Extension("PROPFIND"));
            b"M-SEARCH" => Ok(Method::Extension("M-SEARCH"));
            b"!#$%&'*+-.^_`|~09az" => Ok(Method::Extension("!#$%&'*+-.^_`|~09az"));
            b"" => Err(MethodError::Empty);
            b"GE T" => Err(MethodError::InvalidByte);
            b"GET(" => Err(MethodError::InvalidByte);
            b"G\x00" => Err(MethodError::InvalidByte);
            b"G\xC3\xA9" => Err(MethodError::InvalidByte);
        }
    }

    #[test]
    fn classes() {
        assert!(Method::Get.is_known());
        assert!(!Method::Extension("get").is_known());
        assert!(Method::Head.is_safe());
        assert!(!Method::Post.is_safe());
        assert!(Method::Delete.is_idempotent());
        assert!(!Method::Patch.is_idempotent());
        assert_eq!(Method::Extension("FOO").as_str(), "FOO");
        assert_eq!(Method::Options.as_str(), "OPTIONS");
    }
}
