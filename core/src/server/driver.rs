//! The server driver: every connection of one worker, driven through one [`Reactor`].
//!
//! This module owns the worker's connection slots, their timers, the connection limit with its
//! hysteresis, the overload response, graceful shutdown and the runtime metrics a worker
//! records. It is written once against the [`Reactor`] and [`Socket`] traits; a backend reads
//! its clock, waits for readiness or for [`Server::poll_timeout`], and calls
//! [`Server::turn`]. It never blocks, never allocates, never reads a clock and never panics on
//! what a peer sends: every byte goes through [`Connection`].
//!
//! # One turn
//!
//! 1. Drain [`Reactor::poll_event`]. For [`Token::LISTENER`], accept until `Ok(None)`; for a
//!    connection, read until the socket would block (handing bytes to the connection), then
//!    write what the connection queued until it is drained or the socket would block.
//! 2. Service the connections that stopped early without waiting for an event: a read budget
//!    ran out, reading was paused until responses drained, or the pool had no buffer.
//! 3. Fire the timers due at `now` ([`Connection::handle_timeout`]), then write and close as
//!    in 1.
//! 4. Trim the tables if a trim is due (see [Memory](#memory)).
//! 5. Publish the pool's buffers in use to the [`WorkerMetrics`].
//!
//! After each piece of work on a connection the driver closes it if
//! [`Connection::poll_close`] says so (gracefully, or with an abort after a write timeout or a
//! socket error), and otherwise re-arms its timer from [`Connection::poll_timeout`].
//!
//! # Buffers
//!
//! A connection that holds no read buffer (just accepted, or idle between requests) takes one
//! from the pool for its read and gives it back at once if the read would block
//! ([`Connection::release_empty_buffer`]), so idle connections hold none and bytes are read
//! straight into the buffer that keeps them. When the pool has no buffer, the connection
//! leaves its bytes in the socket and tries again on every turn and at least every
//! 10 ms ([`poll_timeout`](Server::poll_timeout) says when); its end of stream or reset is
//! noticed then too.
//!
//! # Memory
//!
//! The [`Tables`] are written as far as the most connections open at once. After a burst the
//! driver gives the unused part back: when a connection closes and at most half of the slots
//! written are open (and at least 64 are not), it trims the connection and timer tables
//! ([`ObjectPool::trim`], [`TimerWheel::trim`]) at the end of a turn, at most once a second
//! ([`poll_timeout`](Server::poll_timeout) asks for that turn). A table shrinks down to its
//! highest live entry, so a long-lived connection in a high slot keeps the slots below it.
//! A request never pays for this: the check runs when a connection closes. A server over
//! tables written whole, which give nothing back (a firmware's arrays), sets `TRIM` to
//! `false`: then it never trims and the trimming code is not linked into its image.
//!
//! # Metrics
//!
//! Into the worker's [`WorkerMetrics`] shard: a connection accepted, refused (overload, no
//! slot, or a failed `register`) or closed; every final response and every refusal by its
//! status class; the request duration from the request's first byte until its response was
//! queued (not written); a parse error by kind ([`parse_error_kind`]); and the pool's buffers
//! in use per size class after every turn. The overload `503` is counted as a rejected
//! connection, not as a response.
//!
//! # Fairness
//!
//! One connection gets at most 16 reads per service; the rest of its input waits until every
//! other event of the turn was handled, and [`poll_timeout`](Server::poll_timeout) asks for
//! another turn at once if some is still left.
//!
//! # Connection limit
//!
//! A worker's share of `max_connections` is `ceil(max_connections / workers)`, capped at the
//! capacity of its [`Tables`]; the high- and low-water marks are the configured percentages of
//! that share ([`ServerConfig::high_water_mark`], [`ServerConfig::low_water_mark`]). Below the
//! high-water mark every new connection gets a slot. At it, each new one takes the slot of
//! the connection cheapest to lose ([`Reclaim`]) among those idle or reading a head for at
//! least [`RECLAIM_AGE`] (accepted and silent for [`SILENT_RECLAIM_AGE`]). If none is old
//! enough yet, the slots above the high-water mark take newcomers up to the share; once those
//! are gone too, one newcomer is held (accepted, unread) and the listener pauses, so the rest
//! wait in the backlog, until a slot frees or the first connection reaches that age
//! ([`poll_timeout`](Server::poll_timeout) says when).
//! A client that reconnects as soon as it is cut thus costs at most one reclaim per slot per
//! `RECLAIM_AGE`, and a head that arrives whole is never cut before it is read.
//!
//! Only when every connection is in the middle of a request (none could ever be reclaimed)
//! does a new connection get the configured overload response (a `503` with `Retry-After`
//! written in one non-blocking attempt, or a bare close) and count as rejected, and so does
//! every one after it until open connections fall to the low-water mark; the listener stays
//! active meanwhile, so refused clients hear why.

use core::fmt;

use crate::config::{OverloadPolicy, ServerConfig};
use crate::conn::{
    CloseReason, ConnEvent, Connection, Env, Handler, Observer, ReadError, Reclaim, RejectCause,
    Spans, Timer,
};
use crate::http::Status;
use crate::http::chunked::ChunkedError;
use crate::http::date::Date;
#[cfg(feature = "wall-clock")]
use crate::http::date::DateCache;
use crate::http::header::HeaderSpan;
use crate::http::request::RequestError;
use crate::http::response::{
    self, Check, EncodeContext, Persistence, ResponseHead, ServerName, Space, Version,
};
use crate::mem::arena::Arena;
use crate::mem::buffer_pool::{BufferPool, SizeClass};
use crate::mem::object_pool::{ObjectHandle, ObjectPool};
use crate::mem::table::Table;
use crate::metrics::{Recorder, RuntimeMetrics, WorkerMetrics};
use crate::time::wheel::{TimerId, TimerWheel};
use crate::time::{Duration, Instant};

use super::io::{CloseKind, Event, Reactor, Readiness, Socket, SocketError, Token};
use super::tables::{ConnEntry, Tables, TimerEntry};

