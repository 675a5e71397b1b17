//! The server driver on a virtual network: accepting, keep-alive, pipelining, backpressure,
//! peer closes, timeouts, the connection limit, shutdown, spurious events and metrics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod server_util;

use aurora_core::config::{OverloadPolicy, ServerConfig};
use aurora_core::server::io::{CloseKind, Event, Readiness, Token};
use aurora_core::server::{RECLAIM_AGE, SILENT_RECLAIM_AGE, Tables};
use aurora_core::time::Duration;
use server_util::{Growing, Mode, Rig, SLOTS, ServerEnd, get, parse_responses, post};

#[test]
fn accept_get_and_keep_alive() {
    let mut rig = Rig::new();
    let c = rig.connect();
    assert_eq!(rig.server.connections(), 1);
    let resp = rig.exchange(c, &get("/a"));
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].code, 200);
    assert_eq!(resp[0].body, b"GET /a ");
    assert!(!resp[0].closes());

    let resp = rig.exchange(c, &post("/b", b"hello"));
    assert_eq!(resp[0].body, b"POST /b hello");
    assert_eq!(rig.server.connections(), 1);
    assert!(matches!(rig.net.end(c), ServerEnd::Open(Some(_))));
    // Idle in keep-alive: no buffer held.
    assert_eq!(rig.buffers_in_use(), 0);
    assert_eq!(rig.server.handler_mut().calls, 2);
    assert_eq!(
        rig.metric("aurora_requests_total{class=\"2xx\"}"),
        Some(2.0)
    );
    rig.check_counts();
}

#[test]
fn pipelined_requests_answer_in_order() {
    let mut rig = Rig::new();
    let c = rig.connect();
    let mut burst = get("/1");
    burst.extend(post("/2", b"two"));
    burst.extend(get("/3"));
    let resp = rig.exchange(c, &burst);
    let bodies: Vec<&[u8]> = resp.iter().map(|r| r.body.as_slice()).collect();
    assert_eq!(bodies, [&b"GET /1 "[..], b"POST /2 two", b"GET /3 "]);
}

#[test]
fn pipelined_requests_split_anywhere() {
    let mut burst = get("/1");
    burst.extend(post("/2", b"two"));
    burst.extend(get("/3"));
    for split in 1..burst.len() {
        let mut rig = Rig::new();
        let c = rig.connect();
        rig.net.send(c, &burst[..split]);
        rig.settle();
        rig.net.send(c, &burst[split..]);
        rig.settle();
        let resp = parse_responses(&rig.net.recv_all(c));
        assert_eq!(resp.len(), 3, "split at {split}");
        assert_eq!(resp[1].body, b"POST /2 two");
    }
}

#[test]
fn write_backpressure_delivers_everything() {
    // 40 KB responses through a 100-byte socket: the driver waits for writability.
    let config = ServerConfig::DEFAULT;
    let mut rig = Rig::with(config, [0, 8, 2, 2, 1], 100, Mode::Sized(40_000));
    let c = rig.connect();
    rig.net.send(c, &get("/big"));
    rig.net.send(c, &get("/big"));
    rig.settle();
    let mut got = Vec::new();
    for _ in 0..10_000 {
        let chunk = rig.net.recv(c, 37);
        if chunk.is_empty() {
            break;
        }
        got.extend(chunk);
        rig.settle();
    }
    let resp = parse_responses(&got);
    assert_eq!(resp.len(), 2);
    assert!(resp.iter().all(|r| r.body.len() == 40_000));
    assert_eq!(rig.server.connections(), 1);
    assert_eq!(rig.buffers_in_use(), 0);
}

#[test]
fn paused_reading_resumes_after_the_queue_drains() {
    // Many pipelined requests with large answers: reading pauses while responses wait.
    let mut rig = Rig::with(
        ServerConfig::DEFAULT,
        [0, 8, 2, 2, 1],
        512,
        Mode::Sized(3_000),
    );
    let c = rig.connect();
    let mut burst = Vec::new();
    for i in 0..20 {
        burst.extend(get(&format!("/{i}")));
    }
    rig.net.send(c, &burst);
    rig.settle();
    let mut got = Vec::new();
    for _ in 0..10_000 {
        let chunk = rig.net.recv_all(c);
        if chunk.is_empty() {
            break;
        }
        got.extend(chunk);
        rig.settle();
    }
    let resp = parse_responses(&got);
    assert_eq!(resp.len(), 20);
    assert!(resp.iter().all(|r| r.code == 200 && r.body.len() == 3_000));
    // A pipelined request whose answer did not fit is handed over again once the queue drains.
    assert!(rig.server.handler_mut().calls >= 20);
    assert_eq!(rig.buffers_in_use(), 0);
}

