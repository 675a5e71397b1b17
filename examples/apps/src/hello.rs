//! The demo application every backend serves: a greeting, an echo, `OPTIONS`, and the
//! server's own metrics, routed by [`aurora_app::router`].
//!
//! | request | answer |
//! |---|---|
//! | `GET` or `HEAD` `/metrics` (any query) | `200`, the metrics in the Prometheus text format, streamed |
//! | `GET` or `HEAD`, any other target | `200`, `text/plain` `Hello, World!` |
//! | `POST` or `PUT` | `200`, `application/octet-stream`, the request body byte for byte (a body larger than a read buffer comes back chunked, echoed part by part as it arrives) |
//! | `OPTIONS` (also `OPTIONS *`) | `204` with [`ALLOW`] |
//! | `DELETE`, `CONNECT`, `TRACE`, `PATCH` | `405` with [`ALLOW`] |
//! | any other method (methods are case-sensitive: `get` is one) | `501` |
//!
//! The table is four routes (`GET /metrics`, then `GET`, `POST` and `PUT` on every path); the
//! router serves `HEAD` from `GET` and builds the `Allow` of `OPTIONS` and `405` from them.
//!
//! A large body sent to any route but the echo is refused with `413`.
//!
//! The metrics go out through a [`Producer`] ([`MetricsBody`]): chunked for HTTP/1.1, until
//! the close for HTTP/1.0, the head alone for `HEAD`. Each time the connection's output
//! space frees, the caller's closure renders the metrics again straight into it, leaving out
//! the lines already sent and keeping the whole lines that fit. The producer's cursor is its
//! own state: nothing is kept per connection in the application, and a cut stream simply
//! drops its cursor. A value that changes between two pieces is sent as it is when its line
//! goes out, so every line is whole and the text stays valid.
//!
//! It never allocates, never reads a clock and never panics.
//!
//! # Examples
//!
//! ```
//! use aurora_apps::hello::Hello;
//! use aurora_core::conn::Handler;
//! use aurora_core::metrics::Renderer;
//!
//! fn assert_handler<H: Handler>(_: &H) {}
//! let hello = Hello::new(|r: &mut Renderer<'_>| r.gauge("up", "", &[], 1));
//! assert_handler(&hello);
//! ```

use core::fmt;

use aurora_core::conn::{Consumer, Fill, Handler, Producer, RequestBody, Responder};
use aurora_core::http::Status;
use aurora_core::http::method::Method;
use aurora_core::http::request::Request;
use aurora_core::http::response::CheckedFields;
use aurora_core::metrics::{RenderError, Renderer};
use aurora_core::time::Instant;

use aurora_app::router::{Resolved, Route, Router};

/// The `Allow` value of `204` (for `OPTIONS`) and `405` answers: the methods the demo serves.
pub const ALLOW: &[u8] = b"GET, HEAD, POST, PUT, OPTIONS";

/// The body of a `GET` that is not `/metrics`.
pub const GREETING: &[u8] = b"Hello, World!";

/// The `Content-Type` of the greeting.
pub const GREETING_TYPE: &[u8] = b"text/plain; charset=utf-8";

/// The `Content-Type` of `/metrics` (Prometheus text format 0.0.4).
pub const METRICS_TYPE: &[u8] = b"text/plain; version=0.0.4; charset=utf-8";

/// The `Content-Type` of an echoed body.
pub const ECHO_TYPE: &[u8] = b"application/octet-stream";

/// The path that serves the metrics.
pub const METRICS_PATH: &str = "/metrics";

/// The greeting's and the echo's header fields, checked once here (a bad one fails the build)
/// rather than in every response.
const GREETING_FIELDS: CheckedFields<'static> = checked(&[("Content-Type", GREETING_TYPE)]);
const ECHO_FIELDS: CheckedFields<'static> = checked(&[("Content-Type", ECHO_TYPE)]);

