//! The demo application behind a real [`Connection`], driven by hand: pipelining, a large echo
//! that grows the queue, one that waits for it to drain, and the `500` for one that never fits.
//!
//! Kept to one file and one small driver so a change of the Connection API touches only
//! `Drive` below.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use aurora_apps::hello::{ECHO_TYPE, GREETING, Hello};
use aurora_core::config::ServerConfig;
use aurora_core::conn::{Connection, Env, Spans};
use aurora_core::http::header::HeaderSpan;
use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, Slot};
use aurora_core::metrics::{RenderError, Renderer};
use aurora_core::server::{PARSE_ERROR_LABELS, ServerMetrics};
use aurora_core::time::Instant;

type Render = fn(&mut Renderer<'_>) -> Result<(), RenderError>;

fn render(r: &mut Renderer<'_>) -> Result<(), RenderError> {
    r.gauge("up", "", &[], 1)
}

/// A pool over leaked memory with `[1 KiB, 4 KiB, 16 KiB, 64 KiB, 256 KiB]` buffers per class.
fn pool(counts: [usize; 5]) -> BufferPool<'static> {
    let region = |class: usize, n: usize| {
        let bytes = Box::leak(vec![0u8; class * n].into_boxed_slice());
        let slots = Box::leak(vec![Slot::EMPTY; n].into_boxed_slice());
        ClassRegion::new(bytes, slots)
    };
    let [a, b, c, d, e] = counts;
    BufferPool::new(
        1,
        [
            region(1024, a),
            region(4096, b),
            region(16384, c),
            region(65536, d),
            region(262_144, e),
        ],
    )
}

/// One connection serving [`Hello`]: the only code here that knows the Connection API.
struct Drive {
    conn: Connection<Hello<Render>>,
    pool: BufferPool<'static>,
    spans: Spans<'static>,
    hello: Hello<Render>,
    now: Instant,
    out: Vec<u8>,
}

impl Drive {
    fn new(counts: [usize; 5]) -> Self {
        Self::with(counts, render)
    }

    /// A connection whose `/metrics` renders with `render`.
    fn with(counts: [usize; 5], render: Render) -> Self {
        let now = Instant::from_millis(1_000);
        Self {
            conn: Connection::new(&ServerConfig::DEFAULT, now),
            pool: pool(counts),
            spans: Spans::new(Box::leak(vec![HeaderSpan::EMPTY; 32].into_boxed_slice())),
            hello: Hello::new(render),
            now,
            out: Vec::new(),
        }
    }

    /// Feeds all of `bytes` (draining output whenever the connection pauses) and drains the
    /// output after, writing at most `write_limit` bytes per write.
    fn exchange(&mut self, mut bytes: &[u8], write_limit: usize) {
        for _ in 0..10_000 {
            if !bytes.is_empty()
                && let Ok(space) = self.conn.read_buf(&mut self.pool)
            {
                let n = space.len().min(bytes.len());
                space[..n].copy_from_slice(&bytes[..n]);
                bytes = &bytes[n..];
                let mut env = Env {
                    pool: &mut self.pool,
                    handler: &mut self.hello,
                    date: None,
                    spans: &mut self.spans,
                    observer: &mut (),
                    arena: None,
                    peer: None,
                };
                self.conn.handle_read(n, self.now, &mut env);
                continue;
            }
            let Some(queued) = self.conn.poll_transmit(&self.pool) else {
                assert!(bytes.is_empty(), "the connection neither reads nor writes");
                return;
            };
            let n = queued.len().min(write_limit);
            self.out.extend_from_slice(&queued[..n]);
            let mut env = Env {
                pool: &mut self.pool,
                handler: &mut self.hello,
                date: None,
                spans: &mut self.spans,
                observer: &mut (),
                arena: None,
                peer: None,
            };
            self.conn.handle_written(n, self.now, &mut env);
        }
        panic!("livelock");
    }

    /// Whether the connection has closed.
    fn closed(&mut self) -> bool {
        self.conn.poll_close().is_some()
    }

    /// Every response written so far as `(status, body)`, bodies framed by `Content-Length`
    /// or chunked (no `HEAD` answers among them).
    fn responses(&self) -> Vec<(u16, Vec<u8>)> {
        let mut all = Vec::new();
        let mut rest = &self.out[..];
        while !rest.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut resp = httparse::Response::new(&mut headers);
            let httparse::Status::Complete(len) = resp.parse(rest).unwrap() else {
                panic!("partial response");
            };
            let header = |name: &str| {
                resp.headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .map(|h| std::str::from_utf8(h.value).unwrap())
            };
            let code = resp.code.unwrap();
            if header("transfer-encoding") == Some("chunked") {
                rest = &rest[len..];
                let mut body = Vec::new();
                loop {
                    let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
                    let size = std::str::from_utf8(&rest[..line_end]).unwrap();
                    let size = usize::from_str_radix(size, 16).unwrap();
                    rest = &rest[line_end + 2..];
                    if size == 0 {
                        assert!(rest.starts_with(b"\r\n"), "no trailers are sent");
                        rest = &rest[2..];
                        break;
                    }
                    body.extend_from_slice(&rest[..size]);
                    assert_eq!(&rest[size..size + 2], b"\r\n");
                    rest = &rest[size + 2..];
                }
                all.push((code, body));
                continue;
            }
            let length: usize = header("content-length").map_or(0, |v| v.parse().unwrap());
            all.push((code, rest[len..len + length].to_vec()));
            rest = &rest[len + length..];
        }
        all
    }
}

