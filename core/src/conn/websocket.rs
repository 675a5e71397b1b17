//! The application's side of an upgraded connection: the [`WebSocket`] that receives messages
//! and sends its own through a [`Sender`], and the [`SocketConfig`] it is upgraded with.
//!
//! This module names the contract and writes frames into the output queue; when to decode,
//! ping, pull or close is the connection's (its `socket` module). It never reads a clock and
//! never allocates.

use crate::mem::buffer_pool::{Buffers, SizeClass};
use crate::time::{Duration, Instant};
use crate::ws::frame::{self, Opcode};
use crate::ws::{CloseCode, encode};

use super::handler::Fill;
use super::tx::Tx;

/// One WebSocket connection's application side, made by a route that upgraded
/// ([`Responder::upgrade`](super::Responder::upgrade)). It is the application's
/// [`Handler::Body`](super::Handler::Body) that answers
/// [`Producer::websocket`](super::Producer::websocket) with itself; the connection ends it
/// through [`Producer::end`](super::Producer::end) once the socket closes
/// ([`End::Completed`](super::End::Completed) after a close handshake with 1000 or 1001).
///
/// Pings, pongs and the close handshake are answered by the connection; the socket sees only
/// data. While the output queue is full the connection reads no more messages, so a reply
/// about as long as the message it answers always fits.
pub trait WebSocket<S> {
    /// A message arrived (or, for one longer than the read buffer or fragmented, the next
    /// part of it) at `now`. `app` is the application's state.
    fn receive(&mut self, app: &mut S, now: Instant, message: Message<'_>, out: &mut Sender<'_>);

    /// Sends what the socket has to say of its own, as output space frees: called once after
    /// the upgrade, then after each answer [`Fill::Filled`] (or a send refused as
    /// [`SendError::Full`]) when the queue drains, at the instant of [`Fill::Until`], and on
    /// [`Connection::wake`](super::Connection::wake) after [`Fill::Pending`] (which has no
    /// time limit here). [`Fill::Done`] closes with 1000. The default has nothing to say.
    fn poll_send(&mut self, app: &mut S, now: Instant, out: &mut Sender<'_>) -> Fill {
        let _ = (app, now, out);
        Fill::Pending
    }
}

/// A message, or a part of one, as the socket receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A whole text message.
    Text(&'a str),
    /// A whole binary message.
    Binary(&'a [u8]),
    /// A part of a message too long for the read buffer, or fragmented by the peer. Text
    /// parts may split a character; the whole is checked UTF-8 (else the connection closes
    /// with 1007 before the last part).
    Part {
        /// A text message (else binary).
        text: bool,
        /// The bytes.
        data: &'a [u8],
        /// The first part.
        first: bool,
        /// The last part.
        last: bool,
    },
}

/// How a socket is run: the message limit and the liveness checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SocketConfig {
    /// The longest message taken; a longer one closes with 1009.
    pub max_message: u32,
    /// After this long without a byte from the peer, the connection sends a ping.
    pub ping_after: Duration,
    /// After a ping, how long the peer has to send anything before the connection closes.
    pub pong_timeout: Duration,
}

impl SocketConfig {
    /// 64 KiB messages, a ping after 30 s of silence, 10 s to answer it.
    pub const DEFAULT: SocketConfig = SocketConfig {
        max_message: 64 * 1024,
        ping_after: Duration::from_secs(30),
        pong_timeout: Duration::from_secs(10),
    };
}

impl Default for SocketConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a [`Sender`] sent nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SendError {
    /// The output queue cannot take the frame now: send it from
    /// [`WebSocket::poll_send`], which is called again once the queue drains.
    Full,
    /// A close frame was sent: nothing follows it.
    Closed,
}

/// Writes a socket's frames into the connection's output queue, growing it as needed up to
/// [`MAX_WRITE_BUFFER`](super::MAX_WRITE_BUFFER).
pub struct Sender<'s> {
    tx: &'s mut Tx,
    pool: &'s mut dyn Buffers,
    class: SizeClass,
    now: Instant,
    closed: &'s mut Option<CloseCode>,
}

