//! One connection driven step by step on virtual time, its output checked with httparse.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod conn_util;

use aurora_core::config::ServerConfig;
use aurora_core::conn::{CloseReason, Processing, State, Timer};
use aurora_core::mem::buffer_pool::SizeClass;
use aurora_core::time::Duration;
use conn_util::{Mode, Peer, Seen, pool_of};

const GET: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";

fn config() -> ServerConfig {
    ServerConfig::DEFAULT
}

fn seen(method: &str, path: &str, body: &[u8]) -> Seen {
    Seen {
        method: method.into(),
        path: path.into(),
        body: body.to_vec(),
    }
}

#[test]
fn simple_get() {
    let mut peer = Peer::new(config());
    assert_eq!(peer.state(), State::New);
    assert_eq!(peer.send(GET), GET.len());
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].code, 200);
    assert_eq!(responses[0].body, b"GET /a ");
    assert!(!responses[0].closes());
    assert_eq!(peer.state(), State::KeepAlive);
    assert_eq!(peer.closed, None);
    assert_eq!(peer.in_use(), 0, "the read buffer goes back while idle");
}

#[test]
fn keep_alive_serves_several_requests() {
    let mut peer = Peer::new(config());
    for i in 0..5 {
        let req = format!("GET /{i} HTTP/1.1\r\nHost: x\r\n\r\n");
        peer.send(req.as_bytes());
        peer.advance(Duration::from_secs(1));
    }
    let responses = peer.responses();
    assert_eq!(responses.len(), 5);
    for (i, resp) in responses.iter().enumerate() {
        assert_eq!(resp.body, format!("GET /{i} ").into_bytes());
        assert!(!resp.closes());
    }
    assert_eq!(peer.conn.requests_served(), 5);
    assert_eq!(peer.state(), State::KeepAlive);
}

#[test]
fn http10_closes_after_the_response() {
    let mut peer = Peer::new(config());
    peer.send(b"GET / HTTP/1.0\r\n\r\n");
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert!(responses[0].closes());
    assert_eq!(peer.state(), State::Closed);
    assert_eq!(peer.closed, Some(CloseReason::Done));
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn http10_keep_alive_stays_open() {
    let mut peer = Peer::new(config());
    peer.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    peer.send(b"GET / HTTP/1.0\r\n\r\n");
    let responses = peer.responses();
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0].header("connection"), Some(&b"keep-alive"[..]));
    assert!(responses[1].closes());
    assert_eq!(peer.closed, Some(CloseReason::Done));
}

#[test]
fn connection_close_request() {
    let mut peer = Peer::new(config());
    peer.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n");
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert!(responses[0].closes());
    assert_eq!(peer.app.seen.len(), 1);
    assert_eq!(peer.closed, Some(CloseReason::Done));
}

#[test]
fn pipelined_requests_answered_in_one_write() {
    let mut peer = Peer::new(config());
    let three = b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n";
    peer.send(three);
    assert_eq!(peer.batches.len(), 1, "one write for three responses");
    let bodies: Vec<_> = peer.responses().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies, [&b"GET /1 "[..], b"GET /2 ", b"GET /3 "]);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn request_split_byte_by_byte() {
    let mut peer = Peer::new(config());
    let req = b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /q HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_eq!(peer.send_in(req, 1), req.len());
    assert_eq!(
        peer.app.seen,
        [seen("POST", "/p", b"hello"), seen("GET", "/q", b"")]
    );
    assert_eq!(peer.responses().len(), 2);
}

