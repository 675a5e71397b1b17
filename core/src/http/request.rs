//! The request head (RFC 9112 sections 2 to 7): parsing, validation and the body-framing
//! decision, zero-copy and strict enough that no two parsers can disagree about where a
//! request ends.
//!
//! This module owns turning the bytes at the front of a connection's buffer into a
//! [`RequestHead`]: a borrow-free record of where the method, target and header fields lie
//! (offsets into the buffer plus the caller's [`HeaderSpan`] storage) and of the decisions a
//! server needs before it reads a body: [`BodyFraming`], persistence and `Expect:
//! 100-continue`. [`RequestHead::view`] turns it back into a zero-copy [`Request`] over the
//! same bytes, so the connection engine can keep the head while it reuses or compacts the
//! buffer, as long as the head's bytes stay at the front.
//!
//! It never reads a body, never allocates, never panics on peer bytes and never loops without
//! bound: a head that is still incomplete when the buffer reaches
//! [`Limits::max_head_bytes`] is a 431 (or a 414 while still inside the request-target), so
//! [`Parse::Partial`] is only ever returned below that limit.
//!
//! # Strictness
//!
//! Every ambiguity a request-smuggling attack could exploit is an error; the server answers
//! with [`RequestError::status`] and closes the connection. The choices, where RFC 9112 leaves
//! room:
//!
//! - Line endings must be CRLF everywhere, including the request line and the blank line. A
//!   bare LF is rejected ([`RequestError::BareLf`]) although RFC 9112 section 2.2 lets a
//!   recipient accept it: an intermediary that does not would see a different message.
//! - Empty lines (CRLF) before the request line are skipped and count towards
//!   [`RequestHead::head_len`].
//! - The request line has exactly one SP between its three parts.
//! - Header fields: no whitespace before the colon, no obs-fold (also no whitespace before the
//!   first field), no NUL, CR, LF or other control except HTAB in values; obs-text is allowed.
//! - `Content-Length` is `1*DIGIT` (no sign, list, spaces or overflow) and appears at most
//!   once, even with equal values. `Content-Length` and `Transfer-Encoding` together are 400.
//! - `Transfer-Encoding` is rejected in HTTP/1.0. Its codings, across all its field lines,
//!   must end in exactly one `chunked`; since the server decodes no content coding, a
//!   `chunked` preceded by other codings is 501.
//! - `Host`: required once in HTTP/1.1, at most once in HTTP/1.0; its value is empty or
//!   `uri-host [ ":" port ]` without userinfo. An empty value only goes with a target that has
//!   no authority (origin- and asterisk-form, RFC 9112 section 3.2); beside an absolute- or
//!   authority-form target it is 400. The target's authority takes precedence over a
//!   different `Host` (RFC 9112 section 3.2.2); see [`Request::authority`].
//! - `HTTP/1.0` and `HTTP/1.1` are served; any other `HTTP/<digits>[.<digits>]` is 505, any
//!   other version string is 400.
//! - `Expect: 100-continue` (ignoring case) is the only expectation; anything else is 417.
//!   In HTTP/1.0 a `100-continue` is ignored (RFC 9110 section 10.1.1).
//! - `Connection` must be a list of tokens; `close` ends persistence, `keep-alive` asks for it
//!   in HTTP/1.0.
//!
//! # Examples
//!
//! ```
//! use aurora_core::http::Limits;
//! use aurora_core::http::header::HeaderSpan;
//! use aurora_core::http::method::Method;
//! use aurora_core::http::request::{self, BodyFraming, Parse};
//!
//! let buf = b"POST /items?id=7 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc";
//! let mut spans = [HeaderSpan::EMPTY; 16];
//! let Ok(Parse::Complete(head)) = request::parse(buf, &Limits::DEFAULT, &mut spans) else {
//!     panic!("a valid request");
//! };
//! assert_eq!(head.body_framing(), BodyFraming::ContentLength(3));
//! let req = head.view(buf, &spans);
//! assert_eq!(req.method(), Method::Post);
//! assert_eq!(req.path(), "/items");
//! assert_eq!(req.query_pairs().next(), Some(("id", "7")));
//! assert_eq!(req.headers().get("host"), Some(&b"example.com"[..]));
//! assert_eq!(&buf[head.head_len()..], b"abc");
//! ```

use core::fmt;

use super::Limits;
use super::Status;
use super::bytes::{self, Span, TCHAR};
use super::header::{self, HeaderSpan, Headers};
use super::method::{Method, Standard};
use super::target::{self, QueryPairs, Target, TargetForm, TargetLayout};

/// Parses the request head at the front of `buf`.
///
/// `spans` is the caller's storage for header positions; at most
/// `min(limits.max_headers, spans.len())` fields are accepted. Only the first
/// `limits.max_head_bytes` bytes are examined, so calling again after more bytes arrive costs
/// at most one head's worth of work and ends at the limit.
///
/// # Errors
///
/// A [`RequestError`] naming the first rule the head breaks; answer with its
/// [`status`](RequestError::status) and close the connection. Errors in the request line and
/// invalid bytes are reported as soon as they are seen, even before the head is complete.
pub fn parse(buf: &[u8], limits: &Limits, spans: &mut [HeaderSpan]) -> Result<Parse, RequestError> {
    // On 32-bit targets MAX_HEAD_BYTES is usize::MAX and the clamp is a no-op.
    #[allow(clippy::unnecessary_min_or_max)]
    let limit = limits.max_head_bytes.min(MAX_HEAD_BYTES);
    let window = buf.get(..limit).unwrap_or(buf);
    // The buffer reaches the limit, so a head still incomplete is too large.
    let full = buf.len() >= limit;
    parse_window(window, full, limits, spans)
}

/// The outcome of [`parse`] when no rule was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Parse {
    /// A whole head; its body, if any, starts at [`RequestHead::head_len`].
    Complete(RequestHead),
    /// The head is not complete yet; read more bytes and call [`parse`] again with the whole
    /// buffer.
    Partial,
}

