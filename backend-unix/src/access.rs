//! The access log: one `log` record per answered request, target `aurora::access`, off unless
//! [`Options::access_log`](crate::Options::access_log) is set.
//!
//! This module owns [`AccessLog`], a [`Handler`] that wraps the application's and writes the
//! line when the application has answered (the handler is called once per request, so each
//! request is logged once). It never changes a response and allocates nothing per line.
//!
//! One line, six fields separated by single spaces, the request line quoted (a target never
//! holds a space or a quote: the parser refuses both):
//!
//! ```text
//! PEER WORKER "METHOD TARGET VERSION" STATUS BYTES LATENCY_US
//! 127.0.0.1:40312 0 "GET /hello?x=1 HTTP/1.1" 200 98 41
//! ```
//!
//! - `PEER`: the client's address and port.
//! - `WORKER`: the worker that served it.
//! - `STATUS`: the response's status; `-` for a large body handed to a consumer, which answers
//!   later.
//! - `BYTES`: the response's length on the wire, head and body, when it is known at the answer:
//!   a complete response, or a body of known length (static bytes, a sized producer); `-` for
//!   a chunked or close-delimited body.
//! - `LATENCY_US`: microseconds from the request's first byte to the application's answer.
//!
//! A field that is not known is `-`.

use core::fmt;

use aurora_core::conn::{Handler, RequestBody, Responder};
use aurora_core::http::request::Request;

/// The application's handler, with an access log line after each answer.
#[derive(Debug)]
pub struct AccessLog<H> {
    inner: H,
    enabled: bool,
    worker: usize,
}

impl<H> AccessLog<H> {
    /// Wraps `inner`; logs only when `enabled`.
    pub fn new(inner: H, enabled: bool, worker: usize) -> Self {
        AccessLog {
            inner,
            enabled,
            worker,
        }
    }

    /// The application's handler.
    pub fn inner_mut(&mut self) -> &mut H {
        &mut self.inner
    }

    /// Writes the line for `req` if `res` holds an answer.
    fn record<B, C>(&self, req: &Request<'_>, res: &Responder<'_, B, C>) {
        if !self.enabled || !res.is_answered() {
            return;
        }
        log::info!(
            target: "aurora::access",
            "{} {} \"{} {} {}\" {} {} {}",
            OrDash(res.peer()),
            self.worker,
            req.method().as_str(),
            req.target(),
            req.version().as_str(),
            OrDash(res.status().map(|status| status.code())),
            OrDash(res.response_bytes()),
            res.elapsed().as_micros(),
        );
    }
}

/// A value, or `-` when there is none.
struct OrDash<T>(Option<T>);

impl<T: fmt::Display> fmt::Display for OrDash<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(value) => value.fmt(f),
            None => f.write_str("-"),
        }
    }
}

impl<H: Handler> Handler for AccessLog<H> {
    type State = H::State;
    type Body = H::Body;
    type Consumer = H::Consumer;

    fn state(&mut self) -> &mut H::State {
        self.inner.state()
    }

    fn handle(
        &mut self,
        req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, H::Body, H::Consumer>,
    ) {
        self.inner.handle(req, body, res);
        self.record(req, res);
    }
}
