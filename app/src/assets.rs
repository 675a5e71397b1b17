//! Static assets embedded at compile time: each an [`Asset`] with its `Content-Type`, a strong
//! `ETag` computed by a `const fn` when the program is built, an optional precompressed gzip
//! variant, and a `Cache-Control`; [`serve`] answers `GET`/`HEAD` for one with the rules of
//! RFC 9110: `If-None-Match` → `304`, the gzip variant for an `Accept-Encoding` that takes it
//! (with `Vary`), one byte `Range` → `206` or `416`.
//!
//! This module owns conditional and range answers for static bytes. It never copies an
//! asset: bodies go out with `send_static`, pulled from static memory (flash on a device) as
//! the output drains. It never allocates and never routes (the router picks the asset).
//!
//! # Examples
//!
//! ```
//! use aurora_app::assets::Asset;
//!
//! const PAGE: Asset = Asset::new(b"text/html; charset=utf-8", b"<h1>hi</h1>");
//! assert_eq!(PAGE.etag.as_bytes().len(), 18);
//! ```

use core::fmt;

use aurora_core::conn::{RespondError, Responder};
use aurora_core::http::Status;
use aurora_core::http::header::list_items;
use aurora_core::http::request::Request;

use crate::digits::decimal;
use crate::response::NO_CACHE;

/// A strong entity tag: a 64-bit FNV-1a hash of the bytes, as `"` + 16 hex digits + `"`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ETag([u8; 18]);

/// One embedded asset.
#[derive(Clone, Copy, Debug)]
pub struct Asset {
    /// Its `Content-Type`.
    pub content_type: &'static [u8],
    /// Its bytes.
    pub body: &'static [u8],
    /// The tag of `body`.
    pub etag: ETag,
    /// The same content gzip-compressed, with its own tag, if there is such a variant.
    pub gzip: Option<(&'static [u8], ETag)>,
    /// Its `Cache-Control` ([`NO_CACHE`] unless changed: stored, revalidated by `ETag`).
    pub cache_control: &'static [u8],
}

/// A `Range` header's meaning for a body of some length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// No range, or one this server ignores (several ranges, another unit, bad syntax): the
    /// whole body.
    Whole,
    /// The bytes `start..=end`.
    Bytes {
        /// The first byte.
        start: usize,
        /// The last byte (inclusive).
        end: usize,
    },
    /// A range no byte of the body satisfies: `416`.
    Unsatisfiable,
}

impl ETag {
    /// The tag of `bytes`, computable in a `const`.
    pub const fn of(bytes: &[u8]) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            i += 1;
        }
        let hex = b"0123456789abcdef";
        let mut tag = [b'"'; 18];
        let mut d = 0;
        while d < 16 {
            tag[1 + d] = hex[((hash >> (60 - 4 * d)) & 0xf) as usize];
            d += 1;
        }
        ETag(tag)
    }

    /// The header value, quotes included.
    pub const fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether an `If-None-Match` value names this tag (or is `*`); weak comparison, as
    /// RFC 9110 section 13.1.2 asks.
    pub fn matches_none_match(&self, value: &[u8]) -> bool {
        list_items(value)
            .any(|item| item == b"*" || item.strip_prefix(b"W/").unwrap_or(item) == self.as_bytes())
    }
}

impl Asset {
    /// An asset of `content_type` and `body`, tagged at compile time, with no gzip variant.
    pub const fn new(content_type: &'static [u8], body: &'static [u8]) -> Self {
        Self {
            content_type,
            body,
            etag: ETag::of(body),
            gzip: None,
            cache_control: NO_CACHE,
        }
    }

    /// The same asset with `gzip`, its content gzip-compressed.
    pub const fn with_gzip(mut self, gzip: &'static [u8]) -> Self {
        self.gzip = Some((gzip, ETag::of(gzip)));
        self
    }

    /// The same asset with this `Cache-Control`.
    pub const fn with_cache_control(mut self, value: &'static [u8]) -> Self {
        self.cache_control = value;
        self
    }
}

