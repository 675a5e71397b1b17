//! The incremental chunked transfer-coding decoder (RFC 9112 section 7.1).
//!
//! This module owns the framing of a chunked request body: chunk-size lines, chunk extensions,
//! the chunk data, the trailer section and the final empty line. It is sans-IO and zero-copy:
//! [`ChunkedDecoder::decode`] reads from a caller's slice and hands back a sub-slice of it;
//! [`ChunkedDecoder::decode_in_place`] compacts the decoded body to the front of a caller's
//! buffer. It must never allocate, never panic on what a peer sent and never read past the end of
//! the body: the bytes after the final CRLF are the next pipelined request and are left alone.
//!
//! # Incremental and split-invariant
//!
//! The decoder keeps its position in the grammar in a `State` enum, one variant per position,
//! so input may arrive split at any byte boundary: the same bytes, however split, decode to the
//! same body and end in the same outcome (completion or the same [`ChunkedError`]). Body data is
//! copied or handed out in whole runs, never byte by byte; only the framing is walked bytewise.
//!
//! # Strictness
//!
//! The decoder accepts exactly the RFC 9112 grammar and nothing looser, because every leniency
//! is a way for a front proxy and this server to disagree about where a body ends:
//!
//! - `chunk-size` is 1 to [`MAX_SIZE_DIGITS`] hex digits (leading zeros count); no sign, no
//!   `0x` prefix, no whitespace inside.
//! - Whitespace (SP or HTAB) after the size or after an extension is accepted only when a `;`
//!   follows (the `BWS ";"` of `chunk-ext`); whitespace before the CRLF is rejected.
//! - Extensions are validated (token names, token or quoted-string values) and ignored; one size
//!   line carries at most [`MAX_EXTENSION_BYTES`] of them.
//! - Every line ends in CRLF. RFC 9112 section 2.2 lets a recipient accept a bare LF; this one
//!   does not, and it rejects a bare CR too.
//! - Trailer fields are validated like header fields (token name, a colon straight after it,
//!   a value of visible characters, SP and HTAB; no obs-fold), counted against the trailer
//!   limits, and discarded: they are never merged into the request headers.
//! - The body limit is enforced on the announced sizes, as soon as a chunk-size digit pushes the
//!   total over it, before any of that chunk's data arrives.
//!
//! # Errors are final
//!
//! After an error the decoder stays failed and returns the same error from every later call. A
//! connection that sees one answers with [`ChunkedError::status`] and closes: the framing of
//! anything after a broken chunked body cannot be trusted.

use core::fmt;
use core::ops::Range;

use crate::http::{Limits, Status};

/// Most hex digits in a chunk-size, leading zeros included. Sixteen digits hold any `u64`.
pub const MAX_SIZE_DIGITS: u8 = 16;

/// Most bytes of chunk extensions on one size line: everything after the size digits up to the
/// CR, whitespace included.
pub const MAX_EXTENSION_BYTES: usize = 1024;

/// An incremental, sans-IO decoder of one chunked message body.
///
/// Create one per body with the request's limits, feed it bytes with [`decode`](Self::decode)
/// or [`decode_in_place`](Self::decode_in_place) until it reports `done`, then hand the bytes
/// it did not consume to the next request parser.
///
/// # Examples
///
/// ```
/// use aurora_core::http::chunked::ChunkedDecoder;
///
/// let mut decoder = ChunkedDecoder::new(1024, 256, 4);
/// let input = b"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
/// let out = decoder.decode(input).unwrap();
/// assert_eq!(out.data, b"hello");
/// assert!(out.done);
/// assert_eq!(&input[out.consumed..], b"GET / HTTP/1.1\r\n");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkedDecoder {
    /// Where in the grammar the next byte belongs.
    state: State,
    /// The chunk-size being read, then announced by the current size line, then (in
    /// [`State::Data`]) the bytes of its data still to come.
    size: u64,
    /// Sum of the sizes of the chunks whose size line has been read completely.
    announced: u64,
    /// Hex digits read on the current size line.
    digits: u8,
    /// Extension bytes seen on the current size line (at most [`MAX_EXTENSION_BYTES`]).
    extension_bytes: u16,
    /// Trailer-section bytes seen so far (field lines with their CRLF, not the final CRLF).
    trailer_bytes: usize,
    /// Trailer fields started so far.
    trailers: usize,
    /// Largest body, summed over all chunk sizes.
    max_body_bytes: u64,
    /// Largest trailer section, in bytes.
    max_trailer_bytes: usize,
    /// Most trailer fields.
    max_trailers: usize,
}

