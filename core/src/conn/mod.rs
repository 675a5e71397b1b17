//! The connection engine: one HTTP/1.1 connection as a sans-IO state machine.
//!
//! This module owns the phase machine of one connection — accepted, reading a head, reading a
//! body, handing a request to the application, pulling its response body, between requests,
//! closing — with keep-alive, pipelining, `100 Continue`, the per-connection request limit,
//! error responses and the header, body, write and idle deadlines. It never touches a socket
//! or a clock and never allocates: bytes, `now` and the memory come from the backend.
//!
//! - [`handler`]: the application's contract: [`Handler`] (called once per request),
//!   [`Producer`] (a response body pulled as space frees) and [`Consumer`] (a large request
//!   body taken in parts).
//! - [`Responder`]: how an answer is written.
//! - [`websocket`]: the application's side of a connection upgraded to a WebSocket
//!   ([`WebSocket`], [`Sender`]).
//! - [`state`]: the names a backend sees ([`State`], [`CloseReason`], [`Timer`],
//!   [`ReadError`]) and the events it observes ([`ConnEvent`], [`Observer`]).
//! - Inside: `rx` (the read buffer), `tx` (the output queue), `head` (reading a request's
//!   head and body), `call` (handing a request to the application and pulling its answer),
//!   `parts` (a large body handed to a consumer), `pull` (framing a pulled body) and
//!   `socket` (the upgraded phase: frames in and out, pings, the close handshake).

mod call;
pub mod handler;
mod head;
mod parts;
mod pull;
mod responder;
mod rx;
mod socket;
pub mod state;
mod tx;
pub mod websocket;

use crate::config::{ServerConfig, Timeouts};
use crate::http::Limits;
use crate::http::chunked::ChunkedDecoder;
use crate::http::date::Date;
use crate::http::header::HeaderSpan;
use crate::http::request::RequestHead;
use crate::http::response::{Persistence, ServerName};
use crate::mem::arena::Arena;
use crate::mem::buffer_pool::{BufferHandle, BufferPool, SizeClass};
use crate::time::Instant;

pub use handler::{Consumer, End, Fill, Handler, Never, Producer, RequestBody};
pub use parts::PART_HEAD_ROOM;
pub use responder::{RespondError, Responder};
pub use rx::MAX_READ_BUFFER;
pub use state::{
    CloseReason, ConnEvent, Observer, Processing, ReadError, Reclaim, RejectCause, State, Timer,
};
pub use tx::MAX_WRITE_BUFFER;
pub use websocket::{Message, SendError, Sender, SocketConfig, WebSocket};

use pull::Pull;
use responder::Push;
use rx::Rx;
use socket::Socket;
use tx::Tx;

impl<H: Handler> core::fmt::Debug for Connection<H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("phase", &self.phase)
            .field("served", &self.served)
            .field("pulling", &self.pull.is_some())
            .field("consuming", &self.consumer.is_some())
            .finish_non_exhaustive()
    }
}

/// What a connection borrows from the backend for one call: the buffer pool, the application,
/// the current `Date` header value (`None` without a wall clock), the header scratch and the
/// observer of its events. One `Env` serves every connection of a worker.
pub struct Env<'e, 'p, H> {
    /// The pool the read buffer and the output queue come from and return to.
    pub pool: &'e mut BufferPool<'p>,
    /// The application.
    pub handler: &'e mut H,
    /// The `Date` value for responses.
    pub date: Option<&'e Date>,
    /// Header storage for parsing one head, shared by all connections of a worker.
    pub spans: &'e mut Spans<'p>,
    /// Receives responses and refusals, for metrics.
    pub observer: &'e mut dyn Observer,
    /// Per-call scratch for handlers ([`Responder::arena`]), reset after every handler call;
    /// `None` offers none.
    pub arena: Option<&'e mut Arena<'p>>,
    /// The peer's address, for the application ([`Responder::peer`]); `None` when the
    /// backend does not know it.
    pub peer: Option<core::net::SocketAddr>,
}