/// How many parse-error kinds the driver counts: every [`RequestError`], then every
/// [`ChunkedError`].
pub const PARSE_ERROR_KINDS: usize = RequestError::ALL.len() + ChunkedError::ALL.len();

/// The `kind` label of each parse-error kind, in [`parse_error_kind`] order: the errors' own
/// snake_case names ([`RequestError::as_str`], [`ChunkedError::as_str`]).
pub const PARSE_ERROR_LABELS: [&str; PARSE_ERROR_KINDS] = parse_error_labels();

/// The runtime metrics of a server with `WORKERS` workers, each driven by a [`Server`].
pub type ServerMetrics<const WORKERS: usize> = RuntimeMetrics<WORKERS, PARSE_ERROR_KINDS>;

/// The tick of the timer wheel: deadlines fire at most this late.
pub const TIMER_TICK: Duration = Duration::from_millis(10);

/// How soon a connection that found the pool empty tries to read again.
const STARVED_RETRY: Duration = Duration::from_millis(10);

/// Reads on one connection before the driver moves on to others (it comes back to this one
/// in the same turn, after every other event).
const READ_BUDGET: usize = 16;

/// Slots of the timer wheel by default: with a 10 ms tick, one rotation is 2.56 s. A server
/// with few connections may take fewer (its `SLOTS` parameter): a deadline beyond one
/// rotation waits in its slot for its turn, so fewer slots cost only some skipped visits.
pub const WHEEL_SLOTS: usize = 256;

/// The least time between two trims of the tables.
const TRIM_INTERVAL: Duration = Duration::from_secs(1);

/// The fewest unused written slots worth a trim (about 30 KB of slots for the demo `Hello`).
const TRIM_SLACK: usize = 64;

/// The largest overload response: status line, `Date`, `Server` (128 bytes at most),
/// `Retry-After`, `Content-Length` and `Connection`.
const OVERLOAD_RESPONSE_MAX: usize = 320;

/// The parse-error kind (an index into [`PARSE_ERROR_LABELS`]) of a refused request, or `None`
/// for a refusal that is not a parse error (a timeout, an empty pool, a handler fault). A head
/// beyond the largest read buffer counts as [`RequestError::HeadTooLarge`] and a body beyond it
/// as [`RequestError::ContentTooLarge`].
pub fn parse_error_kind(cause: RejectCause) -> Option<usize> {
    // Both error enums are fieldless and list their variants in `ALL` in declaration order, so
    // a variant's discriminant is its position there (a test checks it), which spares a search.
    match cause {
        RejectCause::Request(error) => Some(error as usize),
        RejectCause::HeadTooLarge => Some(RequestError::HeadTooLarge as usize),
        RejectCause::BodyTooLarge => Some(RequestError::ContentTooLarge as usize),
        RejectCause::Chunked(error) => {
            Some((error as usize).saturating_add(RequestError::ALL.len()))
        }
        RejectCause::TimedOut(_) | RejectCause::NoBuffer | RejectCause::Handler => None,
    }
}

/// Every connection of one worker: slots, timers, buffers, the application and its metrics.
///
/// `S` is the backend's socket and `H` the application. The connection slots and their
/// timers live in the caller's [`Tables`], whose capacity is the most connections this worker
/// holds at once; the buffers and header scratch come from the caller too. `M` records the
/// metrics, `SLOTS` is the timer wheel's slot count and `TRIM` whether the tables are trimmed
/// after a burst: `false` for tables written whole, which give nothing back (see
/// [Memory](self#memory)).
///
/// # Size
///
/// The struct itself holds no slot: a few kilobytes (1 KB of them the timer wheel's slot
/// heads) plus the handler. Its tables take one [`ConnEntry`] per connection slot (448 bytes
/// plus the socket for the demo `Hello`: the connection holds the application's producer and
/// consumer, so `H` sets the size) and 40 bytes per timer, written as slots first come into
/// use (see [`tables`](super::tables)) and trimmed a second after a burst (see
/// [Memory](self#memory)).
///
/// # Invariants
///
/// - A live slot holds an accepted, registered socket and its [`Connection`]; its [`Token`] is
///   the slot index. Events for a free or reused slot are harmless: at worst a read or write
///   that would block.
/// - Every closed connection gave its buffers back to the pool before its slot was freed, so
///   once [`connections`](Self::connections) is 0 every buffer is back.
/// - Each live slot has at most one timer, at its connection's next deadline.
pub struct Server<
    'm,
    S: Socket,
    H: Handler,
    M: Recorder = WorkerMetrics<PARSE_ERROR_KINDS>,
    const SLOTS: usize = WHEEL_SLOTS,
    const TRIM: bool = true,
> {
    config: ServerConfig,
    slots: Slots<'m, S, H>,
    timers: TimerWheel<ObjectHandle, &'m mut dyn Table<TimerEntry>, SLOTS>,
    pool: BufferPool<'m>,
    spans: Spans<'m>,
    handler: H,
    metrics: &'m M,
    /// Handlers' per-call scratch ([`Responder::arena`](crate::conn::Responder::arena)).
    arena: Option<Arena<'m>>,
    /// Fallback-heap allocations already counted in the metrics.
    arena_fallbacks: u64,
    /// The `Date` header's value, if the wall clock was set (feature `wall-clock`).
    date: WallDate,
    limit: Limit,
    admission: Admission,
    /// Some connection needs service without an event: at once, or after a pool retry delay.
    wake: Option<Instant>,
    /// When the tables are to be trimmed, once enough connections closed.
    trim_at: Option<Instant>,
    /// When they were last trimmed (or the server was built).
    trimmed: Instant,
    /// The slot index the next [`victim`](Self::victim) scan looks at first.
    reclaim_from: usize,
    /// The connection accepted when no slot was left for it: it waits, without a slot and
    /// unread, while the listener is paused, and is the first let in after the pause.
    held: Option<S>,
}

/// How many slots [`Server::room`] weighs at least before it picks its victim.
const RECLAIM_SCAN: usize = 64;

