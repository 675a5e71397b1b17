//! The application contract, by table: every body source (bytes copied at once, static bytes,
//! a producer of unknown length, a producer of known length) × HTTP/1.0 and HTTP/1.1 × `GET`
//! and `HEAD` × alone or pipelined × output space from 1 KiB up; the bytes on the wire
//! whatever the split of output space; and how a producer learns each way its response ends.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod conn_util;

use aurora_core::config::ServerConfig;
use aurora_core::conn::{CloseReason, End, State, Timer};
use aurora_core::mem::buffer_pool::SizeClass;
use aurora_core::time::Duration;
use conn_util::{Mode, Peer, pool_of};
use proptest::prelude::*;

/// The body every source produces: larger than a 4 KiB output queue.
const LEN: usize = 9_000;
static BODY: [u8; LEN] = [b'x'; LEN];

/// The four body sources, as the test application's modes.
const SOURCES: [(&str, Mode); 4] = [
    ("bytes", Mode::Sized(LEN)),
    ("static", Mode::Static(&BODY)),
    ("producer", Mode::Stream(LEN)),
    ("sized producer", Mode::StreamSized(LEN)),
];

/// The start classes a connection's buffers come in: the output space it starts with.
const SPACES: [SizeClass; 3] = [SizeClass::Kib1, SizeClass::Kib4, SizeClass::Kib16];

fn config(start: SizeClass) -> ServerConfig {
    let mut config = ServerConfig::DEFAULT;
    config.pools.start_class = start;
    config
}

/// A peer with buffers of every class up to 64 KiB.
fn peer(start: SizeClass) -> Peer {
    Peer::with_pool(config(start), pool_of([4, 4, 2, 2, 0]))
}

/// One response read from the wire: status, the framing headers, the body.
#[derive(Debug, PartialEq, Eq)]
struct Wire {
    code: u16,
    length: Option<usize>,
    chunked: bool,
    close: bool,
    body: Vec<u8>,
}

/// Reads the responses to `methods`, in order, from `out` (a `HEAD` response has no body).
fn read(mut out: &[u8], methods: &[&str]) -> Vec<Wire> {
    let mut all = Vec::new();
    for method in methods {
        if out.is_empty() {
            break;
        }
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(len) = resp.parse(out).expect("a valid response") else {
            panic!("a partial head");
        };
        let find = |name: &str| {
            resp.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value.to_vec())
        };
        let length =
            find("content-length").map(|v| std::str::from_utf8(&v).unwrap().parse().unwrap());
        let chunked = find("transfer-encoding").as_deref() == Some(b"chunked");
        let close = find("connection").as_deref() == Some(b"close");
        let code = resp.code.unwrap();
        let rest = &out[len..];
        let (body, used) = if *method == "HEAD" {
            (Vec::new(), 0)
        } else if let Some(n) = length {
            (rest[..n].to_vec(), n)
        } else if chunked {
            conn_util::decode_chunked(rest)
        } else {
            (rest.to_vec(), rest.len())
        };
        out = &rest[used..];
        all.push(Wire {
            code,
            length,
            chunked,
            close,
            body,
        });
    }
    assert!(out.is_empty(), "bytes after the last response");
    all
}

