//! The request-target (RFC 9112 section 3.2) in its four forms, its query string and
//! percent-decoding.
//!
//! This module owns the target's grammar: which bytes may appear (RFC 3986 `pchar`, `query`,
//! `authority`), which form a target takes, and where its path, query and authority lie.
//! Validation is strict: any byte outside the grammar, a fragment (`#`), a malformed `%XX`
//! escape, userinfo in an authority (RFC 9110 section 4.2.4), an absolute-form scheme other than
//! `http` or `https`, and an empty or malformed host are errors. Which form a method may use is
//! answered by [`TargetForm::is_allowed_for`]; the request parser turns a mismatch into 400.
//!
//! It never decodes in place and never allocates: [`percent_decode`] and
//! [`percent_decode_query`] write into a caller's buffer. Decoding is left to the application,
//! because whether `%2F` may become a path separator is a routing decision, not a parsing one.

use core::fmt;

use super::bytes::{PCHAR, QUESTION, REG_NAME, SLASH, Span, TARGET, class, run_len};
use super::method::Method;

/// Which of the four forms a request-target takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TargetForm {
    /// `/path?query`: the usual form, for any method but `CONNECT`.
    Origin,
    /// `http://host/path?query`: any method but `CONNECT`. Its authority takes precedence over
    /// the `Host` field (RFC 9112 section 3.2.2).
    Absolute,
    /// `host:port`: only, and always, for `CONNECT`.
    Authority,
    /// `*`: only for a server-wide `OPTIONS`.
    Asterisk,
}

impl TargetForm {
    /// Whether `method` may be sent with a target of this form: authority-form exactly for
    /// `CONNECT`, asterisk-form only for `OPTIONS`, origin- and absolute-form for every method
    /// but `CONNECT`.
    pub fn is_allowed_for(self, method: &Method<'_>) -> bool {
        match (self, method) {
            (TargetForm::Authority, Method::Connect) => true,
            (_, Method::Connect) | (TargetForm::Authority, _) => false,
            (TargetForm::Asterisk, method) => *method == Method::Options,
            (TargetForm::Origin | TargetForm::Absolute, _) => true,
        }
    }
}

/// Where the parts of a validated target lie, as offsets from the target's first byte. It
/// carries no borrow, so a parsed head can keep it; [`Target::from_layout`] turns it back into
/// a view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TargetLayout {
    form: TargetForm,
    authority: Span,
    path: Span,
    query: Option<Span>,
}

impl TargetLayout {
    /// The target's form.
    pub const fn form(&self) -> TargetForm {
        self.form
    }
}

/// A validated request-target, borrowed from the request head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target<'a> {
    raw: &'a str,
    layout: TargetLayout,
}

impl<'a> Target<'a> {
    /// Validates `raw` and finds its form and parts.
    ///
    /// The form follows from the first bytes: `*` alone is asterisk-form, a leading `/` is
    /// origin-form, `scheme://` is absolute-form, anything else must be an authority-form
    /// `host:port`.
    ///
    /// # Errors
    ///
    /// A [`TargetError`] naming the first rule `raw` breaks.
    pub fn parse(raw: &'a [u8]) -> Result<Self, TargetError> {
        let layout = parse_layout(raw)?;
        // Every byte was checked against the RFC 3986 classes, which are ASCII.
        let raw = core::str::from_utf8(raw).map_err(|_| TargetError::InvalidByte)?;
        Ok(Self { raw, layout })
    }

    /// The view of `raw` described by `layout`, as returned by [`Target::layout`] for the same
    /// bytes. A layout applied to other bytes yields empty parts, never a panic.
    pub const fn from_layout(raw: &'a str, layout: TargetLayout) -> Self {
        Self { raw, layout }
    }

    /// The layout, to store without a borrow.
    pub const fn layout(&self) -> TargetLayout {
        self.layout
    }

    /// The target exactly as sent.
    pub const fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The target's form.
    pub const fn form(&self) -> TargetForm {
        self.layout.form
    }

