//! The demo application every backend serves: a greeting, an echo, `OPTIONS`, and the
//! server's own metrics.
//!
//! This module owns the routing of one request of the demo to its answer:
//!
//! | request | answer |
//! |---|---|
//! | `GET` or `HEAD` `/metrics` (any query) | `200`, the metrics in the Prometheus text format |
//! | `GET` or `HEAD`, any other target | `200`, `text/plain` `Hello, World!` |
//! | `POST` or `PUT` | `200`, `application/octet-stream`, the request body byte for byte (a body larger than a read buffer comes back chunked, streamed part by part) |
//! | `OPTIONS` (also `OPTIONS *`) | `204` with [`ALLOW`] |
//! | `DELETE`, `CONNECT`, `TRACE`, `PATCH` | `405` with [`ALLOW`] |
//! | any other method (methods are case-sensitive: `get` is one) | `501` |
//!
//! It never allocates, never reads a clock and never panics: the metrics are rendered by the
//! caller's closure straight into the connection's output space
//! ([`Responder::send_with`]). A response larger than the output space (metrics that do not
//! render in it included) is left unsent, so the connection can grow its queue and ask again,
//! or wait for earlier pipelined responses to drain (see [`Handler`]); one that can never fit
//! gets the connection's own `500`.
//!
//! # Examples
//!
//! ```
//! use aurora_core::conn::Handler;
//! use aurora_core::hello::Hello;
//!
//! fn assert_handler<H: Handler>(_: &H) {}
//! let hello = Hello::new(|buf: &mut [u8]| {
//!     let text = b"# EOF\n";
//!     buf.get_mut(..text.len())?.copy_from_slice(text);
//!     Some(text.len())
//! });
//! assert_handler(&hello);
//! ```

use core::fmt;

use crate::conn::{Handler, RespondError, Responder};
use crate::http::Status;
use crate::http::method::Method;
use crate::http::request::Request;

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

/// The demo application. `M` renders the metrics into the buffer it is given and returns the
/// length written, or `None` when they do not fit.
pub struct Hello<M> {
    metrics: M,
}

/// What a request is answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// `200` with [`GREETING`].
    Greeting,
    /// `200` with the rendered metrics.
    Metrics,
    /// `200` with the request body.
    Echo,
    /// `204` with `Allow`.
    Options,
    /// `405` with `Allow`.
    NotAllowed,
    /// `501`.
    NotImplemented,
}

impl<M> Hello<M> {
    /// The demo, rendering `/metrics` with `metrics`.
    pub const fn new(metrics: M) -> Self {
        Self { metrics }
    }
}

impl Route {
    /// The route of a request with `method` and `path` (the target's path, without its query).
    fn of(method: Method<'_>, path: &str) -> Self {
        match method {
            Method::Get | Method::Head if path == METRICS_PATH => Route::Metrics,
            Method::Get | Method::Head => Route::Greeting,
            Method::Post | Method::Put => Route::Echo,
            Method::Options => Route::Options,
            Method::Delete | Method::Connect | Method::Trace | Method::Patch => Route::NotAllowed,
            Method::Extension(_) => Route::NotImplemented,
        }
    }
}

impl<M> Handler for Hello<M>
where
    M: FnMut(&mut [u8]) -> Option<usize>,
{
    fn handle(&mut self, req: &Request<'_>, body: &[u8], res: &mut Responder<'_>) {
        match Route::of(req.method(), req.path()) {
            Route::Greeting => send(
                res,
                Status::OK,
                &[("Content-Type", GREETING_TYPE)],
                GREETING,
            ),
            Route::Metrics => {
                let sent = res.send_with(
                    Status::OK,
                    &[("Content-Type", METRICS_TYPE)],
                    &mut self.metrics,
                );
                refused(res, sent);
            }
            Route::Echo => send(res, Status::OK, &[("Content-Type", ECHO_TYPE)], body),
            Route::Options => send(res, Status::NO_CONTENT, &[("Allow", ALLOW)], b""),
            Route::NotAllowed => send(res, Status::METHOD_NOT_ALLOWED, &[("Allow", ALLOW)], b""),
            Route::NotImplemented => send(res, Status::NOT_IMPLEMENTED, &[], b""),
        }
    }

    /// Echoes a body too large for a read buffer as a chunked stream, part by part. Other
    /// routes take no body that large: `413`, as the default does.
    fn handle_part(&mut self, req: &Request<'_>, part: &[u8], last: bool, res: &mut Responder<'_>) {
        if Route::of(req.method(), req.path()) != Route::Echo {
            let _ = res.refuse_body();
            return;
        }
        if !res.is_streaming() && !res.is_complete() {
            if let Err(error) = res.start_stream(Status::OK, &[("Content-Type", ECHO_TYPE)]) {
                // Without a response after the last part the connection answers 500.
                warn!("echo stream refused: {}", error);
                return;
            }
        }
        // The connection never hands over a part longer than one write carries.
        match res.write(part) {
            Ok(taken) if taken == part.len() => {}
            _ => {
                error!("echo part did not fit its stream");
                res.close();
                return;
            }
        }
        if last {
            // A last chunk that does not fit is written by `resume` once the queue drains.
            let _ = res.finish();
        }
    }
}

