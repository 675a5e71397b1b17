//! The connection engine: one HTTP/1.1 connection as a sans-IO state machine.
//!
//! This module owns the life of one connection: reading request heads and bodies into a pooled
//! buffer, handing complete requests to a [`Handler`] (or a body too large for the buffer in
//! parts, as it arrives), queueing responses (pipelined ones in one write, streamed ones as the
//! queue drains), `100 Continue`, keep-alive and the per-connection request limit, error
//! responses and the header, body, write and idle deadlines. It never touches a socket or a
//! clock and never allocates: bytes, `now` and the memory come from the backend.
//!
//! - [`state`]: the names a backend sees ([`State`], [`CloseReason`], [`Timer`],
//!   [`ReadError`]) and the events it observes ([`ConnEvent`], [`Observer`]).
//! - [`handler`]: the [`Handler`] trait and the [`Responder`] it answers through.

pub mod handler;
pub mod state;

use crate::config::{ServerConfig, Timeouts};
use crate::http::Limits;
use crate::http::Status;
use crate::http::chunked::{ChunkedDecoder, InPlace};
use crate::http::date::Date;
use crate::http::header::HeaderSpan;
use crate::http::method::Method;
use crate::http::request::{self, BodyFraming, Parse, RequestHead, Version};
use crate::http::response::{
    self, CONTINUE_100, EncodeContext, LAST_CHUNK, Persistence, ResponseHead, ServerName,
};
use crate::mem::SIZE_CLASSES;
use crate::mem::arena::Arena;
use crate::mem::buffer_pool::{BufferHandle, BufferPool, SizeClass, Spill};
use crate::time::Instant;

pub use handler::{Handler, PART_HEAD_ROOM, RespondError, Responder};
pub use state::{
    CloseReason, ConnEvent, Observer, Processing, ReadError, RejectCause, State, Timer,
};

use handler::{Outcome, Stream};

/// The largest read buffer a connection grows to (the 64 KiB class). A head that does not fit
/// is refused with 431; a body that does not fit with its head (but is within
/// [`Limits::max_body_bytes`]) goes to [`Handler::handle_part`] in parts.
pub const MAX_READ_BUFFER: usize = SIZE_CLASSES[3];

/// The class a connection's read buffer and output queue start in by default (4 KiB): the
/// default of [`Pools::start_class`](crate::config::Pools::start_class), the
/// `pools.start_bytes` key.
pub const START_CLASS: SizeClass = SizeClass::Kib4;

/// The largest output queue a connection grows to for one response (256 KiB).
pub const MAX_WRITE_BUFFER: usize = SIZE_CLASSES[4];

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
    /// Header storage for parsing one head (at most `spans.len()` fields are accepted). Shared
    /// by all connections: a connection re-parses its head if another used it in between.
    pub spans: &'e mut [HeaderSpan],
    /// Receives responses and refusals, for metrics.
    pub observer: &'e mut dyn Observer,
    /// Per-call scratch for handlers ([`Responder::arena`]), reset after every handler call;
    /// `None` offers none.
    pub arena: Option<&'e mut Arena<'p>>,
}

/// Resets the handler's arena after a call: nothing allocated for one request outlives it.
fn reset_arena<H>(env: &mut Env<'_, '_, H>) {
    if let Some(arena) = env.arena.as_deref_mut() {
        arena.reset();
    }
}

impl<H> core::fmt::Debug for Env<'_, '_, H> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Env")
            .field("date", &self.date)
            .finish_non_exhaustive()
    }
}

/// One HTTP/1.1 connection, sans-IO.
///
/// The connection owns no memory and borrows none between calls. Its read buffer is a
/// [`BufferHandle`] taken from the pool when bytes are about to arrive (in the configured start
/// class, [`START_CLASS`] by default, growing up to [`MAX_READ_BUFFER`] for a large head or
/// body) and given back whenever nothing is buffered; its output queue is another, taken in
/// the start class when a response is queued (growing up to
/// [`MAX_WRITE_BUFFER`] for a large one) and given back once written. An idle keep-alive
/// connection holds no buffer at all.
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
/// # Streams and bodies in parts
///
/// A streamed response is driven by step 2 alone: each time the queue drains,
/// [`handle_written`](Self::handle_written) calls [`Handler::resume`] (with the id given by
/// [`set_id`](Self::set_id)) for more. `read_buf` says [`ReadError::Paused`] until the stream
/// is finished; read again after writing, as for any pause. A handler that had nothing to write
/// can be called again with [`wake`](Self::wake); a stream with nothing queued or written for
/// the write timeout is closed. A body too large for [`MAX_READ_BUFFER`] is handed to
/// [`Handler::handle_part`] as reads bring it in, as fast as the output queue drains.
///
/// # Examples
///
/// ```
/// use aurora_core::config::ServerConfig;
/// use aurora_core::conn::{Connection, Env, Responder};
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
/// let mut spans = [HeaderSpan::EMPTY; 16];
/// let mut handler = |_: &Request<'_>, _: &[u8], res: &mut Responder<'_>| {
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
/// };
/// conn.handle_read(request.len(), now, &mut env);
///
/// let out = conn.poll_transmit(env.pool).unwrap();
/// assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n") && out.ends_with(b"\r\n\r\nhi"));
/// let n = out.len();
/// conn.handle_written(n, now, &mut env);
/// assert_eq!(conn.poll_transmit(env.pool), None);
/// ```
#[derive(Debug)]
pub struct Connection {
    limits: Limits,
    timeouts: Timeouts,
    max_requests: u32,
    server: Option<ServerName<'static>>,
    phase: Phase,
    /// The head of the request being read or handled: set in [`Phase::Body`] and
    /// [`Phase::Ready`], kept out of the phase so that moving between phases and handing the
    /// request over never copies it.
    head: Option<RequestHead>,
    rx: Option<BufferHandle>,
    /// Bytes of the read buffer in use, from its start.
    filled: usize,
    /// The output queue's buffer, held only while output is queued.
    tx: Option<BufferHandle>,
    /// Queued output is `tx[tx_start..tx_end]`.
    tx_start: usize,
    tx_end: usize,
    /// When the queue last became non-empty or last made progress.
    write_since: Instant,
    /// Final responses queued so far.
    served: u32,
    /// Whether `Env::spans` still holds this connection's parsed head: true from a parse to
    /// the end of the same `process` call, during which no other connection runs.
    spans_fresh: bool,
    /// The server is shutting down: the next response says `Connection: close`.
    draining: bool,
    /// The backend's name for this connection, passed to [`Handler::resume`].
    id: usize,
    /// The class the read buffer and the output queue are taken in.
    start: SizeClass,
}

