//! The vocabulary a backend sees of one connection: where it stands ([`State`]), which
//! deadline expired ([`Timer`]), why it closed ([`CloseReason`]), why it wants no bytes
//! ([`ReadError`]) and what it reports for metrics ([`ConnEvent`] through an [`Observer`]).
//!
//! This module only names things; it holds no logic and never touches memory or time.

use core::fmt;

use crate::http::Status;
use crate::http::chunked::ChunkedError;
use crate::http::request::RequestError;
use crate::mem::buffer_pool::PoolError;
use crate::time::Instant;
use crate::ws::CloseCode;

/// Where a connection stands, as [`Connection::state`](super::Connection::state) reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum State {
    /// Accepted; no byte of the first request yet.
    New,
    /// Some bytes of a request head are buffered.
    ReadingHeaders,
    /// A head is complete; its body is being read or the request waits for the handler.
    Processing(Processing),
    /// Responses are queued for [`poll_transmit`](super::Connection::poll_transmit), or a
    /// streamed response is open (its handler is resumed as the queue drains).
    WritingResponse,
    /// Between requests with nothing buffered; the read buffer is back in the pool.
    KeepAlive,
    /// Upgraded to a WebSocket: the connection carries frames, no more requests.
    Upgraded,
    /// Done; drop the socket (after the backend's own graceful close).
    Closed,
}

/// What a connection in [`State::Processing`] is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Processing {
    /// The request carried `Expect: 100-continue` (its `100 Continue` is queued or sent) and
    /// none of its body has arrived yet.
    AwaitingContinue,
    /// Reading a body of known length.
    ContentLength,
    /// Reading and decoding a chunked body.
    Chunked,
    /// The request is complete and waits for earlier responses to drain before the handler
    /// sees it.
    Waiting,
}

/// The connection's deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Timer {
    /// From the first byte of a head (or from accept, for the first request) to its end.
    Header,
    /// Between two reads of body bytes.
    Body,
    /// Between two writes of queued bytes.
    Write,
    /// Idle between requests.
    Idle,
}

/// Why a connection closed; [`poll_close`](super::Connection::poll_close) reports it once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CloseReason {
    /// A response said `Connection: close` (by the request's wish, HTTP/1.0, or the request
    /// limit) and was written.
    Done,
    /// The peer closed at a request boundary.
    PeerClosed,
    /// The peer closed in the middle of a request.
    PeerClosedMidRequest,
    /// The request was refused with this status, which was sent if it fit.
    Rejected(Status),
    /// A deadline expired; a `408` went out first when a head or body was being read.
    TimedOut(Timer),
    /// The server is shutting down: the connection was idle, or its last response said
    /// `Connection: close` for that reason.
    Shutdown,
    /// A pulled response body ended short of the length its head announced: the peer sees
    /// the close before the body's end.
    Incomplete,
    /// The server closed it to make room for a new connection at its connection limit: it
    /// was idle between requests, or the slowest to send a head.
    Reclaimed,
    /// An upgraded connection's WebSocket closed with this status (sent, or echoed to the
    /// peer's close).
    WebSocket(CloseCode),
}

/// How cheaply a connection can be closed to make room for a new one at the connection
/// limit ([`Connection::reclaim`](super::Connection::reclaim)): an idle keep-alive connection
/// (the longest idle first) or one still reading a head (the slowest first), whichever has
/// gone longer without a request. A connection in any other phase is never reclaimed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Reclaim {
    /// Between requests since `since`, nothing buffered.
    Idle {
        /// When it became idle.
        since: Instant,
    },
    /// Reading a head (or accepted and not read yet): `buffered` bytes since `started`.
    Head {
        /// When its head began (or it was accepted).
        started: Instant,
        /// Bytes of the head received so far.
        buffered: usize,
    },
}

impl Reclaim {
    /// When its idleness or its head began (for a connection not read yet: its accept).
    pub const fn since(self) -> Instant {
        match self {
            Reclaim::Idle { since } => since,
            Reclaim::Head { started, .. } => started,
        }
    }