/// `fields`, checked while the build evaluates the constants above.
const fn checked(fields: &'static [(&'static str, &'static [u8])]) -> CheckedFields<'static> {
    match CheckedFields::new(fields) {
        Ok(fields) => fields,
        Err(_) => panic!("an invalid header field"),
    }
}

/// The demo application. `M` renders the metrics into the [`Renderer`] it is given: called
/// once per piece of a scrape, it must render the same lines in the same order each time
/// (values may change).
pub struct Hello<M> {
    metrics: M,
}

/// What a routed request is answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum To {
    /// `200` with [`GREETING`].
    Greeting,
    /// `200` with the rendered metrics.
    Metrics,
    /// `200` with the request body.
    Echo,
}

/// The routes; `HEAD`, `OPTIONS` and `405` follow from them.
const ROUTES: Router<To> = Router::new(&[
    Route::get(METRICS_PATH, To::Metrics),
    Route::get("*", To::Greeting),
    Route::post("*", To::Echo),
    Route::put("*", To::Echo),
]);

/// The body of a `/metrics` response: the lines of the metrics sent so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricsBody {
    lines: u32,
    done: bool,
}

/// Echoes a body too large for a read buffer as a chunked stream, part by part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Echo;

impl<M> Hello<M> {
    /// The demo, rendering `/metrics` with `metrics`.
    pub const fn new(metrics: M) -> Self {
        Self { metrics }
    }
}

