//! The server's life around its connections: the connection limit with its high- and
//! low-water marks, and graceful shutdown.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use std::time::{Duration, Instant};

use aurora_core::config::OverloadPolicy;
use util::{Client, Server, get, within};

/// With 4 connections allowed, high water 50 % (2) and low water 25 % (1), one worker: the
/// third connection is refused with `503` and `Retry-After`, and once the open ones are
/// closed the server accepts again.
#[test]
fn connection_limit_with_high_and_low_water() {
    let server = Server::with(|o| {
        o.config.workers = 1;
        o.config.max_connections = 4;
        o.config.high_water_percent = 50;
        o.config.low_water_percent = 25;
        o.config.overload_response = OverloadPolicy::ServiceUnavailable {
            retry_after_secs: 7,
        };
    });
    let mut open: Vec<Client> = (0..2).map(|_| server.connect()).collect();
    for client in &mut open {
        assert_eq!(client.request(&get("/")).code, 200);
        // In the middle of a request: an idle connection would be reclaimed for the next.
        client.send(BUSY);
    }

    let mut refused = server.connect();
    let resp = refused
        .read(false)
        .expect("a response or a close")
        .expect("a 503 before the close");
    assert_eq!(resp.code, 503);
    assert_eq!(resp.header("retry-after"), Some("7"));
    refused.assert_closed();
    drop(refused);

    // The open connections still work: their bodies arrive and are echoed.
    for client in &mut open {
        assert_eq!(client.request(b"hello").code, 200);
    }

    // Below the low-water mark new connections are served again. The server learns of the
    // closes asynchronously, so retry for a bounded time.
    drop(open);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut client = server.connect();
        client.send(&get("/"));
        match client.read(false) {
            Ok(Some(resp)) if resp.code == 200 => break,
            Ok(Some(resp)) if resp.code == 503 => {}
            other => panic!("expected 200 or 503, got {other:?}"),
        }
        assert!(Instant::now() < deadline, "never accepted again");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn overload_policy_close() {
    let server = one_connection_closing_over_it();
    let mut first = server.connect();
    assert_eq!(first.request(&get("/")).code, 200);
    first.send(BUSY);
    let mut refused = server.connect();
    refused.assert_closed();
    assert_eq!(first.request(b"hello").code, 200);
}

/// With every slot idle at the limit, a new one is not refused: it waits in the backlog until
/// the longest idle has been idle for `RECLAIM_AGE`, which is closed to make room.
#[test]
fn an_idle_connection_makes_room_at_the_limit() {
    let server = one_connection_closing_over_it();
    let mut idle: Vec<Client> = (0..2).map(|_| server.connect()).collect();
    for client in &mut idle {
        assert_eq!(client.request(&get("/")).code, 200);
    }
    let mut fresh = server.connect();
    assert_eq!(fresh.request(&get("/")).code, 200);
    idle[0].assert_closed();
    assert_eq!(idle[1].request(&get("/")).code, 200);
}

/// One worker allowed two connections, reclaiming from the first (50 %), closing any it
/// refuses without a response.
fn one_connection_closing_over_it() -> Server {
    Server::with(|o| {
        o.config.workers = 1;
        o.config.max_connections = 2;
        o.config.high_water_percent = 50;
        o.config.low_water_percent = 0;
        o.config.overload_response = OverloadPolicy::Close;
    })
}

/// The head of a request whose 5-byte body has not come yet.
const BUSY: &[u8] = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n";

/// Shutdown closes an idle keep-alive connection, lets a request in flight finish with
/// `Connection: close`, and `join` returns.
#[test]
fn graceful_shutdown() {
    let server = Server::with(|o| o.config.workers = 1);
    let mut idle = server.connect();
    assert_eq!(idle.request(&get("/")).code, 200);
    let mut busy = server.connect();
    busy.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello");
    // Make sure the partial request has reached the server before the stop.
    let mut probe = server.connect();
    assert_eq!(probe.request(&get("/")).code, 200);
    drop(probe);

    server.stop_handle().stop();
    // The idle connection is closed without a response; that also proves the worker has
    // begun its shutdown.
    idle.assert_closed();

    busy.send(b"world");
    let resp = busy.response();
    assert_eq!(resp.code, 200);
    assert_eq!(resp.body, b"helloworld");
    assert!(resp.closes(), "the last response of a shutdown says close");
    busy.assert_closed();

    within(Duration::from_secs(10), move || server.join());
}

/// A stopped server whose connections never finish still stops at the shutdown deadline.
#[test]
fn shutdown_deadline_bounds_a_stuck_connection() {
    let server = Server::with(|o| {
        o.config.workers = 1;
        o.shutdown_deadline = Duration::from_millis(500);
    });
    let mut stuck = server.connect();
    stuck.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhel");
    let mut probe = server.connect();
    assert_eq!(probe.request(&get("/")).code, 200);
    drop(probe);
    let start = Instant::now();
    server.stop_handle().stop();
    within(Duration::from_secs(10), move || server.join());
    assert!(start.elapsed() < Duration::from_secs(5));
    match stuck.read(false) {
        Ok(None) | Ok(Some(_)) => {}
        Err(error) if util::is_reset(&error) => {}
        Err(error) => panic!("the stuck connection was not closed: {error}"),
    }
}
