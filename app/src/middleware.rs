//! Layers around a [`Handler`], composed without allocation: [`Layered`] wraps a handler in
//! one [`Layer`], and layers nest (`Layered<Log, Layered<Bearer, App>>`). A layer looks at the
//! request before the handler and may answer in its place; it sees the answer afterwards.
//! Three layers come with it: [`Bearer`] (a token check, `401` with `WWW-Authenticate`),
//! [`Cors`] (preflight answered) and [`AccessLog`] (a line per request with its latency).
//!
//! This module owns request-independent policy; it never routes, never reads a clock (the
//! latency is the connection's [`Responder::elapsed`]) and never allocates.
//!
//! # Limits
//!
//! A layer cannot add headers to an answer the handler sends (the contract has no hook for
//! it), so [`Cors`] answers preflights and hands the application the header to add to its
//! own answers ([`Cors::allow_origin`]).

use aurora_core::conn::{Handler, RequestBody, Responder};
use aurora_core::http::Status;
use aurora_core::http::method::Method;
use aurora_core::http::request::Request;
use aurora_core::time::Duration;

/// What a layer decided before the handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Call the handler (and the layers inside).
    Continue,
    /// The layer answered: the handler is not called.
    Answered,
}

/// Policy around a handler.
pub trait Layer {
    /// Looks at `req` before the handler; may answer through `res`.
    fn before<B, C>(&mut self, req: &Request<'_>, res: &mut Responder<'_, B, C>) -> Flow;

    /// Sees the answer after the handler (or after this layer's own). The default does
    /// nothing.
    fn after<B, C>(&mut self, req: &Request<'_>, res: &mut Responder<'_, B, C>) {
        let _ = (req, res);
    }
}

/// `handler` wrapped in `layer`.
#[derive(Clone, Copy, Debug)]
pub struct Layered<L, H> {
    /// The layer.
    pub layer: L,
    /// The handler inside it.
    pub handler: H,
}

/// Lets through requests with `Authorization: Bearer <token>` on paths under `prefix`;
/// others get `401` with `WWW-Authenticate: Bearer realm="<realm>"`.
#[derive(Clone, Copy, Debug)]
pub struct Bearer {
    /// The token expected.
    pub token: &'static [u8],
    /// The realm named in `WWW-Authenticate` (`Bearer realm="..."`, written in full).
    pub challenge: &'static [u8],
    /// The paths checked: those that start with it.
    pub prefix: &'static str,
}

/// Answers CORS preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
/// from a fixed policy.
#[derive(Clone, Copy, Debug)]
pub struct Cors {
    /// `Access-Control-Allow-Origin`: an origin, or `*`.
    pub origin: &'static [u8],
    /// `Access-Control-Allow-Methods`.
    pub methods: &'static [u8],
    /// `Access-Control-Allow-Headers`.
    pub headers: &'static [u8],
    /// `Access-Control-Max-Age`, in seconds as text.
    pub max_age: &'static [u8],
}

/// One request as the access log sees it.
#[derive(Clone, Copy, Debug)]
pub struct Access<'a> {
    /// The method.
    pub method: Method<'a>,
    /// The path.
    pub path: &'a str,
    /// The status answered, `None` when nothing was (the connection answers `500`).
    pub status: Option<Status>,
    /// From the request's first byte to the answer.
    pub latency: Duration,
}

/// Calls `sink` with an [`Access`] after every request.
#[derive(Clone, Copy, Debug)]
pub struct AccessLog<F>(pub F);

impl<L, H> Layered<L, H> {
    /// `handler` inside `layer`.
    pub const fn new(layer: L, handler: H) -> Self {
        Self { layer, handler }
    }
}

impl<L: Layer, H: Handler> Handler for Layered<L, H> {
    type State = H::State;
    type Body = H::Body;
    type Consumer = H::Consumer;

    fn state(&mut self) -> &mut H::State {
        self.handler.state()
    }

    fn handle(
        &mut self,
        req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, H::Body, H::Consumer>,
    ) {
        if self.layer.before(req, res) == Flow::Continue {
            self.handler.handle(req, body, res);
        }
        self.layer.after(req, res);
    }
}

impl Layer for Bearer {
    fn before<B, C>(&mut self, req: &Request<'_>, res: &mut Responder<'_, B, C>) -> Flow {
        if !req.path().starts_with(self.prefix) {
            return Flow::Continue;
        }
        let given = req.header("authorization").and_then(|v| {
            v.get(..7)
                .filter(|s| s.eq_ignore_ascii_case(b"bearer "))
                .map(|_| &v[7..])
        });
        if given.is_some_and(|t| same(t.trim_ascii(), self.token)) {
            return Flow::Continue;
        }
        let headers: &[(&str, &[u8])] = &[("WWW-Authenticate", self.challenge)];
        let _ = res.send(Status::UNAUTHORIZED, headers, b"");
        Flow::Answered
    }
}

/// `a == b` in a time that depends on their lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Cors {
    /// The header to add to the application's own answers.
    pub const fn allow_origin(&self) -> (&'static str, &'static [u8]) {
        ("Access-Control-Allow-Origin", self.origin)
    }
}

impl Layer for Cors {
    fn before<B, C>(&mut self, req: &Request<'_>, res: &mut Responder<'_, B, C>) -> Flow {
        let preflight = req.method() == Method::Options
            && req.header("origin").is_some()
            && req.header("access-control-request-method").is_some();
        if !preflight {
            return Flow::Continue;
        }
        let headers: &[(&str, &[u8])] = &[
            self.allow_origin(),
            ("Access-Control-Allow-Methods", self.methods),
            ("Access-Control-Allow-Headers", self.headers),
            ("Access-Control-Max-Age", self.max_age),
            ("Vary", b"Origin"),
        ];
        let _ = res.send(Status::NO_CONTENT, headers, b"");
        Flow::Answered
    }
}

impl<F: FnMut(&Access<'_>)> Layer for AccessLog<F> {
    fn before<B, C>(&mut self, _req: &Request<'_>, _res: &mut Responder<'_, B, C>) -> Flow {
        Flow::Continue
    }

    fn after<B, C>(&mut self, req: &Request<'_>, res: &mut Responder<'_, B, C>) {
        (self.0)(&Access {
            method: req.method(),
            path: req.path(),
            status: res.status(),
            latency: res.elapsed(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_tokens() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(same(b"", b""));
    }
}