#[test]
fn content_length_body_reaches_the_handler_whole() {
    let mut peer = Peer::new(config());
    peer.send(b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello");
    assert_eq!(peer.state(), State::Processing(Processing::ContentLength));
    assert!(peer.app.seen.is_empty());
    peer.send(b" world");
    assert_eq!(peer.app.seen, [seen("POST", "/p", b"hello world")]);
    assert_eq!(peer.responses()[0].body, b"POST /p hello world");
}

#[test]
fn chunked_body_reaches_the_handler_decoded() {
    let mut peer = Peer::new(config());
    peer.send(b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    assert_eq!(peer.state(), State::Processing(Processing::Chunked));
    peer.send(
        b"lo\r\n6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert_eq!(
        peer.app.seen,
        [
            seen("POST", "/c", b"hello world"),
            seen("GET", "/after", b"")
        ]
    );
    assert_eq!(peer.responses().len(), 2);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn chunked_body_split_byte_by_byte() {
    let mut peer = Peer::new(config());
    let req = b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    peer.send_in(req, 1);
    assert_eq!(peer.app.seen, [seen("POST", "/c", b"abcde")]);
}

#[test]
fn expect_continue_sends_100_before_the_body() {
    let mut peer = Peer::new(config());
    peer.send(b"PUT /u HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    assert_eq!(peer.out, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert_eq!(
        peer.state(),
        State::Processing(Processing::AwaitingContinue)
    );
    peer.send(b"abc");
    let responses = peer.responses();
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0].code, 100);
    assert_eq!(responses[1].code, 200);
    assert_eq!(responses[1].body, b"PUT /u abc");
}

#[test]
fn expect_continue_not_sent_when_the_body_is_already_here() {
    let mut peer = Peer::new(config());
    peer.send(
        b"PUT /u HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    );
    let codes: Vec<_> = peer.responses().iter().map(|r| r.code).collect();
    assert_eq!(codes, [200]);
}

#[test]
fn expect_continue_not_sent_for_413() {
    let mut config = config();
    config.limits.max_body_bytes = 10;
    let mut peer = Peer::new(config);
    peer.send(b"PUT /u HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n");
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].code, 413);
    assert!(responses[0].closes());
    assert_eq!(
        peer.closed,
        Some(CloseReason::Rejected(
            aurora_core::http::Status::PAYLOAD_TOO_LARGE
        ))
    );
}

/// Each limit or rule: the request, a tweak of the config, the status, all closing.
#[test]
fn errors_answer_with_their_status_and_close() {
    fn small(config: &mut ServerConfig) {
        config.limits.max_body_bytes = 8;
        config.limits.max_target_bytes = 32;
        config.limits.max_head_bytes = 512;
        config.limits.max_headers = 4;
    }
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(40));
    let big_head = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX: {}\r\n\r\n",
        "v".repeat(600)
    );
    let many = "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n".to_string();
    let cases: &[(&[u8], u16)] = &[
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\nHost: x\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n123456789", 413),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab", 400),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n0\r\n\r\n", 413),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (long_target.as_bytes(), 414),
        (big_head.as_bytes(), 431),
        (many.as_bytes(), 431),
    ];
    for &(input, code) in cases {
        let mut config = config();
        small(&mut config);
        let mut peer = Peer::new(config);
        peer.send(input);
        let responses = peer.responses();
        let shown = String::from_utf8_lossy(input);
        assert_eq!(responses.len(), 1, "{shown}");
        assert_eq!(responses[0].code, code, "{shown}");
        assert!(responses[0].closes(), "{shown}");
        assert_eq!(peer.state(), State::Closed, "{shown}");
        assert!(matches!(peer.closed, Some(CloseReason::Rejected(s)) if s.code() == code));
        assert!(peer.app.seen.is_empty(), "{shown}");
        assert_eq!(peer.in_use(), 0, "{shown}");
    }
}

#[test]
fn a_rejected_body_is_never_parsed_as_a_request() {
    let mut config = config();
    config.limits.max_body_bytes = 4;
    let mut peer = Peer::new(config);
    peer.send(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
    );
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].code, 413);
    assert!(peer.app.seen.is_empty());
}

#[test]
fn max_requests_per_connection() {
    let mut config = config();
    config.max_requests_per_connection = 2;
    let mut peer = Peer::new(config);
    let three = b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n";
    peer.send(three);
    let responses = peer.responses();
    assert_eq!(responses.len(), 2);
    assert!(!responses[0].closes());
    assert!(responses[1].closes());
    assert_eq!(peer.closed, Some(CloseReason::Done));
}

#[test]
fn header_timeout_cannot_be_extended_by_trickling() {
    let mut peer = Peer::new(config()); // header_read 10 s
    peer.advance(Duration::from_secs(3));
    let start = peer.now;
    let head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 0123456789\r\n";
    let mut sent = 0;
    while peer.closed.is_none() && sent < head.len() {
        peer.send(&head[sent..sent + 1]);
        sent += 1;
        peer.advance(Duration::from_millis(900));
    }
    assert_eq!(peer.closed, Some(CloseReason::TimedOut(Timer::Header)));
    assert_eq!(
        peer.now.saturating_duration_since(start),
        Duration::from_millis(10_800)
    );
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].code, 408);
    assert!(responses[0].closes());
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn header_timeout_for_a_silent_new_connection_is_quiet() {
    let mut peer = Peer::new(config());
    peer.advance(Duration::from_secs(11));
    assert_eq!(peer.closed, Some(CloseReason::TimedOut(Timer::Header)));
    assert!(peer.out.is_empty());
}