impl<M> fmt::Debug for Hello<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hello").finish_non_exhaustive()
    }
}

/// Sends a response. One that does not fit the output space is left unsent: the connection
/// grows its queue and asks again, or (behind earlier pipelined responses) asks again once they
/// are written, and answers `500` itself when the response can never fit. Any other refusal
/// becomes a bodiless `500` here.
fn send(res: &mut Responder<'_>, status: Status, headers: &[(&str, &[u8])], body: &[u8]) {
    let sent = res.send(status, headers, body);
    refused(res, sent);
}

/// Answers a refused response other than [`RespondError::NoSpace`] with a bodiless `500`.
fn refused(res: &mut Responder<'_>, sent: Result<(), RespondError>) {
    match sent {
        Ok(()) | Err(RespondError::NoSpace) => {}
        Err(error) => {
            warn!("response refused: {}", error);
            // If even this does not fit, the connection answers 500 itself.
            let _ = res.send(Status::INTERNAL_SERVER_ERROR, &[], b"");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::vec::Vec;

    use super::*;
    use crate::http::Limits;
    use crate::http::header::HeaderSpan;
    use crate::http::request::{self, Parse};
    use crate::http::response::{EncodeContext, Persistence};

    const METRICS: &[u8] = b"# TYPE up gauge\nup 1\n";

    /// Renders [`METRICS`].
    fn render(buf: &mut [u8]) -> Option<usize> {
        buf.get_mut(..METRICS.len())?.copy_from_slice(METRICS);
        Some(METRICS.len())
    }

    /// One response as httparse reads it.
    #[derive(Debug)]
    struct Answer {
        code: u16,
        headers: Vec<(std::string::String, Vec<u8>)>,
        body: Vec<u8>,
    }

    impl Answer {
        fn header(&self, name: &str) -> Option<&[u8]> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_slice())
        }
    }

    /// What `handler` answers to `raw` through a responder with `space` bytes; `first` as the
    /// connection would say. `None` when nothing was written.
    fn answer<H: Handler>(
        handler: &mut H,
        raw: &[u8],
        space: usize,
        first: bool,
    ) -> Option<Answer> {
        let mut spans = [HeaderSpan::EMPTY; 16];
        let Ok(Parse::Complete(head)) = request::parse(raw, &Limits::DEFAULT, &mut spans) else {
            panic!(
                "a valid request: {:?}",
                std::string::String::from_utf8_lossy(raw)
            );
        };
        let req = head.view(raw, &spans);
        let body = &raw[head.head_len()..];
        let cx = EncodeContext {
            version: head.version(),
            head_request: req.method() == Method::Head,
            date: None,
            server: None,
        };
        let mut out = std::vec![0u8; space];
        {
            let mut res = Responder::new(&mut out, cx, Persistence::KeepAlive, first);
            handler.handle(&req, body, &mut res);
        }
        // The responder writes at the front of `out`; httparse finds the end of the head.
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        let len = match resp.parse(&out) {
            Ok(httparse::Status::Complete(len)) => len,
            _ => return None,
        };
        let code = resp.code?;
        let headers: Vec<_> = resp
            .headers
            .iter()
            .map(|h| (std::string::String::from(h.name), h.value.to_vec()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| std::str::from_utf8(v).unwrap().parse().unwrap())
            .unwrap_or(0);
        let body = if req.method() == Method::Head {
            Vec::new()
        } else {
            out[len..len + length].to_vec()
        };
        Some(Answer {
            code,
            headers,
            body,
        })
    }

    #[test]
    fn routes() {
        macro_rules! routes {
            ($($method:expr, $path:literal => $route:expr;)+) => {
                $(assert_eq!(Route::of($method, $path), $route, "{} {}", $method, $path);)+
            };
        }
        routes! {
            Method::Get, "/" => Route::Greeting;
            Method::Get, "/a/b" => Route::Greeting;
            Method::Head, "/" => Route::Greeting;
            Method::Get, "/metrics" => Route::Metrics;
            Method::Head, "/metrics" => Route::Metrics;
            Method::Get, "/metrics/" => Route::Greeting;
            Method::Get, "/Metrics" => Route::Greeting;
            Method::Get, "/metricsx" => Route::Greeting;
            Method::Post, "/metrics" => Route::Echo;
            Method::Post, "/" => Route::Echo;
            Method::Put, "/x" => Route::Echo;
            Method::Options, "/" => Route::Options;
            Method::Options, "*" => Route::Options;
            Method::Delete, "/" => Route::NotAllowed;
            Method::Connect, "/" => Route::NotAllowed;
            Method::Trace, "/" => Route::NotAllowed;
            Method::Patch, "/" => Route::NotAllowed;
            Method::Extension("get"), "/" => Route::NotImplemented;
            Method::Extension("PROPFIND"), "/" => Route::NotImplemented;
        }
    }

    /// A request and what it must get: status, `Content-Type`, `Allow`, body.
    type Row = (
        &'static [u8],
        u16,
        Option<&'static [u8]>,
        Option<&'static [u8]>,
        &'static [u8],
    );

    /// One request line per row: the status, the `Content-Type`, the `Allow` and the body.
    #[test]
    fn answers() {
        let mut hello = Hello::new(render);
        let allow = Some(ALLOW);
        let table: &[Row] = &[
            (
                b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                200,
                Some(GREETING_TYPE),
                None,
                GREETING,
            ),
            (
                b"GET /x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n",
                200,
                Some(GREETING_TYPE),
                None,
                GREETING,
            ),
            (
                b"GET / HTTP/1.0\r\n\r\n",
                200,
                Some(GREETING_TYPE),
                None,
                GREETING,
            ),
            (
                b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
                200,
                Some(GREETING_TYPE),
                None,
                b"",
            ),
            (
                b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
                200,
                Some(METRICS_TYPE),
                None,
                METRICS,
            ),
            (
                b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n",
                200,
                Some(METRICS_TYPE),
                None,
                METRICS,
            ),
            (
                b"HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
                200,
                Some(METRICS_TYPE),
                None,
                b"",
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
                200,
                Some(ECHO_TYPE),
                None,
                b"abc",
            ),
            (
                b"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nz",
                200,
                Some(ECHO_TYPE),
                None,
                b"z",
            ),
            (
                b"PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n\x00\xff\r\n",
                200,
                Some(ECHO_TYPE),
                None,
                b"\x00\xff\r\n",
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\n\r\n",
                200,
                Some(ECHO_TYPE),
                None,
                b"",
            ),
            (
                b"OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n",
                204,
                None,
                allow,
                b"",
            ),
            (
                b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
                204,
                None,
                allow,
                b"",
            ),
            (
                b"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n",
                405,
                None,
                allow,
                b"",
            ),
            (
                b"TRACE / HTTP/1.1\r\nHost: a\r\n\r\n",
                405,
                None,
                allow,
                b"",
            ),
            (
                b"PATCH / HTTP/1.1\r\nHost: a\r\n\r\n",
                405,
                None,
                allow,
                b"",
            ),
            (b"get / HTTP/1.1\r\nHost: a\r\n\r\n", 501, None, None, b""),
            (b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501, None, None, b""),
        ];
        for &(raw, code, content_type, allow, body) in table {
            let what = std::string::String::from_utf8_lossy(raw);
            let got = answer(&mut hello, raw, 4096, true).expect("an answer");
            assert_eq!(got.code, code, "{what}");
            assert_eq!(got.header("content-type"), content_type, "{what}");
            assert_eq!(got.header("allow"), allow, "{what}");
            assert_eq!(got.body, body, "{what}");
        }
    }

    #[test]
    fn echo_keeps_every_byte_value() {
        let all: Vec<u8> = (0..=255u8).collect();
        let mut raw = Vec::from(&b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 256\r\n\r\n"[..]);
        raw.extend_from_slice(&all);
        let got = answer(&mut Hello::new(render), &raw, 4096, true).expect("an answer");
        assert_eq!(got.code, 200);
        assert_eq!(got.body, all);
    }

    /// Metrics that do not render in the space offered (or claim more than it) are left
    /// unsent, as a response that does not fit: the connection grows its queue and asks again,
    /// and answers `500` itself when they can never fit.
    #[test]
    fn metrics_that_do_not_render_are_left_to_the_connection() {
        let raw = b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
        let mut hello = Hello::new(|_: &mut [u8]| None);
        assert!(answer(&mut hello, raw, 4096, true).is_none());
        let mut hello = Hello::new(|buf: &mut [u8]| Some(buf.len() + 1));
        assert!(answer(&mut hello, raw, 4096, true).is_none());
    }

    /// The metrics render into the output space after room for the head, and go out with
    /// their length (also for `HEAD`, without the body).
    #[test]
    fn metrics_render_into_the_output_space() {
        let offered = core::cell::Cell::new(0);
        let mut hello = Hello::new(|buf: &mut [u8]| {
            offered.set(buf.len());
            render(buf)
        });
        let got = answer(
            &mut hello,
            b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
            4096,
            true,
        );
        assert_eq!(got.expect("an answer").body, METRICS);
        assert!(
            offered.get() > 3900 && offered.get() < 4096,
            "{}",
            offered.get()
        );
        let got = answer(
            &mut hello,
            b"HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
            4096,
            true,
        )
        .expect("an answer");
        let length = std::format!("{}", METRICS.len());
        assert_eq!(got.header("content-length"), Some(length.as_bytes()));
        assert!(got.body.is_empty());
    }

    /// An echo too large for the output space is left unsent, first or not: the connection
    /// grows its queue (or waits for it to drain) and asks again, so a `500` here would be
    /// wrong. With room it is sent.
    #[test]
    fn echo_without_space_is_left_to_the_connection() {
        let mut raw = Vec::from(&b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 300\r\n\r\n"[..]);
        raw.extend_from_slice(&[b'x'; 300]);
        let mut hello = Hello::new(render);
        assert!(answer(&mut hello, &raw, 200, true).is_none());
        assert!(answer(&mut hello, &raw, 200, false).is_none());
        let got = answer(&mut hello, &raw, 1024, false).expect("fits");
        assert_eq!(got.code, 200);
        assert_eq!(got.body.len(), 300);
    }

    /// A body in parts comes back as one chunked stream, every byte in order.
    #[test]
    fn echo_in_parts_streams_the_body() {
        let raw = b"POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n";
        let mut spans = [HeaderSpan::EMPTY; 8];
        let Ok(Parse::Complete(head)) = request::parse(raw, &Limits::DEFAULT, &mut spans) else {
            panic!("a valid request");
        };
        let req = head.view(raw, &spans);
        let cx = EncodeContext {
            version: head.version(),
            head_request: false,
            date: None,
            server: None,
        };
        let mut out = [0u8; 512];
        let mut hello = Hello::new(render);
        {
            let mut res = Responder::new(&mut out, cx, Persistence::KeepAlive, true);
            hello.handle_part(&req, b"abc", false, &mut res);
            assert!(res.is_streaming());
            hello.handle_part(&req, b"defg", false, &mut res);
            hello.handle_part(&req, b"", true, &mut res);
            assert!(res.is_complete());
        }
        let text = std::str::from_utf8(&out).unwrap().trim_end_matches('\0');
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(
            text.contains("Content-Type: application/octet-stream\r\n"),
            "{text}"
        );
        assert!(text.contains("Transfer-Encoding: chunked\r\n"), "{text}");
        assert!(
            text.ends_with("\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"),
            "{text}"
        );
    }

    /// Routes that take no body refuse one in parts with 413, as the default does.
    #[test]
    fn other_routes_refuse_a_body_in_parts() {
        use crate::conn::handler::Outcome;

        for raw in [
            &b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n"[..],
            b"DELETE / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n",
        ] {
            let mut spans = [HeaderSpan::EMPTY; 8];
            let Ok(Parse::Complete(head)) = request::parse(raw, &Limits::DEFAULT, &mut spans)
            else {
                panic!("a valid request");
            };
            let req = head.view(raw, &spans);
            let cx = EncodeContext {
                version: head.version(),
                head_request: false,
                date: None,
                server: None,
            };
            let mut out = [0u8; 512];
            let mut res = Responder::new(&mut out, cx, Persistence::KeepAlive, true);
            Hello::new(render).handle_part(&req, b"abc", false, &mut res);
            assert_eq!(res.outcome(), Outcome::Refused);
        }
    }

    #[test]
    fn head_answers_carry_the_get_length() {
        let got = answer(
            &mut Hello::new(render),
            b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
            4096,
            true,
        )
        .expect("an answer");
        assert_eq!(got.header("content-length"), Some(&b"13"[..]));
    }
}