#[test]
fn peer_close_at_a_boundary_closes_gracefully() {
    let mut rig = Rig::new();
    let c = rig.connect();
    rig.exchange(c, &get("/"));
    rig.net.fin(c);
    rig.settle();
    assert_eq!(rig.net.closed(c), Some(CloseKind::Graceful));
    assert_eq!(rig.server.connections(), 0);
    assert_eq!(rig.metric("aurora_connections_closed_total"), Some(1.0));
    rig.check_counts();
}

#[test]
fn peer_close_after_a_request_still_answers_it() {
    let mut rig = Rig::new();
    let c = rig.connect();
    rig.net.send(c, &get("/last"));
    rig.net.fin(c);
    rig.settle();
    let resp = parse_responses(&rig.net.recv_all(c));
    assert_eq!(resp.len(), 1);
    assert_eq!(rig.net.closed(c), Some(CloseKind::Graceful));
}

#[test]
fn peer_close_mid_request_closes() {
    let mut rig = Rig::new();
    let c = rig.connect();
    rig.net.send(c, b"GET / HTTP/1.1\r\nHo");
    rig.settle();
    assert!(rig.buffers_in_use() > 0);
    rig.net.fin(c);
    rig.settle();
    assert!(rig.net.closed(c).is_some());
    assert_eq!(rig.buffers_in_use(), 0);
}

#[test]
fn reset_aborts_and_frees_buffers() {
    let mut rig = Rig::with(
        ServerConfig::DEFAULT,
        [0, 8, 2, 2, 1],
        10,
        Mode::Sized(5_000),
    );
    let c = rig.connect();
    rig.net.send(c, &get("/"));
    rig.settle();
    assert!(
        rig.buffers_in_use() > 0,
        "the response waits in the output queue"
    );
    rig.net.reset(c);
    rig.settle();
    assert_eq!(rig.net.closed(c), Some(CloseKind::Abort));
    assert_eq!(rig.buffers_in_use(), 0);
    rig.check_counts();
}

#[test]
fn header_timeout_sends_408() {
    let mut rig = Rig::new();
    let c = rig.connect();
    let start = rig.now;
    rig.net.send(c, b"GET / HTTP/1.1\r\n");
    rig.settle();
    for _ in 0..100 {
        if rig.net.closed(c).is_some() || !rig.advance_to_deadline() {
            break;
        }
    }
    let resp = parse_responses(&rig.net.recv_all(c));
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].code, 408);
    assert!(resp[0].closes());
    assert_eq!(rig.net.closed(c), Some(CloseKind::Graceful));
    let waited = rig.now - start;
    let limit = ServerConfig::DEFAULT.timeouts.header_read;
    assert!(
        waited >= limit && waited <= limit + Duration::from_millis(20),
        "{waited:?}"
    );
    assert_eq!(
        rig.metric("aurora_requests_total{class=\"4xx\"}"),
        Some(1.0)
    );
}

/// An event for the connection on every turn (a trickle of bytes, or a backend that reports
/// every socket after each wake-up) does not push its overdue deadline away: the head still
/// gets its 408 at the header deadline.
#[test]
fn events_every_turn_do_not_starve_a_deadline() {
    let mut rig = Rig::new();
    let c = rig.connect();
    let start = rig.now;
    rig.net.send(c, b"GET / HTTP/1.1\r\n");
    rig.settle();
    let limit = ServerConfig::DEFAULT.timeouts.header_read;
    while rig.net.closed(c).is_none() && rig.now - start <= limit + Duration::from_millis(100) {
        rig.net.inject(Event {
            token: Token(c),
            readiness: Readiness::ALL,
        });
        rig.advance(Duration::from_millis(5));
    }
    let resp = parse_responses(&rig.net.recv_all(c));
    assert_eq!(resp.len(), 1, "no 408 by {:?}", rig.now - start);
    assert_eq!(resp[0].code, 408);
    let waited = rig.now - start;
    assert!(waited <= limit + Duration::from_millis(20), "{waited:?}");
}

#[test]
fn idle_timeout_closes_quietly() {
    let mut rig = Rig::new();
    let c = rig.connect();
    rig.exchange(c, &get("/"));
    let idle = ServerConfig::DEFAULT.timeouts.keep_alive_idle;
    rig.advance(idle.saturating_sub(Duration::from_millis(1)));
    assert_eq!(rig.net.closed(c), None);
    rig.advance(Duration::from_millis(30));
    assert_eq!(rig.net.closed(c), Some(CloseKind::Graceful));
    assert!(rig.net.recv_all(c).is_empty());
}