impl<H> Env<'_, '_, H> {
    /// Resets the handlers' arena after a call: nothing allocated for one call outlives it.
    fn reset_arena(&mut self) {
        if let Some(arena) = self.arena.as_deref_mut() {
            arena.reset();
        }
    }
}

impl<H> core::fmt::Debug for Env<'_, '_, H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Env")
            .field("date", &self.date)
            .finish_non_exhaustive()
    }
}

/// The header fields of the last head parsed by any connection of a worker (at most
/// `len()` fields are accepted), and which parse they came from: a connection whose request
/// waited while another parsed parses its head again before handing it over; one that
/// did not wait does not.
#[derive(Debug)]
pub struct Spans<'s> {
    table: &'s mut [HeaderSpan],
    /// Parses so far; a connection remembers the count of its own.
    parses: u64,
}

impl<'s> Spans<'s> {
    /// Scratch over `table`, one entry per header field a head may have.
    pub fn new(table: &'s mut [HeaderSpan]) -> Self {
        Self { table, parses: 1 }
    }

    /// How many fields a head may have.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no field fits (every head with a field is refused).
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Heads parsed into this scratch so far (counting from 1), parses again of a head whose
    /// request waited while another connection parsed included.
    pub fn parses(&self) -> u64 {
        self.parses
    }
}

/// One HTTP/1.1 connection to the application `H`, sans-IO. It holds the application's
/// producer of the response being pulled ([`Handler::Body`]) and its consumer of the body
/// being read ([`Handler::Consumer`]).
///
/// The connection owns no buffer memory and borrows none between calls. Its read buffer is a
/// [`BufferHandle`] taken from the pool when bytes are about to arrive (in the configured start
/// class, 4 KiB by default, growing up to [`MAX_READ_BUFFER`] for a large head or body) and
/// given back whenever nothing is buffered; its output queue is another, taken in the start
/// class when a response is queued (growing up to [`MAX_WRITE_BUFFER`] for a large one) and
/// given back once written. An idle keep-alive connection holds no buffer at all.
///
/// # Call order
///
/// A backend drives each connection like this, with `now` read once per loop turn:
///
/// 1. On readability: [`read_buf`](Self::read_buf) for the space to read into, read from the
///    socket into it, then [`handle_read`](Self::handle_read) with the byte count (or
///    [`handle_eof`](Self::handle_eof) at end-of-stream). Repeat until the socket would block
///    or `read_buf` returns an error ([`ReadError::Paused`]: write first).
/// 2. Drain [`poll_transmit`](Self::poll_transmit): write what it returns and report the count
///    with [`handle_written`](Self::handle_written), until it returns `None` or the socket
///    would block (then wait for writability).
/// 3. Check [`poll_close`](Self::poll_close): `Some` means close the socket now.
/// 4. Arm the timer with [`poll_timeout`](Self::poll_timeout); when it fires call
///    [`handle_timeout`](Self::handle_timeout), then go to 2.
///
/// Every `handle_*` call may queue output, so steps 2 to 4 follow each of them. Spurious calls
/// (a timeout before its deadline, a zero-byte write) are harmless. To stop a server
/// gracefully, call [`shutdown`](Self::shutdown) on each connection, then go on as above.
///
/// # Pulled bodies
///
/// A response body from a [`Producer`] (or static memory) is pulled by step 2 alone: each time
/// the queue drains, [`handle_written`](Self::handle_written) fills it again. `read_buf` says
/// [`ReadError::Paused`] until the body is complete. A producer that waits
/// ([`Fill::Pending`]) is pulled again by [`wake`](Self::wake), one that waits for an instant
/// ([`Fill::Until`]) by [`handle_timeout`](Self::handle_timeout) at that instant.
///
/// # Examples
///
/// ```
/// use aurora_core::config::ServerConfig;
/// use aurora_core::conn::{Connection, Env, RequestBody, Responder, Spans};
/// use aurora_core::http::Status;
/// use aurora_core::http::header::HeaderSpan;
/// use aurora_core::http::request::Request;
/// use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, Slot};
/// use aurora_core::time::Instant;
///
/// let mut bytes = [0u8; 8192];
/// let mut slots = [Slot::EMPTY; 2];
/// let mut pool = BufferPool::new(1, [
///     ClassRegion::empty(),
///     ClassRegion::new(&mut bytes, &mut slots),
///     ClassRegion::empty(),
///     ClassRegion::empty(),
///     ClassRegion::empty(),
/// ]);
/// let mut table = [HeaderSpan::EMPTY; 16];
/// let mut spans = Spans::new(&mut table);
/// let mut handler = |_: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_>| {
///     let _ = res.send(Status::OK, &[], b"hi");
/// };
/// let config = ServerConfig::DEFAULT;
/// let now = Instant::ZERO;
/// let mut conn = Connection::new(&config, now);
///
/// let request = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
/// let space = conn.read_buf(&mut pool).unwrap();
/// space[..request.len()].copy_from_slice(request);
/// let mut env = Env {
///     pool: &mut pool,
///     handler: &mut handler,
///     date: None,
///     spans: &mut spans,
///     observer: &mut (),
///     arena: None,
///     peer: None,
/// };
/// conn.handle_read(request.len(), now, &mut env);
///
/// let out = conn.poll_transmit(env.pool).unwrap();
/// assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n") && out.ends_with(b"\r\n\r\nhi"));
/// let n = out.len();
/// conn.handle_written(n, now, &mut env);
/// assert_eq!(conn.poll_transmit(env.pool), None);
/// ```
pub struct Connection<H: Handler> {
    limits: Limits,
    timeouts: Timeouts,
    max_requests: u32,
    server: Option<ServerName<'static>>,
    /// The class the read buffer and the output queue are taken in.
    start: SizeClass,
    phase: Phase,
    /// The head of the request being read or handled: set from its parse to its dispatch,
    /// kept out of the phase so that moving between phases never copies it.
    head: Option<RequestHead>,
    rx: Rx,
    tx: Tx,
    /// Final responses completed so far.
    served: u32,
    /// The [`Spans`] parse count of this connection's last parse.
    parsed: u64,
    /// The server is shutting down: the next response says `Connection: close`.
    draining: bool,
    /// Whether the request being answered is a `HEAD` request.
    head_request: bool,
    /// The body of the response being pulled.
    pull: Option<Pull<H::Body>>,
    /// The consumer of the large body being read.
    consumer: Option<H::Consumer>,
}