    /// The path, not decoded: for origin-form the part before `?`; for absolute-form its path,
    /// or `/` when empty (RFC 9112 section 3.3); `*` for asterisk-form; empty for
    /// authority-form.
    pub fn path(&self) -> &'a str {
        match self.layout.form {
            TargetForm::Asterisk => "*",
            TargetForm::Authority => "",
            TargetForm::Absolute if self.layout.path.is_empty() => "/",
            TargetForm::Origin | TargetForm::Absolute => self.part(self.layout.path),
        }
    }

    /// The query after `?`, not decoded; `None` without a `?`, `Some("")` for a bare `?`.
    pub fn query(&self) -> Option<&'a str> {
        self.layout.query.map(|span| self.part(span))
    }

    /// The `key=value` pairs of the query, not decoded; see [`QueryPairs`].
    pub fn query_pairs(&self) -> QueryPairs<'a> {
        QueryPairs::new(self.query().unwrap_or(""))
    }

    /// The authority (`host[:port]`) of an absolute-form or authority-form target.
    pub fn authority(&self) -> Option<&'a str> {
        match self.layout.form {
            TargetForm::Absolute | TargetForm::Authority => Some(self.part(self.layout.authority)),
            TargetForm::Origin | TargetForm::Asterisk => None,
        }
    }

    /// The scheme of an absolute-form target, as sent (`http` or `https`, in any case).
    pub fn scheme(&self) -> Option<&'a str> {
        match self.layout.form {
            TargetForm::Absolute => self.raw.split(':').next(),
            _ => None,
        }
    }

    fn part(&self, span: Span) -> &'a str {
        self.raw
            .get(span.start() as usize..span.end() as usize)
            .unwrap_or("")
    }
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

/// Whether `b` may appear anywhere in a request-target: unreserved, sub-delims, `:`, `@`,
/// `/`, `?`, `%`, `[` and `]`. The request-line scanner rejects every other byte at once.
pub const fn is_target_byte(b: u8) -> bool {
    class(b) & TARGET != 0
}

/// The `key=value` pairs of a raw query string, split on `&`. A piece without `=` is a key
/// with an empty value; empty pieces (`a=1&&b=2`) are skipped. Nothing is decoded: run
/// [`percent_decode_query`] on the parts that need it.
#[derive(Clone, Debug)]
pub struct QueryPairs<'a> {
    rest: Option<&'a str>,
}

impl<'a> QueryPairs<'a> {
    /// The pairs of `query` (the part after `?`).
    pub const fn new(query: &'a str) -> Self {
        Self { rest: Some(query) }
    }
}

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        loop {
            let rest = self.rest?;
            let (piece, tail) = match rest.split_once('&') {
                Some((piece, tail)) => (piece, Some(tail)),
                None => (rest, None),
            };
            self.rest = tail;
            if piece.is_empty() {
                continue;
            }
            return Some(piece.split_once('=').unwrap_or((piece, "")));
        }
    }
}

/// Decodes `%XX` escapes of a path (or any component) into `out` and returns the decoded
/// bytes. `+` stays `+`. The result may contain any byte, including `/` and NUL, and need not
/// be UTF-8: the caller decides what is acceptable.
///
/// # Errors
///
/// [`DecodeError::InvalidEscape`] for a `%` not followed by two hex digits,
/// [`DecodeError::OutputTooSmall`] when `out` cannot hold the result (`src.len()` always
/// suffices).
pub fn percent_decode<'o>(src: &[u8], out: &'o mut [u8]) -> Result<&'o [u8], DecodeError> {
    decode(src, out, false)
}

/// Decodes a query key or value (`application/x-www-form-urlencoded` style): like
/// [`percent_decode`], and `+` becomes a space.
///
/// # Errors
///
/// As [`percent_decode`].
pub fn percent_decode_query<'o>(src: &[u8], out: &'o mut [u8]) -> Result<&'o [u8], DecodeError> {
    decode(src, out, true)
}

fn decode<'o>(src: &[u8], out: &'o mut [u8], plus_is_space: bool) -> Result<&'o [u8], DecodeError> {
    let mut written = 0usize;
    let mut i = 0usize;
    while let Some(&b) = src.get(i) {
        let (byte, used) = match b {
            b'%' => {
                let hi = src.get(i + 1).copied().and_then(hex_value);
                let lo = src.get(i + 2).copied().and_then(hex_value);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => (hi << 4 | lo, 3),
                    _ => return Err(DecodeError::InvalidEscape),
                }
            }
            b'+' if plus_is_space => (b' ', 1),
            other => (other, 1),
        };
        let slot = out.get_mut(written).ok_or(DecodeError::OutputTooSmall)?;
        *slot = byte;
        // `written` < out.len() and `i` < src.len(), both bounded by slice lengths.
        written += 1;
        i += used;
    }
    Ok(out.get(..written).unwrap_or(&[]))
}