#[test]
fn write_timeout_aborts() {
    let mut rig = Rig::with(
        ServerConfig::DEFAULT,
        [0, 8, 2, 2, 1],
        50,
        Mode::Sized(5_000),
    );
    let c = rig.connect();
    rig.net.send(c, &get("/"));
    rig.settle();
    // The client never reads.
    for _ in 0..100 {
        if rig.net.closed(c).is_some() || !rig.advance_to_deadline() {
            break;
        }
    }
    assert_eq!(rig.net.closed(c), Some(CloseKind::Abort));
    assert_eq!(rig.buffers_in_use(), 0);
}

/// 10 connections allowed, high water 80 % (8), low water 50 % (5).
fn limited(policy: OverloadPolicy) -> Rig {
    let mut config = ServerConfig::DEFAULT;
    config.max_connections = 10;
    config.high_water_percent = 80;
    config.low_water_percent = 50;
    config.overload_response = policy;
    Rig::with(config, [0, 8, 2, 1, 1], 65_536, Mode::Echo)
}

#[test]
fn connection_limit_has_hysteresis() {
    let mut rig = limited(OverloadPolicy::ServiceUnavailable {
        retry_after_secs: 7,
    });
    // Connections in the middle of a request: nothing can be reclaimed.
    let open: Vec<usize> = (0..8).map(|_| rig.connect_busy()).collect();
    assert_eq!(rig.server.connections(), 8);

    let refused = rig.connect();
    let resp = parse_responses(&rig.net.recv_all(refused));
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].code, 503);
    assert_eq!(resp[0].header("retry-after"), Some(&b"7"[..]));
    assert!(resp[0].closes());
    assert_eq!(rig.net.closed(refused), Some(CloseKind::Graceful));
    assert_eq!(rig.metric("aurora_connections_rejected_total"), Some(1.0));

    // Down to 6: still above the low-water mark, still refusing.
    for &c in &open[..2] {
        rig.net.fin(c);
    }
    rig.settle();
    assert_eq!(rig.server.connections(), 6);
    let refused = rig.connect();
    assert_eq!(parse_responses(&rig.net.recv_all(refused))[0].code, 503);

    // Down to 5 (the low-water mark): accepting again, up to the high-water mark.
    rig.net.fin(open[2]);
    rig.settle();
    let back: Vec<usize> = (0..3).map(|_| rig.connect()).collect();
    assert_eq!(rig.server.connections(), 8);
    for &c in &back {
        assert_eq!(rig.exchange(c, &get("/"))[0].code, 200);
        rig.net.send(
            c,
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n",
        );
    }
    rig.settle();
    let refused = rig.connect();
    assert_eq!(rig.net.closed(refused), Some(CloseKind::Graceful));
    assert_eq!(rig.metric("aurora_connections_rejected_total"), Some(3.0));
    assert!(
        rig.net.accepting_calls().is_empty(),
        "the listener stays on under overload"
    );
    rig.check_counts();
}

#[test]
fn overload_close_policy_sends_nothing() {
    let mut rig = limited(OverloadPolicy::Close);
    for _ in 0..8 {
        rig.connect_busy();
    }
    let refused = rig.connect();
    assert!(rig.net.recv_all(refused).is_empty());
    assert_eq!(rig.net.closed(refused), Some(CloseKind::Graceful));
}

#[test]
fn slots_cap_the_limit() {
    let mut config = ServerConfig::DEFAULT;
    config.high_water_percent = 100;
    config.low_water_percent = 50;
    // A read buffer for every connection: each holds its unfinished request.
    let mut rig = Rig::with(config, [0, SLOTS + 2, 2, 1, 1], 65_536, Mode::Echo);
    for _ in 0..SLOTS {
        rig.connect_busy();
    }
    assert_eq!(rig.server.connections(), SLOTS);
    let refused = rig.connect();
    assert_eq!(parse_responses(&rig.net.recv_all(refused))[0].code, 503);
}

