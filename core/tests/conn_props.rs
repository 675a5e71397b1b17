//! Properties of the connection engine under random input: the output does not depend on how
//! reads and writes are split (bodies handed over in parts and streamed answers included), and
//! any sequence of reads, writes, clock jumps and end-of-stream
//! never panics, never livelocks, and always ends closed with every buffer back in the pool.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod conn_util;

use aurora_core::config::ServerConfig;
use aurora_core::conn::{CloseReason, End, State, Timer};
use aurora_core::time::Duration;
use conn_util::Peer;
use proptest::prelude::*;

/// Requests a client might pipeline, each complete.
const REQUESTS: [&[u8]; 6] = [
    b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n1\r\nd\r\n0\r\nT: v\r\n\r\n",
    b"\r\nGET /d?q=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
    b"PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
];

/// Pieces of input for the random sequences: valid requests, fragments and garbage.
const PIECES: [&[u8]; 12] = [
    REQUESTS[0],
    REQUESTS[1],
    REQUESTS[2],
    REQUESTS[4],
    b"GET / HTTP/1.0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999\r\n\r\n",
    b"GET / HTTP/1.1\r\nHo",
    b"5\r\nab",
    b"\x00\xff garbage \r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
    &[b'b'; 3_000],
];

/// Requests whose bodies are too large for a read buffer (so they reach the handler in parts,
/// echoed as a stream), a request answered with a stream, and two small ones.
fn large_requests() -> Vec<Vec<u8>> {
    let body: Vec<u8> = (0..70_000).map(|i| (i % 251) as u8).collect();
    let mut length = b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n".to_vec();
    length.extend_from_slice(&body);
    let mut chunked =
        b"POST /upc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    chunked.extend_from_slice(&conn_util::encode_chunked(&body, 4_999));
    vec![
        length,
        chunked,
        b"GET /stream/s HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        REQUESTS[1].to_vec(),
        REQUESTS[2].to_vec(),
    ]
}

fn stream(picks: &[usize]) -> Vec<u8> {
    picks
        .iter()
        .flat_map(|&i| REQUESTS[i].iter().copied())
        .collect()
}

/// Feeds `input` in reads of the given sizes (cycled), writing at most `write_limit` a time.
fn run(input: &[u8], reads: &[usize], write_limit: usize) -> Peer {
    let mut peer = Peer::new(ServerConfig::DEFAULT);
    peer.write_limit = write_limit;
    let mut fed = 0;
    for &size in reads.iter().cycle().take(input.len() + 1) {
        if fed == input.len() {
            break;
        }
        let end = (fed + size).min(input.len());
        fed += peer.send(&input[fed..end]);
        peer.advance(Duration::from_millis(1));
    }
    assert_eq!(fed, input.len());
    peer
}

#[derive(Clone, Debug)]
enum Op {
    Send(usize, usize),
    Advance(u64),
    Writable(bool),
    WriteLimit(usize),
    Eof,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..PIECES.len(), 1usize..80).prop_map(|(piece, chunk)| Op::Send(piece, chunk)),
        3 => (0u64..40_000).prop_map(Op::Advance),
        1 => any::<bool>().prop_map(Op::Writable),
        1 => (1usize..300).prop_map(Op::WriteLimit),
        1 => Just(Op::Eof),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn output_does_not_depend_on_splitting(
        picks in prop::collection::vec(0..REQUESTS.len(), 1..8),
        reads in prop::collection::vec(1usize..50, 1..10),
        write_limit in 1usize..200,
    ) {
        let input = stream(&picks);
        let whole = run(&input, &[input.len()], usize::MAX);
        let split = run(&input, &reads, write_limit);
        // `100 Continue` depends on whether the body came with the head; the rest may not.
        let finals = |peer: &Peer| {
            peer.responses().into_iter().filter(|r| r.code != 100).collect::<Vec<_>>()
        };
        prop_assert_eq!(finals(&split), finals(&whole));
        prop_assert_eq!(&split.app.seen, &whole.app.seen);
        prop_assert_eq!(whole.app.seen.len(), picks.len());
        prop_assert!(finals(&whole).iter().all(|r| r.code == 200));
        prop_assert_eq!(finals(&whole).len(), picks.len());
        prop_assert_eq!(split.state(), State::KeepAlive);
        prop_assert_eq!(split.in_use(), 0);
    }

    #[test]
    fn any_sequence_ends_closed_with_buffers_returned(ops in prop::collection::vec(op(), 0..40)) {
        ends_closed_with_buffers_returned(ops)?;
    }
}

