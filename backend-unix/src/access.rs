//! The access log: one `log` record per answered request, target `aurora::access`, off unless
//! [`Options::access_log`](crate::Options::access_log) is set.
//!
//! This module owns [`AccessLog`], a [`Handler`] that wraps the application's and writes the
//! line after the application answered (the handler is called once per request, so each
//! request is logged once). It never changes a response. A large body handed to a consumer
//! is logged when it is handed over, with the status still unknown (`-`).
//!
//! ```text
//! worker 0 "GET /hello?x=1 HTTP/1.1" 200 body=0
//! ```

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
    fn record<B, C>(&self, req: &Request<'_>, body_len: usize, res: &Responder<'_, B, C>) {
        if !self.enabled {
            return;
        }
        if !res.is_answered() {
            return;
        }
        // A body handed to a consumer is answered later: its status is not known yet.
        let mut code = [b'-'; 3];
        if let Some(status) = res.status() {
            let n = status.code();
            code = [
                b'0' + (n / 100 % 10) as u8,
                b'0' + (n / 10 % 10) as u8,
                b'0' + (n % 10) as u8,
            ];
        }
        log::info!(
            target: "aurora::access",
            "worker {} \"{} {} {}\" {} body={}",
            self.worker,
            req.method().as_str(),
            req.target(),
            req.version().as_str(),
            core::str::from_utf8(&code).unwrap_or("-"),
            body_len,
        );
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
        self.record(req, body.bytes().len(), res);
    }
}