/// The read side's position in the request cycle. A byte-sized tag of its own, so that
/// checking the phase is one byte compare rather than a niche inside a 64-bit field.
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
enum Phase {
    /// Accepted, nothing received.
    New { since: Instant },
    /// Between requests, nothing of the next one buffered.
    Idle { since: Instant },
    /// Part of a head is buffered; it began arriving at `started`.
    Head { started: Instant },
    /// The head is parsed; its body is being read (last progress at `progress`).
    Body {
        body: Body,
        progress: Instant,
        started: Instant,
    },
    /// A complete request waits for the handler (or for the output queue to drain). Its body
    /// is `buf[head_len..body_end]`, and the request ends at `body_end`.
    Ready { body_end: usize, started: Instant },
    /// The request is consumed; its streamed response is open and the handler is resumed each
    /// time the output queue drains. The request arrived at `started`.
    Stream { stream: Stream, started: Instant },
    /// No more requests: close once the output queue is drained.
    Closing { reason: CloseReason },
    /// Closed; `reason` until [`Connection::poll_close`] took it.
    Closed { reason: Option<CloseReason> },
}

/// How the body being read ends.
#[derive(Clone, Copy, Debug)]
enum Body {
    /// The body is `buf[head_len..end]`.
    Length { end: usize },
    /// Decoded in place: the body so far is `buf[head_len..head_len + decoded]`.
    Chunked {
        decoder: ChunkedDecoder,
        decoded: usize,
    },
    /// Too large for the buffer: handed to [`Handler::handle_part`] as it arrives. The buffer
    /// holds the head, then the body bytes not yet handed over, then (once the body's end
    /// arrived) what follows it. `answer` is the response so far: `Pending`, `Streaming` or
    /// `Complete`.
    Parts {
        framing: PartFraming,
        answer: Outcome,
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

/// Which [`Handler`] method [`Connection::call`] calls, with what.
#[derive(Clone, Copy)]
enum Call {
    /// [`Handler::handle`] with the request's head and its body, which ends at `body_end`.
    Handle { body_end: usize },
    /// [`Handler::handle_part`] with the request's head and the part `buf[start..end]`.
    Part {
        start: usize,
        end: usize,
        last: bool,
    },
    /// [`Handler::resume`] of the open stream.
    Resume,
}

/// What one pass over the buffered input did.
enum Step {
    /// Go on with the next request in the buffer.
    Again,
    /// Wait for more input, the queue to drain, or the close.
    Stop,
    /// Refuse the request with this status and close ([`Connection::fail`]).
    Fail(Status, RejectCause),
}

impl Connection {
    /// A connection accepted at `now`, with `config`'s limits, timeouts, request limit and
    /// start class.
    pub fn new(config: &ServerConfig, now: Instant) -> Self {
        let server = config.server_header.and_then(|s| ServerName::new(s).ok());
        Self {
            limits: config.limits,
            timeouts: config.timeouts,
            max_requests: config.max_requests_per_connection,
            server,
            phase: Phase::New { since: now },
            head: None,
            rx: None,
            filled: 0,
            tx: None,
            tx_start: 0,
            tx_end: 0,
            write_since: now,
            served: 0,
            spans_fresh: false,
            draining: false,
            id: 0,
            start: config.pools.start_class,
        }
    }

    /// Names this connection for [`Handler::resume`] (and [`Responder::id`]): a backend gives
    /// each connection its slot or token, so a handler can keep per-stream state. `0` until
    /// set.
    pub fn set_id(&mut self, id: usize) {
        self.id = id;
    }

    /// The name given with [`set_id`](Self::set_id).
    pub const fn id(&self) -> usize {
        self.id
    }

    /// Where the connection stands.
    pub fn state(&self) -> State {
        match &self.phase {
            Phase::Closed { .. } => State::Closed,
            _ if self.tx_start < self.tx_end => State::WritingResponse,
            Phase::New { .. } => State::New,
            Phase::Idle { .. } => State::KeepAlive,
            Phase::Head { .. } => State::ReadingHeaders,
            Phase::Body {
                body: Body::Parts { framing, .. },
                ..
            } => State::Processing(match framing {
                PartFraming::Length { .. } => Processing::ContentLength,
                PartFraming::Chunked { .. } => Processing::Chunked,
            }),
            Phase::Body { .. }
                if self
                    .head
                    .as_ref()
                    .is_some_and(|h| h.expects_continue() && self.filled == h.head_len()) =>
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
            Phase::Stream { .. } | Phase::Closing { .. } => State::WritingResponse,
        }
    }

    /// Final responses queued so far.
    pub const fn requests_served(&self) -> u32 {
        self.served
    }

    /// The read buffer this connection holds, if any.
    pub const fn read_buffer(&self) -> Option<BufferHandle> {
        self.rx
    }

    /// The space to read the next bytes into, taking a buffer from `pool` if the connection
    /// holds none and growing it (up to [`MAX_READ_BUFFER`]) when a head or body needs more.
    /// Report what was read with [`handle_read`](Self::handle_read).
    ///
    /// # Errors
    ///
    /// [`ReadError::Closed`] once the connection reads no more, [`ReadError::Paused`] while a
    /// complete request waits for the output to drain, while a streamed response is open, or
    /// while a body handed over in parts fills the buffer because the output queue is full;
    /// [`ReadError::Pool`] when the pool has no buffer for it.
    pub fn read_buf<'b>(
        &mut self,
        pool: &'b mut BufferPool<'_>,
    ) -> Result<&'b mut [u8], ReadError> {
        match self.phase {
            Phase::Closing { .. } | Phase::Closed { .. } => return Err(ReadError::Closed),
            Phase::Ready { .. } | Phase::Stream { .. } => return Err(ReadError::Paused),
            _ => {}
        }
        let fixed = matches!(
            self.phase,
            Phase::Body {
                body: Body::Parts { .. },
                ..
            }
        );
        let handle = match self.rx {
            Some(handle) => handle,
            None => {
                let handle = pool
                    .acquire(self.start, Spill::ToLarger)
                    .map_err(ReadError::Pool)?;
                self.rx = Some(handle);
                self.filled = 0;
                handle
            }
        };
        let handle = if self.filled >= handle.capacity() && !fixed {
            // Full: the head or chunked body needs the next class. `process` refuses input
            // that reaches MAX_READ_BUFFER, so a full buffer is always below it here.
            let want = handle.capacity().saturating_add(1).min(MAX_READ_BUFFER);
            let grown = pool
                .grow(handle, want, self.filled, Spill::Never)
                .map_err(ReadError::Pool)?;
            self.rx = Some(grown);
            grown
        } else {
            handle
        };
        let buf = pool.bytes_mut(handle).map_err(ReadError::Pool)?;
        match buf.get_mut(self.filled..) {
            Some(space) if !space.is_empty() => Ok(space),
            _ => Err(ReadError::Paused),
        }
    }

