//! The application's side of a connection: the [`Handler`] trait it implements and the
//! [`Responder`] it answers through.
//!
//! This module owns the hand-over of a request to the application (head and whole body, or
//! head and body in parts when the body is larger than a read buffer) and the writing of its
//! response into the connection's output space through the core encoder: complete (status,
//! headers, body slice) or streamed (a head, then chunks as space allows, then the last chunk).
//! It never reads from or writes to a socket, never allocates and never lets a handler write a
//! response the encoder would refuse: a rejected attempt leaves the output untouched, so the
//! handler may try again with something smaller.

use core::fmt;

use crate::http::Status;
use crate::http::request::Request;
use crate::http::response::{
    self, BodyFraming, BodyKind, ChunkedEncoder, EncodeContext, EncodeError, Encoded, LAST_CHUNK,
    Persistence, ResponseHead,
};
use crate::mem::arena::Arena;

/// Output space a body part leaves free for the response head, when no response has begun
/// yet: a part is never longer than one [`Responder::write`] can carry after a head of at most
/// this many bytes, with room left for [`Responder::finish`].
pub const PART_HEAD_ROOM: usize = 512;

/// The application: called once per request with the parsed head, the whole decoded body and a
/// [`Responder`] for the answer.
///
/// Synchronous and allocation-free. A handler that returns without sending gets a `500` with
/// `Connection: close` on its behalf.
///
/// A request pipelined behind earlier responses is handed to the handler while those responses
/// are still queued. If its response does not fit the space that is left
/// ([`RespondError::NoSpace`] while [`Responder::is_first`] is `false`), the connection calls the
/// handler again with the same request once the queue has drained; a handler with side effects
/// should check [`Responder::space`] or [`Responder::is_first`] before acting.
///
/// # Streamed responses
///
/// A handler may answer with [`Responder::start_stream`], then [`Responder::write`] what fits
/// and return. While the stream is open the connection calls [`resume`](Self::resume) each time
/// its output queue has drained, until the handler calls [`Responder::finish`]. A stream that
/// makes no progress (nothing queued or written) for the configured write timeout is cut: the
/// connection closes with [`CloseReason::TimedOut`](super::CloseReason::TimedOut)`(Timer::Write)`.
///
/// # Large request bodies
///
/// A body that fits the largest read buffer reaches [`handle`](Self::handle) whole. A larger one
/// (within [`Limits::max_body_bytes`](crate::http::Limits::max_body_bytes)) reaches
/// [`handle_part`](Self::handle_part) piece by piece as it arrives; the default refuses it with
/// `413` and closes, as for a body over the limit.
pub trait Handler {
    /// Answers `req`, whose body (empty when it has none) is `body`.
    fn handle(&mut self, req: &Request<'_>, body: &[u8], res: &mut Responder<'_>);

    /// Continues the streamed response of the connection `id` (see
    /// [`Connection::set_id`](super::Connection::set_id)): called each time its output queue
    /// has drained while the stream is open. `res` accepts [`Responder::write`] and
    /// [`Responder::finish`] only. The default finishes the stream.
    fn resume(&mut self, id: usize, res: &mut Responder<'_>) {
        let _ = id;
        let _ = res.finish();
    }

    /// Takes the next piece `part` of `req`'s body, which is too large for a read buffer:
    /// called for every piece in order, each non-empty except possibly the last, `last` being
    /// `true` for the final one. `res` is the same response all along, so a handler may send a
    /// complete response at any part, or start a stream and write into it as the body arrives
    /// (a stream still open after the last part goes on through [`resume`](Self::resume)).
    ///
    /// A part is never longer than one [`Responder::write`] into an open stream can carry
    /// (with room left for [`Responder::finish`]; before the stream starts, a head of up to
    /// [`PART_HEAD_ROOM`] bytes is allowed for), so an echo loses nothing. While the output
    /// queue is full the connection stops reading the body.
    ///
    /// Without a response (complete or streamed) after the last part the connection answers
    /// `500` and closes. Once a complete response is queued, the rest of the body still comes
    /// here (a `send` then fails with [`RespondError::AlreadySent`]) unless it said
    /// `Connection: close`, in which case the connection closes without reading further.
    ///
    /// The default refuses the body with [`Responder::refuse_body`] (`413`, then close).
    fn handle_part(&mut self, req: &Request<'_>, part: &[u8], last: bool, res: &mut Responder<'_>) {
        let _ = (req, part, last);
        let _ = res.refuse_body();
    }
}