/// The connection's position in the request cycle.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Accepted, nothing received.
    New { since: Instant },
    /// Between requests, nothing of the next one buffered.
    Idle { since: Instant },
    /// Part of a head is buffered; it began arriving at `started`.
    Head { started: Instant },
    /// The head is parsed; its body is being read whole (last progress at `progress`).
    Body {
        body: Body,
        progress: Instant,
        started: Instant,
    },
    /// A complete request waits for the output queue to drain below its start class before
    /// the handler sees it. Its body is `buf[head_len..body_end]`.
    Ready { body_end: usize, started: Instant },
    /// A large body goes to the consumer part by part. The buffer holds the head, then the
    /// body bytes not yet handed over, then (once the body's end arrived) what follows it.
    Parts {
        framing: PartFraming,
        answer: Answer,
        progress: Instant,
        started: Instant,
    },
    /// The request is consumed; its response body is being pulled.
    Respond { started: Instant },
    /// Upgraded to a WebSocket: the bytes are frames, the socket is [`Connection::pull`]'s.
    Socket(Socket),
    /// No more requests: close once the output queue is drained.
    Closing { reason: CloseReason },
    /// Closed; `reason` until [`Connection::poll_close`] took it.
    Closed { reason: Option<CloseReason> },
}

/// How a body read whole ends.
#[derive(Clone, Copy, Debug)]
enum Body {
    /// The body is `buf[head_len..end]`.
    Length { end: usize },
    /// Decoded in place: the body so far is `buf[head_len..head_len + decoded]`.
    Chunked {
        decoder: ChunkedDecoder,
        decoded: usize,
    },
}

/// How a body handed over in parts ends.
#[derive(Clone, Copy, Debug)]
enum PartFraming {
    /// This many body bytes are not handed over yet (some may be buffered).
    Length { left: u64 },
    /// Decoded in place: the decoded bytes not handed over yet are
    /// `buf[head_len..head_len + decoded]`.
    Chunked {
        decoder: ChunkedDecoder,
        decoded: usize,
    },
}

