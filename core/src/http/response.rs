//! The response encoder: status line, headers and framing, written into a caller's buffer, and a
//! chunked encoder for bodies whose length is not known up front.
//!
//! This module owns the bytes a server sends and the framing decision behind them. The caller
//! says what it has (a status, its own header fields, a body of known length or a stream, whether
//! the connection should stay open); the encoder picks `Content-Length`, `Transfer-Encoding:
//! chunked` or a close-delimited body, writes `Connection`, `Date` and `Server` itself, and tells
//! the caller what it must send next ([`BodyFraming`]) and whether to close afterwards.
//!
//! It must never write a response a recipient could split or mis-frame: header names must be
//! tokens, values must not hold CR, LF, NUL or other control bytes, and the caller cannot supply
//! the headers the encoder owns ([`RESERVED_HEADERS`]). It never uses `core::fmt` (digits are
//! written by hand), never allocates, and never writes a partial response: on any error the
//! caller's buffer is untouched.
//!
//! # Examples
//!
//! ```
//! use aurora_core::http::Status;
//! use aurora_core::http::date::Date;
//! use aurora_core::http::response::{
//!     encode_full, BodyFraming, EncodeContext, Persistence, ResponseHead, ServerName, Version,
//! };
//!
//! let date = Date::from_unix_secs(784_111_777);
//! let cx = EncodeContext {
//!     version: Version::Http11,
//!     head_request: false,
//!     date: Some(&date),
//!     server: ServerName::new("aurora").ok(),
//! };
//! let head = ResponseHead {
//!     status: Status::OK,
//!     headers: &[("Content-Type", b"text/plain")],
//!     persistence: Persistence::KeepAlive,
//! };
//! let mut out = [0u8; 256];
//! let done = encode_full(&head, b"hi", &cx, &mut out)?;
//! assert_eq!(
//!     &out[..done.len],
//!     b"HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: aurora\r\n\
//!       Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"
//! );
//! assert_eq!(done.body, BodyFraming::None);
//! assert_eq!(done.persistence, Persistence::KeepAlive);
//! # Ok::<(), aurora_core::http::response::EncodeError>(())
//! ```

use core::fmt;

use crate::http::bytes::{field_value_len, is_tchar, is_token};
use crate::http::date::Date;
use crate::http::status::Status;

/// The complete interim `100 Continue` response, sent before reading the body of a request that
/// carried `Expect: 100-continue`. Never send it to an HTTP/1.0 client.
pub const CONTINUE_100: &[u8; 25] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The last chunk of a chunked body with no trailer fields.
pub const LAST_CHUNK: &[u8; 5] = b"0\r\n\r\n";

/// Header names the encoder writes itself and a caller may not supply, compared
/// case-insensitively: the framing headers, `Connection`, `Date` and `Server`.
pub const RESERVED_HEADERS: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "date",
    "server",
];

const CRLF: &[u8] = b"\r\n";

/// The HTTP version of the request being answered: the request module's own type, re-exported
/// so a parsed head's version goes straight into an [`EncodeContext`]. The response line always
/// says `HTTP/1.1` (a server sends its own version); the request's version decides framing and
/// `Connection`.
pub use crate::http::request::Version;

/// Whether the connection stays open after a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Persistence {
    /// Keep the connection open for another request.
    KeepAlive,
    /// Close the connection after this response.
    Close,
}

/// What the caller knows about the body it is about to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BodyKind {
    /// No body. Framed as `Content-Length: 0` where a body is allowed, exactly like `Length(0)`.
    Empty,
    /// A body of exactly this many bytes.
    Length(u64),
    /// A body of unknown length, produced piece by piece.
    Streamed,
}

/// What the caller must send after the encoded bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BodyFraming {
    /// Nothing: the response is complete (no body, a `HEAD` response, or the body was written).
    None,
    /// Exactly this many raw body bytes.
    Length(u64),
    /// The body through a [`ChunkedEncoder`], ending with its [`finish`](ChunkedEncoder::finish).
    Chunked,
    /// Raw body bytes, then close the connection: the close marks the body's end.
    UntilClose,
}

/// A response's status line and the caller's own header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseHead<'a> {
    /// The status; its code and standard reason phrase form the status line.
    pub status: Status,
    /// Header fields as `(name, value)`, written in this order. Names must be tokens and not in
    /// [`RESERVED_HEADERS`]; values must be the exact field value: no control bytes other than
    /// HTAB, and no leading or trailing space or HTAB.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// Whether the server means to keep the connection open. The encoder may still close (a
    /// streamed body to an HTTP/1.0 client); [`Encoded::persistence`] has the last word.
    pub persistence: Persistence,
}

