//! The receiving side of a WebSocket: a sans-IO [`Decoder`] that turns a client's bytes into
//! message pieces and control frames, and enforces every rule that spans frames — fragments
//! follow their first frame, control frames may come between them, a message stays within the
//! configured size, text stays UTF-8 across fragments, nothing is read after a close.
//!
//! It unmasks payloads in the caller's buffer and hands out slices of it; it never copies a
//! payload, never queues a reply (the connection answers pings and closes) and never
//! allocates.

use core::fmt;

use super::close::{CloseBody, CloseCode};
use super::frame::{self, FrameError, Header, Opcode};
use super::utf8::Utf8;

/// Decodes a client's frames, one [`Event`] at a time.
///
/// # Call order
///
/// Call [`decode`](Self::decode) on the buffered bytes, drop the `consumed` bytes it reports
/// from the front of the buffer, act on the event, and call again while it reports progress
/// (bytes consumed or an event). `Ok((0, None))` means more bytes are needed. A control frame
/// is decoded only once it is buffered whole, so the buffer must hold at least
/// [`MIN_BUFFER`] bytes. After an error or a close frame the decoder consumes and ignores
/// everything.
#[derive(Clone, Copy, Debug)]
pub struct Decoder {
    max_message: u32,
    /// Data frames up to this payload length wait until they are buffered whole.
    whole: u32,
    reading: Reading,
    message: Message,
}

/// The least buffer space the decoder needs: a whole control frame with its header.
pub const MIN_BUFFER: usize = frame::MAX_HEADER + frame::MAX_CONTROL_PAYLOAD;

/// Where in a frame the decoder stands.
#[derive(Clone, Copy, Debug)]
enum Reading {
    /// At a frame header.
    Header,
    /// In a data frame's payload of `len` bytes, `done` of them delivered.
    Payload {
        mask: [u8; 4],
        fin: bool,
        len: u32,
        done: u32,
    },
    /// A close frame was received or a rule broken: nothing more is read.
    Closed,
}

/// The message being received.
#[derive(Clone, Copy, Debug)]
enum Message {
    /// Between messages.
    None,
    /// A message of this kind, `len` bytes announced so far; `first` until its first piece is
    /// delivered.
    Open {
        text: bool,
        len: u32,
        first: bool,
        utf8: Utf8,
    },
}