/// How long a connection must have been idle or reading its head before it may be reclaimed:
/// it bounds the churn an attacker that reconnects when cut can cause to about one reclaim
/// per open connection per this age, and keeps a client between two requests, or one whose
/// head is on its way, from being closed for a newcomer.
pub const RECLAIM_AGE: Duration = Duration::from_secs(1);

/// [`RECLAIM_AGE`] for a connection that has sent nothing yet: a client's head follows its
/// connect within a round trip, and a flood of silent connections would otherwise hold the
/// clients queued behind them in the backlog for a whole `RECLAIM_AGE` each turn.
pub const SILENT_RECLAIM_AGE: Duration = Duration::from_millis(500);

/// The connection slots of a worker.
type Slots<'m, S, H> = ObjectPool<Slot<S, H>, &'m mut dyn Table<ConnEntry<S, H>>>;

/// One connection slot: storage only, outside this module ([`ConnEntry`]).
pub struct Slot<S, H: Handler> {
    socket: S,
    conn: Connection<H>,
    timer: Option<TimerId>,
    input: Input,
}

/// Where reading a connection stands between events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Input {
    /// Read until the socket would block: wait for a readable event.
    Waiting,
    /// Stopped with bytes possibly left (the read budget ran out, or reading resumed after a
    /// pause): read again without waiting for an event.
    Pending,
    /// A complete request waits for queued responses to drain, and the socket would not take
    /// them: read again once a write drains the queue.
    Paused,
    /// The pool had no buffer to read into: try again shortly.
    Starved,
    /// End of stream, or the connection reads no more.
    Done,
}

/// The connection limit of this worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Limit {
    /// At this many open connections each new one needs a reclaimed slot.
    high: usize,
    /// After overload, accepting resumes at this many.
    low: usize,
    /// This worker's share of `max_connections`: never more open than this.
    max: usize,
}

/// Whether new connections are let in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admission {
    /// Below the high-water mark (or back at the low-water mark).
    Open,
    /// Every slot up to the share is taken and none is old enough to reclaim: one newcomer
    /// is held and the listener paused until a slot frees or one may be reclaimed, at
    /// `until`.
    Paused {
        /// When the first open connection reaches [`RECLAIM_AGE`].
        until: Instant,
    },
    /// The high-water mark was reached with no connection that could ever be reclaimed:
    /// refuse until the low-water mark.
    Overloaded,
    /// [`Server::shutdown`] was called: accept nothing.
    ShuttingDown,
}

/// Where a connection just accepted goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Room {
    /// A slot is free.
    Free,
    /// This connection is closed to make room.
    Reclaim(ObjectHandle),
    /// None now; one may be reclaimed at this instant.
    Wait(Instant),
    /// None will be: the overload response.
    Refuse,
}

/// What a scan for a connection to reclaim found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Victim {
    /// The cheapest to lose of those old enough.
    Found(ObjectHandle),
    /// None is old enough yet; the first becomes so at this instant.
    NotYet(Instant),
    /// Every connection is in the middle of a request.
    None,
}

/// What a socket did when the driver last wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flush {
    /// Nothing is queued any more; `wrote` says whether this flush sent anything.
    Drained { wrote: bool },
    /// The socket would not take more: wait for a writable event.
    Blocked,
}

/// A socket call failed: the connection is aborted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Broken;

/// The cached `Date` header value, set by [`Server::set_wall_clock`].
#[cfg(feature = "wall-clock")]
type WallDate = Option<DateCache>;

/// No wall clock: without the feature `wall-clock` the date formatting is not even linked in.
#[cfg(not(feature = "wall-clock"))]
#[derive(Clone, Copy, Debug, Default)]
struct WallDate;

/// The `Date` header's value: the wall clock's current second, if one was set.
#[cfg(feature = "wall-clock")]
fn current_date(date: &WallDate) -> Option<&Date> {
    date.as_ref().map(DateCache::date)
}

/// The `Date` header's value: none, without a wall clock.
#[cfg(not(feature = "wall-clock"))]
fn current_date(_: &WallDate) -> Option<&Date> {
    None
}

/// Records a connection's events into the worker's metrics.
struct Meter<'a, M> {
    metrics: &'a M,
    now: Instant,
}

