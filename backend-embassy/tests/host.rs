//! Aurora on embassy-net, on the host: two stacks joined in memory, the demo served on one,
//! a client on the other running the same scenarios as the Linux tests (keep-alive,
//! pipelining, chunked upload, `Expect`, every framing rule, each timeout, the connection
//! capacity and the overload answer, graceful shutdown, and the device's WebSocket), each
//! asserting on the raw bytes.
//!
//! One test runs every scenario in one world (the executor's tasks are statics, so a process
//! holds one world), and reports every failure at once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

#[path = "../../tests/util/framing_rules.rs"]
mod framing_rules;
mod util;

use aurora_apps::hello::Hello;
use aurora_core::metrics::{RenderError, Renderer};
use aurora_embassy::{Memory, MemoryError, Options, Resources, RunError, run};
use embassy_futures::join::join_array;
use embassy_net::Stack;
use embassy_time::{Duration, Instant, Timer, with_timeout};
use util::{
    Conn, MAX_BODY, Read, SHORT, SMALL_DONE, SMALL_MAX_CONNECTIONS, SMALL_PORT, SOCKETS,
    STOP_SMALL, Scenario, ScenarioFuture, chunked_post, elapsed_ms, get, with_body,
};

/// A scenario entry for `f`.
macro_rules! scenario {
    ($f:ident) => {
        (stringify!($f), |stack| -> ScenarioFuture {
            Box::pin($f(stack))
        })
    };
}

/// Every scenario, in the order they run; the ones that take sockets away come first, the
/// shutdown last.
static SCENARIOS: &[Scenario] = &[
    scenario!(as_many_connections_as_sockets_then_refused),
    scenario!(a_burst_of_as_many_connections_as_sockets_is_served),
    scenario!(over_the_limit_is_503),
    scenario!(get_says_hello),
    scenario!(head_has_the_length_and_no_body),
    scenario!(keep_alive_reuses_one_connection),
    scenario!(ten_pipelined_requests_in_one_write),
    scenario!(pipelined_mixed_methods_in_order),
    scenario!(post_and_put_echo),
    scenario!(chunked_upload_is_echoed),
    scenario!(body_beyond_the_read_buffer_streams_back),
    scenario!(expect_100_continue),
    scenario!(expect_with_a_body_too_large_is_413_without_100),
    scenario!(every_framing_rule),
    scenario!(size_limits),
    scenario!(nothing_after_a_refusal_is_answered),
    scenario!(http10_closes_by_default),
    scenario!(http10_keep_alive_on_request),
    scenario!(metrics_endpoint),
    scenario!(unfinished_head_is_408),
    scenario!(silent_new_connection_closes_at_the_header_deadline),
    scenario!(slowloris_is_cut_at_the_header_deadline),
    scenario!(unfinished_body_is_408),
    scenario!(unfinished_chunked_body_is_408),
    scenario!(body_progress_resets_the_body_deadline),
    scenario!(activity_keeps_a_connection_alive),
    scenario!(idle_keep_alive_closes_quietly),
    scenario!(write_timeout_closes_a_peer_that_does_not_read),
    scenario!(a_config_that_does_not_validate_is_refused),
    scenario!(memory_too_small_for_the_pools_is_refused),
    scenario!(shutdown_closes_idle_connections_and_stops_listening),
    scenario!(websocket_echo_ping_and_close_on_the_device),
];