/// A parsed request head, without a borrow: positions in the buffer it was parsed from and
/// the decisions made from its fields. Use [`RequestHead::view`] with the same buffer and
/// header storage to read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RequestHead {
    head_len: u32,
    method: Span,
    /// The standard method the token spells, found once by the parser.
    standard: Option<Standard>,
    target: Span,
    target_layout: TargetLayout,
    version: Version,
    header_count: u32,
    host: Span,
    framing: BodyFraming,
    persistence: Persistence,
    expectation: Expectation,
}

impl RequestHead {
    /// A zero-copy view over `buf`, which must start with the bytes this head was parsed from,
    /// and `spans`, the storage [`parse`] filled. Other bytes give a view of garbage or empty
    /// strings, never a panic.
    pub fn view<'b>(&self, buf: &'b [u8], spans: &'b [HeaderSpan]) -> Request<'b> {
        let buf = buf.get(..self.head_len()).unwrap_or(buf);
        let spans = spans.get(..self.header_count()).unwrap_or(spans);
        Request {
            head: *self,
            buf,
            spans,
        }
    }

    /// Bytes the head occupies, from the start of the buffer (including skipped empty lines)
    /// through the blank line; the body starts here.
    pub const fn head_len(&self) -> usize {
        self.head_len as usize
    }

    /// The protocol version.
    pub const fn version(&self) -> Version {
        self.version
    }

    /// How the body is delimited (RFC 9112 section 6.3).
    pub const fn body_framing(&self) -> BodyFraming {
        self.framing
    }

    /// Whether the connection may stay open after the response: HTTP/1.1 unless `Connection:
    /// close`, HTTP/1.0 only with `Connection: keep-alive` (and no `close`).
    pub const fn keep_alive(&self) -> bool {
        matches!(self.persistence, Persistence::KeepAlive)
    }

    /// Whether the client sent `Expect: 100-continue` in HTTP/1.1 and waits for a `100
    /// Continue` before sending the body.
    pub const fn expects_continue(&self) -> bool {
        matches!(self.expectation, Expectation::Continue)
    }

    /// Number of header fields stored in the caller's spans.
    pub const fn header_count(&self) -> usize {
        self.header_count as usize
    }

    /// The request-target's form.
    pub const fn target_form(&self) -> TargetForm {
        self.target_layout.form()
    }

    /// Whether the method is `HEAD`, told without reading the buffer (so without decoding an
    /// extension method's token as text).
    pub(crate) fn is_head(&self) -> bool {
        self.standard.is_some_and(|s| s.method() == Method::Head)
    }
}

/// A zero-copy view of a parsed request head; see [`RequestHead::view`].
#[derive(Clone, Copy, Debug)]
pub struct Request<'b> {
    head: RequestHead,
    buf: &'b [u8],
    spans: &'b [HeaderSpan],
}

impl<'b> Request<'b> {
    /// The head's decisions and positions.
    pub const fn head(&self) -> &RequestHead {
        &self.head
    }

    /// The method (case-sensitive; `get` is an extension method).
    pub fn method(&self) -> Method<'b> {
        if let Some(standard) = self.head.standard {
            return standard.method();
        }
        // The parser checked the token; only a foreign buffer could hold other bytes.
        Method::Extension(text(self.head.method.slice(self.buf)).unwrap_or(""))
    }

    /// The request-target.
    pub fn target(&self) -> Target<'b> {
        let raw = text(self.head.target.slice(self.buf)).unwrap_or("");
        Target::from_layout(raw, self.head.target_layout)
    }

    /// The path, not decoded; see [`Target::path`].
    pub fn path(&self) -> &'b str {
        self.target().path()
    }

    /// The raw query after `?`; see [`Target::query`].
    pub fn query(&self) -> Option<&'b str> {
        self.target().query()
    }

    /// The raw `key=value` pairs of the query; see [`QueryPairs`].
    pub fn query_pairs(&self) -> QueryPairs<'b> {
        self.target().query_pairs()
    }

    /// The protocol version.
    pub const fn version(&self) -> Version {
        self.head.version
    }

    /// The header fields, with case-insensitive lookup.
    pub const fn headers(&self) -> Headers<'b> {
        Headers::new(self.buf, self.spans)
    }

    /// The value of the first field named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'b [u8]> {
        self.headers().get(name)
    }

    /// The authority the request is for: the target's own authority (absolute- and
    /// authority-form, which take precedence over `Host` per RFC 9112 section 3.2.2), else a
    /// non-empty `Host` value, else `None`.
    pub fn authority(&self) -> Option<&'b str> {
        if let Some(authority) = self.target().authority() {
            return Some(authority);
        }
        let host = self.head.host.slice(self.buf);
        if host.is_empty() {
            return None;
        }
        text(host)
    }

    /// Bytes the head occupies; see [`RequestHead::head_len`].
    pub const fn head_len(&self) -> usize {
        self.head.head_len()
    }

    /// See [`RequestHead::keep_alive`].
    pub const fn keep_alive(&self) -> bool {
        self.head.keep_alive()
    }

    /// See [`RequestHead::expects_continue`].
    pub const fn expects_continue(&self) -> bool {
        self.head.expects_continue()
    }

    /// See [`RequestHead::body_framing`].
    pub const fn body_framing(&self) -> BodyFraming {
        self.head.framing
    }
}

/// `bytes` as text, `None` unless they are UTF-8 (the parser let only ASCII through, so only
/// a foreign buffer fails). On 64-bit targets `str::from_utf8`, for its word-at-a-time ASCII
/// scan; elsewhere the smaller byte-wise decoder [`text_bytewise`], for size.
#[cfg(target_pointer_width = "64")]
fn text(bytes: &[u8]) -> Option<&str> {
    core::str::from_utf8(bytes).ok()
}