impl<F> Handler for F
where
    F: FnMut(&Request<'_>, &[u8], &mut Responder<'_>),
{
    fn handle(&mut self, req: &Request<'_>, body: &[u8], res: &mut Responder<'_>) {
        self(req, body, res);
    }
}

/// Writes the response to one request into the connection's output space: complete with
/// [`send`](Self::send), or streamed with [`start_stream`](Self::start_stream),
/// [`write`](Self::write) and [`finish`](Self::finish).
#[derive(Debug)]
pub struct Responder<'r> {
    out: &'r mut [u8],
    /// Bytes written at the start of `out` by this call.
    written: usize,
    cx: EncodeContext<'r>,
    persistence: Persistence,
    first: bool,
    id: usize,
    arena: Option<&'r Arena<'r>>,
    outcome: Outcome,
}

/// What became of the handler's attempts to respond. `Pending` and `NoSpace` imply that
/// nothing was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing sent yet.
    Pending,
    /// The last attempt did not fit the output space.
    NoSpace,
    /// The handler refused the body ([`Responder::refuse_body`]).
    Refused,
    /// A stream is open: its head and perhaps some chunks were written.
    Streaming(Stream),
    /// The response is complete (sent whole, or its stream finished).
    Complete {
        /// Its status.
        status: Status,
        /// Whether the connection stays open after it.
        persistence: Persistence,
    },
}

/// An open streamed response, kept by the connection between handler calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stream {
    /// Its status.
    pub(crate) status: Status,
    /// How its body is framed.
    pub(crate) body: StreamBody,
    /// Whether the connection stays open after it.
    pub(crate) persistence: Persistence,
}

/// How a streamed body goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamBody {
    /// `Transfer-Encoding: chunked` (HTTP/1.1).
    Chunked,
    /// Raw bytes; the connection closes to end it (HTTP/1.0).
    UntilClose,
}

/// Why [`Responder::send`] (or another `Responder` call) wrote nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RespondError {
    /// A response was already sent (or its stream started) for this request.
    AlreadySent,
    /// The response is larger than the output space left ([`Responder::space`]).
    NoSpace,
    /// An interim (1xx) status: the connection sends `100 Continue` itself and offers no
    /// other interim response.
    Interim,
    /// The encoder refused the response (a bad or reserved header, a body with 204 or 304).
    Encode(EncodeError),
    /// [`write`](Responder::write) or [`finish`](Responder::finish) without an open stream.
    NoStream,
}

impl<'r> Responder<'r> {
    /// A responder for a request nothing was answered for yet, writing into `out`.
    pub(crate) fn new(
        out: &'r mut [u8],
        cx: EncodeContext<'r>,
        persistence: Persistence,
        first: bool,
    ) -> Self {
        Self {
            out,
            written: 0,
            cx,
            persistence,
            first,
            id: 0,
            arena: None,
            outcome: Outcome::Pending,
        }
    }

    /// A responder that goes on from `outcome` (an open stream, a complete response or
    /// nothing yet), for a later call about the same request.
    pub(crate) fn resumed(
        out: &'r mut [u8],
        cx: EncodeContext<'r>,
        persistence: Persistence,
        outcome: Outcome,
        first: bool,
    ) -> Self {
        let mut res = Self::new(out, cx, persistence, first);
        res.outcome = match outcome {
            Outcome::NoSpace => Outcome::Pending,
            other => other,
        };
        res
    }

    /// Sets the connection's identifier.
    pub(crate) fn with_id(mut self, id: usize) -> Self {
        self.id = id;
        self
    }

    /// Offers the worker's arena to the handler for this call.
    pub(crate) fn with_arena(mut self, arena: Option<&'r Arena<'r>>) -> Self {
        self.arena = arena;
        self
    }

