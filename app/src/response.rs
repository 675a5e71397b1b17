//! Answers as types: JSON from any `serde::Serialize` and text through `core::fmt`, each a body
//! [`Producer`] that writes straight into the connection's output space; the values of common
//! headers, and answers that carry a `Location` ([`created`], [`redirect`]).
//!
//! This module owns response encodings; it never decides a status or a route and never
//! allocates. A body larger than the output space goes out in pieces: each pull renders the
//! document again into a [`Window`] that skips what was sent, so the value must render the
//! same at each pull (the producer owns it, so it does). A document of `n` bytes pulled
//! through windows of `w` costs about `n²/2w` bytes of rendering: cheap for the documents a
//! device sends, and a large one is best given a large output buffer.

use aurora_core::conn::{Fill, Producer, RespondError, Responder};
use aurora_core::http::Status;
use aurora_core::time::Instant;
use core::fmt;
use serde::Serialize;

use crate::json;
use crate::window::{Resume, Window};

/// `Content-Type` of JSON answers.
pub const JSON_TYPE: &[u8] = b"application/json";
/// `Content-Type` of plain text.
pub const TEXT_TYPE: &[u8] = b"text/plain; charset=utf-8";
/// `Content-Type` of HTML.
pub const HTML_TYPE: &[u8] = b"text/html; charset=utf-8";
/// `Cache-Control` of answers that must not be stored (API state).
pub const NO_STORE: &[u8] = b"no-store";
/// `Cache-Control` of answers that may be stored but revalidated each time (assets with an
/// `ETag`).
pub const NO_CACHE: &[u8] = b"no-cache";

/// A body type that owns its value and renders it into windows: the struct, `new`, `value`,
/// `fill` (by `$render`, which says whether the value rendered without an error of its own)
/// and its [`Producer`].
macro_rules! rendered_body {
    ($(#[$doc:meta])* $name:ident<T: $bound:path>, $what:literal, $render:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name<T> {
            value: T,
            resume: Resume,
        }

        impl<T: $bound> $name<T> {
            #[doc = concat!("The body of `value`'s ", $what, ".")]
            pub const fn new(value: T) -> Self {
                Self {
                    value,
                    resume: Resume::new(),
                }
            }

            /// The value to be sent.
            pub const fn value(&self) -> &T {
                &self.value
            }

            /// Writes the next piece into `out`: `Filled(len)` while pieces remain (`Filled(0)`
            /// when `out` is empty), then `Done`. A value that fails to render stalls
            /// (`Pending`), and the connection's timeout cuts it.
            pub fn fill(&mut self, out: &mut [u8]) -> Fill {
                let value = &self.value;
                let render: fn(&T, &mut Window<'_>) -> bool = $render;
                self.resume.fill(out, |w| render(value, w))
            }
        }

        impl<S, T: $bound> Producer<S> for $name<T> {
            fn poll_fill(&mut self, _app: &mut S, _now: Instant, out: &mut [u8]) -> Fill {
                self.fill(out)
            }
        }
    };
}

rendered_body!(
    /// A `serde::Serialize` value as a JSON response body, pulled by the connection in pieces
    /// of any size.
    Json<T: Serialize>,
    "JSON",
    |value, w| !matches!(json::write(value, w), Err(e) if e != json::Error::Sink)
);

rendered_body!(
    /// A `core::fmt::Display` value as a text response body, pulled like [`Json`].
    Text<T: fmt::Display>,
    "`Display`",
    // A window that fills fails the write; only then is a failure not the value's.
    |value, w| fmt::write(w, format_args!("{value}")).is_ok() || w.is_full()
);

/// Answers `status` with `body` as `application/json` (and `Cache-Control: no-store`),
/// wrapped by `wrap` into the application's body type.
///
/// # Errors
///
/// As [`Responder::stream`].
pub fn json<T, B, C>(
    res: &mut Responder<'_, B, C>,
    status: Status,
    body: Json<T>,
    wrap: impl FnOnce(Json<T>) -> B,
) -> Result<(), RespondError> {
    let headers: &[(&str, &[u8])] = &[("Content-Type", JSON_TYPE), ("Cache-Control", NO_STORE)];
    res.stream(status, headers, wrap(body))
}

/// Answers `201 Created` with `Location: location` (the new resource) and `body` as JSON,
/// wrapped as by [`json()`].
///
/// # Errors
///
/// As [`Responder::stream`]: a `location` that is not a valid field value is refused.
pub fn created<T, B, C>(
    res: &mut Responder<'_, B, C>,
    location: &[u8],
    body: Json<T>,
    wrap: impl FnOnce(Json<T>) -> B,
) -> Result<(), RespondError> {
    let headers: &[(&str, &[u8])] = &[
        ("Location", location),
        ("Content-Type", JSON_TYPE),
        ("Cache-Control", NO_STORE),
    ];
    res.stream(Status::CREATED, headers, wrap(body))
}

/// Answers a redirect to `location` with no body: `status` is one of `301`, `302`, `303`
/// (after a form's `POST`: fetch `location` with `GET`), `307` or `308` (repeat the method).
///
/// # Errors
///
/// As [`Responder::send`]: a `location` that is not a valid field value is refused.
pub fn redirect<B, C>(
    res: &mut Responder<'_, B, C>,
    status: Status,
    location: &[u8],
) -> Result<(), RespondError> {
    res.send(status, &[("Location", location)], b"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Doc<'a> {
        name: &'a str,
        n: u32,
    }

    /// Pulls `fill` through windows of `size` bytes until `Done`, reassembled.
    fn pulled(mut fill: impl FnMut(&mut [u8]) -> Fill, size: usize) -> std::vec::Vec<u8> {
        let mut all = std::vec::Vec::new();
        let mut out = std::vec![0u8; size];
        for _ in 0..10_000 {
            match fill(&mut out) {
                Fill::Filled(n) => all.extend_from_slice(&out[..n]),
                Fill::Done => return all,
                other => panic!("{other:?}"),
            }
        }
        panic!("never done");
    }

    extern crate std;

    #[test]
    fn pieces_of_any_size() {
        let doc = Doc { name: "a\"b", n: 7 };
        for size in [1, 2, 7, 20, 21, 64] {
            let mut body = Json::new(&doc);
            assert_eq!(
                pulled(|out| body.fill(out), size),
                br#"{"name":"a\"b","n":7}"#
            );
            let mut text = Text::new(7.5f32);
            assert_eq!(pulled(|out| text.fill(out), size), b"7.5");
        }
        assert_eq!(Json::new(1).fill(&mut []), Fill::Filled(0));
        struct Fails;
        impl Serialize for Fails {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        assert_eq!(Json::new(Fails).fill(&mut [0; 16]), Fill::Pending);
    }

    #[test]
    fn round_trip() {
        #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
        struct Cfg<'a> {
            name: &'a str,
            interval_ms: u32,
            led: bool,
        }
        let cfg = Cfg {
            name: "dev",
            interval_ms: 1000,
            led: true,
        };
        let mut out = [0u8; 64];
        let Fill::Filled(n) = Json::new(&cfg).fill(&mut out) else {
            panic!()
        };
        assert_eq!(crate::extract::json_bytes::<Cfg<'_>>(&out[..n]), Ok(cfg));
    }
}
