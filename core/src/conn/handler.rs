//! The application's side of a connection: the [`Handler`] called once per request, the
//! [`Producer`] that fills a response body as output space frees, and the [`Consumer`] that
//! takes a request body too large to hand over whole.
//!
//! This module only names the contract; the connection drives it and
//! [`Responder`] carries the answers. Nothing here touches a buffer or a clock.

use crate::http::request::Request;
use crate::time::Instant;

use super::Responder;
use super::websocket::WebSocket;

/// The application: called exactly once per request with the parsed head, its body (whole, or
/// announced as [`RequestBody::Large`]) and a [`Responder`] for the answer.
///
/// Synchronous and allocation-free. The answer is a head and a body source: bytes copied now
/// ([`Responder::send`]), bytes in static memory ([`Responder::send_static`]) or a
/// [`Producer`] the connection pulls as output space frees ([`Responder::stream`]). The
/// connection grows its output queue, waits for it to drain or pulls the body; the handler is
/// never asked again. A handler that returns without answering gets a `500` with
/// `Connection: close` on its behalf.
///
/// # Large request bodies
///
/// A body that fits the largest read buffer reaches the handler whole. A larger one (within
/// [`Limits::max_body_bytes`](crate::http::Limits::max_body_bytes)) is announced as
/// [`RequestBody::Large`] before any of it is read: the handler hands back a [`Consumer`]
/// with [`Responder::consume`] to take it part by part, or answers at once (the connection
/// then closes after the answer without reading the body). Without either the request gets
/// `413` and the connection closes.
pub trait Handler {
    /// What the application's producers and consumers are lent on every call: its state
    /// (usually the handler itself, `Self`; a wrapper such as a logging layer forwards its
    /// inner handler's).
    type State;
    /// What this application's pulled response bodies are: one type, usually an enum of the
    /// application's producers. [`Never`] for an application that pulls none.
    type Body: Producer<Self::State>;
    /// What takes this application's large request bodies. [`Never`] for none.
    type Consumer: Consumer<Self::State, Self::Body>;

    /// The state lent to producers and consumers.
    fn state(&mut self) -> &mut Self::State;

    /// Answers `req`.
    fn handle(
        &mut self,
        req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, Self::Body, Self::Consumer>,
    );
}

impl<F> Handler for F
where
    F: FnMut(&Request<'_>, RequestBody<'_>, &mut Responder<'_>),
{
    type State = F;
    type Body = Never;
    type Consumer = Never;

    fn state(&mut self) -> &mut F {
        self
    }

    fn handle(&mut self, req: &Request<'_>, body: RequestBody<'_>, res: &mut Responder<'_>) {
        self(req, body, res);
    }
}

/// The body of the request a [`Handler`] is called for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestBody<'a> {
    /// The whole decoded body (empty when the request has none).
    Whole(&'a [u8]),
    /// A body too large for a read buffer, not read yet: take it with
    /// [`Responder::consume`]. `length` is its `Content-Length`, `None` when chunked.
    Large {
        /// The announced length, if any.
        length: Option<u64>,
    },
}

impl<'a> RequestBody<'a> {
    /// The whole body, or an empty slice for a [`Large`](Self::Large) one.
    pub const fn bytes(&self) -> &'a [u8] {
        match self {
            RequestBody::Whole(bytes) => bytes,
            RequestBody::Large { .. } => &[],
        }
    }

    /// Whether the body is [`Large`](Self::Large).
    pub const fn is_large(&self) -> bool {
        matches!(self, RequestBody::Large { .. })
    }
}

/// What [`Producer::poll_fill`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Fill {
    /// Wrote this many bytes at the start of `out`; `Filled(0)` is [`Pending`](Self::Pending).
    Filled(usize),
    /// The body is complete; nothing was written by this call.
    Done,
    /// Nothing to write now: call again when the backend wakes the connection
    /// ([`Connection::wake`](super::Connection::wake)). A producer left pending for the write
    /// timeout is cut ([`End::TimedOut`]).
    Pending,
    /// Nothing to write before this instant: call again then (an event stream's next event or
    /// keep-alive comment). The write timeout does not run meanwhile.
    Until(Instant),
}