    /// Scratch memory for this handler call, if the server has an arena: values and byte
    /// slices allocated here live until the call returns, when the connection resets the
    /// arena (so nothing of one request survives into the next, and nothing is freed one by
    /// one). `None` when the backend gave the connection no arena.
    pub fn arena(&self) -> Option<&'r Arena<'r>> {
        self.arena
    }

    /// Writes a complete response: status line, `Date`, `Server`, `headers`, `Content-Length`
    /// and `body` (left out for a `HEAD` request). The connection adds `Connection: close` when
    /// it will close afterwards.
    ///
    /// # Errors
    ///
    /// [`RespondError`]; nothing was written and the handler may try again.
    pub fn send(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
        body: &[u8],
    ) -> Result<(), RespondError> {
        let encoded = self.encode(status, headers, |head, cx, out| {
            response::encode_full(head, body, cx, out)
        })?;
        self.outcome = Outcome::Complete {
            status,
            persistence: encoded.persistence,
        };
        Ok(())
    }

    /// Starts a streamed response: writes its head with `Transfer-Encoding: chunked` (an
    /// HTTP/1.1 request), or with no length and `Connection: close` (HTTP/1.0: the close ends
    /// the body). For a `HEAD` request the head is the whole response: the stream is finished
    /// at once, and [`write`](Self::write) and [`finish`](Self::finish) accept and drop what
    /// they get.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send) (a 204 or 304 status is
    /// [`BodyForbidden`](EncodeError::BodyForbidden)); nothing was written.
    pub fn start_stream(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
    ) -> Result<(), RespondError> {
        let encoded = self.encode(status, headers, |head, cx, out| {
            response::encode_head(head, BodyKind::Streamed, cx, out)
        })?;
        let persistence = encoded.persistence;
        let body = match encoded.body {
            BodyFraming::Chunked => StreamBody::Chunked,
            BodyFraming::UntilClose => StreamBody::UntilClose,
            BodyFraming::None | BodyFraming::Length(_) => {
                self.outcome = Outcome::Complete {
                    status,
                    persistence,
                };
                return Ok(());
            }
        };
        self.outcome = Outcome::Streaming(Stream {
            status,
            body,
            persistence,
        });
        Ok(())
    }

    /// Appends as much of `bytes` to the open stream as the output space takes (one chunk)
    /// and returns how much that was: `0` when the space is full (the connection calls
    /// [`Handler::resume`] once it has drained) or `bytes` is empty.
    ///
    /// # Errors
    ///
    /// [`RespondError::NoStream`] when no stream is open (none started, or finished).
    pub fn write(&mut self, bytes: &[u8]) -> Result<usize, RespondError> {
        let stream = match self.outcome {
            Outcome::Streaming(stream) => stream,
            Outcome::Complete { .. } if self.cx.head_request => return Ok(bytes.len()),
            _ => return Err(RespondError::NoStream),
        };
        let out = self.out.get_mut(self.written..).unwrap_or_default();
        let (taken, len) = match stream.body {
            StreamBody::Chunked => {
                let n = bytes.len().min(response::max_chunk_data(out.len()));
                let data = bytes.get(..n).unwrap_or_default();
                match ChunkedEncoder::new().encode_chunk(data, out) {
                    Ok(len) => (n, len),
                    Err(_) => (0, 0),
                }
            }
            StreamBody::UntilClose => {
                let n = bytes.len().min(out.len());
                match (out.get_mut(..n), bytes.get(..n)) {
                    (Some(dst), Some(src)) => {
                        dst.copy_from_slice(src);
                        (n, n)
                    }
                    _ => (0, 0),
                }
            }
        };
        self.written = self.written.saturating_add(len);
        Ok(taken)
    }