#[cfg(not(target_pointer_width = "64"))]
use text_bytewise as text;

/// `bytes` as text through `<[u8]>::utf8_chunks`, `None` unless they are UTF-8: what [`text`]
/// is on small targets (compiled on servers for the test that holds it to `str::from_utf8`).
#[cfg(any(test, not(target_pointer_width = "64")))]
fn text_bytewise(bytes: &[u8]) -> Option<&str> {
    // Valid UTF-8 is one chunk holding every byte, with nothing invalid after it.
    match bytes.utf8_chunks().next() {
        None => Some(""),
        Some(chunk) if chunk.invalid().is_empty() && chunk.valid().len() == bytes.len() => {
            Some(chunk.valid())
        }
        Some(_) => None,
    }
}

/// The protocol versions this server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Version {
    /// `HTTP/1.0`: persistent only on request.
    Http10,
    /// `HTTP/1.1`: persistent by default.
    Http11,
}

impl Version {
    /// The version as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the request body is delimited (RFC 9112 section 6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BodyFraming {
    /// Neither `Content-Length` nor `Transfer-Encoding`: no body.
    None,
    /// Exactly this many bytes follow the head (possibly 0), at most
    /// [`Limits::max_body_bytes`].
    ContentLength(u64),
    /// A chunked body follows; decode it with [`chunked`](super::chunked).
    Chunked,
}

/// Why a request head was rejected. Each variant is one rule, so metrics can count them
/// apart; [`RequestError::status`] is the answer to send before closing the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RequestError {
    /// The request line is not `method SP request-target SP HTTP-version CRLF` (an empty part,
    /// extra or missing spaces, a missing version). 400.
    InvalidRequestLine,
    /// The method holds a byte that is not a `tchar`. 400.
    InvalidMethod,
    /// The request-target breaks the RFC 3986 grammar (bytes, `%XX`, authority, scheme). 400.
    InvalidTarget,
    /// The target's form does not suit the method (`*` without `OPTIONS`, `host:port` without
    /// `CONNECT`, `CONNECT` without `host:port`). 400.
    TargetFormMismatch,
    /// The version is not `HTTP/<digits>[.<digits>]`. 400.
    InvalidVersion,
    /// A line ends in LF without CR. 400.
    BareLf,
    /// A CR is not followed by LF. 400.
    BareCr,
    /// A field line starts with whitespace (obs-fold, or whitespace before the first field). 400.
    ObsFold,
    /// Whitespace after a field name, where its colon belongs (`Name : value`). 400.
    WhitespaceBeforeColon,
    /// A field name is empty, holds a non-`tchar` byte or has no colon. 400.
    InvalidHeaderName,
    /// A field value holds a NUL byte. 400.
    HeaderValueNul,
    /// A field value holds a control byte other than HTAB. 400.
    InvalidHeaderValue,
    /// An HTTP/1.1 request without `Host`. 400.
    MissingHost,
    /// More than one `Host` field. 400.
    DuplicateHost,
    /// A `Host` value that is not empty or `uri-host [ ":" port ]`, or empty beside a target
    /// with its own authority. 400.
    InvalidHost,
    /// More than one `Content-Length` field, even with equal values. 400.
    DuplicateContentLength,
    /// A `Content-Length` that is not `1*DIGIT` within `u64` (signs, lists, spaces, hex). 400.
    InvalidContentLength,
    /// Both `Content-Length` and `Transfer-Encoding`. 400.
    ContentLengthWithTransferEncoding,
    /// `Transfer-Encoding` in an HTTP/1.0 request. 400.
    TransferEncodingInHttp10,
    /// A `Transfer-Encoding` with no coding, a coding that is not a token, or `chunked` with
    /// parameters. 400.
    InvalidTransferEncoding,
    /// The final transfer coding is not `chunked`. 400.
    ChunkedNotFinal,
    /// `chunked` applied more than once. 400.
    ChunkedTwice,
    /// A `Connection` item that is not a token. 400.
    InvalidConnection,
    /// `Content-Length` above [`Limits::max_body_bytes`]. 413.
    ContentTooLarge,
    /// The request-target is longer than [`Limits::max_target_bytes`]. 414.
    TargetTooLong,
    /// An `Expect` other than `100-continue`. 417.
    UnsupportedExpectation,
    /// The head does not fit [`Limits::max_head_bytes`]. 431.
    HeadTooLarge,
    /// More fields than [`Limits::max_headers`] or the caller's span storage. 431.
    TooManyHeaders,
    /// A transfer coding other than `chunked` (which the server does not decode). 501.
    UnsupportedTransferCoding,
    /// An HTTP version other than 1.0 and 1.1. 505.
    UnsupportedVersion,
}

impl RequestError {
    /// Every variant, for registering one metric per kind.
    pub const ALL: [RequestError; 30] = [
        RequestError::InvalidRequestLine,
        RequestError::InvalidMethod,
        RequestError::InvalidTarget,
        RequestError::TargetFormMismatch,
        RequestError::InvalidVersion,
        RequestError::BareLf,
        RequestError::BareCr,
        RequestError::ObsFold,
        RequestError::WhitespaceBeforeColon,
        RequestError::InvalidHeaderName,
        RequestError::HeaderValueNul,
        RequestError::InvalidHeaderValue,
        RequestError::MissingHost,
        RequestError::DuplicateHost,
        RequestError::InvalidHost,
        RequestError::DuplicateContentLength,
        RequestError::InvalidContentLength,
        RequestError::ContentLengthWithTransferEncoding,
        RequestError::TransferEncodingInHttp10,
        RequestError::InvalidTransferEncoding,
        RequestError::ChunkedNotFinal,
        RequestError::ChunkedTwice,
        RequestError::InvalidConnection,
        RequestError::ContentTooLarge,
        RequestError::TargetTooLong,
        RequestError::UnsupportedExpectation,
        RequestError::HeadTooLarge,
        RequestError::TooManyHeaders,
        RequestError::UnsupportedTransferCoding,
        RequestError::UnsupportedVersion,
    ];

