//! How an application answers one request: the [`Responder`] a [`Handler`](super::Handler)
//! (or a [`Consumer`](super::Consumer)) writes its answer through.
//!
//! This module owns the encoding of a response head (and of a body already in memory) into the
//! connection's output queue, growing the queue when the answer needs it, and the record of
//! what was answered ([`Reply`]): a complete response, a body left for the connection to pull,
//! a stream pushed chunk by chunk, or a refusal. It never lets a handler queue bytes the
//! encoder would refuse: a refused attempt leaves the queue untouched, so the handler may
//! answer otherwise. It never sends, never reads a clock and never calls the application.

use core::fmt;

use crate::http::Status;
use crate::http::response::{
    self, BodyFraming, BodyKind, Check, CheckedFields, ChunkedEncoder, EncodeContext, EncodeError,
    Encoded, LAST_CHUNK, Persistence, ResponseHead, Space,
};
use crate::mem::arena::Arena;
use crate::mem::buffer_pool::{Buffers, SizeClass};
use crate::time::Instant;

use super::handler::Never;
use super::pull::{Framing, Pull, Source};
use super::tx::{MAX_WRITE_BUFFER, Tx};
use super::websocket::SocketConfig;
use crate::ws::handshake::{self, Handshake, HandshakeError};

/// Writes the answer to one request into the connection's output queue.
///
/// Answer once, with one of:
/// - [`send`](Self::send): a complete response whose body is in memory now (copied);
/// - [`send_static`](Self::send_static): a body in static memory (flash on a device), pulled
///   as the queue drains;
/// - [`stream`](Self::stream) or [`stream_sized`](Self::stream_sized): a body a
///   [`Producer`](super::Producer) fills as the queue drains;
/// - [`consume`](Self::consume): for a [`RequestBody::Large`](super::RequestBody::Large), the
///   [`Consumer`](super::Consumer) that takes the body (and answers later);
/// - [`refuse_body`](Self::refuse_body): `413` and close;
/// - [`upgrade`](Self::upgrade): `101`, and the connection becomes a WebSocket.
///
/// A [`Consumer`](super::Consumer) may also push a stream: [`start_stream`](Self::start_stream),
/// then [`write`](Self::write) as parts arrive, then [`finish`](Self::finish).
pub struct Responder<'r, B = Never, C = Never> {
    tx: &'r mut Tx,
    pool: &'r mut dyn Buffers,
    class: SizeClass,
    now: Instant,
    cx: EncodeContext<'r>,
    persistence: Persistence,
    arena: Option<&'r Arena<'r>>,
    /// A large body follows: [`consume`](Self::consume) applies.
    large: bool,
    reply: Reply<B>,
    consumer: Option<C>,
    /// The peer's address, when the backend knows it.
    peer: Option<core::net::SocketAddr>,
    /// When the request's first byte arrived.
    received: Instant,
    /// Bytes this responder queued.
    queued: usize,
}

/// What was answered so far.
#[derive(Debug)]
pub(crate) enum Reply<B> {
    /// Nothing yet.
    None,
    /// The body was refused ([`Responder::refuse_body`]): `413` and close.
    Refused,
    /// A complete response is queued.
    Sent {
        /// Its status.
        status: Status,
        /// Whether the connection stays open after it.
        persistence: Persistence,
    },
    /// A pushed stream is open: its head (and perhaps chunks) are queued.
    Push(Push),
    /// The head is queued; the connection pulls the body.
    Pull(Pull<B>),
    /// A `101` is queued: the connection becomes this WebSocket.
    Upgrade(B, SocketConfig),
}

/// An open pushed stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Push {
    /// Its status.
    pub(crate) status: Status,
    /// `true` for chunks (HTTP/1.1), `false` for raw bytes ended by the close (HTTP/1.0).
    pub(crate) chunked: bool,
    /// Whether the connection stays open after it.
    pub(crate) persistence: Persistence,
}