    /// Ends the open stream: writes the last chunk (or nothing, for a body that the close
    /// ends). The connection then goes on with the next request, or closes.
    ///
    /// # Errors
    ///
    /// [`RespondError::NoStream`] when no stream is open; [`RespondError::NoSpace`] when the
    /// last chunk does not fit (try again in [`Handler::resume`]).
    pub fn finish(&mut self) -> Result<(), RespondError> {
        let stream = match self.outcome {
            Outcome::Streaming(stream) => stream,
            Outcome::Complete { .. } if self.cx.head_request => return Ok(()),
            _ => return Err(RespondError::NoStream),
        };
        if stream.body == StreamBody::Chunked {
            let out = self.out.get_mut(self.written..).unwrap_or_default();
            let dst = out
                .get_mut(..LAST_CHUNK.len())
                .ok_or(RespondError::NoSpace)?;
            dst.copy_from_slice(LAST_CHUNK);
            self.written = self.written.saturating_add(LAST_CHUNK.len());
        }
        self.outcome = Outcome::Complete {
            status: stream.status,
            persistence: stream.persistence,
        };
        Ok(())
    }

    /// Refuses the request's body as too large for this handler: the connection answers `413`
    /// with `Connection: close`, reports it as a refusal and closes without reading further,
    /// exactly as for a body over the configured limit. What the default
    /// [`Handler::handle_part`] does.
    ///
    /// # Errors
    ///
    /// [`RespondError::AlreadySent`] when a response was sent or started.
    pub fn refuse_body(&mut self) -> Result<(), RespondError> {
        if matches!(
            self.outcome,
            Outcome::Streaming(_) | Outcome::Complete { .. }
        ) {
            return Err(RespondError::AlreadySent);
        }
        self.outcome = Outcome::Refused;
        Ok(())
    }

    /// Bytes of output space left for the response (or for the stream's next chunk, with its
    /// framing).
    pub fn space(&self) -> usize {
        self.out.len().saturating_sub(self.written)
    }

    /// Whether no earlier response is still queued, so [`space`](Self::space) is all the output
    /// space there is and this request will not be handed over again.
    pub const fn is_first(&self) -> bool {
        self.first
    }

    /// Whether the connection closes after this response.
    pub const fn closes(&self) -> bool {
        matches!(self.persistence, Persistence::Close)
    }

    /// Asks the connection to close after this response: call before [`send`](Self::send) or
    /// [`start_stream`](Self::start_stream) to have it say `Connection: close`; during a stream
    /// the connection closes once the stream is finished.
    pub fn close(&mut self) {
        self.persistence = Persistence::Close;
        if let Outcome::Streaming(stream) = &mut self.outcome {
            stream.persistence = Persistence::Close;
        }
    }

    /// The status of what was written so far (a complete response, an open stream, or the
    /// 413 of [`refuse_body`](Self::refuse_body)), or `None` while nothing is written.
    pub const fn status(&self) -> Option<Status> {
        match self.outcome {
            Outcome::Streaming(stream) => Some(stream.status),
            Outcome::Complete { status, .. } => Some(status),
            Outcome::Refused => Some(Status::PAYLOAD_TOO_LARGE),
            Outcome::Pending | Outcome::NoSpace => None,
        }
    }

    /// Whether a streamed response is open: [`write`](Self::write) and
    /// [`finish`](Self::finish) apply.
    pub const fn is_streaming(&self) -> bool {
        matches!(self.outcome, Outcome::Streaming(_))
    }

    /// Whether the response is complete: sent whole, or its stream finished.
    pub const fn is_complete(&self) -> bool {
        matches!(self.outcome, Outcome::Complete { .. })
    }

    /// The identifier the backend gave the connection
    /// ([`Connection::set_id`](super::Connection::set_id)), as [`Handler::resume`] gets it.
    pub const fn id(&self) -> usize {
        self.id
    }

    /// What happened, for the connection.
    pub(crate) const fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// Bytes written at the start of the output space by this call.
    pub(crate) const fn written(&self) -> usize {
        self.written
    }

