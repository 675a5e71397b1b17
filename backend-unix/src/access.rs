//! The access log: one `log` record per answered request, target `aurora::access`, off unless
//! [`Options::access_log`](crate::Options::access_log) is set.
//!
//! This module owns [`AccessLog`], a [`Handler`] that wraps the application's and writes the
//! line after the application answered. It never changes a response and never logs a request
//! twice: a pipelined request handed over again (because its response did not fit yet) is
//! logged once, when it is answered.
//!
//! ```text
//! worker 0 "GET /hello?x=1 HTTP/1.1" 200 body=0
//! ```

use aurora_core::conn::{Handler, Responder};
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
    fn record(&self, req: &Request<'_>, body_len: usize, res: &Responder<'_>) {
        if !self.enabled {
            return;
        }
        let Some(status) = res.status() else {
            return;
        };
        log::info!(
            target: "aurora::access",
            "worker {} \"{} {} {}\" {} body={}",
            self.worker,
            req.method().as_str(),
            req.target(),
            req.version().as_str(),
            status.code(),
            body_len,
        );
    }
}

impl<H: Handler> Handler for AccessLog<H> {
    fn handle(&mut self, req: &Request<'_>, body: &[u8], res: &mut Responder<'_>) {
        self.inner.handle(req, body, res);
        self.record(req, body.len(), res);
    }

    fn handle_part(&mut self, req: &Request<'_>, part: &[u8], last: bool, res: &mut Responder<'_>) {
        let answered = res.status().is_some();
        self.inner.handle_part(req, part, last, res);
        if !answered && (last || res.status().is_some()) {
            self.record(req, part.len(), res);
        }
    }

    fn resume(&mut self, id: usize, res: &mut Responder<'_>) {
        self.inner.resume(id, res);
    }
}