    /// The status to answer with before closing the connection.
    pub const fn status(self) -> Status {
        match self {
            RequestError::ContentTooLarge => Status::PAYLOAD_TOO_LARGE,
            RequestError::TargetTooLong => Status::URI_TOO_LONG,
            RequestError::UnsupportedExpectation => Status::EXPECTATION_FAILED,
            RequestError::HeadTooLarge | RequestError::TooManyHeaders => {
                Status::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            RequestError::UnsupportedTransferCoding => Status::NOT_IMPLEMENTED,
            RequestError::UnsupportedVersion => Status::HTTP_VERSION_NOT_SUPPORTED,
            _ => Status::BAD_REQUEST,
        }
    }

    /// A short, stable snake_case label for metrics and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestError::InvalidRequestLine => "invalid_request_line",
            RequestError::InvalidMethod => "invalid_method",
            RequestError::InvalidTarget => "invalid_target",
            RequestError::TargetFormMismatch => "target_form_mismatch",
            RequestError::InvalidVersion => "invalid_version",
            RequestError::BareLf => "bare_lf",
            RequestError::BareCr => "bare_cr",
            RequestError::ObsFold => "obs_fold",
            RequestError::WhitespaceBeforeColon => "whitespace_before_colon",
            RequestError::InvalidHeaderName => "invalid_header_name",
            RequestError::HeaderValueNul => "header_value_nul",
            RequestError::InvalidHeaderValue => "invalid_header_value",
            RequestError::MissingHost => "missing_host",
            RequestError::DuplicateHost => "duplicate_host",
            RequestError::InvalidHost => "invalid_host",
            RequestError::DuplicateContentLength => "duplicate_content_length",
            RequestError::InvalidContentLength => "invalid_content_length",
            RequestError::ContentLengthWithTransferEncoding => {
                "content_length_with_transfer_encoding"
            }
            RequestError::TransferEncodingInHttp10 => "transfer_encoding_in_http10",
            RequestError::InvalidTransferEncoding => "invalid_transfer_encoding",
            RequestError::ChunkedNotFinal => "chunked_not_final",
            RequestError::ChunkedTwice => "chunked_twice",
            RequestError::InvalidConnection => "invalid_connection",
            RequestError::ContentTooLarge => "content_too_large",
            RequestError::TargetTooLong => "target_too_long",
            RequestError::UnsupportedExpectation => "unsupported_expectation",
            RequestError::HeadTooLarge => "head_too_large",
            RequestError::TooManyHeaders => "too_many_headers",
            RequestError::UnsupportedTransferCoding => "unsupported_transfer_coding",
            RequestError::UnsupportedVersion => "unsupported_version",
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestError::InvalidRequestLine => "malformed request line",
            RequestError::InvalidMethod => "invalid method",
            RequestError::InvalidTarget => "invalid request-target",
            RequestError::TargetFormMismatch => "request-target form not allowed for method",
            RequestError::InvalidVersion => "malformed HTTP version",
            RequestError::BareLf => "line ends in LF without CR",
            RequestError::BareCr => "CR not followed by LF",
            RequestError::ObsFold => "field line starts with whitespace (obs-fold)",
            RequestError::WhitespaceBeforeColon => "whitespace between field name and colon",
            RequestError::InvalidHeaderName => "invalid field name",
            RequestError::HeaderValueNul => "NUL in field value",
            RequestError::InvalidHeaderValue => "control byte in field value",
            RequestError::MissingHost => "HTTP/1.1 request without Host",
            RequestError::DuplicateHost => "more than one Host",
            RequestError::InvalidHost => "invalid Host",
            RequestError::DuplicateContentLength => "more than one Content-Length",
            RequestError::InvalidContentLength => "invalid Content-Length",
            RequestError::ContentLengthWithTransferEncoding => {
                "both Content-Length and Transfer-Encoding"
            }
            RequestError::TransferEncodingInHttp10 => "Transfer-Encoding in HTTP/1.0",
            RequestError::InvalidTransferEncoding => "invalid Transfer-Encoding",
            RequestError::ChunkedNotFinal => "final transfer coding is not chunked",
            RequestError::ChunkedTwice => "chunked applied more than once",
            RequestError::InvalidConnection => "invalid Connection",
            RequestError::ContentTooLarge => "Content-Length above the body limit",
            RequestError::TargetTooLong => "request-target above the limit",
            RequestError::UnsupportedExpectation => "unsupported expectation",
            RequestError::HeadTooLarge => "request head above the limit",
            RequestError::TooManyHeaders => "too many header fields",
            RequestError::UnsupportedTransferCoding => "unsupported transfer coding",
            RequestError::UnsupportedVersion => "unsupported HTTP version",
        })
    }
}

impl core::error::Error for RequestError {}

/// Whether the connection persists after this exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Persistence {
    KeepAlive,
    Close,
}

/// What the client expects before it sends the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Expectation {
    Nothing,
    Continue,
}

/// Offsets are `u32`, so a head is never examined beyond 4 GiB whatever the limit says; every
/// offset into the window therefore fits a `u32`, which makes the `as u32` casts below lossless.
const MAX_HEAD_BYTES: usize = u32::MAX as usize;

/// The request line's parts, as offsets into the window.
#[derive(Clone, Copy, Debug)]
struct RequestLine {
    method: Span,
    target: Span,
    /// The target's layout when the request line's scan found it (origin-form).
    layout: Option<TargetLayout>,
    version: Version,
    /// Offset just past the line's CRLF.
    end: usize,
}