#[test]
fn shutdown_drains() {
    let mut rig = Rig::new();
    let idle = rig.connect();
    rig.exchange(idle, &get("/"));
    let fresh = rig.connect();
    let busy = rig.connect();
    rig.net.send(busy, b"GET /slow HTTP/1.1\r\nHost: t\r\n");
    rig.settle();

    rig.shutdown();
    rig.settle();
    assert_eq!(rig.net.accepting_calls(), [false]);
    assert_eq!(rig.net.closed(idle), Some(CloseKind::Graceful));
    // Accepted but not read yet: its first request may already be on its way.
    assert_eq!(rig.net.closed(fresh), None);
    assert_eq!(rig.net.closed(busy), None);
    assert!(!rig.server.is_drained());

    // New connections wait in the backlog, unaccepted.
    let late = rig.net.connect();
    rig.net.inject(Event {
        token: Token::LISTENER,
        readiness: Readiness::ALL,
    });
    rig.settle();
    assert_eq!(rig.net.end(late), ServerEnd::Backlog);

    // The request in flight is answered with Connection: close, and so is the fresh
    // connection's first.
    let resp = rig.exchange(busy, b"\r\n");
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].code, 200);
    assert!(resp[0].closes());
    assert_eq!(rig.net.closed(busy), Some(CloseKind::Graceful));
    let resp = rig.exchange(fresh, &get("/"));
    assert_eq!(resp.len(), 1);
    assert!(resp[0].closes());
    assert_eq!(rig.net.closed(fresh), Some(CloseKind::Graceful));
    assert!(rig.server.is_drained());
    assert_eq!(rig.buffers_in_use(), 0);
    rig.check_counts();
}

#[test]
fn spurious_events_are_harmless() {
    let mut rig = Rig::new();
    let flood = |rig: &mut Rig| {
        for token in (0..SLOTS + 3).chain([usize::MAX - 1, usize::MAX]) {
            for readiness in [Readiness::ALL, Readiness::default()] {
                rig.net.inject(Event {
                    token: Token(token),
                    readiness,
                });
            }
        }
        rig.settle();
    };
    flood(&mut rig);
    assert_eq!(rig.server.connections(), 0);
    let c = rig.connect();
    flood(&mut rig);
    rig.net.send(c, b"GET / HT");
    flood(&mut rig);
    rig.net.send(c, b"TP/1.1\r\nHost: x\r\n\r\n");
    flood(&mut rig);
    let resp = parse_responses(&rig.net.recv_all(c));
    assert_eq!(resp.len(), 1);
    assert_eq!(rig.server.handler_mut().calls, 1);
    // A slot reused by another connection: the old token's events reach the new one, harmlessly.
    rig.net.fin(c);
    rig.settle();
    let d = rig.connect();
    flood(&mut rig);
    assert_eq!(rig.exchange(d, &get("/again"))[0].body, b"GET /again ");
    rig.check_counts();
}

#[test]
fn tables_shrink_a_second_after_a_burst_closes() {
    let (conns, timers) = (Growing::leak(256), Growing::leak(256));
    let (slots, armed) = (conns.written.clone(), timers.written.clone());
    let tables = Tables::new(conns, timers);
    let mut rig = Rig::over(
        tables,
        ServerConfig::DEFAULT,
        [0, 8, 2, 1, 1],
        65_536,
        Mode::Echo,
    );
    let burst: Vec<usize> = (0..160).map(|_| rig.connect()).collect();
    assert_eq!((slots.get(), armed.get()), (160, 160));
    // All but two close: one in slot 3, one in slot 99.
    for (i, &c) in burst.iter().enumerate() {
        if i != 3 && i != 99 {
            rig.net.fin(c);
        }
    }
    rig.settle();
    assert_eq!(rig.server.connections(), 2);
    // Not at once: a second after the server was built, and the turn is asked for.
    assert_eq!(slots.get(), 160);
    let at = rig.server.poll_timeout().unwrap();
    assert!(at <= rig.now + Duration::from_secs(1));
    rig.now = at;
    rig.settle();
    assert_eq!((slots.get(), armed.get()), (100, 100));
    // The token of a trimmed slot is a spurious event; new connections fill from the bottom.
    rig.net.inject(Event {
        token: Token(150),
        readiness: Readiness::ALL,
    });
    rig.settle();
    let c = rig.connect();
    assert_eq!(rig.net.end(c), ServerEnd::Open(Some(Token(0))));
    assert_eq!(rig.exchange(c, &get("/after"))[0].body, b"GET /after ");
    // The last of the burst closes: the table shrinks to the newcomer, a second after the trim.
    rig.net.fin(burst[99]);
    rig.net.fin(burst[3]);
    rig.settle();
    assert_eq!(rig.server.poll_timeout(), Some(at + Duration::from_secs(1)));
    assert!(rig.advance_to_deadline());
    assert_eq!((slots.get(), armed.get()), (1, 1));
    assert_eq!(rig.server.connections(), 1);
    rig.check_counts();
}