impl<'s> Sender<'s> {
    /// A sender writing after what `tx` holds; `closed` records a close frame sent.
    pub(crate) fn new(
        tx: &'s mut Tx,
        pool: &'s mut dyn Buffers,
        class: SizeClass,
        now: Instant,
        closed: &'s mut Option<CloseCode>,
    ) -> Self {
        Self {
            tx,
            pool,
            class,
            now,
            closed,
        }
    }

    /// Sends a text message.
    ///
    /// # Errors
    ///
    /// [`SendError`]; nothing was queued.
    pub fn text(&mut self, text: &str) -> Result<(), SendError> {
        self.frame(true, Opcode::Text, text.as_bytes())
    }

    /// Sends a binary message.
    ///
    /// # Errors
    ///
    /// As [`text`](Self::text).
    pub fn binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.frame(true, Opcode::Binary, data)
    }

    /// Sends one fragment of a message: the `first` carries its kind, the `last` ends it. A
    /// received [`Message::Part`] echoes as the same part.
    ///
    /// # Errors
    ///
    /// As [`text`](Self::text).
    pub fn part(
        &mut self,
        text: bool,
        data: &[u8],
        first: bool,
        last: bool,
    ) -> Result<(), SendError> {
        let opcode = match (first, text) {
            (false, _) => Opcode::Continuation,
            (true, true) => Opcode::Text,
            (true, false) => Opcode::Binary,
        };
        self.frame(last, opcode, data)
    }

    /// Sends `message` back as it came: a whole message whole, a part as the same part.
    ///
    /// # Errors
    ///
    /// As [`text`](Self::text).
    pub fn echo(&mut self, message: Message<'_>) -> Result<(), SendError> {
        match message {
            Message::Text(text) => self.text(text),
            Message::Binary(data) => self.binary(data),
            Message::Part {
                text,
                data,
                first,
                last,
            } => self.part(text, data, first, last),
        }
    }

    /// Starts the close handshake with `code` and `reason` (cut to fit a control frame): the
    /// socket receives nothing more, and the connection closes when the peer answers with
    /// its close, or after [`SocketConfig::pong_timeout`] without one.
    ///
    /// # Errors
    ///
    /// As [`text`](Self::text).
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        if self.closed.is_some() {
            return Err(SendError::Closed);
        }
        let out = self
            .tx
            .reserve(self.pool, self.class, encode::MAX_CLOSE_FRAME)
            .ok_or(SendError::Full)?;
        let n = encode::close(code, reason, out).ok_or(SendError::Full)?;
        self.tx.commit(n, self.now);
        *self.closed = Some(code);
        Ok(())
    }

    /// Answers a ping with its payload.
    pub(crate) fn pong(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.frame(true, Opcode::Pong, payload)
    }

    /// Pings a silent peer.
    pub(crate) fn ping(&mut self) -> Result<(), SendError> {
        self.frame(true, Opcode::Ping, b"")
    }

    /// Queues one frame whole.
    fn frame(&mut self, fin: bool, opcode: Opcode, payload: &[u8]) -> Result<(), SendError> {
        if self.closed.is_some() {
            return Err(SendError::Closed);
        }
        let len = payload.len() as u64;
        let need = frame::header_len(len).saturating_add(payload.len());
        let out = self
            .tx
            .reserve(self.pool, self.class, need)
            .ok_or(SendError::Full)?;
        let n = frame::encode_header(fin, opcode, len, out).ok_or(SendError::Full)?;
        out.get_mut(n..need)
            .ok_or(SendError::Full)?
            .copy_from_slice(payload);
        self.tx.commit(need, self.now);
        Ok(())
    }
}

impl core::fmt::Debug for Sender<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Display for SendError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SendError::Full => "output queue full",
            SendError::Closed => "socket closed",
        })
    }
}

impl core::error::Error for SendError {}