#[test]
fn every_source_version_method_pipelining_and_space() {
    for (name, mode) in SOURCES {
        for version in ["HTTP/1.0", "HTTP/1.1"] {
            for method in ["GET", "HEAD"] {
                for pipelined in [false, true] {
                    for start in SPACES {
                        let case =
                            format!("{name} {version} {method} pipelined {pipelined} {start:?}");
                        let keep = if version == "HTTP/1.0" {
                            "Connection: keep-alive\r\n"
                        } else {
                            ""
                        };
                        let one = format!("{method} /a {version}\r\nHost: x\r\n{keep}\r\n");
                        let input = if pipelined {
                            one.repeat(2)
                        } else {
                            one.clone()
                        };
                        let mut peer = peer(start);
                        peer.app.mode = mode;
                        peer.write_limit = 1_500;
                        peer.send(input.as_bytes());
                        // An HTTP/1.0 body of unknown length is ended by the close: nothing after.
                        let until_close =
                            version == "HTTP/1.0" && mode == Mode::Stream(LEN) && method == "GET";
                        let answered = if pipelined && !until_close { 2 } else { 1 };
                        let methods = vec![method; answered];
                        let got = read(&peer.out, &methods);
                        assert_eq!(got.len(), answered, "{case}");
                        for wire in &got {
                            assert_eq!(wire.code, 200, "{case}");
                            let body: &[u8] = if method == "HEAD" { b"" } else { &BODY };
                            assert!(
                                wire.body == body,
                                "{case}: body of {} bytes",
                                wire.body.len()
                            );
                            let unknown = mode == Mode::Stream(LEN);
                            assert_eq!(wire.length, (!unknown).then_some(LEN), "{case}");
                            // A `HEAD` answer of unknown length names no framing at all.
                            let chunked = unknown && version == "HTTP/1.1" && method == "GET";
                            assert_eq!(wire.chunked, chunked, "{case}");
                            assert_eq!(wire.close, until_close, "{case}");
                        }
                        if until_close {
                            assert_eq!(peer.closed, Some(CloseReason::Done), "{case}");
                        } else {
                            assert_eq!(peer.state(), State::KeepAlive, "{case}");
                        }
                        assert_eq!(peer.app.calls, answered, "{case}: one call per request");
                        let producers = matches!(mode, Mode::Stream(_) | Mode::StreamSized(_));
                        let ends = if producers { answered } else { 0 };
                        assert_eq!(peer.app.ends, vec![End::Completed; ends], "{case}");
                        if method == "HEAD" {
                            assert_eq!(peer.app.fills, 0, "{case}: a HEAD body is never pulled");
                        }
                        assert_eq!(peer.in_use(), 0, "{case}: buffers back");
                    }
                }
            }
        }
    }
}

/// Runs two pipelined `GET`s of `mode`'s body through a connection starting in `start`, whose
/// peer takes at most `write_limit` bytes per write and whose producers write at most `step`
/// bytes per fill; returns the bytes on the wire.
fn wire(mode: Mode, start: SizeClass, write_limit: usize, step: usize, reads: usize) -> Vec<u8> {
    let mut peer = peer(start);
    peer.app.mode = mode;
    peer.app.step = Some(step);
    peer.write_limit = write_limit;
    let input = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2);
    assert_eq!(peer.send_in(&input, reads), input.len());
    assert_eq!(peer.state(), State::KeepAlive);
    assert_eq!(peer.in_use(), 0);
    peer.out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Length-framed bodies come out byte for byte the same whatever the output space, the
    /// writes and the producer's steps; chunked ones decode to the same body.
    #[test]
    fn any_split_of_output_space_gives_the_same_bytes(
        source in 0..SOURCES.len(),
        start in 0..SPACES.len(),
        write_limit in 1usize..6_000,
        step in 1usize..5_000,
        reads in 1usize..60,
    ) {
        let mode = SOURCES[source].1;
        let reference = wire(mode, SizeClass::Kib64, usize::MAX, usize::MAX, usize::MAX);
        let split = wire(mode, SPACES[start], write_limit, step, reads);
        if mode == Mode::Stream(LEN) {
            prop_assert_eq!(read(&split, &["GET", "GET"]), read(&reference, &["GET", "GET"]));
        } else {
            prop_assert!(split == reference, "the bytes differ");
        }
    }
}

#[test]
fn a_producer_is_told_it_completed() {
    let mut peer = peer(SizeClass::Kib4);
    peer.app.mode = Mode::Stream(LEN);
    peer.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(peer.app.ends, [End::Completed]);
}