const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Why percent-decoding failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DecodeError {
    /// A `%` is not followed by two hex digits.
    InvalidEscape,
    /// The output buffer is too small for the decoded bytes.
    OutputTooSmall,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecodeError::InvalidEscape => "invalid percent escape",
            DecodeError::OutputTooSmall => "output buffer too small",
        })
    }
}

impl core::error::Error for DecodeError {}

/// Why a request-target was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TargetError {
    /// The target is empty.
    Empty,
    /// A byte outside the target grammar (a control, space, `#`, `"`, `<`, non-ASCII, ...).
    InvalidByte,
    /// A `%` not followed by two hex digits.
    InvalidPercentEncoding,
    /// An absolute-form scheme other than `http` or `https`, or a malformed one.
    UnsupportedScheme,
    /// An authority with userinfo (`user@host`), which RFC 9110 section 4.2.4 treats as an
    /// error.
    UserInfo,
    /// An empty or malformed host.
    InvalidHost,
    /// A port that is empty, longer than five digits, non-numeric or above 65535, or a
    /// missing port in authority-form.
    InvalidPort,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetError::Empty => "empty request-target",
            TargetError::InvalidByte => "invalid byte in request-target",
            TargetError::InvalidPercentEncoding => "invalid percent-encoding in request-target",
            TargetError::UnsupportedScheme => "unsupported scheme in request-target",
            TargetError::UserInfo => "userinfo in authority",
            TargetError::InvalidHost => "invalid host",
            TargetError::InvalidPort => "invalid port",
        })
    }
}

impl core::error::Error for TargetError {}

/// Checks a `Host` field value that is not empty: `uri-host [ ":" port ]` (RFC 9112 section
/// 3.2), with a non-empty host, no userinfo and a port, when present, of 1 to 5 digits no
/// larger than 65535.
///
/// # Errors
///
/// [`TargetError::InvalidHost`], [`TargetError::UserInfo`], [`TargetError::InvalidPort`] or
/// [`TargetError::InvalidPercentEncoding`].
pub fn validate_host(value: &[u8]) -> Result<(), TargetError> {
    authority(value, PortRule::Optional)
}

/// Whether an authority must carry a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PortRule {
    Required,
    Optional,
}

/// The layout [`Target::parse`] would find, without the text view: for the request parser,
/// which keeps only offsets.
///
/// # Errors
///
/// As [`Target::parse`].
#[inline]
pub(crate) fn parse_layout(raw: &[u8]) -> Result<TargetLayout, TargetError> {
    let len = u32::try_from(raw.len()).map_err(|_| TargetError::InvalidByte)?;
    let mut layout = TargetLayout {
        form: TargetForm::Origin,
        authority: Span::EMPTY,
        path: Span::EMPTY,
        query: None,
    };
    match raw {
        [] => return Err(TargetError::Empty),
        [b'*'] => layout.form = TargetForm::Asterisk,
        [b'/', ..] => (layout.path, layout.query) = path_and_query(raw, 0, len)?,
        _ => match scheme_end(raw) {
            Some(colon) => {
                let scheme = raw.get(..colon).unwrap_or(&[]);
                if !scheme.eq_ignore_ascii_case(b"http") && !scheme.eq_ignore_ascii_case(b"https") {
                    return Err(TargetError::UnsupportedScheme);
                }
                // `colon` is at most 5 (the length of "https"), so `+ 3` cannot overflow, and
                // every offset fits `len`, a `u32`.
                let start = colon + 3;
                let after = raw.get(start..).unwrap_or(&[]);
                let authority_len = after
                    .iter()
                    .position(|&b| b == b'/' || b == b'?')
                    .unwrap_or(after.len());
                authority(
                    after.get(..authority_len).unwrap_or(&[]),
                    PortRule::Optional,
                )?;
                let path_start = (start + authority_len) as u32;
                layout.form = TargetForm::Absolute;
                layout.authority = Span::new(start as u32, path_start);
                (layout.path, layout.query) = path_and_query(raw, path_start, len)?;
            }
            None => {
                authority(raw, PortRule::Required)?;
                layout.form = TargetForm::Authority;
                layout.authority = Span::new(0, len);
            }
        },
    }
    Ok(layout)
}