#[test]
fn body_timeout_answers_408() {
    let mut peer = Peer::new(config()); // body_read 30 s
    peer.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
    peer.advance(Duration::from_secs(20));
    peer.send(b"678");
    peer.advance(Duration::from_secs(29));
    assert_eq!(peer.closed, None, "progress restarts the body deadline");
    peer.advance(Duration::from_secs(2));
    assert_eq!(peer.closed, Some(CloseReason::TimedOut(Timer::Body)));
    assert_eq!(peer.responses()[0].code, 408);
}

#[test]
fn keep_alive_idle_timeout_closes_quietly() {
    let mut peer = Peer::new(config()); // keep_alive_idle 15 s
    peer.send(GET);
    let written = peer.out.len();
    peer.advance(Duration::from_secs(14));
    assert_eq!(peer.state(), State::KeepAlive);
    peer.advance(Duration::from_secs(2));
    assert_eq!(peer.closed, Some(CloseReason::TimedOut(Timer::Idle)));
    assert_eq!(peer.out.len(), written);
}

#[test]
fn write_timeout_closes_without_a_response() {
    let mut peer = Peer::new(config()); // write 30 s
    peer.writable = false;
    peer.send(GET);
    assert_eq!(peer.state(), State::WritingResponse);
    assert_eq!(
        peer.conn.poll_timeout(),
        Some(peer.now + Duration::from_secs(30))
    );
    peer.advance(Duration::from_secs(31));
    assert_eq!(peer.closed, Some(CloseReason::TimedOut(Timer::Write)));
    assert_eq!(peer.conn.poll_transmit(&peer.pool), None);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn partial_writes_deliver_every_byte() {
    let mut peer = Peer::new(config());
    peer.write_limit = 7;
    peer.send(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
    let bodies: Vec<_> = peer.responses().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies, [&b"GET /1 "[..], b"GET /2 "]);
}

#[test]
fn read_buffer_is_held_only_while_a_request_is_buffered() {
    let mut peer = Peer::new(config());
    assert_eq!(peer.in_use(), 0);
    peer.send(b"GET / HTTP/1.1\r\n");
    assert_eq!(peer.pool.stats(SizeClass::Kib4).in_use, 1);
    peer.send(b"Host: x\r\n\r\n");
    assert_eq!(peer.in_use(), 0);
    assert_eq!(peer.conn.read_buffer(), None);
}

#[test]
fn big_head_grows_the_buffer_4k_to_16k() {
    let mut peer = Peer::new(config()); // max_head_bytes 8 KiB
    let head = format!(
        "GET /big HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(6000)
    );
    peer.send(head.as_bytes());
    assert_eq!(peer.responses()[0].code, 200);
    assert_eq!(peer.pool.stats(SizeClass::Kib16).acquires, 1);
    assert_eq!(peer.in_use(), 0);
}

/// The default config, with connections starting in 1 KiB (`pools.start_bytes = 1024`).
fn start_1k() -> ServerConfig {
    let mut config = config();
    config.pools.start_class = SizeClass::Kib1;
    config
}

/// From a 1 KiB start, a small request and its response stay in 1 KiB buffers; a larger head
/// grows the read buffer one class at a time; a head over `limits.max_head_bytes` (8 KiB) is
/// 431 wherever it got to.
#[test]
fn a_1k_start_grows_only_for_a_larger_head() {
    // (bytes of an extra header, status, acquires per class from 1 KiB up)
    let rows: [(usize, u16, [u64; 5]); 5] = [
        // The read buffer and the output queue, both 1 KiB.
        (0, 200, [2, 0, 0, 0, 0]),
        (900, 200, [2, 0, 0, 0, 0]),
        (2_000, 200, [2, 1, 0, 0, 0]),
        (6_000, 200, [2, 1, 1, 0, 0]),
        (9_000, 431, [2, 1, 1, 0, 0]),
    ];
    for (extra, code, acquires) in rows {
        let mut peer = Peer::with_pool(start_1k(), pool_of([2, 2, 1, 1, 0]));
        let head = format!(
            "GET /a HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "b".repeat(extra)
        );
        peer.send(head.as_bytes());
        let responses = peer.responses();
        assert_eq!(responses.len(), 1, "{extra}");
        assert_eq!(responses[0].code, code, "{extra}");
        assert_eq!(peer.acquires(), acquires, "{extra}");
        assert_eq!(peer.in_use(), 0, "{extra}");
    }
}

/// From a 1 KiB start, pipelined responses share the 1 KiB queue while they fit; one that does
/// not fit an empty queue grows it, and one that does not fit behind another waits for the
/// queue to drain.
#[test]
fn a_1k_start_grows_the_queue_for_pipelined_responses() {
    let two = b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
    // (response body bytes, acquires per class from 1 KiB up); the handler is called once
    // per request whatever the space.
    let rows: [(usize, [u64; 5]); 4] = [
        // Both in one 1 KiB queue.
        (300, [2, 0, 0, 0, 0]),
        // The first leaves room below 1 KiB queued: the second is answered at once and the
        // queue grows to 4 KiB for it.
        (600, [2, 1, 0, 0, 0]),
        // The queue grows to 4 KiB for the first; with a start buffer's worth queued the
        // second waits for it to be written, then reuses the queue.
        (3_000, [2, 1, 0, 0, 0]),
        (10_000, [2, 0, 1, 0, 0]),
    ];
    for (size, acquires) in rows {
        let mut peer = Peer::with_pool(start_1k(), pool_of([2, 2, 1, 1, 0]));
        peer.app.mode = Mode::Sized(size);
        peer.writable = false;
        peer.send(two);
        peer.writable = true;
        peer.drive();
        let responses = peer.responses();
        assert_eq!(responses.len(), 2, "{size}");
        assert!(
            responses
                .iter()
                .all(|r| r.code == 200 && r.body.len() == size),
            "{size}"
        );
        assert_eq!(peer.app.calls, 2, "{size}");
        assert_eq!(peer.acquires(), acquires, "{size}");
        assert_eq!(peer.state(), State::KeepAlive, "{size}");
        assert_eq!(peer.in_use(), 0, "{size}");
    }
}

/// A 256 KiB start class (the largest) serves requests too.
#[test]
fn a_256k_start_serves() {
    let mut config = config();
    config.pools.start_class = SizeClass::Kib256;
    let mut peer = Peer::with_pool(config, pool_of([0, 0, 0, 0, 2]));
    peer.send(GET);
    peer.send(GET);
    let responses = peer.responses();
    assert_eq!(responses.len(), 2);
    assert!(responses.iter().all(|r| r.code == 200));
    assert_eq!(peer.acquires(), [0, 0, 0, 0, 4]);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn eof_at_a_request_boundary_closes_quietly() {
    let mut peer = Peer::new(config());
    peer.send(GET);
    peer.eof();
    assert_eq!(peer.closed, Some(CloseReason::PeerClosed));
    assert_eq!(peer.responses().len(), 1);
}

#[test]
fn eof_mid_request_drops_it() {
    let mut peer = Peer::new(config());
    peer.send(b"GET / HTTP/1.1\r\nHo");
    peer.eof();
    assert_eq!(peer.closed, Some(CloseReason::PeerClosedMidRequest));
    assert!(peer.out.is_empty());
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn head_request_gets_no_body() {
    let mut peer = Peer::new(config());
    peer.send(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
    let text = String::from_utf8(peer.out.clone()).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(text.contains("Content-Length: 8\r\n"));
    assert!(text.ends_with("\r\n\r\n"));
}

#[test]
fn a_handler_that_does_not_answer_earns_500_and_close() {
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Silent;
    peer.send(GET);
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].code, 500);
    assert!(responses[0].closes());
}

#[test]
fn a_pipelined_request_waits_while_a_start_buffer_of_output_is_queued() {
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Sized(5000);
    peer.writable = false;
    peer.send(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(peer.state(), State::WritingResponse);
    assert_eq!(peer.app.seen.len(), 1);
    peer.writable = true;
    peer.drive();
    let responses = peer.responses();
    assert_eq!(responses.len(), 2);
    assert!(
        responses
            .iter()
            .all(|r| r.code == 200 && r.body.len() == 5000)
    );
    assert_eq!(peer.app.seen.len(), 2);
    assert_eq!(peer.app.calls, 2, "each request was handed over once");
    assert_eq!(peer.state(), State::KeepAlive);
}

#[test]
fn a_response_larger_than_the_output_space_is_500() {
    // The test pool's largest class is 64 KiB: the queue grows to it and no further.
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Sized(70_000);
    peer.send(GET);
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].code, 500);
    assert_eq!(peer.in_use(), 0, "every buffer went back");
}

#[test]
fn a_large_response_grows_the_queue_and_gives_it_back() {
    let mut peer = Peer::new(config());
    peer.app.mode = Mode::Sized(20_000);
    peer.send(GET);
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].code, 200);
    assert_eq!(responses[0].body.len(), 20_000);
    assert_eq!(peer.state(), State::KeepAlive);
    assert_eq!(peer.in_use(), 0, "an idle connection holds no buffer");
}