impl<'m, S: Socket, H: Handler, M: Recorder, const SLOTS: usize, const TRIM: bool>
    Server<'m, S, H, M, SLOTS, TRIM>
{
    /// A worker with no connection yet, keeping its connections in `tables`.
    ///
    /// `workers` is how many workers share `config.max_connections`: this worker's limit is
    /// `ceil(max_connections / workers)` (0 counts as 1), capped at the capacity of `tables`.
    /// `pool` gives every read buffer and output queue; `spans` is the header scratch shared
    /// by all connections (a head with more fields than `spans.len()` is refused). `metrics`
    /// records the events: this worker's shard of a [`ServerMetrics`], or [`NoMetrics`](crate::metrics::NoMetrics). Without `set_wall_clock` (feature
    /// `wall-clock`), responses carry no `Date`.
    #[allow(clippy::too_many_arguments)] // each is a separate resource the caller owns
    pub fn new(
        config: &ServerConfig,
        workers: usize,
        tables: Tables<'m, S, H>,
        pool: BufferPool<'m>,
        spans: &'m mut [HeaderSpan],
        handler: H,
        metrics: &'m M,
        now: Instant,
    ) -> Self {
        let capacity = tables.capacity();
        Self {
            config: *config,
            slots: ObjectPool::with_table(0, tables.conns),
            timers: TimerWheel::with_table(tables.timers, TIMER_TICK, now),
            pool,
            spans: Spans::new(spans),
            handler,
            metrics,
            arena: None,
            arena_fallbacks: 0,
            // One expression for both forms of `WallDate` (an `Option`, or a unit struct).
            #[allow(clippy::default_constructed_unit_structs)]
            date: WallDate::default(),
            limit: Limit::new(config, workers, capacity),
            admission: Admission::Open,
            wake: None,
            trim_at: None,
            trimmed: now,
            reclaim_from: 0,
            held: None,
        }
    }

    /// Gives handlers `arena` as per-call scratch ([`Responder::arena`]); the connection resets
    /// it after every handler call, and allocations that spill into its fallback heap are
    /// counted in `aurora_arena_fallbacks_total`.
    ///
    /// [`Responder::arena`]: crate::conn::Responder::arena
    #[must_use]
    pub fn with_arena(mut self, arena: Arena<'m>) -> Self {
        self.set_arena(arena);
        self
    }

    /// As [`with_arena`](Self::with_arena), in place.
    pub fn set_arena(&mut self, arena: Arena<'m>) {
        self.arena_fallbacks = arena.stats().fallback_allocations;
        self.arena = Some(arena);
    }

    /// Sets the wall clock, in seconds since the Unix epoch, for the `Date` header. The header
    /// value is reformatted only when the second changes; call it before every
    /// [`turn`](Self::turn). Only with the feature `wall-clock`: without it, responses carry no
    /// `Date`.
    #[cfg(feature = "wall-clock")]
    pub fn set_wall_clock(&mut self, unix_secs: u64) {
        match &mut self.date {
            Some(cache) => {
                cache.update(unix_secs);
            }
            None => self.date = Some(DateCache::new(unix_secs)),
        }
    }

    /// Does all the work that is due at `now`: drains the reactor's events (accepting, reading,
    /// handling requests, writing), services connections that stopped early, and fires the
    /// timers that are due. Then the backend waits for readiness until
    /// [`poll_timeout`](Self::poll_timeout).
    pub fn turn<R: Reactor<Socket = S>>(&mut self, reactor: &mut R, now: Instant) {
        while let Some(event) = reactor.poll_event() {
            self.dispatch(reactor, event, now);
        }
        self.retry(reactor, now);
        self.expire(reactor, now);
        self.resume(reactor, now);
        if TRIM && self.trim_at.is_some_and(|at| at <= now) {
            self.trim(now);
        }
        self.publish();
    }

    /// When [`turn`](Self::turn) next has work without an event: the earliest connection
    /// deadline, at once when a connection stopped reading before the socket would block, or
    /// when the tables are due to be trimmed. `None` when only an event can bring work.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        // Without trimming `trim_at` stays `None`; saying so drops its comparison.
        let trim_at = if TRIM { self.trim_at } else { None };
        let paused = match self.admission {
            Admission::Paused { until } => Some(until),
            _ => None,
        };
        [self.timers.next_deadline(), self.wake, trim_at, paused]
            .into_iter()
            .flatten()
            .min()
    }

    /// Begins a graceful shutdown: stops accepting, closes idle connections at once, and lets
    /// every other connection finish the request it is in, whose response says
    /// `Connection: close`. Go on calling [`turn`](Self::turn) until
    /// [`is_drained`](Self::is_drained); a backend with a deadline drops the rest itself.
    pub fn shutdown<R: Reactor<Socket = S>>(&mut self, reactor: &mut R, now: Instant) {
        reactor.set_accepting(false);
        self.admission = Admission::ShuttingDown;
        if let Some(socket) = self.held.take() {
            self.refuse(reactor, socket);
        }
        self.each(reactor, now, Connection::shutdown);
    }

    /// Pulls again every response body whose producer waits to be woken
    /// ([`Fill::Pending`](crate::conn::Fill::Pending)): for an application whose state
    /// changed in a way its streams report (a new event for a live feed).
    pub fn wake<R: Reactor<Socket = S>>(&mut self, reactor: &mut R, now: Instant) {
        self.each(reactor, now, Connection::wake);
    }

    /// Calls `act` on every live connection, then writes what it queued and closes what it
    /// closed.
    fn each<R: Reactor<Socket = S>>(
        &mut self,
        reactor: &mut R,
        now: Instant,
        act: fn(&mut Connection<H>, Instant, &mut Env<'_, '_, H>),
    ) {
        for index in 0..self.slots.used() {
            let Some(handle) = self.handle(index) else {
                continue;
            };
            let flushed = self.with_slot(handle, now, |slot, env| {
                act(&mut slot.conn, now, env);
                flush(slot, env, now).map(|_| ())
            });
            if let Some(flushed) = flushed {
                self.settle(reactor, handle, flushed, now);
            }
        }
        self.publish();
    }

    /// Whether no connection is left (after [`shutdown`](Self::shutdown): the worker may stop).
    pub fn is_drained(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many connections are open.
    pub fn connections(&self) -> usize {
        self.slots.len()
    }

    /// The application.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// The buffer pool, for its statistics.
    pub fn pool(&self) -> &BufferPool<'m> {
        &self.pool
    }

    /// Acts on one readiness hint.
    fn dispatch<R: Reactor<Socket = S>>(&mut self, reactor: &mut R, event: Event, now: Instant) {
        if event.token == Token::LISTENER {
            // Whatever the readiness says: a hint for the listener means "try accepting".
            self.accept(reactor, now);
            return;
        }
        // A token for a free or reused slot is a spurious event: harmless.
        let Some(handle) = self.handle(event.token.0) else {
            return;
        };
        self.service(reactor, handle, event.readiness, now);
    }

    /// Reads and writes one connection as far as it goes, then closes it or re-arms its timer.
    fn service<R: Reactor<Socket = S>>(
        &mut self,
        reactor: &mut R,
        handle: ObjectHandle,
        readiness: Readiness,
        now: Instant,
    ) {
        let done = self.with_slot(handle, now, |slot, env| drive(slot, env, readiness, now));
        if let Some(done) = done {
            self.settle(reactor, handle, done, now);
        }
    }

    /// Accepts until the reactor has no connection waiting, or until no slot is left for the
    /// next one: then the listener pauses and the connections wait in the backlog.
    fn accept<R: Reactor<Socket = S>>(&mut self, reactor: &mut R, now: Instant) {
        if matches!(
            self.admission,
            Admission::ShuttingDown | Admission::Paused { .. }
        ) {
            return;
        }
        loop {
            let socket = match self
                .held
                .take()
                .map_or_else(|| reactor.accept(), |s| Ok(Some(s)))
            {
                Ok(Some(socket)) => socket,
                Ok(None) | Err(SocketError::WouldBlock) => return,
                Err(SocketError::Io(kind)) => {
                    warn!("accept failed: {:?}", kind);
                    return;
                }
            };
            // Decided once a connection is in hand: a scan for nothing, or an overload declared
            // with no one waiting, would be wasted or wrong by the next arrival.
            match self.room(now) {
                Room::Free => self.admit(reactor, socket, now),
                Room::Wait(until) => {
                    // Not refused: a client refused or cut comes back at once if hostile, so
                    // the others wait in the backlog instead.
                    debug!("no slot to reclaim yet: pausing the listener");
                    self.held = Some(socket);
                    reactor.set_accepting(false);
                    self.admission = Admission::Paused { until };
                    return;
                }
                Room::Reclaim(handle) => {
                    debug!("reclaiming a connection for a new one");
                    self.close_slot(
                        reactor,
                        handle,
                        CloseKind::Graceful,
                        CloseReason::Reclaimed,
                        now,
                    );
                    self.admit(reactor, socket, now);
                }
                Room::Refuse => self.refuse(reactor, socket),
            }
        }
    }

    /// Where a connection just accepted goes. Below the high-water mark a slot is free; at it,
    /// the connection cheapest to lose that is old enough ([`RECLAIM_AGE`]) makes room. If
    /// none is old enough yet, the slots above the high-water mark up to the share take
    /// newcomers, and once they are gone too the newcomers wait. Only when every connection
    /// is in the middle of a request is the newcomer refused, and then every newcomer until
    /// the low-water mark.
    fn room(&mut self, now: Instant) -> Room {
        let open = self.slots.len();
        if self.admission == Admission::Overloaded {
            if open > self.limit.low {
                return Room::Refuse;
            }
            self.admission = Admission::Open;
        }
        if open < self.limit.high && !self.slots.is_full() {
            return Room::Free;
        }
        match self.victim(now) {
            Victim::Found(handle) => Room::Reclaim(handle),
            Victim::NotYet(_) if open < self.limit.max && !self.slots.is_full() => Room::Free,
            Victim::NotYet(at) => Room::Wait(at),
            Victim::None => {
                self.admission = Admission::Overloaded;
                Room::Refuse
            }
        }
    }

    /// Ends a pause of the listener once a slot is free or a connection may be reclaimed,
    /// and accepts what waited in the backlog meanwhile.
    fn resume<R: Reactor<Socket = S>>(&mut self, reactor: &mut R, now: Instant) {
        let Admission::Paused { until } = self.admission else {
            return;
        };
        if until > now && self.slots.len() >= self.limit.max {
            return;
        }
        self.admission = Admission::Open;
        reactor.set_accepting(true);
        self.accept(reactor, now);
    }

    /// Gives a new connection a slot.
    fn admit<R: Reactor<Socket = S>>(&mut self, reactor: &mut R, socket: S, now: Instant) {
        let slot = Slot {
            socket,
            conn: Connection::new(&self.config, now),
            timer: None,
            input: Input::Waiting,
        };
        let handle = match self.slots.acquire(slot) {
            Ok(handle) => handle,
            Err(slot) => {
                self.refuse(reactor, slot.socket);
                return;
            }
        };
        let token = Token(handle.index());
        let registered = match self.slots.get_mut(handle) {
            Ok(slot) => reactor.register(&mut slot.socket, token),
            Err(_) => return,
        };
        if let Err(error) = registered {
            warn!("register failed: {}", error);
            if let Ok(mut slot) = self.slots.release(handle) {
                self.abort(&mut slot.conn, CloseReason::PeerClosed, now);
                reactor.close(slot.socket, CloseKind::Abort);
            }
            self.metrics.connection_rejected();
            return;
        }
        self.metrics.connection_accepted();
        self.arm(handle, now);
    }

    /// The connection cheapest to lose ([`Reclaim`]) among those idle or reading a head for at
    /// least [`RECLAIM_AGE`] (silent so far: [`SILENT_RECLAIM_AGE`]): the longest idle
    /// keep-alive connection or the one sending its head the slowest, whichever has gone
    /// longer without a request.
    ///
    /// It weighs [`RECLAIM_SCAN`] slots (more only while none of them can be reclaimed),
    /// starting where the last scan stopped: a flood at a limit of thousands would otherwise
    /// cost a scan of every slot per accepted connection.
    fn victim(&mut self, now: Instant) -> Victim {
        let used = self.slots.used();
        let start = self.reclaim_from;
        let mut victim: Option<(ObjectHandle, Reclaim)> = None;
        let mut first_ready: Option<Instant> = None;
        for step in 0..used {
            if step >= RECLAIM_SCAN && victim.is_some() {
                break;
            }
            // `start` and `step` are below `used`, a slot count, so the sum cannot overflow.
            let index = (start + step) % used;
            self.reclaim_from = (index + 1) % used;
            let Some(handle) = self.handle(index) else {
                continue;
            };
            let Some(rank) = self.slots.get(handle).ok().and_then(|s| s.conn.reclaim()) else {
                continue;
            };
            let age = match rank {
                Reclaim::Head { buffered: 0, .. } => SILENT_RECLAIM_AGE,
                _ => RECLAIM_AGE,
            };
            let ready = rank.since() + age;
            if ready > now {
                first_ready = Some(first_ready.map_or(ready, |at| at.min(ready)));
            } else if victim.is_none_or(|(_, best)| rank.before(best, now)) {
                victim = Some((handle, rank));
            }
        }
        match (victim, first_ready) {
            (Some((handle, _)), _) => Victim::Found(handle),
            (None, Some(at)) => Victim::NotYet(at),
            (None, None) => Victim::None,
        }
    }

    /// Takes the connection of `handle` out of its slot and closes it for `reason` (idempotent
    /// on a connection that closed itself): its buffers back to the pool, its timer cancelled,
    /// its socket closed `how`.
    fn close_slot<R: Reactor<Socket = S>>(
        &mut self,
        reactor: &mut R,
        handle: ObjectHandle,
        how: CloseKind,
        reason: CloseReason,
        now: Instant,
    ) {
        let Ok(mut slot) = self.slots.release(handle) else {
            return;
        };
        self.abort(&mut slot.conn, reason, now);
        if let Some(id) = slot.timer {
            let _ = self.timers.cancel(id);
        }
        reactor.close(slot.socket, how);
        self.metrics.connection_closed();
        let (used, open) = (self.slots.used(), self.slots.len());
        if TRIM && self.trim_at.is_none() && used.saturating_sub(open) >= open.max(TRIM_SLACK) {
            self.trim_at = Some(now.max(self.trimmed + TRIM_INTERVAL));
        }
    }

    /// Gives back the table entries above the highest live connection and timer.
    fn trim(&mut self, now: Instant) {
        self.trim_at = None;
        self.trimmed = now;
        let slots = self.slots.trim();
        let timers = self.timers.trim();
        debug!(
            "trimmed {} connection slots and {} timers; {} and {} left",
            slots,
            timers,
            self.slots.used(),
            self.timers.used()
        );
    }

    /// Turns a connection away under overload: the configured response, then a close.
    fn refuse<R: Reactor<Socket = S>>(&mut self, reactor: &mut R, mut socket: S) {
        if let OverloadPolicy::ServiceUnavailable { retry_after_secs } =
            self.config.overload_response
        {
            let mut out = [0u8; OVERLOAD_RESPONSE_MAX];
            let len = self.overload_response(retry_after_secs, &mut out);
            if let Some(bytes) = out.get(..len).filter(|b| !b.is_empty()) {
                // Best effort: one non-blocking write; whatever the socket does not take is lost.
                let _ = socket.write(bytes);
            }
        }
        reactor.close(socket, CloseKind::Graceful);
        self.metrics.connection_rejected();
    }

    /// Encodes the `503` with `Retry-After` into `out`, returning its length (0 if it does not
    /// fit, which the bounds above rule out).
    fn overload_response(&self, retry_after_secs: u32, out: &mut [u8]) -> usize {
        let mut digits = [0u8; 10];
        let retry_after = decimal(retry_after_secs, &mut digits);
        let headers = [("Retry-After", retry_after)];
        let head = ResponseHead {
            status: Status::SERVICE_UNAVAILABLE,
            headers: &headers,
            persistence: Persistence::Close,
        };
        let cx = EncodeContext {
            version: Version::Http11,
            head_request: false,
            date: current_date(&self.date),
            server: self
                .config
                .server_header
                .and_then(|s| ServerName::new(s).ok()),
        };
        // `Retry-After` with digits is a valid field: nothing to check.
        response::encode_full_as(&head, b"", &cx, out, Check::Done, Space::Free)
            .map_or(0, |encoded| encoded.len)
    }

    /// Services, once, every connection that stopped without waiting for an event.
    fn retry<R: Reactor<Socket = S>>(&mut self, reactor: &mut R, now: Instant) {
        if self.wake.take().is_none() {
            return;
        }
        for index in 0..self.slots.used() {
            let Some(handle) = self.handle(index) else {
                continue;
            };
            let retry = self
                .slots
                .get(handle)
                .is_ok_and(|slot| matches!(slot.input, Input::Pending | Input::Starved));
            if retry {
                self.service(reactor, handle, Readiness::default(), now);
            }
        }
    }

    /// Fires every timer due at `now`.
    fn expire<R: Reactor<Socket = S>>(&mut self, reactor: &mut R, now: Instant) {
        while let Some((_, handle)) = self.timers.poll_expired(now) {
            let done = self.with_slot(handle, now, |slot, env| {
                slot.timer = None;
                slot.conn.handle_timeout(now, env);
                drive(slot, env, Readiness::default(), now)
            });
            if let Some(done) = done {
                self.settle(reactor, handle, done, now);
            }
        }
    }

    /// After work on a connection: closes it if it is done (or broken), else re-arms its timer
    /// and notes whether it needs service without an event.
    fn settle<R: Reactor<Socket = S>>(
        &mut self,
        reactor: &mut R,
        handle: ObjectHandle,
        done: Result<(), Broken>,
        now: Instant,
    ) {
        let Ok(slot) = self.slots.get_mut(handle) else {
            return;
        };
        let close = match done {
            Err(Broken) => Some(CloseKind::Abort),
            Ok(()) => slot.conn.poll_close().map(|reason| match reason {
                CloseReason::TimedOut(Timer::Write) => CloseKind::Abort,
                _ => CloseKind::Graceful,
            }),
        };
        let Some(how) = close else {
            match slot.input {
                Input::Pending => self.wake_at(now),
                Input::Starved => self.wake_at(now + STARVED_RETRY),
                Input::Waiting | Input::Paused | Input::Done => {}
            }
            self.arm(handle, now);
            return;
        };
        // Idempotent on a closed connection; gives back what a broken one still holds.
        self.close_slot(reactor, handle, how, CloseReason::PeerClosed, now);
    }

    /// Sets the connection's timer to its next deadline (or disarms it).
    fn arm(&mut self, handle: ObjectHandle, now: Instant) {
        let Ok(slot) = self.slots.get_mut(handle) else {
            return;
        };
        let deadline = slot.conn.poll_timeout();
        // An overdue deadline whose timer is still armed keeps that timer: it is due by the
        // next tick already, and moving it on every event would starve it (a connection with
        // an event on every turn, or a trickle faster than a tick, would never time out).
        if slot.timer.is_some() && deadline.is_some_and(|at| at <= now) {
            return;
        }
        // Otherwise never at or before `now`: an overdue deadline fires at the next tick, so
        // the expiry loop of one turn cannot spin on a connection that keeps a deadline in the
        // past.
        let deadline = deadline.map(|at| at.max(now + Duration::from_micros(1)));
        slot.timer = match (slot.timer, deadline) {
            (Some(id), Some(at)) => match self.timers.reschedule(id, at) {
                Ok(()) => Some(id),
                Err(_) => self.timers.insert(at, handle).ok(),
            },
            (None, Some(at)) => self.timers.insert(at, handle).ok(),
            (Some(id), None) => {
                let _ = self.timers.cancel(id);
                None
            }
            (None, None) => None,
        };
    }

    /// Asks for a turn without an event at `at` (or sooner).
    fn wake_at(&mut self, at: Instant) {
        self.wake = Some(self.wake.map_or(at, |w| w.min(at)));
    }

    /// Publishes the pool's buffers in use per size class and the arena's new fallbacks.
    fn publish(&mut self) {
        if let Some(arena) = &self.arena {
            let total = arena.stats().fallback_allocations;
            for _ in self.arena_fallbacks..total {
                self.metrics.arena_fallback();
            }
            self.arena_fallbacks = total;
        }
        for class in SizeClass::ALL {
            let in_use = self.pool.stats(class).in_use;
            let in_use = u32::try_from(in_use).unwrap_or(u32::MAX);
            self.metrics.set_buffers_in_use(class.index(), in_use);
        }
    }

    /// The live handle of slot `index`, if any.
    fn handle(&self, index: usize) -> Option<ObjectHandle> {
        self.slots.handle_at(index)
    }

    /// Runs `f` on the slot of `handle` with the worker's [`Env`]; `None` if the slot is gone.
    fn with_slot<T>(
        &mut self,
        handle: ObjectHandle,
        now: Instant,
        f: impl FnOnce(&mut Slot<S, H>, &mut Env<'_, '_, H>) -> T,
    ) -> Option<T> {
        self.with_env(now, |slots, env| {
            let slot = slots.get_mut(handle).ok()?;
            env.peer = slot.socket.peer();
            Some(f(slot, env))
        })
    }

    /// Runs `f` with the slots and the worker's [`Env`] at `now`.
    fn with_env<T>(
        &mut self,
        now: Instant,
        f: impl FnOnce(&mut Slots<'m, S, H>, &mut Env<'_, '_, H>) -> T,
    ) -> T {
        let mut meter = Meter {
            metrics: self.metrics,
            now,
        };
        let mut env = Env {
            pool: &mut self.pool,
            handler: &mut self.handler,
            date: current_date(&self.date),
            spans: &mut self.spans,
            observer: &mut meter,
            arena: self.arena.as_mut(),
            peer: None,
        };
        f(&mut self.slots, &mut env)
    }

    /// Closes `conn`, taken out of its slot, giving its buffers back and telling its
    /// producer or consumer.
    fn abort(&mut self, conn: &mut Connection<H>, reason: CloseReason, now: Instant) {
        self.with_env(now, |_, env| conn.abort(reason, env));
    }
}