/// One position in the chunked-body grammar (RFC 9112 section 7.1). The positions where
/// framing bytes are read come first, in the order of the rows of [`NEXT`]; the failed states
/// last, in the order of [`ChunkedError::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a size line: the first `chunk-size` hex digit.
    SizeStart,
    /// Reading more `chunk-size` hex digits.
    Size,
    /// Whitespace after the size digits: only more whitespace or `;` may follow.
    SizeWs,
    /// After `;`: optional whitespace, then the first byte of an `ext-name`.
    ExtStart,
    /// Inside an `ext-name`.
    ExtName,
    /// Whitespace after an `ext-name`: `=` or `;` may follow.
    ExtNameWs,
    /// After `=`: optional whitespace, then a token or a quoted-string.
    ExtValueStart,
    /// Inside a token `ext-val`.
    ExtToken,
    /// Inside a quoted-string `ext-val`.
    ExtQuoted,
    /// After a backslash inside a quoted-string: the escaped byte.
    ExtQuotedPair,
    /// After the closing quote of a quoted-string.
    ExtQuotedEnd,
    /// Whitespace after a complete extension: only more whitespace or `;` may follow.
    ExtWs,
    /// After the CR that ends a size line: the LF.
    SizeLf,
    /// After chunk data: the CR.
    DataCr,
    /// After chunk data and CR: the LF.
    DataLf,
    /// At the start of a trailer field line, or of the final empty line.
    TrailerStart,
    /// Inside a trailer field name.
    TrailerName,
    /// Inside a trailer field value (after the colon).
    TrailerValue,
    /// After the CR that ends a trailer field line: the LF.
    TrailerLf,
    /// After the CR of the final empty line: the LF.
    FinalLf,
    /// Inside chunk data; the decoder's `size` bytes of this chunk are still to come (never
    /// zero).
    Data,
    /// The body is complete; nothing more is consumed.
    Done,
    // The body was malformed or over a limit; every later call returns the error. One state
    // per error, in the order of `ChunkedError::ALL`, so that a cell of `NEXT` is one byte.
    /// Failed with [`ChunkedError::MissingSize`].
    FailedMissingSize,
    /// Failed with [`ChunkedError::SizeTooLong`].
    FailedSizeTooLong,
    /// Failed with [`ChunkedError::InvalidSize`].
    FailedInvalidSize,
    /// Failed with [`ChunkedError::InvalidExtension`].
    FailedInvalidExtension,
    /// Failed with [`ChunkedError::ExtensionTooLong`].
    FailedExtensionTooLong,
    /// Failed with [`ChunkedError::LineEnding`].
    FailedLineEnding,
    /// Failed with [`ChunkedError::DataNotTerminated`].
    FailedDataNotTerminated,
    /// Failed with [`ChunkedError::BodyTooLarge`].
    FailedBodyTooLarge,
    /// Failed with [`ChunkedError::InvalidTrailer`].
    FailedInvalidTrailer,
    /// Failed with [`ChunkedError::TrailersTooLarge`].
    FailedTrailersTooLarge,
    /// Failed with [`ChunkedError::TooManyTrailers`].
    FailedTooManyTrailers,
}

/// What one call to [`ChunkedDecoder::decode`] produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded<'i> {
    /// Bytes consumed from the front of the input. The caller drops them and passes the rest
    /// (plus any newly received bytes) to the next call.
    pub consumed: usize,
    /// Body data: a sub-slice of the consumed input, possibly empty. At most one contiguous run
    /// per call.
    pub data: &'i [u8],
    /// The body is complete, final CRLF included. Input after `consumed` belongs to the next
    /// message.
    pub done: bool,
}