/// The origin-form target `/path[?query]` at the front of `rest`, in one pass: its length
/// and layout when it holds no `%` escape, is at most `max` bytes long and is followed by a
/// SP. `None` for anything else (another form, an escape, a byte outside the grammar, the
/// limit, a line still arriving), which the request parser hands to its general scan and
/// [`parse_layout`]: whatever this accepts, they would accept with the same layout.
#[inline]
pub(crate) fn origin_prefix(rest: &[u8], max: usize) -> Option<(usize, TargetLayout)> {
    if rest.first() != Some(&b'/') {
        return None;
    }
    let scan = rest.get(..max.saturating_add(1)).unwrap_or(rest);
    let path_len = run_len(scan, PCHAR | SLASH);
    let (len, query) = match scan.get(path_len) {
        Some(b'?') => {
            let start = path_len + 1;
            let query_len = run_len(scan.get(start..).unwrap_or(&[]), PCHAR | SLASH | QUESTION);
            (start + query_len, Some((start, start + query_len)))
        }
        _ => (path_len, None),
    };
    if len > max || scan.get(len) != Some(&b' ') {
        return None;
    }
    // The request parser's window is at most `u32::MAX` bytes, so every offset fits.
    let span = |(start, end): (usize, usize)| Span::new(start as u32, end as u32);
    Some((
        len,
        TargetLayout {
            form: TargetForm::Origin,
            authority: Span::EMPTY,
            path: span((0, path_len)),
            query: query.map(span),
        },
    ))
}

/// The index of the `:` of a leading `scheme://`, when the target has one.
fn scheme_end(raw: &[u8]) -> Option<usize> {
    let colon = raw.iter().position(|&b| b == b':')?;
    let scheme = raw.get(..colon)?;
    let first_is_alpha = scheme.first().is_some_and(u8::is_ascii_alphabetic);
    let scheme_ok = first_is_alpha
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let slashes = raw.get(colon + 1..colon + 3) == Some(b"//".as_slice());
    (scheme_ok && slashes).then_some(colon)
}

/// Validates `raw[start..end]` as `path-abempty [ "?" query ]` and returns the path and query
/// spans, in one pass over the path (it ends at the first `?`) and one over the query.
fn path_and_query(raw: &[u8], start: u32, end: u32) -> Result<(Span, Option<Span>), TargetError> {
    let bytes = raw.get(start as usize..end as usize).unwrap_or(&[]);
    let path_len = scan_component(bytes, PCHAR | SLASH)?;
    // `path_len` <= bytes.len() <= u32::MAX, checked by the caller.
    let path_end = start + path_len as u32;
    let path_span = Span::new(start, path_end);
    if path_len == bytes.len() {
        return Ok((path_span, None));
    }
    // `path_len` indexes the `?` in `bytes`, so `+ 1` is at most its length.
    let query = bytes.get(path_len + 1..).unwrap_or(&[]);
    let query_len = scan_component(query, PCHAR | SLASH | QUESTION)?;
    debug_assert_eq!(query_len, query.len());
    Ok((path_span, Some(Span::new(path_end + 1, end))))
}

/// Checks that every byte of `bytes` is in the classes `allowed` or starts a valid `%XX`
/// escape, stopping at the first `?` when `allowed` lacks [`QUESTION`]. Returns where it
/// stopped: the `?` or the end. Inlined for speed on 64-bit targets, elsewhere once in the
/// image.
#[cfg_attr(target_pointer_width = "64", inline)]
#[cfg_attr(not(target_pointer_width = "64"), inline(never))]
fn scan_component(bytes: &[u8], allowed: u8) -> Result<usize, TargetError> {
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        if class(b) & allowed != 0 {
            i += 1;
            continue;
        }
        match b {
            b'%' => {
                let hex = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return Err(TargetError::InvalidPercentEncoding);
                }
                i += 3;
            }
            b'?' => return Ok(i),
            _ => return Err(TargetError::InvalidByte),
        }
    }
    Ok(bytes.len())
}