#[test]
fn events_report_responses_and_refusals() {
    use aurora_core::conn::{ConnEvent, RejectCause};
    use aurora_core::http::Status;
    use aurora_core::http::request::RequestError;
    let mut peer = Peer::new(config());
    peer.send(GET);
    peer.send(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    let events = &peer.events.0;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(events[0], ConnEvent::Response { status, .. } if status == Status::OK));
    assert!(matches!(
        events[1],
        ConnEvent::Rejected { status, cause: RejectCause::Request(RequestError::DuplicateHost) }
            if status == Status::BAD_REQUEST
    ));
}

#[test]
fn shutdown_closes_an_idle_connection_and_marks_the_next_response() {
    let mut peer = Peer::new(config());
    peer.send(b"GET / HTTP/1.1\r\nHost: x\r\n");
    {
        let mut env = aurora_core::conn::Env {
            pool: &mut peer.pool,
            handler: &mut peer.app,
            date: None,
            spans: &mut peer.spans,
            observer: &mut peer.events,
            arena: None,
            peer: None,
        };
        peer.conn.shutdown(peer.now, &mut env);
    }
    assert_eq!(
        peer.state(),
        State::ReadingHeaders,
        "a request in flight finishes"
    );
    peer.send(b"\r\n");
    let responses = peer.responses();
    assert_eq!(responses.len(), 1);
    assert!(responses[0].closes());
    assert_eq!(peer.closed, Some(CloseReason::Shutdown));

    let mut idle = Peer::new(config());
    idle.send(GET);
    assert_eq!(idle.state(), State::KeepAlive);
    idle.shutdown();
    assert_eq!(idle.closed, Some(CloseReason::Shutdown));
    assert_eq!(idle.in_use(), 0);
}

