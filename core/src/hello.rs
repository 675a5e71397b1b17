//! The demo application every backend serves: a greeting, an echo, `OPTIONS`, and the
//! server's own metrics.
//!
//! This module owns the routing of one request of the demo to its answer:
//!
//! | request | answer |
//! |---|---|
//! | `GET` or `HEAD` `/metrics` (any query) | `200`, the metrics in the Prometheus text format, streamed (`503` while [`STREAMS`] other scrapes are under way) |
//! | `GET` or `HEAD`, any other target | `200`, `text/plain` `Hello, World!` |
//! | `POST` or `PUT` | `200`, `application/octet-stream`, the request body byte for byte (a body larger than a read buffer comes back chunked, streamed part by part) |
//! | `OPTIONS` (also `OPTIONS *`) | `204` with [`ALLOW`] |
//! | `DELETE`, `CONNECT`, `TRACE`, `PATCH` | `405` with [`ALLOW`] |
//! | any other method (methods are case-sensitive: `get` is one) | `501` |
//!
//! It never allocates, never reads a clock and never panics. A response larger than the output
//! space is left unsent, so the connection can grow its queue and ask again, or wait for
//! earlier pipelined responses to drain (see [`Handler`]); one that can never fit gets the
//! connection's own `500`.
//!
//! The metrics go out as a stream ([`Responder::start_stream`]: chunked for HTTP/1.1, until the
//! close for HTTP/1.0, the head alone for `HEAD`), so they need no output space as large as
//! their text: each time the output queue drains ([`Handler::resume`]) the caller's closure
//! renders them again into a [`SCRATCH`]-byte buffer on the stack, leaving out the lines
//! already sent and keeping the whole lines that fit, and those go out as the next chunk. The
//! cursor of each open stream (its connection's id and the lines sent) sits in a table of
//! [`STREAMS`] entries; a value that changes between two pieces is sent as it is when its line
//! goes out, so every line is whole and the text stays valid. The cursor of a stream that was
//! cut (the peer gone, the write timeout) is dropped when its connection id next sends a
//! request.
//!
//! # Examples
//!
//! ```
//! use aurora_core::conn::Handler;
//! use aurora_core::hello::Hello;
//! use aurora_core::metrics::Renderer;
//!
//! fn assert_handler<H: Handler>(_: &H) {}
//! let hello = Hello::new(|r: &mut Renderer<'_>| r.gauge("up", "", &[], 1));
//! assert_handler(&hello);
//! ```

use core::fmt;

use crate::conn::{Handler, RespondError, Responder};
use crate::http::Status;
use crate::http::method::Method;
use crate::http::request::Request;
use crate::http::response::max_chunk_data;
use crate::metrics::{RenderError, Renderer};

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

/// The `/metrics` streams one [`Hello`] keeps open at once; one more scrape gets `503`.
pub const STREAMS: usize = 4;

/// Bytes of the stack buffer each piece of the metrics is rendered into: the longest line the
/// metrics may have (a longer one stalls its stream until the write timeout cuts it).
pub const SCRATCH: usize = 512;

/// The demo application. `M` renders the metrics into the [`Renderer`] it is given: called
/// once per piece of a scrape, it must render the same lines in the same order each time
/// (values may change).
pub struct Hello<M> {
    metrics: M,
    /// The open `/metrics` streams.
    streams: [Option<Cursor>; STREAMS],
}

/// Where an open `/metrics` stream stands.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    /// Its connection's id ([`Responder::id`]).
    id: usize,
    /// The lines of the metrics sent so far.
    lines: u32,
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
        Self {
            metrics,
            streams: [None; STREAMS],
        }
    }

    /// The cursor slot of connection `id`, after forgetting a cursor it left behind (a
    /// connection asking anew has no stream open: its last one was cut): a free slot, or
    /// `None` when all are taken.
    fn slot(&mut self, id: usize) -> Option<&mut Option<Cursor>> {
        for slot in &mut self.streams {
            if slot.is_some_and(|c| c.id == id) {
                *slot = None;
            }
        }
        self.streams.iter_mut().find(|slot| slot.is_none())
    }
}

