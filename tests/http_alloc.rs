//! The steady state allocates nothing: after 1,000 warm-up requests, 10,000 more keep-alive
//! requests must not allocate in any thread of the process (server workers included).
//!
//! A counting global allocator sees every allocation. The test's own client is built before
//! the window and uses only preallocated buffers inside it. This file holds one test so that
//! nothing else in the binary runs during the window.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

#[path = "util/counting.rs"]
mod counting;
mod util;

use std::io::{Read, Write};
use std::net::TcpStream;

const WARM_UP: usize = 1_000;
const MEASURED: usize = 10_000;

/// A GET and an echo, alternating, so both the read and the write paths are exercised.
const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n";
const POST: &[u8] = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello there";

/// A client that allocates nothing per request: fixed buffers, httparse on the stack.
struct Client {
    stream: TcpStream,
    buf: [u8; 4096],
}

impl Client {
    /// Sends `request` and reads its whole response; returns its status and body length.
    fn exchange(&mut self, request: &[u8]) -> (u16, usize) {
        self.stream.write_all(request).unwrap();
        let mut filled = 0;
        loop {
            let n = self.stream.read(&mut self.buf[filled..]).unwrap();
            assert!(n > 0, "closed by the server");
            filled += n;
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut resp = httparse::Response::new(&mut headers);
            let httparse::Status::Complete(head) = resp.parse(&self.buf[..filled]).unwrap() else {
                continue;
            };
            let code = resp.code.unwrap();
            let length: usize = resp
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map(|h| {
                    std::str::from_utf8(h.value)
                        .unwrap()
                        .parse::<usize>()
                        .unwrap()
                })
                .unwrap();
            let closes = resp
                .headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case("connection") && h.value == b"close");
            assert!(!closes, "the server closed a keep-alive connection");
            if filled == head + length {
                return (code, length);
            }
            assert!(filled < head + length, "more bytes than one response");
        }
    }
}

#[test]
fn steady_state_allocates_nothing() {
    let server = util::Server::with(|o| {
        o.config.max_requests_per_connection = u32::MAX;
    });
    let stream = TcpStream::connect(server.addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(util::IO_TIMEOUT)).unwrap();
    let mut client = Client {
        stream,
        buf: [0; 4096],
    };

    for i in 0..WARM_UP {
        let request = if i % 2 == 0 { GET } else { POST };
        assert_eq!(client.exchange(request).0, 200);
    }
    let before = counting::allocations();
    let mut failures = 0usize;
    for i in 0..MEASURED {
        let request = if i % 2 == 0 { GET } else { POST };
        let (code, length) = client.exchange(request);
        if code != 200 || length != if i % 2 == 0 { 13 } else { 11 } {
            failures += 1;
        }
    }
    let after = counting::allocations();
    assert_eq!(failures, 0, "bad responses in the measured window");
    assert_eq!(
        after - before,
        0,
        "{} allocations during {MEASURED} requests",
        after - before
    );
}