/// What one call to [`ChunkedDecoder::decode_in_place`] left in the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InPlace {
    /// The decoded body now occupies `buf[..body_end]`.
    pub body_end: usize,
    /// Bytes not consumed now occupy `buf[body_end..filled]`: the next pipelined message once
    /// the body is done. While it is not done every byte is consumed (framing is decoded
    /// bytewise, so a partial size line or trailer is remembered, not left in the buffer) and
    /// `filled == body_end`.
    pub filled: usize,
    /// The body is complete, final CRLF included.
    pub done: bool,
}

/// Why a chunked body was rejected. Each variant is one rule of the grammar or one limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ChunkedError {
    /// A size line did not start with a hex digit (an empty size, a sign, whitespace).
    MissingSize,
    /// A chunk-size had more than [`MAX_SIZE_DIGITS`] hex digits.
    SizeTooLong,
    /// A byte after the size digits was not `;`, whitespace before `;`, or CR (e.g. `0x5`).
    InvalidSize,
    /// A chunk extension broke the `chunk-ext` grammar (name, `=`, token or quoted-string).
    InvalidExtension,
    /// One size line carried more than [`MAX_EXTENSION_BYTES`] of extensions.
    ExtensionTooLong,
    /// A line ended in a bare LF, or a CR was not followed by LF.
    LineEnding,
    /// Chunk data was not followed by CRLF: the data was longer than its announced size.
    DataNotTerminated,
    /// The announced chunk sizes add up to more than the body limit.
    BodyTooLarge,
    /// A trailer field line was malformed (bad name, whitespace before the colon, a control
    /// character in the value, obs-fold).
    InvalidTrailer,
    /// The trailer section was larger than the trailer byte limit.
    TrailersTooLarge,
    /// The trailer section had more fields than the trailer count limit.
    TooManyTrailers,
}

impl ChunkedDecoder {
    /// A decoder for one body with these limits: the body's decoded size, the trailer section's
    /// size in bytes (field lines with their CRLF, not the final empty line) and its field count.
    pub const fn new(max_body_bytes: u64, max_trailer_bytes: usize, max_trailers: usize) -> Self {
        Self {
            state: State::SizeStart,
            size: 0,
            announced: 0,
            digits: 0,
            extension_bytes: 0,
            trailer_bytes: 0,
            trailers: 0,
            max_body_bytes,
            max_trailer_bytes,
            max_trailers,
        }
    }

    /// A decoder with the body and trailer limits of `limits`.
    pub const fn from_limits(limits: &Limits) -> Self {
        Self::new(
            limits.max_body_bytes,
            limits.max_trailer_bytes,
            limits.max_trailers,
        )
    }

    /// Whether the body is complete, final CRLF included.
    pub const fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Body bytes decoded (handed out or compacted) so far.
    pub const fn body_bytes(&self) -> u64 {
        // Every announced chunk is handed out but for the rest of the one being read.
        match self.state {
            State::Data => self.announced.saturating_sub(self.size),
            _ => self.announced,
        }
    }

    /// The error this decoder failed with, if it did.
    pub const fn error(&self) -> Option<ChunkedError> {
        self.state.error()
    }