#[test]
fn register_failure_aborts() {
    let mut rig = Rig::new();
    rig.net.fail_registers(1);
    let c = rig.connect();
    assert_eq!(rig.net.closed(c), Some(CloseKind::Abort));
    assert_eq!(rig.server.connections(), 0);
    let d = rig.connect();
    assert_eq!(rig.exchange(d, &get("/"))[0].code, 200);
    rig.check_counts();
}

#[test]
fn parse_errors_are_counted_by_kind() {
    let mut rig = Rig::new();
    let c = rig.connect();
    let resp = rig.exchange(c, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    assert_eq!(resp[0].code, 400);
    assert_eq!(rig.net.closed(c), Some(CloseKind::Graceful));
    assert_eq!(
        rig.metric("aurora_parse_errors_total{kind=\"duplicate_host\"}"),
        Some(1.0)
    );
    let d = rig.connect();
    let bad_chunk = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    assert_eq!(rig.exchange(d, bad_chunk)[0].code, 400);
    assert_eq!(
        rig.metric("aurora_parse_errors_total{kind=\"chunk_size_missing\"}"),
        Some(1.0)
    );
    assert_eq!(
        rig.metric("aurora_requests_total{class=\"4xx\"}"),
        Some(2.0)
    );
}

#[test]
fn date_follows_the_wall_clock() {
    let mut rig = Rig::new();
    let c = rig.connect();
    assert_eq!(rig.exchange(c, &get("/"))[0].header("date"), None);
    rig.server.set_wall_clock(784_111_777);
    assert_eq!(
        rig.exchange(c, &get("/"))[0].header("date"),
        Some(&b"Sun, 06 Nov 1994 08:49:37 GMT"[..])
    );
}

#[test]
fn metrics_add_up() {
    let mut rig = Rig::new();
    let ids: Vec<usize> = (0..5).map(|_| rig.connect()).collect();
    for &c in &ids {
        rig.exchange(c, &get("/"));
        rig.exchange(c, &post("/", b"x"));
    }
    rig.net.fin(ids[0]);
    rig.net.reset(ids[1]);
    rig.settle();
    assert_eq!(rig.metric("aurora_connections_accepted_total"), Some(5.0));
    assert_eq!(rig.metric("aurora_connections_closed_total"), Some(2.0));
    assert_eq!(rig.metric("aurora_connections_open"), Some(3.0));
    assert_eq!(
        rig.metric("aurora_requests_total{class=\"2xx\"}"),
        Some(10.0)
    );
    assert_eq!(
        rig.metric("aurora_request_duration_seconds_count"),
        Some(10.0)
    );
    assert_eq!(
        rig.metric("aurora_buffers_in_use{class=\"4096\"}"),
        Some(0.0)
    );
    rig.check_counts();
}

#[test]
fn buffers_in_use_are_published() {
    let mut rig = Rig::new();
    let c = rig.connect();
    rig.net.send(c, b"GET / HTTP/1.1\r\n");
    rig.settle();
    assert_eq!(
        rig.metric("aurora_buffers_in_use{class=\"4096\"}"),
        Some(1.0)
    );
    rig.net.send(c, b"Host: a\r\n\r\n");
    rig.settle();
    rig.net.recv_all(c);
    assert_eq!(
        rig.metric("aurora_buffers_in_use{class=\"4096\"}"),
        Some(0.0)
    );
}

#[test]
fn poll_timeout_tracks_the_earliest_deadline() {
    let mut rig = Rig::new();
    assert_eq!(rig.server.poll_timeout(), None);
    let c = rig.connect();
    let at = rig.server.poll_timeout().unwrap();
    let header = ServerConfig::DEFAULT.timeouts.header_read;
    assert!(at >= rig.now + header && at <= rig.now + header + Duration::from_millis(10));
    rig.exchange(c, &get("/"));
    let at = rig.server.poll_timeout().unwrap();
    let idle = ServerConfig::DEFAULT.timeouts.keep_alive_idle;
    assert!(at >= rig.now + idle && at <= rig.now + idle + Duration::from_millis(10));
    rig.net.fin(c);
    rig.settle();
    assert_eq!(rig.server.poll_timeout(), None);
}

#[test]
fn a_starved_connection_reads_once_the_pool_frees() {
    // Two 4 KiB buffers: two half-sent heads take both, so the third client's request waits
    // in its socket (not lost) until they are gone.
    let mut rig = Rig::with(ServerConfig::DEFAULT, [0, 2, 0, 0, 0], 65_536, Mode::Echo);
    let a = rig.connect();
    let b = rig.connect();
    let c = rig.connect();
    rig.net.send(a, b"GET /a HTTP/1.1\r\n");
    rig.net.send(b, b"GET /b HTTP/1.1\r\n");
    rig.settle();
    assert_eq!(rig.buffers_in_use(), 2);
    rig.net.send(c, &get("/c"));
    rig.settle();
    assert!(rig.net.recv_all(c).is_empty());
    let retry = rig.server.poll_timeout().unwrap();
    assert!(
        retry <= rig.now + Duration::from_millis(10),
        "a starved read retries soon"
    );

    rig.net.fin(a);
    rig.net.fin(b);
    rig.settle();
    rig.advance(Duration::from_millis(10));
    let resp = parse_responses(&rig.net.recv_all(c));
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].body, b"GET /c ");
    assert_eq!(rig.server.connections(), 1);
}