/// Parses the head at the front of the window `w`. `full` says that `w` is cut at the head
/// limit, so a head still incomplete is 431, or 414 while inside the target.
fn parse_window(
    w: &[u8],
    full: bool,
    limits: &Limits,
    spans: &mut [HeaderSpan],
) -> Result<Parse, RequestError> {
    let Some(line) = request_line(w, full, limits.max_target_bytes)? else {
        return partial(full);
    };
    // The request line holds a non-empty run of `tchar`s here, so only the method's identity
    // matters: whether it is `CONNECT` or `OPTIONS`.
    let standard = Standard::of(line.method.slice(w));
    let method = standard.map_or(Method::Extension(""), Standard::method);
    let target_layout = match line.layout {
        Some(layout) => layout,
        None => {
            target::parse_layout(line.target.slice(w)).map_err(|_| RequestError::InvalidTarget)?
        }
    };
    if !target_layout.form().is_allowed_for(&method) {
        return Err(RequestError::TargetFormMismatch);
    }
    let capacity = limits.max_headers.min(spans.len());
    let mut fields = Fields::default();
    let Some((head_len, count)) = header_block(w, line.end, spans, capacity, &mut fields)? else {
        return partial(full);
    };
    let http10 = line.version == Version::Http10;
    let has_authority = matches!(
        target_layout.form(),
        TargetForm::Absolute | TargetForm::Authority
    );
    let framing = fields.framing(http10, has_authority, limits)?;
    if fields.saw(SEEN_OTHER_EXPECTATION) {
        return Err(RequestError::UnsupportedExpectation);
    }
    let keep_alive = !fields.saw(SEEN_CLOSE) && (!http10 || fields.saw(SEEN_KEEP_ALIVE));
    Ok(Parse::Complete(RequestHead {
        head_len: head_len as u32,
        method: line.method,
        standard,
        target: line.target,
        target_layout,
        version: line.version,
        // Each field takes at least four bytes of the window.
        header_count: count as u32,
        host: fields.host.unwrap_or(Span::EMPTY),
        framing,
        persistence: if keep_alive {
            Persistence::KeepAlive
        } else {
            Persistence::Close
        },
        expectation: if fields.saw(SEEN_CONTINUE) && !http10 {
            Expectation::Continue
        } else {
            Expectation::Nothing
        },
    }))
}

/// The answer for a head that is not complete: read more, unless the window is full.
fn partial(full: bool) -> Result<Parse, RequestError> {
    if full {
        return Err(RequestError::HeadTooLarge);
    }
    Ok(Parse::Partial)
}

/// Scans `[CRLF...] method SP target SP version CRLF`, reporting bad bytes as soon as they
/// are seen; `Ok(None)` when more bytes are needed.
fn request_line(
    w: &[u8],
    full: bool,
    max_target: usize,
) -> Result<Option<RequestLine>, RequestError> {
    // Empty lines before the request line (RFC 9112 section 2.2).
    let mut i = 0usize;
    loop {
        match (w.get(i), w.get(i + 1)) {
            (None, _) | (Some(b'\r'), None) => return Ok(None),
            (Some(b'\r'), Some(b'\n')) => i += 2,
            (Some(b'\r'), Some(_)) => return Err(RequestError::BareCr),
            (Some(b'\n'), _) => return Err(RequestError::BareLf),
            (Some(_), _) => break,
        }
    }

    let method_start = i;
    i += bytes::run_len(w.get(i..).unwrap_or(&[]), TCHAR);
    match w.get(i) {
        None => return Ok(None),
        Some(b' ') if i > method_start => {}
        Some(b' ') => return Err(RequestError::InvalidRequestLine),
        Some(_) => return Err(RequestError::InvalidMethod),
    }
    let method = Span::new(method_start as u32, i as u32);
    i += 1;

    let target_start = i;
    let rest = w.get(target_start..).unwrap_or(&[]);
    // The usual origin-form target in one pass; anything else takes the general scan.
    let layout = target::origin_prefix(rest, max_target).map(|(len, layout)| {
        i += len;
        layout
    });
    if layout.is_none() {
        // Look at one byte past the longest allowed target, so the scan is bounded and a
        // target that keeps going is 414 as soon as it passes the limit.
        let scan = rest.get(..max_target.saturating_add(1)).unwrap_or(rest);
        match scan.iter().position(|&b| !target::is_target_byte(b)) {
            Some(len) if len <= max_target => i += len,
            None if scan.len() <= max_target && !full => return Ok(None),
            _ => return Err(RequestError::TargetTooLong),
        }
    }
    match w.get(i) {
        Some(b' ') if i > target_start => {}
        Some(b' ' | b'\r' | b'\n') => return Err(RequestError::InvalidRequestLine),
        _ => return Err(RequestError::InvalidTarget),
    }
    let target = Span::new(target_start as u32, i as u32);
    i += 1;

    // The two versions served, checked whole as one word and a CRLF; anything else takes the
    // byte-wise scan below, which names the error.
    let version = match w.get(i..).and_then(<[u8]>::first_chunk::<10>) {
        Some(&[a, b, c, d, e, f, g, h, b'\r', b'\n']) => {
            match u64::from_le_bytes([a, b, c, d, e, f, g, h]) {
                HTTP_11 => Version::Http11,
                HTTP_10 => Version::Http10,
                _ => return version_error(w, i),
            }
        }
        _ => return version_error(w, i),
    };
    Ok(Some(RequestLine {
        method,
        target,
        layout,
        version,
        end: i + 10,
    }))
}

/// `HTTP/1.1` and `HTTP/1.0` as the little-endian words the request line's version is
/// compared with.
const HTTP_11: u64 = u64::from_le_bytes(*b"HTTP/1.1");
const HTTP_10: u64 = u64::from_le_bytes(*b"HTTP/1.0");