impl<S, H: Handler> fmt::Debug for Slot<S, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot")
            .field("input", &self.input)
            .finish_non_exhaustive()
    }
}

impl<S: Socket, H: Handler, M: Recorder, const SLOTS: usize, const TRIM: bool> fmt::Debug
    for Server<'_, S, H, M, SLOTS, TRIM>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("connections", &self.slots.len())
            .field("limit", &self.limit)
            .field("admission", &self.admission)
            .field("timers", &self.timers.len())
            .finish_non_exhaustive()
    }
}

impl Limit {
    /// This worker's share of `config`'s limits, for `workers` workers and `slots` slots.
    fn new(config: &ServerConfig, workers: usize, slots: usize) -> Self {
        let total = usize::try_from(config.max_connections).unwrap_or(usize::MAX);
        let share = total.div_ceil(workers.max(1)).min(slots).max(1);
        let mut scaled = *config;
        scaled.max_connections = u32::try_from(share).unwrap_or(u32::MAX);
        let high = usize::try_from(scaled.high_water_mark()).unwrap_or(share);
        let high = high.clamp(1, share);
        let low = usize::try_from(scaled.low_water_mark()).unwrap_or(0);
        Self {
            high,
            low: low.min(high.saturating_sub(1)),
            max: share,
        }
    }
}

