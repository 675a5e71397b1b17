//! The WebSocket steady state allocates nothing: after 1,000 warm-up messages on `/api/ws` of
//! the device application, 10,000 more echoed messages (text and binary, one in two past the
//! read buffer so it travels in parts) must not allocate in any thread of the process.
//!
//! A counting global allocator sees every allocation. The client is hand-written over fixed
//! buffers (masking in place) so that it allocates nothing inside the window. This file
//! holds one test so that nothing else in the binary runs during the window.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

#[path = "util/counting.rs"]
mod counting;
mod util;

use std::io::{Read, Write};
use std::net::TcpStream;

use aurora_apps::device::{Device, Local};
use aurora_core::metrics::Renderer;

const WARM_UP: usize = 1_000;
const MEASURED: usize = 10_000;

/// A short text message and a binary one past the 4 KiB read buffer.
const SHORT: usize = 32;
const LONG: usize = 6_000;

/// A client over fixed buffers: frames are written masked from `out`, echoes read into `buf`.
struct Client {
    stream: TcpStream,
    out: [u8; LONG + 14],
    buf: [u8; 16 * 1024],
}

impl Client {
    /// Sends one masked message of `len` bytes (`opcode` 1 or 2) and reads its echo; returns
    /// whether the echo came back whole and unchanged.
    fn exchange(&mut self, opcode: u8, len: usize, seed: u8) -> bool {
        let mask = [0x11, 0x22, 0x33, 0x44];
        self.out[0] = 0x80 | opcode;
        let at = if len < 126 {
            self.out[1] = 0x80 | len as u8;
            2
        } else {
            self.out[1] = 0x80 | 126;
            self.out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            4
        };
        self.out[at..at + 4].copy_from_slice(&mask);
        for i in 0..len {
            self.out[at + 4 + i] = (b'a' + (i as u8 ^ seed) % 26) ^ mask[i % 4];
        }
        self.stream.write_all(&self.out[..at + 4 + len]).unwrap();
        // The echo may come fragmented: read frames until one with FIN.
        let mut got = 0;
        let mut filled = 0;
        let mut intact = true;
        loop {
            while filled < 4 || filled < header_len(&self.buf) + frame_len(&self.buf) {
                let n = self.stream.read(&mut self.buf[filled..]).unwrap();
                assert!(n > 0, "closed by the server");
                filled += n;
            }
            let (head, flen) = (header_len(&self.buf), frame_len(&self.buf));
            let fin = self.buf[0] & 0x80 != 0;
            for i in 0..flen {
                let want = b'a' + ((got + i) as u8 ^ seed) % 26;
                intact &= self.buf[head + i] == want;
            }
            got += flen;
            let end = head + flen;
            self.buf.copy_within(end..filled, 0);
            filled -= end;
            if fin {
                assert_eq!(filled, 0, "more than one echo");
                return intact && got == len;
            }
        }
    }
}

/// The length of the (unmasked) server frame header at the start of `buf`.
fn header_len(buf: &[u8]) -> usize {
    match buf[1] & 0x7F {
        126 => 4,
        127 => 10,
        _ => 2,
    }
}

/// The payload length of the server frame at the start of `buf`.
fn frame_len(buf: &[u8]) -> usize {
    match buf[1] & 0x7F {
        126 => u16::from_be_bytes([buf[2], buf[3]]) as usize,
        127 => u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
        n => n as usize,
    }
}

#[test]
fn steady_state_messages_allocate_nothing() {
    let running = aurora_linux::start(util::options(), |_| {
        Device::new(|_: &mut Renderer<'_>| Ok(()), Local::default())
    })
    .expect("the server starts");
    let mut stream = TcpStream::connect(running.local_addr()).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(util::IO_TIMEOUT)).unwrap();
    stream
        .write_all(
            b"GET /api/ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .unwrap();
    let mut head = [0u8; 512];
    let mut filled = 0;
    while !head[..filled].ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut head[filled..filled + 1]).unwrap();
        assert!(n > 0, "closed before the 101");
        filled += n;
    }
    assert!(head.starts_with(b"HTTP/1.1 101 "));
    let mut client = Client {
        stream,
        out: [0; LONG + 14],
        buf: [0; 16 * 1024],
    };
    let message = |i: usize| {
        if i.is_multiple_of(2) {
            (1, SHORT)
        } else {
            (2, LONG)
        }
    };

    for i in 0..WARM_UP {
        let (opcode, len) = message(i);
        assert!(client.exchange(opcode, len, i as u8));
    }
    let before = counting::allocations();
    let mut failures = 0usize;
    for i in 0..MEASURED {
        let (opcode, len) = message(i);
        if !client.exchange(opcode, len, i as u8) {
            failures += 1;
        }
    }
    let after = counting::allocations();
    assert_eq!(failures, 0, "bad echoes in the measured window");
    assert_eq!(
        after - before,
        0,
        "{} allocations during {MEASURED} messages",
        after - before
    );
    running.stop_handle().stop();
    running.join().unwrap();
}
