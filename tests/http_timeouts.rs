//! Each connection deadline with short values: an unfinished head or body gets `408` and the
//! close, an idle connection closes quietly, and a peer trickling bytes cannot stretch the
//! header deadline.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use std::io::Write;
use std::time::{Duration, Instant};

use aurora_core::time::Duration as CoreDuration;
use util::{Server, get};

const SHORT: CoreDuration = CoreDuration::from_millis(400);
const SHORT_STD: Duration = Duration::from_millis(400);
/// Scheduling slack on a busy two-core machine.
const SLACK: Duration = Duration::from_millis(2500);

fn server() -> Server {
    Server::with(|o| {
        o.config.timeouts.header_read = SHORT;
        o.config.timeouts.body_read = SHORT;
        o.config.timeouts.keep_alive_idle = SHORT;
    })
}

fn assert_elapsed(since: Instant, what: &str) {
    let took = since.elapsed();
    assert!(
        took >= SHORT_STD,
        "{what} after {took:?}, before its deadline"
    );
    assert!(
        took < SHORT_STD + SLACK,
        "{what} after {took:?}, far past its deadline"
    );
}

#[test]
fn unfinished_head_is_408() {
    let server = server();
    let mut client = server.connect();
    let start = Instant::now();
    client.send(b"GET / HTTP/1.1\r\nHost: t\r\n");
    let resp = client.response();
    assert_elapsed(start, "408");
    assert_eq!(resp.code, 408);
    assert!(resp.closes());
    client.assert_closed();
}

#[test]
fn silent_new_connection_closes_at_the_header_deadline() {
    let server = server();
    // The header deadline runs from the server's accept, which may come before `connect`
    // returns here: so the clock starts before connecting.
    let start = Instant::now();
    let mut client = server.connect();
    // Either a quiet close or a 408, but within the deadline's reach.
    match client.read(false).expect("a close or a response") {
        None => {}
        Some(resp) => {
            assert_eq!(resp.code, 408);
            client.assert_closed();
        }
    }
    assert_elapsed(start, "close");
}

/// One byte every 50 ms keeps the socket busy but never finishes the head: the header
/// deadline counts from the request's first byte, so the server still cuts it there.
#[test]
fn slowloris_is_cut_at_the_header_deadline() {
    let server = server();
    let mut client = server.connect();
    let mut writer = client.stream.try_clone().unwrap();
    let start = Instant::now();
    let trickle = std::thread::spawn(move || {
        let head = b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ";
        let mut sent = 0usize;
        while start.elapsed() < Duration::from_secs(6) {
            let byte = head.get(sent).copied().unwrap_or(b'z');
            if writer.write_all(&[byte]).is_err() {
                return sent;
            }
            sent += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
        sent
    });
    let resp = client.response();
    assert_elapsed(start, "408");
    assert_eq!(resp.code, 408);
    assert!(resp.closes());
    client.assert_closed();
    let sent = trickle.join().unwrap();
    assert!(sent < 6_000 / 50, "the server kept reading the trickle");
}

#[test]
fn unfinished_body_is_408() {
    let server = server();
    let mut client = server.connect();
    client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello");
    let start = Instant::now();
    let resp = client.response();
    assert_elapsed(start, "408");
    assert_eq!(resp.code, 408);
    assert!(resp.closes());
    client.assert_closed();
}

#[test]
fn unfinished_chunked_body_is_408() {
    let server = server();
    let mut client = server.connect();
    client.send(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    let start = Instant::now();
    let resp = client.response();
    assert_elapsed(start, "408");
    assert_eq!(resp.code, 408);
    client.assert_closed();
}

/// The body deadline is a progress timeout: bytes arriving more often than it keep the
/// request alive past it.
#[test]
fn body_progress_resets_the_body_deadline() {
    let server = server();
    let mut client = server.connect();
    client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\n");
    for byte in b"abcdefgh" {
        std::thread::sleep(Duration::from_millis(100));
        client.send(&[*byte]);
    }
    let resp = client.response();
    assert_eq!(resp.code, 200);
    assert_eq!(resp.body, b"abcdefgh");
}

#[test]
fn idle_keep_alive_closes_quietly() {
    let server = server();
    let mut client = server.connect();
    // The idle deadline runs from the server's last write, which comes after the request is
    // sent but may come a few milliseconds before the client has read the response: so the
    // clock starts before the request.
    let start = Instant::now();
    assert_eq!(client.request(&get("/")).code, 200);
    client.assert_closed();
    assert_elapsed(start, "idle close");
}

#[test]
fn activity_keeps_a_connection_alive() {
    let server = server();
    let mut client = server.connect();
    for _ in 0..4 {
        assert_eq!(client.request(&get("/")).code, 200);
        std::thread::sleep(SHORT_STD / 2);
    }
    assert_eq!(client.request(&get("/")).code, 200);
}

/// A peer that sends requests but never reads the responses: once the server's queue and the
/// socket buffers are full, nothing drains, and the write deadline closes the connection.
#[test]
fn write_timeout_closes_a_peer_that_does_not_read() {
    let server = Server::with(|o| {
        o.config.timeouts.write = SHORT;
        o.config.max_requests_per_connection = u32::MAX;
    });
    let mut client = server.connect();
    let mut writer = client.stream.try_clone().unwrap();
    let request = util::with_body("POST", "/", &vec![b'w'; 32 * 1024]);
    let per_request = request.len();
    let start = Instant::now();
    let flood = std::thread::spawn(move || {
        let mut sent = 0usize;
        while start.elapsed() < Duration::from_secs(20) {
            if writer.write_all(&request).is_err() {
                break;
            }
            sent += 1;
        }
        sent
    });
    let sent = flood.join().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "the server never stopped the flood"
    );
    // What the server wrote before it gave up is still readable; then the close.
    let mut received = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match std::io::Read::read(&mut client.stream, &mut buf) {
            Ok(0) => break,
            Ok(n) => received += n,
            Err(error) if util::is_reset(&error) => break,
            Err(error) => panic!("the connection is still open: {error}"),
        }
    }
    assert!(
        received < sent * per_request,
        "every response arrived ({received} bytes), so the write deadline never mattered"
    );
    assert!(
        start.elapsed() >= SHORT_STD,
        "closed after {:?}, before the write deadline could trip (refused for another reason?)",
        start.elapsed()
    );
}