/// What a consumer has answered so far.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// Nothing.
    None,
    /// A pushed stream is open.
    Push(Push),
    /// A complete response is queued.
    Sent {
        status: crate::http::Status,
        persistence: Persistence,
    },
    /// A head is queued; the body ([`Connection::pull`]) is pulled once the request is read.
    Pulled,
}

/// What one pass over the buffered input did.
enum Step {
    /// Go on with the next phase.
    Again,
    /// Wait for more input, the queue to drain, or the close.
    Stop,
    /// Refuse the request with this status and close ([`Connection::fail`]).
    Fail(crate::http::Status, RejectCause),
}

impl<H: Handler> Connection<H> {
    /// A connection accepted at `now`, with `config`'s limits, timeouts, request limit and
    /// start class.
    pub fn new(config: &ServerConfig, now: Instant) -> Self {
        let server = config.server_header.and_then(|s| ServerName::new(s).ok());
        Self {
            limits: config.limits,
            timeouts: config.timeouts,
            max_requests: config.max_requests_per_connection,
            server,
            start: config.pools.start_class,
            phase: Phase::New { since: now },
            head: None,
            rx: Rx::default(),
            tx: Tx::new(now),
            served: 0,
            parsed: 0,
            draining: false,
            head_request: false,
            pull: None,
            consumer: None,
        }
    }

    /// Where the connection stands.
    pub fn state(&self) -> State {
        match &self.phase {
            Phase::Closed { .. } => State::Closed,
            Phase::Socket(_) => State::Upgraded,
            _ if !self.tx.is_empty() => State::WritingResponse,
            Phase::New { .. } => State::New,
            Phase::Idle { .. } => State::KeepAlive,
            Phase::Head { .. } => State::ReadingHeaders,
            Phase::Parts { framing, .. } => State::Processing(match framing {
                PartFraming::Length { .. } => Processing::ContentLength,
                PartFraming::Chunked { .. } => Processing::Chunked,
            }),
            Phase::Body { .. }
                if self
                    .head
                    .as_ref()
                    .is_some_and(|h| h.expects_continue() && self.rx.filled() == h.head_len()) =>
            {
                State::Processing(Processing::AwaitingContinue)
            }
            Phase::Body {
                body: Body::Length { .. },
                ..
            } => State::Processing(Processing::ContentLength),
            Phase::Body {
                body: Body::Chunked { .. },
                ..
            } => State::Processing(Processing::Chunked),
            Phase::Ready { .. } => State::Processing(Processing::Waiting),
            Phase::Respond { .. } | Phase::Closing { .. } => State::WritingResponse,
        }
    }

    /// Whether the connection could be closed to make room for a new one, and how cheaply
    /// ([`Reclaim`]): idle between requests with nothing queued, or reading a head with no
    /// response queued. `None` in every other phase.
    pub fn reclaim(&self) -> Option<Reclaim> {
        if !self.tx.is_empty() {
            return None;
        }
        match self.phase {
            Phase::Idle { since } => Some(Reclaim::Idle { since }),
            Phase::New { since } => Some(Reclaim::Head {
                started: since,
                buffered: 0,
            }),
            Phase::Head { started } => Some(Reclaim::Head {
                started,
                buffered: self.rx.filled(),
            }),
            _ => None,
        }
    }

    /// Final responses completed so far.
    pub const fn requests_served(&self) -> u32 {
        self.served
    }

    /// The read buffer this connection holds, if any.
    pub const fn read_buffer(&self) -> Option<BufferHandle> {
        self.rx.handle()
    }