    /// Decodes from the front of `input`.
    ///
    /// Consumes framing and at most one contiguous run of body data, which comes back as a
    /// sub-slice of `input`. The caller drops `consumed` bytes and calls again with what follows
    /// (more bytes may have arrived meanwhile). Framing is remembered bytewise, so a partial size
    /// line or trailer is consumed too and a partial body is never an error: while the body is
    /// not done, `consumed < input.len()` only when another run of data (or an error) follows,
    /// and the caller should call again at once. Once the body is done, calls consume nothing
    /// and return `done`.
    ///
    /// When a syntax error follows body data in the same input, the data is returned first
    /// (the offending byte not consumed) and the error comes from the next call, so the data
    /// delivered before an error does not depend on how the input was split.
    ///
    /// # Errors
    ///
    /// A [`ChunkedError`] when the framing breaks the grammar or a limit; every later call
    /// returns the same error.
    pub fn decode<'i>(&mut self, input: &'i [u8]) -> Result<Decoded<'i>, ChunkedError> {
        let step = self.decode_range(input)?;
        Ok(Decoded {
            consumed: step.consumed,
            data: input.get(step.data).unwrap_or_default(),
            done: step.done,
        })
    }

    /// Decodes `buf[start..]` and compacts the body into `buf[..body_end]`, so that a body
    /// received in several pieces ends up contiguous after the body decoded by earlier calls.
    ///
    /// `buf[..start]` holds the body decoded so far (from earlier calls, `start` being the last
    /// `body_end`, or zero at first) and `buf[start..]` the bytes received and not yet consumed:
    /// pass the filled part of the buffer only. The call decodes as much as `buf` holds, moves
    /// every run of body data down to the end of the body, then moves what follows the body
    /// (the next message, once done) right after it. Framing bytes are reclaimed, so the buffer
    /// needs room for the body plus what one read brings in. A `start` beyond `buf.len()` is
    /// taken as `buf.len()`.
    ///
    /// # Errors
    ///
    /// A [`ChunkedError`] when the framing breaks the grammar or a limit; `buf[start..]` is
    /// then left in an unspecified state, and every later call returns the same error.
    pub fn decode_in_place(
        &mut self,
        buf: &mut [u8],
        start: usize,
    ) -> Result<InPlace, ChunkedError> {
        let start = start.min(buf.len());
        let mut body_end = start;
        let mut read = start;
        // Bounded: every pass consumes at least one byte or leaves the loop.
        while let Some(input) = buf.get(read..) {
            let step = self.decode_range(input)?;
            let data_len = step.data.len();
            if data_len > 0 {
                // The range lies inside `input`, which is `buf[read..]`, so shifting it by
                // `read` stays inside `buf`; the destination is at or before the source.
                let source =
                    read.saturating_add(step.data.start)..read.saturating_add(step.data.end);
                buf.copy_within(source, body_end);
                body_end = body_end.saturating_add(data_len);
            }
            read = read.saturating_add(step.consumed);
            if step.done || step.consumed == 0 {
                break;
            }
        }
        // `body_end <= read <= buf.len()`: data is only ever moved down over consumed bytes.
        let rest = buf.len().saturating_sub(read);
        buf.copy_within(read.., body_end);
        Ok(InPlace {
            body_end,
            filled: body_end.saturating_add(rest),
            done: self.is_done(),
        })
    }

    /// The engine of [`decode`](Self::decode): the same, with the data as a range of `input`.
    fn decode_range(&mut self, input: &[u8]) -> Result<Step, ChunkedError> {
        if let Some(error) = self.state.error() {
            return Err(error);
        }
        let mut pos = 0usize;
        let mut data = 0..0;
        // Bounded: every pass consumes at least one byte, moves Data to DataCr, or leaves.
        while let Some(rest) = input.get(pos..) {
            if rest.is_empty() {
                break;
            }
            match self.state {
                State::Done => break,
                State::Data => {
                    if !data.is_empty() {
                        // One run per call: the caller must take this one first.
                        break;
                    }
                    // `take <= rest.len()`, so the conversion back to usize is lossless.
                    let take = usize::try_from(self.size).map_or(rest.len(), |r| r.min(rest.len()));
                    let end = pos.saturating_add(take);
                    data = pos..end;
                    pos = end;
                    self.size = self.size.saturating_sub(take as u64);
                    if self.size == 0 {
                        self.state = State::DataCr;
                    }
                }
                _ => {
                    let Some(&byte) = rest.first() else { break };
                    match self.step(byte) {
                        Ok(()) => pos = pos.saturating_add(1),
                        Err(error) if data.is_empty() => {
                            self.state = State::failed(error);
                            return Err(error);
                        }
                        // Hand out the data first; the next call meets this byte again.
                        Err(_) => break,
                    }
                }
            }
        }
        Ok(Step {
            consumed: pos,
            data,
            done: self.is_done(),
        })
    }

    /// Moves one framing byte through the grammar. On error nothing is changed. Kept out of
    /// line: the callers' loops stay small and the decoder's fields stay in memory.
    #[inline(never)]
    fn step(&mut self, byte: u8) -> Result<(), ChunkedError> {
        use ChunkedError as E;
        use State as S;

        // Not reached in the other states: `decode_range` never steps in them. Failing safe.
        let row = NEXT.get(self.state as usize).ok_or(E::DataNotTerminated)?;
        let class = CLASS
            .get(usize::from(byte >> 1))
            .map_or(OBS, |&pair| usize::from(pair >> (4 * (byte & 1)) & 0x0f));
        let mut next = row.get(class).copied().unwrap_or(S::FailedInvalidSize);
        if let Some(error) = next.error() {
            return Err(error);
        }
        let mut size = self.size;
        let mut digits = self.digits;
        if next == S::Size {
            // `byte` is a hex digit (its class says so): its value, either case.
            let digit = (byte & 0x0f) + if byte > b'9' { 9 } else { 0 };
            if digits >= MAX_SIZE_DIGITS {
                return Err(E::SizeTooLong);
            }
            // At most 15 digits so far: `size < 16^15`, so the shift loses nothing.
            size = size << 4 | u64::from(digit);
            match self.announced.checked_add(size) {
                Some(total) if total <= self.max_body_bytes => {}
                _ => return Err(E::BodyTooLarge),
            }
            digits = digits.saturating_add(1);
        }

        // Limits on the byte just accepted, checked before anything is committed.
        let extension_bytes = if next.is_extension() {
            let bytes = self.extension_bytes.saturating_add(1);
            if usize::from(bytes) > MAX_EXTENSION_BYTES {
                return Err(E::ExtensionTooLong);
            }
            bytes
        } else {
            self.extension_bytes
        };
        let starts_trailer = self.state == S::TrailerStart && next == S::TrailerName;
        let counts_as_trailer =
            starts_trailer || matches!(self.state, S::TrailerName | S::TrailerValue | S::TrailerLf);
        let trailer_bytes = if counts_as_trailer {
            let bytes = self.trailer_bytes.saturating_add(1);
            if bytes > self.max_trailer_bytes {
                return Err(E::TrailersTooLarge);
            }
            bytes
        } else {
            self.trailer_bytes
        };
        let trailers = if starts_trailer {
            let fields = self.trailers.saturating_add(1);
            if fields > self.max_trailers {
                return Err(E::TooManyTrailers);
            }
            fields
        } else {
            self.trailers
        };

        match self.state {
            // A size line is complete: its chunk counts towards the body from now on, and a
            // zero-size chunk is the last one.
            S::SizeLf => {
                self.announced = self.announced.saturating_add(size);
                self.extension_bytes = 0;
                if size == 0 {
                    next = S::TrailerStart;
                }
            }
            // A new size line starts from zero.
            S::DataLf => {
                size = 0;
                digits = 0;
            }
            _ => self.extension_bytes = extension_bytes,
        }
        self.size = size;
        self.digits = digits;
        self.trailer_bytes = trailer_bytes;
        self.trailers = trailers;
        self.state = next;
        Ok(())
    }
}

