//! The demo application behind a real [`Connection`], driven by hand: pipelining, a response
//! that waits for the queue to drain, and the `500` for one that can never fit.
//!
//! Kept to one file and one small driver so a change of the Connection API touches only
//! `Drive` below.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use aurora_core::config::ServerConfig;
use aurora_core::conn::{Connection, Env};
use aurora_core::hello::{ECHO_TYPE, GREETING, Hello};
use aurora_core::http::header::HeaderSpan;
use aurora_core::mem::buffer_pool::{BufferPool, ClassRegion, Slot};
use aurora_core::time::Instant;

type Render = fn(&mut [u8]) -> Option<usize>;

fn render(buf: &mut [u8]) -> Option<usize> {
    let text = b"# TYPE up gauge\nup 1\n";
    buf.get_mut(..text.len())?.copy_from_slice(text);
    Some(text.len())
}

/// A pool over leaked memory: 4 buffers of 4 KiB and 2 of 64 KiB.
fn pool() -> BufferPool<'static> {
    fn region(class: usize, n: usize) -> ClassRegion<'static> {
        let bytes = Box::leak(vec![0u8; class * n].into_boxed_slice());
        let slots = Box::leak(vec![Slot::EMPTY; n].into_boxed_slice());
        ClassRegion::new(bytes, slots)
    }
    BufferPool::new(
        1,
        [
            ClassRegion::empty(),
            region(4096, 4),
            region(16384, 2),
            region(65536, 2),
            ClassRegion::empty(),
        ],
    )
}

/// One connection serving [`Hello`], with its output written out `write_limit` bytes at a time.
struct Drive {
    conn: Connection<'static>,
    pool: BufferPool<'static>,
    hello: Hello<Render>,
    now: Instant,
    out: Vec<u8>,
}

impl Drive {
    fn new(tx_len: usize) -> Self {
        let tx = Box::leak(vec![0u8; tx_len].into_boxed_slice());
        let spans = Box::leak(vec![HeaderSpan::EMPTY; 32].into_boxed_slice());
        let now = Instant::from_millis(1_000);
        Self {
            conn: Connection::new(&ServerConfig::DEFAULT, tx, spans, now),
            pool: pool(),
            hello: Hello::new(render as Render),
            now,
            out: Vec::new(),
        }
    }

    /// Feeds all of `bytes` (draining output whenever the connection pauses) and drains the
    /// output after, writing at most `write_limit` bytes per write.
    fn exchange(&mut self, mut bytes: &[u8], write_limit: usize) {
        for _ in 0..10_000 {
            if !bytes.is_empty() {
                if let Ok(space) = self.conn.read_buf(&mut self.pool) {
                    let n = space.len().min(bytes.len());
                    space[..n].copy_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    let mut env = Env {
                        pool: &mut self.pool,
                        handler: &mut self.hello,
                        date: None,
                    };
                    self.conn.handle_read(n, self.now, &mut env);
                    continue;
                }
            }
            let Some(queued) = self.conn.poll_transmit() else {
                if bytes.is_empty() {
                    return;
                }
                panic!("the connection neither reads nor writes");
            };
            let n = queued.len().min(write_limit);
            self.out.extend_from_slice(&queued[..n]);
            let mut env = Env {
                pool: &mut self.pool,
                handler: &mut self.hello,
                date: None,
            };
            self.conn.handle_written(n, self.now, &mut env);
        }
        panic!("livelock");
    }

    /// Every response written so far as `(status, body)` (no `HEAD` answers among them).
    fn responses(&self) -> Vec<(u16, Vec<u8>)> {
        let mut all = Vec::new();
        let mut rest = &self.out[..];
        while !rest.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut resp = httparse::Response::new(&mut headers);
            let httparse::Status::Complete(len) = resp.parse(rest).unwrap() else {
                panic!("partial response");
            };
            let length: usize = resp
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
                .unwrap_or(0);
            all.push((resp.code.unwrap(), rest[len..len + length].to_vec()));
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

#[test]
fn pipelined_requests_answered_in_order() {
    let mut drive = Drive::new(16 * 1024);
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
}

/// The second echo does not fit behind the first: the handler leaves it unsent and the
/// connection hands it over again once the first is written, so both arrive intact.
#[test]
fn an_echo_behind_a_full_queue_waits_for_it() {
    let mut drive = Drive::new(1024);
    let a = vec![b'a'; 600];
    let b = vec![b'b'; 600];
    let mut raw = post(&a);
    raw.extend(post(&b));
    drive.exchange(&raw, 100);
    let got = drive.responses();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], (200, a));
    assert_eq!(got[1], (200, b));
}

/// An echo larger than the whole output space is a `500`, and the connection stays usable.
#[test]
fn an_echo_that_can_never_fit_is_500() {
    let mut drive = Drive::new(1024);
    let mut raw = post(&[b'z'; 2000]);
    raw.extend_from_slice(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    drive.exchange(&raw, usize::MAX);
    let codes: Vec<u16> = drive.responses().iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, [500, 200]);
}
