//! Answers as types: JSON from any `serde::Serialize` written by a body [`Producer`] straight
//! into the connection's output space, and the values of common headers.
//!
//! This module owns response encodings; it never decides a status or a route and never
//! allocates.
//!
//! # Limits
//!
//! `serde-json-core` serializes into one slice and cannot resume, so a [`Json`] document goes
//! out whole in one pull: it waits (`Filled(0)`) until the output space offered is large
//! enough, and a document larger than the connection's largest output buffer is cut by the
//! write timeout. A resumable serializer (re-serialize, skip what was sent) lifts this.

use aurora_core::conn::{Fill, Producer, RespondError, Responder};
use aurora_core::http::Status;
use aurora_core::time::Instant;
use serde::Serialize;

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

/// A `serde::Serialize` value as a JSON response body, pulled by the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Json<T> {
    value: T,
    done: bool,
}

impl<T: Serialize> Json<T> {
    /// The body of `value`.
    pub const fn new(value: T) -> Self {
        Self { value, done: false }
    }

    /// The value to be sent.
    pub const fn value(&self) -> &T {
        &self.value
    }

    /// Writes the document into `out` when it fits: `Filled(len)`, then `Done`; `Filled(0)`
    /// (wait for more space) when it does not.
    pub fn fill(&mut self, out: &mut [u8]) -> Fill {
        if self.done {
            return Fill::Done;
        }
        match serde_json_core::to_slice(&self.value, out) {
            Ok(len) => {
                self.done = true;
                Fill::Filled(len)
            }
            Err(_) => Fill::Filled(0),
        }
    }
}

impl<S, T: Serialize> Producer<S> for Json<T> {
    fn poll_fill(&mut self, _app: &mut S, _now: Instant, out: &mut [u8]) -> Fill {
        self.fill(out)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Doc<'a> {
        name: &'a str,
        n: u32,
    }

    #[test]
    fn fills_whole_or_waits() {
        let mut body = Json::new(Doc { name: "a\"b", n: 7 });
        let mut small = [0u8; 8];
        assert_eq!(body.fill(&mut small), Fill::Filled(0));
        let mut out = [0u8; 64];
        let Fill::Filled(n) = body.fill(&mut out) else {
            panic!()
        };
        assert_eq!(&out[..n], br#"{"name":"a\"b","n":7}"#);
        assert_eq!(body.fill(&mut out), Fill::Done);
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