/// The outcome of [`ChunkedDecoder::decode_range`].
struct Step {
    /// Bytes consumed from the front of the input.
    consumed: usize,
    /// Where the body data lies in the input; empty when there is none.
    data: Range<usize>,
    /// The body is complete.
    done: bool,
}

impl State {
    /// The state of a decoder failed with `error`.
    const fn failed(error: ChunkedError) -> Self {
        FAILED[error as usize]
    }

    /// The error of a failed state.
    const fn error(self) -> Option<ChunkedError> {
        let index = (self as usize).wrapping_sub(Self::FailedMissingSize as usize);
        if index < ChunkedError::ALL.len() {
            Some(ChunkedError::ALL[index])
        } else {
            None
        }
    }

    /// Whether a byte that leads into this state is part of the size line's extensions.
    const fn is_extension(self) -> bool {
        matches!(
            self,
            Self::SizeWs
                | Self::ExtStart
                | Self::ExtName
                | Self::ExtNameWs
                | Self::ExtValueStart
                | Self::ExtToken
                | Self::ExtQuoted
                | Self::ExtQuotedPair
                | Self::ExtQuotedEnd
                | Self::ExtWs
        )
    }
}

impl ChunkedError {
    /// Every variant, in declaration order: for metrics that count errors by kind.
    pub const ALL: [ChunkedError; 11] = [
        Self::MissingSize,
        Self::SizeTooLong,
        Self::InvalidSize,
        Self::InvalidExtension,
        Self::ExtensionTooLong,
        Self::LineEnding,
        Self::DataNotTerminated,
        Self::BodyTooLarge,
        Self::InvalidTrailer,
        Self::TrailersTooLarge,
        Self::TooManyTrailers,
    ];