impl Range {
    /// What the `Range` value `value` asks of a body of `len` bytes.
    pub fn of(value: &[u8], len: usize) -> Range {
        let Some(spec) = value.strip_prefix(b"bytes=") else {
            return Range::Whole;
        };
        let spec = spec.trim_ascii();
        if spec.contains(&b',') {
            return Range::Whole;
        }
        let Some(dash) = spec.iter().position(|&b| b == b'-') else {
            return Range::Whole;
        };
        let (first, last) = (&spec[..dash], &spec[dash + 1..]);
        let (Some(first), Some(last)) = (number(first), number(last)) else {
            return Range::Whole;
        };
        match (first, last) {
            // `-n`: the last n bytes.
            (None, Some(n)) if n > 0 && len > 0 => Range::Bytes {
                start: len.saturating_sub(n),
                end: len - 1,
            },
            (None, _) => Range::Unsatisfiable,
            (Some(start), _) if start >= len => Range::Unsatisfiable,
            (Some(start), None) => Range::Bytes {
                start,
                end: len - 1,
            },
            (Some(start), Some(last)) if last >= start => Range::Bytes {
                start,
                end: last.min(len - 1),
            },
            (Some(_), Some(_)) => Range::Whole,
        }
    }
}

/// Digits as a number: `Some(None)` for none, `None` for anything else (or an overflow).
fn number(digits: &[u8]) -> Option<Option<usize>> {
    if digits.is_empty() {
        return Some(None);
    }
    let mut n: usize = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(usize::from(b - b'0'))?;
    }
    Some(Some(n))
}

/// Answers a `GET` or `HEAD` request for `asset`.
///
/// # Errors
///
/// As [`Responder::send_static`].
pub fn serve<B, C>(
    asset: &Asset,
    req: &Request<'_>,
    res: &mut Responder<'_, B, C>,
) -> Result<(), RespondError> {
    let gzip = asset
        .gzip
        .filter(|_| req.header("accept-encoding").is_some_and(accepts_gzip));
    let (body, etag) = gzip.unwrap_or((asset.body, asset.etag));
    let encoding: &[u8] = if gzip.is_some() { b"gzip" } else { b"identity" };
    let vary: &[u8] = if asset.gzip.is_some() {
        b"Accept-Encoding"
    } else {
        b""
    };
    let mut headers: [(&str, &[u8]); 7] = [
        ("ETag", etag.as_bytes()),
        ("Cache-Control", asset.cache_control),
        ("Vary", vary),
        ("Content-Encoding", encoding),
        ("Accept-Ranges", b"bytes"),
        ("Content-Type", asset.content_type),
        ("Content-Range", b""),
    ];
    // Left out: an empty `Vary`, and `Content-Encoding: identity`.
    let keep = |h: &(&str, &[u8])| !h.1.is_empty() && h.1 != b"identity";

    if req
        .header("if-none-match")
        .is_some_and(|v| etag.matches_none_match(v))
    {
        let (head, _) = compact(&mut headers[..3], keep);
        return res.send(Status::NOT_MODIFIED, head, b"");
    }
    let if_range_ok = req.header("if-range").is_none_or(|v| v == etag.as_bytes());
    let range = match req.header("range") {
        Some(value) if if_range_ok => Range::of(value, body.len()),
        _ => Range::Whole,
    };
    let mut text = Text::new();
    match range {
        Range::Whole => {
            let (head, _) = compact(&mut headers[..6], keep);
            res.send_static(Status::OK, head, body)
        }
        Range::Bytes { start, end } => {
            text.push(b"bytes ");
            text.number(start);
            text.push(b"-");
            text.number(end);
            text.push(b"/");
            text.number(body.len());
            headers[6].1 = text.as_bytes();
            let (head, _) = compact(&mut headers, keep);
            // `Range::of` keeps `start <= end < body.len()`.
            res.send_static(Status::PARTIAL_CONTENT, head, &body[start..=end])
        }
        Range::Unsatisfiable => {
            text.push(b"bytes */");
            text.number(body.len());
            headers[6].1 = text.as_bytes();
            let (head, _) = compact(&mut headers, keep);
            let status = Status::from_code(416).unwrap_or(Status::BAD_REQUEST);
            res.send(status, head, b"")
        }
    }
}