fn post(body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

const ROOMY: [usize; 5] = [0, 4, 2, 2, 1];

#[test]
fn pipelined_requests_answered_in_order() {
    let mut drive = Drive::new(ROOMY);
    let mut raw = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
    raw.extend(post(b"one"));
    raw.extend_from_slice(b"GET /metrics?x HTTP/1.1\r\nHost: a\r\n\r\n");
    raw.extend_from_slice(b"DELETE / HTTP/1.1\r\nHost: a\r\n\r\nget / HTTP/1.1\r\nHost: a\r\n\r\n");
    raw.extend_from_slice(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    drive.exchange(&raw, usize::MAX);
    let got = drive.responses();
    let codes: Vec<u16> = got.iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, [200, 200, 200, 405, 501, 204]);
    assert_eq!(got[0].1, GREETING);
    assert_eq!(got[1].1, b"one");
    assert_eq!(got[2].1, b"# TYPE up gauge\nup 1\n");
    assert!(drive.out.windows(ECHO_TYPE.len()).any(|w| w == ECHO_TYPE));
    assert!(!drive.closed());
}

/// An echo larger than the 4 KiB queue a connection starts with: the queue grows while the
/// handler answers.
#[test]
fn a_large_echo_grows_the_queue() {
    let mut drive = Drive::new(ROOMY);
    let body: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
    drive.exchange(&post(&body), usize::MAX);
    assert_eq!(drive.responses(), [(200, body)]);
}

/// The second echo does not fit behind the first in the 4 KiB queue: the queue grows for it.
#[test]
fn an_echo_behind_another_grows_the_queue() {
    let mut drive = Drive::new(ROOMY);
    let a = vec![b'a'; 3000];
    let b = vec![b'b'; 3000];
    let mut raw = post(&a);
    raw.extend(post(&b));
    drive.exchange(&raw, 100);
    assert_eq!(drive.responses(), [(200, a), (200, b)]);
}

/// With no larger buffer free for the queue, an echo that cannot be queued gets `500` and
/// the close.
#[test]
fn an_echo_that_can_never_fit_is_500() {
    // 4 KiB buffers and one 16 KiB buffer, which the request's read buffer takes.
    let mut drive = Drive::new([0, 4, 1, 0, 0]);
    drive.exchange(&post(&[b'z'; 6000]), usize::MAX);
    let codes: Vec<u16> = drive.responses().iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, [500]);
    assert!(drive.closed());
}

/// A body larger than the largest read buffer reaches the handler in parts and comes back as
/// a chunked stream, byte for byte, whether it was sent with a length or chunked, and the
/// connection goes on.
#[test]
fn a_body_beyond_the_read_buffer_is_echoed_in_parts() {
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let mut chunked =
        b"PUT /big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in body.chunks(7_000) {
        chunked.extend(format!("{:x}\r\n", piece.len()).into_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    for (raw, write_limit) in [(post(&body), usize::MAX), (chunked, 1000)] {
        let mut drive = Drive::new(ROOMY);
        let mut raw = raw;
        raw.extend_from_slice(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        drive.exchange(&raw, write_limit);
        let got = drive.responses();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, 200);
        assert!(
            got[0].1 == body,
            "the echo differs ({} bytes back)",
            got[0].1.len()
        );
        assert_eq!(got[1], (200, GREETING.to_vec()));
        assert!(!drive.closed());
    }
}

/// The server's whole metric set (about 4.7 KB, more than the 4 KiB output queue) streams
/// through a pool of two 4 KiB buffers, a piece each time the queue drains, after a greeting
/// pipelined with it, as HTTP/1.1 and as HTTP/1.0; the connection goes on after the first.
#[test]
fn the_server_metrics_stream_through_a_4k_queue() {
    static METRICS: ServerMetrics<1> = ServerMetrics::new();
    fn server(r: &mut Renderer<'_>) -> Result<(), RenderError> {
        METRICS.render_into(r, &PARSE_ERROR_LABELS)
    }
    let mut whole = vec![0u8; 16 * 1024];
    let n = METRICS.render(&mut whole, &PARSE_ERROR_LABELS).unwrap();
    assert!(n > 4096, "{n}");
    let mut drive = Drive::with([0, 2, 0, 0, 0], server);
    let mut raw = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
    raw.extend_from_slice(b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
    raw.extend_from_slice(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    drive.exchange(&raw, 700);
    let got = drive.responses();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1], (200, whole[..n].to_vec()));
    assert_eq!(got[2], (200, GREETING.to_vec()));
    assert!(!drive.closed());

    let mut drive = Drive::with([0, 2, 0, 0, 0], server);
    drive.exchange(b"GET /metrics HTTP/1.0\r\n\r\n", 300);
    assert!(drive.closed());
    let text = &drive.out[..];
    let end = text.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(&text[end..], &whole[..n]);
}

/// What a connection serving the demo costs beside its buffers: its producer and consumer
/// live in it.
#[test]
fn a_connection_serving_hello_is_small() {
    let size = std::mem::size_of::<Connection<Hello<Render>>>();
    println!("size_of::<Connection<Hello>>() = {size}");
    assert!(size <= 448, "Connection<Hello> grew to {size} bytes");
}
