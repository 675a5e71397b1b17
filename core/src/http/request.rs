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
//!   `uri-host [ ":" port ]` without userinfo. An empty value is accepted for every target
//!   form (RFC 9112 section 3.2 allows it when the target URI has no authority; the target's
//!   own authority wins otherwise). For an absolute-form target, the target's authority takes
//!   precedence over `Host` (RFC 9112 section 3.2.2); see [`Request::authority`].
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
use super::header::{self, HeaderSpan, Headers, Span};
use super::method::Method;
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
    match parse_window(window, limits, spans)? {
        Step::Done(head) => Ok(Parse::Complete(head)),
        Step::More(_) if buf.len() < limit => Ok(Parse::Partial),
        Step::More(Stage::Target) => Err(RequestError::TargetTooLong),
        Step::More(Stage::Head) => Err(RequestError::HeadTooLarge),
    }
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
        Method::parse(self.head.method.slice(self.buf)).unwrap_or(Method::Extension(""))
    }

    /// The request-target.
    pub fn target(&self) -> Target<'b> {
        let raw = core::str::from_utf8(self.head.target.slice(self.buf)).unwrap_or("");
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
        core::str::from_utf8(host).ok()
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
    /// A `Host` value that is not empty or `uri-host [ ":" port ]`. 400.
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

/// Offsets are `u32`, so a head is never examined beyond 4 GiB whatever the limit says.
const MAX_HEAD_BYTES: usize = u32::MAX as usize;

/// httparse header slots per call; more fields are parsed in further batches, so the stack
/// cost stays fixed whatever `max_headers` is.
const BATCH: usize = 16;

/// Where an incomplete head stopped, to pick the status when the buffer is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Inside the request-target: 414.
    Target,
    /// Anywhere else: 431.
    Head,
}

/// One parsing step: done, or more bytes needed.
#[derive(Clone, Copy, Debug)]
enum Step<T> {
    Done(T),
    More(Stage),
}

/// The request line's parts, as offsets into the window.
#[derive(Clone, Copy, Debug)]
struct RequestLine {
    method: Span,
    target: Span,
    version: Version,
    /// Offset just past the line's CRLF.
    end: usize,
}

fn parse_window(
    w: &[u8],
    limits: &Limits,
    spans: &mut [HeaderSpan],
) -> Result<Step<RequestHead>, RequestError> {
    let line = match request_line(w, limits.max_target_bytes)? {
        Step::Done(line) => line,
        Step::More(stage) => return Ok(Step::More(stage)),
    };
    let method = Method::parse(line.method.slice(w)).map_err(|_| RequestError::InvalidMethod)?;
    let target_layout =
        target::parse_layout(line.target.slice(w)).map_err(|_| RequestError::InvalidTarget)?;
    if !target_layout.form().is_allowed_for(&method) {
        return Err(RequestError::TargetFormMismatch);
    }
    let capacity = limits.max_headers.min(spans.len());
    let (head_len, count) = match header_block(w, line.end, spans, capacity)? {
        Step::Done(done) => done,
        Step::More(stage) => return Ok(Step::More(stage)),
    };
    let stored = spans.get(..count).unwrap_or(&[]);
    let fields = fields(w, stored, line.version, limits)?;
    Ok(Step::Done(RequestHead {
        head_len: offset(head_len)?,
        method: line.method,
        target: line.target,
        target_layout,
        version: line.version,
        header_count: offset(count)?,
        host: fields.host,
        framing: fields.framing,
        persistence: fields.persistence,
        expectation: fields.expectation,
    }))
}

fn offset(n: usize) -> Result<u32, RequestError> {
    u32::try_from(n).map_err(|_| RequestError::HeadTooLarge)
}

fn span(start: usize, end: usize) -> Result<Span, RequestError> {
    Ok(Span::new(offset(start)?, offset(end)?))
}