/// What one [`Decoder::decode`] call found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The next piece of a message's payload, unmasked (text pieces may split a character;
    /// the text so far is valid UTF-8).
    Data {
        /// A text message (else binary).
        text: bool,
        /// The piece.
        data: &'a [u8],
        /// The message's first piece.
        first: bool,
        /// Its last piece: the message is complete (and, for text, valid UTF-8).
        last: bool,
    },
    /// A ping with its payload: answer with a pong carrying the same bytes.
    Ping(&'a [u8]),
    /// A pong with its payload.
    Pong(&'a [u8]),
    /// The peer's close frame: answer with a close (echoing its code) and close the
    /// connection. Nothing more is decoded.
    Close(CloseBody<'a>),
}

/// Why a client's bytes end the connection; [`close_code`](Self::close_code) is the status
/// the server closes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DecodeError {
    /// A frame header broke a rule (1002).
    Frame(FrameError),
    /// A continuation frame with no message open (1002).
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is open (1002).
    ExpectedContinuation,
    /// The message would exceed the configured size (1009).
    TooBig,
    /// A text message that is not UTF-8 (1007).
    InvalidUtf8,
    /// A close frame with a bad payload: this code (1002 or 1007).
    BadClose(CloseCode),
}

impl DecodeError {
    /// The close status for this error.
    pub const fn close_code(self) -> CloseCode {
        match self {
            DecodeError::Frame(e) => e.close_code(),
            DecodeError::UnexpectedContinuation | DecodeError::ExpectedContinuation => {
                CloseCode::PROTOCOL_ERROR
            }
            DecodeError::TooBig => CloseCode::TOO_BIG,
            DecodeError::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            DecodeError::BadClose(code) => code,
        }
    }
}

impl Decoder {
    /// A decoder for messages of at most `max_message` bytes.
    pub const fn new(max_message: u32) -> Self {
        Self {
            max_message,
            whole: 0,
            reading: Reading::Header,
            message: Message::None,
        }
    }

    /// Makes data frames with payloads of up to `len` bytes wait until they are buffered
    /// whole, so that each arrives as one [`Event::Data`] however the bytes were cut; the
    /// buffer must then hold `len` and a [`MAX_HEADER`](frame::MAX_HEADER) more. Longer frames still come in pieces.
    #[must_use]
    pub const fn with_whole_frames(mut self, len: u32) -> Self {
        self.whole = len;
        self
    }

    /// Whether a close frame was received or a rule broken: nothing more is decoded.
    pub const fn is_closed(&self) -> bool {
        matches!(self.reading, Reading::Closed)
    }

    /// Whether a message is partly received.
    pub const fn in_message(&self) -> bool {
        matches!(self.message, Message::Open { .. })
    }

    /// Decodes from the start of `input`, unmasking in place: the bytes consumed and the event
    /// found, if any. See the call order on [`Decoder`].
    ///
    /// # Errors
    ///
    /// [`DecodeError`]: close with its [`close_code`](DecodeError::close_code). The decoder is
    /// closed then.
    pub fn decode<'a>(
        &mut self,
        input: &'a mut [u8],
    ) -> Result<(usize, Option<Event<'a>>), DecodeError> {
        let result = match self.reading {
            Reading::Closed => return Ok((input.len(), None)),
            Reading::Header => self.header(input),
            Reading::Payload {
                mask,
                fin,
                len,
                done,
            } => self.payload(mask, fin, len, done, input),
        };
        if result.is_err() {
            self.reading = Reading::Closed;
            self.message = Message::None;
        }
        result
    }

    /// At a header: a control frame whole, or the start of a data frame's payload.
    fn header<'a>(
        &mut self,
        input: &'a mut [u8],
    ) -> Result<(usize, Option<Event<'a>>), DecodeError> {
        let Some(header) = frame::decode_header(input).map_err(DecodeError::Frame)? else {
            return Ok((0, None));
        };
        if header.opcode.is_control() {
            return self.control(header, input);
        }
        let (text, len, first, utf8) = match (header.opcode, self.message) {
            (Opcode::Continuation, Message::None) => {
                return Err(DecodeError::UnexpectedContinuation);
            }
            (
                Opcode::Continuation,
                Message::Open {
                    text,
                    len,
                    first,
                    utf8,
                },
            ) => (text, len, first, utf8),
            (_, Message::Open { .. }) => return Err(DecodeError::ExpectedContinuation),
            (opcode, Message::None) => (opcode == Opcode::Text, 0, true, Utf8::new()),
        };
        // Both lengths are checked against the limit, a `u32`, so they fit one from here on.
        let total = u64::from(len).saturating_add(header.len);
        if total > u64::from(self.max_message) {
            return Err(DecodeError::TooBig);
        }
        let (Ok(len), Ok(frame_len)) = (u32::try_from(total), u32::try_from(header.len)) else {
            return Err(DecodeError::TooBig);
        };
        let buffered = (input.len() - header.header_len) as u64;
        if header.len <= u64::from(self.whole) && buffered < header.len {
            return Ok((0, None));
        }
        self.message = Message::Open {
            text,
            len,
            first,
            utf8,
        };
        self.reading = Reading::Payload {
            mask: header.mask,
            fin: header.fin,
            len: frame_len,
            done: 0,
        };
        // What of the payload is here goes with the header (an empty one at once: no later
        // byte would ask for it).
        let rest = &mut input[header.header_len..];
        if header.len > 0 && rest.is_empty() {
            return Ok((header.header_len, None));
        }
        let (n, event) = self.payload(header.mask, header.fin, frame_len, 0, rest)?;
        Ok((header.header_len + n, event))
    }

    /// A control frame, once it is buffered whole.
    fn control<'a>(
        &mut self,
        header: Header,
        input: &'a mut [u8],
    ) -> Result<(usize, Option<Event<'a>>), DecodeError> {
        // A control payload is at most 125 bytes (checked by the header decoder).
        let end = header.header_len + header.len as usize;
        let Some(frame) = input.get_mut(..end) else {
            return Ok((0, None));
        };
        let payload = &mut frame[header.header_len..];
        frame::unmask(payload, header.mask, 0);
        let payload: &'a [u8] = payload;
        let event = match header.opcode {
            Opcode::Ping => Event::Ping(payload),
            Opcode::Pong => Event::Pong(payload),
            _ => {
                let body = CloseBody::parse(payload).map_err(DecodeError::BadClose)?;
                self.reading = Reading::Closed;
                Event::Close(body)
            }
        };
        Ok((end, Some(event)))
    }

    /// The next piece of a data frame's payload.
    fn payload<'a>(
        &mut self,
        mask: [u8; 4],
        fin: bool,
        frame_len: u32,
        done: u32,
        input: &'a mut [u8],
    ) -> Result<(usize, Option<Event<'a>>), DecodeError> {
        let Message::Open {
            text,
            len,
            first,
            mut utf8,
        } = self.message
        else {
            return Err(DecodeError::UnexpectedContinuation);
        };
        let left = frame_len.saturating_sub(done);
        let take = usize::try_from(left).map_or(input.len(), |left| left.min(input.len()));
        if take == 0 && left > 0 {
            return Ok((0, None));
        }
        if take == 0 && !first && !fin {
            // An empty middle fragment says nothing to the application (its header was
            // consumed by the same call, so the caller goes on to the next frame).
            self.reading = Reading::Header;
            return Ok((0, None));
        }
        let data = &mut input[..take];
        frame::unmask(data, mask, u64::from(done));
        // `take` is at most what is left of the frame, a `u32`.
        let done = done.saturating_add(take as u32);
        let frame_end = done == frame_len;
        let last = frame_end && fin;
        if text {
            utf8.push(data).map_err(|_| DecodeError::InvalidUtf8)?;
            if last {
                utf8.finish().map_err(|_| DecodeError::InvalidUtf8)?;
            }
        }
        self.reading = if frame_end {
            Reading::Header
        } else {
            Reading::Payload {
                mask,
                fin,
                len: frame_len,
                done,
            }
        };
        self.message = if last {
            Message::None
        } else {
            Message::Open {
                text,
                len,
                first: false,
                utf8,
            }
        };
        let data: &'a [u8] = data;
        Ok((
            take,
            Some(Event::Data {
                text,
                data,
                first,
                last,
            }),
        ))
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Frame(e) => fmt::Display::fmt(e, f),
            DecodeError::UnexpectedContinuation => f.write_str("continuation without a message"),
            DecodeError::ExpectedContinuation => f.write_str("new message inside a fragmented one"),
            DecodeError::TooBig => f.write_str("message larger than the limit"),
            DecodeError::InvalidUtf8 => f.write_str("text message is not UTF-8"),
            DecodeError::BadClose(code) => {
                f.write_str("bad close frame, closing with ")?;
                fmt::Display::fmt(code, f)
            }
        }
    }
}

impl core::error::Error for DecodeError {}