impl<M: Recorder> Observer for Meter<'_, M> {
    fn event(&mut self, event: ConnEvent) {
        match event {
            ConnEvent::Response { status, started } => {
                self.metrics.response(status);
                self.metrics
                    .request_duration(self.now.saturating_duration_since(started));
            }
            ConnEvent::Rejected { status, cause } => {
                self.metrics.response(status);
                if let Some(kind) = parse_error_kind(cause) {
                    self.metrics.parse_error(kind);
                }
            }
        }
    }
}

/// Reads and writes one connection as far as the socket lets it: a flush first (writable may
/// have freed space), reading if an event or an earlier stop asks for it, then a final flush.
fn drive<S: Socket, H: Handler>(
    slot: &mut Slot<S, H>,
    env: &mut Env<'_, '_, H>,
    readiness: Readiness,
    now: Instant,
) -> Result<(), Broken> {
    if readiness.readable && slot.input == Input::Waiting {
        slot.input = Input::Pending;
    }
    let flushed = flush(slot, env, now)?;
    if slot.input == Input::Paused && matches!(flushed, Flush::Drained { .. }) {
        slot.input = Input::Pending;
    }
    if matches!(slot.input, Input::Pending | Input::Starved) {
        // A short read ends reading only when an event vouched that nothing else (an end of
        // stream) waits behind the data: a read after a retry or a spurious wake-up, or after
        // an event that says the peer may have closed, goes on until the socket would block.
        let stop_short = readiness.readable && !readiness.closed;
        read(slot, env, stop_short, now)?;
    }
    let flushed = flush(slot, env, now)?;
    if slot.input == Input::Paused && matches!(flushed, Flush::Drained { .. }) {
        slot.input = Input::Pending;
    }
    Ok(())
}