#[test]
fn scenarios() {
    let outcomes = util::run_scenarios(SCENARIOS);
    let mut failures = Vec::new();
    for (name, outcome) in &outcomes {
        match outcome {
            Ok(()) => println!("ok   {name}"),
            Err(why) => {
                println!("FAIL {name}: {why}");
                failures.push(format!("{name}: {why}"));
            }
        }
    }
    for (name, _) in SCENARIOS.iter().skip(outcomes.len()) {
        failures.push(format!("{name}: never reported"));
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `SOCKETS` clients are served at once; one more finds no listening socket and is refused;
/// once a client leaves, its socket listens again and a new client is served.
async fn as_many_connections_as_sockets_then_refused(stack: Stack<'static>) -> Result<(), String> {
    let mut conns = Vec::new();
    for i in 0..SOCKETS {
        let mut conn = Conn::open(stack)
            .await
            .map_err(|e| format!("connection {i}: {e}"))?;
        let resp = conn.request(&get("/")).await?;
        ensure!(
            resp.code == 200 && !resp.closes(),
            "connection {i}: {resp:?}"
        );
        conns.push(conn);
    }
    // Every one of them is still served.
    for conn in &mut conns {
        ensure!(
            conn.request(&get("/")).await?.code == 200,
            "a second request"
        );
    }
    let extra = Conn::open(stack).await;
    ensure!(extra.is_err(), "a connection beyond the sockets was taken");
    conns.pop().unwrap().finish().await;
    Timer::after(Duration::from_millis(50)).await;
    let mut again = Conn::open(stack).await?;
    ensure!(
        again.request(&get("/")).await?.code == 200,
        "after a client left"
    );
    again.finish().await;
    for conn in conns {
        conn.finish().await;
    }
    Ok(())
}

/// The small server serves `max_connections`; the next client gets `503` with `Retry-After`
/// and the close.
async fn over_the_limit_is_503(stack: Stack<'static>) -> Result<(), String> {
    let mut conns = Vec::new();
    for _ in 0..SMALL_MAX_CONNECTIONS {
        let mut conn = Conn::open_with(stack, SMALL_PORT, 4096, 4096).await?;
        ensure!(
            conn.request(&get("/")).await?.code == 200,
            "under the limit"
        );
        // In the middle of a request: an idle connection would be reclaimed for the next.
        conn.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n")
            .await?;
        conns.push(conn);
    }
    let mut over = Conn::open_with(stack, SMALL_PORT, 4096, 4096).await?;
    let resp = over.response().await?;
    ensure!(resp.code == 503, "over the limit: {resp:?}");
    ensure!(resp.header("retry-after") == Some(&b"7"[..]), "{resp:?}");
    ensure!(resp.closes(), "503 without close");
    over.closed().await?;
    over.finish().await;
    for conn in conns {
        conn.finish().await;
    }
    Ok(())
}

async fn get_says_hello(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let resp = conn.request(&get("/")).await?;
    ensure!(resp.code == 200, "{resp:?}");
    ensure!(resp.body == b"Hello, World!", "{resp:?}");
    ensure!(
        resp.header("content-type") == Some(&b"text/plain; charset=utf-8"[..]),
        "{resp:?}"
    );
    ensure!(
        resp.header("date") == Some(&b"Tue, 14 Nov 2023 22:13:20 GMT"[..]),
        "the wall clock is not in Date: {resp:?}"
    );
    ensure!(
        resp.header("server") == Some(&b"aurora-test"[..]),
        "{resp:?}"
    );
    ensure!(!resp.closes(), "{resp:?}");
    conn.finish().await;
    Ok(())
}

async fn head_has_the_length_and_no_body(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    conn.send(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n").await?;
    let resp = conn.read(true).await?.ok_or("closed")?;
    ensure!(resp.code == 200, "{resp:?}");
    ensure!(
        resp.header("content-length") == Some(&b"13"[..]),
        "{resp:?}"
    );
    // No body: the next response follows at once.
    let next = conn.request(&get("/")).await?;
    ensure!(next.body == b"Hello, World!", "{next:?}");
    conn.finish().await;
    Ok(())
}

async fn keep_alive_reuses_one_connection(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    for i in 0..5 {
        let resp = conn.request(&get("/")).await?;
        ensure!(resp.code == 200 && !resp.closes(), "request {i}: {resp:?}");
    }
    ensure!(conn.is_established(), "closed after five requests");
    conn.finish().await;
    Ok(())
}

async fn ten_pipelined_requests_in_one_write(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let mut raw = Vec::new();
    for i in 0..10 {
        raw.extend(get(&format!("/{i}")));
    }
    conn.send(&raw).await?;
    for i in 0..10 {
        let resp = conn.response().await?;
        ensure!(
            resp.code == 200 && resp.body == b"Hello, World!",
            "response {i}: {resp:?}"
        );
    }
    conn.finish().await;
    Ok(())
}

async fn pipelined_mixed_methods_in_order(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let mut raw = get("/");
    raw.extend(with_body("POST", b"abc"));
    raw.extend_from_slice(b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
    raw.extend_from_slice(b"DELETE / HTTP/1.1\r\nHost: t\r\n\r\n");
    raw.extend(with_body("PUT", b"xyz"));
    conn.send(&raw).await?;
    let expected: [(u16, &[u8]); 5] = [
        (200, b"Hello, World!"),
        (200, b"abc"),
        (204, b""),
        (405, b""),
        (200, b"xyz"),
    ];
    for (i, (code, body)) in expected.into_iter().enumerate() {
        let resp = conn.response().await?;
        ensure!(
            resp.code == code && resp.body == body,
            "response {i}: {resp:?}"
        );
    }
    conn.finish().await;
    Ok(())
}

async fn post_and_put_echo(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let body: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    for method in ["POST", "PUT"] {
        let resp = conn.request(&with_body(method, &body)).await?;
        ensure!(resp.code == 200, "{method}: {resp:?}");
        ensure!(resp.body == body, "{method}: the echo differs");
        ensure!(
            resp.header("content-type") == Some(&b"application/octet-stream"[..]),
            "{resp:?}"
        );
    }
    conn.finish().await;
    Ok(())
}

async fn chunked_upload_is_echoed(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let body: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let resp = conn.request(&chunked_post(&body, 700)).await?;
    ensure!(resp.code == 200, "{resp:?}");
    ensure!(
        resp.body == body,
        "the echo differs ({} bytes)",
        resp.body.len()
    );
    // The connection goes on.
    ensure!(
        conn.request(&get("/")).await?.code == 200,
        "after the upload"
    );
    conn.finish().await;
    Ok(())
}

/// A body larger than the largest read buffer (64 KiB) comes back streamed, chunked.
async fn body_beyond_the_read_buffer_streams_back(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let body: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
    let resp = conn.exchange(&with_body("POST", &body)).await?;
    ensure!(resp.code == 200, "{resp:?}");
    ensure!(
        resp.header("transfer-encoding") == Some(&b"chunked"[..]),
        "not streamed: {:?}",
        resp.headers
    );
    ensure!(
        resp.body == body,
        "the echo differs ({} bytes)",
        resp.body.len()
    );
    conn.finish().await;
    Ok(())
}

async fn expect_100_continue(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    conn.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .await?;
    let interim = conn.response().await?;
    ensure!(interim.code == 100, "{interim:?}");
    conn.send(b"hello").await?;
    let resp = conn.response().await?;
    ensure!(resp.code == 200 && resp.body == b"hello", "{resp:?}");
    conn.finish().await;
    Ok(())
}

async fn expect_with_a_body_too_large_is_413_without_100(
    stack: Stack<'static>,
) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let raw = format!(
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        MAX_BODY + 1
    );
    conn.send(raw.as_bytes()).await?;
    let resp = conn.response().await?;
    ensure!(resp.code == 413, "{resp:?}");
    ensure!(resp.closes(), "{resp:?}");
    conn.closed().await?;
    conn.finish().await;
    Ok(())
}

/// Sends `raw` on a fresh connection and checks the status, `Connection: close` and the close.
async fn refused(stack: Stack<'static>, name: &str, raw: &[u8], code: u16) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    conn.send(raw).await?;
    let resp = conn
        .read(false)
        .await
        .map_err(|e| format!("{name}: {e}"))?
        .ok_or_else(|| format!("{name}: closed without a response"))?;
    ensure!(resp.code == code, "{name}: {} instead of {code}", resp.code);
    ensure!(resp.closes(), "{name}: no Connection: close");
    conn.closed().await.map_err(|e| format!("{name}: {e}"))?;
    conn.finish().await;
    Ok(())
}

async fn every_framing_rule(stack: Stack<'static>) -> Result<(), String> {
    for &(name, raw, code) in framing_rules::FRAMING_RULES {
        refused(stack, name, raw, code).await?;
    }
    refused(
        stack,
        "body over the limit",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100001\r\n\r\n",
        413,
    )
    .await?;
    Ok(())
}

/// Against `max_head_bytes = 2048`, `max_target_bytes = 1024`, `max_headers = 16`.
async fn size_limits(stack: Stack<'static>) -> Result<(), String> {
    let mut raw = b"GET /".to_vec();
    raw.extend(std::iter::repeat_n(b'a', 1024));
    refused(stack, "target too long", &raw, 414).await?;

    let mut raw = b"GET / HTTP/1.1\r\nHost: t\r\n".to_vec();
    for i in 0..16 {
        raw.extend(format!("X-{i}: v\r\n").into_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    refused(stack, "too many headers", &raw, 431).await?;

    let mut raw = b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: ".to_vec();
    raw.resize(2048, b'v');
    refused(stack, "head too large", &raw, 431).await?;

    // At the limits everything is served.
    let mut conn = Conn::open(stack).await?;
    let mut target = String::from("/");
    target.extend(std::iter::repeat_n('a', 1023));
    ensure!(
        conn.request(&get(&target)).await?.code == 200,
        "target at the limit"
    );
    let resp = conn
        .exchange(&with_body("POST", &vec![b'y'; MAX_BODY]))
        .await?;
    ensure!(
        resp.code == 200 && resp.body.len() == MAX_BODY,
        "body at the limit: {}",
        resp.code
    );
    conn.finish().await;
    Ok(())
}

async fn nothing_after_a_refusal_is_answered(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    conn.send(b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .await?;
    let resp = conn.response().await?;
    ensure!(resp.code == 400, "{resp:?}");
    conn.closed().await?;
    conn.finish().await;
    Ok(())
}

async fn http10_closes_by_default(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let resp = conn.request(b"GET / HTTP/1.0\r\n\r\n").await?;
    ensure!(
        resp.code == 200 && resp.body == b"Hello, World!",
        "{resp:?}"
    );
    conn.closed().await?;
    conn.finish().await;
    Ok(())
}

async fn metrics_endpoint(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let resp = conn.request(&get("/metrics")).await?;
    ensure!(resp.code == 200, "{resp:?}");
    let text = String::from_utf8_lossy(&resp.body);
    ensure!(text.contains("# TYPE"), "no metrics: {text}");
    conn.finish().await;
    Ok(())
}

/// Checks that `ms` is about the 400 ms deadline: not before it, and within a generous reach.
fn about_short(ms: u64, what: &str) -> Result<(), String> {
    let short = SHORT.as_millis();
    ensure!(
        ms + 20 >= short && ms < short + 2000,
        "{what} after {ms} ms, the deadline is {short} ms"
    );
    Ok(())
}

async fn unfinished_head_is_408(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let start = Instant::now();
    conn.send(b"GET / HTTP/1.1\r\nHost: t\r\n").await?;
    let resp = conn.response().await?;
    about_short(elapsed_ms(start), "408")?;
    ensure!(resp.code == 408 && resp.closes(), "{resp:?}");
    conn.closed().await?;
    conn.finish().await;
    Ok(())
}

async fn silent_new_connection_closes_at_the_header_deadline(
    stack: Stack<'static>,
) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let start = Instant::now();
    // Either a quiet close or a 408, but at the deadline.
    if let Some(resp) = conn.read(false).await? {
        ensure!(resp.code == 408, "{resp:?}");
        conn.closed().await?;
    }
    let ms = elapsed_ms(start);
    ensure!(ms < 5000, "closed after {ms} ms");
    conn.finish().await;
    Ok(())
}

async fn unfinished_body_is_408(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    conn.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello")
        .await?;
    let start = Instant::now();
    let resp = conn.response().await?;
    about_short(elapsed_ms(start), "408")?;
    ensure!(resp.code == 408 && resp.closes(), "{resp:?}");
    conn.closed().await?;
    conn.finish().await;
    Ok(())
}

async fn idle_keep_alive_closes_quietly(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    ensure!(conn.request(&get("/")).await?.code == 200, "first request");
    let start = Instant::now();
    let how = conn.closed().await?;
    let ms = elapsed_ms(start);
    let idle = util::IDLE.as_millis();
    ensure!(how == Read::Eof, "closed by {how:?}");
    ensure!(
        ms + 20 >= idle && ms < idle + 2000,
        "idle close after {ms} ms"
    );
    conn.finish().await;
    Ok(())
}

/// A client that sends requests and never reads: once the buffers are full nothing drains,
/// and the write deadline resets the connection, which ends the client's flood.
async fn write_timeout_closes_a_peer_that_does_not_read(
    stack: Stack<'static>,
) -> Result<(), String> {
    let mut conn = Conn::open_with(stack, util::PORT, 1024, 16 * 1024).await?;
    let request = with_body("POST", &vec![b'w'; 16 * 1024]);
    let start = Instant::now();
    let flood = with_timeout(Duration::from_secs(8), async {
        let mut sent = 0usize;
        while conn.send(&request).await.is_ok() {
            sent += 1;
        }
        sent
    })
    .await;
    let ms = elapsed_ms(start);
    ensure!(flood.is_ok(), "the server never stopped the flood");
    ensure!(
        ms + 20 >= SHORT.as_millis(),
        "cut after {ms} ms, before the write deadline"
    );
    conn.finish().await;
    Ok(())
}

/// Stopping the small server closes its idle connection, refuses new ones and ends `run`.
async fn shutdown_closes_idle_connections_and_stops_listening(
    stack: Stack<'static>,
) -> Result<(), String> {
    let mut conn = Conn::open_with(stack, SMALL_PORT, 4096, 4096).await?;
    ensure!(
        conn.request(&get("/")).await?.code == 200,
        "before the stop"
    );
    STOP_SMALL.signal(());
    let how = conn.closed().await?;
    ensure!(how == Read::Eof, "idle connection ended by {how:?}");
    conn.finish().await;
    ensure!(
        with_timeout(Duration::from_secs(3), SMALL_DONE.wait())
            .await
            .is_ok(),
        "run did not return"
    );
    let late = Conn::open_with(stack, SMALL_PORT, 4096, 4096).await;
    ensure!(late.is_err(), "a stopped server took a connection");
    Ok(())
}

/// Every socket listens while free, so `SOCKETS` clients connecting at the same instant are all
/// taken (smoltcp has no backlog: a SYN with no listening socket would be refused).
async fn a_burst_of_as_many_connections_as_sockets_is_served(
    stack: Stack<'static>,
) -> Result<(), String> {
    let opened = join_array(core::array::from_fn::<_, SOCKETS, _>(|_| Conn::open(stack))).await;
    let mut conns = Vec::new();
    for (i, conn) in opened.into_iter().enumerate() {
        conns.push(conn.map_err(|e| format!("connection {i} of the burst: {e}"))?);
    }
    for (i, conn) in conns.iter_mut().enumerate() {
        let resp = conn.request(&get("/")).await?;
        ensure!(resp.code == 200, "connection {i}: {resp:?}");
    }
    for conn in conns {
        conn.finish().await;
    }
    Ok(())
}

async fn http10_keep_alive_on_request(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    for i in 0..2 {
        let resp = conn
            .request(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .await?;
        ensure!(resp.code == 200, "request {i}: {resp:?}");
        ensure!(
            resp.header("connection")
                .is_some_and(|v| v.eq_ignore_ascii_case(b"keep-alive")),
            "request {i}: {resp:?}"
        );
    }
    conn.finish().await;
    Ok(())
}

/// One byte every 50 ms keeps the socket busy but never finishes the head: the header deadline
/// counts from the request's first byte, so the server still cuts it there.
async fn slowloris_is_cut_at_the_header_deadline(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    let head = b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ";
    let start = Instant::now();
    let mut sent = 0usize;
    loop {
        ensure!(elapsed_ms(start) < 5000, "the trickle was never cut");
        let byte = head.get(sent).copied().unwrap_or(b'z');
        if conn.send(&[byte]).await.is_err() {
            break;
        }
        sent += 1;
        if conn.poll_input(Duration::from_millis(50)).await?.is_some() {
            break;
        }
    }
    let resp = conn.response().await?;
    about_short(elapsed_ms(start), "408")?;
    ensure!(resp.code == 408 && resp.closes(), "{resp:?}");
    conn.closed().await?;
    conn.finish().await;
    Ok(())
}

async fn unfinished_chunked_body_is_408(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    conn.send(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
        .await?;
    let start = Instant::now();
    let resp = conn.response().await?;
    about_short(elapsed_ms(start), "408")?;
    ensure!(resp.code == 408, "{resp:?}");
    conn.closed().await?;
    conn.finish().await;
    Ok(())
}

/// The body deadline is a progress timeout: bytes arriving more often than it keep the request
/// alive past it.
async fn body_progress_resets_the_body_deadline(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    conn.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\n")
        .await?;
    for byte in b"abcdefgh" {
        Timer::after(Duration::from_millis(100)).await;
        conn.send(&[*byte]).await?;
    }
    let resp = conn.response().await?;
    ensure!(resp.code == 200 && resp.body == b"abcdefgh", "{resp:?}");
    conn.finish().await;
    Ok(())
}

async fn activity_keeps_a_connection_alive(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open(stack).await?;
    for i in 0..4 {
        ensure!(conn.request(&get("/")).await?.code == 200, "request {i}");
        Timer::after(util::IDLE / 2).await;
    }
    ensure!(
        conn.request(&get("/")).await?.code == 200,
        "the last request"
    );
    conn.finish().await;
    Ok(())
}

/// `run` with `options` on a spare port: what it returns at once.
async fn run_spare(stack: Stack<'static>, options: Options) -> Result<(), RunError> {
    let resources: &'static mut Resources<2, 1024, 1024> = Box::leak(Box::new(Resources::new()));
    let memory: &'static mut Memory<{ 8 * 1024 + 2 * util::ARENA_BYTES }, 2, 4> =
        Box::leak(Box::new(Memory::new()));
    let mut handler = Hello::new(|_: &mut Renderer<'_>| Err(RenderError::BufferTooSmall));
    let metrics = util::METRICS.worker(0);
    run(
        stack,
        resources,
        memory,
        metrics,
        &options,
        &mut handler,
        async {},
    )
    .await
}

async fn a_config_that_does_not_validate_is_refused(stack: Stack<'static>) -> Result<(), String> {
    let mut config = util::config();
    config.limits.max_head_bytes = 10;
    let got = run_spare(stack, Options::new(90, config)).await;
    ensure!(matches!(got, Err(RunError::Config(_))), "{got:?}");
    let got = run_spare(stack, Options::new(0, util::config())).await;
    ensure!(got == Err(RunError::Port), "{got:?}");
    Ok(())
}

async fn memory_too_small_for_the_pools_is_refused(stack: Stack<'static>) -> Result<(), String> {
    let got = run_spare(stack, Options::new(90, util::config())).await;
    ensure!(
        matches!(got, Err(RunError::Memory(MemoryError::Bytes { .. }))),
        "{got:?}"
    );
    let mut config = util::config();
    config.pools.buffers = [0, 2, 0, 0, 0];
    config.limits.max_head_bytes = 4096;
    // Fits: serves until the stop future, which is ready at once.
    let got = run_spare(stack, Options::new(90, config)).await;
    ensure!(got == Ok(()), "{got:?}");
    Ok(())
}

/// The device's `/api/ws`: the `101` with the RFC's accept key, a text echo, a pong, the
/// `status` command, and the close handshake ending in the server's close of the socket.
async fn websocket_echo_ping_and_close_on_the_device(stack: Stack<'static>) -> Result<(), String> {
    let mut conn = Conn::open_with(stack, util::DEVICE_PORT, 4096, 4096).await?;
    conn.send(
        b"GET /api/ws HTTP/1.1\r\nHost: d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await?;
    while !conn.input.windows(4).any(|w| w == b"\r\n\r\n") {
        ensure!(
            matches!(conn.fill().await?, Read::Bytes(_)),
            "closed before the 101"
        );
    }
    let end = conn
        .input
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(0)
        + 4;
    let head = String::from_utf8_lossy(&conn.input[..end]).into_owned();
    ensure!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    ensure!(
        head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
        "{head}"
    );
    conn.input.drain(..end);
    // A masked text "hi", a masked ping "p", then the status command.
    let mask = [1u8, 2, 3, 4];
    let masked = |b0: u8, payload: &[u8]| {
        let mut frame = vec![b0, 0x80 | payload.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        frame
    };
    conn.send(&[masked(0x81, b"hi"), masked(0x89, b"p")].concat())
        .await?;
    while conn.input.len() < 7 {
        ensure!(
            matches!(conn.fill().await?, Read::Bytes(_)),
            "closed before the echo"
        );
    }
    ensure!(conn.input == b"\x81\x02hi\x8a\x01p", "{:02x?}", conn.input);
    conn.input.clear();
    conn.send(&masked(0x81, b"status")).await?;
    while conn.input.len() < 2 || conn.input.len() < 2 + usize::from(conn.input[1]) {
        ensure!(
            matches!(conn.fill().await?, Read::Bytes(_)),
            "closed before the status"
        );
    }
    let status = String::from_utf8_lossy(&conn.input[2..]).into_owned();
    ensure!(status.starts_with(r#"{"uptime_ms":"#), "{status}");
    conn.input.clear();
    conn.send(&masked(0x88, &[0x03, 0xE8])).await?;
    while let Read::Bytes(_) = conn.fill().await? {}
    ensure!(conn.input == b"\x88\x02\x03\xe8", "{:02x?}", conn.input);
    Ok(())
}