    /// The status a server answers with: 413 for the body limit, 431 for the trailer limits,
    /// 400 for everything else.
    pub const fn status(self) -> Status {
        match self {
            Self::BodyTooLarge => Status::PAYLOAD_TOO_LARGE,
            Self::TrailersTooLarge | Self::TooManyTrailers => {
                Status::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            Self::MissingSize
            | Self::SizeTooLong
            | Self::InvalidSize
            | Self::InvalidExtension
            | Self::ExtensionTooLong
            | Self::LineEnding
            | Self::DataNotTerminated
            | Self::InvalidTrailer => Status::BAD_REQUEST,
        }
    }

    /// A stable snake_case label, for metrics and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MissingSize => "chunk_size_missing",
            Self::SizeTooLong => "chunk_size_too_long",
            Self::InvalidSize => "chunk_size_invalid",
            Self::InvalidExtension => "chunk_extension_invalid",
            Self::ExtensionTooLong => "chunk_extension_too_long",
            Self::LineEnding => "chunk_line_ending",
            Self::DataNotTerminated => "chunk_data_not_terminated",
            Self::BodyTooLarge => "chunk_body_too_large",
            Self::InvalidTrailer => "chunk_trailer_invalid",
            Self::TrailersTooLarge => "chunk_trailers_too_large",
            Self::TooManyTrailers => "chunk_too_many_trailers",
        }
    }
}

impl fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MissingSize => "chunk size line has no hex digits",
            Self::SizeTooLong => "chunk size has too many hex digits",
            Self::InvalidSize => "unexpected byte after chunk size",
            Self::InvalidExtension => "malformed chunk extension",
            Self::ExtensionTooLong => "chunk extensions too long",
            Self::LineEnding => "chunked framing line not ended by CRLF",
            Self::DataNotTerminated => "chunk data not followed by CRLF",
            Self::BodyTooLarge => "chunked body larger than the limit",
            Self::InvalidTrailer => "malformed trailer field",
            Self::TrailersTooLarge => "trailer section larger than the limit",
            Self::TooManyTrailers => "too many trailer fields",
        })
    }
}

impl core::error::Error for ChunkedError {}

// The byte classes of the framing grammar: each byte is in exactly one. `NEXT` is indexed by
// them; the sets below are unions of them.

/// A hex digit (also a `tchar`).
const HEX: usize = 0;
/// A `tchar` that is not a hex digit.
const TOKEN: usize = 1;
/// SP or HTAB.
const WS: usize = 2;
/// `;`.
const SEMI: usize = 3;
/// `=`.
const EQUALS: usize = 4;
/// `"`.
const QUOTE: usize = 5;
/// `\`.
const BACKSLASH: usize = 6;
/// `:`.
const COLON: usize = 7;
/// CR.
const CR: usize = 8;
/// LF.
const LF: usize = 9;
/// Any other visible ASCII character, or any byte from 0x80 (`obs-text`).
const OBS: usize = 10;
/// Any other control character (and DEL).
const CTL: usize = 11;
/// How many classes there are.
const CLASSES: usize = 12;