/// A sequence that once failed: 6,000 bytes of garbage glued to a large upload's request
/// line make a method of kilobytes, whose echo prefix does not fit one write.
#[test]
fn a_method_of_kilobytes_ends_closed() {
    let ops = vec![
        Op::Send(11, 1),
        Op::Send(11, 1),
        Op::Send(10, 1),
        Op::Send(0, 1),
    ];
    ends_closed_with_buffers_returned(ops).unwrap();
}

/// Plays `ops`; the connection must end closed with every buffer back in the pool.
fn ends_closed_with_buffers_returned(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut peer = Peer::new(ServerConfig::DEFAULT);
    for op in ops {
        match op {
            Op::Send(piece, chunk) => {
                peer.send_in(PIECES[piece], chunk);
            }
            Op::Advance(ms) => peer.advance(Duration::from_millis(ms)),
            Op::Writable(on) => {
                peer.writable = on;
                peer.drive();
            }
            Op::WriteLimit(limit) => peer.write_limit = limit,
            Op::Eof => peer.eof(),
        }
        if peer.closed.is_some() {
            prop_assert_eq!(peer.state(), State::Closed);
            prop_assert_eq!(peer.in_use(), 0);
            prop_assert!(peer.conn.poll_transmit(&peer.pool).is_none());
            prop_assert!(peer.conn.poll_timeout().is_none());
        } else {
            // A body in parts holds its read buffer while its echo holds the queue.
            prop_assert!(peer.in_use() <= 2);
        }
    }
    // Every live state has a deadline, so time alone ends the connection.
    for _ in 0..4 {
        peer.advance(Duration::from_secs(60));
    }
    prop_assert!(peer.closed.is_some(), "still open in {:?}", peer.state());
    prop_assert_eq!(peer.in_use(), 0);
    // Whatever was written parses as responses, unless a stalled write or an open stream
    // was cut off.
    let cut = peer.app.ends.iter().any(|&how| how != End::Completed);
    if peer.closed != Some(CloseReason::TimedOut(Timer::Write)) && !cut {
        let _ = peer.responses();
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn bodies_in_parts_do_not_depend_on_splitting(
        picks in prop::collection::vec(0..5usize, 1..4),
        reads in prop::collection::vec(1usize..9_000, 1..6),
        write_limit in 50usize..5_000,
    ) {
        let requests = large_requests();
        let input: Vec<u8> = picks.iter().flat_map(|&i| requests[i].iter().copied()).collect();
        let whole = run(&input, &[input.len()], usize::MAX);
        let split = run(&input, &reads, write_limit);
        prop_assert!(split.responses() == whole.responses(), "responses differ");
        prop_assert!(split.app.seen == whole.app.seen, "bodies differ");
        prop_assert_eq!(whole.app.seen.len(), picks.len());
        prop_assert!(whole.responses().iter().all(|r| r.code == 200));
        prop_assert_eq!(split.app.short_writes, 0);
        let parts: usize = split.app.parts.iter().sum();
        let big = picks.iter().filter(|&&i| i < 2).count();
        prop_assert_eq!(parts, big * 70_000);
        prop_assert_eq!(split.state(), State::KeepAlive);
        prop_assert_eq!(split.in_use(), 0);
    }
}