/// Checks that every byte of `bytes` is in the classes `allowed` or starts a valid `%XX`
/// escape.
fn check_component(bytes: &[u8], allowed: u8) -> Result<(), TargetError> {
    // A `?` outside `allowed` stops the scan early; it is a bad byte like any other.
    if scan_component(bytes, allowed)? < bytes.len() {
        return Err(TargetError::InvalidByte);
    }
    Ok(())
}

/// Validates `host [ ":" port ]` (no userinfo), naming the first problem.
fn authority(bytes: &[u8], port: PortRule) -> Result<(), TargetError> {
    // The common case in one pass: a reg-name of plain bytes, then an optional `:port`. Such
    // input holds no `@`, `[` or `%`, so the full check below would accept it as well.
    let host_len = run_len(bytes, REG_NAME);
    if host_len > 0 {
        match (bytes.get(host_len..).unwrap_or(&[]), port) {
            ([], PortRule::Optional) => return Ok(()),
            ([b':', digits @ ..], _) if check_port(digits).is_ok() => return Ok(()),
            _ => {}
        }
    }
    if bytes.contains(&b'@') {
        return Err(TargetError::UserInfo);
    }
    let (host, rest) = if bytes.first() == Some(&b'[') {
        let close = bytes
            .iter()
            .position(|&b| b == b']')
            .ok_or(TargetError::InvalidHost)?;
        // `close` indexes `bytes`, so `close + 1` <= len.
        let (literal, rest) = bytes.split_at(close + 1);
        let inner = literal.get(1..close).unwrap_or(&[]);
        let inner_ok =
            !inner.is_empty() && inner.iter().all(|&b| class(b) & REG_NAME != 0 || b == b':');
        if !inner_ok {
            return Err(TargetError::InvalidHost);
        }
        (literal, rest)
    } else {
        let colon = bytes.iter().position(|&b| b == b':').unwrap_or(bytes.len());
        let (host, rest) = bytes.split_at(colon);
        if host.is_empty() {
            return Err(TargetError::InvalidHost);
        }
        if host.iter().any(|&b| b != b'%' && class(b) & REG_NAME == 0) {
            return Err(TargetError::InvalidHost);
        }
        check_component(host, REG_NAME)?;
        (host, rest)
    };
    debug_assert!(!host.is_empty());
    match (rest, port) {
        ([], PortRule::Optional) => Ok(()),
        ([], PortRule::Required) => Err(TargetError::InvalidPort),
        ([b':', digits @ ..], _) => check_port(digits),
        _ => Err(TargetError::InvalidHost),
    }
}