/// Facts about the request being answered, and the server-wide header values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeContext<'a> {
    /// The request's HTTP version.
    pub version: Version,
    /// Whether the request method was `HEAD`: framing headers describe the body a `GET` would
    /// get, but no body is sent.
    pub head_request: bool,
    /// The `Date` value, or `None` for a server without a wall clock (RFC 9110 §6.6.1).
    pub date: Option<&'a Date>,
    /// The `Server` value, if any.
    pub server: Option<ServerName<'a>>,
}

/// A validated `Server` header value. Build it once at start-up; `new` is `const`, so a constant
/// name can be checked at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ServerName<'a> {
    name: &'a str,
}

/// The outcome of a successful encode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Encoded {
    /// Bytes written at the start of the caller's buffer.
    pub len: usize,
    /// What the caller must send next.
    pub body: BodyFraming,
    /// Whether the connection stays open once the body is sent. For an interim (1xx) response
    /// it is always [`Persistence::KeepAlive`]: the final response decides.
    pub persistence: Persistence,
}

/// Why a response head could not be encoded. Nothing was written in any case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is shorter than the encoding; [`head_len`] tells how long it must be.
    BufferTooSmall,
    /// A header name is not a token, or a value holds a control byte or surrounding whitespace.
    InvalidHeader,
    /// A header the encoder owns ([`RESERVED_HEADERS`]) was supplied by the caller.
    ReservedHeader,
    /// A body was given for a status that never has one (1xx, 204, 304).
    BodyForbidden,
    /// An interim (1xx) response was addressed to an HTTP/1.0 client, which cannot receive one.
    InterimForHttp10,
}

/// A chunked-body encoder for one response. It writes data chunks, then the last chunk with
/// optional trailer fields, and refuses to write anything after that.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ChunkedEncoder {
    state: ChunkedState,
}

/// Where a chunked body stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum ChunkedState {
    /// Data chunks may follow.
    #[default]
    Open,
    /// The last chunk was written; the body is complete.
    Finished,
}

/// Why a chunk could not be encoded. Nothing was written in any case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ChunkError {
    /// The output buffer is shorter than the chunk with its framing; see [`max_chunk_data`].
    BufferTooSmall,
    /// The last chunk was already written.
    Finished,
    /// A trailer name is not a token, or a value holds a control byte or surrounding whitespace.
    InvalidTrailer,
    /// A trailer named a header the encoder owns ([`RESERVED_HEADERS`]).
    ReservedTrailer,
}

/// Encodes a response head (status line, headers, blank line) at the start of `out`.
///
/// The encoder chooses the framing from `body`, the status and `cx`:
///
/// | status | request | `body` | framing headers | [`Encoded::body`] |
/// |---|---|---|---|---|
/// | 1xx | any | `Empty` | none (101 gets `Connection: upgrade`) | `None` |
/// | 204, 304 | any | `Empty` | none | `None` |
/// | other | `HEAD` | `Empty`/`Length(n)` | `Content-Length: n` | `None` |
/// | other | `HEAD` | `Streamed` | none | `None` |
/// | other | any other | `Empty`/`Length(n)` | `Content-Length: n` | `Length(n)` (`None` if 0) |
/// | other | HTTP/1.1 | `Streamed` | `Transfer-Encoding: chunked` | `Chunked` |
/// | other | HTTP/1.0 | `Streamed` | none, and the connection closes | `UntilClose` |
///
/// `Connection: close` is written whenever the connection will close; `Connection: keep-alive`
/// when an HTTP/1.0 client's connection stays open. `Date` and `Server` come from `cx` and are
/// written on final responses only.
///
/// # Errors
///
/// [`EncodeError`]; on error `out` is left unchanged, so nothing partial can be sent.
pub fn encode_head(
    head: &ResponseHead<'_>,
    body: BodyKind,
    cx: &EncodeContext<'_>,
    out: &mut [u8],
) -> Result<Encoded, EncodeError> {
    encode(head, body, &[], cx, out, Check::Fields, Space::Kept)
}

/// Encodes a complete response with a body already in memory: the head as [`encode_head`] would
/// write it for `BodyKind::Length(body.len())`, then the body unless the request was `HEAD`.
/// The result's [`body`](Encoded::body) is always [`BodyFraming::None`].
///
/// # Errors
///
/// [`EncodeError`], including [`BodyForbidden`](EncodeError::BodyForbidden) for a non-empty
/// `body` with a 1xx, 204 or 304 status. On error `out` is left unchanged.
pub fn encode_full(
    head: &ResponseHead<'_>,
    body: &[u8],
    cx: &EncodeContext<'_>,
    out: &mut [u8],
) -> Result<Encoded, EncodeError> {
    encode_full_as(head, body, cx, out, Check::Fields, Space::Kept)
}