/// The outcome of a request line whose version, at `i`, is neither `HTTP/1.1` nor `HTTP/1.0`
/// followed by CRLF: more bytes needed, or the error.
#[cold]
fn version_error(w: &[u8], mut i: usize) -> Result<Option<RequestLine>, RequestError> {
    let version_start = i;
    loop {
        match w.get(i) {
            None => return Ok(None),
            Some(b'\r' | b'\n') => break,
            Some(b' ') => return Err(RequestError::InvalidRequestLine),
            Some(b) if b.is_ascii_alphanumeric() || *b == b'/' || *b == b'.' => {}
            Some(_) => return Err(RequestError::InvalidVersion),
        }
        if i - version_start >= MAX_VERSION_LEN {
            return Err(RequestError::InvalidVersion);
        }
        i += 1;
    }
    match (w.get(i), w.get(i + 1)) {
        (Some(b'\r'), Some(b'\n')) => {}
        (Some(b'\r'), None) => return Ok(None),
        (Some(b'\r'), Some(_)) => return Err(RequestError::BareCr),
        _ => return Err(RequestError::BareLf),
    }
    // A version served, followed by CRLF, took the fast path.
    Err(version(w.get(version_start..i).unwrap_or(&[])))
}

/// Longest version token examined before it is called malformed.
const MAX_VERSION_LEN: usize = 16;

/// The error for a version other than `HTTP/1.0` and `HTTP/1.1`: 505 for another
/// well-formed `HTTP/` DIGIT `.` DIGIT (RFC 9112 §2.3), 400 for anything else (`HTTP/1.10`,
/// `HTTP/2`, `http/1.1`): a version that is not of that form is malformed, not unsupported.
fn version(bytes: &[u8]) -> RequestError {
    match bytes {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            RequestError::UnsupportedVersion
        }
        _ => RequestError::InvalidVersion,
    }
}

/// Scans the field lines from `start` through the blank line in one pass, storing each
/// field's span and handing it to `fields`; returns the head's end and the number of fields,
/// or `None` when more bytes are needed. Bad bytes are reported as soon as they are seen, in
/// line order.
fn header_block(
    w: &[u8],
    start: usize,
    spans: &mut [HeaderSpan],
    capacity: usize,
    fields: &mut Fields,
) -> Result<Option<(usize, usize)>, RequestError> {
    let mut i = start;
    let mut count = 0usize;
    loop {
        let name_start = i;
        match w.get(i) {
            None => return Ok(None),
            Some(b'\r') => {
                return match w.get(i + 1) {
                    None => Ok(None),
                    Some(b'\n') => Ok(Some((i + 2, count))),
                    Some(_) => Err(RequestError::BareCr),
                };
            }
            Some(b'\n') => return Err(RequestError::BareLf),
            Some(b' ' | b'\t') => return Err(RequestError::ObsFold),
            Some(_) => {}
        }
        // Names are short: a byte loop beats a word's worth of lookups.
        i += w
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&b| header::is_tchar(b))
            .count();
        // One field more than there is room for: decided at its first byte.
        if i > name_start && count >= capacity {
            return Err(RequestError::TooManyHeaders);
        }
        let name_end = i;
        match w.get(i) {
            None => return Ok(None),
            Some(b':') if i > name_start => i += 1,
            // Decided at the whitespace, whatever follows, so the answer does not depend on
            // how much of the line has arrived.
            Some(b' ' | b'\t') if i > name_start => {
                return Err(RequestError::WhitespaceBeforeColon);
            }
            Some(_) => return Err(RequestError::InvalidHeaderName),
        }
        while matches!(w.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let value_start = i;
        i += bytes::field_value_len(w.get(i..).unwrap_or(&[]));
        match w.get(i) {
            None => return Ok(None),
            Some(b'\r') => match w.get(i + 1) {
                Some(b'\n') => {}
                None => return Ok(None),
                Some(_) => return Err(RequestError::BareCr),
            },
            Some(b'\n') => return Err(RequestError::BareLf),
            Some(0) => return Err(RequestError::HeaderValueNul),
            Some(_) => return Err(RequestError::InvalidHeaderValue),
        }
        // The value ends before trailing whitespace.
        let mut value_end = i;
        while value_end > value_start && matches!(w.get(value_end - 1), Some(b' ' | b'\t')) {
            value_end -= 1;
        }
        let field = HeaderSpan {
            name: Span::new(name_start as u32, name_end as u32),
            value: Span::new(value_start as u32, value_end as u32),
        };
        // `count` < `capacity` <= `spans.len()`, checked at the name.
        let slot = spans.get_mut(count).ok_or(RequestError::TooManyHeaders)?;
        *slot = field;
        count += 1;
        fields.read(w, field);
        i += 2;
    }
}

/// What the fields that decide framing, persistence, `Host` and `Expect` have said so far.
#[derive(Clone, Copy, Debug, Default)]
struct Fields {
    host: Option<Span>,
    content_length: Option<u64>,
    /// What was seen, as the bits below.
    seen: u16,
    /// The first rule a field broke, reported once the head is complete (after any error in
    /// the field lines' syntax, which comes first).
    error: Option<RequestError>,
}

/// A `Transfer-Encoding` line.
const SEEN_TRANSFER_ENCODING: u16 = 1;
/// A `chunked` coding.
const SEEN_CHUNKED: u16 = 2;
/// A second `chunked` coding.
const SEEN_CHUNKED_TWICE: u16 = 4;
/// A coding other than `chunked`.
const SEEN_OTHER_CODING: u16 = 8;
/// The last coding so far is `chunked`.
const LAST_IS_CHUNKED: u16 = 16;
/// `Connection: close`.
const SEEN_CLOSE: u16 = 32;
/// `Connection: keep-alive`.
const SEEN_KEEP_ALIVE: u16 = 64;
/// `Expect: 100-continue`.
const SEEN_CONTINUE: u16 = 128;
/// Another expectation.
const SEEN_OTHER_EXPECTATION: u16 = 256;