/// Classes as bit sets, for the rows of `NEXT`.
const fn set(class: usize) -> u16 {
    1 << class
}
/// `tchar` (RFC 9110 section 5.6.2).
const TCHAR: u16 = set(HEX) | set(TOKEN);
/// `VCHAR / obs-text`.
const VCHAR: u16 =
    TCHAR | set(SEMI) | set(EQUALS) | set(QUOTE) | set(BACKSLASH) | set(COLON) | set(OBS);
/// `qdtext` (RFC 9110 section 5.6.4): what a quoted-string holds unescaped.
const QDTEXT: u16 = (VCHAR | set(WS)) & !set(QUOTE) & !set(BACKSLASH);

/// The class of each ASCII byte, two to a byte (the even byte's in the low half); bytes from
/// 0x80 are [`OBS`].
static CLASS: [u8; 64] = {
    let mut packed = [0; 64];
    let mut i = 0;
    while i < 64 {
        packed[i] = CLASS_OF[2 * i] | CLASS_OF[2 * i + 1] << 4;
        i += 1;
    }
    packed
};

/// The class of each ASCII byte.
const CLASS_OF: [u8; 128] = {
    let mut table = [CTL as u8; 128];
    let mut byte = 0x21;
    while byte < 0x7f {
        table[byte] = OBS as u8;
        byte += 1;
    }
    let tokens = b"!#$%&'*+-.^_`|~ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ";
    let mut i = 0;
    while i < tokens.len() {
        table[tokens[i] as usize] = TOKEN as u8;
        i += 1;
    }
    let hex = b"0123456789abcdefABCDEF";
    let mut i = 0;
    while i < hex.len() {
        table[hex[i] as usize] = HEX as u8;
        i += 1;
    }
    table[b' ' as usize] = WS as u8;
    table[b'\t' as usize] = WS as u8;
    table[b';' as usize] = SEMI as u8;
    table[b'=' as usize] = EQUALS as u8;
    table[b'"' as usize] = QUOTE as u8;
    table[b'\\' as usize] = BACKSLASH as u8;
    table[b':' as usize] = COLON as u8;
    table[b'\r' as usize] = CR as u8;
    table[b'\n' as usize] = LF as u8;
    table
};

/// The failed states, in the order of [`ChunkedError::ALL`].
const FAILED: [State; 11] = [
    State::FailedMissingSize,
    State::FailedSizeTooLong,
    State::FailedInvalidSize,
    State::FailedInvalidExtension,
    State::FailedExtensionTooLong,
    State::FailedLineEnding,
    State::FailedDataNotTerminated,
    State::FailedBodyTooLarge,
    State::FailedInvalidTrailer,
    State::FailedTrailersTooLarge,
    State::FailedTooManyTrailers,
];

/// One row of `NEXT`: the classes of each `(set, state)` move go to that state, LF to
/// [`ChunkedError::LineEnding`] unless a move takes it, every other class to `otherwise`.
const fn row(otherwise: ChunkedError, moves: &[(u16, State)]) -> [State; CLASSES] {
    let mut row = [State::failed(otherwise); CLASSES];
    row[LF] = State::FailedLineEnding;
    let mut i = 0;
    while i < moves.len() {
        let (classes, next) = moves[i];
        let mut class = 0;
        while class < CLASSES {
            if classes & set(class) != 0 {
                row[class] = next;
            }
            class += 1;
        }
        i += 1;
    }
    row
}