#[test]
fn a_flooding_client_does_not_starve_others() {
    let mut config = ServerConfig::DEFAULT;
    config.max_requests_per_connection = 1_000_000;
    let mut rig = Rig::with(config, [0, 8, 2, 2, 1], 1 << 24, Mode::Echo);
    let flood = rig.connect();
    let quiet = rig.connect();
    let mut burst = Vec::new();
    while burst.len() < 200_000 {
        burst.extend(get("/flood"));
    }
    let requests = burst.len() / get("/flood").len();
    rig.net.send(flood, &burst);
    rig.net.send(quiet, &get("/quiet"));
    // One turn: the flood gets a bounded share of reads, the quiet client its answer.
    rig.turn();
    assert_eq!(parse_responses(&rig.net.recv_all(quiet)).len(), 1);
    assert!(rig.server.poll_timeout().is_some_and(|at| at <= rig.now));
    rig.settle();
    let mut got = Vec::new();
    for _ in 0..1_000 {
        let chunk = rig.net.recv_all(flood);
        if chunk.is_empty() {
            break;
        }
        got.extend(chunk);
        rig.settle();
    }
    assert_eq!(parse_responses(&got).len(), requests);
}

#[test]
fn body_timeout_sends_408() {
    let mut rig = Rig::new();
    let c = rig.connect();
    rig.net.send(
        c,
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc",
    );
    rig.settle();
    let body = ServerConfig::DEFAULT.timeouts.body_read;
    rig.advance(body.saturating_sub(Duration::from_millis(1)));
    assert_eq!(rig.net.closed(c), None);
    rig.advance(Duration::from_millis(20));
    let resp = parse_responses(&rig.net.recv_all(c));
    assert_eq!(resp[0].code, 408);
    assert_eq!(rig.net.closed(c), Some(CloseKind::Graceful));
    assert_eq!(rig.buffers_in_use(), 0);
}

#[test]
fn shutdown_with_a_blocked_writer_finishes_after_it_reads() {
    let mut rig = Rig::with(
        ServerConfig::DEFAULT,
        [0, 8, 2, 2, 1],
        100,
        Mode::Sized(20_000),
    );
    let c = rig.connect();
    rig.net.send(c, &get("/"));
    rig.settle();
    rig.shutdown();
    rig.settle();
    assert!(!rig.server.is_drained());
    let mut got = Vec::new();
    for _ in 0..10_000 {
        let chunk = rig.net.recv_all(c);
        if chunk.is_empty() {
            break;
        }
        got.extend(chunk);
        rig.settle();
    }
    let resp = parse_responses(&got);
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].body.len(), 20_000);
    // The response was queued before the shutdown: it keeps its keep-alive, and the
    // connection, idle again, closes at once.
    assert!(rig.server.is_drained());
    assert_eq!(rig.net.closed(c), Some(CloseKind::Graceful));
}

#[test]
fn overload_response_carries_date_and_server() {
    let mut config = ServerConfig::DEFAULT;
    config.max_connections = 1;
    config.server_header = Some("aurora-test");
    let mut rig = Rig::with(config, [0, 8, 2, 1, 1], 65_536, Mode::Echo);
    rig.server.set_wall_clock(0);
    rig.connect_busy();
    let refused = rig.connect();
    let resp = parse_responses(&rig.net.recv_all(refused));
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].code, 503);
    assert_eq!(resp[0].header("server"), Some(&b"aurora-test"[..]));
    assert_eq!(
        resp[0].header("date"),
        Some(&b"Thu, 01 Jan 1970 00:00:00 GMT"[..])
    );
    assert_eq!(resp[0].header("retry-after"), Some(&b"1"[..]));
    assert_eq!(resp[0].header("content-length"), Some(&b"0"[..]));
}