/// Reads until the socket would block (or, with `stop_short`, returns fewer bytes than asked
/// for), the read budget runs out or the connection stops taking bytes, handing each read to
/// the connection.
fn read<S: Socket, H: Handler>(
    slot: &mut Slot<S, H>,
    env: &mut Env<'_, '_, H>,
    stop_short: bool,
    now: Instant,
) -> Result<(), Broken> {
    for _ in 0..READ_BUDGET {
        let buf = match slot.conn.read_buf(env.pool) {
            Ok(buf) => buf,
            Err(ReadError::Closed) => {
                slot.input = Input::Done;
                return Ok(());
            }
            Err(ReadError::Paused) => match flush(slot, env, now)? {
                Flush::Drained { wrote: true } => continue,
                // Nothing was queued, so nothing will unpause it: its deadline will.
                Flush::Drained { wrote: false } => {
                    slot.input = Input::Waiting;
                    return Ok(());
                }
                Flush::Blocked => {
                    slot.input = Input::Paused;
                    return Ok(());
                }
            },
            Err(ReadError::Pool(_)) => {
                slot.input = Input::Starved;
                return Ok(());
            }
        };
        let asked = buf.len();
        match slot.socket.read(buf) {
            Ok(0) => {
                slot.conn.handle_eof(now, env);
                slot.input = Input::Done;
                return Ok(());
            }
            Ok(n) => {
                slot.conn.handle_read(n, now, env);
                if stop_short && n < asked {
                    // The socket had no more: the backend reports the next bytes.
                    slot.input = Input::Waiting;
                    return Ok(());
                }
            }
            Err(SocketError::WouldBlock) => {
                // A buffer taken for this read goes back: an idle connection holds none.
                slot.conn.release_empty_buffer(env.pool);
                slot.input = Input::Waiting;
                return Ok(());
            }
            Err(SocketError::Io(kind)) => {
                debug!("read failed: {:?}", kind);
                return Err(Broken);
            }
        }
    }
    slot.input = Input::Pending;
    Ok(())
}