    /// The head of a final response to a request not answered yet: refuses a second response
    /// or an interim one.
    fn unanswered_head<'h>(
        &self,
        status: Status,
        headers: &'h [(&'h str, &'h [u8])],
    ) -> Result<ResponseHead<'h>, RespondError> {
        if matches!(
            self.outcome,
            Outcome::Streaming(_) | Outcome::Complete { .. } | Outcome::Refused
        ) {
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

    /// Encodes a final response head (and whatever `encode` adds) into the free space with
    /// `encode`, after checking that none was sent; counts what it wrote. A response that does
    /// not fit is recorded as [`Outcome::NoSpace`].
    fn encode(
        &mut self,
        status: Status,
        headers: &[(&str, &[u8])],
        encode: impl FnOnce(
            &ResponseHead<'_>,
            &EncodeContext<'_>,
            &mut [u8],
        ) -> Result<Encoded, EncodeError>,
    ) -> Result<Encoded, RespondError> {
        let head = self.unanswered_head(status, headers)?;
        let out = self.out.get_mut(self.written..).unwrap_or_default();
        match encode(&head, &self.cx, out) {
            Ok(encoded) => {
                self.written = self.written.saturating_add(encoded.len);
                Ok(encoded)
            }
            Err(EncodeError::BufferTooSmall) => {
                self.outcome = Outcome::NoSpace;
                Err(RespondError::NoSpace)
            }
            Err(error) => Err(RespondError::Encode(error)),
        }
    }
}

impl fmt::Display for RespondError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RespondError::AlreadySent => f.write_str("a response was already sent"),
            RespondError::NoSpace => f.write_str("response larger than the output space"),
            RespondError::Interim => f.write_str("interim responses are sent by the connection"),
            RespondError::Encode(error) => fmt::Display::fmt(error, f),
            RespondError::NoStream => f.write_str("no streamed response is open"),
        }
    }
}