#[test]
fn a_listener_hint_without_readiness_still_accepts() {
    let mut rig = Rig::new();
    let c = rig.net.connect();
    rig.net.inject(Event {
        token: Token::LISTENER,
        readiness: Readiness::default(),
    });
    rig.turn();
    assert!(matches!(rig.net.end(c), ServerEnd::Open(Some(_))));
}

/// A [`limited`] server answering `503` with `Retry-After: 1`.
fn reclaiming() -> Rig {
    limited(OverloadPolicy::ServiceUnavailable {
        retry_after_secs: 1,
    })
}

/// A [`reclaiming`] server with six connections in the middle of a request and one that has
/// sent `head` so far: the rig, the six, the one.
fn six_busy_one_trickling(head: &[u8]) -> (Rig, Vec<usize>, usize) {
    let mut rig = reclaiming();
    let busy = (0..6).map(|_| rig.connect_busy()).collect();
    let slow = rig.connect();
    rig.net.send(slow, head);
    rig.settle();
    (rig, busy, slow)
}

#[test]
fn at_the_limit_the_longest_idle_connection_makes_room() {
    let mut rig = reclaiming();
    let idle: Vec<usize> = (0..8)
        .map(|_| {
            let c = rig.connect();
            assert_eq!(rig.exchange(c, &get("/"))[0].code, 200);
            rig.advance(Duration::from_millis(10));
            c
        })
        .collect();
    rig.advance(RECLAIM_AGE);
    let fresh = rig.connect();
    assert_eq!(rig.server.connections(), 8, "one closed, one admitted");
    assert_eq!(
        rig.net.closed(idle[0]),
        Some(CloseKind::Graceful),
        "the longest idle"
    );
    assert!(idle[1..].iter().all(|&c| rig.net.closed(c).is_none()));
    assert_eq!(rig.exchange(fresh, &get("/"))[0].code, 200);
    assert_eq!(rig.metric("aurora_connections_rejected_total"), Some(0.0));
    rig.check_counts();
}

#[test]
fn at_the_limit_a_trickling_head_goes_before_a_keep_alive_client_between_requests() {
    let (mut rig, busy, slow) = six_busy_one_trickling(b"GET / HTTP/1.1\r\nHo");
    rig.advance(Duration::from_millis(2_000));
    // A keep-alive client that has just had its answer and is about to send its next request.
    let client = rig.connect();
    assert_eq!(rig.exchange(client, &get("/"))[0].code, 200);
    rig.advance(Duration::from_millis(1));
    let fresh = rig.connect();
    assert_eq!(rig.net.closed(slow), Some(CloseKind::Graceful));
    assert_eq!(rig.net.closed(client), None);
    assert!(busy.iter().all(|&c| rig.net.closed(c).is_none()));
    assert_eq!(rig.exchange(client, &get("/"))[0].code, 200);
    assert_eq!(rig.exchange(fresh, &get("/"))[0].code, 200);
    rig.check_counts();
}

#[test]
fn at_the_limit_the_slowest_head_makes_room_and_busy_ones_stay() {
    let mut rig = reclaiming();
    // Six in the middle of a request, two trickling a head: one sent a little, one a lot.
    let busy: Vec<usize> = (0..6).map(|_| rig.connect_busy()).collect();
    let slow = rig.connect();
    let quick = rig.connect();
    rig.net.send(slow, b"GET / H");
    rig.net.send(
        quick,
        b"GET /a-longer-path-sent-so-far HTTP/1.1\r\nHost: t\r\n",
    );
    rig.settle();
    rig.advance(RECLAIM_AGE);
    let fresh = rig.connect();
    assert_eq!(
        rig.net.closed(slow),
        Some(CloseKind::Graceful),
        "fewest bytes per ms"
    );
    assert_eq!(rig.net.closed(quick), None);
    assert!(busy.iter().all(|&c| rig.net.closed(c).is_none()));
    assert_eq!(rig.exchange(fresh, &get("/"))[0].code, 200);
    // `fresh` went idle after `quick`'s head began: `quick` has waited longer and goes.
    let next = rig.connect();
    assert_eq!(rig.net.closed(quick), Some(CloseKind::Graceful));
    assert_eq!(rig.net.closed(fresh), None);
    assert_eq!(rig.server.connections(), 8);
    // Once `fresh` is old enough to go, and idle since before `next`'s head began, it goes.
    rig.advance(RECLAIM_AGE);
    let last = rig.connect();
    assert_eq!(rig.net.closed(fresh), Some(CloseKind::Graceful));
    assert_eq!(rig.net.closed(next), None);
    // With every slot busy, a new connection is refused.
    for c in [next, last] {
        rig.net.send(
            c,
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n",
        );
    }
    rig.settle();
    let refused = rig.connect();
    assert_eq!(parse_responses(&rig.net.recv_all(refused))[0].code, 503);
}