impl<M> Hello<M>
where
    M: FnMut(&mut Renderer<'_>) -> Result<(), RenderError>,
{
    /// Streams the metrics of connection `id` from line `lines` on, as [`pump`](Self::pump)
    /// does, and keeps its cursor while the stream stays open (a slot is free: the caller
    /// checked, or took this connection's).
    fn stream(&mut self, id: usize, lines: u32, res: &mut Responder<'_>) {
        if let (Some(lines), Some(slot)) = (self.pump(lines, res), self.slot(id)) {
            *slot = Some(Cursor { id, lines });
        }
    }

    /// Writes the metrics from line `lines` on into the open stream, piece by piece, while the
    /// output space takes them, and finishes it after the last. Returns the lines sent so
    /// far while the stream stays open, `None` once it is finished.
    fn pump(&mut self, mut lines: u32, res: &mut Responder<'_>) -> Option<u32> {
        let mut scratch = [0u8; SCRATCH];
        loop {
            // One chunk with its framing takes `room` bytes of data whole.
            let room = max_chunk_data(res.space()).min(SCRATCH);
            let (buf, _) = scratch.split_at_mut(room);
            let mut r = Renderer::window(buf, lines);
            let rendered = (self.metrics)(&mut r);
            let (len, more, cut) = r.window_end();
            if !cut && rendered.is_err() {
                // A mistake of the closure's: the stream stalls and is cut.
                error!("metrics do not render");
                return Some(lines);
            }
            let text = scratch.get(..len).unwrap_or_default();
            if res.write(text) != Ok(len) {
                return Some(lines);
            }
            lines = lines.saturating_add(more);
            if !cut {
                // A last chunk that does not fit is written once the queue drains, from
                // a window that leaves every line out.
                return res.finish().err().map(|_| lines);
            }
            if more == 0 {
                if room == SCRATCH {
                    error!("a metrics line longer than the scratch");
                }
                // Not even one line fits: go on once the queue has drained.
                return Some(lines);
            }
        }
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
    M: FnMut(&mut Renderer<'_>) -> Result<(), RenderError>,
{
    fn handle(&mut self, req: &Request<'_>, body: &[u8], res: &mut Responder<'_>) {
        let id = res.id();
        let slot = self.slot(id).is_some();
        match Route::of(req.method(), req.path()) {
            Route::Greeting => send(
                res,
                Status::OK,
                &[("Content-Type", GREETING_TYPE)],
                GREETING,
            ),
            Route::Metrics if !slot => send(res, Status::SERVICE_UNAVAILABLE, &[], b""),
            Route::Metrics => {
                let started = res.start_stream(Status::OK, &[("Content-Type", METRICS_TYPE)]);
                refused(res, started);
                if res.is_streaming() {
                    self.stream(id, 0, res);
                }
            }
            Route::Echo => send(res, Status::OK, &[("Content-Type", ECHO_TYPE)], body),
            Route::Options => send(res, Status::NO_CONTENT, &[("Allow", ALLOW)], b""),
            Route::NotAllowed => send(res, Status::METHOD_NOT_ALLOWED, &[("Allow", ALLOW)], b""),
            Route::NotImplemented => send(res, Status::NOT_IMPLEMENTED, &[], b""),
        }
    }

    /// Continues a `/metrics` stream from its cursor; finishes any other (the echo's).
    fn resume(&mut self, id: usize, res: &mut Responder<'_>) {
        let cursor = self
            .streams
            .iter_mut()
            .find_map(|s| s.take_if(|c| c.id == id));
        match cursor {
            Some(cursor) => self.stream(id, cursor.lines, res),
            None => {
                let _ = res.finish();
            }
        }
    }

    /// Echoes a body too large for a read buffer as a chunked stream, part by part. Other
    /// routes take no body that large: `413`, as the default does.
    fn handle_part(&mut self, req: &Request<'_>, part: &[u8], last: bool, res: &mut Responder<'_>) {
        // No `/metrics` stream of this connection is open: `resume` must not find one.
        let _ = self.slot(res.id());
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
    use crate::conn::handler::Outcome;
    use crate::http::Limits;
    use crate::http::header::HeaderSpan;
    use crate::http::request::{self, Parse, RequestHead};
    use crate::http::response::{EncodeContext, Persistence};
    use crate::metrics::{HistogramSnapshot, MetricKind};

    const METRICS: &[u8] = b"# TYPE up gauge\nup 1\n";

    /// Renders [`METRICS`].
    fn render(r: &mut Renderer<'_>) -> Result<(), RenderError> {
        r.gauge("up", "", &[], 1)
    }

    /// A handler with [`render`].
    type Demo = Hello<fn(&mut Renderer<'_>) -> Result<(), RenderError>>;

    /// Metrics larger than most spaces: a family of 40 samples, a histogram, a counter; the
    /// samples of the first are `value` plus their index.
    fn render_large(r: &mut Renderer<'_>, value: u64) -> Result<(), RenderError> {
        r.family("app_errors_total", "Errors, by kind.", MetricKind::Counter)?;
        for i in 0..40u64 {
            let kind = std::format!("kind_number_{i}");
            r.sample_u64("app_errors_total", &[("kind", &kind)], value + i)?;
        }
        static BOUNDS: [u64; 4] = [100, 1_000, 10_000, 100_000];
        let snapshot = HistogramSnapshot::empty(&BOUNDS);
        r.histogram("app_seconds", "Durations.", &[("a", "b")], &snapshot, 6)?;
        r.counter("app_last_total", "The last.", &[], value)
    }

    /// [`render_large`] with `value` in one buffer.
    fn large_text(value: u64) -> std::string::String {
        let mut buf = [0u8; 8192];
        let mut r = Renderer::new(&mut buf);
        render_large(&mut r, value).unwrap();
        let n = r.finish();
        std::string::String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    /// The body of a chunked message `data` (which may have zeros after its end), `None` if
    /// it does not end.
    fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = data.windows(2).position(|w| w == b"\r\n")?;
            let size = std::str::from_utf8(&data[..line]).ok()?;
            let size = usize::from_str_radix(size, 16).ok()?;
            data = &data[line + 2..];
            if size == 0 {
                return data.starts_with(b"\r\n").then_some(body);
            }
            body.extend_from_slice(data.get(..size)?);
            assert_eq!(&data[size..size + 2], b"\r\n");
            data = &data[size + 2..];
        }
    }

    /// `raw`'s head, parsed into `spans`, and the encode context a connection would give its
    /// responder (`HEAD` noted, no `Date`, no `Server`).
    fn parsed(raw: &[u8], spans: &mut [HeaderSpan]) -> (RequestHead, EncodeContext<'static>) {
        let Ok(Parse::Complete(head)) = request::parse(raw, &Limits::DEFAULT, spans) else {
            panic!(
                "a valid request: {:?}",
                std::string::String::from_utf8_lossy(raw)
            );
        };
        let cx = EncodeContext {
            version: head.version(),
            head_request: head.view(raw, spans).method() == Method::Head,
            date: None,
            server: None,
        };
        (head, cx)
    }

    /// Hands `raw` to `handler` as connection `id` would, then resumes its stream each time
    /// the `space`-byte output queue has been written, until the response is complete: every
    /// byte written, or `None` when it stalls (no progress) or nothing was sent.
    fn scrape<H: Handler>(handler: &mut H, raw: &[u8], space: usize, id: usize) -> Option<Vec<u8>> {
        let mut spans = [HeaderSpan::EMPTY; 16];
        let (head, cx) = parsed(raw, &mut spans);
        let req = head.view(raw, &spans);
        let mut all = Vec::new();
        let mut out = std::vec![0u8; space];
        let mut res = Responder::new(&mut out, cx, Persistence::KeepAlive, true).with_id(id);
        handler.handle(&req, b"", &mut res);
        let (mut outcome, mut written) = (res.outcome(), res.written());
        for _ in 0..10_000 {
            all.extend_from_slice(&out[..written]);
            match outcome {
                Outcome::Complete { .. } => return Some(all),
                Outcome::Streaming(_) if written > 0 => {}
                _ => return None,
            }
            let persistence = Persistence::KeepAlive;
            let mut res = Responder::resumed(&mut out, cx, persistence, outcome, true).with_id(id);
            handler.resume(id, &mut res);
            (outcome, written) = (res.outcome(), res.written());
        }
        panic!("livelock");
    }

    /// The status and the body of a response with a chunked (or, for HTTP/1.0, close
    /// delimited) body; an empty body when it has none.
    fn status_and_body(all: &[u8]) -> (u16, Vec<u8>) {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        let Ok(httparse::Status::Complete(len)) = resp.parse(all) else {
            panic!("a response head");
        };
        let chunked = resp.headers.iter().any(|h| h.value == b"chunked");
        let body = &all[len..];
        let body = if chunked {
            dechunk(body).expect("a whole chunked body")
        } else {
            body.to_vec()
        };
        (resp.code.unwrap(), body)
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
        let (head, cx) = parsed(raw, &mut spans);
        let req = head.view(raw, &spans);
        let body = &raw[head.head_len()..];
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
        let chunked = headers.iter().any(|(_, v)| v == b"chunked");
        let body = if req.method() == Method::Head {
            Vec::new()
        } else if chunked {
            dechunk(&out[len..])?
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
        let mut hello: Demo = Hello::new(render);
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
        let got = answer(&mut Demo::new(render), &raw, 4096, true).expect("an answer");
        assert_eq!(got.code, 200);
        assert_eq!(got.body, all);
    }

    /// The metrics stream in pieces whatever the space, HTTP/1.1 chunked or HTTP/1.0 until
    /// the close, and come out exactly as rendered in one buffer; `HEAD` gets the head alone.
    /// The cursor is gone after each.
    #[test]
    fn metrics_stream_in_pieces() {
        let want = large_text(7);
        assert!(want.len() > 2 * 1024, "{}", want.len());
        let mut hello = Hello::new(|r: &mut Renderer<'_>| render_large(r, 7));
        let get = b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
        let old = b"GET /metrics HTTP/1.0\r\n\r\n";
        for (raw, space) in [
            (&get[..], 200),
            (get, 300),
            (get, 1024),
            (get, 4096),
            (old, 200),
        ] {
            let all = scrape(&mut hello, raw, space, 3).expect("a whole response");
            let (code, body) = status_and_body(&all);
            assert_eq!(code, 200);
            assert_eq!(std::str::from_utf8(&body).unwrap(), want, "space {space}");
            assert!(hello.streams.iter().all(Option::is_none));
        }
        let head = b"HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
        let all = scrape(&mut hello, head, 200, 3).expect("a head");
        assert!(all.starts_with(b"HTTP/1.1 200 OK\r\n") && all.ends_with(b"\r\n\r\n"));
        assert!(hello.streams.iter().all(Option::is_none));
    }

    /// Values that change between pieces go out as they are when their line is sent: every
    /// line whole, none lost or repeated.
    #[test]
    fn metrics_that_change_between_pieces_stay_whole_lines() {
        let calls = core::cell::Cell::new(0u64);
        let mut hello = Hello::new(|r: &mut Renderer<'_>| {
            calls.set(calls.get() + 1);
            render_large(r, calls.get() * 1000)
        });
        let raw = b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
        let all = scrape(&mut hello, raw, 256, 0).expect("a whole response");
        let body = std::string::String::from_utf8(status_and_body(&all).1).unwrap();
        assert!(calls.get() > 5, "{}", calls.get());
        let want = large_text(0);
        assert_eq!(body.lines().count(), want.lines().count());
        for (got, want) in body.lines().zip(want.lines()) {
            assert_eq!(
                got.rsplit_once(' ').unwrap().0,
                want.rsplit_once(' ').unwrap().0
            );
            let value = got.rsplit(' ').next().unwrap();
            assert!(
                got.starts_with('#') || value.parse::<f64>().is_ok(),
                "{got}"
            );
        }
    }

    /// One more scrape than [`STREAMS`] at once gets `503`; a connection asking anew frees the
    /// cursor of a stream of its own that was cut.
    #[test]
    fn streams_beyond_the_table_get_503() {
        let raw = b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
        let mut hello = Hello::new(|r: &mut Renderer<'_>| render_large(r, 1));
        for id in 0..STREAMS {
            let got = answer(&mut Hello::new(render), raw, 4096, true);
            assert_eq!(got.expect("an answer").code, 200);
            // 300 bytes take a piece, not all: the stream stays open.
            let mut spans = [HeaderSpan::EMPTY; 4];
            let (head, cx) = parsed(raw, &mut spans);
            let mut out = [0u8; 300];
            let persistence = Persistence::KeepAlive;
            let mut res = Responder::new(&mut out, cx, persistence, true).with_id(10 + id);
            hello.handle(&head.view(raw, &spans), b"", &mut res);
            assert!(res.is_streaming(), "stream {id}");
        }
        let all = scrape(&mut hello, raw, 4096, 99).expect("an answer");
        assert_eq!(status_and_body(&all).0, 503);
        // Connection 12's stream was cut; it asks again and is served whole.
        let all = scrape(&mut hello, raw, 4096, 12).expect("a whole response");
        let (code, body) = status_and_body(&all);
        assert_eq!((code, body), (200, large_text(1).into_bytes()));
        // An echo stream on connection 11 finishes, not fed from the cursor it left.
        let mut echo_raw =
            Vec::from(&b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"[..]);
        echo_raw.extend_from_slice(b"abc");
        let mut spans = [HeaderSpan::EMPTY; 4];
        let (head, cx) = parsed(&echo_raw, &mut spans);
        let mut out = [0u8; 512];
        let mut res = Responder::new(&mut out, cx, Persistence::KeepAlive, true).with_id(11);
        let req = head.view(&echo_raw, &spans);
        hello.handle_part(&req, b"abc", false, &mut res);
        hello.resume(11, &mut res);
        assert!(res.is_complete());
        let written = res.written();
        assert!(out[..written].ends_with(b"3\r\nabc\r\n0\r\n\r\n"));
    }

    /// A line longer than [`SCRATCH`], or metrics that fail to render, stall the stream after
    /// its head: the connection cuts it at the write timeout.
    #[test]
    fn metrics_that_cannot_go_out_stall() {
        let raw = b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
        let long = [b'x'; SCRATCH];
        let long = std::str::from_utf8(&long).unwrap();
        let mut hello = Hello::new(|r: &mut Renderer<'_>| r.gauge("a", long, &[], 1));
        assert!(scrape(&mut hello, raw, 4096, 0).is_none());
        let mut hello = Hello::new(|r: &mut Renderer<'_>| r.gauge("1", "", &[], 1));
        assert!(scrape(&mut hello, raw, 4096, 0).is_none());
    }

    /// An echo too large for the output space is left unsent, first or not: the connection
    /// grows its queue (or waits for it to drain) and asks again, so a `500` here would be
    /// wrong. With room it is sent.
    #[test]
    fn echo_without_space_is_left_to_the_connection() {
        let mut raw = Vec::from(&b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 300\r\n\r\n"[..]);
        raw.extend_from_slice(&[b'x'; 300]);
        let mut hello: Demo = Hello::new(render);
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
        let (head, cx) = parsed(raw, &mut spans);
        let req = head.view(raw, &spans);
        let mut out = [0u8; 512];
        let mut hello: Demo = Hello::new(render);
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
            let (head, cx) = parsed(raw, &mut spans);
            let req = head.view(raw, &spans);
            let mut out = [0u8; 512];
            let mut res = Responder::new(&mut out, cx, Persistence::KeepAlive, true);
            Demo::new(render).handle_part(&req, b"abc", false, &mut res);
            assert_eq!(res.outcome(), Outcome::Refused);
        }
    }

    #[test]
    fn head_answers_carry_the_get_length() {
        let got = answer(
            &mut Demo::new(render),
            b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
            4096,
            true,
        )
        .expect("an answer");
        assert_eq!(got.header("content-length"), Some(&b"13"[..]));
    }
}