/// [`encode_full`], checking the header fields as `check` says, into `out` as `space` says.
pub(crate) fn encode_full_as(
    head: &ResponseHead<'_>,
    body: &[u8],
    cx: &EncodeContext<'_>,
    out: &mut [u8],
    check: Check,
    space: Space,
) -> Result<Encoded, EncodeError> {
    let encoded = encode(
        head,
        BodyKind::Length(body.len() as u64),
        body,
        cx,
        out,
        check,
        space,
    )?;
    Ok(Encoded {
        body: BodyFraming::None,
        ..encoded
    })
}

/// [`encode_head`], checking the header fields as `check` says, into `out` as `space` says.
pub(crate) fn encode_head_as(
    head: &ResponseHead<'_>,
    body: BodyKind,
    cx: &EncodeContext<'_>,
    out: &mut [u8],
    check: Check,
    space: Space,
) -> Result<Encoded, EncodeError> {
    encode(head, body, &[], cx, out, check, space)
}

/// Whether an encode checks the caller's header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// Check every field, as the public encoders do.
    Fields,
    /// The fields are a [`CheckedFields`]: checked when it was built.
    Done,
}

/// Header fields checked once, where they are made, so that the responses carrying them are
/// not checked again: build them in a `const` and a bad field fails the build.
///
/// ```
/// use aurora_core::http::response::CheckedFields;
///
/// const TEXT: CheckedFields<'static> =
///     match CheckedFields::new(&[("Content-Type", b"text/plain; charset=utf-8")]) {
///         Ok(fields) => fields,
///         Err(_) => panic!("invalid header field"),
///     };
/// assert_eq!(TEXT.fields().len(), 1);
/// assert!(CheckedFields::new(&[("Content-Length", b"1")]).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckedFields<'a> {
    fields: &'a [(&'a str, &'a [u8])],
}

impl<'a> CheckedFields<'a> {
    /// No fields.
    pub const EMPTY: Self = Self { fields: &[] };