impl core::error::Error for RespondError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::Version;

    fn cx() -> EncodeContext<'static> {
        cx_for(Version::Http11, false)
    }

    #[test]
    fn send_once_then_already_sent() {
        let mut out = [0u8; 128];
        let mut res = Responder::new(&mut out, cx(), Persistence::KeepAlive, true);
        assert_eq!(res.send(Status::OK, &[], b"a"), Ok(()));
        assert_eq!(
            res.send(Status::OK, &[], b"b"),
            Err(RespondError::AlreadySent)
        );
        assert!(matches!(res.outcome(), Outcome::Complete { .. }) && res.written() > 0);
    }

    #[test]
    fn refusals_write_nothing_and_allow_a_retry() {
        let mut out = [0u8; 64];
        let mut res = Responder::new(&mut out, cx(), Persistence::KeepAlive, true);
        assert_eq!(
            res.send(Status::CONTINUE, &[], b""),
            Err(RespondError::Interim)
        );
        assert_eq!(
            res.send(Status::OK, &[("Content-Length", b"1")], b""),
            Err(RespondError::Encode(EncodeError::ReservedHeader))
        );
        assert_eq!(res.outcome(), Outcome::Pending);
        assert_eq!(
            res.send(Status::OK, &[], &[b'x'; 64]),
            Err(RespondError::NoSpace)
        );
        assert_eq!(res.outcome(), Outcome::NoSpace);
        assert_eq!(res.send(Status::NO_CONTENT, &[], b""), Ok(()));
    }

    #[test]
    fn close_marks_the_response() {
        let mut out = [0u8; 128];
        let mut res = Responder::new(&mut out, cx(), Persistence::KeepAlive, false);
        assert!(!res.closes() && !res.is_first());
        res.close();
        assert!(res.closes());
        assert_eq!(res.space(), 128);
        res.send(Status::OK, &[], b"").unwrap();
        assert!(matches!(
            res.outcome(),
            Outcome::Complete {
                persistence: Persistence::Close,
                ..
            }
        ));
    }
    fn cx_for(version: Version, head_request: bool) -> EncodeContext<'static> {
        EncodeContext {
            version,
            head_request,
            date: None,
            server: None,
        }
    }

    #[test]
    fn a_stream_writes_chunks_then_the_last_chunk() {
        let mut out = [0u8; 128];
        let mut res = Responder::new(&mut out, cx(), Persistence::KeepAlive, true);
        assert_eq!(res.write(b"a"), Err(RespondError::NoStream));
        assert_eq!(res.finish(), Err(RespondError::NoStream));
        res.start_stream(Status::OK, &[]).unwrap();
        assert!(res.is_streaming() && !res.is_complete());
        assert_eq!(
            res.start_stream(Status::OK, &[]),
            Err(RespondError::AlreadySent)
        );
        assert_eq!(
            res.send(Status::OK, &[], b""),
            Err(RespondError::AlreadySent)
        );
        assert_eq!(res.refuse_body(), Err(RespondError::AlreadySent));
        assert_eq!(res.write(b""), Ok(0));
        assert_eq!(res.write(b"hello"), Ok(5));
        res.finish().unwrap();
        assert!(res.is_complete());
        assert_eq!(res.write(b"x"), Err(RespondError::NoStream));
        let written = res.written();
        let text = &out[..written];
        assert!(text.starts_with(b"HTTP/1.1 200 OK\r\n"));
        assert!(text.ends_with(b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
    }

    #[test]
    fn a_full_stream_takes_what_fits_and_then_nothing() {
        let mut out = [0u8; 64];
        let mut res = Responder::new(&mut out, cx(), Persistence::KeepAlive, true);
        res.start_stream(Status::OK, &[]).unwrap();
        let head = res.written();
        let room = res.space();
        let taken = res.write(&[b'x'; 100]).unwrap();
        assert_eq!(taken, response::max_chunk_data(room));
        assert_eq!(res.written(), 64, "the chunk filled the space");
        assert_eq!(res.write(b"more"), Ok(0));
        assert_eq!(res.finish(), Err(RespondError::NoSpace));
        assert!(res.is_streaming(), "still open: finish again later");
        assert!(head > 0);
    }

    #[test]
    fn a_stream_for_http10_is_raw_and_closes() {
        let mut out = [0u8; 128];
        let cx = cx_for(Version::Http10, false);
        let mut res = Responder::new(&mut out, cx, Persistence::KeepAlive, true);
        res.start_stream(Status::OK, &[]).unwrap();
        assert_eq!(res.write(b"raw"), Ok(3));
        res.finish().unwrap();
        assert_eq!(
            res.outcome(),
            Outcome::Complete {
                status: Status::OK,
                persistence: Persistence::Close
            }
        );
        let written = res.written();
        assert!(out[..written].ends_with(b"Connection: close\r\n\r\nraw"));
    }

    #[test]
    fn a_stream_for_head_ends_with_its_head() {
        let mut out = [0u8; 128];
        let mut res = Responder::new(
            &mut out,
            cx_for(Version::Http11, true),
            Persistence::KeepAlive,
            true,
        );
        res.start_stream(Status::OK, &[]).unwrap();
        assert!(res.is_complete());
        assert_eq!(res.write(b"dropped"), Ok(7));
        assert_eq!(res.finish(), Ok(()));
        let written = res.written();
        assert!(out[..written].ends_with(b"\r\n\r\n"));
    }

    #[test]
    fn stream_refusals_write_nothing() {
        let mut out = [0u8; 128];
        let mut res = Responder::new(&mut out, cx(), Persistence::KeepAlive, true);
        assert_eq!(
            res.start_stream(Status::NO_CONTENT, &[]),
            Err(RespondError::Encode(EncodeError::BodyForbidden))
        );
        assert_eq!(
            res.start_stream(Status::CONTINUE, &[]),
            Err(RespondError::Interim)
        );
        assert_eq!(res.written(), 0);
        let mut small = [0u8; 8];
        let mut res = Responder::new(&mut small, cx(), Persistence::KeepAlive, true);
        assert_eq!(
            res.start_stream(Status::OK, &[]),
            Err(RespondError::NoSpace)
        );
        assert_eq!(res.outcome(), Outcome::NoSpace);
        assert_eq!(res.refuse_body(), Ok(()));
        assert_eq!(
            res.send(Status::OK, &[], b""),
            Err(RespondError::AlreadySent)
        );
    }

    #[test]
    fn close_during_a_stream_closes_after_it() {
        let mut out = [0u8; 128];
        let mut res = Responder::new(&mut out, cx(), Persistence::KeepAlive, true).with_id(3);
        assert_eq!(res.id(), 3);
        res.start_stream(Status::OK, &[]).unwrap();
        res.close();
        res.finish().unwrap();
        assert!(matches!(
            res.outcome(),
            Outcome::Complete {
                persistence: Persistence::Close,
                ..
            }
        ));
    }
}