/// Writes what the connection has queued until it is drained or the socket would block.
fn flush<S: Socket, H: Handler>(
    slot: &mut Slot<S, H>,
    env: &mut Env<'_, '_, H>,
    now: Instant,
) -> Result<Flush, Broken> {
    let mut wrote = false;
    // Ends: every pass either returns or hands at least one queued byte to the socket, and a
    // connection queues output only for the finite input it holds.
    loop {
        let Some(out) = slot.conn.poll_transmit(env.pool) else {
            return Ok(Flush::Drained { wrote });
        };
        let len = out.len();
        match slot.socket.write(out) {
            // `Ok(0)` breaks the contract; taking it as "would block" keeps the loop finite.
            Ok(0) | Err(SocketError::WouldBlock) => return Ok(Flush::Blocked),
            Ok(n) => {
                slot.conn.handle_written(n.min(len), now, env);
                wrote = true;
            }
            Err(SocketError::Io(kind)) => {
                debug!("write failed: {:?}", kind);
                return Err(Broken);
            }
        }
    }
}

/// `n` in decimal in `buf`, returning the digits.
fn decimal(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1; // at most 10 digits for a u32, so `start` stays in 0..10
        buf[start] = b'0' + (n % 10) as u8; // `start` < 10 as above
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[start..] // `start` < 10 as above
}

/// [`PARSE_ERROR_LABELS`], built at compile time.
const fn parse_error_labels() -> [&'static str; PARSE_ERROR_KINDS] {
    let mut labels = [""; PARSE_ERROR_KINDS];
    let mut i = 0;
    while i < RequestError::ALL.len() {
        labels[i] = RequestError::ALL[i].as_str();
        i += 1;
    }
    let mut j = 0;
    while j < ChunkedError::ALL.len() {
        labels[i + j] = ChunkedError::ALL[j].as_str();
        j += 1;
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_snake_case() {
        for (i, a) in PARSE_ERROR_LABELS.iter().enumerate() {
            assert!(!a.is_empty());
            assert!(
                a.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            );
            for b in &PARSE_ERROR_LABELS[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn parse_error_kinds_index_labels() {
        for error in RequestError::ALL {
            let kind = parse_error_kind(RejectCause::Request(error)).unwrap();
            assert_eq!(PARSE_ERROR_LABELS[kind], error.as_str());
        }
        for error in ChunkedError::ALL {
            let kind = parse_error_kind(RejectCause::Chunked(error)).unwrap();
            assert_eq!(PARSE_ERROR_LABELS[kind], error.as_str());
        }
        assert_eq!(parse_error_kind(RejectCause::NoBuffer), None);
        assert_eq!(parse_error_kind(RejectCause::Handler), None);
    }

    #[test]
    fn decimal_digits() {
        let mut buf = [0u8; 10];
        assert_eq!(decimal(0, &mut buf), b"0");
        assert_eq!(decimal(7, &mut buf), b"7");
        assert_eq!(decimal(86_400, &mut buf), b"86400");
        assert_eq!(decimal(u32::MAX, &mut buf), b"4294967295");
    }

    #[test]
    fn limits_share_and_hysteresis() {
        /// (max_connections, high %, low %, workers, slots), then the expected (high, low).
        type Row = ((u32, u8, u8, usize, usize), (usize, usize));
        let rows: &[Row] = &[
            ((1024, 80, 60, 1, 2048), (820, 614)),
            ((1024, 80, 60, 4, 2048), (205, 153)),
            ((1024, 80, 60, 1, 16), (13, 9)),
            ((10, 100, 50, 3, 64), (4, 2)),
            ((1, 1, 0, 8, 4), (1, 0)),
            ((5, 100, 99, 0, 8), (5, 4)),
        ];
        for &((max, high, low, workers, slots), expected) in rows {
            let mut config = ServerConfig::DEFAULT;
            config.max_connections = max;
            config.high_water_percent = high;
            config.low_water_percent = low;
            let limit = Limit::new(&config, workers, slots);
            assert_eq!(
                (limit.high, limit.low),
                expected,
                "{max} {high} {low} {workers} {slots}"
            );
        }
    }
}