    /// Whether `self` is a better connection to close than `other` at `now`: the longer idle
    /// of two idle ones; of two head readers, the one that sent the fewest bytes per
    /// millisecond of its age (a connection just accepted is the last to go, a slowloris
    /// trickle the first); of an idle one and a head reader, the one whose idleness or head
    /// began first. That last rule keeps a busy keep-alive client, idle for a moment between
    /// two requests, from being closed for a head that has trickled in for seconds.
    pub fn before(self, other: Reclaim, now: Instant) -> bool {
        match (self, other) {
            (Reclaim::Idle { since: a }, Reclaim::Idle { since: b }) => a < b,
            (Reclaim::Idle { since }, Reclaim::Head { started, .. }) => since <= started,
            (Reclaim::Head { started, .. }, Reclaim::Idle { since }) => started < since,
            (
                Reclaim::Head {
                    started: a,
                    buffered: x,
                },
                Reclaim::Head {
                    started: b,
                    buffered: y,
                },
            ) => {
                // rate(a) < rate(b): (x + 1) / age(a) < (y + 1) / age(b), cross-multiplied.
                let age = |t: Instant| {
                    now.saturating_duration_since(t)
                        .as_millis()
                        .saturating_add(1)
                };
                let left = (x as u64).saturating_add(1).saturating_mul(age(b));
                let right = (y as u64).saturating_add(1).saturating_mul(age(a));
                left < right
            }
        }
    }
}

/// What a connection reports as it works, for metrics and access logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConnEvent {
    /// The handler's final response was queued.
    Response {
        /// Its status.
        status: Status,
        /// When the first byte of its request arrived.
        started: Instant,
    },
    /// A request was refused with `status` and the connection will close.
    Rejected {
        /// The status sent (if it fit the output space).
        status: Status,
        /// Why.
        cause: RejectCause,
    },
}

/// Why a request was refused ([`ConnEvent::Rejected`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RejectCause {
    /// The head broke a rule of the request parser.
    Request(RequestError),
    /// The chunked body broke a rule of the decoder.
    Chunked(ChunkedError),
    /// The head did not end within the largest read buffer.
    HeadTooLarge,
    /// The body does not fit the largest read buffer.
    BodyTooLarge,
    /// A header or body deadline expired.
    TimedOut(Timer),
    /// The pool had no buffer for the request or its response.
    NoBuffer,
    /// The handler sent no response (or one that could not be encoded).
    Handler,
}

/// Receives a connection's [`ConnEvent`]s as they happen. `()` ignores them.
pub trait Observer {
    /// Called once per event, in order.
    fn event(&mut self, event: ConnEvent);
}

impl Observer for () {
    fn event(&mut self, _event: ConnEvent) {}
}

/// Why [`Connection::read_buf`](super::Connection::read_buf) offers no space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReadError {
    /// The connection reads no more: it is closing or closed. Stop reading.
    Closed,
    /// A complete request waits for queued responses to drain: send them first
    /// ([`poll_transmit`](super::Connection::poll_transmit)), then read again.
    Paused,
    /// The pool had no buffer to read into or to grow into. Retry later or close.
    Pool(PoolError),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Done => f.write_str("response asked to close"),
            CloseReason::PeerClosed => f.write_str("peer closed"),
            CloseReason::PeerClosedMidRequest => f.write_str("peer closed mid-request"),
            CloseReason::Rejected(status) => {
                f.write_str("request rejected with ")?;
                fmt::Display::fmt(&status.code(), f)
            }
            CloseReason::TimedOut(timer) => {
                f.write_str(match timer {
                    Timer::Header => "header",
                    Timer::Body => "body",
                    Timer::Write => "write",
                    Timer::Idle => "keep-alive idle",
                })?;
                f.write_str(" timeout")
            }
            CloseReason::Shutdown => f.write_str("server shutting down"),
            CloseReason::Incomplete => f.write_str("response body ended short"),
            CloseReason::Reclaimed => f.write_str("closed to make room for another"),
            CloseReason::WebSocket(code) => {
                f.write_str("websocket closed with ")?;
                fmt::Display::fmt(code, f)
            }
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Closed => f.write_str("connection reads no more"),
            ReadError::Paused => f.write_str("reading paused until responses drain"),
            ReadError::Pool(error) => fmt::Display::fmt(error, f),
        }
    }
}

impl core::error::Error for ReadError {}