/// Why a [`Responder`] call queued nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RespondError {
    /// A response was already given (or its stream started, or the body consumed).
    AlreadySent,
    /// The response (head and in-memory body) is larger than the largest output queue,
    /// [`MAX_WRITE_BUFFER`]: send the body with a producer or from static memory instead.
    TooLarge,
    /// The pool has no buffer for the output queue now.
    NoBuffer,
    /// An interim (1xx) status: the connection sends `100 Continue` itself and offers no
    /// other interim response.
    Interim,
    /// The encoder refused the response (a bad or reserved header, a body with 204 or 304).
    Encode(EncodeError),
    /// [`write`](Responder::write) or [`finish`](Responder::finish) without an open pushed
    /// stream.
    NoStream,
    /// [`consume`](Responder::consume) for a request whose body was handed over whole.
    NotLarge,
}

impl<'r, B, C> Responder<'r, B, C> {
    /// A responder that goes on from `reply`, writing after what `tx` holds.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        tx: &'r mut Tx,
        pool: &'r mut dyn Buffers,
        class: SizeClass,
        now: Instant,
        cx: EncodeContext<'r>,
        persistence: Persistence,
        arena: Option<&'r Arena<'r>>,
        reply: Reply<B>,
    ) -> Self {
        Self {
            tx,
            pool,
            class,
            now,
            cx,
            persistence,
            arena,
            large: false,
            reply,
            consumer: None,
            peer: None,
            received: now,
            queued: 0,
        }
    }

    /// Names the request's origin: the peer's address and when its first byte arrived.
    pub(crate) fn with_origin(
        mut self,
        peer: Option<core::net::SocketAddr>,
        received: Instant,
    ) -> Self {
        self.peer = peer;
        self.received = received;
        self
    }

    /// Allows [`consume`](Self::consume): the request's body is large and unread.
    pub(crate) fn with_large_body(mut self) -> Self {
        self.large = true;
        self
    }

    /// What was answered, and the consumer handed back.
    pub(crate) fn into_reply(self) -> (Reply<B>, Option<C>) {
        (self.reply, self.consumer)
    }

    /// Scratch memory for this call, if the server has an arena: what is allocated here
    /// lives until the call returns, when the connection resets the arena. `None` when the
    /// backend gave the connection no arena.
    pub fn arena(&self) -> Option<&'r Arena<'r>> {
        self.arena
    }

    /// Sends a complete response: status line, `Date`, `Server`, `headers`, `Content-Length`
    /// and `body` (left out for a `HEAD` request), copied into the output queue now, which
    /// grows as needed. The connection adds `Connection: close` when it will close
    /// afterwards.
    ///
    /// # Errors
    ///
    /// [`RespondError`]; nothing was queued and the handler may answer otherwise.
    pub fn send(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
        body: &[u8],
    ) -> Result<(), RespondError> {
        self.send_as(status, headers, body, Check::Fields)
    }

    /// As [`send`](Self::send), with header fields checked when they were built, so this
    /// response does not check them again.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_checked(
        &mut self,
        status: Status,
        headers: CheckedFields<'_>,
        body: &[u8],
    ) -> Result<(), RespondError> {
        self.send_as(status, headers.fields(), body, Check::Done)
    }

    /// Sends a response whose body lies in static memory (a page in flash, an embedded
    /// asset): the head is queued now with `Content-Length`, the body with it when both fit
    /// the queue's free space, else copied into the queue as it drains, so it may be larger
    /// than any buffer.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_static(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
        body: &'static [u8],
    ) -> Result<(), RespondError> {
        self.send_static_as(status, headers, body, Check::Fields)
    }

    /// As [`send_static`](Self::send_static), with header fields checked when they were
    /// built, so this response does not check them again.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_static_checked(
        &mut self,
        status: Status,
        headers: CheckedFields<'_>,
        body: &'static [u8],
    ) -> Result<(), RespondError> {
        self.send_static_as(status, headers.fields(), body, Check::Done)
    }

    /// Sends a response whose body `producer` fills as the output queue drains, of unknown
    /// length: chunked for an HTTP/1.1 request, until the close for HTTP/1.0. For a `HEAD`
    /// request only the head goes out and the producer is ended at once.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send) (a 204 or 304 status is
    /// [`BodyForbidden`](EncodeError::BodyForbidden)); the producer is dropped unended.
    pub fn stream(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
        producer: B,
    ) -> Result<(), RespondError> {
        self.pull(
            status,
            headers,
            BodyKind::Streamed,
            Source::Producer(producer),
            Check::Fields,
        )
    }

    /// As [`stream`](Self::stream) for a body of exactly `length` bytes, sent with
    /// `Content-Length`: the producer is offered no more space than is left of it, and one
    /// that ends short of it has the connection closed, since the response cannot be
    /// completed.
    ///
    /// # Errors
    ///
    /// As [`stream`](Self::stream).
    pub fn stream_sized(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
        length: u64,
        producer: B,
    ) -> Result<(), RespondError> {
        let kind = BodyKind::Length(length);
        self.pull(
            status,
            headers,
            kind,
            Source::Producer(producer),
            Check::Fields,
        )
    }

    /// Accepts a WebSocket handshake ([`Handshake::check`]): queues the `101` with
    /// `Sec-WebSocket-Accept` (and `protocol` as `Sec-WebSocket-Protocol`, one the client
    /// offered, from [`handshake::select`]); after it the connection carries frames to and
    /// from `socket` (a body whose [`Producer::websocket`](super::Producer::websocket) is
    /// itself), run as `config` says.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send); the socket is dropped unended.
    pub fn upgrade(
        &mut self,
        handshake: &Handshake,
        protocol: Option<&str>,
        socket: B,
        config: SocketConfig,
    ) -> Result<(), RespondError> {
        if self.is_answered() {
            return Err(RespondError::AlreadySent);
        }
        let upgrade: (&str, &[u8]) = ("Upgrade", b"websocket");
        let accept: (&str, &[u8]) = ("Sec-WebSocket-Accept", handshake.accept());
        let with = [
            upgrade,
            accept,
            (
                "Sec-WebSocket-Protocol",
                protocol.unwrap_or_default().as_bytes(),
            ),
        ];
        let headers = if protocol.is_some() {
            &with[..]
        } else {
            &with[..2]
        };
        let head = ResponseHead {
            status: Status::SWITCHING_PROTOCOLS,
            headers,
            persistence: self.persistence,
        };
        self.queue_head(&head, BodyKind::Empty, b"", Check::Fields)?;
        self.reply = Reply::Upgrade(socket, config);
        Ok(())
    }

    /// Refuses a WebSocket handshake as `error` says: `400`, or `426` with
    /// `Sec-WebSocket-Version: 13`.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn refuse_upgrade(&mut self, error: HandshakeError) -> Result<(), RespondError> {
        let version: (&str, &[u8]) = ("Sec-WebSocket-Version", handshake::VERSION);
        let headers: &[(&str, &[u8])] = match error {
            HandshakeError::UnsupportedVersion => &[version],
            _ => &[],
        };
        self.send(error.status(), headers, b"")
    }

    /// Hands the request's large body to `consumer`, which takes it part by part and answers
    /// ([`Consumer`](super::Consumer)).
    ///
    /// # Errors
    ///
    /// [`RespondError::NotLarge`] when the body was handed over whole;
    /// [`RespondError::AlreadySent`] after another answer.
    pub fn consume(&mut self, consumer: C) -> Result<(), RespondError> {
        if !self.large {
            return Err(RespondError::NotLarge);
        }
        if !matches!(self.reply, Reply::None) || self.consumer.is_some() {
            return Err(RespondError::AlreadySent);
        }
        self.consumer = Some(consumer);
        Ok(())
    }

    /// Starts a pushed stream: queues its head with `Transfer-Encoding: chunked` (HTTP/1.1),
    /// or with no length and `Connection: close` (HTTP/1.0). For a `HEAD` request the head is
    /// the whole response, and [`write`](Self::write) and [`finish`](Self::finish) accept and
    /// drop what they get. Meant for a [`Consumer`](super::Consumer) that echoes a body as it
    /// arrives; a stream still open when the call's exchange is over is finished by the
    /// connection.
    ///
    /// # Errors
    ///
    /// As [`stream`](Self::stream).
    pub fn start_stream(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
    ) -> Result<(), RespondError> {
        let encoded = self.encode(status, headers, BodyKind::Streamed, b"", Check::Fields)?;
        let persistence = encoded.persistence;
        self.reply = match encoded.body {
            BodyFraming::Chunked | BodyFraming::UntilClose => Reply::Push(Push {
                status,
                chunked: encoded.body == BodyFraming::Chunked,
                persistence,
            }),
            BodyFraming::None | BodyFraming::Length(_) => Reply::Sent {
                status,
                persistence,
            },
        };
        Ok(())
    }

    /// Appends as much of `bytes` to the open pushed stream as the output queue's free space
    /// takes (one chunk) and returns how much that was. A part handed to a
    /// [`Consumer`](super::Consumer) always fits whole.
    ///
    /// # Errors
    ///
    /// [`RespondError::NoStream`] when no pushed stream is open.
    pub fn write(&mut self, bytes: &[u8]) -> Result<usize, RespondError> {
        let push = match self.reply {
            Reply::Push(push) => push,
            Reply::Sent { .. } if self.cx.head_request => return Ok(bytes.len()),
            _ => return Err(RespondError::NoStream),
        };
        let Some(out) = self.tx.space(self.pool, self.class) else {
            return Ok(0);
        };
        let (taken, len) = if push.chunked {
            let n = bytes.len().min(response::max_chunk_data(out.len()));
            let data = bytes.get(..n).unwrap_or_default();
            match ChunkedEncoder::new().encode_chunk(data, out) {
                Ok(len) => (n, len),
                Err(_) => (0, 0),
            }
        } else {
            let n = bytes.len().min(out.len());
            match (out.get_mut(..n), bytes.get(..n)) {
                (Some(dst), Some(src)) => {
                    dst.copy_from_slice(src);
                    (n, n)
                }
                _ => (0, 0),
            }
        };
        self.tx.commit(len, self.now);
        self.queued = self.queued.saturating_add(len);
        Ok(taken)
    }

    /// Ends the open pushed stream: queues the last chunk (or nothing, for a body the close
    /// ends).
    ///
    /// # Errors
    ///
    /// [`RespondError::NoStream`] when no pushed stream is open; [`RespondError::NoBuffer`]
    /// when the last chunk finds no room (the connection writes it later).
    pub fn finish(&mut self) -> Result<(), RespondError> {
        let push = match self.reply {
            Reply::Push(push) => push,
            Reply::Sent { .. } if self.cx.head_request => return Ok(()),
            _ => return Err(RespondError::NoStream),
        };
        if push.chunked {
            let out = self
                .tx
                .reserve(self.pool, self.class, LAST_CHUNK.len())
                .ok_or(RespondError::NoBuffer)?;
            let Some(dst) = out.get_mut(..LAST_CHUNK.len()) else {
                return Err(RespondError::NoBuffer);
            };
            dst.copy_from_slice(LAST_CHUNK);
            self.tx.commit(LAST_CHUNK.len(), self.now);
            self.queued = self.queued.saturating_add(LAST_CHUNK.len());
        }
        self.reply = Reply::Sent {
            status: push.status,
            persistence: push.persistence,
        };
        Ok(())
    }

    /// Refuses the request's body as too large for this application: the connection answers
    /// `413` with `Connection: close`, reports it as a refusal and closes without reading
    /// further, exactly as for a body over the configured limit.
    ///
    /// # Errors
    ///
    /// [`RespondError::AlreadySent`] when an answer was given.
    pub fn refuse_body(&mut self) -> Result<(), RespondError> {
        if !matches!(self.reply, Reply::None) || self.consumer.is_some() {
            return Err(RespondError::AlreadySent);
        }
        self.reply = Reply::Refused;
        Ok(())
    }

    /// The peer's address, when the backend knows it.
    pub const fn peer(&self) -> Option<core::net::SocketAddr> {
        self.peer
    }

    /// How long since the request's first byte arrived: the latency of an answer given now.
    pub fn elapsed(&self) -> crate::time::Duration {
        self.now.saturating_duration_since(self.received)
    }

    /// The length of the whole response on the wire (head and body), when it is known now: a
    /// complete response, or a pulled body of known length. `None` before an answer and for a
    /// body of unknown length (chunked, until the close, pushed).
    pub fn response_bytes(&self) -> Option<u64> {
        let queued = self.queued as u64;
        match &self.reply {
            Reply::Sent { .. } | Reply::Upgrade(..) => Some(queued),
            Reply::Pull(pull) => pull.length_left().map(|left| queued.saturating_add(left)),
            Reply::None | Reply::Refused | Reply::Push(_) => None,
        }
    }

    /// Whether the connection closes after this response.
    pub const fn closes(&self) -> bool {
        matches!(self.persistence, Persistence::Close)
    }

    /// Asks the connection to close after this response: call before answering to have the
    /// response say `Connection: close`; during a pushed stream the connection closes once it
    /// is finished.
    pub fn close(&mut self) {
        self.persistence = Persistence::Close;
        if let Reply::Push(push) = &mut self.reply {
            push.persistence = Persistence::Close;
        }
    }

    /// The status answered so far (`413` after [`refuse_body`](Self::refuse_body)), or `None`
    /// while nothing is answered.
    pub const fn status(&self) -> Option<Status> {
        match &self.reply {
            Reply::Sent { status, .. } => Some(*status),
            Reply::Push(push) => Some(push.status),
            Reply::Pull(pull) => Some(pull.status()),
            Reply::Refused => Some(Status::PAYLOAD_TOO_LARGE),
            Reply::Upgrade(..) => Some(Status::SWITCHING_PROTOCOLS),
            Reply::None => None,
        }
    }

    /// Whether a pushed stream is open: [`write`](Self::write) and [`finish`](Self::finish)
    /// apply.
    pub const fn is_streaming(&self) -> bool {
        matches!(self.reply, Reply::Push(_))
    }

    /// Whether the request is answered (or its body handed to a consumer).
    pub const fn is_answered(&self) -> bool {
        !matches!(self.reply, Reply::None) || self.consumer.is_some()
    }

    /// Queues a head for a body of `kind` that the connection pulls from `source`.
    fn pull(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
        kind: BodyKind,
        source: Source<B>,
        check: Check,
    ) -> Result<(), RespondError> {
        let encoded = self.encode(status, headers, kind, b"", check)?;
        self.pulled(status, encoded, source);
        Ok(())
    }

    /// Queues a complete response with `body` copied in.
    fn send_as(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
        body: &[u8],
        check: Check,
    ) -> Result<(), RespondError> {
        let kind = BodyKind::Length(body.len() as u64);
        let encoded = self.encode(status, headers, kind, body, check)?;
        self.reply = Reply::Sent {
            status,
            persistence: encoded.persistence,
        };
        Ok(())
    }

    /// Queues a response whose body lies in static memory: with its head at once when both
    /// fit the queue's free space (the common small page, which then needs no pulling), else
    /// the head alone, the body pulled as the queue drains.
    fn send_static_as(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
        body: &'static [u8],
        check: Check,
    ) -> Result<(), RespondError> {
        let head = self.final_head(status, headers)?;
        let out = self
            .tx
            .space(self.pool, self.class)
            .ok_or(RespondError::NoBuffer)?;
        let encoded = match response::encode_full_as(&head, body, &self.cx, out, check, Space::Free)
        {
            Ok(encoded) => encoded,
            Err(EncodeError::BufferTooSmall) => {
                let kind = BodyKind::Length(body.len() as u64);
                let encoded = self.queue_head(&head, kind, b"", check)?;
                self.pulled(status, encoded, Source::Static(body));
                return Ok(());
            }
            Err(error) => return Err(RespondError::Encode(error)),
        };
        self.tx.commit(encoded.len, self.now);
        self.queued = self.queued.saturating_add(encoded.len);
        self.reply = Reply::Sent {
            status,
            persistence: encoded.persistence,
        };
        Ok(())
    }

    /// Records a head queued for a body the connection pulls from `source`.
    fn pulled(&mut self, status: Status, encoded: Encoded, source: Source<B>) {
        let framing = match encoded.body {
            BodyFraming::Length(left) => Framing::Length { left },
            BodyFraming::Chunked => Framing::Chunked { finishing: false },
            BodyFraming::UntilClose => Framing::UntilClose,
            BodyFraming::None => Framing::Nothing,
        };
        self.reply = Reply::Pull(Pull::new(status, encoded.persistence, source, framing));
    }

    /// Encodes a final response head (and `body`, when `kind` is its length and it is not
    /// empty) into the output queue, growing it as needed, after checking that nothing was
    /// answered; the header fields are checked as `check` says.
    fn encode(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
        kind: BodyKind,
        body: &[u8],
        check: Check,
    ) -> Result<Encoded, RespondError> {
        let head = self.final_head(status, headers)?;
        self.queue_head(&head, kind, body, check)
    }

    /// The head of a final response, once nothing was answered yet.
    fn final_head<'h>(
        &self,
        status: Status,
        headers: &'h [(&'h str, &'h [u8])],
    ) -> Result<ResponseHead<'h>, RespondError> {
        if self.is_answered() {
            return Err(RespondError::AlreadySent);
        }
        if status.is_informational() {
            return Err(RespondError::Interim);
        }
        Ok(ResponseHead {
            status,
            headers,
            persistence: self.persistence,
        })
    }

    /// Encodes `head` (any status, `101` included) and `body` into the output queue, growing
    /// it as needed; the header fields are checked as `check` says.
    fn queue_head(
        &mut self,
        head: &ResponseHead<'_>,
        kind: BodyKind,
        body: &[u8],
        check: Check,
    ) -> Result<Encoded, RespondError> {
        let encode = |out: &mut [u8]| {
            if body.is_empty() {
                response::encode_head_as(head, kind, &self.cx, out, check, Space::Free)
            } else {
                response::encode_full_as(head, body, &self.cx, out, check, Space::Free)
            }
        };
        let out = self
            .tx
            .space(self.pool, self.class)
            .ok_or(RespondError::NoBuffer)?;
        let encoded = match encode(out) {
            Err(EncodeError::BufferTooSmall) => {
                // Grow the queue to the exact size and encode again.
                let head_len = response::head_len_as(head, kind, &self.cx, check)
                    .map_err(RespondError::Encode)?;
                let body_len = if self.cx.head_request { 0 } else { body.len() };
                let need = head_len.saturating_add(body_len);
                if need.saturating_add(self.tx.len()) > MAX_WRITE_BUFFER {
                    return Err(RespondError::TooLarge);
                }
                let out = self
                    .tx
                    .reserve(self.pool, self.class, need)
                    .ok_or(RespondError::NoBuffer)?;
                encode(out)
            }
            other => other,
        }
        .map_err(|error| match error {
            EncodeError::BufferTooSmall => RespondError::NoBuffer,
            error => RespondError::Encode(error),
        })?;
        self.tx.commit(encoded.len, self.now);
        self.queued = self.queued.saturating_add(encoded.len);
        Ok(encoded)
    }
}

impl<B, C> fmt::Debug for Responder<'_, B, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Responder")
            .field("status", &self.status())
            .field("closes", &self.closes())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for RespondError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RespondError::AlreadySent => f.write_str("a response was already given"),
            RespondError::TooLarge => f.write_str("response larger than the largest output queue"),
            RespondError::NoBuffer => f.write_str("no buffer for the output queue"),
            RespondError::Interim => f.write_str("interim responses are sent by the connection"),
            RespondError::Encode(error) => fmt::Display::fmt(error, f),
            RespondError::NoStream => f.write_str("no pushed stream is open"),
            RespondError::NotLarge => f.write_str("the body was handed over whole"),
        }
    }
}

impl core::error::Error for RespondError {}