    /// The space to read the next bytes into, taking a buffer from `pool` if the connection
    /// holds none and growing it (up to [`MAX_READ_BUFFER`]) when a head or body needs more.
    /// Report what was read with [`handle_read`](Self::handle_read).
    ///
    /// # Errors
    ///
    /// [`ReadError::Closed`] once the connection reads no more, [`ReadError::Paused`] while a
    /// complete request waits for the output to drain, while a response body is being pulled,
    /// or while a body handed over in parts fills the buffer because the output queue is full;
    /// [`ReadError::Pool`] when the pool has no buffer for it.
    pub fn read_buf<'b>(
        &mut self,
        pool: &'b mut BufferPool<'_>,
    ) -> Result<&'b mut [u8], ReadError> {
        match self.phase {
            Phase::Closing { .. } | Phase::Closed { .. } => Err(ReadError::Closed),
            Phase::Ready { .. } | Phase::Respond { .. } => Err(ReadError::Paused),
            Phase::Parts { .. } | Phase::Socket(_) => self.rx.space(pool, self.start, true),
            _ => self.rx.space(pool, self.start, false),
        }
    }

    /// `n` bytes were read into the space [`read_buf`](Self::read_buf) returned. Parses what
    /// is complete, calls the handler for every complete request in order and queues the
    /// responses. `n == 0` is a no-op: report end-of-stream with
    /// [`handle_eof`](Self::handle_eof).
    pub fn handle_read(&mut self, n: usize, now: Instant, env: &mut Env<'_, '_, H>) {
        if n == 0 || self.rx.handle().is_none() {
            return;
        }
        self.rx.add(n);
        match &mut self.phase {
            Phase::New { .. } | Phase::Idle { .. } => self.phase = Phase::Head { started: now },
            Phase::Body { progress, .. } | Phase::Parts { progress, .. } => *progress = now,
            Phase::Closing { .. } | Phase::Closed { .. } => {
                // Input after the decision to close is dropped, never parsed.
                self.rx.release(env.pool);
                return;
            }
            Phase::Socket(_) => self.socket_heard(now),
            Phase::Head { .. } | Phase::Ready { .. } | Phase::Respond { .. } => {}
        }
        self.process(now, env);
    }

    /// The peer closed its sending side. At a request boundary the connection closes quietly
    /// once queued responses are written; in the middle of a request it drops the request
    /// (and tells its producer or consumer, [`End::PeerGone`]).
    pub fn handle_eof(&mut self, _now: Instant, env: &mut Env<'_, '_, H>) {
        let reason = match self.phase {
            Phase::New { .. } | Phase::Idle { .. } | Phase::Socket(_) => CloseReason::PeerClosed,
            Phase::Closing { .. } | Phase::Closed { .. } => return,
            _ => CloseReason::PeerClosedMidRequest,
        };
        self.closing(reason, env);
        self.settle(env.pool);
    }

    /// The server is shutting down: a connection idle between requests closes now (once
    /// queued output is written); one in the middle of a request finishes it, and its
    /// response says `Connection: close`. A connection accepted but not read yet is not
    /// idle: its first request may already be in the socket, so it is read and answered the
    /// same way (its header deadline still runs). A response body waiting for an event
    /// ([`Fill::Pending`], [`Fill::Until`]) is ended ([`End::Shutdown`]) and the connection
    /// closes. A WebSocket is sent a close with 1001 and closes when the peer answers it, or
    /// after the socket's pong timeout ([`SocketConfig::pong_timeout`]).
    pub fn shutdown(&mut self, now: Instant, env: &mut Env<'_, '_, H>) {
        self.draining = true;
        let waiting = self.pull.as_ref().is_some_and(Pull::is_waiting);
        match self.phase {
            Phase::Idle { .. } => {}
            Phase::Socket(_) => {
                let code = crate::ws::CloseCode::GOING_AWAY;
                if self.socket_close(code, CloseReason::Shutdown, now, env) {
                    return self.settle(env.pool);
                }
            }
            Phase::Respond { .. } if waiting => {}
            _ => return self.settle(env.pool),
        }
        self.closing(CloseReason::Shutdown, env);
        self.settle(env.pool);
    }

    /// The bytes to send next, or `None` when nothing is queued. `pool` is the pool of the
    /// connection's [`Env`].
    pub fn poll_transmit<'b>(&self, pool: &'b BufferPool<'_>) -> Option<&'b [u8]> {
        if matches!(self.phase, Phase::Closed { .. }) {
            return None;
        }
        self.tx.queued(pool)
    }

    /// `n` bytes of what [`poll_transmit`](Self::poll_transmit) returned were sent. Once the
    /// queue drains, its buffer goes back to the pool, a closing connection closes, a request
    /// that waited for the queue is handed to the handler, a body handed over in parts goes
    /// on, and a response body is pulled again.
    pub fn handle_written(&mut self, n: usize, now: Instant, env: &mut Env<'_, '_, H>) {
        if n == 0 || self.tx.is_empty() || !self.tx.sent(n, now) {
            return;
        }
        match &mut self.phase {
            Phase::Idle { since } => *since = now,
            Phase::Ready { .. }
            | Phase::Body { .. }
            | Phase::Parts { .. }
            | Phase::Respond { .. }
            | Phase::Socket(_) => {
                self.process(now, env);
            }
            _ => {}
        }
        self.settle(env.pool);
    }

    /// Pulls the response body again now: for a producer that answered [`Fill::Pending`] and
    /// has something to write (or a [`WebSocket`] that did). A no-op otherwise.
    pub fn wake(&mut self, now: Instant, env: &mut Env<'_, '_, H>) {
        self.socket_wake();
        if matches!(self.phase, Phase::Respond { .. } | Phase::Socket(_)) {
            self.process(now, env);
        }
    }

    /// The earliest deadline, or `None` when there is none (closed, or a request waiting for
    /// the output queue, whose own deadline then runs).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let read = self.read_deadline().map(|(at, _)| at);
        let pull = self.pull_deadline().map(|(at, _)| at);
        let socket = self.socket_deadline().map(|(at, _)| at);
        [read, self.write_deadline(), pull, socket]
            .into_iter()
            .flatten()
            .min()
    }

    /// Acts on every deadline at or before `now`: a stalled write (or a producer left pending
    /// for the write timeout) closes at once; a producer's own instant pulls it again; a head
    /// or body that took too long gets a `408` with `Connection: close`; an idle connection
    /// closes quietly. Before the earliest deadline this is a no-op.
    pub fn handle_timeout(&mut self, now: Instant, env: &mut Env<'_, '_, H>) {
        if self.write_deadline().is_some_and(|at| at <= now) {
            return self.close(CloseReason::TimedOut(Timer::Write), env);
        }
        match self.pull_deadline() {
            Some((at, true)) if at <= now => {
                return self.close(CloseReason::TimedOut(Timer::Write), env);
            }
            Some((at, false)) if at <= now => {
                self.process(now, env);
                return self.settle(env.pool);
            }
            _ => {}
        }
        if let Some((at, due)) = self.socket_deadline()
            && at <= now
        {
            return self.socket_timeout(due, now, env);
        }
        let Some((at, timer)) = self.read_deadline() else {
            return;
        };
        if at > now {
            return;
        }
        // A head or body that took too long is answered, unless its response has begun.
        if matches!(
            self.phase,
            Phase::Head { .. } | Phase::Body { .. } | Phase::Parts { .. }
        ) {
            let cause = RejectCause::TimedOut(timer);
            self.fail(crate::http::Status::REQUEST_TIMEOUT, cause, now, env);
        }
        self.closing(CloseReason::TimedOut(timer), env);
        self.settle(env.pool);
    }

    /// Why the connection closed, once: `Some` the first time it is asked after the
    /// connection reached [`State::Closed`]. The backend then closes the socket.
    pub fn poll_close(&mut self) -> Option<CloseReason> {
        match &mut self.phase {
            Phase::Closed { reason } => reason.take(),
            _ => None,
        }
    }

    /// Gives back a read buffer that holds nothing while no request is under way: one that
    /// [`read_buf`](Self::read_buf) took for a read that then would block. An idle connection
    /// (or an idle WebSocket between frames) so holds no buffer. A no-op in every other case.
    pub fn release_empty_buffer(&mut self, pool: &mut BufferPool<'_>) {
        let between = matches!(
            self.phase,
            Phase::New { .. } | Phase::Idle { .. } | Phase::Socket(_)
        );
        if self.rx.filled() == 0 && between {
            self.rx.release(pool);
        }
    }

    /// Gives every buffer back and closes, whatever the state, telling a producer or
    /// consumer ([`End::Failed`], or [`End::PeerGone`] for a peer's reset): for a backend
    /// that drops the connection on its own (a socket error). A later
    /// [`poll_close`](Self::poll_close) reports `reason` unless one was already reported.
    pub fn abort(&mut self, reason: CloseReason, env: &mut Env<'_, '_, H>) {
        if matches!(self.phase, Phase::Closed { .. }) {
            self.rx.release(env.pool);
            self.tx.release(env.pool);
            return;
        }
        self.close(reason, env);
    }

    /// The read-side deadline and its timer.
    fn read_deadline(&self) -> Option<(Instant, Timer)> {
        let t = &self.timeouts;
        match self.phase {
            Phase::New { since } => Some((since + t.header_read, Timer::Header)),
            Phase::Idle { since } if self.tx.is_empty() => {
                Some((since + t.keep_alive_idle, Timer::Idle))
            }
            Phase::Head { started } => Some((started + t.header_read, Timer::Header)),
            // A body in parts is read only as fast as the response drains: writes count as
            // progress too, so a client held back by this connection is not timed out.
            Phase::Parts { progress, .. } => {
                Some((progress.max(self.tx.since()) + t.body_read, Timer::Body))
            }
            Phase::Body { progress, .. } => Some((progress + t.body_read, Timer::Body)),
            _ => None,
        }
    }

    /// The write deadline while output is queued.
    fn write_deadline(&self) -> Option<Instant> {
        let live = !matches!(self.phase, Phase::Closed { .. });
        (live && !self.tx.is_empty()).then(|| self.tx.since() + self.timeouts.write)
    }

    /// The pulled body's own deadline (`true`: it is cut then), while it is the connection's
    /// business: the body is being pulled.
    fn pull_deadline(&self) -> Option<(Instant, bool)> {
        match self.phase {
            Phase::Respond { .. } => self.pull.as_ref()?.deadline(self.timeouts.write),
            _ => None,
        }
    }

    /// Works through the buffered input: every complete request is handled in order.
    fn process(&mut self, now: Instant, env: &mut Env<'_, '_, H>) {
        // Bounded: a request takes at most five steps (head, body, dispatch, pull, next head)
        // and at least 16 bytes (the shortest head), so `filled + 5` steps see every request.
        let bound = self.rx.filled().saturating_add(5);
        for _ in 0..bound {
            let step = match self.phase {
                Phase::Head { .. } => self.parse_head(now, env),
                Phase::Body { .. } => self.read_body(now, env),
                Phase::Ready { .. } => self.dispatch(now, env),
                Phase::Parts { .. } => self.read_parts(now, env),
                Phase::Respond { .. } => self.pump(now, env),
                Phase::Socket(_) => self.socket(now, env),
                Phase::Idle { .. } if self.rx.filled() > 0 => {
                    self.phase = Phase::Head { started: now };
                    Step::Again
                }
                _ => Step::Stop,
            };
            match step {
                Step::Again => {}
                Step::Stop => break,
                Step::Fail(status, cause) => {
                    self.fail(status, cause, now, env);
                    break;
                }
            }
        }
        if matches!(
            self.phase,
            Phase::Idle { .. } | Phase::Respond { .. } | Phase::Socket(_)
        ) && self.rx.filled() == 0
        {
            self.rx.release(env.pool);
        }
        self.settle(env.pool);
    }

    /// Bytes of the current request's head (0 when there is none).
    fn head_len(&self) -> usize {
        self.head.as_ref().map_or(0, RequestHead::head_len)
    }

    /// Whether the response to the current request keeps the connection open, as far as the
    /// connection decides (the request, the request limit, a shutdown).
    fn persistence(&self) -> Persistence {
        let last = self.served.saturating_add(1) >= self.max_requests;
        let keep_alive = self.head.as_ref().is_some_and(RequestHead::keep_alive);
        if keep_alive && !last && !self.draining {
            Persistence::KeepAlive
        } else {
            Persistence::Close
        }
    }

    /// A final response was completed: counts and reports it.
    fn responded(
        &mut self,
        status: crate::http::Status,
        started: Instant,
        env: &mut Env<'_, '_, H>,
    ) {
        self.served = self.served.saturating_add(1);
        env.observer.event(ConnEvent::Response { status, started });
    }

    /// After a complete response to a consumed request: the next request, or the close.
    fn after_response(
        &mut self,
        persistence: Persistence,
        now: Instant,
        pool: &mut BufferPool<'_>,
    ) -> Step {
        self.head = None;
        if persistence == Persistence::Close || self.draining {
            self.phase = Phase::Closing {
                reason: if self.draining {
                    CloseReason::Shutdown
                } else {
                    CloseReason::Done
                },
            };
            self.rx.release(pool);
            return Step::Stop;
        }
        self.phase = Phase::Idle { since: now };
        Step::Again
    }

    /// Refuses the request being read: queues `status` with `Connection: close` (unless its
    /// response has begun: then only the close tells), drops the input (an unread body is
    /// never parsed as a request) and closes after the write.
    fn fail(
        &mut self,
        status: crate::http::Status,
        cause: RejectCause,
        now: Instant,
        env: &mut Env<'_, '_, H>,
    ) {
        if !self.answer_begun() {
            self.reject(status, env, now);
        }
        env.observer.event(ConnEvent::Rejected { status, cause });
        self.closing(CloseReason::Rejected(status), env);
    }

    /// Whether the current request's response has begun, so an error can no longer be
    /// answered with a status: only the close is left.
    fn answer_begun(&self) -> bool {
        match self.phase {
            Phase::Respond { .. } => true,
            Phase::Parts { answer, .. } => !matches!(answer, Answer::None),
            _ => false,
        }
    }

    /// Stops reading: tells a producer or consumer still open how the exchange ended,
    /// forgets the input, and closes once the queued output is written.
    fn closing(&mut self, reason: CloseReason, env: &mut Env<'_, '_, H>) {
        self.end_exchange(reason, env.handler.state());
        self.head = None;
        self.phase = Phase::Closing { reason };
        self.rx.release(env.pool);
    }

    /// Closes now, dropping input and output.
    fn close(&mut self, reason: CloseReason, env: &mut Env<'_, '_, H>) {
        self.end_exchange(reason, env.handler.state());
        self.shut(reason, env.pool);
    }

    /// Tells the producer and the consumer still held how their exchange ended, and drops
    /// them.
    fn end_exchange(&mut self, reason: CloseReason, app: &mut H::State) {
        let how = match reason {
            CloseReason::Done => End::Completed,
            CloseReason::PeerClosed | CloseReason::PeerClosedMidRequest => End::PeerGone,
            CloseReason::TimedOut(_) => End::TimedOut,
            CloseReason::Shutdown => End::Shutdown,
            CloseReason::WebSocket(code)
                if code == crate::ws::CloseCode::NORMAL
                    || code == crate::ws::CloseCode::GOING_AWAY =>
            {
                End::Completed
            }
            CloseReason::Rejected(_)
            | CloseReason::Incomplete
            | CloseReason::Reclaimed
            | CloseReason::WebSocket(_) => End::Failed,
        };
        if let Some(mut pull) = self.pull.take() {
            pull.end(app, how);
        }
        if let Some(mut consumer) = self.consumer.take() {
            consumer.end(app, how);
        }
    }

    /// Returns an empty output queue's buffer and closes a closing connection whose output
    /// has drained.
    fn settle(&mut self, pool: &mut BufferPool<'_>) {
        if self.tx.is_empty() {
            self.tx.release(pool);
            if let Phase::Closing { reason } = self.phase {
                self.shut(reason, pool);
            }
        }
    }

    /// Gives both buffers back and enters [`Phase::Closed`]; the exchange was ended before.
    fn shut(&mut self, reason: CloseReason, pool: &mut BufferPool<'_>) {
        self.rx.release(pool);
        self.tx.release(pool);
        self.head = None;
        self.phase = Phase::Closed {
            reason: Some(reason),
        };
    }
}