/// The field names that matter, lower case; their indices are the constants below.
const NAMES: [&[u8]; 5] = [
    b"host",
    b"content-length",
    b"transfer-encoding",
    b"connection",
    b"expect",
];
const HOST: usize = 0;
const CONTENT_LENGTH: usize = 1;
const TRANSFER_ENCODING: usize = 2;
const CONNECTION: usize = 3;
const EXPECT: usize = 4;

/// [`<[u8]>::eq_ignore_ascii_case`]: inlined for speed on 64-bit targets, elsewhere once in
/// the image instead of at every use.
#[cfg_attr(target_pointer_width = "64", inline)]
#[cfg_attr(not(target_pointer_width = "64"), inline(never))]
fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl Fields {
    /// Whether `bit` was seen.
    const fn saw(&self, bit: u16) -> bool {
        self.seen & bit != 0
    }

    /// Records `bit` when `yes`.
    fn mark(&mut self, bit: u16, yes: bool) {
        if yes {
            self.seen |= bit;
        }
    }

    /// Takes one field into account, unless an earlier one already broke a rule.
    fn read(&mut self, w: &[u8], field: HeaderSpan) {
        if self.error.is_some() {
            return;
        }
        let name = field.name.slice(w);
        // Only five names matter; their lengths differ, so most fields are passed over on
        // their length alone, before their bytes are read.
        if !matches!(name.len(), 4 | 6 | 10 | 14 | 17) {
            return;
        }
        let Some(which) = NAMES
            .iter()
            .position(|known| known.len() == name.len() && eq_ignore_case(name, known))
        else {
            return;
        };
        if let Err(error) = self.field(which, field.value.slice(w), field.value) {
            self.error = Some(error);
        }
    }

    /// Reads the value of the field named `NAMES[which]`.
    fn field(&mut self, which: usize, value: &[u8], span: Span) -> Result<(), RequestError> {
        match which {
            HOST => {
                if self.host.is_some() {
                    return Err(RequestError::DuplicateHost);
                }
                if !value.is_empty() {
                    target::validate_host(value).map_err(|_| RequestError::InvalidHost)?;
                }
                self.host = Some(span);
                return Ok(());
            }
            CONTENT_LENGTH => {
                if self.content_length.is_some() {
                    return Err(RequestError::DuplicateContentLength);
                }
                self.content_length = Some(parse_content_length(value)?);
                return Ok(());
            }
            _ => {}
        }
        // The three list-valued fields share one walk over their items.
        let (invalid, item_bit, other_bit, word) = match which {
            TRANSFER_ENCODING => (
                RequestError::InvalidTransferEncoding,
                SEEN_CHUNKED,
                SEEN_OTHER_CODING,
                &b"chunked"[..],
            ),
            CONNECTION => (
                RequestError::InvalidConnection,
                SEEN_CLOSE,
                0,
                &b"close"[..],
            ),
            _ => (
                RequestError::UnsupportedExpectation,
                SEEN_CONTINUE,
                SEEN_OTHER_EXPECTATION,
                &b"100-continue"[..],
            ),
        };
        let mut empty = true;
        for item in header::list_items(value) {
            empty = false;
            // A transfer coding's name ends at its parameters.
            let (name, params) = match item.iter().position(|&b| b == b';') {
                Some(semi) if which == TRANSFER_ENCODING => {
                    (header::trim_ows(item.get(..semi).unwrap_or(item)), true)
                }
                _ => (item, false),
            };
            if which != EXPECT && !header::is_token(name) {
                return Err(invalid);
            }
            let known = eq_ignore_case(name, word);
            if known && params {
                return Err(invalid);
            }
            if which == TRANSFER_ENCODING {
                self.mark(SEEN_CHUNKED_TWICE, known && self.saw(SEEN_CHUNKED));
                self.seen &= !LAST_IS_CHUNKED;
                self.mark(LAST_IS_CHUNKED, known);
            }
            if which == CONNECTION {
                self.mark(SEEN_KEEP_ALIVE, eq_ignore_case(name, b"keep-alive"));
            }
            self.mark(if known { item_bit } else { other_bit }, true);
        }
        if which == TRANSFER_ENCODING {
            if empty {
                return Err(invalid);
            }
            self.seen |= SEEN_TRANSFER_ENCODING;
        }
        Ok(())
    }

    /// The body's framing, once every field is read: first the rule a field broke, then the
    /// cross-field rules in order: Host, framing, size. (The expectation comes last.)
    /// `has_authority` says the target names its own authority, which an empty `Host` would
    /// contradict.
    fn framing(
        &self,
        http10: bool,
        has_authority: bool,
        limits: &Limits,
    ) -> Result<BodyFraming, RequestError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        match self.host {
            None if !http10 => return Err(RequestError::MissingHost),
            Some(host) if has_authority && host.is_empty() => {
                return Err(RequestError::InvalidHost);
            }
            _ => {}
        }
        Err(match self.content_length {
            _ if !self.saw(SEEN_TRANSFER_ENCODING) => {
                return match self.content_length {
                    Some(length) if length > limits.max_body_bytes => {
                        Err(RequestError::ContentTooLarge)
                    }
                    Some(length) => Ok(BodyFraming::ContentLength(length)),
                    None => Ok(BodyFraming::None),
                };
            }
            Some(_) => RequestError::ContentLengthWithTransferEncoding,
            None if http10 => RequestError::TransferEncodingInHttp10,
            None if !self.saw(LAST_IS_CHUNKED) => RequestError::ChunkedNotFinal,
            None if self.saw(SEEN_CHUNKED_TWICE) => RequestError::ChunkedTwice,
            None if self.saw(SEEN_OTHER_CODING) => RequestError::UnsupportedTransferCoding,
            None => return Ok(BodyFraming::Chunked),
        })
    }
}