#[test]
fn date_and_server_headers_come_from_the_env_and_config() {
    use aurora_core::conn::{Connection, Env, RequestBody, Responder, Spans};
    use aurora_core::http::Status;
    use aurora_core::http::date::Date;
    use aurora_core::http::header::HeaderSpan;
    use aurora_core::http::request::Request;
    use aurora_core::time::Instant;

    let mut config = config();
    config.server_header = Some("aurora");
    let mut pool = conn_util::pool(2, 0, 0);
    let mut table = [HeaderSpan::EMPTY; 8];
    let mut spans = Spans::new(&mut table);
    let mut handler = |_: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_>| {
        res.close();
        res.send(Status::NOT_FOUND, &[], b"no").unwrap();
    };
    let date = Date::from_unix_secs(784_111_777);
    let now = Instant::ZERO;
    let mut conn = Connection::new(&config, now);
    let space = conn.read_buf(&mut pool).unwrap();
    space[..GET.len()].copy_from_slice(GET);
    let mut env = Env {
        pool: &mut pool,
        handler: &mut handler,
        date: Some(&date),
        spans: &mut spans,
        observer: &mut (),
        arena: None,
        peer: None,
    };
    conn.handle_read(GET.len(), now, &mut env);
    let out = conn.poll_transmit(env.pool).unwrap().to_vec();
    let resp = &conn_util::parse_responses(&out)[0];
    assert_eq!(resp.code, 404);
    assert_eq!(
        resp.header("date"),
        Some(&b"Sun, 06 Nov 1994 08:49:37 GMT"[..])
    );
    assert_eq!(resp.header("server"), Some(&b"aurora"[..]));
    assert!(resp.closes(), "the handler asked to close");
    conn.handle_written(out.len(), now, &mut env);
    assert_eq!(conn.poll_close(), Some(CloseReason::Done));
    assert_eq!(conn.poll_close(), None);
    assert_eq!(pool.stats(SizeClass::Kib4).in_use, 0);
}

#[test]
fn a_connection_is_small_because_it_owns_no_buffers() {
    let size = core::mem::size_of::<aurora_core::conn::Connection<conn_util::App>>();
    println!("size_of::<Connection>() = {size}");
    assert!(size <= 512, "Connection grew to {size} bytes");
}