    /// Checks `fields` as the encoder would (see [`ResponseHead::headers`]).
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidHeader`] or [`EncodeError::ReservedHeader`] for the first bad
    /// field.
    pub const fn new(fields: &'a [(&'a str, &'a [u8])]) -> Result<Self, EncodeError> {
        let mut i = 0;
        while i < fields.len() {
            let (name, value) = fields[i];
            if !is_token_const(name.as_bytes()) || !is_field_value(value) {
                return Err(EncodeError::InvalidHeader);
            }
            if is_reserved(name) {
                return Err(EncodeError::ReservedHeader);
            }
            i += 1;
        }
        Ok(Self { fields })
    }

    /// The fields, for a [`ResponseHead`].
    pub const fn fields(&self) -> &'a [(&'a str, &'a [u8])] {
        self.fields
    }
}

/// [`is_token`] for `const` contexts, a byte at a time.
const fn is_token_const(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if !is_tchar(bytes[i]) {
            return false;
        }
        i += 1;
    }
    !bytes.is_empty()
}

/// The exact number of bytes [`encode_head`] writes for these arguments, so a caller can pick a
/// buffer before encoding.
///
/// # Errors
///
/// The same as [`encode_head`], except that it never returns
/// [`BufferTooSmall`](EncodeError::BufferTooSmall).
pub fn head_len(
    head: &ResponseHead<'_>,
    body: BodyKind,
    cx: &EncodeContext<'_>,
) -> Result<usize, EncodeError> {
    head_len_as(head, body, cx, Check::Fields)
}

/// [`head_len`], checking the header fields as `check` says.
pub(crate) fn head_len_as(
    head: &ResponseHead<'_>,
    body: BodyKind,
    cx: &EncodeContext<'_>,
    check: Check,
) -> Result<usize, EncodeError> {
    let plan = Plan::checked(head, body, cx, check)?;
    Ok(plan.emit(head, cx, &mut Sink::counter()))
}

/// Checks one header field as [`encode_head`] would, so a caller can reject a bad field where
/// it is produced rather than when the response is encoded.
///
/// # Errors
///
/// [`EncodeError::InvalidHeader`] or [`EncodeError::ReservedHeader`].
pub fn check_header(name: &str, value: &[u8]) -> Result<(), EncodeError> {
    check_field(name, value).map_err(HeaderFault::into_encode_error)
}

/// Bytes of framing a chunk carrying `data_len` bytes adds: the hex size, two CRLFs. Zero for
/// zero bytes, since an empty data chunk is never written.
pub const fn chunk_overhead(data_len: usize) -> usize {
    if data_len == 0 {
        0
    } else {
        hex_len(data_len as u64) + 4
    }
}

/// Where the data of the largest chunk that fits `space` bytes starts: a producer writes its
/// data there (up to [`max_chunk_data`]`(space)` bytes), then [`frame_chunk`] frames it in
/// place.
pub const fn chunk_data_offset(space: usize) -> usize {
    hex_len(max_chunk_data(space) as u64) + CRLF.len()
}

/// Frames `len` data bytes written at `out[chunk_data_offset(out.len())..]` as one chunk at
/// the start of `out` (moving the data down when its size takes fewer hex digits than the
/// room left for them) and returns the chunk's length; `None` when `len` is zero or more than
/// [`max_chunk_data`]`(out.len())`, leaving `out` as it was.
pub fn frame_chunk(out: &mut [u8], len: usize) -> Option<usize> {
    let offset = chunk_data_offset(out.len());
    if len == 0 || len > max_chunk_data(out.len()) {
        return None;
    }
    let digits = Digits::hex(len as u64);
    let size = digits.as_bytes();
    let start = size.len() + CRLF.len();
    out.copy_within(offset..offset + len, start);
    let mut sink = Sink::new(out);
    sink.put(size);
    sink.put(CRLF);
    sink.len += len;
    sink.put(CRLF);
    Some(sink.len)
}

/// The most data bytes one chunk can carry when it and its framing must fit in `space` bytes;
/// zero if not even a one-byte chunk fits (fewer than 6 bytes).
pub const fn max_chunk_data(space: usize) -> usize {
    // Framing never needs more hex digits than `space` itself has.
    let guess = space.saturating_sub(hex_len(space as u64) + 4);
    // One hex digit fewer than guessed frees a byte for data: take it when it fits.
    let bigger = guess + 1;
    match bigger.checked_add(chunk_overhead(bigger)) {
        Some(total) if total <= space => bigger,
        _ => guess,
    }
}

/// [`encode_head`] for `kind`, followed by `body` when the framing sends a body (the bytes
/// [`encode_full`] adds).
fn encode(
    head: &ResponseHead<'_>,
    kind: BodyKind,
    body: &[u8],
    cx: &EncodeContext<'_>,
    out: &mut [u8],
    check: Check,
    space: Space,
) -> Result<Encoded, EncodeError> {
    let plan = Plan::checked(head, kind, cx, check)?;
    let body = match plan.body {
        BodyFraming::Length(_) => body,
        _ => &[],
    };
    if space == Space::Kept
        && plan
            .emit(head, cx, &mut Sink::counter())
            .saturating_add(body.len())
            > out.len()
    {
        return Err(EncodeError::BufferTooSmall);
    }
    let mut sink = Sink::new(out);
    plan.emit(head, cx, &mut sink);
    sink.put(body);
    // A put that did not fit wrote nothing and left the length beyond the buffer.
    if sink.len > sink.out.len() {
        return Err(EncodeError::BufferTooSmall);
    }
    Ok(Encoded {
        len: sink.len,
        body: plan.body,
        persistence: plan.persistence,
    })
}

/// What a failed encode may leave in its output buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Space {
    /// The caller's buffer, left unchanged: the length is counted before anything is written.
    Kept,
    /// Free space that nothing reads until it is committed (an output queue's tail): written
    /// in one pass, so a response that does not fit leaves a partial head there.
    Free,
}

impl<'a> ServerName<'a> {
    /// Validates `name` as a `Server` header value.
    ///
    /// # Errors
    ///
    /// [`EncodeError::InvalidHeader`] if `name` is empty, holds a control byte other than HTAB,
    /// or starts or ends with whitespace.
    pub const fn new(name: &'a str) -> Result<Self, EncodeError> {
        if name.is_empty() || !is_field_value(name.as_bytes()) {
            return Err(EncodeError::InvalidHeader);
        }
        Ok(Self { name })
    }

    /// The validated name.
    pub const fn as_str(&self) -> &'a str {
        self.name
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BufferTooSmall => "output buffer too small for the response head",
            Self::InvalidHeader => "invalid response header name or value",
            Self::ReservedHeader => "response header is owned by the encoder",
            Self::BodyForbidden => "status does not allow a body",
            Self::InterimForHttp10 => "interim response to an HTTP/1.0 client",
        })
    }
}

impl core::error::Error for EncodeError {}

impl ChunkedEncoder {
    /// An encoder for a body with no chunks written yet.
    pub const fn new() -> Self {
        Self {
            state: ChunkedState::Open,
        }
    }

    /// Writes one chunk carrying `data` at the start of `out` and returns the bytes written,
    /// `data.len() + chunk_overhead(data.len())`. Empty `data` writes nothing and returns 0,
    /// because a zero-size chunk would end the body.
    ///
    /// # Errors
    ///
    /// [`ChunkError::Finished`] after [`finish`](Self::finish), [`ChunkError::BufferTooSmall`]
    /// if the chunk does not fit (split `data` with [`max_chunk_data`]). On error `out` is left
    /// unchanged.
    pub fn encode_chunk(&mut self, data: &[u8], out: &mut [u8]) -> Result<usize, ChunkError> {
        if self.state == ChunkedState::Finished {
            return Err(ChunkError::Finished);
        }
        if data.is_empty() {
            return Ok(0);
        }
        let len = data
            .len()
            .checked_add(chunk_overhead(data.len()))
            .ok_or(ChunkError::BufferTooSmall)?;
        if len > out.len() {
            return Err(ChunkError::BufferTooSmall);
        }
        let mut sink = Sink::new(out);
        sink.put(Digits::hex(data.len() as u64).as_bytes());
        sink.put(CRLF);
        sink.put(data);
        sink.put(CRLF);
        Ok(sink.len)
    }

    /// Writes the last chunk (`0`, the `trailers` as header fields, a blank line) at the start of
    /// `out` and returns the bytes written. With no trailers that is [`LAST_CHUNK`]. Trailers
    /// follow the rules of [`ResponseHead::headers`]; announcing them in a `Trailer` header is
    /// the caller's choice.
    ///
    /// # Errors
    ///
    /// [`ChunkError::Finished`] if called twice; [`ChunkError::InvalidTrailer`] or
    /// [`ChunkError::ReservedTrailer`] for a bad trailer; [`ChunkError::BufferTooSmall`]. On
    /// error `out` is left unchanged and the encoder stays open.
    pub fn finish(
        &mut self,
        trailers: &[(&str, &[u8])],
        out: &mut [u8],
    ) -> Result<usize, ChunkError> {
        if self.state == ChunkedState::Finished {
            return Err(ChunkError::Finished);
        }
        check_headers(trailers).map_err(HeaderFault::into_chunk_error)?;
        let len = emit_last_chunk(trailers, &mut Sink::counter());
        if len > out.len() {
            return Err(ChunkError::BufferTooSmall);
        }
        let len = emit_last_chunk(trailers, &mut Sink::new(out));
        self.state = ChunkedState::Finished;
        Ok(len)
    }

    /// Whether the last chunk was written.
    pub const fn is_finished(&self) -> bool {
        matches!(self.state, ChunkedState::Finished)
    }
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BufferTooSmall => "output buffer too small for the chunk",
            Self::Finished => "chunked body already finished",
            Self::InvalidTrailer => "invalid trailer name or value",
            Self::ReservedTrailer => "trailer is owned by the encoder",
        })
    }
}

impl core::error::Error for ChunkError {}

/// The framing decision for one response, made before anything is written.
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// Whether this is a final (not 1xx) response, which carries `Date` and `Server`.
    is_final: bool,
    /// The whole `Connection` line (after the CRLF that ends the line before), if one is
    /// written.
    connection: Option<&'static [u8]>,
    /// The framing header written.
    framing: FramingHeader,
    /// What the caller sends next.
    body: BodyFraming,
    /// Whether the connection stays open.
    persistence: Persistence,
}

/// The framing header a response carries.
#[derive(Clone, Copy, Debug)]
enum FramingHeader {
    /// None at all.
    None,
    /// `Content-Length: n`, its digits written once for both passes of [`Plan::emit`].
    ContentLength(Digits),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

impl Plan {
    /// Decides framing and persistence as tabled on [`encode_head`].
    fn new(
        status: Status,
        persistence: Persistence,
        body: BodyKind,
        cx: &EncodeContext<'_>,
    ) -> Result<Self, EncodeError> {
        let has_body = !matches!(body, BodyKind::Empty | BodyKind::Length(0));
        if status.forbids_body() && has_body {
            return Err(EncodeError::BodyForbidden);
        }
        if status.is_informational() {
            if cx.version == Version::Http10 {
                return Err(EncodeError::InterimForHttp10);
            }
            let connection: Option<&'static [u8]> = if status == Status::SWITCHING_PROTOCOLS {
                Some(b"\r\nConnection: upgrade")
            } else {
                None
            };
            return Ok(Self {
                is_final: false,
                connection,
                framing: FramingHeader::None,
                body: BodyFraming::None,
                persistence: Persistence::KeepAlive,
            });
        }
        let (framing, body, persistence) = match body {
            _ if status.forbids_body() => (FramingHeader::None, BodyFraming::None, persistence),
            BodyKind::Empty => (
                FramingHeader::ContentLength(Digits::decimal(0)),
                BodyFraming::None,
                persistence,
            ),
            BodyKind::Length(n) => {
                let next = if cx.head_request || n == 0 {
                    BodyFraming::None
                } else {
                    BodyFraming::Length(n)
                };
                (
                    FramingHeader::ContentLength(Digits::decimal(n)),
                    next,
                    persistence,
                )
            }
            BodyKind::Streamed if cx.head_request => {
                (FramingHeader::None, BodyFraming::None, persistence)
            }
            BodyKind::Streamed => match cx.version {
                Version::Http11 => (FramingHeader::Chunked, BodyFraming::Chunked, persistence),
                Version::Http10 => (
                    FramingHeader::None,
                    BodyFraming::UntilClose,
                    Persistence::Close,
                ),
            },
        };
        let connection: Option<&'static [u8]> = match (persistence, cx.version) {
            (Persistence::Close, _) => Some(b"\r\nConnection: close"),
            (Persistence::KeepAlive, Version::Http10) => Some(b"\r\nConnection: keep-alive"),
            (Persistence::KeepAlive, Version::Http11) => None,
        };
        Ok(Self {
            is_final: true,
            connection,
            framing,
            body,
            persistence,
        })
    }

    /// The plan for `head`, whose header fields are checked too unless `check` says they were.
    // On 64-bit targets inlined into its callers, so the plan is built in place, not copied
    // out; on small targets one copy.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn checked(
        head: &ResponseHead<'_>,
        body: BodyKind,
        cx: &EncodeContext<'_>,
        check: Check,
    ) -> Result<Self, EncodeError> {
        let plan = Self::new(head.status, head.persistence, body, cx)?;
        if check == Check::Fields {
            check_headers(head.headers).map_err(HeaderFault::into_encode_error)?;
        }
        Ok(plan)
    }

    /// Writes the head and returns its length (saturating: a saturated length never fits).
    /// Counting and writing share this one function, so the length checked before writing is
    /// exactly the length written.
    // On 64-bit targets (servers) inlined into both passes, so the counting pass compiles to
    // additions; on small targets one copy serves both.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn emit(&self, head: &ResponseHead<'_>, cx: &EncodeContext<'_>, sink: &mut Sink<'_>) -> usize {
        // Every line after the status line is written with the CRLF that ends the line before
        // it, which saves a write per line.
        let [a, b, c] = head.status.digits();
        sink.put(b"HTTP/1.1 ");
        sink.put(&[a, b, c, b' ']);
        sink.put(head.status.reason_bytes());
        if self.is_final {
            if let Some(date) = cx.date {
                sink.put(b"\r\nDate: ");
                sink.put(date.as_bytes());
            }
            if let Some(server) = cx.server {
                sink.put(b"\r\nServer: ");
                sink.put(server.as_str().as_bytes());
            }
        }
        emit_fields(head.headers, sink);
        if let Some(line) = self.connection {
            sink.put(line);
        }
        match self.framing {
            FramingHeader::None => {}
            FramingHeader::ContentLength(digits) => {
                sink.put(b"\r\nContent-Length: ");
                sink.put(digits.as_bytes());
            }
            FramingHeader::Chunked => sink.put(b"\r\nTransfer-Encoding: chunked"),
        }
        sink.put(b"\r\n\r\n");
        sink.len
    }
}

/// Writes `CRLF name: value` for each field: each ends the line before it.
#[cfg_attr(target_pointer_width = "64", inline(always))]
fn emit_fields(fields: &[(&str, &[u8])], sink: &mut Sink<'_>) {
    for (name, value) in fields {
        sink.put(CRLF);
        sink.put(name.as_bytes());
        sink.put(b": ");
        sink.put(value);
    }
}

/// Writes the last chunk with its trailer section and returns its length.
fn emit_last_chunk(trailers: &[(&str, &[u8])], sink: &mut Sink<'_>) -> usize {
    sink.put(b"0");
    emit_fields(trailers, sink);
    sink.put(b"\r\n\r\n");
    sink.len
}

/// What is wrong with a caller's header field.
#[derive(Clone, Copy, Debug)]
enum HeaderFault {
    /// Not a token name, or not a clean value.
    Invalid,
    /// A name the encoder owns.
    Reserved,
}

impl HeaderFault {
    fn into_encode_error(self) -> EncodeError {
        match self {
            Self::Invalid => EncodeError::InvalidHeader,
            Self::Reserved => EncodeError::ReservedHeader,
        }
    }

    fn into_chunk_error(self) -> ChunkError {
        match self {
            Self::Invalid => ChunkError::InvalidTrailer,
            Self::Reserved => ChunkError::ReservedTrailer,
        }
    }
}

fn check_headers(fields: &[(&str, &[u8])]) -> Result<(), HeaderFault> {
    fields
        .iter()
        .try_for_each(|(name, value)| check_field(name, value))
}

fn check_field(name: &str, value: &[u8]) -> Result<(), HeaderFault> {
    if !is_token(name.as_bytes()) || !is_clean_value(value) {
        return Err(HeaderFault::Invalid);
    }
    if is_reserved(name) {
        return Err(HeaderFault::Reserved);
    }
    Ok(())
}

/// Whether `name` is one of [`RESERVED_HEADERS`]. Their lengths differ, so most names are
/// passed over on their length alone and the rest need one comparison.
const fn is_reserved(name: &str) -> bool {
    let reserved = match name.len() {
        14 => RESERVED_HEADERS[0],
        17 => RESERVED_HEADERS[1],
        10 => RESERVED_HEADERS[2],
        4 => RESERVED_HEADERS[3],
        6 => RESERVED_HEADERS[4],
        _ => return false,
    };
    // Same length, so one index serves both.
    let (name, reserved) = (name.as_bytes(), reserved.as_bytes());
    let mut i = 0;
    while i < name.len() {
        if name[i].to_ascii_lowercase() != reserved[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A field value as RFC 9110 §5.5 lets a sender write it: visible bytes, spaces, HTAB and
/// obs-text, with no whitespace at either end (a recipient would strip it). CR, LF, NUL, the other
/// controls and DEL are refused, so a value can never end a line.
const fn is_field_value(value: &[u8]) -> bool {
    if let (Some(first), Some(last)) = (value.first(), value.last())
        && (matches!(*first, b' ' | b'\t') || matches!(*last, b' ' | b'\t'))
    {
        return false;
    }
    let mut i = 0;
    while i < value.len() {
        // `i < value.len()` is checked on the line above.
        let b = value[i];
        if !(b == b'\t' || (b >= 0x20 && b != 0x7f)) {
            return false;
        }
        i += 1;
    }
    true
}

/// [`is_field_value`] at run time, where the bytes are checked a word at a time.
fn is_clean_value(value: &[u8]) -> bool {
    let edge = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    !edge(value.first()) && !edge(value.last()) && field_value_len(value) == value.len()
}

/// The number of hex digits of `n`, at least 1.
const fn hex_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 16 {
        n /= 16;
        len += 1;
    }
    len
}

/// An unsigned integer written out in ASCII, right-aligned in a fixed array.
#[derive(Clone, Copy, Debug)]
struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    /// `n` in decimal; `u64::MAX` has 20 digits.
    fn decimal(n: u64) -> Self {
        Self::in_radix::<10>(n)
    }

    /// `n` in lowercase hex; `u64::MAX` has 16 digits.
    fn hex(n: u64) -> Self {
        Self::in_radix::<16>(n)
    }

    /// `n` in `RADIX` (10 or 16): a constant radix, so each digit costs a multiplication or
    /// a shift, not a division. Short numbers (most `Content-Length`s) take 32-bit steps.
    fn in_radix<const RADIX: u64>(n: u64) -> Self {
        const SYMBOLS: &[u8; 16] = b"0123456789abcdef";
        // Zeroed, not filled with `b'0'`: only `start..` is read, and a zero fill is the
        // `memclr` a firmware links anyway, where any other byte would link a `memset`.
        let mut buf = [0u8; 20];
        let mut start = buf.len();
        let mut push = |digit: u64| {
            // A u64 has at most 20 digits in radix 10 or 16, so `start` stays within `buf`;
            // `digit` is below 16.
            start -= 1;
            buf[start] = SYMBOLS[digit as usize];
        };
        let mut n = n;
        while n > u64::from(u32::MAX) {
            push(n % RADIX);
            n /= RADIX;
        }
        // Within 32 bits now; `RADIX` is 10 or 16, so the casts are lossless.
        let (mut small, radix) = (n as u32, RADIX as u32);
        loop {
            push(u64::from(small % radix));
            small /= radix;
            if small == 0 {
                break;
            }
        }
        Self { buf, start }
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or(&[])
    }
}

/// Where emitted bytes go: counted, and copied into `out` as far as they fit. With an empty
/// `out` it only counts; the encoders count first, so that writing never runs out of room.
#[derive(Debug)]
struct Sink<'o> {
    out: &'o mut [u8],
    /// Bytes put so far, saturating; beyond `out.len()` once a put did not fit.
    len: usize,
}

impl<'o> Sink<'o> {
    fn new(out: &'o mut [u8]) -> Self {
        Self { out, len: 0 }
    }

    fn counter() -> Self {
        Self::new(&mut [])
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.out.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
        }
        self.len = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_in_both_radixes() {
        assert_eq!(Digits::decimal(0).as_bytes(), b"0");
        assert_eq!(Digits::decimal(7).as_bytes(), b"7");
        assert_eq!(Digits::decimal(1_000).as_bytes(), b"1000");
        assert_eq!(
            Digits::decimal(u64::MAX).as_bytes(),
            b"18446744073709551615"
        );
        assert_eq!(Digits::hex(0).as_bytes(), b"0");
        assert_eq!(Digits::hex(255).as_bytes(), b"ff");
        assert_eq!(Digits::hex(0x1000).as_bytes(), b"1000");
        assert_eq!(Digits::hex(u64::MAX).as_bytes(), b"ffffffffffffffff");
        for n in [1u64, 9, 10, 15, 16, 99, 100, 4095, 4096, 1 << 40] {
            assert_eq!(
                Digits::decimal(n).as_bytes(),
                std::format!("{n}").as_bytes()
            );
            assert_eq!(Digits::hex(n).as_bytes(), std::format!("{n:x}").as_bytes());
            assert_eq!(hex_len(n), std::format!("{n:x}").len());
        }
    }

    #[test]
    fn field_values() {
        for ok in [
            &b""[..],
            b"a",
            b"a b",
            b"a\tb",
            b"\x80\xff",
            b"~!",
            b"text/plain; q=1",
        ] {
            assert!(is_field_value(ok), "{ok:?}");
            assert!(is_clean_value(ok), "{ok:?}");
        }
        for bad in [
            &b" "[..],
            b"\t",
            b" a",
            b"a ",
            b"a\r",
            b"a\nb",
            b"\0",
            b"a\x7fb",
            b"a\x1bb",
            b"long value\r\nInjected: 1",
            b"long value, then DEL\x7f",
        ] {
            assert!(!is_field_value(bad), "{bad:?}");
            assert!(!is_clean_value(bad), "{bad:?}");
        }
    }

    /// Checked once, a field list is refused for exactly what the encoder refuses.
    #[test]
    fn checked_fields_agree_with_the_encoder() {
        let rows: [&[(&str, &[u8])]; 7] = [
            &[],
            &[("Content-Type", b"text/plain")],
            &[("X-A", b"1"), ("Bad Name", b"x")],
            &[("X-A", b"a\r\nInjected: 1")],
            &[("X-A", b" padded")],
            &[("content-LENGTH", b"1")],
            &[("Server", b"other")],
        ];
        for fields in rows {
            let head = ResponseHead {
                status: Status::OK,
                headers: fields,
                persistence: Persistence::KeepAlive,
            };
            let cx = EncodeContext {
                version: Version::Http11,
                head_request: false,
                date: None,
                server: None,
            };
            let encoder = head_len(&head, BodyKind::Empty, &cx).map(|_| ());
            assert_eq!(
                CheckedFields::new(fields).map(|_| ()),
                encoder,
                "{fields:?}"
            );
        }
        for name in RESERVED_HEADERS {
            assert!(is_reserved(name) && is_reserved(&name.to_ascii_uppercase()));
        }
        assert!(!is_reserved("content-lengthy") && !is_reserved("dates"));
    }

    #[test]
    fn server_name_is_checked_at_compile_time() {
        const SERVER: ServerName<'static> = match ServerName::new("aurora/0.1") {
            Ok(name) => name,
            Err(_) => panic!("invalid server name"),
        };
        assert_eq!(SERVER.as_str(), "aurora/0.1");
        assert_eq!(ServerName::new(""), Err(EncodeError::InvalidHeader));
        assert_eq!(ServerName::new("a\r\nb"), Err(EncodeError::InvalidHeader));
    }

    #[test]
    fn max_chunk_data_is_the_largest_that_fits() {
        let fits = |n: usize, space: usize| n + chunk_overhead(n) <= space;
        for space in 0..70_000 {
            let n = max_chunk_data(space);
            if space < 6 {
                assert_eq!(n, 0, "space {space}");
            } else {
                assert!(n > 0 && fits(n, space), "space {space}");
                assert!(!fits(n + 1, space), "space {space}");
            }
        }
        let n = max_chunk_data(usize::MAX);
        assert_eq!(n.checked_add(chunk_overhead(n)), Some(usize::MAX));
    }
}