/// How a response body or a request body's exchange ended, told once to its producer or
/// consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum End {
    /// Everything was produced (or consumed).
    Completed,
    /// The peer closed or reset the connection first.
    PeerGone,
    /// The peer stopped reading (the write timeout), or a pending producer was never woken.
    TimedOut,
    /// The server is shutting down.
    Shutdown,
    /// The connection closed for another reason: a framing error, a producer that ended
    /// short of its announced length, a backend abort.
    Failed,
}

/// A response body that the connection pulls: each time output space frees, `poll_fill`
/// writes the next bytes into it. The producer owns its state; the application's
/// [`Handler::State`] is lent to every call as `app`.
///
/// A known length ([`Responder::stream_sized`]) goes out with `Content-Length` (the connection
/// offers no more space than is left of it); an unknown one as chunks (HTTP/1.1) or until the
/// close (HTTP/1.0). For a `HEAD` request the producer is never polled.
pub trait Producer<H> {
    /// Whether [`websocket`](Self::websocket) can answer `Some`: set it with that method. While
    /// it is `false` (the default) the connection's WebSocket phase is compiled away, so an
    /// application that never upgrades pays nothing for it (an upgrade is then closed at once).
    const WEBSOCKET: bool = false;

    /// Writes the next bytes of the body into `out` (never empty).
    fn poll_fill(&mut self, app: &mut H, now: Instant, out: &mut [u8]) -> Fill;

    /// How the response ended, called once before the producer is dropped (for a `HEAD`
    /// request, at once with [`End::Completed`]). The default does nothing.
    fn end(&mut self, app: &mut H, how: End) {
        let _ = (app, how);
    }

    /// This body as a [`WebSocket`], for one handed to
    /// [`Responder::upgrade`](super::Responder::upgrade): the application's body enum
    /// answers with its socket variant. The default, `None`, is a body that cannot be a
    /// socket (an upgrade to it is closed with 1011). A body that overrides this sets
    /// [`WEBSOCKET`](Self::WEBSOCKET) too.
    fn websocket(&mut self) -> Option<&mut dyn WebSocket<H>> {
        None
    }
}

/// Takes a request body too large to be handed over whole ([`RequestBody::Large`]), part by
/// part as it arrives, and answers through `res` at any part: a complete response, a pulled
/// one (sent once the body has been read), or a pushed stream ([`Responder::start_stream`],
/// [`Responder::write`]) that echoes the body as it comes.
///
/// A part is never longer than one [`Responder::write`] can carry with room left for the end
/// of the stream (and, before any answer, for a head of up to
/// [`PART_HEAD_ROOM`](super::PART_HEAD_ROOM) bytes), so a pushed echo loses nothing. While the
/// output queue is full the connection reads no more of the body.
///
/// `S` is the application's [`Handler::State`], lent to every call as `app`; `B` its
/// [`Handler::Body`].
pub trait Consumer<S, B>: Sized {
    /// Takes `part`, the next piece of the body (`last` for the final one, which may be
    /// empty). Without an answer after the last part the connection answers `500`; a pushed
    /// stream still open then is finished by the connection.
    fn consume(&mut self, app: &mut S, part: &[u8], last: bool, res: &mut Responder<'_, B, Self>);

    /// How the exchange ended: [`End::Completed`] once the last part was taken (or the
    /// consumer's own answer closed the connection), otherwise why it was cut. Called once.
    fn end(&mut self, app: &mut S, how: End) {
        let _ = (app, how);
    }
}

/// The producer and consumer of an application that has none: it cannot be made, so a
/// [`Handler`] naming it can never stream or consume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Never {}

impl<H> Producer<H> for Never {
    fn poll_fill(&mut self, _app: &mut H, _now: Instant, _out: &mut [u8]) -> Fill {
        match *self {}
    }
}

impl<S, B> Consumer<S, B> for Never {
    fn consume(
        &mut self,
        _app: &mut S,
        _part: &[u8],
        _last: bool,
        _res: &mut Responder<'_, B, Self>,
    ) {
        match *self {}
    }
}