/// The grammar: the state after each class of byte, one row per state that reads framing. A size line
/// ends in [`State::Data`]; `step` turns that into [`State::TrailerStart`] for the last chunk.
static NEXT: [[State; CLASSES]; 20] = {
    use ChunkedError as E;
    use State as S;
    let ext_end = [(set(WS), S::ExtWs), (set(SEMI), S::ExtStart)];
    [
        row(E::MissingSize, &[(set(HEX), S::Size)]),
        row(
            E::InvalidSize,
            &[
                (set(HEX), S::Size),
                (set(SEMI), S::ExtStart),
                (set(WS), S::SizeWs),
                (set(CR), S::SizeLf),
            ],
        ),
        row(
            E::InvalidSize,
            &[(set(WS), S::SizeWs), (set(SEMI), S::ExtStart)],
        ),
        row(
            E::InvalidExtension,
            &[(set(WS), S::ExtStart), (TCHAR, S::ExtName)],
        ),
        row(
            E::InvalidExtension,
            &[
                (TCHAR, S::ExtName),
                (set(WS), S::ExtNameWs),
                (set(EQUALS), S::ExtValueStart),
                (set(SEMI), S::ExtStart),
                (set(CR), S::SizeLf),
            ],
        ),
        row(
            E::InvalidExtension,
            &[
                (set(WS), S::ExtNameWs),
                (set(EQUALS), S::ExtValueStart),
                (set(SEMI), S::ExtStart),
            ],
        ),
        row(
            E::InvalidExtension,
            &[
                (set(WS), S::ExtValueStart),
                (set(QUOTE), S::ExtQuoted),
                (TCHAR, S::ExtToken),
            ],
        ),
        row(
            E::InvalidExtension,
            &[
                ext_end[0],
                ext_end[1],
                (TCHAR, S::ExtToken),
                (set(CR), S::SizeLf),
            ],
        ),
        row(
            E::InvalidExtension,
            &[
                (QDTEXT, S::ExtQuoted),
                (set(BACKSLASH), S::ExtQuotedPair),
                (set(QUOTE), S::ExtQuotedEnd),
            ],
        ),
        row(E::InvalidExtension, &[(VCHAR | set(WS), S::ExtQuoted)]),
        row(
            E::InvalidExtension,
            &[ext_end[0], ext_end[1], (set(CR), S::SizeLf)],
        ),
        row(E::InvalidExtension, &ext_end),
        row(E::LineEnding, &[(set(LF), S::Data)]),
        row(E::DataNotTerminated, &[(set(CR), S::DataLf)]),
        row(E::LineEnding, &[(set(LF), S::SizeStart)]),
        row(
            E::InvalidTrailer,
            &[(set(CR), S::FinalLf), (TCHAR, S::TrailerName)],
        ),
        row(
            E::InvalidTrailer,
            &[(TCHAR, S::TrailerName), (set(COLON), S::TrailerValue)],
        ),
        row(
            E::InvalidTrailer,
            &[(set(CR), S::TrailerLf), (VCHAR | set(WS), S::TrailerValue)],
        ),
        row(E::LineEnding, &[(set(LF), S::TrailerStart)]),
        row(E::LineEnding, &[(set(LF), S::Done)]),
    ]
};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A failed step leaves the decoder untouched, so a deferred error is met again.
    #[test]
    fn error_after_data_is_deferred_to_the_next_call() {
        let mut decoder = ChunkedDecoder::new(100, 100, 10);
        let input = b"3\r\nabcX";
        let out = decoder.decode(input).unwrap();
        assert_eq!((out.consumed, out.data, out.done), (6, &b"abc"[..], false));
        assert_eq!(
            decoder.decode(&input[6..]),
            Err(ChunkedError::DataNotTerminated)
        );
        assert_eq!(decoder.decode(b""), Err(ChunkedError::DataNotTerminated));
        assert_eq!(decoder.error(), Some(ChunkedError::DataNotTerminated));
    }

    #[test]
    fn labels_and_statuses() {
        assert_eq!(ChunkedError::BodyTooLarge.status().code(), 413);
        assert_eq!(ChunkedError::TooManyTrailers.status().code(), 431);
        assert_eq!(ChunkedError::TrailersTooLarge.status().code(), 431);
        assert_eq!(ChunkedError::LineEnding.status().code(), 400);
        assert_eq!(ChunkedError::MissingSize.as_str(), "chunk_size_missing");
    }

    #[test]
    fn state_stays_small() {
        assert!(core::mem::size_of::<State>() <= 16);
    }
}