#[test]
fn at_the_limit_young_heads_are_kept_and_newcomers_wait_above_the_high_water_mark() {
    let (mut rig, busy, slow) = six_busy_one_trickling(b"GET / H");
    rig.advance(Duration::from_millis(100));
    // One more reaches the high-water mark; then no head is old enough to go: the share's
    // last two slots take the next two, and the one after waits, held, with the listener
    // paused. None is refused.
    let young: Vec<usize> = (0..3).map(|_| rig.connect()).collect();
    for &c in &young {
        rig.net.send(c, b"G");
    }
    rig.settle();
    assert_eq!(rig.server.connections(), 10);
    let held = rig.connect();
    assert_eq!(rig.net.accepting_calls(), [false]);
    let queued = rig.connect();
    assert_eq!(rig.net.backlog(), 1, "the next waits in the backlog");
    assert!(rig.net.closed(held).is_none() && rig.net.recv_all(held).is_empty());
    assert_eq!(rig.metric("aurora_connections_rejected_total"), Some(0.0));
    // Once `slow` has sent its head for `RECLAIM_AGE`, it goes for the held one.
    let ready = rig.server.poll_timeout().unwrap();
    rig.advance(Duration::from_millis(899));
    assert!(rig.net.closed(slow).is_none());
    rig.advance(Duration::from_millis(1));
    assert!(rig.server.poll_timeout().unwrap() >= ready);
    assert_eq!(rig.net.closed(slow), Some(CloseKind::Graceful));
    assert_eq!(rig.exchange(held, &get("/"))[0].code, 200);
    // The newest are not old enough yet: the queued one waits for them.
    assert_eq!(rig.net.accepting_calls(), [false, true, false]);
    assert!(rig.net.closed(queued).is_none());
    assert!(young.iter().all(|&c| rig.net.closed(c).is_none()));
    assert!(busy.iter().all(|&c| rig.net.closed(c).is_none()));
    assert_eq!(rig.metric("aurora_connections_rejected_total"), Some(0.0));
    assert_eq!(rig.server.connections(), 10);
    rig.check_counts();
}

#[test]
fn a_paused_listener_resumes_when_a_slot_frees() {
    let mut rig = reclaiming();
    for _ in 0..6 {
        rig.connect_busy();
    }
    let young: Vec<usize> = (0..4).map(|_| rig.connect()).collect();
    let held = rig.connect();
    assert_eq!(rig.net.accepting_calls(), [false]);
    rig.net.fin(young[0]);
    rig.settle();
    assert_eq!(rig.net.accepting_calls(), [false, true]);
    assert_eq!(rig.exchange(held, &get("/"))[0].code, 200);
    assert_eq!(rig.server.connections(), 10);
    rig.check_counts();
}

#[test]
fn held_newcomers_meet_the_overload_response_once_the_young_ones_are_busy() {
    let mut rig = reclaiming();
    let open: Vec<usize> = (0..10).map(|_| rig.connect()).collect();
    let held = rig.connect();
    for &c in &open {
        rig.net.send(
            c,
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n",
        );
    }
    rig.settle();
    assert!(rig.net.recv_all(held).is_empty(), "it waits");
    assert!(rig.advance_to_deadline());
    assert_eq!(parse_responses(&rig.net.recv_all(held))[0].code, 503);
    assert_eq!(rig.net.closed(held), Some(CloseKind::Graceful));
}

#[test]
fn a_connection_that_sends_nothing_goes_sooner() {
    let mut rig = reclaiming();
    for _ in 0..6 {
        rig.connect_busy();
    }
    let silent = rig.connect();
    rig.advance(Duration::from_millis(10));
    let trickling: Vec<usize> = (0..3).map(|_| rig.connect()).collect();
    for &c in &trickling {
        rig.net.send(c, b"G");
    }
    rig.settle();
    let held = rig.connect();
    assert_eq!(rig.net.accepting_calls(), [false]);
    assert_eq!(
        rig.server.poll_timeout(),
        Some(rig.now + SILENT_RECLAIM_AGE - Duration::from_millis(10))
    );
    assert!(rig.advance_to_deadline());
    assert_eq!(rig.net.closed(silent), Some(CloseKind::Graceful));
    assert!(trickling.iter().all(|&c| rig.net.closed(c).is_none()));
    assert_eq!(rig.exchange(held, &get("/"))[0].code, 200);
}