/// Whether an `Accept-Encoding` value takes gzip (`gzip` or `*`, without `q=0`).
fn accepts_gzip(value: &[u8]) -> bool {
    list_items(value).any(|item| {
        let mut parts = item.split(|&b| b == b';');
        let coding = parts.next().unwrap_or(b"").trim_ascii();
        let refused = parts.any(|p| {
            let p = p.trim_ascii();
            p.eq_ignore_ascii_case(b"q=0")
                || p.eq_ignore_ascii_case(b"q=0.0")
                || p.eq_ignore_ascii_case(b"q=0.00")
                || p.eq_ignore_ascii_case(b"q=0.000")
        });
        (coding.eq_ignore_ascii_case(b"gzip") || coding == b"*") && !refused
    })
}

/// Moves the headers `keep` takes to the front, returning them and the rest.
fn compact<'h, 'a>(
    headers: &'h mut [(&'a str, &'a [u8])],
    keep: impl Fn(&(&'a str, &'a [u8])) -> bool,
) -> (&'h [(&'a str, &'a [u8])], usize) {
    let mut n = 0;
    for i in 0..headers.len() {
        if keep(&headers[i]) {
            headers.swap(n, i);
            n += 1;
        }
    }
    (&headers[..n], n)
}

/// A `Content-Range` value under construction.
struct Text {
    buf: [u8; 72],
    len: usize,
}

impl Text {
    const fn new() -> Self {
        Self {
            buf: [0; 72],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Appends `bytes`, or nothing when they do not fit (three numbers of at most 20 digits
    /// and their 9 bytes of text always do).
    fn push(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(room) = self.buf.get_mut(self.len..end) {
            room.copy_from_slice(bytes);
            self.len = end;
        }
    }

    /// Appends `n` in decimal.
    fn number(&mut self, n: usize) {
        let mut digits = [0; 20];
        self.push(decimal(n as u64, &mut digits));
    }
}

impl fmt::Debug for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(core::str::from_utf8(&self.0).unwrap_or("?"))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn ranges() {
        use Range::*;
        macro_rules! t {
            ($($v:literal, $len:expr => $want:expr;)+) => {$(
                assert_eq!(Range::of($v, $len), $want, "{:?} of {}", $v, $len);
            )+};
        }
        t! {
            b"bytes=0-0", 10 => Bytes { start: 0, end: 0 };
            b"bytes=2-5", 10 => Bytes { start: 2, end: 5 };
            b"bytes=2-", 10 => Bytes { start: 2, end: 9 };
            b"bytes=2-99", 10 => Bytes { start: 2, end: 9 };
            b"bytes=-3", 10 => Bytes { start: 7, end: 9 };
            b"bytes=-30", 10 => Bytes { start: 0, end: 9 };
            b"bytes=10-", 10 => Unsatisfiable;
            b"bytes=-0", 10 => Unsatisfiable;
            b"bytes=0-", 0 => Unsatisfiable;
            b"bytes=5-2", 10 => Whole;
            b"bytes=0-1,3-4", 10 => Whole;
            b"items=0-1", 10 => Whole;
            b"bytes=a-1", 10 => Whole;
            b"bytes=1", 10 => Whole;
            b"bytes=99999999999999999999999-", 10 => Whole;
        }
    }

    #[test]
    fn tags_and_codings() {
        const A: ETag = ETag::of(b"hello");
        assert_ne!(A, ETag::of(b"hellp"));
        assert!(A.matches_none_match(A.as_bytes()));
        assert!(A.matches_none_match(b"*"));
        let weak = [b"W/", A.as_bytes()].concat();
        assert!(A.matches_none_match(&[b"\"x\", ", &weak[..]].concat()));
        assert!(!A.matches_none_match(b"\"x\""));
        assert!(accepts_gzip(b"gzip, deflate, br"));
        assert!(accepts_gzip(b"br;q=1, GZIP;q=0.5"));
        assert!(accepts_gzip(b"*"));
        assert!(!accepts_gzip(b"gzip;q=0"));
        assert!(!accepts_gzip(b"identity"));
        assert!(!accepts_gzip(b"x-gzip2"));
    }
}