    /// `n` bytes were read into the space [`read_buf`](Self::read_buf) returned. Parses what
    /// is complete, calls the handler for every complete request in order and queues the
    /// responses. `n == 0` is a no-op: report end-of-stream with
    /// [`handle_eof`](Self::handle_eof).
    pub fn handle_read<H: Handler>(&mut self, n: usize, now: Instant, env: &mut Env<'_, '_, H>) {
        let Some(handle) = self.rx else {
            return;
        };
        if n == 0 {
            return;
        }
        let room = handle.capacity().saturating_sub(self.filled);
        self.filled = self.filled.saturating_add(n.min(room));
        match &mut self.phase {
            Phase::New { .. } | Phase::Idle { .. } => self.phase = Phase::Head { started: now },
            Phase::Body { progress, .. } => *progress = now,
            Phase::Closing { .. } | Phase::Closed { .. } => {
                // Input after the decision to close is dropped, never parsed.
                self.filled = 0;
                return;
            }
            Phase::Head { .. } | Phase::Ready { .. } | Phase::Stream { .. } => {}
        }
        self.process(now, env);
    }

    /// The peer closed its sending side. At a request boundary the connection closes quietly
    /// once queued responses are written; in the middle of a request it drops the request.
    pub fn handle_eof<H>(&mut self, _now: Instant, env: &mut Env<'_, '_, H>) {
        let reason = match self.phase {
            Phase::New { .. } | Phase::Idle { .. } => CloseReason::PeerClosed,
            Phase::Head { .. }
            | Phase::Body { .. }
            | Phase::Ready { .. }
            | Phase::Stream { .. } => CloseReason::PeerClosedMidRequest,
            Phase::Closing { .. } | Phase::Closed { .. } => return,
        };
        self.phase = Phase::Closing { reason };
        self.drop_input(env.pool);
        self.settle(env.pool);
    }

    /// The server is shutting down: an idle connection closes now (once queued output is
    /// written); one in the middle of a request finishes it, and its response says
    /// `Connection: close`.
    pub fn shutdown<H>(&mut self, _now: Instant, env: &mut Env<'_, '_, H>) {
        self.draining = true;
        if let Phase::New { .. } | Phase::Idle { .. } = self.phase {
            self.phase = Phase::Closing {
                reason: CloseReason::Shutdown,
            };
            self.drop_input(env.pool);
        }
        self.settle(env.pool);
    }

    /// The bytes to send next, or `None` when nothing is queued. `pool` is the pool of the
    /// connection's [`Env`].
    pub fn poll_transmit<'b>(&self, pool: &'b BufferPool<'_>) -> Option<&'b [u8]> {
        if matches!(self.phase, Phase::Closed { .. }) || self.tx_start >= self.tx_end {
            return None;
        }
        let buf = pool.bytes(self.tx?).ok()?;
        buf.get(self.tx_start..self.tx_end)
            .filter(|queued| !queued.is_empty())
    }

    /// `n` bytes of what [`poll_transmit`](Self::poll_transmit) returned were sent. Once the
    /// queue drains, its buffer goes back to the pool, a closing connection closes, a request
    /// that waited for space is handed to the handler, a body handed over in parts goes on,
    /// and an open streamed response is resumed ([`Handler::resume`]).
    pub fn handle_written<H: Handler>(&mut self, n: usize, now: Instant, env: &mut Env<'_, '_, H>) {
        if n == 0 || self.tx_start >= self.tx_end {
            return;
        }
        self.tx_start = self.tx_start.saturating_add(n).min(self.tx_end);
        self.write_since = now;
        if self.tx_start < self.tx_end {
            return;
        }
        self.tx_start = 0;
        self.tx_end = 0;
        match &mut self.phase {
            Phase::Idle { since } => *since = now,
            Phase::Ready { .. } | Phase::Body { .. } | Phase::Stream { .. } => {
                self.process(now, env);
            }
            _ => {}
        }
        self.settle(env.pool);
    }

    /// Calls [`Handler::resume`] now for an open streamed response whose output queue is
    /// empty: for an application that had nothing to write when last resumed and has now. A
    /// no-op otherwise. A stream left without output for the write timeout is closed.
    pub fn wake<H: Handler>(&mut self, now: Instant, env: &mut Env<'_, '_, H>) {
        if matches!(self.phase, Phase::Stream { .. }) && self.tx_start >= self.tx_end {
            self.process(now, env);
        }
    }