impl<M> Handler for Hello<M>
where
    M: FnMut(&mut Renderer<'_>) -> Result<(), RenderError>,
{
    type State = Self;
    type Body = MetricsBody;
    type Consumer = Echo;

    fn state(&mut self) -> &mut Self {
        self
    }

    fn handle(
        &mut self,
        req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, MetricsBody, Echo>,
    ) {
        let resolved = match req.method() {
            // Extension methods (and any method a later parser names) are not implemented,
            // whatever the routes say.
            Method::Extension(_) => None,
            method => Some(ROUTES.resolve(method, req.path())),
        };
        let answered = match (resolved, body) {
            (
                Some(Resolved::Found {
                    target: To::Echo, ..
                }),
                RequestBody::Large { .. },
            ) => res.consume(Echo),
            (_, RequestBody::Large { .. }) => res.refuse_body(),
            (Some(Resolved::Found { target, .. }), RequestBody::Whole(body)) => match target {
                To::Greeting => res.send_static_checked(Status::OK, GREETING_FIELDS, GREETING),
                To::Metrics => res.stream(
                    Status::OK,
                    &[("Content-Type", METRICS_TYPE)],
                    MetricsBody::default(),
                ),
                To::Echo => res.send_checked(Status::OK, ECHO_FIELDS, body),
            },
            (Some(Resolved::Options(allow)), _) => {
                res.send(Status::NO_CONTENT, &[("Allow", allow.as_bytes())], b"")
            }
            (Some(Resolved::MethodNotAllowed(allow)), _) => res.send(
                Status::METHOD_NOT_ALLOWED,
                &[("Allow", allow.as_bytes())],
                b"",
            ),
            // Every path matches a route, so no path is unknown.
            (Some(Resolved::NotFound) | None, _) => res.send(Status::NOT_IMPLEMENTED, &[], b""),
        };
        if answered.is_err() {
            // Without an answer (this one did not fit either) the connection answers 500.
            res.close();
            let _ = res.send(Status::INTERNAL_SERVER_ERROR, &[], b"");
        }
    }
}

/// An application state that renders the server's metrics, for [`MetricsBody`]: each call
/// must render the same lines in the same order (values may change).
pub trait RenderMetrics {
    /// Renders the metrics into `r`.
    ///
    /// # Errors
    ///
    /// The renderer's, passed on.
    fn render_metrics(&mut self, r: &mut Renderer<'_>) -> Result<(), RenderError>;
}

impl<M> RenderMetrics for Hello<M>
where
    M: FnMut(&mut Renderer<'_>) -> Result<(), RenderError>,
{
    fn render_metrics(&mut self, r: &mut Renderer<'_>) -> Result<(), RenderError> {
        (self.metrics)(r)
    }
}

impl<S: RenderMetrics> Producer<S> for MetricsBody {
    /// Renders the metrics from the first line not yet sent, keeping the whole lines that fit.
    fn poll_fill(&mut self, app: &mut S, _now: Instant, out: &mut [u8]) -> Fill {
        if self.done {
            return Fill::Done;
        }
        let mut r = Renderer::window(out, self.lines);
        let rendered = app.render_metrics(&mut r);
        let (len, more, cut) = r.window_end();
        if !cut && rendered.is_err() {
            // A mistake of the closure's: the body stalls and the connection cuts it.
            return Fill::Pending;
        }
        self.lines = self.lines.saturating_add(more);
        if !cut {
            self.done = true;
            return if len == 0 {
                Fill::Done
            } else {
                Fill::Filled(len)
            };
        }
        // Not even one line fits (`Filled(0)` waits): the connection pulls again once its
        // output queue has drained.
        Fill::Filled(len)
    }
}

impl<M> Consumer<Hello<M>, MetricsBody> for Echo
where
    M: FnMut(&mut Renderer<'_>) -> Result<(), RenderError>,
{
    fn consume(
        &mut self,
        _app: &mut Hello<M>,
        part: &[u8],
        last: bool,
        res: &mut Responder<'_, MetricsBody, Echo>,
    ) {
        if !res.is_answered()
            && res
                .start_stream(Status::OK, &[("Content-Type", ECHO_TYPE)])
                .is_err()
        {
            // Without an answer after the last part the connection answers 500.
            return;
        }
        // The connection never hands over a part longer than one write carries.
        if res.write(part) != Ok(part.len()) {
            res.close();
            return;
        }
        if last {
            // A last chunk that finds no room is written by the connection.
            let _ = res.finish();
        }
    }
}

impl<M> fmt::Debug for Hello<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hello").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `method path => answer`: the target, or the status with [`ALLOW`] (`204`, `405`), or
    /// `501` for what the routes never see.
    #[test]
    fn routes() {
        fn answer(method: Method<'_>, path: &str) -> Result<To, u16> {
            if let Method::Extension(_) = method {
                return Err(501);
            }
            match ROUTES.resolve(method, path) {
                Resolved::Found { target, .. } => Ok(*target),
                Resolved::Options(allow) if allow.as_bytes() == ALLOW => Err(204),
                Resolved::MethodNotAllowed(allow) if allow.as_bytes() == ALLOW => Err(405),
                other => panic!("{method} {path}: {other:?}"),
            }
        }
        macro_rules! routes {
            ($($method:expr, $path:literal => $want:expr;)+) => {
                $(assert_eq!(answer($method, $path), $want, "{} {}", $method, $path);)+
            };
        }
        use To::*;
        routes! {
            Method::Get, "/" => Ok(Greeting);
            Method::Get, "/a/b" => Ok(Greeting);
            Method::Get, "" => Ok(Greeting);
            Method::Head, "/" => Ok(Greeting);
            Method::Get, "/metrics" => Ok(Metrics);
            Method::Head, "/metrics" => Ok(Metrics);
            Method::Get, "/metrics/" => Ok(Greeting);
            Method::Get, "/Metrics" => Ok(Greeting);
            Method::Get, "/metricsx" => Ok(Greeting);
            Method::Post, "/metrics" => Ok(Echo);
            Method::Post, "/" => Ok(Echo);
            Method::Put, "/x" => Ok(Echo);
            Method::Options, "/" => Err(204);
            Method::Options, "*" => Err(204);
            Method::Options, "/metrics" => Err(204);
            Method::Delete, "/" => Err(405);
            Method::Delete, "/metrics" => Err(405);
            Method::Connect, "example.com:443" => Err(405);
            Method::Trace, "/" => Err(405);
            Method::Patch, "/" => Err(405);
            Method::Extension("get"), "/" => Err(501);
            Method::Extension("PROPFIND"), "/" => Err(501);
        }
    }
}