#[test]
fn the_arena_is_offered_to_each_handler_call_and_reset_after_it() {
    use aurora_core::conn::{Connection, Env, RequestBody, Responder, Spans};
    use aurora_core::http::Status;
    use aurora_core::http::header::HeaderSpan;
    use aurora_core::http::request::Request;
    use aurora_core::mem::arena::Arena;
    use aurora_core::time::Instant;

    let mut pool = conn_util::pool(2, 0, 0);
    let mut table = [HeaderSpan::EMPTY; 8];
    let mut spans = Spans::new(&mut table);
    let mut bump = [0u8; 256];
    let mut arena = Arena::new(&mut bump);
    let mut seen = Vec::new();
    let mut handler = |req: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_>| {
        let arena = res.arena().expect("the connection offers its arena");
        seen.push(arena.stats().bytes_used);
        // Build the body in the arena: the path, upper-cased.
        let body = arena.alloc_copy(req.path().as_bytes()).unwrap();
        body.make_ascii_uppercase();
        res.send(Status::OK, &[], body).unwrap();
    };
    let now = Instant::ZERO;
    let mut conn = Connection::new(&config(), now);
    let two = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /bb HTTP/1.1\r\nHost: x\r\n\r\n";
    let space = conn.read_buf(&mut pool).unwrap();
    space[..two.len()].copy_from_slice(two);
    let mut env = Env {
        pool: &mut pool,
        handler: &mut handler,
        date: None,
        spans: &mut spans,
        observer: &mut (),
        arena: Some(&mut arena),
        peer: None,
    };
    conn.handle_read(two.len(), now, &mut env);
    let out = conn.poll_transmit(env.pool).unwrap().to_vec();
    let responses = conn_util::parse_responses(&out);
    assert_eq!(responses[0].body, b"/A");
    assert_eq!(responses[1].body, b"/BB");
    assert_eq!(seen, [0, 0], "each call starts with an empty arena");
    assert_eq!(arena.stats().resets, 2);
    assert_eq!(arena.stats().bytes_used, 0);
}

#[test]
fn a_head_is_parsed_again_only_when_another_connection_parsed_in_between() {
    use aurora_core::conn::{Connection, Env, RequestBody, Responder, Spans};
    use aurora_core::http::Status;
    use aurora_core::http::header::HeaderSpan;
    use aurora_core::http::request::Request;
    use aurora_core::mem::buffer_pool::BufferPool;
    use aurora_core::time::Instant;

    type Handler = fn(&Request<'_>, RequestBody<'_>, &mut Responder<'_>);
    fn answer(req: &Request<'_>, _: RequestBody<'_>, res: &mut Responder<'_>) {
        assert_eq!(
            req.headers().get("x-mine"),
            Some(&b"yes"[..]),
            "the right head"
        );
        res.send(Status::OK, &[], b"").unwrap();
    }
    /// Feeds `bytes` to `conn`.
    fn feed(
        conn: &mut Connection<Handler>,
        bytes: &[u8],
        pool: &mut BufferPool<'static>,
        spans: &mut Spans<'static>,
    ) {
        let mut handler: Handler = answer;
        let space = conn.read_buf(pool).unwrap();
        space[..bytes.len()].copy_from_slice(bytes);
        let mut env = Env {
            pool,
            handler: &mut handler,
            date: None,
            spans,
            observer: &mut (),
            arena: None,
            peer: None,
        };
        conn.handle_read(bytes.len(), Instant::ZERO, &mut env);
    }
    let head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Mine: yes\r\nContent-Length: 4\r\n\r\n";
    let other = b"GET / HTTP/1.1\r\nHost: y\r\nX-Mine: yes\r\nX-Other: 1\r\n\r\n";
    let mut pool = conn_util::pool(4, 0, 0);
    let mut spans = Spans::new(Box::leak(Box::new([HeaderSpan::EMPTY; 8])));

    // Alone: the body's arrival hands over the head parsed when it came.
    let mut a = Connection::new(&config(), Instant::ZERO);
    feed(&mut a, head, &mut pool, &mut spans);
    let before = spans.parses();
    feed(&mut a, b"body", &mut pool, &mut spans);
    assert_eq!(spans.parses(), before, "no parse again");

    // Another connection parsed in between: the head is parsed again before it is handed over.
    let mut b = Connection::new(&config(), Instant::ZERO);
    let mut c = Connection::new(&config(), Instant::ZERO);
    feed(&mut b, head, &mut pool, &mut spans);
    feed(&mut c, other, &mut pool, &mut spans);
    let before = spans.parses();
    feed(&mut b, b"body", &mut pool, &mut spans);
    assert_eq!(spans.parses(), before + 1, "parsed again once");
}