fn check_port(digits: &[u8]) -> Result<(), TargetError> {
    if digits.is_empty() || digits.len() > 5 {
        return Err(TargetError::InvalidPort);
    }
    // Up to four digits stay below 65536: only their bytes need checking.
    if digits.len() < 5 {
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(TargetError::InvalidPort);
        }
        return Ok(());
    }
    // At most five digits, so the sum fits a u32.
    let mut value = 0u32;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(TargetError::InvalidPort);
        }
        value = value * 10 + u32::from(d - b'0');
    }
    if value > u32::from(u16::MAX) {
        return Err(TargetError::InvalidPort);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// One line per target: the input, then `Ok((form, path, query, authority))` or the error.
    macro_rules! targets {
        ($($input:literal => $expected:expr;)+) => {
            $({
                let got = Target::parse($input)
                    .map(|t| (t.form(), t.path(), t.query(), t.authority()));
                assert_eq!(got, $expected, "input {:?}", $input);
            })+
        };
    }

    use TargetError as E;
    use TargetForm::{Absolute as Abs, Asterisk as Ast, Authority as Auth, Origin as Ori};

    /// The request line's one-pass scan finds what the general scan finds, or hands over.
    #[test]
    fn origin_prefix_agrees_with_parse_layout() {
        for raw in [
            &b"/"[..],
            b"/a/b?x=1&y",
            b"/?",
            b"//d",
            b"/p?q?r/s",
            b"/a;p=1:@!$&'()*+,=-._~",
        ] {
            let line = [raw, b" HTTP/1.1"].concat();
            let found = origin_prefix(&line, 64);
            assert_eq!(
                found,
                Some((raw.len(), parse_layout(raw).unwrap())),
                "{raw:?}"
            );
        }
        // An escape, another form, a byte outside the path, the limit, a line still arriving.
        for (line, max) in [
            (&b"/a%20b "[..], 64),
            (b"* ", 64),
            (b"http://h/ ", 64),
            (b"/a[b] ", 64),
            (b"/abc ", 2),
            (b"/abc", 64),
        ] {
            assert_eq!(origin_prefix(line, max), None, "{line:?}");
        }
    }

    #[test]
    fn forms_table() {
        targets! {
            b"/" => Ok((Ori, "/", None, None));
            b"/a/b?x=1&y" => Ok((Ori, "/a/b", Some("x=1&y"), None));
            b"/?" => Ok((Ori, "/", Some(""), None));
            b"//double" => Ok((Ori, "//double", None, None));
            b"/p?q?r/s" => Ok((Ori, "/p", Some("q?r/s"), None));
            b"/a%20b;p=1:@!$&'()*+,=-._~" => Ok((Ori, "/a%20b;p=1:@!$&'()*+,=-._~", None, None));
            b"*" => Ok((Ast, "*", None, None));
            b"http://example.com" => Ok((Abs, "/", None, Some("example.com")));
            b"http://example.com?q" => Ok((Abs, "/", Some("q"), Some("example.com")));
            b"HTTPS://h:8443/x/y?z" => Ok((Abs, "/x/y", Some("z"), Some("h:8443")));
            b"http://[::1]:80/" => Ok((Abs, "/", None, Some("[::1]:80")));
            b"http://a%41b/" => Ok((Abs, "/", None, Some("a%41b")));
            b"example.com:443" => Ok((Auth, "", None, Some("example.com:443")));
            b"[2001:db8::1]:443" => Ok((Auth, "", None, Some("[2001:db8::1]:443")));
            b"127.0.0.1:65535" => Ok((Auth, "", None, Some("127.0.0.1:65535")));
            b"http:80" => Ok((Auth, "", None, Some("http:80")));
            b"" => Err(E::Empty);
            b"/a b" => Err(E::InvalidByte);
            b"/a#frag" => Err(E::InvalidByte);
            b"/a\"b" => Err(E::InvalidByte);
            b"/a<b>" => Err(E::InvalidByte);
            b"/a{b}" => Err(E::InvalidByte);
            b"/a|b" => Err(E::InvalidByte);
            b"/a\\b" => Err(E::InvalidByte);
            b"/a^b" => Err(E::InvalidByte);
            b"/a`b" => Err(E::InvalidByte);
            b"/[x]" => Err(E::InvalidByte);
            b"/\x00" => Err(E::InvalidByte);
            b"/\x7F" => Err(E::InvalidByte);
            b"/caf\xC3\xA9" => Err(E::InvalidByte);
            b"/a%2" => Err(E::InvalidPercentEncoding);
            b"/a%zz" => Err(E::InvalidPercentEncoding);
            b"/a?%g0" => Err(E::InvalidPercentEncoding);
            b"**" => Err(E::InvalidPort);
            b"ftp://host/" => Err(E::UnsupportedScheme);
            b"http://" => Err(E::InvalidHost);
            b"http:///path" => Err(E::InvalidHost);
            b"http://user@host/" => Err(E::UserInfo);
            b"http://host:/" => Err(E::InvalidPort);
            b"http://host:65536/" => Err(E::InvalidPort);
            b"http://host:123456/" => Err(E::InvalidPort);
            b"http://host:8x/" => Err(E::InvalidPort);
            b"http://ho st/" => Err(E::InvalidHost);
            b"http://[]/" => Err(E::InvalidHost);
            b"http://[::1/" => Err(E::InvalidHost);
            b"http://[::1]x/" => Err(E::InvalidHost);
            b"http://h/a#b" => Err(E::InvalidByte);
            b"example.com" => Err(E::InvalidPort);
            b"example.com:" => Err(E::InvalidPort);
            b":443" => Err(E::InvalidHost);
            b"user@example.com:443" => Err(E::UserInfo);
            b"example.com:443/x" => Err(E::InvalidPort);
        }
    }

    #[test]
    fn forms_per_method() {
        use Method::*;
        assert!(Ori.is_allowed_for(&Get));
        assert!(Abs.is_allowed_for(&Post));
        assert!(Ori.is_allowed_for(&Extension("PURGE")));
        assert!(!Ori.is_allowed_for(&Connect));
        assert!(!Abs.is_allowed_for(&Connect));
        assert!(Auth.is_allowed_for(&Connect));
        assert!(!Auth.is_allowed_for(&Get));
        assert!(Ast.is_allowed_for(&Options));
        assert!(!Ast.is_allowed_for(&Get));
        assert!(!Ast.is_allowed_for(&Connect));
        assert!(!Ast.is_allowed_for(&Extension("options")));
    }

    #[test]
    fn query_pairs() -> Result<(), TargetError> {
        let pairs = |q: &'static str| QueryPairs::new(q).collect::<Vec<_>>();
        assert_eq!(pairs("a=1&b=2"), [("a", "1"), ("b", "2")]);
        assert_eq!(pairs("flag&x="), [("flag", ""), ("x", "")]);
        assert_eq!(pairs("=v&&k=a=b&"), [("", "v"), ("k", "a=b")]);
        assert!(pairs("").is_empty());
        let target = Target::parse(b"/s?q=rust+lang&page=2")?;
        assert_eq!(
            target.query_pairs().collect::<Vec<_>>(),
            [("q", "rust+lang"), ("page", "2")]
        );
        let no_query = Target::parse(b"/s")?;
        assert_eq!(no_query.query_pairs().count(), 0);
        Ok(())
    }

    #[test]
    fn decoding() {
        let mut out = [0u8; 16];
        assert_eq!(
            percent_decode(b"a%20b+c", &mut out),
            Ok(b"a b+c".as_slice())
        );
        assert_eq!(
            percent_decode_query(b"a%20b+c", &mut out),
            Ok(b"a b c".as_slice())
        );
        assert_eq!(
            percent_decode(b"%2f%2F%00", &mut out),
            Ok(b"//\0".as_slice())
        );
        assert_eq!(percent_decode(b"%E2%82%AC", &mut out), Ok("€".as_bytes()));
        assert_eq!(percent_decode(b"", &mut out), Ok(b"".as_slice()));
        assert_eq!(
            percent_decode(b"%zz", &mut out),
            Err(DecodeError::InvalidEscape)
        );
        assert_eq!(
            percent_decode(b"%4", &mut out),
            Err(DecodeError::InvalidEscape)
        );
        assert_eq!(
            percent_decode(b"abc%", &mut out),
            Err(DecodeError::InvalidEscape)
        );
        let mut small = [0u8; 2];
        assert_eq!(
            percent_decode(b"abc", &mut small),
            Err(DecodeError::OutputTooSmall)
        );
        assert_eq!(percent_decode(b"%41%42", &mut small), Ok(b"AB".as_slice()));
        assert_eq!(
            percent_decode(b"x", &mut []),
            Err(DecodeError::OutputTooSmall)
        );
    }

    #[test]
    fn hosts() {
        assert_eq!(validate_host(b"example.com"), Ok(()));
        assert_eq!(validate_host(b"example.com:8080"), Ok(()));
        assert_eq!(validate_host(b"[::1]"), Ok(()));
        assert_eq!(validate_host(b"EXAMPLE.com:0"), Ok(()));
        assert_eq!(validate_host(b"a b"), Err(E::InvalidHost));
        assert_eq!(validate_host(b"a/b"), Err(E::InvalidHost));
        assert_eq!(validate_host(b"u@h"), Err(E::UserInfo));
        assert_eq!(validate_host(b"h:1:2"), Err(E::InvalidPort));
        assert_eq!(validate_host(b":80"), Err(E::InvalidHost));
        assert_eq!(validate_host(b"h:"), Err(E::InvalidPort));
        assert_eq!(validate_host(b"h:0080"), Ok(()));
        assert_eq!(validate_host(b"h:65535"), Ok(()));
        assert_eq!(validate_host(b"h:65536"), Err(E::InvalidPort));
        assert_eq!(validate_host(b"h:123456"), Err(E::InvalidPort));
        assert_eq!(validate_host(b"h:8a8"), Err(E::InvalidPort));
        assert_eq!(validate_host(b"h%zz"), Err(E::InvalidPercentEncoding));
    }

    #[test]
    fn target_bytes() {
        assert!(is_target_byte(b'/'));
        assert!(is_target_byte(b'%'));
        assert!(is_target_byte(b'['));
        assert!(!is_target_byte(b' '));
        assert!(!is_target_byte(b'#'));
        assert!(!is_target_byte(0x80));
        assert!(!is_target_byte(b'\r'));
    }
}