/// `1*DIGIT` within `u64`.
fn parse_content_length(value: &[u8]) -> Result<u64, RequestError> {
    if value.is_empty() {
        return Err(RequestError::InvalidContentLength);
    }
    value.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return Err(RequestError::InvalidContentLength);
        }
        acc.checked_mul(10)
            .and_then(|acc| acc.checked_add(u64::from(b - b'0')))
            .ok_or(RequestError::InvalidContentLength)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values are trimmed of surrounding whitespace; an empty value sits where its line ends.
    #[test]
    fn field_spans() {
        let input = b"GET / HTTP/1.1\r\nHost:a\r\nA: \t x \t\r\nB:\r\nC:  \t \r\nD: 1 2\r\n\r\n";
        let mut spans = [HeaderSpan::EMPTY; 8];
        let Ok(Parse::Complete(head)) = parse(input, &Limits::DEFAULT, &mut spans) else {
            panic!("complete");
        };
        assert_eq!(head.head_len(), input.len());
        let req = head.view(input, &spans);
        let values: std::vec::Vec<_> = req.headers().iter().map(|h| h.value).collect();
        assert_eq!(values, [&b"a"[..], b"x", b"", b"", b"1 2"]);
        assert_eq!(spans[2].value, Span::new(36, 36));
        assert_eq!(spans[3].value, Span::new(44, 44));
    }

    #[test]
    fn versions() {
        let run = |v: &str| {
            let head = std::format!("GET / {v}\r\nHost: a\r\n\r\n");
            let mut spans = [HeaderSpan::EMPTY; 4];
            parse(head.as_bytes(), &Limits::DEFAULT, &mut spans).map(|parsed| match parsed {
                Parse::Complete(head) => Some(head.version()),
                Parse::Partial => None,
            })
        };
        use RequestError::{InvalidVersion as Invalid, UnsupportedVersion as Unsupported};
        for (v, want) in [
            ("HTTP/1.1", Ok(Some(Version::Http11))),
            ("HTTP/1.0", Ok(Some(Version::Http10))),
            ("HTTP/2.0", Err(Unsupported)),
            ("HTTP/3", Err(Invalid)),
            ("HTTP/1.10", Err(Invalid)),
            ("HTTP/11.1", Err(Invalid)),
            ("HTTP/1.2", Err(Unsupported)),
            ("HTTP/0.9", Err(Unsupported)),
            ("http/1.1", Err(Invalid)),
            ("HTTP/1.", Err(Invalid)),
            ("HTTP/.1", Err(Invalid)),
            ("HTTP/", Err(Invalid)),
            ("HTTP/1.1.1", Err(Invalid)),
            ("HTTPS/1.1", Err(Invalid)),
        ] {
            assert_eq!(run(v), want, "{v}");
        }
    }

    /// Line endings are checked at every field line and at the blank line, whatever the
    /// line's position relative to the word-at-a-time value scan.
    #[test]
    fn crlf_checked_at_every_line_end() {
        use std::string::String;

        let head = |fields: usize, bare_lf_at: Option<usize>| {
            let mut s = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
            for n in 0..fields {
                s.push_str("X-F: v \t");
                s.push_str(if bare_lf_at == Some(n) { "\n" } else { "\r\n" });
            }
            s.push_str("\r\n");
            s
        };
        let mut spans = [HeaderSpan::EMPTY; 64];
        for fields in [0, 1, 2, 7, 8, 9, 16, 17] {
            let ok = head(fields, None);
            let got = parse(ok.as_bytes(), &Limits::DEFAULT, &mut spans);
            assert!(matches!(got, Ok(Parse::Complete(_))), "{fields} fields");
            for at in 0..fields {
                let bad = head(fields, Some(at));
                let got = parse(bad.as_bytes(), &Limits::DEFAULT, &mut spans);
                assert_eq!(
                    got,
                    Err(RequestError::BareLf),
                    "{fields} fields, bare LF at {at}"
                );
            }
        }
    }

    /// The target scan stops one byte past the limit: a target of exactly the limit is
    /// served, one byte more is 414, complete or not.
    #[test]
    fn target_limit_boundary() {
        use std::string::String;

        let limits = Limits {
            max_target_bytes: 8,
            ..Limits::DEFAULT
        };
        let mut spans = [HeaderSpan::EMPTY; 4];
        let run = |target: &str, rest: &str, spans: &mut [HeaderSpan]| {
            let mut s = String::from("GET ");
            s.push_str(target);
            s.push_str(rest);
            parse(s.as_bytes(), &limits, spans).map(|p| matches!(p, Parse::Complete(_)))
        };
        let rest = " HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(run("/1234567", rest, &mut spans), Ok(true));
        assert_eq!(
            run("/12345678", rest, &mut spans),
            Err(RequestError::TargetTooLong)
        );
        assert_eq!(run("/1234567", "", &mut spans), Ok(false));
        assert_eq!(
            run("/12345678", "", &mut spans),
            Err(RequestError::TargetTooLong)
        );
    }

    #[test]
    fn error_labels_are_unique_and_statuses_in_range() {
        for (i, a) in RequestError::ALL.iter().enumerate() {
            assert!(matches!(
                a.status().code(),
                400 | 413 | 414 | 417 | 431 | 501 | 505
            ));
            for b in &RequestError::ALL[i + 1..] {
                assert_ne!(a, b);
                assert_ne!(a.as_str(), b.as_str());
            }
        }
    }

    #[test]
    fn bytewise_text_agrees_with_from_utf8() {
        let rows: &[&[u8]] = &[
            b"",
            b"/index.html",
            b"GET",
            "/caf\u{e9}".as_bytes(),
            "\u{1f600}".as_bytes(),
            b"/a\xff",
            b"\xc3",
            b"ab\xe2\x82",
            b"\x80abc",
            b"ok\xed\xa0\x80",
        ];
        for row in rows {
            assert_eq!(
                text_bytewise(row),
                core::str::from_utf8(row).ok(),
                "{row:?}"
            );
        }
    }
}