#[test]
fn a_producer_is_told_the_peer_went_away() {
    let mut peer = peer(SizeClass::Kib4);
    peer.app.mode = Mode::Stream(100_000);
    peer.writable = false;
    peer.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(peer.app.ends.is_empty(), "still open");
    peer.eof();
    assert_eq!(peer.app.ends, [End::PeerGone]);
    peer.writable = true;
    peer.drive();
    assert_eq!(peer.closed, Some(CloseReason::PeerClosedMidRequest));
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_producer_is_told_the_write_timeout_cut_it() {
    let mut peer = peer(SizeClass::Kib4);
    peer.app.mode = Mode::Stream(100_000);
    peer.writable = false;
    peer.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    peer.advance(Duration::from_secs(31));
    assert_eq!(peer.closed, Some(CloseReason::TimedOut(Timer::Write)));
    assert_eq!(peer.app.ends, [End::TimedOut]);
}

#[test]
fn a_producer_left_pending_is_told_the_write_timeout_cut_it() {
    let mut peer = peer(SizeClass::Kib4);
    peer.app.mode = Mode::Stream(100_000);
    peer.app.stalled = true;
    peer.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    peer.advance(Duration::from_secs(31));
    assert_eq!(peer.closed, Some(CloseReason::TimedOut(Timer::Write)));
    assert_eq!(peer.app.ends, [End::TimedOut]);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_pending_producer_is_told_of_a_shutdown() {
    let mut peer = peer(SizeClass::Kib4);
    peer.app.mode = Mode::Stream(100_000);
    peer.app.stalled = true;
    peer.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    peer.shutdown();
    assert_eq!(peer.closed, Some(CloseReason::Shutdown));
    assert_eq!(peer.app.ends, [End::Shutdown]);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_producer_short_of_its_length_is_told_it_failed_and_the_connection_closes() {
    let mut peer = peer(SizeClass::Kib4);
    peer.app.mode = Mode::Short {
        announced: 10_000,
        produced: 6_000,
    };
    peer.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(peer.closed, Some(CloseReason::Incomplete));
    assert_eq!(peer.app.ends, [End::Failed]);
    assert_eq!(
        peer.app.calls, 1,
        "nothing after the cut response is answered"
    );
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_producer_is_told_when_the_backend_aborts() {
    let mut peer = peer(SizeClass::Kib4);
    peer.app.mode = Mode::Stream(100_000);
    peer.writable = false;
    peer.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    peer.abort(CloseReason::PeerClosed);
    assert_eq!(peer.app.ends, [End::PeerGone]);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_consumer_is_told_the_peer_went_away_mid_body() {
    let mut peer = peer(SizeClass::Kib4);
    peer.send(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n");
    peer.send(&[b'a'; 10_000]);
    peer.eof();
    assert_eq!(peer.app.ends, [End::PeerGone]);
    assert_eq!(peer.in_use(), 0);
}

#[test]
fn a_consumer_echoes_every_framing_version_and_space() {
    let data: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    for chunked in [false, true] {
        for version in ["HTTP/1.0", "HTTP/1.1"] {
            for start in SPACES {
                let case = format!("chunked {chunked} {version} {start:?}");
                if chunked && version == "HTTP/1.0" {
                    continue; // HTTP/1.0 has no chunked request bodies
                }
                let keep = if version == "HTTP/1.0" {
                    "Connection: keep-alive\r\n"
                } else {
                    ""
                };
                let mut input = if chunked {
                    let mut head = format!(
                        "POST /up {version}\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    )
                    .into_bytes();
                    head.extend(conn_util::encode_chunked(&data, 5_000));
                    head
                } else {
                    let mut head = format!(
                        "POST /up {version}\r\nHost: x\r\n{keep}Content-Length: {}\r\n\r\n",
                        data.len()
                    )
                    .into_bytes();
                    head.extend_from_slice(&data);
                    head
                };
                input.extend_from_slice(
                    format!("GET /next {version}\r\nHost: x\r\n{keep}\r\n").as_bytes(),
                );
                let mut peer = peer(start);
                peer.write_limit = 2_000;
                peer.send_in(&input, 3_000);
                let mut expected = b"POST /up ".to_vec();
                expected.extend_from_slice(&data);
                // A pushed stream to HTTP/1.0 is ended by the close: the GET is never read.
                let answered = if version == "HTTP/1.0" { 1 } else { 2 };
                let got = read(&peer.out, &vec!["POST"; answered]);
                assert_eq!(got.len(), answered, "{case}");
                assert!(
                    got[0].body == expected,
                    "{case}: echo of {} bytes",
                    got[0].body.len()
                );
                assert_eq!(got[0].chunked, version == "HTTP/1.1", "{case}");
                assert_eq!(peer.app.short_writes, 0, "{case}: every part fit one write");
                assert_eq!(peer.app.parts.iter().sum::<usize>(), data.len(), "{case}");
                assert_eq!(peer.app.ends, [End::Completed], "{case}");
                assert_eq!(peer.in_use(), 0, "{case}");
            }
        }
    }
}
