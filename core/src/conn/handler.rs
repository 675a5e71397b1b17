//! The application's side of a connection: the [`Handler`] trait it implements and the
//! [`Responder`] it answers through.
//!
//! This module owns the hand-over of one complete request (head and whole body) to the
//! application and the writing of one complete response into the connection's output space
//! through the core encoder. It never reads from or writes to a socket, never allocates and
//! never lets a handler write a response the encoder would refuse: a rejected attempt leaves
//! the output untouched, so the handler may try again with something smaller.
//!
//! Streamed (chunked) responses are not offered yet: a handler answers with a body slice.

use core::fmt;

use crate::http::Status;
use crate::http::request::Request;
use crate::http::response::{self, EncodeContext, EncodeError, Encoded, Persistence, ResponseHead};

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
pub trait Handler {
    /// Answers `req`, whose body (empty when it has none) is `body`.
    fn handle(&mut self, req: &Request<'_>, body: &[u8], res: &mut Responder<'_>);
}

impl<F> Handler for F
where
    F: FnMut(&Request<'_>, &[u8], &mut Responder<'_>),
{
    fn handle(&mut self, req: &Request<'_>, body: &[u8], res: &mut Responder<'_>) {
        self(req, body, res);
    }
}

/// Writes one complete response into the connection's output space.
#[derive(Debug)]
pub struct Responder<'r> {
    out: &'r mut [u8],
    cx: EncodeContext<'r>,
    persistence: Persistence,
    first: bool,
    outcome: Outcome,
}

/// What became of the handler's attempts to respond.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing sent yet.
    Pending,
    /// The last attempt did not fit the output space.
    NoSpace,
    /// A response with this status was written.
    Sent(Encoded, Status),
}

/// Why [`Responder::send`] wrote nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RespondError {
    /// A response was already sent for this request.
    AlreadySent,
    /// The response is larger than the output space left ([`Responder::space`]).
    NoSpace,
    /// An interim (1xx) status: the connection sends `100 Continue` itself and offers no
    /// other interim response.
    Interim,
    /// The encoder refused the response (a bad or reserved header, a body with 204 or 304).
    Encode(EncodeError),
}

impl<'r> Responder<'r> {
    /// A responder writing into `out`.
    pub(crate) fn new(
        out: &'r mut [u8],
        cx: EncodeContext<'r>,
        persistence: Persistence,
        first: bool,
    ) -> Self {
        Self {
            out,
            cx,
            persistence,
            first,
            outcome: Outcome::Pending,
        }
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
        if matches!(self.outcome, Outcome::Sent(..)) {
            return Err(RespondError::AlreadySent);
        }
        if status.is_informational() {
            return Err(RespondError::Interim);
        }
        let head = ResponseHead {
            status,
            headers,
            persistence: self.persistence,
        };
        match response::encode_full(&head, body, &self.cx, self.out) {
            Ok(encoded) => {
                self.outcome = Outcome::Sent(encoded, status);
                Ok(())
            }
            Err(EncodeError::BufferTooSmall) => {
                self.outcome = Outcome::NoSpace;
                Err(RespondError::NoSpace)
            }
            Err(error) => Err(RespondError::Encode(error)),
        }
    }

    /// Bytes of output space left for the whole response, head included.
    pub fn space(&self) -> usize {
        self.out.len()
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

    /// Asks the connection to close after this response (call before [`send`](Self::send)).
    pub fn close(&mut self) {
        self.persistence = Persistence::Close;
    }

    /// What happened, for the connection.
    pub(crate) const fn outcome(&self) -> Outcome {
        self.outcome
    }
}

impl fmt::Display for RespondError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RespondError::AlreadySent => f.write_str("a response was already sent"),
            RespondError::NoSpace => f.write_str("response larger than the output space"),
            RespondError::Interim => f.write_str("interim responses are sent by the connection"),
            RespondError::Encode(error) => fmt::Display::fmt(error, f),
        }
    }
}

impl core::error::Error for RespondError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::Version;

    fn cx() -> EncodeContext<'static> {
        EncodeContext {
            version: Version::Http11,
            head_request: false,
            date: None,
            server: None,
        }
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
        assert!(matches!(res.outcome(), Outcome::Sent(e, _) if e.len > 0));
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
        assert!(
            matches!(res.outcome(), Outcome::Sent(e, _) if e.persistence == Persistence::Close)
        );
    }
}
