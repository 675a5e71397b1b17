//! Streamed responses and request bodies in parts, driven on virtual time and checked with
//! httparse plus a strict chunked decoder.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod conn_util;

use aurora_core::config::ServerConfig;
use aurora_core::conn::{
    CloseReason, ConnEvent, Consumer, End, Handler, Never, Processing, RejectCause, RequestBody,
    Responder, Spans, State, Timer,
};
use aurora_core::http::Status;
use aurora_core::http::request::Request;
use aurora_core::mem::buffer_pool::{BufferPool, SizeClass};
use aurora_core::time::Duration;
use conn_util::{Mode, Peer, encode_chunked};

const MIB: usize = 1024 * 1024;

fn config() -> ServerConfig {
    ServerConfig::DEFAULT
}

/// A body no two reads split alike: bytes of a simple counter.
fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn post_length(path: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

fn post_chunked(path: &str, body: &[u8], chunk: usize) -> Vec<u8> {
    let mut req = format!("POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .into_bytes();
    req.extend_from_slice(&encode_chunked(body, chunk));
    req
}

fn echoed(path: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("POST {path} ").into_bytes();
    out.extend_from_slice(body);
    out
}

#[test]
fn streamed_response_is_chunked() {
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Stream(10_000);
    peer.send(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].code, 200);
    assert_eq!(
        responses[0].header("transfer-encoding"),
        Some(&b"chunked"[..])
    );
    assert_eq!(responses[0].header("content-length"), None);
    assert_eq!(responses[0].body, vec![b'x'; 10_000]);
    assert!(!responses[0].closes());
    assert!(peer.app.fills > 1, "10 000 bytes need more than one queue");
    assert_eq!(peer.app.ends, [End::Completed]);
    assert_eq!(peer.state(), State::KeepAlive);
    assert_eq!(peer.conn.requests_served(), 1);
    assert!(matches!(
        peer.events.0[..],
        [ConnEvent::Response { status, .. }] if status == Status::OK
    ));
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn streamed_response_to_http10_is_close_delimited() {
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Stream(9_000);
    peer.send(b"GET /s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let text = peer.out.clone();
    let head_end = text.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&text[..head_end]).to_lowercase();
    assert!(head.contains("connection: close\r\n"), "{head}");
    assert!(!head.contains("content-length") && !head.contains("transfer-encoding"));
    assert_eq!(&text[head_end..], &vec![b'x'; 9_000][..]);
    assert_eq!(
        peer.closed,
        Some(CloseReason::Done),
        "the close ends the body"
    );
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn streamed_response_to_head_is_the_head_alone() {
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Stream(9_000);
    peer.send(b"HEAD /s HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(peer.app.fills, 0, "the response ended with its head");
    assert_eq!(
        peer.app.ends,
        [End::Completed],
        "and its producer was told at once"
    );
    assert_eq!(peer.state(), State::KeepAlive);
    peer.send(b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    let text = String::from_utf8(peer.out.clone()).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(!head.to_lowercase().contains("transfer-encoding"));
    // The pipelined request after it is answered next (a stream of 9 000 `x` too).
    let after = conn_util::parse_responses(rest.as_bytes());
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].body.len(), 9_000);
    assert_eq!(peer.state(), State::KeepAlive);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_body_is_pulled_across_many_drains_with_a_small_writer() {
    let mut peer = Peer::new(config());
    peer.write_limit = 100;
    peer.app.mode = Mode::Stream(50_000);
    peer.send(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].body, vec![b'x'; 50_000]);
    assert!(peer.app.fills >= 12, "pulled {} times", peer.app.fills);
    assert_eq!(peer.app.ends, [End::Completed]);
    assert!(peer.batches.len() > 500, "small writes");
    assert_eq!(peer.state(), State::KeepAlive);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn pipelined_requests_after_a_streamed_one_wait_their_turn() {
    let mut peer = Peer::new(config());
    peer.write_limit = 1000;
    let reqs = b"GET /stream/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /stream/3 HTTP/1.1\r\nHost: x\r\n\r\nGET /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    peer.send(reqs);
    let responses = peer.responses();
    let bodies: Vec<_> = responses.iter().map(|r| r.body.clone()).collect();
    assert_eq!(
        bodies,
        [
            &b"GET /stream/1 "[..],
            b"GET /2 ",
            b"GET /stream/3 ",
            b"GET /4 "
        ]
    );
    assert!(responses[0].header("transfer-encoding").is_some());
    assert!(responses[1].header("content-length").is_some());
    assert!(responses[3].closes());
    assert_eq!(peer.closed, Some(CloseReason::Done));
    assert_eq!(peer.conn.requests_served(), 4);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_one_mib_upload_is_echoed_while_it_arrives() {
    let mut peer = Peer::new(config());
    let data = body(MIB);
    let mut input = post_length("/up", &data);
    input.extend_from_slice(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(peer.send_in(&input, 1000), input.len());
    let responses = peer.responses();
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0].code, 200);
    assert_eq!(
        responses[0].header("transfer-encoding"),
        Some(&b"chunked"[..])
    );
    assert!(responses[0].body == echoed("/up", &data), "echo differs");
    assert_eq!(responses[1].body, b"GET /next ");
    assert_eq!(peer.app.seen.len(), 2);
    assert!(peer.app.seen[0].body == data);
    assert_eq!(peer.app.short_writes, 0, "every part fit one write");
    assert!(peer.app.parts.len() > 256);
    assert!(peer.app.parts.iter().all(|&n| n > 0 && n <= 1000));
    assert_eq!(peer.app.parts.iter().sum::<usize>(), MIB);
    assert_eq!(
        peer.app.calls, 2,
        "handle saw the upload once, then the GET"
    );
    assert_eq!(peer.state(), State::KeepAlive);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_one_mib_chunked_upload_is_echoed_while_it_arrives() {
    let mut peer = Peer::new(config());
    let data = body(MIB);
    let mut input = post_chunked("/up", &data, 3_001);
    input.extend_from_slice(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(peer.send_in(&input, 1_500), input.len());
    let responses = peer.responses();
    assert_eq!(responses.len(), 2);
    assert!(responses[0].body == echoed("/up", &data), "echo differs");
    assert_eq!(responses[1].body, b"GET /next ");
    assert!(peer.app.seen[0].body == data);
    assert_eq!(peer.app.short_writes, 0);
    let (&last, rest) = peer.app.parts.split_last().unwrap();
    assert!(
        rest.iter().all(|&n| n > 0),
        "only the last part may be empty"
    );
    assert!(last <= 4096);
    assert_eq!(peer.state(), State::KeepAlive);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn an_upload_in_parts_gets_100_continue_first() {
    let mut peer = Peer::new(config());
    let data = body(100_000);
    let head =
        b"PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n";
    peer.send(head);
    assert_eq!(peer.out, b"HTTP/1.1 100 Continue\r\n\r\n");
    peer.send_in(&data, 5_000);
    let responses = peer.responses();
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0].code, 100);
    let mut expected = b"PUT /up ".to_vec();
    expected.extend_from_slice(&data);
    assert!(responses[1].body == expected);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_chunked_body_that_fits_still_arrives_whole() {
    let mut peer = Peer::new(config());
    let data = body(60_000);
    peer.send_in(&post_chunked("/c", &data, 1_000), 700);
    assert!(peer.app.parts.is_empty());
    assert_eq!(peer.app.seen.len(), 1);
    assert!(peer.app.seen[0].body == data);
}

#[test]
fn upload_reading_stops_while_the_output_is_full() {
    let mut peer = Peer::new(config());
    let data = body(200_000);
    let input = post_length("/up", &data);
    peer.writable = false;
    let taken = peer.send_in(&input, 4096);
    assert!(taken < 20_000, "took {taken} bytes with the output stuck");
    assert_eq!(peer.state(), State::WritingResponse);
    peer.advance(Duration::from_secs(20));
    assert_eq!(peer.closed, None);
    peer.writable = true;
    peer.drive();
    assert_eq!(peer.send_in(&input[taken..], 4096), input.len() - taken);
    let responses = peer.responses();
    assert!(responses[0].body == echoed("/up", &data));
    assert_eq!(peer.in_use(), 0);
}

/// Drives a fresh connection with `handler` (not the test peer's `App`): feeds `input` in reads
/// of at most `read` bytes while the connection takes them, writing all output after each.
/// Returns the connection, its pool, the output and how much input it took.
fn run_raw<H: Handler>(
    handler: &mut H,
    observer: &mut dyn aurora_core::conn::Observer,
    input: &[u8],
    read: usize,
) -> (
    aurora_core::conn::Connection<H>,
    BufferPool<'static>,
    Vec<u8>,
    usize,
) {
    let mut pool = conn_util::pool(4, 2, 2);
    let table = vec![aurora_core::http::header::HeaderSpan::EMPTY; 64];
    let mut spans = Spans::new(Box::leak(table.into_boxed_slice()));
    let now = aurora_core::time::Instant::ZERO;
    let mut conn = aurora_core::conn::Connection::new(&config(), now);
    let mut out = Vec::new();
    let mut fed = 0;
    for _ in 0..conn_util::MAX_STEPS {
        if fed == input.len() {
            break;
        }
        let Ok(space) = conn.read_buf(&mut pool) else {
            break;
        };
        let n = space.len().min(input.len() - fed).min(read);
        space[..n].copy_from_slice(&input[fed..fed + n]);
        fed += n;
        let mut env = aurora_core::conn::Env {
            pool: &mut pool,
            handler: &mut *handler,
            date: None,
            spans: &mut spans,
            observer: &mut *observer,
            arena: None,
            peer: None,
        };
        conn.handle_read(n, now, &mut env);
        while let Some(bytes) = conn.poll_transmit(env.pool) {
            let len = bytes.len();
            out.extend_from_slice(bytes);
            conn.handle_written(len, now, &mut env);
        }
    }
    (conn, pool, out, fed)
}

/// Buffers taken from `pool` and not given back.
fn in_use(pool: &BufferPool<'_>) -> usize {
    SizeClass::ALL.iter().map(|&c| pool.stats(c).in_use).sum()
}

/// A handler that takes no large body: it answers whole ones and leaves a large one
/// unanswered; `early` answers a large one at once instead.
#[derive(Default)]
struct Plain {
    calls: usize,
    early: bool,
}

impl Handler for Plain {
    type State = Self;
    type Body = Never;
    type Consumer = Never;

    fn state(&mut self) -> &mut Self {
        self
    }

    fn handle(&mut self, _req: &Request<'_>, body: RequestBody<'_>, res: &mut Responder<'_>) {
        self.calls += 1;
        if !body.is_large() || self.early {
            let _ = res.send(Status::OK, &[], b"ok");
        }
    }
}

#[test]
fn a_large_body_no_consumer_takes_is_refused_with_413() {
    let cases = [
        post_length("/big", &body(100_000)),
        post_chunked("/big", &body(100_000), 8_000),
    ];
    for input in cases {
        let mut handler = Plain::default();
        let mut events = conn_util::Events::default();
        let (mut conn, pool, out, fed) = run_raw(&mut handler, &mut events, &input, usize::MAX);
        let responses = conn_util::parse_responses(&out);
        assert_eq!(responses.len(), 1);
        assert_eq!(responses[0].code, 413);
        assert!(responses[0].closes());
        assert_eq!(
            conn.poll_close(),
            Some(CloseReason::Rejected(Status::PAYLOAD_TOO_LARGE))
        );
        assert!(matches!(
            events.0[..],
            [ConnEvent::Rejected {
                status: Status::PAYLOAD_TOO_LARGE,
                cause: RejectCause::BodyTooLarge
            }]
        ));
        assert_eq!(handler.calls, 1, "the handler was told of the body once");
        assert!(fed < input.len(), "the rest of the body was not read");
        assert_eq!(in_use(&pool), 0);
    }
}

#[test]
fn bodies_over_the_limit_are_still_413_and_close() {
    let mut config = config();
    config.limits.max_body_bytes = 200_000;
    let mut peer = Peer::new(config);
    peer.send(b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 200001\r\n\r\n");
    assert_eq!(peer.responses()[0].code, 413);
    assert_eq!(
        peer.closed,
        Some(CloseReason::Rejected(Status::PAYLOAD_TOO_LARGE))
    );
    assert!(peer.app.parts.is_empty());

    // Chunked: the limit is found mid-stream, after the echo began, so only the close tells.
    let mut peer = Peer::new(config);
    peer.send_in(&post_chunked("/big", &body(300_000), 4_000), 2_000);
    assert_eq!(
        peer.closed,
        Some(CloseReason::Rejected(Status::PAYLOAD_TOO_LARGE))
    );
    assert!(!peer.app.parts.is_empty());
    assert!(peer.app.parts.iter().sum::<usize>() <= 200_000);
    assert!(
        !peer.out.windows(3).any(|w| w == b"413"),
        "no status mid-body"
    );
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_stream_without_progress_is_cut_by_the_write_timeout() {
    let mut peer = Peer::new(config()); // write 30 s
    peer.app.mode = Mode::Stream(100_000);
    peer.app.stalled = true;
    peer.send(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(peer.state(), State::WritingResponse);
    assert_eq!(peer.in_use(), 0, "a stalled stream holds no buffer");
    peer.advance(Duration::from_secs(29));
    assert_eq!(peer.closed, None);
    peer.advance(Duration::from_secs(2));
    assert_eq!(peer.closed, Some(CloseReason::TimedOut(Timer::Write)));
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn wake_pulls_a_pending_producer_again() {
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Stream(20_000);
    peer.app.stalled = true;
    peer.send(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
    peer.advance(Duration::from_secs(10));
    let fills = peer.app.fills;
    peer.app.stalled = false;
    peer.wake();
    assert!(peer.app.fills > fills);
    assert_eq!(peer.responses()[0].body, vec![b'x'; 20_000]);
    assert_eq!(peer.state(), State::KeepAlive);
}

#[test]
fn a_stuck_reader_of_a_stream_is_cut_by_the_write_timeout() {
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Stream(100_000);
    peer.writable = false;
    peer.send(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
    peer.advance(Duration::from_secs(31));
    assert_eq!(peer.closed, Some(CloseReason::TimedOut(Timer::Write)));
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_stalled_upload_is_cut_by_the_body_timeout_without_a_408_mid_stream() {
    let mut peer = Peer::new(config()); // body_read 30 s
    let input = post_length("/up", &body(200_000));
    peer.send_in(&input[..100_000], 3_000);
    assert_eq!(peer.state(), State::Processing(Processing::ContentLength));
    peer.advance(Duration::from_secs(31));
    assert_eq!(peer.closed, Some(CloseReason::TimedOut(Timer::Body)));
    assert!(!peer.out.windows(3).any(|w| w == b"408"));
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn eof_during_a_stream_closes_after_the_queue() {
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Stream(100_000);
    peer.writable = false;
    peer.send(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
    peer.eof();
    peer.writable = true;
    peer.drive();
    assert_eq!(peer.closed, Some(CloseReason::PeerClosedMidRequest));
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn shutdown_during_a_stream_closes_once_it_is_finished() {
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Stream(30_000);
    peer.writable = false;
    peer.send(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n");
    peer.shutdown();
    peer.writable = true;
    peer.drive();
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].body.len(), 30_000);
    assert_eq!(peer.closed, Some(CloseReason::Shutdown));
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_large_body_answered_at_once_is_never_read_or_parsed() {
    let fake = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3_000);
    let mut input = post_length("/up", &fake);
    input.extend_from_slice(b"GET /real HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut handler = Plain {
        early: true,
        ..Plain::default()
    };
    let (mut conn, pool, out, fed) = run_raw(&mut handler, &mut (), &input, 3_000);
    let responses = conn_util::parse_responses(&out);
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].code, 200);
    assert!(
        responses[0].closes(),
        "the body is unread: the connection closes"
    );
    assert_eq!(conn.poll_close(), Some(CloseReason::Done));
    assert_eq!(handler.calls, 1);
    assert!(fed < input.len());
    assert_eq!(in_use(&pool), 0);
}

/// Takes large bodies with [`Early`], which answers at the first part.
#[derive(Default)]
struct EarlyAnswer {
    close: bool,
    parts: usize,
    handled: Vec<String>,
    ends: Vec<End>,
}

/// Answers at its first part, then ignores the rest; `close` asks to close.
#[derive(Debug)]
struct Early;

impl Handler for EarlyAnswer {
    type State = Self;
    type Body = Never;
    type Consumer = Early;

    fn state(&mut self) -> &mut Self {
        self
    }

    fn handle(
        &mut self,
        req: &Request<'_>,
        body: RequestBody<'_>,
        res: &mut Responder<'_, Never, Early>,
    ) {
        if body.is_large() {
            res.consume(Early).unwrap();
            return;
        }
        self.handled.push(req.path().to_string());
        let _ = res.send(Status::OK, &[], b"ok");
    }
}

impl Consumer<EarlyAnswer, Never> for Early {
    fn consume(
        &mut self,
        app: &mut EarlyAnswer,
        _part: &[u8],
        _last: bool,
        res: &mut Responder<'_, Never, Early>,
    ) {
        app.parts += 1;
        if app.close {
            res.close();
        }
        if !res.is_answered() {
            res.send(Status::ACCEPTED, &[], b"early").unwrap();
        } else {
            assert_eq!(
                res.send(Status::OK, &[], b""),
                Err(aurora_core::conn::RespondError::AlreadySent)
            );
        }
    }

    fn end(&mut self, app: &mut EarlyAnswer, how: End) {
        app.ends.push(how);
    }
}

#[test]
fn an_early_answer_drains_the_body_or_closes_and_never_parses_it() {
    // A body that looks like requests, followed by a real one.
    let fake = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3_000);
    let mut input = post_length("/up", &fake);
    input.extend_from_slice(b"GET /real HTTP/1.1\r\nHost: x\r\n\r\n");
    for close in [false, true] {
        let mut handler = EarlyAnswer {
            close,
            ..EarlyAnswer::default()
        };
        let (mut conn, pool, out, _) = run_raw(&mut handler, &mut (), &input, 3_000);
        let codes: Vec<u16> = conn_util::parse_responses(&out)
            .iter()
            .map(|r| r.code)
            .collect();
        assert_eq!(handler.ends, [End::Completed], "the consumer is told once");
        if close {
            assert_eq!(codes, [202]);
            assert_eq!(handler.parts, 1);
            assert_eq!(conn.poll_close(), Some(CloseReason::Done));
            assert!(handler.handled.is_empty());
        } else {
            assert_eq!(
                codes,
                [202, 200],
                "the body was drained, then /real answered"
            );
            assert!(handler.parts > 1);
            assert_eq!(handler.handled, ["/real"]);
            assert_eq!(conn.state(), State::KeepAlive);
        }
        assert_eq!(in_use(&pool), 0, "close {close}");
    }
}