    /// The earliest deadline, or `None` when there is none (closed, or a request waiting for
    /// the output queue, whose own deadline then runs). While a streamed response is open the
    /// write deadline runs even with nothing queued: a handler that writes nothing for the
    /// write timeout has its stream cut.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let read = self.read_deadline().map(|(at, _)| at);
        let write = self.write_deadline();
        match (read, write) {
            (Some(r), Some(w)) => Some(r.min(w)),
            (r, w) => r.or(w),
        }
    }

    /// Acts on every deadline at or before `now`: a stalled write closes at once; a head or
    /// body that took too long gets a `408` with `Connection: close`; an idle connection closes
    /// quietly. Before the earliest deadline this is a no-op.
    pub fn handle_timeout<H>(&mut self, now: Instant, env: &mut Env<'_, '_, H>) {
        if self.write_deadline().is_some_and(|at| at <= now) {
            self.close(CloseReason::TimedOut(Timer::Write), env.pool);
            return;
        }
        let Some((at, timer)) = self.read_deadline() else {
            return;
        };
        if at > now {
            return;
        }
        // A head or body that took too long is answered, unless its response has begun.
        if matches!(self.phase, Phase::Head { .. } | Phase::Body { .. }) && !self.answer_begun() {
            let cause = RejectCause::TimedOut(timer);
            self.fail(Status::REQUEST_TIMEOUT, cause, now, env);
        }
        self.phase = Phase::Closing {
            reason: CloseReason::TimedOut(timer),
        };
        self.drop_input(env.pool);
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
    /// so holds no buffer. A no-op in every other case.
    pub fn release_empty_buffer(&mut self, pool: &mut BufferPool<'_>) {
        if self.filled == 0 && matches!(self.phase, Phase::New { .. } | Phase::Idle { .. }) {
            self.release(pool);
        }
    }

    /// Gives every buffer back and closes, whatever the state: for a backend that drops the
    /// connection on its own (a socket error). A later [`poll_close`](Self::poll_close)
    /// reports `reason` unless one was already reported.
    pub fn abort(&mut self, reason: CloseReason, pool: &mut BufferPool<'_>) {
        if !matches!(self.phase, Phase::Closed { .. }) {
            self.close(reason, pool);
        }
        self.release_tx(pool);
        self.release(pool);
    }

    /// The read-side deadline and its timer.
    fn read_deadline(&self) -> Option<(Instant, Timer)> {
        let pending = self.tx_start < self.tx_end;
        match self.phase {
            Phase::New { since } => Some((since + self.timeouts.header_read, Timer::Header)),
            Phase::Idle { since } if !pending => {
                Some((since + self.timeouts.keep_alive_idle, Timer::Idle))
            }
            Phase::Head { started } => Some((started + self.timeouts.header_read, Timer::Header)),
            // A body in parts is read only as fast as the response drains: writes count as
            // progress too, so a client held back by this connection is not timed out.
            Phase::Body {
                progress,
                body: Body::Parts { .. },
                ..
            } => Some((
                progress.max(self.write_since) + self.timeouts.body_read,
                Timer::Body,
            )),
            Phase::Body { progress, .. } => Some((progress + self.timeouts.body_read, Timer::Body)),
            _ => None,
        }
    }

    /// The write deadline while output is queued.
    fn write_deadline(&self) -> Option<Instant> {
        let live = !matches!(self.phase, Phase::Closed { .. });
        let streaming = matches!(self.phase, Phase::Stream { .. });
        (live && (streaming || self.tx_start < self.tx_end))
            .then(|| self.write_since + self.timeouts.write)
    }

    /// Works through the buffered input: every complete request is handled in order.
    fn process<H: Handler>(&mut self, now: Instant, env: &mut Env<'_, '_, H>) {
        // `env.spans` may hold another connection's head since this connection's last call.
        self.spans_fresh = false;
        // Bounded: a request takes at most four steps (head, body, dispatch, next head) and at
        // least 16 bytes (the shortest head), so `filled + 4` steps see every buffered request.
        let bound = self.filled.saturating_add(4);
        for _ in 0..bound {
            let step = match self.phase {
                Phase::Head { .. } => self.parse_head(now, env),
                Phase::Body {
                    body: Body::Parts { .. },
                    ..
                } => self.read_parts(now, env),
                Phase::Body { .. } => self.read_body(env.pool),
                Phase::Stream { .. } => self.pump(now, env),
                Phase::Ready { .. } => self.dispatch(now, env),
                Phase::Idle { .. } if self.filled > 0 => {
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
        if matches!(self.phase, Phase::Idle { .. } | Phase::Stream { .. }) && self.filled == 0 {
            self.release(env.pool);
        }
        self.settle(env.pool);
    }

    /// Parses the buffered head; on success moves on to its body.
    #[inline(never)]
    fn parse_head<H>(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> Step {
        let Some(handle) = self.rx else {
            return Step::Stop;
        };
        let started = match self.phase {
            Phase::Head { started } => started,
            _ => now,
        };
        let Ok(buf) = env.pool.bytes(handle) else {
            let cause = RejectCause::NoBuffer;
            return Step::Fail(Status::INTERNAL_SERVER_ERROR, cause);
        };
        let buf = buf.get(..self.filled).unwrap_or_default();
        let head = match request::parse(buf, &self.limits, env.spans) {
            Ok(Parse::Complete(head)) => head,
            Ok(Parse::Partial) if self.filled >= MAX_READ_BUFFER => {
                let status = Status::REQUEST_HEADER_FIELDS_TOO_LARGE;
                let cause = RejectCause::HeadTooLarge;
                return Step::Fail(status, cause);
            }
            Ok(Parse::Partial) => return Step::Stop,
            Err(error) => {
                debug!("request rejected: {}", error.as_str());
                let cause = RejectCause::Request(error);
                return Step::Fail(error.status(), cause);
            }
        };
        self.spans_fresh = true;
        let head_len = head.head_len();
        let body = match head.body_framing() {
            // No body: an empty one of known length, complete at once.
            BodyFraming::None => Body::Length { end: head_len },
            BodyFraming::ContentLength(len) => {
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|len| head_len.checked_add(len))
                    .filter(|&end| end <= MAX_READ_BUFFER);
                match end {
                    // Within the body limit (the parser checked), beyond the buffer: in parts.
                    None => Body::Parts {
                        framing: PartFraming::Length { left: len },
                        answer: Outcome::Pending,
                    },
                    Some(end) => Body::Length { end },
                }
            }
            BodyFraming::Chunked => Body::Chunked {
                decoder: ChunkedDecoder::from_limits(&self.limits),
                decoded: 0,
            },
        };
        let expects_continue = head.expects_continue();
        self.head = Some(head);
        self.phase = Phase::Body {
            body,
            progress: now,
            started,
        };
        if let Body::Length { end } = body {
            if end > handle.capacity() {
                match env.pool.grow(handle, end, self.filled, Spill::Never) {
                    Ok(grown) => self.rx = Some(grown),
                    Err(_) => {
                        let status = Status::SERVICE_UNAVAILABLE;
                        return Step::Fail(status, RejectCause::NoBuffer);
                    }
                }
            }
        }
        let awaits_body = !matches!(body, Body::Length { end } if end == head_len);
        if expects_continue && awaits_body && self.filled == head_len {
            self.queue(CONTINUE_100, env.pool, now);
        }
        Step::Again
    }

    /// Advances the body being read; once complete, the request is ready.
    #[inline(never)]
    fn read_body(&mut self, pool: &mut BufferPool<'_>) -> Step {
        let head_len = self.head_len();
        let Phase::Body { body, started, .. } = &mut self.phase else {
            return Step::Stop;
        };
        let started = *started;
        let body_end = match body {
            Body::Length { end } if self.filled >= *end => *end,
            Body::Length { .. } | Body::Parts { .. } => return Step::Stop,
            Body::Chunked { decoder, decoded } => {
                let step =
                    decode_chunked(self.rx, &mut self.filled, head_len, decoder, decoded, pool);
                match step {
                    Ok(step) if step.done => head_len.saturating_add(step.body_end),
                    Ok(_) if self.filled >= MAX_READ_BUFFER => {
                        // The body outgrew the largest buffer: hand it over in parts.
                        let framing = PartFraming::Chunked {
                            decoder: *decoder,
                            decoded: *decoded,
                        };
                        *body = Body::Parts {
                            framing,
                            answer: Outcome::Pending,
                        };
                        return Step::Again;
                    }
                    Ok(_) => return Step::Stop,
                    Err((status, cause)) => {
                        return Step::Fail(status, cause);
                    }
                }
            }
        };
        self.phase = Phase::Ready { body_end, started };
        Step::Again
    }

    /// Hands the complete request of [`Phase::Ready`] to the handler and queues its response.
    #[inline(never)]
    fn dispatch<H: Handler>(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> Step {
        let Phase::Ready { body_end, started } = self.phase else {
            return Step::Stop;
        };
        let Some(rx) = self.rx else {
            return Step::Stop;
        };
        if !self.spans_fresh && !self.reparse(rx, env) {
            let cause = RejectCause::Handler;
            let status = Status::INTERNAL_SERVER_ERROR;
            return Step::Fail(status, cause);
        }
        let persistence = self.persistence();
        let first = self.tx_start >= self.tx_end;
        self.compact_tx(env.pool);
        if self.tx_buffer(env.pool).is_none() {
            let cause = RejectCause::NoBuffer;
            let status = Status::SERVICE_UNAVAILABLE;
            return Step::Fail(status, cause);
        }
        // A response larger than the queue's buffer grows it one class at a time and asks the
        // handler again, up to MAX_WRITE_BUFFER (four more tries from 1 KiB).
        let mut outcome = (Outcome::NoSpace, 0);
        for _ in 0..SIZE_CLASSES.len() {
            let call = Call::Handle { body_end };
            let Some(done) = self.call(call, Outcome::Pending, persistence, first, env) else {
                outcome = (Outcome::Pending, 0);
                break;
            };
            outcome = done;
            let retry = first && outcome.0 == Outcome::NoSpace && self.grow_tx(env.pool);
            if !retry {
                break;
            }
        }
        let (outcome, written) = outcome;
        self.advance_tx(written, now);
        match outcome {
            Outcome::Complete {
                status,
                persistence,
            } => {
                self.consume(body_end, env.pool);
                self.responded(status, started, env);
                self.after_response(persistence, now, env.pool)
            }
            Outcome::Streaming(stream) => {
                self.consume(body_end, env.pool);
                self.stream(stream, started, now)
            }
            Outcome::Refused => {
                let cause = RejectCause::BodyTooLarge;
                let status = Status::PAYLOAD_TOO_LARGE;
                Step::Fail(status, cause)
            }
            // Retried once the earlier responses are written.
            Outcome::NoSpace if !first => Step::Stop,
            Outcome::NoSpace | Outcome::Pending => {
                let cause = RejectCause::Handler;
                let status = Status::INTERNAL_SERVER_ERROR;
                Step::Fail(status, cause)
            }
        }
    }

    /// Hands the body being read in parts to the handler, as far as it has arrived and the
    /// output queue has room for what the handler may write; after the last part, moves on
    /// like [`dispatch`](Self::dispatch).
    #[inline(never)]
    fn read_parts<H: Handler>(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> Step {
        let Phase::Body {
            body:
                Body::Parts {
                    mut framing,
                    mut answer,
                },
            started,
            ..
        } = self.phase
        else {
            return Step::Stop;
        };
        let Some(rx) = self.rx else {
            return Step::Stop;
        };
        let head_len = self.head_len();
        // The body bytes ready to hand over, and whether the body's end is among them.
        let (ready, done) = match &mut framing {
            PartFraming::Length { left } => {
                let buffered = self.filled.saturating_sub(head_len);
                let ready = usize::try_from(*left).map_or(buffered, |left| left.min(buffered));
                (ready, u64::try_from(ready).is_ok_and(|r| r == *left))
            }
            PartFraming::Chunked { decoder, decoded } => {
                match decode_chunked(
                    self.rx,
                    &mut self.filled,
                    head_len,
                    decoder,
                    decoded,
                    env.pool,
                ) {
                    Ok(step) => (step.body_end, step.done),
                    Err((status, cause)) => {
                        return Step::Fail(status, cause);
                    }
                }
            }
        };
        // Bounded: every pass hands over at least one byte, or the empty last part and leaves.
        let mut given = 0usize;
        let mut finished = false;
        for _ in 0..ready.saturating_add(2) {
            let left_here = ready.saturating_sub(given);
            if left_here == 0 && !done {
                break;
            }
            let room = self.part_room(answer, env.pool);
            if room == 0 {
                // Backpressure: the queue must drain before more of the body is taken.
                break;
            }
            let len = left_here.min(room);
            let last = done && len == left_here;
            let Some((outcome, written)) = self.give_part(rx, given, len, last, answer, env) else {
                let cause = RejectCause::Handler;
                let status = Status::INTERNAL_SERVER_ERROR;
                return Step::Fail(status, cause);
            };
            given = given.saturating_add(len);
            self.advance_tx(written, now);
            match outcome {
                Outcome::Refused => {
                    let cause = RejectCause::BodyTooLarge;
                    let status = Status::PAYLOAD_TOO_LARGE;
                    return Step::Fail(status, cause);
                }
                Outcome::Complete {
                    status,
                    persistence,
                } if !matches!(answer, Outcome::Complete { .. }) => {
                    self.responded(status, started, env);
                    answer = outcome;
                    if persistence == Persistence::Close {
                        // Nothing more of this connection is read: the rest of the body is
                        // dropped with the buffer.
                        return self.after_response(persistence, now, env.pool);
                    }
                }
                Outcome::Streaming(_) | Outcome::Complete { .. } => answer = outcome,
                Outcome::Pending | Outcome::NoSpace => {}
            }
            if last {
                finished = true;
                break;
            }
        }
        // Drop what was handed over, keeping the head in front for the next part's view.
        if let Ok(buf) = env.pool.bytes_mut(rx) {
            let from = head_len.saturating_add(given);
            let filled = self.filled.min(buf.len());
            buf.copy_within(from.min(filled)..filled, head_len.min(filled));
        }
        self.filled = self.filled.saturating_sub(given);
        match &mut framing {
            PartFraming::Length { left } => {
                *left = left.saturating_sub(u64::try_from(given).unwrap_or(u64::MAX));
            }
            PartFraming::Chunked { decoded, .. } => *decoded = decoded.saturating_sub(given),
        }
        if !finished {
            if let Phase::Body {
                body:
                    Body::Parts {
                        framing: f,
                        answer: a,
                    },
                ..
            } = &mut self.phase
            {
                (*f, *a) = (framing, answer);
            }
            return Step::Stop;
        }
        self.consume(head_len, env.pool);
        match answer {
            Outcome::Complete { persistence, .. } => {
                self.after_response(persistence, now, env.pool)
            }
            Outcome::Streaming(stream) => self.stream(stream, started, now),
            _ => {
                let cause = RejectCause::Handler;
                let status = Status::INTERNAL_SERVER_ERROR;
                Step::Fail(status, cause)
            }
        }
    }

    /// The longest part the handler may get now: what one chunk can carry in the free output
    /// space, less room for the last chunk and (before any response) for a head. Unbounded
    /// once a complete response is queued, since the handler writes nothing more.
    fn part_room(&mut self, answer: Outcome, pool: &mut BufferPool<'_>) -> usize {
        let reserve = match answer {
            Outcome::Complete { .. } => return usize::MAX,
            Outcome::Streaming(_) => LAST_CHUNK.len(),
            _ => LAST_CHUNK.len().saturating_add(PART_HEAD_ROOM),
        };
        let free = self.tx_space(pool).map_or(0, |space| space.len());
        response::max_chunk_data(free.saturating_sub(reserve))
    }

    /// Calls [`Handler::handle_part`] with `len` body bytes after the `given` already handed
    /// over; returns what the handler did and how many bytes it queued. `None` when the head
    /// or the buffers are not there.
    #[allow(clippy::too_many_arguments)]
    fn give_part<H: Handler>(
        &mut self,
        rx: BufferHandle,
        given: usize,
        len: usize,
        last: bool,
        answer: Outcome,
        env: &mut Env<'_, '_, H>,
    ) -> Option<(Outcome, usize)> {
        if !self.spans_fresh && !self.reparse(rx, env) {
            return None;
        }
        let persistence = self.persistence();
        let first = self.tx_start >= self.tx_end;
        let start = self.head_len().saturating_add(given);
        let call = Call::Part {
            start,
            end: start.saturating_add(len),
            last,
        };
        self.call(call, answer, persistence, first, env)
    }

    /// Enters [`Phase::Stream`] for the open `stream` of a consumed request. With nothing
    /// queued, the stall clock of the write deadline starts now.
    fn stream(&mut self, stream: Stream, started: Instant, now: Instant) -> Step {
        if self.tx_start >= self.tx_end {
            self.write_since = now;
        }
        self.phase = Phase::Stream { stream, started };
        Step::Again
    }

    /// Resumes the open stream once the output queue is empty: the handler writes into the
    /// free space, and a finished stream moves on to the next request.
    #[inline(never)]
    fn pump<H: Handler>(&mut self, now: Instant, env: &mut Env<'_, '_, H>) -> Step {
        let Phase::Stream { stream, started } = self.phase else {
            return Step::Stop;
        };
        if self.tx_start < self.tx_end {
            return Step::Stop;
        }
        // Without a buffer the stream stalls; the write deadline ends it.
        let open = Outcome::Streaming(stream);
        let Some((outcome, written)) = self.call(Call::Resume, open, stream.persistence, true, env)
        else {
            return Step::Stop;
        };
        self.advance_tx(written, now);
        match outcome {
            Outcome::Complete {
                status,
                persistence,
            } => {
                self.responded(status, started, env);
                self.after_response(persistence, now, env.pool)
            }
            Outcome::Streaming(stream) => {
                self.phase = Phase::Stream { stream, started };
                Step::Stop
            }
            _ => Step::Stop,
        }
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
    #[inline(never)]
    fn responded<H>(&mut self, status: Status, started: Instant, env: &mut Env<'_, '_, H>) {
        self.served = self.served.saturating_add(1);
        env.observer.event(ConnEvent::Response { status, started });
    }

    /// After a complete response to a consumed request: the next request, or the close.
    #[inline(never)]
    fn after_response(
        &mut self,
        persistence: Persistence,
        now: Instant,
        pool: &mut BufferPool<'_>,
    ) -> Step {
        if persistence == Persistence::Close || self.draining {
            self.phase = Phase::Closing {
                reason: if self.draining {
                    CloseReason::Shutdown
                } else {
                    CloseReason::Done
                },
            };
            self.drop_input(pool);
            return Step::Stop;
        }
        self.phase = Phase::Idle { since: now };
        Step::Again
    }

    /// Whether the current request's response has begun, so an error can no longer be
    /// answered with a status: only the close is left.
    fn answer_begun(&self) -> bool {
        matches!(
            self.phase,
            Phase::Stream { .. }
                | Phase::Body {
                    body: Body::Parts {
                        answer: Outcome::Streaming(_) | Outcome::Complete { .. },
                        ..
                    },
                    ..
                }
        )
    }

    /// Parses this connection's head again into `env.spans` (another connection used them
    /// since). The bytes are the same, so the outcome is too; `false` would mean they changed.
    fn reparse<H>(&mut self, rx: BufferHandle, env: &mut Env<'_, '_, H>) -> bool {
        let Ok(buf) = env.pool.bytes(rx) else {
            return false;
        };
        let head_len = self.head_len();
        let bytes = buf.get(..head_len).unwrap_or_default();
        let again = request::parse(bytes, &self.limits, env.spans);
        self.spans_fresh = matches!(again, Ok(Parse::Complete(h)) if h.head_len() == head_len);
        self.spans_fresh
    }

    /// Calls the handler once, as `call` says, with the free space of the output queue
    /// (taking a buffer for it if needed) and the response so far (`answer`). Returns what
    /// the handler did and how many bytes it queued; `None` when a buffer or the part is not
    /// there.
    fn call<H: Handler>(
        &mut self,
        call: Call,
        answer: Outcome,
        persistence: Persistence,
        first: bool,
        env: &mut Env<'_, '_, H>,
    ) -> Option<(Outcome, usize)> {
        let tx = self.tx_buffer(env.pool)?;
        let head = match call {
            Call::Handle { .. } | Call::Part { .. } => Some(self.head.as_ref()?),
            Call::Resume => None,
        };
        let (input, output) = match (head, self.rx) {
            (None, _) => (&[][..], env.pool.bytes_mut(tx).ok()?),
            (Some(_), Some(rx)) => env.pool.bytes_pair_mut(rx, tx).ok()?,
            (Some(_), None) => return None,
        };
        let input = input.get(..self.filled).unwrap_or_default();
        let req = head.map(|head| head.view(input, env.spans));
        let cx = EncodeContext {
            version: head.map_or(Version::Http11, RequestHead::version),
            head_request: req.as_ref().is_some_and(|req| req.method() == Method::Head),
            date: env.date,
            server: self.server,
        };
        let out = output.get_mut(self.tx_end..).unwrap_or_default();
        let mut res = Responder::resumed(out, cx, persistence, answer, first)
            .with_id(self.id)
            .with_arena(env.arena.as_deref());
        match (call, req) {
            (Call::Handle { body_end }, Some(req)) => {
                let body = input
                    .get(req.head().head_len()..body_end)
                    .unwrap_or_default();
                env.handler.handle(&req, body, &mut res);
            }
            (
                Call::Part {
                    start, end, last, ..
                },
                Some(req),
            ) => {
                let part = input.get(start..end)?;
                env.handler.handle_part(&req, part, last, &mut res);
            }
            _ => env.handler.resume(self.id, &mut res),
        }
        let done = (res.outcome(), res.written());
        reset_arena(env);
        Some(done)
    }

    /// Refuses the request being read: queues `status` with `Connection: close` (unless its
    /// response has begun: then only the close tells), drops the input (an unread body is
    /// never parsed as a request) and closes after the write.
    fn fail<H>(
        &mut self,
        status: Status,
        cause: RejectCause,
        now: Instant,
        env: &mut Env<'_, '_, H>,
    ) -> Step {
        if !self.answer_begun() {
            self.reject(status, env.date, env.pool, now);
        }
        env.observer.event(ConnEvent::Rejected { status, cause });
        self.phase = Phase::Closing {
            reason: CloseReason::Rejected(status),
        };
        self.drop_input(env.pool);
        Step::Stop
    }

    /// Queues an empty response with `status` and `Connection: close`, if it fits, in the
    /// version of the request being read.
    fn reject(
        &mut self,
        status: Status,
        date: Option<&Date>,
        pool: &mut BufferPool<'_>,
        now: Instant,
    ) {
        let version = match self.phase {
            Phase::Body { .. } | Phase::Ready { .. } => self
                .head
                .as_ref()
                .map_or(Version::Http11, RequestHead::version),
            _ => Version::Http11,
        };
        let head = ResponseHead {
            status,
            headers: &[],
            persistence: Persistence::Close,
        };
        let cx = EncodeContext {
            version,
            head_request: false,
            date,
            server: self.server,
        };
        let Some(out) = self.tx_space(pool) else {
            return;
        };
        if let Ok(encoded) = response::encode_full(&head, b"", &cx, out) {
            self.advance_tx(encoded.len, now);
        }
    }

    /// Appends `bytes` to the output queue, if they fit.
    fn queue(&mut self, bytes: &[u8], pool: &mut BufferPool<'_>, now: Instant) {
        let Some(space) = self.tx_space(pool) else {
            return;
        };
        if let Some(out) = space.get_mut(..bytes.len()) {
            out.copy_from_slice(bytes);
            self.advance_tx(bytes.len(), now);
        }
    }

    /// The free output space after the queue, taking a buffer for the queue if it has none
    /// and moving the queue to the front first. `None` when the pool has no buffer.
    fn tx_space<'b>(&mut self, pool: &'b mut BufferPool<'_>) -> Option<&'b mut [u8]> {
        self.compact_tx(pool);
        let tx = self.tx_buffer(pool)?;
        let end = self.tx_end;
        pool.bytes_mut(tx).ok()?.get_mut(end..)
    }

    /// The output queue's buffer, taken from the pool if the connection holds none.
    fn tx_buffer(&mut self, pool: &mut BufferPool<'_>) -> Option<BufferHandle> {
        if let Some(tx) = self.tx {
            return Some(tx);
        }
        match pool.acquire(self.start, Spill::ToLarger) {
            Ok(tx) => {
                self.tx = Some(tx);
                self.tx_start = 0;
                self.tx_end = 0;
                Some(tx)
            }
            Err(error) => {
                warn!("no buffer for a response: {}", error);
                None
            }
        }
    }

    /// Moves the output queue into the next larger class, keeping what is queued. `false` if
    /// it is at [`MAX_WRITE_BUFFER`] or the pool has nothing larger.
    fn grow_tx(&mut self, pool: &mut BufferPool<'_>) -> bool {
        let Some(tx) = self.tx else {
            return false;
        };
        let Some(want) = tx
            .capacity()
            .checked_add(1)
            .filter(|&w| w <= MAX_WRITE_BUFFER)
        else {
            return false;
        };
        match pool.grow(tx, want, self.tx_end, Spill::ToLarger) {
            Ok(grown) => {
                self.tx = Some(grown);
                true
            }
            Err(_) => false,
        }
    }

    /// Moves the queued output to the front of its buffer, so the free space is in one piece.
    fn compact_tx(&mut self, pool: &mut BufferPool<'_>) {
        if self.tx_start == 0 {
            return;
        }
        if let Some(buf) = self.tx.and_then(|tx| pool.bytes_mut(tx).ok()) {
            let end = self.tx_end.min(buf.len());
            buf.copy_within(self.tx_start.min(end)..end, 0);
        }
        self.tx_end = self.tx_end.saturating_sub(self.tx_start);
        self.tx_start = 0;
    }

    /// `len` bytes were written after `tx_end`.
    #[inline(never)]
    fn advance_tx(&mut self, len: usize, now: Instant) {
        if self.tx_start >= self.tx_end {
            self.write_since = now;
        }
        let cap = self.tx.map_or(0, BufferHandle::capacity);
        self.tx_end = self.tx_end.saturating_add(len).min(cap);
    }

    /// Drops the first `consumed` bytes of the read buffer, moving the rest to the front.
    fn consume(&mut self, consumed: usize, pool: &mut BufferPool<'_>) {
        let consumed = consumed.min(self.filled);
        if let Some(buf) = self.rx.and_then(|handle| pool.bytes_mut(handle).ok()) {
            let filled = self.filled.min(buf.len());
            buf.copy_within(consumed.min(filled)..filled, 0);
        }
        self.filled = self.filled.saturating_sub(consumed);
    }

    /// Forgets all buffered input and gives the buffer back.
    fn drop_input(&mut self, pool: &mut BufferPool<'_>) {
        self.filled = 0;
        self.release(pool);
    }

    /// Gives the read buffer back to the pool.
    fn release(&mut self, pool: &mut BufferPool<'_>) {
        if let Some(handle) = self.rx.take() {
            if pool.release(handle).is_err() {
                warn!("read buffer was not live on release");
            }
        }
        self.filled = 0;
    }

    /// Gives the output queue's buffer back to the pool, dropping anything still queued.
    fn release_tx(&mut self, pool: &mut BufferPool<'_>) {
        if let Some(handle) = self.tx.take() {
            if pool.release(handle).is_err() {
                warn!("output buffer was not live on release");
            }
        }
        self.tx_start = 0;
        self.tx_end = 0;
    }

    /// Returns an empty output queue's buffer and closes a closing connection whose output
    /// has drained.
    fn settle(&mut self, pool: &mut BufferPool<'_>) {
        if self.tx_start >= self.tx_end {
            self.release_tx(pool);
            if let Phase::Closing { reason } = self.phase {
                self.close(reason, pool);
            }
        }
    }

    /// Closes now, dropping input and output.
    fn close(&mut self, reason: CloseReason, pool: &mut BufferPool<'_>) {
        self.release(pool);
        self.release_tx(pool);
        self.phase = Phase::Closed {
            reason: Some(reason),
        };
    }
}

/// Decodes the chunked body buffered in `rx` after a head of `head_len` bytes in place, on
/// from the `decoded` bytes already there (updated); the framing reclaimed shrinks `filled`.
/// `Err` names the status and cause to fail the request with.
fn decode_chunked(
    rx: Option<BufferHandle>,
    filled: &mut usize,
    head_len: usize,
    decoder: &mut ChunkedDecoder,
    decoded: &mut usize,
    pool: &mut BufferPool<'_>,
) -> Result<InPlace, (Status, RejectCause)> {
    let Some(buf) = rx.and_then(|rx| pool.bytes_mut(rx).ok()) else {
        return Err((Status::INTERNAL_SERVER_ERROR, RejectCause::NoBuffer));
    };
    let region = buf.get_mut(head_len..*filled).unwrap_or_default();
    match decoder.decode_in_place(region, *decoded) {
        Ok(step) => {
            *decoded = step.body_end;
            *filled = head_len.saturating_add(step.filled);
            Ok(step)
        }
        Err(error) => {
            debug!("chunked body rejected: {}", error.as_str());
            Err((error.status(), RejectCause::Chunked(error)))
        }
    }
}