/// Scans `[CRLF...] method SP target SP version CRLF`, reporting bad bytes as soon as they
/// are seen.
fn request_line(w: &[u8], max_target: usize) -> Result<Step<RequestLine>, RequestError> {
    // Empty lines before the request line (RFC 9112 section 2.2).
    let mut i = 0usize;
    loop {
        match (w.get(i), w.get(i + 1)) {
            (None, _) | (Some(b'\r'), None) => return Ok(Step::More(Stage::Head)),
            (Some(b'\r'), Some(b'\n')) => i += 2,
            (Some(b'\r'), Some(_)) => return Err(RequestError::BareCr),
            (Some(b'\n'), _) => return Err(RequestError::BareLf),
            (Some(_), _) => break,
        }
    }

    let method_start = i;
    while w.get(i).is_some_and(|&b| header::is_tchar(b)) {
        i += 1;
    }
    match w.get(i) {
        None => return Ok(Step::More(Stage::Head)),
        Some(b' ') if i > method_start => i += 1,
        Some(b' ') => return Err(RequestError::InvalidRequestLine),
        Some(_) => return Err(RequestError::InvalidMethod),
    }
    let method = span(method_start, i - 1)?;

    let target_start = i;
    // Look at one byte past the longest allowed target, so the scan is bounded and a target
    // that keeps going is 414 as soon as it passes the limit.
    let rest = w.get(target_start..).unwrap_or(&[]);
    let scan = rest.get(..max_target.saturating_add(1)).unwrap_or(rest);
    match scan.iter().position(|&b| !target::is_target_byte(b)) {
        Some(len) if len <= max_target => i += len,
        Some(_) => return Err(RequestError::TargetTooLong),
        None if scan.len() > max_target => return Err(RequestError::TargetTooLong),
        None => return Ok(Step::More(Stage::Target)),
    }
    match w.get(i) {
        Some(b' ') if i > target_start => i += 1,
        Some(b' ' | b'\r' | b'\n') => return Err(RequestError::InvalidRequestLine),
        _ => return Err(RequestError::InvalidTarget),
    }
    let target = span(target_start, i - 1)?;

    let version_start = i;
    // The two versions served, checked whole; anything else takes the byte-wise scan below,
    // which names the error.
    match w.get(i..i + 10) {
        Some(b"HTTP/1.1\r\n") => return done(method, target, Version::Http11, i + 10),
        Some(b"HTTP/1.0\r\n") => return done(method, target, Version::Http10, i + 10),
        _ => {}
    }
    loop {
        match w.get(i) {
            None => return Ok(Step::More(Stage::Head)),
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
    let version_bytes = w.get(version_start..i).unwrap_or(&[]);
    match (w.get(i), w.get(i + 1)) {
        (Some(b'\r'), Some(b'\n')) => {}
        (Some(b'\r'), None) => return Ok(Step::More(Stage::Head)),
        (Some(b'\r'), Some(_)) => return Err(RequestError::BareCr),
        _ => return Err(RequestError::BareLf),
    }
    let version = version(version_bytes)?;
    done(method, target, version, i + 2)
}

/// A complete request line, ending just before `end`.
#[inline]
fn done(
    method: Span,
    target: Span,
    version: Version,
    end: usize,
) -> Result<Step<RequestLine>, RequestError> {
    Ok(Step::Done(RequestLine {
        method,
        target,
        version,
        end,
    }))
}

/// Longest version token examined before it is called malformed.
const MAX_VERSION_LEN: usize = 16;

/// `HTTP/1.0` or `HTTP/1.1`; another `HTTP/<digits>[.<digits>]` is 505, the rest 400.
fn version(bytes: &[u8]) -> Result<Version, RequestError> {
    match bytes {
        b"HTTP/1.1" => return Ok(Version::Http11),
        b"HTTP/1.0" => return Ok(Version::Http10),
        _ => {}
    }
    let Some(number) = bytes.strip_prefix(b"HTTP/") else {
        return Err(RequestError::InvalidVersion);
    };
    let all_digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    let well_formed = match number.iter().position(|&b| b == b'.') {
        Some(dot) => {
            let (major, minor) = number.split_at(dot);
            all_digits(major) && all_digits(minor.get(1..).unwrap_or(&[]))
        }
        None => all_digits(number),
    };
    if well_formed {
        Err(RequestError::UnsupportedVersion)
    } else {
        Err(RequestError::InvalidVersion)
    }
}

/// Parses the field lines from `start` through the blank line with httparse, in batches of
/// [`BATCH`], recording each field's span and checking what httparse accepts but this server
/// does not (bare LF). Returns the head's end and the number of fields.
fn header_block(
    w: &[u8],
    start: usize,
    spans: &mut [HeaderSpan],
    capacity: usize,
) -> Result<Step<(usize, usize)>, RequestError> {
    let mut scratch = [httparse::EMPTY_HEADER; BATCH];
    let mut pos = start;
    let mut count = 0usize;
    loop {
        // `count` never exceeds `capacity`: each batch holds at most the room left. `batch` is
        // at most `BATCH`, so slicing `scratch` with it below is in bounds.
        let batch = capacity.saturating_sub(count).min(BATCH);
        let block_start = pos;
        let block = w.get(block_start..).unwrap_or(&[]);
        match httparse::parse_headers(block, &mut scratch[..batch]) {
            Ok(httparse::Status::Complete((len, parsed))) => {
                let end = block_start.saturating_add(len);
                // The blank line must be CRLF, not a bare LF.
                if end < 2 || w.get(end - 2..end) != Some(b"\r\n".as_slice()) {
                    return Err(RequestError::BareLf);
                }
                if !parsed.is_empty() {
                    // The last field line ends where the blank line starts.
                    record_batch(w, parsed, end - 2, spans, &mut count)?;
                }
                return Ok(Step::Done((end, count)));
            }
            Ok(httparse::Status::Partial) => return Ok(Step::More(Stage::Head)),
            Err(httparse::Error::TooManyHeaders) if batch > 0 => {
                // httparse filled every slot of the batch before it met one more field; the
                // next batch starts at that field, after the last one's line.
                let last = &scratch[batch - 1]; // `batch` > 0 and at most `scratch.len()`.
                let value_end = start_of(w, last.value)?.saturating_add(last.value.len());
                pos = line_end_after(w, value_end)?;
                record_batch(w, &scratch[..batch], pos, spans, &mut count)?;
            }
            Err(httparse::Error::TooManyHeaders) => return Err(RequestError::TooManyHeaders),
            Err(other) => return Err(classify(block, other)),
        }
    }
}

/// Stores the spans of `fields`, which httparse parsed from consecutive lines of `w`, the
/// last of which ends at `end` (just past its LF), and checks that every line ends in CRLF.
///
/// httparse guarantees that each field line ends in LF and that every CR it accepted is
/// followed by LF, so the byte before a line's LF is CR exactly when the line ends in CRLF;
/// a line ends where the next field's name starts.
#[inline]
fn record_batch(
    w: &[u8],
    fields: &[httparse::Header<'_>],
    end: usize,
    spans: &mut [HeaderSpan],
    count: &mut usize,
) -> Result<(), RequestError> {
    let mut line_start: Option<usize> = None;
    for field in fields {
        let name_start = start_of(w, field.name.as_bytes())?;
        if line_start.is_some() {
            check_crlf_before(w, name_start)?;
        }
        line_start = Some(name_start);
        let value_start = start_of(w, field.value)?;
        // Both slices lie inside `w` (checked by `start_of`), so the sums cannot overflow.
        let name_end = name_start + field.name.len();
        let value_end = value_start + field.value.len();
        let slot = spans.get_mut(*count).ok_or(RequestError::TooManyHeaders)?;
        *slot = HeaderSpan {
            name: span(name_start, name_end)?,
            value: span(value_start, value_end)?,
        };
        *count += 1;
    }
    check_crlf_before(w, end)
}

/// Checks that the line ending just before `line_end` (an offset just past an LF) is CRLF.
#[inline]
fn check_crlf_before(w: &[u8], line_end: usize) -> Result<(), RequestError> {
    match line_end.checked_sub(2).and_then(|cr| w.get(cr)) {
        Some(b'\r') => Ok(()),
        _ => Err(RequestError::BareLf),
    }
}

/// The offset just past the line ending that follows a field value ending at `value_end`:
/// httparse trimmed trailing whitespace, and the line must then end in CRLF.
fn line_end_after(w: &[u8], value_end: usize) -> Result<usize, RequestError> {
    let mut i = value_end;
    while matches!(w.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    match (w.get(i), w.get(i + 1)) {
        (Some(b'\r'), Some(b'\n')) => Ok(i + 2),
        (Some(b'\n'), _) => Err(RequestError::BareLf),
        _ => Err(RequestError::InvalidHeaderValue),
    }
}

/// The offset of `part` within `w`, when `part` is a sub-slice of it.
fn start_of(w: &[u8], part: &[u8]) -> Result<usize, RequestError> {
    let start = part
        .as_ptr()
        .addr()
        .checked_sub(w.as_ptr().addr())
        .filter(|&start| {
            start
                .checked_add(part.len())
                .is_some_and(|end| end <= w.len())
        });
    // httparse returns sub-slices of its input; anything else would be a bug there.
    start.ok_or(RequestError::InvalidHeaderName)
}

/// Names the rule a field block breaks, after httparse rejected it: walks the lines in order
/// and reports the first problem. Only runs on the error path.
fn classify(block: &[u8], fallback: httparse::Error) -> RequestError {
    let mut i = 0usize;
    loop {
        match block.get(i) {
            None => break,
            Some(b' ' | b'\t') => return RequestError::ObsFold,
            Some(b'\n') => return RequestError::BareLf,
            Some(b'\r') => {
                return match block.get(i + 1) {
                    Some(b'\n') | None => fallback_error(fallback),
                    Some(_) => RequestError::BareCr,
                };
            }
            Some(_) => {}
        }
        let name_start = i;
        while block.get(i).is_some_and(|&b| header::is_tchar(b)) {
            i += 1;
        }
        match block.get(i) {
            None => break,
            Some(b':') if i > name_start => i += 1,
            // Decided at the whitespace, whatever follows, so the answer does not depend on
            // how much of the line has arrived.
            Some(b' ' | b'\t') if i > name_start => return RequestError::WhitespaceBeforeColon,
            Some(_) => return RequestError::InvalidHeaderName,
        }
        loop {
            match block.get(i) {
                None => return fallback_error(fallback),
                Some(b'\r') => match block.get(i + 1) {
                    Some(b'\n') => {
                        i += 2;
                        break;
                    }
                    None => return fallback_error(fallback),
                    Some(_) => return RequestError::BareCr,
                },
                Some(b'\n') => return RequestError::BareLf,
                Some(0) => return RequestError::HeaderValueNul,
                Some(&b) if header::is_field_vchar(b) => i += 1,
                Some(_) => return RequestError::InvalidHeaderValue,
            }
        }
    }
    fallback_error(fallback)
}

fn fallback_error(error: httparse::Error) -> RequestError {
    match error {
        httparse::Error::HeaderValue => RequestError::InvalidHeaderValue,
        httparse::Error::NewLine => RequestError::BareCr,
        httparse::Error::TooManyHeaders => RequestError::TooManyHeaders,
        _ => RequestError::InvalidHeaderName,
    }
}

/// What the fields decide.
#[derive(Clone, Copy, Debug)]
struct Fields {
    host: Span,
    framing: BodyFraming,
    persistence: Persistence,
    expectation: Expectation,
}

/// What the `Transfer-Encoding` lines, taken together in order, have said so far.
#[derive(Clone, Copy, Debug, Default)]
struct Codings {
    /// `Transfer-Encoding` lines seen.
    lines: u32,
    /// `chunked` items seen.
    chunked: u32,
    /// Other codings seen.
    others: u32,
    /// Whether the last item so far is `chunked`.
    last_is_chunked: bool,
}

/// Reads the fields that decide framing, persistence, `Host` and `Expect`. Errors within a
/// field come in field order; then the cross-field rules: Host, framing, size, expectation.
fn fields(
    w: &[u8],
    spans: &[HeaderSpan],
    version: Version,
    limits: &Limits,
) -> Result<Fields, RequestError> {
    let mut host: Option<Span> = None;
    let mut content_length: Option<u64> = None;
    let mut codings = Codings::default();
    let mut close = false;
    let mut keep_alive = false;
    let mut expect_continue = false;
    let mut expect_other = false;

    for field in spans {
        // Only five names matter; their lengths differ, so most fields are passed over on
        // their length alone, before their bytes are read.
        if !matches!(field.name.len(), 4 | 6 | 10 | 14 | 17) {
            continue;
        }
        let name = field.name.slice(w);
        let value = field.value.slice(w);
        match name.len() {
            4 if name.eq_ignore_ascii_case(b"host") => {
                if host.is_some() {
                    return Err(RequestError::DuplicateHost);
                }
                if !value.is_empty() {
                    target::validate_host(value).map_err(|_| RequestError::InvalidHost)?;
                }
                host = Some(field.value);
            }
            6 if name.eq_ignore_ascii_case(b"expect") => {
                for item in header::list_items(value) {
                    if item.eq_ignore_ascii_case(b"100-continue") {
                        expect_continue = true;
                    } else {
                        expect_other = true;
                    }
                }
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for item in header::list_items(value) {
                    if !header::is_token(item) {
                        return Err(RequestError::InvalidConnection);
                    }
                    if item.eq_ignore_ascii_case(b"close") {
                        close = true;
                    } else if item.eq_ignore_ascii_case(b"keep-alive") {
                        keep_alive = true;
                    }
                }
            }
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                if content_length.is_some() {
                    return Err(RequestError::DuplicateContentLength);
                }
                content_length = Some(parse_content_length(value)?);
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                read_codings(value, &mut codings)?;
            }
            _ => {}
        }
    }

    if version == Version::Http11 && host.is_none() {
        return Err(RequestError::MissingHost);
    }
    let framing = match (content_length, codings.lines) {
        (Some(_), 1..) => return Err(RequestError::ContentLengthWithTransferEncoding),
        (_, 1..) if version == Version::Http10 => {
            return Err(RequestError::TransferEncodingInHttp10);
        }
        (_, 1..) => chunked_framing(&codings)?,
        (Some(length), 0) if length > limits.max_body_bytes => {
            return Err(RequestError::ContentTooLarge);
        }
        (Some(length), 0) => BodyFraming::ContentLength(length),
        (None, 0) => BodyFraming::None,
    };
    if expect_other {
        return Err(RequestError::UnsupportedExpectation);
    }
    let persistence = match (close, keep_alive, version) {
        (true, _, _) | (false, false, Version::Http10) => Persistence::Close,
        (false, true, Version::Http10) | (false, _, Version::Http11) => Persistence::KeepAlive,
    };
    let expectation = if expect_continue && version == Version::Http11 {
        Expectation::Continue
    } else {
        Expectation::Nothing
    };
    Ok(Fields {
        host: host.unwrap_or(Span::EMPTY),
        framing,
        persistence,
        expectation,
    })
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

/// Adds one `Transfer-Encoding` line's codings to `codings`.
fn read_codings(value: &[u8], codings: &mut Codings) -> Result<(), RequestError> {
    codings.lines = codings.lines.saturating_add(1);
    let mut items = 0u32;
    for item in header::list_items(value) {
        items = items.saturating_add(1);
        let (name, params) = match item.iter().position(|&b| b == b';') {
            // `semi` indexes `item`.
            Some(semi) => (header::trim_ows(&item[..semi]), true),
            None => (item, false),
        };
        if !header::is_token(name) {
            return Err(RequestError::InvalidTransferEncoding);
        }
        if name.eq_ignore_ascii_case(b"chunked") {
            if params {
                return Err(RequestError::InvalidTransferEncoding);
            }
            codings.chunked = codings.chunked.saturating_add(1);
            codings.last_is_chunked = true;
        } else {
            codings.others = codings.others.saturating_add(1);
            codings.last_is_chunked = false;
        }
    }
    if items == 0 {
        return Err(RequestError::InvalidTransferEncoding);
    }
    Ok(())
}

/// The framing the codings allow: exactly one `chunked`, last, and nothing else.
fn chunked_framing(codings: &Codings) -> Result<BodyFraming, RequestError> {
    if !codings.last_is_chunked {
        return Err(RequestError::ChunkedNotFinal);
    }
    if codings.chunked > 1 {
        return Err(RequestError::ChunkedTwice);
    }
    if codings.others > 0 {
        return Err(RequestError::UnsupportedTransferCoding);
    }
    Ok(BodyFraming::Chunked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The httparse behaviours this parser builds on, pinned so an upgrade that changes them
    /// fails here first.
    #[test]
    fn httparse_contract() {
        let mut two = [httparse::EMPTY_HEADER; 2];
        // Bare LF is accepted by httparse (so this parser checks it itself).
        assert!(matches!(
            httparse::parse_headers(b"A: 1\nB: 2\n\n", &mut two),
            Ok(httparse::Status::Complete(_))
        ));
        // On TooManyHeaders every slot is filled, in order.
        let mut one = [httparse::EMPTY_HEADER; 1];
        assert_eq!(
            httparse::parse_headers(b"A: 1\r\nB: 2\r\n\r\n", &mut one),
            Err(httparse::Error::TooManyHeaders)
        );
        assert_eq!(one[0].name, "A");
        assert_eq!(one[0].value, b"1");
        // Values are trimmed; an empty value points into the input.
        let input = b"A: \t x \t\r\nB:\r\n\r\n";
        let Ok(httparse::Status::Complete((len, parsed))) =
            httparse::parse_headers(input, &mut two)
        else {
            panic!("complete");
        };
        assert_eq!(len, input.len());
        assert_eq!(parsed[0].value, b"x");
        assert_eq!(start_of(input, parsed[1].value), Ok(12));
        // Whitespace before the colon, obs-fold, bare CR and NUL are errors.
        for bad in [
            &b"A : 1\r\n\r\n"[..],
            b"A: 1\r\n 2\r\n\r\n",
            b"A: 1\r2\r\n\r\n",
            b"A: 1\x002\r\n\r\n",
        ] {
            assert!(httparse::parse_headers(bad, &mut two).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(version(b"HTTP/1.1"), Ok(Version::Http11));
        assert_eq!(version(b"HTTP/1.0"), Ok(Version::Http10));
        assert_eq!(version(b"HTTP/2.0"), Err(RequestError::UnsupportedVersion));
        assert_eq!(version(b"HTTP/3"), Err(RequestError::UnsupportedVersion));
        assert_eq!(version(b"HTTP/1.2"), Err(RequestError::UnsupportedVersion));
        assert_eq!(version(b"HTTP/0.9"), Err(RequestError::UnsupportedVersion));
        assert_eq!(version(b"http/1.1"), Err(RequestError::InvalidVersion));
        assert_eq!(version(b"HTTP/1."), Err(RequestError::InvalidVersion));
        assert_eq!(version(b"HTTP/.1"), Err(RequestError::InvalidVersion));
        assert_eq!(version(b"HTTP/"), Err(RequestError::InvalidVersion));
        assert_eq!(version(b"HTTP/1.1.1"), Err(RequestError::InvalidVersion));
        assert_eq!(version(b"HTTPS/1.1"), Err(RequestError::InvalidVersion));
    }

    /// Line endings are checked where one field's line meets the next, at the blank line and
    /// across the boundary between httparse batches.
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
        for fields in [0, BATCH - 2, BATCH - 1, BATCH, BATCH + 1, 2 * BATCH] {
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
}
